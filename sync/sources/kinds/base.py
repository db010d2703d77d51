"""What every source kind offers, and what it may ask of a source."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

from sync.sources.grid import Workbook


class Located(Protocol):
    """The parts of a registered source a kind reads (``sync.registry.Source`` has them all)."""

    name: str
    kind: str
    path: str | None
    spreadsheet: str | None
    credentials: str | None
    api_endpoint: str | None


class Kind(Protocol):
    name: str  # stored in sources.kind and written in the TOML
    label: str  # what staff read
    writes_back: bool  # whether issues can be written into the source itself (opt-in per source)
    content_fingerprint: bool  # the fingerprint is of the content itself (then ``path_of(source)`` is the file
    # whose bytes it hashes); else a change time, re-read now and then

    def read(self, source: Located, known: str | None) -> Workbook | None: ...

    def describe(self, source: Located) -> str: ...

    def check(self, values: Mapping[str, Any]) -> str | None: ...
