"""Benchmark cities: generated street workbooks, their config, and copies with 1% of rows changed.

A city lives in ``<out>/city-<scale>-<seed>/``: ``base/`` as generated; ``changed/`` with one
free-text cell edited in every hundredth data row of every workbook (every source changed:
the worst case); ``changed-one/`` with as many edits, all in the first street's workbook;
and ``live/``, the files the config names (``use`` copies one of them there, so a re-sync
sees new content at the same path).
"""

from __future__ import annotations

import json
import shutil
from dataclasses import asdict, dataclass
from pathlib import Path

from openpyxl import load_workbook

from sync.demo.city import HEADER_ROW, LAYOUTS, generate_city
from sync.outputs.template import SHEET_TITLES

# a free-text cell per dataset whose edit changes the row and nothing about its validity
CHANGED_HEADER = {"roster": "备注", "wishes": "认领单位", "posts": "岗位名称"}
EVERY = 100  # one data row in a hundred changes
VARIANTS = ("changed", "changed-one")


@dataclass(frozen=True)
class Street:
    name: str
    street: str
    district: str
    communities: list[str]
    file: str  # file name inside base/, changed/ and live/
    rows: dict[str, int]


@dataclass(frozen=True)
class City:
    folder: Path
    streets: list[Street]

    @property
    def rows(self) -> int:
        return sum(sum(s.rows.values()) for s in self.streets)

    def files(self, which: str = "live") -> list[Path]:
        return [self.folder / which / s.file for s in self.streets]

    def use(self, which: str) -> None:
        """Put the base or a changed copy of the workbooks where the config points."""
        if which in VARIANTS and not (self.folder / which).exists():
            _write_changed(self, which)
        live = self.folder / "live"
        live.mkdir(exist_ok=True)
        for s in self.streets:
            shutil.copyfile(self.folder / which / s.file, live / s.file)

    def write_config(self, path: Path, db_url: str) -> Path:
        lines = ["[database]", f"url = {json.dumps(db_url)}", ""]
        for s, file in zip(self.streets, self.files()):
            lines += ["[[sources]]", f"name = {json.dumps(s.name)}", f"street = {json.dumps(s.street, ensure_ascii=False)}",
                      f"district = {json.dumps(s.district, ensure_ascii=False)}", 'kind = "excel"',
                      f"path = {json.dumps(str(file), ensure_ascii=False)}",
                      f"communities = {json.dumps(s.communities, ensure_ascii=False)}", ""]
        path.write_text("\n".join(lines), encoding="utf-8")
        return path


def city(out: Path, scale: float, seed: int) -> City:
    """The city for (scale, seed), generated on first use and kept for later runs."""
    folder = out / f"city-{scale:g}-{seed}"
    manifest = folder / "city.json"
    if manifest.exists():
        streets = [Street(**s) for s in json.loads(manifest.read_text(encoding="utf-8"))]
        return City(folder, streets)
    base = folder / "base"
    shutil.rmtree(folder, ignore_errors=True)
    base.mkdir(parents=True)
    made = generate_city(base, scale, seed)
    streets = [Street(f.name, f.street, f.district, list(f.communities), f.path.name, dict(f.rows)) for f in made]
    found = City(folder, streets)
    found.use("base")
    manifest.write_text(json.dumps([asdict(s) for s in streets], ensure_ascii=False), encoding="utf-8")
    return found


def changed_rows(found: City, street: Street, variant: str) -> dict[str, list[int]]:
    """dataset -> the sheet rows edited in a changed copy."""
    first = HEADER_ROW + 1
    if variant == "changed":
        step = EVERY
    elif street == found.streets[0]:  # changed-one: the city's 1% of edits, all in this street
        step = max(1, round(sum(street.rows.values()) * EVERY / found.rows))
    else:
        return {d: [] for d in street.rows}
    return {d: list(range(first + step // 2, first + n, step)) for d, n in street.rows.items()}


def _write_changed(found: City, variant: str) -> None:
    changed = found.folder / f"{variant}.tmp"
    shutil.rmtree(changed, ignore_errors=True)
    changed.mkdir()
    for s in found.streets:
        edits = changed_rows(found, s, variant)
        if not any(edits.values()):
            shutil.copyfile(found.folder / "base" / s.file, changed / s.file)
            continue
        book = load_workbook(found.folder / "base" / s.file)
        for dataset, rows in edits.items():
            sheet = book[SHEET_TITLES[dataset]]
            column = LAYOUTS[dataset].index(CHANGED_HEADER[dataset]) + 1
            for row in rows:
                sheet.cell(row, column).value = f"变更{row}"
        book.save(changed / s.file)
    changed.rename(found.folder / variant)
