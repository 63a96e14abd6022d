"""The saver's Agg canvas draws text glyph by glyph with less work, and the same pixels as Agg's own."""

from __future__ import annotations

import io

import matplotlib as mpl
import matplotlib.pyplot as plt
import pytest
from matplotlib.backends.backend_agg import RendererAgg

from casualty_workbook.charts import agg_canvas, memory_fonts, text_sizes
from casualty_workbook.charts.style import use_house_style


@pytest.fixture(autouse=True)
def no_sizes_yet(monkeypatch):
    monkeypatch.setattr(text_sizes, "TEXT_SIZES", {})
    monkeypatch.setattr(agg_canvas, "GLYPH_LAYOUTS", {})


def _texts() -> plt.Figure:
    """Texts of every kind Agg's loop handles: sizes, rotations, a fallback font, unsmoothed, mathtext."""
    use_house_style()
    fig, ax = plt.subplots(figsize=(5, 3))
    ax.bar(["Regional governor", "Ministry of Defence", "وزارة الدفاع"], [15, 17, 19])
    ax.tick_params(axis="x", labelrotation=33)
    ax.set_title("Deaths claimed, by claimant", fontsize=13)
    ax.set_ylabel("people (at least)")  # drawn at 90 degrees
    # a glyph DejaVu Sans lacks, drawn from the next font of the family list in the same text
    ax.text(0.1, 0.9, "fallback \u2a03 here", transform=ax.transAxes, family=["DejaVu Sans", "STIXGeneral"])
    ax.text(0.1, 0.75, "not smoothed", transform=ax.transAxes, antialiased=False)
    # the house style draws "$" as written; mathtext asked for by a text is left to Agg
    ax.text(0.1, 0.6, r"math $x^2_{i}$ stays Agg's", transform=ax.transAxes, parse_math=True)
    ax.text(0.6, 0.5, "slanted 17.5°", transform=ax.transAxes, rotation=17.5, fontsize=7)
    return fig


def _png(fig: plt.Figure, **backend) -> bytes:
    out = io.BytesIO()
    fig.savefig(out, format="png", metadata={"Software": None}, **backend)
    return out.getvalue()


def test_the_glyph_loop_draws_agg_s_own_pixels():
    fig = _texts()
    own = _png(fig)
    assert _png(fig, backend=agg_canvas.BACKEND) == own  # every text shaped
    assert agg_canvas.GLYPH_LAYOUTS
    assert _png(fig, backend=agg_canvas.BACKEND) == own  # every text's glyphs as shaped before
    plt.close(fig)


def _shaped(monkeypatch) -> list[str]:
    """The texts the saver's Agg renderer shapes (its font's ``_layout``, seen through ``_prepare_font``)."""
    shaped = []
    prepare = agg_canvas.MeasuringRendererAgg._prepare_font

    class Seen:
        def __init__(self, font):
            self.font = font

        def _layout(self, s, **kwargs):
            shaped.append(s)
            return self.font._layout(s, **kwargs)

        def __getattr__(self, name):
            return getattr(self.font, name)

    fonts: dict = {}  # one stand-in per font, as matplotlib keeps one font object per font files
    monkeypatch.setattr(
        agg_canvas.MeasuringRendererAgg,
        "_prepare_font",
        lambda self, prop: fonts.setdefault(id(f := prepare(self, prop)), Seen(f)),
    )
    return shaped


def test_a_text_drawn_again_is_not_shaped_again(monkeypatch):
    shaped = _shaped(monkeypatch)
    first = _texts()
    _png(first, backend=agg_canvas.BACKEND)
    assert "Deaths claimed, by claimant" in shaped and len(shaped) == len(set(shaped))
    count = len(shaped)
    second = _texts()  # the same texts in another chart: nothing new to shape
    _png(second, backend=agg_canvas.BACKEND)
    assert len(shaped) == count
    second.axes[0].set_title("Deaths claimed, by outlet", fontsize=13)
    second.axes[0].texts[0].set_fontsize(11)  # the same words at another size are shaped anew
    _png(second, backend=agg_canvas.BACKEND)
    assert sorted(shaped[count:]) == ["Deaths claimed, by outlet", "fallback \u2a03 here"]
    plt.close("all")


def test_a_text_in_a_language_of_its_own_is_shaped_each_time(monkeypatch):
    shaped = _shaped(monkeypatch)
    fig = _texts()
    fig.axes[0].texts[1].set_language("tr")
    _png(fig, backend=agg_canvas.BACKEND)
    _png(fig, backend=agg_canvas.BACKEND)
    assert shaped.count("not smoothed") == 2 and shaped.count("Deaths claimed, by claimant") == 1
    assert not any("not smoothed" in key for key in agg_canvas.GLYPH_LAYOUTS)
    plt.close(fig)


def test_the_layouts_kept_are_bounded(monkeypatch):
    monkeypatch.setattr(agg_canvas, "MAX_GLYPH_LAYOUTS", 3)
    fig = _texts()
    _png(fig, backend=agg_canvas.BACKEND)
    assert 0 < len(agg_canvas.GLYPH_LAYOUTS) <= 3
    plt.close(fig)


def test_the_glyph_loop_is_what_draws_under_the_locked_matplotlib(monkeypatch):
    # Under the matplotlib the project locks the loop is on; a newer release turns it off until its
    # Agg draw_text and _prepare_font are read again and memory_fonts.CHECKED_RELEASE moved (this test says so).
    assert agg_canvas.MeasuringRendererAgg.glyph_loop, (
        f"matplotlib {mpl.__version__}: compare agg_canvas's glyph loop with this release's Agg draw_text"
    )
    drawn = []
    monkeypatch.setattr(agg_canvas.MeasuringRendererAgg, "_draw_glyphs", lambda self, *args: drawn.append(args[-1]))
    handed_on = []
    monkeypatch.setattr(RendererAgg, "draw_text", lambda self, gc, x, y, s, *a, **k: handed_on.append(s))
    fig = _texts()
    _png(fig, backend=agg_canvas.BACKEND)
    plt.close(fig)
    assert drawn and handed_on  # plain texts by the loop; mathtext by Agg
    assert all("$" in s for s in handed_on)


def test_under_another_matplotlib_agg_draws_every_text(monkeypatch):
    monkeypatch.setattr(agg_canvas.MeasuringRendererAgg, "glyph_loop", False)
    monkeypatch.setattr(
        agg_canvas.MeasuringRendererAgg, "_draw_glyphs", lambda *a: pytest.fail("the loop drew under another release")
    )
    monkeypatch.setattr(memory_fonts, "font_of", lambda *a: pytest.fail("a font from memory under another release"))
    fig = _texts()
    assert _png(fig, backend=agg_canvas.BACKEND) == _png(fig)
    plt.close(fig)


@pytest.mark.parametrize(
    ("version", "release"), [("3.11.2", (3, 11)), ("3.11.0rc1", (3, 11)), ("3.12.0.dev45", (3, 12)), ("4.0", (4, 0))]
)
def test_the_release_read_from_a_version(version, release):
    assert memory_fonts.release(version) == release
