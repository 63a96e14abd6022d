"""The Agg canvas the saver draws PNGs and measures the tight box with: Agg's, remembering text sizes
(``text_sizes``) and placing glyphs with less work per glyph. A backend module:
``savefig(backend=agg_canvas.BACKEND)``.

Drawing text is most of drawing a chart to pixels: a report's PNGs place about 2,300 glyphs. Agg's
``draw_text`` (matplotlib 3.11) sets the font's size again before every glyph, and FreeType then
recomputes the size's metrics: about 25 of the 55 µs a glyph cost. ``MeasuringRendererAgg.draw_text`` does
what Agg's does, in the same order with the same numbers, but sets a size only when the glyph's font or
size differs from the one before and computes the text's rotation once. The pixels are the same
(``tests/test_agg_canvas.py`` compares them with Agg's own, and the benchmark every build's figures with
the committed ones).

A report's charts draw many texts more than once (tick labels, the status legend, axis titles: a
quarter of a report's characters). Shaping a text places each glyph, about 24 µs a character, and
gives the same glyphs at the same offsets for the same font, size, resolution, hinting and text:
``GLYPH_LAYOUTS`` keeps them for the next drawing.

Its fonts are read from memory (``memory_fonts``), not through a file on disk: shaping a text costs
half as much.

It calls the font's glyph methods as Agg's ``draw_text`` does (``_layout``, ``_set_transform``,
``_render_glyph``) and prepares fonts as Agg's ``_prepare_font`` does: matplotlib has no public way to
draw a shaped glyph or to choose a renderer's fonts. It does so only under the matplotlib it was checked
against (``memory_fonts.CHECKED_RELEASE``); under any other it leaves the fonts and the drawing to Agg.
"""

from __future__ import annotations

import math

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg, RendererAgg, get_hinting_flag
from matplotlib.ft2font import RenderMode

from casualty_workbook.charts import memory_fonts
from casualty_workbook.charts.text_sizes import RememberedTextSizes

BACKEND = f"module://{__name__}"
# Texts shaped for drawing in this process (a kernel: one report): font, size, resolution, hinting and
# text → its glyphs (font, index, offset). Emptied when full, so never more than this.
GLYPH_LAYOUTS: dict[tuple, tuple] = {}
MAX_GLYPH_LAYOUTS = 5_000


class MeasuringRendererAgg(RememberedTextSizes, RendererAgg):
    """Agg's renderer, reading a text's size from ``text_sizes.TEXT_SIZES`` when it was measured before,
    and drawing plain (not math) text glyph by glyph as Agg does, without setting the size per glyph."""

    # the release whose Agg ``draw_text`` and ``_prepare_font`` these repeat: ``memory_fonts.CHECKED_RELEASE``
    glyph_loop = memory_fonts.IN_USE

    def _prepare_font(self, font_prop):
        """Agg's font for ``font_prop``, cleared and sized, its files read from memory (``memory_fonts``):
        what Agg measures and draws a text with. Under another matplotlib, Agg's own."""
        if not self.glyph_loop:
            return super()._prepare_font(font_prop)
        font = memory_fonts.font_of(font_prop)
        font.clear()
        font.set_size(font_prop.get_size_in_points(), self.dpi)
        return font

    def draw_text(self, gc, x, y, s, prop, angle, ismath=False, mtext=None):
        if ismath or not self.glyph_loop:
            return super().draw_text(gc, x, y, s, prop, angle, ismath=ismath, mtext=mtext)
        font = self._prepare_font(prop)
        size = prop.get_size_in_points()
        flags = get_hinting_flag()  # read once a text: shaping and rendering load the glyphs alike
        self._draw_glyphs(gc, x, y, angle, size, flags, self._shaped(font, size, flags, s, mtext))

    def _shaped(self, font, size: float, flags, s: str, mtext) -> tuple:
        """The glyphs of ``s`` as Agg's ``draw_text`` shapes them, from ``GLYPH_LAYOUTS`` when shaped before.

        ``font`` is the one ``_prepare_font`` found and sized: one object per font files, kerning and
        thread (``memory_fonts.font_for`` keeps them, as matplotlib's ``get_font`` does), so it stands for
        all of those in the key. A text with font features or a language of its own is shaped each time
        (the workbook sets none)."""
        features = mtext.get_fontfeatures() if mtext is not None else None
        language = mtext.get_language() if mtext is not None else None
        if features is not None or language is not None:
            return tuple(font._layout(s, flags=flags, features=features, language=language))
        key = (font, size, self.dpi, flags, s)
        items = GLYPH_LAYOUTS.get(key)
        if items is None:
            items = tuple(font._layout(s, flags=flags, features=None, language=None))
            if len(GLYPH_LAYOUTS) >= MAX_GLYPH_LAYOUTS:
                GLYPH_LAYOUTS.clear()
            GLYPH_LAYOUTS[key] = items
        return items

    def _draw_glyphs(self, gc, x, y, angle, size, load_flags, items) -> None:
        """Agg's ``_draw_text_glyphs_and_boxes`` for a shaped text (no boxes, no slant, no stretch):
        the same transform and position for each glyph, the size set when the font changes."""
        cos = math.cos(math.radians(angle))
        sin = math.sin(math.radians(angle))
        # Agg's product with the identity (no stretch, no slant) kept as it is: the same rounding
        matrix = (0x10000 * np.array([[cos, -sin], [sin, cos]]) @ [[1, 0], [0, 1]]).round().astype(int)
        solid = not gc.get_antialiased()
        mode = RenderMode.MONO if solid else RenderMode.NORMAL
        height = self.height
        sized = None
        for item in items:  # dy is upwards
            font = item.ft_object
            if font is not sized:
                font.set_size(size, self.dpi)
                sized = font
            dx, dy = item.x, item.y
            font._set_transform(
                matrix,
                # FreeType's y is upwards.
                [round(0x40 * (x + dx * cos - dy * sin)), round(0x40 * (height - y + dx * sin + dy * cos))],
            )
            bitmap = font._render_glyph(item.glyph_index, load_flags, mode)
            buffer = bitmap.buffer
            if solid:
                buffer *= 0xFF
            # draw_text_image's y is downwards & the bitmap bottom side.
            self._renderer.draw_text_image(buffer, bitmap.left, int(height) - bitmap.top + buffer.shape[0], 0, gc)


class FigureCanvas(FigureCanvasAgg):
    """Agg's canvas drawing with ``MeasuringRendererAgg`` (a new one when the size or resolution changes)."""

    _renderer_key: tuple | None = None

    def get_renderer(self) -> MeasuringRendererAgg:
        width, height = self.get_width_height(physical=True)
        key = (width, height, self.figure.dpi)
        if self._renderer_key != key:
            self.renderer = MeasuringRendererAgg(width, height, self.figure.dpi)
            self._renderer_key = key
        return self.renderer
