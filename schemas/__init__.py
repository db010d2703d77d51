"""The three datasets street offices keep, as pandera models plus row rules.

``DATASETS`` is the one registry every other part reads: headers, aliases, kinds,
keys, personal-data flags, enums and rules all come from here.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import pandera.pandas as pa

from schemas import posts, roster, wishes
from schemas.fields import ERROR, INFO, WARNING, FieldMeta
from schemas.rules import Context, RowRule

__all__ = ["DATASETS", "Dataset", "Context", "RowRule", "FieldMeta", "ERROR", "WARNING", "INFO"]


@dataclass(frozen=True, eq=False)
class Dataset:
    name: str
    title: str  # what staff call the register
    model: type[pa.DataFrameModel]
    rules: tuple[RowRule, ...]

    @cached_property
    def schema(self) -> pa.DataFrameSchema:
        return self.model.to_schema()

    @cached_property
    def fields(self) -> dict[str, FieldMeta]:
        """Canonical field name -> its metadata, in the order staff sheets list them."""
        return {name: col.metadata["field"] for name, col in self.schema.columns.items()}

    @cached_property
    def key(self) -> str:
        return next(name for name, f in self.fields.items() if f.key)

    @cached_property
    def id_field(self) -> str | None:
        """The field holding an ID number (stored encrypted, with a lookup hash), if any."""
        return next((name for name, f in self.fields.items() if f.kind == "id"), None)

    @cached_property
    def required(self) -> tuple[str, ...]:
        """Fields whose column must be present (and, row by row, filled)."""
        return tuple(name for name, col in self.schema.columns.items() if not col.nullable)

    @cached_property
    def personal(self) -> tuple[str, ...]:
        return tuple(name for name, f in self.fields.items() if f.personal)

    def choices(self, name: str) -> tuple[str, ...]:
        """Allowed values of an enum field, read from the model's own ``isin`` check."""
        for check in self.schema.columns[name].checks:
            if check.name == "isin":
                return tuple(check.statistics["allowed_values"])
        return ()


DATASETS: dict[str, Dataset] = {
    d.name: d
    for d in (
        Dataset("roster", "在职党员报到名册", roster.Roster, roster.RULES),
        Dataset("wishes", "微心愿", wishes.Wishes, wishes.RULES),
        Dataset("posts", "志愿服务岗", posts.Posts, posts.RULES),
    )
}
