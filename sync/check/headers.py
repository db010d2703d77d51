"""Header matching: what staff type above a column -> the canonical field it means."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import cache
from typing import Any

from schemas import DATASETS, Dataset

HEADER_SCAN_ROWS = 20  # the header row is looked for within the first rows only
MIN_MATCHED = 3  # fewer matched fields than this is not a header row
_UNIT = re.compile(r"\([^()]*\)$")  # a trailing bracketed unit such as （小时）, after NFKC
_SPACE = re.compile(r"\s+")
_BREAK = re.compile(r"\s*[\r\n\v\f\u2028\u2029]+\s*")  # a line break typed with Alt+Enter, with its padding
_LATIN = re.compile(r"[A-Za-z0-9]")
# columns every register may have that name no field: a running number is normal, not an "unknown column"
ORDINAL_HEADERS = frozenset({"序号", "序", "顺序号", "行号", "No", "No.", "NO", "NO."})


def normalise_header(value: Any) -> str:
    """NFKC, no spaces (U+3000 included), no trailing bracketed unit, no required-marker stars.

    Repeated until nothing changes: dropping a space can join a combining mark to a letter, and
    dropping a unit can uncover a star, so one pass is not always the end (``*姓名*(必填)``).
    """
    text = str(value)
    for _ in range(8):
        once = _SPACE.sub("", unicodedata.normalize("NFKC", text)).strip("*")
        once = _UNIT.sub("", once) or once
        if once == text:
            break
        text = once
    return text


def one_line(value: Any) -> str:
    """A header as messages spell it: on one line (``身份证\\n号码`` -> 身份证号码, ``Phone\\nNo`` -> Phone No)."""
    text = str(value).strip()
    return _BREAK.sub(lambda m: " " if _joins_words(text, m) else "", text)


def _joins_words(text: str, m: re.Match) -> bool:
    before, after = text[m.start() - 1:m.start()], text[m.end():m.end() + 1]
    return bool(_LATIN.match(before) and _LATIN.match(after))


@cache
def header_index(dataset: str) -> dict[str, str]:
    """Normalised header or alias -> canonical field name, for one dataset."""
    return {normalise_header(name): field
            for field, meta in DATASETS[dataset].fields.items() for name in meta.names}


@dataclass(frozen=True)
class HeaderMatch:
    dataset: Dataset
    index: int  # position of the header row in the grid's rows
    columns: dict[int, str]  # column position -> canonical field (first occurrence wins)
    duplicates: dict[str, list[int]]  # field -> every column position that claims it, when > 1
    unknown: dict[int, str]  # column position -> header text nobody asked for
    blank: list[int]  # columns with data but no header


def match_row(row: list[Any], dataset: str) -> dict[int, str]:
    index = header_index(dataset)
    return {j: index[h] for j, cell in enumerate(row)
            if isinstance(cell, str) and (h := normalise_header(cell)) in index}


def find_header(rows: list[list[Any]], dataset: str | None = None) -> HeaderMatch | None:
    """The row within the first HEADER_SCAN_ROWS that matches most fields of one dataset."""
    candidates = [dataset] if dataset else list(DATASETS)
    best: tuple[int, int, str, dict[int, str]] | None = None
    for i, row in enumerate(rows[:HEADER_SCAN_ROWS]):
        for name in candidates:
            matched = match_row(row, name)
            score = len(set(matched.values()))
            if score >= MIN_MATCHED and (best is None or score > best[0]):
                best = (score, i, name, matched)
    if best is None:
        return None
    _, i, name, matched = best
    columns: dict[int, str] = {}
    seen: dict[str, list[int]] = {}
    for j, field in matched.items():
        seen.setdefault(field, []).append(j)
        if len(seen[field]) == 1:
            columns[j] = field
    header = rows[i]
    loose = [j for j in range(len(header)) if j not in matched and _has_data(rows[i + 1:], j)]
    unknown = {j: one_line(header[j]) for j in loose
               if str(header[j]).strip() and normalise_header(header[j]) not in ORDINAL_HEADERS}
    blank = [j for j in loose if not str(header[j]).strip()]
    return HeaderMatch(DATASETS[name], i, columns,
                       {f: js for f, js in seen.items() if len(js) > 1}, unknown, blank)


def _has_data(rows: list[list[Any]], j: int) -> bool:
    return any(j < len(r) and r[j] not in ("", None) for r in rows)
