"""Issue 14, point 3: text from a sheet, a file name or a person is shown as plain text.

Before: a worksheet titled with a Markdown link or ``:red[**…**]`` showed, right above the
确认并应用 button, a clickable phishing link and a fake red "system notice", and an image was
fetched from an outside server. Every such text now goes through ``pages.common.plain``;
tests/test_browser.py checks in Chromium that the result renders as the same characters.
"""

from __future__ import annotations

import re

import pytest
from streamlit.testing.v1 import AppTest

from pages.common import plain
from sync.registry import save_source
from sync.service import open_mirror, sync_sources
from tests.app_world import APP, sign_in

HOSTILE_TITLE = ":red[**系统通知：账号异常，请立即点此验证**][点此验证](https:www.evil.example)![x](https:evil.example:9)"
ROSTER_WITHOUT_KEY = "姓名,性别,联系电话,工作单位,报到社区,报到日期\n张三,男,13812345678,单位,德胜街社区,2020-08-10\n"
ZWSP = "\u200b"

# (text, what plain() makes of it)
PLAIN_CASES = [
    ("上站街道", "上站街道"),
    ("**粗体**", r"\*\*粗体\*\*"),
    (":red[通知]", r"\:red\[通知\]"),
    ("[点我](https://evil.example/x)", rf"\[点我\]\(https{ZWSP}\:\/\/evil\.example\/x\)"),
    ("![图](http://127.0.0.1:9/x.png)", rf"\!\[图\]\(http{ZWSP}\:\/\/127\.0\.0\.1\:9\/x\.png\)"),
    ("www.evil.example", rf"www{ZWSP}\.evil\.example"),
    ("me@evil.example", rf"me{ZWSP}\@evil\.example"),
    (":material/warning: :smile: $x^2$", r"\:material\/warning\: \:smile\: \$x\^2\$"),
    ("# 标题\n> 引用\t- 列表", r"\# 标题 \> 引用 \- 列表"),
    ("<img src=x onerror=alert(1)>", r"\<img src\=x onerror\=alert\(1\)\>"),
    (r"a\b", r"a\\b"),
]


@pytest.mark.parametrize("text, expected", PLAIN_CASES)
def test_plain_escapes_every_markdown_construct(text, expected):
    assert plain(text) == expected


@pytest.mark.parametrize("text, _expected", PLAIN_CASES)
def test_plain_keeps_every_character(text, _expected):
    shown = re.sub(r"\\(.)", r"\1", plain(text)).replace(ZWSP, "")
    assert shown == re.sub(r"[\r\n\t]+", " ", text)


def hostile_source(world) -> str:
    """A CSV source whose worksheet title (the file's name) is Markdown, synced once: held, since
    the sheet lacks its key column, with the title in the run's message."""
    path = world.root / f"{HOSTILE_TITLE}.csv"
    path.write_text(ROSTER_WITHOUT_KEY, encoding="utf-8")
    mirror = open_mirror()
    save_source(mirror.engine, "hostile", {"street": "上站街道", "district": "城区", "kind": "csv", "path": str(path)})
    [result] = sync_sources(mirror, ["hostile"])
    mirror.engine.dispose()
    assert result.status == "held" and HOSTILE_TITLE in result.message
    return str(path)


def unescaped_markdown(text: str) -> list[str]:
    """Markdown constructs left live in ``text`` (an unescaped link, directive, emphasis or image)."""
    live = re.sub(r"\\.", "", text)  # drop every escaped character
    return [m for m in ("](", ":red[", "**", "![", "https:", "www.") if m in live]


def test_a_held_run_named_by_a_hostile_sheet_shows_its_title_literally(own_world):
    hostile_source(own_world)
    at = sign_in("admin")
    at.switch_page("pages/runs.py").run()
    assert not at.exception, at.exception
    [warning] = [w for w in at.warning if "已暂停" in w.value]
    assert plain(HOSTILE_TITLE) in warning.value
    assert unescaped_markdown(warning.value.replace("**上站街道·hostile**", "")) == []


def test_the_source_preview_shows_a_hostile_file_name_literally(own_world):
    path = hostile_source(own_world)
    at = sign_in("admin")
    at.switch_page("pages/sources.py").run()
    next(r for r in at.radio if r.label == "来源类型").set_value("path").run()
    next(t for t in at.text_input if t.label.startswith("名称")).input("preview")
    next(t for t in at.text_input if t.label == "服务器上的文件路径").input(path)
    next(b for b in at.button if b.label == "测试连接并预览校验").click().run()
    assert not at.exception, at.exception
    [read] = [s.value for s in at.success if "已读取" in s.value]
    assert plain(f"{HOSTILE_TITLE}.csv") in read and unescaped_markdown(read) == []
    label = next(s.label for s in at.selectbox if s.label.startswith("工作表"))
    assert plain(HOSTILE_TITLE) in label and unescaped_markdown(label) == []


def test_a_configuration_error_naming_a_hostile_path_is_plain(tmp_path, monkeypatch):
    config = tmp_path / "[点此](https:evil.example).toml"
    config.write_text("[[sources]\n", encoding="utf-8")
    monkeypatch.setenv("TAIZHANG_CONFIG", str(config))
    monkeypatch.setenv("TAIZHANG_DATABASE_URL", f"sqlite:///{tmp_path / 'm.db'}")
    at = AppTest.from_file(str(APP), default_timeout=60).run()
    [error] = at.error
    assert "配置文件无法读取" in error.value and plain(config) in error.value and unescaped_markdown(error.value) == []
