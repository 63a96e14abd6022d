"""The one saver: PNG and SVG, byte-identical from the same inputs, written whole or not at all."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import pytest

from casualty_workbook.charts import chart_data as figure_data
from casualty_workbook.charts.saving import save_figure
from casualty_workbook.charts.style import STATUS_COLOURS, use_house_style
from casualty_workbook.data.schemas import STATUSES


def _figure():
    use_house_style()
    fig, ax = plt.subplots()
    ax.bar(["a", "b"], [1, 2])
    ax.set_title("t")
    figure_data.attach(ax, figure_data.empty_rows())
    return fig


def test_saving_twice_gives_identical_bytes(tmp_path):
    fig = _figure()
    first = [p.read_bytes() for p in save_figure(fig, "f", tmp_path / "1")]
    second = [p.read_bytes() for p in save_figure(_figure(), "f", tmp_path / "2")]
    assert first == second
    assert sorted(p.name for p in (tmp_path / "1").iterdir()) == ["f.csv", "f.png", "f.svg"]


def test_no_dates_or_versions_in_the_files(tmp_path):
    png, svg, _ = save_figure(_figure(), "f", tmp_path)
    assert b"Software" not in png.read_bytes() and b"matplotlib.org" not in png.read_bytes()
    text = svg.read_text()
    assert "<dc:date>" not in text and "Matplotlib v" not in text


def test_no_directory_means_nothing_written(tmp_path):
    assert save_figure(_figure(), "f", None) == []


def test_a_failed_save_leaves_no_file(tmp_path, monkeypatch):
    fig = _figure()

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(fig, "savefig", broken)
    with pytest.raises(RuntimeError):
        save_figure(fig, "f", tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_house_style_is_colour_blind_safe_and_set_in_one_place():
    use_house_style()
    cycle = [c.lower() for c in matplotlib.rcParams["axes.prop_cycle"].by_key()["color"]]
    assert cycle[:3] == ["#0072b2", "#e69f00", "#009e73"]  # Okabe & Ito
    assert matplotlib.rcParams["svg.hashsalt"] == "casualty-figures-workbook"
    assert set(STATUS_COLOURS) == set(STATUSES)


def test_the_png_is_each_drawn_pixel_at_its_nearest_palette_colour(tmp_path):
    """The saver reads the drawing back uncompressed and finds its colours by hashing: the PNG is still each
    pixel of matplotlib's own PNG at its nearest palette colour, as a plain per-colour lookup gives it."""
    import io

    import numpy as np
    from PIL import Image

    from casualty_workbook.charts.saving import _METADATA
    from casualty_workbook.charts.style import png_palette

    fig = _figure()
    fig.axes[0].plot([0, 1], [0.5, 1.5], color="#d55e00", alpha=0.6, linewidth=3)  # blended and anti-aliased edges
    png, _, _ = save_figure(fig, "f", tmp_path)
    drawn = io.BytesIO()
    fig.savefig(drawn, format="png", metadata=_METADATA["png"])
    pixels = np.asarray(Image.open(drawn).convert("RGB"), dtype=np.int64)
    colours = np.asarray(png_palette(), dtype=np.int64).reshape(-1, 3)
    unique, where = np.unique(pixels.reshape(-1, 3), axis=0, return_inverse=True)
    nearest = ((unique[:, None, :] - colours[None, :, :]) ** 2).sum(axis=2).argmin(axis=1)
    saved = Image.open(png)
    assert saved.mode == "P" and saved.size == (pixels.shape[1], pixels.shape[0])
    assert np.array_equal(np.asarray(saved), nearest[where.ravel()].reshape(pixels.shape[:2]))
    assert np.array_equal(np.asarray(saved.getpalette(), dtype=np.int64).reshape(-1, 3)[: len(colours)], colours)


def test_a_canvas_that_writes_its_pixels_otherwise_still_gives_the_same_png(tmp_path, monkeypatch):
    """The pixels are taken from Agg's buffer as it writes it whole; a canvas writing anything else (plain
    bytes, in pieces) gets the same pixels through an uncompressed PNG, and so the same file."""
    from casualty_workbook.charts import saving as figures

    direct = save_figure(_figure(), "f", tmp_path / "direct")[0].read_bytes()
    monkeypatch.setattr(figures._Pixels, "write", lambda self, data: len(bytes(data)))
    assert save_figure(_figure(), "f", tmp_path / "fallback")[0].read_bytes() == direct


def test_the_svg_frames_the_chart_as_the_png_does(tmp_path):
    """Both files show the same part of the figure: the tight box is measured once, as Agg measures it for
    the PNG, and the SVG takes it too (measured by its own renderer it came out a few points wider or
    narrower, and a legend beside the axes sat differently in the two files)."""
    import re

    from PIL import Image

    fig = _figure()
    fig.axes[0].legend(["a long legend entry beside the axes"], loc="upper left", bbox_to_anchor=(1.01, 1.0))
    png, svg, _ = save_figure(fig, "f", tmp_path)
    width_pt, height_pt = map(float, re.search(r'width="([\d.]+)pt" height="([\d.]+)pt"', svg.read_text()).groups())
    dpi = matplotlib.rcParams["savefig.dpi"]
    with Image.open(png) as image:
        width_px, height_px = image.size
    assert abs(width_pt * dpi / 72 - width_px) < 1 and abs(height_pt * dpi / 72 - height_px) < 1


def test_a_figure_is_drawn_once_per_format(tmp_path, monkeypatch):
    """``bbox_inches="tight"`` would lay the figure out once more per format only to measure it: the saver
    measures the box once, without drawing, then draws each format once."""
    from matplotlib.figure import Figure

    drawn = []
    draw = Figure.draw
    monkeypatch.setattr(
        Figure, "draw", lambda self, renderer: drawn.append(type(renderer).__name__) or draw(self, renderer)
    )
    save_figure(_figure(), "f", tmp_path)
    assert drawn == ["MeasuringRendererAgg", "MixedModeRenderer"]  # the PNG, the SVG


def _as_matplotlib_saves_it(fig) -> tuple[int, int]:
    import io

    from PIL import Image

    drawn = io.BytesIO()
    fig.savefig(drawn, format="png")
    return Image.open(drawn).size


def _constrained():
    use_house_style()
    fig, axes = plt.subplots(1, 2, layout="constrained")
    for ax in axes:
        ax.bar(["a much longer category name", "b"], [1, 2])
        ax.set_ylabel("a label that constrained layout makes room for")
    figure_data.attach(axes[0], figure_data.empty_rows())
    return fig


def _wrapped():
    fig = _figure()
    fig.text(0.0, -0.05, "a source line long enough to be wrapped when drawn " * 6, wrap=True)
    return fig


@pytest.mark.parametrize("make", [_constrained, _wrapped], ids=["a layout engine", "wrapped text"])
def test_a_figure_placed_only_by_drawing_gets_matplotlibs_own_box(tmp_path, make):
    """A layout engine places the axes only when the figure is drawn (such a figure is laid out before its
    box is measured), and wrapped text is measured as wrapped: the PNG frames what matplotlib's own does."""
    from PIL import Image

    png = save_figure(make(), "f", tmp_path)[0]
    with Image.open(png) as image:
        assert image.size == _as_matplotlib_saves_it(make())


def test_a_style_without_a_tight_box_saves_the_whole_figure(tmp_path):
    fig = _figure()
    with matplotlib.rc_context({"savefig.bbox": "standard"}):
        png, _, _ = save_figure(fig, "f", tmp_path)
    from PIL import Image

    dpi = matplotlib.rcParams["savefig.dpi"]
    with Image.open(png) as image:
        assert image.size == (round(fig.get_figwidth() * dpi), round(fig.get_figheight() * dpi))


def test_the_png_is_compressed_at_zlibs_level_4(tmp_path):
    """Level 4 wrote files 2.5% larger than zlib's default (6) in three quarters of its time; level 9 took six
    times as long. The PNG's zlib stream says which kind of level wrote it (FLEVEL, the top two bits of its
    second byte: 0 the fastest, 1 levels 2 to 5, 2 the default, 3 the most)."""
    png = save_figure(_figure(), "f", tmp_path)[0].read_bytes()
    idat = png.index(b"IDAT") + 4
    assert png[idat + 1] >> 6 == 1
