"""The SVG canvas the saver writes SVGs with: matplotlib's, remembering text sizes (``text_sizes``) and
measuring texts with fonts read from memory (``memory_fonts``). A backend module:
``savefig(backend=svg_canvas.BACKEND)``."""

from __future__ import annotations

import codecs

from matplotlib import cbook
from matplotlib.backends.backend_mixed import MixedModeRenderer
from matplotlib.backends.backend_svg import FigureCanvasSVG, RendererSVG
from matplotlib.ft2font import LoadFlags
from matplotlib.textpath import TextToPath

from casualty_workbook.charts import memory_fonts
from casualty_workbook.charts.text_sizes import RememberedTextSizes

BACKEND = f"module://{__name__}"


class _RendererSVGFontsInMemory(RendererSVG):
    """The SVG renderer measuring plain text as matplotlib's ``TextToPath`` measures it (the SVG renderer
    asks it), with the font's files read from memory. Under another matplotlib, as the SVG renderer does."""

    def get_text_width_height_descent(self, s, prop, ismath):
        if ismath or not memory_fonts.IN_USE:
            return super().get_text_width_height_descent(s, prop, ismath)
        font = memory_fonts.font_of(prop)
        # TextToPath shapes at its own size and resolution, unhinted, and scales to the text's size
        font.set_size(TextToPath.FONT_SCALE, TextToPath.DPI)
        font.set_text(s, 0.0, flags=LoadFlags.NO_HINTING)
        w, h = font.get_width_height()
        d = font.get_descent()
        scale = prop.get_size_in_points() / TextToPath.FONT_SCALE
        return w / 64.0 * scale, h / 64.0 * scale, d / 64.0 * scale


class MeasuringRendererSVG(RememberedTextSizes, _RendererSVGFontsInMemory):
    """The SVG renderer, reading a text's size from ``text_sizes.TEXT_SIZES`` when it was measured before,
    and measuring it with fonts read from memory otherwise."""


class FigureCanvas(FigureCanvasSVG):
    """``FigureCanvasSVG`` drawing with ``MeasuringRendererSVG``.

    ``print_svg`` is matplotlib's (3.11) with the renderer's class changed: the canvas offers no other
    way to choose it. A test compares its files with matplotlib's own, byte for byte."""

    def print_svg(self, filename, *, bbox_inches_restore=None, metadata=None, **_drawn_elsewhere) -> None:
        # ``savefig`` hands a canvas outside matplotlib every setting (dpi, facecolor, edgecolor,
        # orientation); the SVG takes them from the figure, as matplotlib's own canvas does
        with cbook.open_file_cm(filename, "w", encoding="utf-8") as fh:
            if not cbook.file_requires_unicode(fh):
                fh = codecs.getwriter("utf-8")(fh)
            dpi = self.figure.dpi
            self.figure.dpi = 72
            width, height = self.figure.get_size_inches()
            w, h = width * 72, height * 72
            renderer = MixedModeRenderer(
                self.figure,
                width,
                height,
                dpi,
                MeasuringRendererSVG(w, h, fh, image_dpi=dpi, metadata=metadata),
                bbox_inches_restore=bbox_inches_restore,
            )
            self.figure.draw(renderer)
            renderer.finalize()
