"""Row rules that pandera's per-column checks cannot express: cross-field and cross-dataset.

A rule looks at the whole normalised frame (canonical columns plus ``sheet_row``) and
returns, per row, the Chinese message when the rule is broken and NA when it is not.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd

from schemas.fields import ERROR


@dataclass(frozen=True)
class Context:
    """What a rule may know beyond the sheet itself."""

    roster_names: frozenset[str] | None = None  # names in the same street's roster, when known
    communities: frozenset[str] | None = None  # the street's configured communities


@dataclass(frozen=True)
class RowRule:
    check: str
    field: str  # the cell to blame
    violated: Callable[[pd.DataFrame, Context], pd.Series]
    severity: str = ERROR


def messages(mask: pd.Series, text: str | pd.Series) -> pd.Series:
    """``text`` where ``mask`` holds, NA elsewhere."""
    out = pd.Series(pd.NA, index=mask.index, dtype="object")
    mask = mask.fillna(False).astype(bool)
    out[mask] = text[mask] if isinstance(text, pd.Series) else text
    return out


def is_in(series: pd.Series, values: frozenset[str]) -> pd.Series:
    """Membership by Python set lookups: ``Series.isin`` turns every value of a large set into a
    pyarrow scalar on each call (6 ms for a street's 2,000 roster names, against 0.3 ms here)."""
    return pd.Series([v in values for v in series.tolist()], index=series.index, dtype=bool)


def required_when(field: str, header: str, column: str, values: tuple[str, ...]) -> RowRule:
    def violated(df: pd.DataFrame, ctx: Context) -> pd.Series:
        return messages(df[column].isin(values) & df[field].isna(),
                        f"状态为{'或'.join(values)}时，{header}不能为空")
    return RowRule(f"{field}_required", field, violated)


def not_before(field: str, header: str, earlier: str, earlier_header: str) -> RowRule:
    def violated(df: pd.DataFrame, ctx: Context) -> pd.Series:
        return messages(df[field] < df[earlier], f"{header}早于{earlier_header}")
    return RowRule(f"{field}_not_before_{earlier}", field, violated)


def in_roster(field: str, header: str) -> RowRule:
    def violated(df: pd.DataFrame, ctx: Context) -> pd.Series:
        if ctx.roster_names is None:
            return messages(pd.Series(False, index=df.index), "")
        return messages(df[field].notna() & ~is_in(df[field], ctx.roster_names),
                        f"{header}不在本街道的在职党员报到名册中")
    return RowRule(f"{field}_in_roster", field, violated, severity="warning")


def in_communities(field: str) -> RowRule:
    def violated(df: pd.DataFrame, ctx: Context) -> pd.Series:
        if ctx.communities is None:
            return messages(pd.Series(False, index=df.index), "")
        allowed = "、".join(sorted(ctx.communities))
        return messages(df[field].notna() & ~is_in(df[field], ctx.communities),
                        f"社区不属于本街道（应为：{allowed}）")
    return RowRule(f"{field}_in_street", field, violated)


def unique_key(field: str, header: str) -> RowRule:
    def violated(df: pd.DataFrame, ctx: Context) -> pd.Series:
        present = df[field].notna()
        first_row = df[present].groupby(field, sort=False)["sheet_row"].transform("first")
        dup = pd.Series(False, index=df.index)
        dup[first_row.index] = df.loc[first_row.index, "sheet_row"] != first_row
        text = pd.Series("", index=df.index, dtype="object")
        text[first_row.index] = f"{header}重复（与第" + first_row.astype(str) + "行相同）"
        return messages(dup, text)
    return RowRule(f"{field}_unique", field, violated)
