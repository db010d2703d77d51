"""How every command line of the project gives up: one clear Chinese line on stderr, no traceback."""

from __future__ import annotations

import sys

import click


def fail(message: str, code: int = 2) -> None:
    """One clear line on stderr, no traceback."""
    click.echo(f"错误：{message}", err=True)
    sys.exit(code)
