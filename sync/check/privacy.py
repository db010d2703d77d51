"""Masking of personal data (PIPL): what anyone without the right to see it gets.

A value's own column says how to mask it (``mask``); ``mask_text`` masks whatever looks like an
ID number or a phone anywhere in a text, whichever column it came from: a phone shifted into
性别 by "delete cell, shift left", an ID typed into 姓名, a phone in 备注 (issue 14).
"""

from __future__ import annotations

import re
from typing import Any

ID_RE = re.compile(r"(?<![0-9])[0-9]{17}[0-9Xx](?![0-9A-Za-z])")
MOBILE_RE = re.compile(r"(?<![0-9])1[3-9][0-9]{9}(?![0-9])")
LANDLINE_RE = re.compile(r"(?<![0-9])0[0-9]{2,3}-?[0-9]{7,8}(?![0-9])")
_CANDIDATE = re.compile(r"[0-9]{7}")  # every pattern above holds seven digits in a row: most text has none
FREE_TEXT_KINDS = ("text", "name")


def mask_id(value: str | None) -> str | None:
    """110105194912310021 -> 110105********0021 (region and last four kept)."""
    if not value:
        return value
    if len(value) <= 10:
        return value[:2] + "*" * max(len(value) - 2, 0)
    return value[:6] + "*" * (len(value) - 10) + value[-4:]


def mask_phone(value: str | None) -> str | None:
    """13812345678 -> 138****5678; landlines keep the area code and last four."""
    if not value:
        return value
    if len(value) <= 7:
        return value[:1] + "*" * (len(value) - 1)
    return value[:3] + "*" * (len(value) - 7) + value[-4:]


MASKS = {"id": mask_id, "phone": mask_phone}


def mask(value: str | None, kind: str) -> str | None:
    """Mask a value of a personal field of the given kind (``id`` or ``phone``)."""
    return MASKS[kind](value) if kind in MASKS else value


def mask_text(text: Any, *, landlines: bool = True) -> Any:
    """``text`` with every ID number and phone number in it masked; not text: unchanged.

    ``landlines=False`` for our own messages, which quote an example landline (``0353-1234567``).
    """
    if not isinstance(text, str) or not _CANDIDATE.search(text):
        return text
    text = ID_RE.sub(lambda m: mask_id(m.group()), text)
    text = MOBILE_RE.sub(lambda m: mask_phone(m.group()), text)
    return LANDLINE_RE.sub(lambda m: mask_phone(m.group()), text) if landlines else text


def mask_texts(values: list[Any]) -> list[Any]:
    """``mask_text`` down a column; names, units and communities repeat: each is looked at once."""
    done: dict[Any, Any] = {}
    return [done[v] if v in done else done.setdefault(v, mask_text(v)) for v in values]


def free_text_fields(dataset: Any) -> list[str]:
    """A dataset's fields where anything may be typed (names, units, notes, contents), its key aside."""
    return [name for name, meta in dataset.fields.items() if meta.kind in FREE_TEXT_KINDS and not meta.key]

