"""A Chinese font for pictures: without one, matplotlib draws every character as a box.

Debian's fonts-noto-cjk (installed by .ci/run; `apt-get install fonts-noto-cjk` elsewhere)
provides Noto Sans CJK SC. ``font_installed`` answers without importing matplotlib, so a page can
offer an export without paying for it.
"""

from __future__ import annotations

from pathlib import Path

FAMILIES = ("Noto Sans CJK SC", "Source Han Sans SC", "Noto Sans SC", "WenQuanYi Zen Hei")
FILES = ("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc", "/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc",
         "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc")
MISSING = "未找到中文字体，无法导出图片：请安装 fonts-noto-cjk（apt-get install fonts-noto-cjk）"


class FontMissing(Exception):
    """No Chinese font: a picture would show boxes instead of characters."""


def font_installed() -> bool:
    return any(Path(f).is_file() for f in FILES)


def chinese_font() -> str:
    """The family name of an installed Chinese font, registered with matplotlib when its font
    cache was built before the font was installed."""
    from matplotlib import font_manager

    def known() -> str | None:
        names = {f.name for f in font_manager.fontManager.ttflist}
        return next((family for family in FAMILIES if family in names), None)

    family = known()
    for path in FILES:
        if family is not None:
            break
        if Path(path).is_file():
            font_manager.fontManager.addfont(path)
            family = known()
    if family is None:
        raise FontMissing(MISSING)
    return family
