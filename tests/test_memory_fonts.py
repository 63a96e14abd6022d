"""The saver's renderers read their fonts from memory and measure, shape and draw as with matplotlib's own."""

from __future__ import annotations

import io
import os
import threading
import warnings

import matplotlib as mpl
import pytest
from matplotlib.backends.backend_svg import RendererSVG
from matplotlib.font_manager import FontPath, FontProperties, fontManager, get_font
from matplotlib.ft2font import LoadFlags

from casualty_workbook.charts import agg_canvas, memory_fonts, svg_canvas, text_sizes

TEXTS = [
    "Regional governor",
    "at least 17 killed, 43 wounded",
    "وزارة الدفاع",
    "fallback \u2a03 here",
    "Ünïcödé ÿ",
    " ",
]
FAMILIES = [["DejaVu Sans"], ["DejaVu Sans", "STIXGeneral"], ["DejaVu Serif"]]
# a glyph no font of a family has is drawn as a box and warned of, by matplotlib's fonts and these alike
pytestmark = pytest.mark.filterwarnings("ignore:Glyph .* missing from font")


@pytest.fixture(autouse=True)
def fresh(monkeypatch):
    monkeypatch.setattr(memory_fonts, "FONTS", {})
    monkeypatch.setattr(text_sizes, "TEXT_SIZES", {})


def _paths(family: list[str], weight: str = "normal"):
    return fontManager._find_fonts_by_props(FontProperties(family=family, weight=weight))


def _glyphs(font, s: str) -> list[tuple]:
    return [
        (item.ft_object.family_name, item.glyph_index, item.x, item.y)
        for item in font._layout(s, flags=LoadFlags.DEFAULT, features=None, language=None)
    ]


@pytest.mark.parametrize("family", FAMILIES)
@pytest.mark.parametrize("weight", ["normal", "bold"])
def test_a_font_from_memory_measures_and_shapes_as_matplotlib_s(family, weight):
    paths = _paths(family, weight)
    ours, theirs = memory_fonts.font_for(paths), get_font(paths)
    assert ours is not theirs and isinstance(ours.fname, io.BytesIO)
    for size, dpi in ((9, 200), (100, 72)):
        for s in TEXTS:
            for font in (ours, theirs):
                font.set_size(size, dpi)
                font.set_text(s, 0.0, flags=LoadFlags.DEFAULT)
            assert ours.get_width_height() == theirs.get_width_height(), s
            assert ours.get_descent() == theirs.get_descent(), s
            assert _glyphs(ours, s) == _glyphs(theirs, s), s


def test_a_glyph_no_font_has_is_reported_as_matplotlib_reports_it():
    paths = _paths(["DejaVu Sans"])
    said = []
    for font in (memory_fonts.font_for(paths), get_font(paths)):
        font.set_size(9, 72)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            font.set_text("\u6f22", 0.0, flags=LoadFlags.DEFAULT)
        said.append([str(w.message) for w in caught])
    assert said[0] == said[1] and "missing from font(s) DejaVu Sans" in said[0][0]


def test_one_font_object_per_files_and_thread():
    paths = _paths(["DejaVu Sans"])
    font = memory_fonts.font_for(paths)
    assert memory_fonts.font_for(paths) is font
    assert memory_fonts.font_for([str(p) for p in paths]) is font  # paths given as plain strings
    assert memory_fonts.font_for(_paths(["DejaVu Sans"], "bold")) is not font
    elsewhere = []
    worker = threading.Thread(target=lambda: elsewhere.append(memory_fonts.font_for(paths)))
    worker.start()
    worker.join()
    assert elsewhere[0] is not font  # FreeType's objects are not shared between threads


def test_two_faces_of_one_file_are_two_fonts():
    path = str(_paths(["DejaVu Sans"])[0])
    assert memory_fonts._named([FontPath(path, 0)]) != memory_fonts._named([FontPath(path, 1)])
    assert memory_fonts._named(path) == memory_fonts._named([FontPath(path, 0)])


def _outline(font) -> bytes:
    """A glyph's outline as loaded: FreeType applies the font's transform to it."""
    font.load_char(ord("R"), flags=LoadFlags.DEFAULT)
    vertices, _ = font.get_path()
    return vertices.tobytes()


def test_the_transform_a_drawing_left_is_reset_for_the_next_caller():
    paths = _paths(["DejaVu Sans"])
    font = memory_fonts.font_for(paths)
    font.set_size(9, 200)  # (setting a size resets the transform too: get_font's caller may not set one)
    plain = _outline(font)
    font._set_transform([[0, -0x10000], [0x10000, 0]], [640, 320])  # as Agg's glyph loop leaves it
    assert _outline(memory_fonts.font_for(paths)) == plain


def test_the_fonts_kept_are_bounded(monkeypatch):
    monkeypatch.setattr(memory_fonts, "MAX_FONTS", 2)
    for family in FAMILIES:
        memory_fonts.font_for(_paths(family))
    assert 0 < len(memory_fonts.FONTS) <= 2


def test_a_forked_child_starts_without_the_parent_s_fonts():
    memory_fonts.font_for(_paths(["DejaVu Sans"]))
    assert memory_fonts.FONTS and memory_fonts.FONT_FILES
    pid = os.fork()
    if pid == 0:  # the child: no font objects (FreeType's), the files' bytes still read
        os._exit(0 if not memory_fonts.FONTS and memory_fonts.FONT_FILES else 1)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0


def test_agg_measures_and_draws_with_fonts_from_memory():
    font = agg_canvas.MeasuringRendererAgg(10, 10, 200)._prepare_font(FontProperties(size=9))
    assert isinstance(font.fname, io.BytesIO)
    assert font in memory_fonts.FONTS.values()


@pytest.mark.parametrize("size", [6.5, 9, 13])
def test_the_svg_renderer_measures_as_matplotlib_s(size):
    ours = svg_canvas.MeasuringRendererSVG(100, 100, io.StringIO())
    theirs = RendererSVG(100, 100, io.StringIO())
    for family in FAMILIES:
        prop = FontProperties(family=family, size=size)
        for s in TEXTS:
            assert ours.get_text_width_height_descent(s, prop, False) == theirs.get_text_width_height_descent(
                s, prop, False
            ), s
    assert memory_fonts.FONTS  # measured with fonts from memory
    math = r"$x^2_{i}$"
    prop = FontProperties(size=size)
    assert ours.get_text_width_height_descent(math, prop, True) == theirs.get_text_width_height_descent(
        math, prop, True
    )


def test_under_another_matplotlib_the_svg_renderer_measures_with_its_own_fonts(monkeypatch):
    monkeypatch.setattr(memory_fonts, "IN_USE", False)
    monkeypatch.setattr(memory_fonts, "font_of", lambda *a: pytest.fail("a font from memory under another release"))
    prop = FontProperties(size=9)
    measured = svg_canvas.MeasuringRendererSVG(100, 100, io.StringIO()).get_text_width_height_descent(
        "x y", prop, False
    )
    assert measured == RendererSVG(100, 100, io.StringIO()).get_text_width_height_descent("x y", prop, False)


def test_the_checked_release_is_the_locked_one():
    # A newer matplotlib turns the fonts from memory off until its get_font and TextToPath are read again.
    assert memory_fonts.IN_USE, f"matplotlib {mpl.__version__}: compare memory_fonts.font_for with its get_font"
