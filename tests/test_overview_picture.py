"""The overview exported for a meeting: one A4 page, every Chinese character drawn from a CJK font."""

from __future__ import annotations

import io
import warnings
from datetime import UTC, datetime

import pandas as pd
import pytest
from PIL import Image

from sync.outputs import fonts
from sync.outputs.kpi_cards import kpi_cards
from sync.outputs.overview_picture import OverviewPicture, render
from sync.queries import overview, ranking

NOW = {"members": 483232, "wishes": 469927, "claimed": 312845, "completed": 156367, "posts": 17982, "staffed": 8933,
       "vacant": 9049, "activities": 791537, "service_hours": 5366799.2, "claim_rate": 0.6657, "completion_rate": 0.3327}
BEFORE = {**NOW, "members": 476671, "vacant": 8945, "completion_rate": 0.3301}


def places(streets: int) -> pd.DataFrame:
    rows = [{"district": "城区", "street": f"第{i + 1}街道", "community": f"第{i + 1}社区", "members": 100 + i,
             "wishes": 90, "claimed": 60 + i % 7, "completed": 30 + i % 5, "posts": 5, "staffed": 3, "vacant": 2,
             "activities": 40, "service_hours": 120.5} for i in range(streets)]
    return pd.DataFrame(rows)


def picture(streets: int = 18, months: int = 72) -> OverviewPicture:
    counts = pd.DataFrame({"month": pd.date_range("2020-01-01", periods=months, freq="MS"), "members": 7,
                           "wishes": 6, "claimed": 4, "completed": 2})
    level = "street"
    health = pd.DataFrame({"street": [f"第{i + 1}街道" for i in range(streets)], "errors": 3,
                           "last_ok_at": pd.Timestamp("2026-11-20", tz="UTC"),
                           "changed_at": pd.Timestamp("2026-11-01", tz="UTC")})
    ranked = ranking.ranking(places(streets), health, level, datetime(2026, 11, 26, tzinfo=UTC))
    return OverviewPicture("全部街道", "全部时间", "较上月底", kpi_cards(NOW, BEFORE), ranked, level,
                           overview.cumulative(counts), overview.quarterly(counts), datetime(2026, 11, 26, 9, 30))


def missing_glyphs(make) -> list[str]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        make()
    return [str(w.message) for w in caught if "missing from font" in str(w.message)]


@pytest.mark.parametrize("streets, months", [(18, 72), (25, 3), (1, 1)])
def test_the_png_is_one_a4_page_with_every_character_in_the_font(streets, months):
    made = {}
    assert missing_glyphs(lambda: made.setdefault("png", render(picture(streets, months)))) == []
    image = Image.open(io.BytesIO(made["png"]))
    assert image.format == "PNG" and image.size == (2481, 1753)  # A4 landscape at 150 dpi


def test_a_latin_font_would_draw_boxes_and_the_check_sees_it():
    # the check above must be able to fail: DejaVu Sans has no CJK glyphs
    from matplotlib.figure import Figure

    def draw() -> None:
        figure = Figure()
        figure.text(0.1, 0.5, "报到党员", family="DejaVu Sans")
        figure.savefig(io.BytesIO(), format="png")

    assert missing_glyphs(draw)


def test_the_pdf_embeds_the_cjk_font():
    pdf = render(picture(), "pdf")
    assert pdf.startswith(b"%PDF") and b"NotoSansCJK" in pdf


def test_a_period_without_trends_still_renders():
    empty = picture()
    blank = OverviewPicture(empty.scope, "2026年", "较去年同期", empty.cards, empty.ranking, "street",
                            overview.cumulative(pd.DataFrame(columns=["month", "members", "wishes"])),
                            overview.quarterly(pd.DataFrame({"month": pd.Series(dtype="datetime64[ns]"), "wishes": [],
                                                             "claimed": [], "completed": []})), empty.made_at)
    assert render(blank).startswith(b"\x89PNG")


def test_without_a_chinese_font_the_export_says_so(monkeypatch):
    monkeypatch.setattr(fonts, "FAMILIES", ("No Such Font SC",))
    monkeypatch.setattr(fonts, "FILES", ("/nonexistent/NoSuchFont.ttc",))
    assert not fonts.font_installed()
    with pytest.raises(fonts.FontMissing, match="请安装 fonts-noto-cjk"):
        fonts.chinese_font()
