"""Each text measured once in a process, not once per drawing: the sizes the saver's renderers share.

Placing a text (a tick label, a bar's number, the source line) needs its size, and matplotlib measures
it again for every renderer: the saver's measure of the tight box, the PNG's drawing and the SVG's each
make one, and every chart of a report measures the same tick labels and legend entries anew. With the
font shaped by HarfBuzz (matplotlib 3.11) a measure costs about 17 µs a character: in a profile of
twenty event reports, 13% of saving their charts. A text's size depends only on the text, its font
properties, the renderer's kind and resolution and the font settings, so a renderer with
``RememberedTextSizes`` keeps each size it measured (``TEXT_SIZES``) and the next renderer of its kind
reads it there: the same numbers, so the same pixels and the same SVG.

The renderers plug into matplotlib as backend modules (``savefig(backend="module://…")``, the public
way to draw a file with another canvas): ``agg_canvas`` and ``svg_canvas``.
"""

from __future__ import annotations

import matplotlib as mpl
from matplotlib import font_manager

# The settings a text's size depends on besides its own font properties: how glyphs are hinted, and
# which fonts a family name (``sans-serif``) stands for.
_FONT_SETTINGS = (
    "text.hinting",
    "text.hinting_factor",
    "font.serif",
    "font.sans-serif",
    "font.cursive",
    "font.fantasy",
    "font.monospace",
)
# Sizes measured in this process (a kernel runs one report): renderer's kind and resolution, text, font
# properties and font settings → width, height and descent. Emptied when full, so never more than this.
TEXT_SIZES: dict[tuple, tuple[float, float, float]] = {}
MAX_TEXT_SIZES = 20_000


def _font_settings() -> tuple:
    settings = tuple(
        tuple(value) if isinstance(value, list) else value for value in map(mpl.rcParams.get, _FONT_SETTINGS)
    )
    # a font added while the process runs (``fontManager.addfont``) may change what a family name finds
    return (*settings, len(font_manager.fontManager.ttflist))


class RememberedTextSizes:
    """A renderer mix-in: ``get_text_width_height_descent`` read from ``TEXT_SIZES`` when measured before."""

    def get_text_width_height_descent(self, s, prop, ismath):
        if ismath:  # mathtext and TeX are measured as the renderer measures them (the workbook draws neither)
            return super().get_text_width_height_descent(s, prop, ismath)
        # the font properties copied: the caller may change its own later
        key = (type(self), getattr(self, "dpi", None), s, prop.copy(), _font_settings())
        size = TEXT_SIZES.get(key)
        if size is None:
            size = super().get_text_width_height_descent(s, prop, ismath)
            if len(TEXT_SIZES) >= MAX_TEXT_SIZES:
                TEXT_SIZES.clear()
            TEXT_SIZES[key] = size
        return size
