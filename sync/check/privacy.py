"""Masking of personal data (PIPL): what anyone without the right to see it gets."""

from __future__ import annotations


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
