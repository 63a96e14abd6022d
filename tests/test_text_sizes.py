"""Texts measured once in a process: the saver's renderers share their sizes, and write matplotlib's own files."""

from __future__ import annotations

import io

import matplotlib as mpl
import matplotlib.pyplot as plt
import pytest
from matplotlib.backends.backend_agg import RendererAgg
from matplotlib.font_manager import FontProperties

from casualty_workbook.charts import agg_canvas, chart_data, svg_canvas, text_sizes
from casualty_workbook.charts.saving import save_figure
from casualty_workbook.charts.style import use_house_style


@pytest.fixture(autouse=True)
def no_sizes_yet(monkeypatch):
    monkeypatch.setattr(text_sizes, "TEXT_SIZES", {})


def _chart() -> plt.Figure:
    use_house_style()
    fig, ax = plt.subplots(figsize=(6, 3.5))
    ax.barh(["Regional governor", "Ministry of Defence", "وزارة الدفاع"], [15, 17, 19], label="killed")
    ax.set_title("Deaths claimed, by claimant")
    ax.set_xlabel("people")
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0))
    ax.annotate(
        "Source: a long line under the axes, as a chart prints it",
        (0, 0),
        xycoords="axes fraction",
        xytext=(0, -34),
        textcoords="offset points",
        va="top",
        fontsize=8,
    )
    chart_data.attach(ax, chart_data.empty_rows())
    return fig


def _saved(fig: plt.Figure, fmt: str, **backend) -> bytes:
    out = io.BytesIO()
    with mpl.rc_context({"svg.hashsalt": "test"}):
        fig.savefig(out, format=fmt, bbox_inches="tight", metadata={"Date": None} if fmt == "svg" else None, **backend)
    return out.getvalue()


@pytest.mark.parametrize(("fmt", "canvas"), [("png", agg_canvas), ("svg", svg_canvas)])
def test_a_canvas_remembering_text_sizes_writes_matplotlibs_own_bytes(fmt, canvas):
    fig = _chart()
    own = _saved(fig, fmt)
    first = _saved(fig, fmt, backend=canvas.BACKEND)  # measures every text
    again = _saved(fig, fmt, backend=canvas.BACKEND)  # reads every size measured
    assert text_sizes.TEXT_SIZES
    assert first == own and again == own
    plt.close(fig)


def _counting(monkeypatch, renderer) -> list[str]:
    measured = []
    measure = renderer.get_text_width_height_descent

    def counted(self, s, prop, ismath):
        measured.append(s)
        return measure(self, s, prop, ismath)

    monkeypatch.setattr(renderer, "get_text_width_height_descent", counted)
    return measured


def test_a_chart_saved_measures_each_text_once_for_each_kind_of_file(monkeypatch, tmp_path):
    agg = _counting(monkeypatch, RendererAgg)
    svg = _counting(monkeypatch, svg_canvas._RendererSVGFontsInMemory)  # measures as RendererSVG, fonts from memory
    save_figure(_chart(), "first", tmp_path)
    assert "Deaths claimed, by claimant" in agg and "Deaths claimed, by claimant" in svg
    # the tight box and the PNG share Agg's measures: nothing measured twice
    assert len(agg) == len(set(agg)) and len(svg) == len(set(svg))
    before = len(agg), len(svg)
    save_figure(_chart(), "second", tmp_path)  # the next chart of the report: the same texts
    assert (len(agg), len(svg)) == before
    assert (tmp_path / "first.png").read_bytes() == (tmp_path / "second.png").read_bytes()
    assert (tmp_path / "first.svg").read_bytes() == (tmp_path / "second.svg").read_bytes()


def _plain_size(text: str, prop: FontProperties) -> tuple[float, float, float]:
    return RendererAgg(100, 100, 150).get_text_width_height_descent(text, prop, False)


def _remembered_size(text: str, prop: FontProperties) -> tuple[float, float, float]:
    return agg_canvas.MeasuringRendererAgg(100, 100, 150).get_text_width_height_descent(text, prop, False)


def test_a_size_is_remembered_for_its_font_settings_not_across_them():
    prop = FontProperties(family="sans-serif", size=10)
    for hinting in ("no_hinting", "auto", "no_hinting", "force_autohint"):
        with mpl.rc_context({"text.hinting": hinting}):
            assert _remembered_size("Wjgy 1,234", prop) == _plain_size("Wjgy 1,234", prop)
    with mpl.rc_context({"font.sans-serif": ["DejaVu Sans Mono"]}):  # what "sans-serif" stands for
        assert _remembered_size("Wjgy 1,234", prop) == _plain_size("Wjgy 1,234", prop)
    assert _remembered_size("Wjgy 1,234", prop) != _remembered_size(
        "Wjgy 1,234", FontProperties(size=10, weight="bold")
    )


def test_font_properties_changed_after_a_measure_are_measured_afresh():
    prop = FontProperties(size=10)
    small = _remembered_size("casualties", prop)
    prop.set_size(20)  # the same object, changed by its owner: the size remembered was of a copy
    assert _remembered_size("casualties", prop) == _plain_size("casualties", prop) != small


def test_the_sizes_remembered_are_bounded(monkeypatch):
    monkeypatch.setattr(text_sizes, "MAX_TEXT_SIZES", 5)
    prop = FontProperties(size=10)
    for n in range(23):
        assert _remembered_size(f"claim {n}", prop) == _plain_size(f"claim {n}", prop)
        assert len(text_sizes.TEXT_SIZES) <= 5


def test_mathtext_is_measured_as_the_renderer_measures_it():
    prop = FontProperties(size=10)
    renderer = agg_canvas.MeasuringRendererAgg(100, 100, 150)
    assert renderer.get_text_width_height_descent(r"$x^2$", prop, True) == RendererAgg(
        100, 100, 150
    ).get_text_width_height_descent(r"$x^2$", prop, True)
    assert not text_sizes.TEXT_SIZES
