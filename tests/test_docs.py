"""The README documents every command and option, and its Quick start is the one CI runs.

The command walk is generic: any command or option added to ``python -m sync`` (or to
``python -m jobs`` once ``jobs/cli.py`` exists) must be documented in the README, under a
heading that names the command, or this test fails.
"""

from __future__ import annotations

import importlib
import re
from pathlib import Path

import click
import pytest

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")
HEADING = re.compile(r"^(#{1,6})\s+(.*)$", re.M)
FENCE = re.compile(r"^```[^\n]*\n(.*?)^```", re.M | re.S)


def _groups() -> list[tuple[str, click.Group]]:
    groups = [("python -m sync", importlib.import_module("sync.cli").main)]
    if (ROOT / "jobs" / "cli.py").exists():
        groups.append(("python -m jobs", importlib.import_module("jobs.cli").main))
    return groups


def _walk(prefix: str, command: click.Command):
    """(command line, command) for the group itself and every command below it."""
    yield prefix, command
    if isinstance(command, click.Group):
        for name, sub in sorted(command.commands.items()):
            if not sub.hidden:
                yield from _walk(f"{prefix} {name}", sub)


COMMANDS = [(line, cmd) for prefix, group in _groups() for line, cmd in _walk(prefix, group)]
LEAVES = [(line, cmd) for line, cmd in COMMANDS if not isinstance(cmd, click.Group)]


def _spellings(param: click.Parameter) -> list[str]:
    """How the README names a parameter: its long options (else its short ones), or an argument's metavar."""
    if isinstance(param, click.Option):
        return [o for o in param.opts + param.secondary_opts if o.startswith("--")] or list(param.opts)
    return [param.human_readable_name]


PARAMS = [(line, name) for line, cmd in COMMANDS for p in cmd.params if not getattr(p, "hidden", False)
          for name in _spellings(p)]


def section(command_line: str) -> str:
    """The README text under the first heading that names the command, up to the next heading
    of the same or a higher level."""
    headings = list(HEADING.finditer(README))
    for n, h in enumerate(headings):
        if re.search(rf"{re.escape(command_line)}(?![\w-])", h.group(2)):
            level = len(h.group(1))
            end = next((later.start() for later in headings[n + 1:] if len(later.group(1)) <= level), len(README))
            return README[h.start():end]
    return ""


def quick_start_blocks() -> list[str]:
    """The fenced blocks of the Quick start section, stripped."""
    start = README.index("## Quick start")
    end = README.find("\n## ", start + 1)
    return [block.strip() for block in FENCE.findall(README[start:end if end > 0 else len(README)])]


def test_the_walk_finds_the_validate_command_and_its_options():
    assert ("python -m sync validate", "--format") in PARAMS
    assert ("python -m sync validate", "PATH") in PARAMS


@pytest.mark.parametrize("line", [line for line, _ in LEAVES])
def test_command_has_a_readme_heading(line):
    assert section(line), f"README.md has no heading naming `{line}`"


@pytest.mark.parametrize("line, name", PARAMS)
def test_option_documented_under_its_command(line, name):
    assert re.search(rf"(?<![\w-]){re.escape(name)}(?![\w-])", section(line)), (
        f"`{name}` of `{line}` is not in README.md under the command's heading")


def test_quick_start_is_two_commands():
    blocks = quick_start_blocks()
    assert len(blocks) == 2, blocks
    assert all("\n" not in b for b in blocks), "each fenced block holds one command"
    assert sum("streamlit run app.py" in b for b in blocks) == 1
    assert sum("pytest" in b for b in blocks) == 1


def test_ci_runs_the_readme_test_command_verbatim():
    [test_command] = [b for b in quick_start_blocks() if "pytest" in b]
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert test_command in [line.strip() for line in ci.splitlines()]


def test_every_setting_is_in_the_readme():
    from sync.settings import SETTINGS
    assert [name for name in SETTINGS if f"`{name}`" not in README] == []
