"""The SVG canvas the saver writes SVGs with: matplotlib's, remembering text sizes (``text_sizes``).
A backend module: ``savefig(backend=svg_canvas.BACKEND)``."""

from __future__ import annotations

import codecs

from matplotlib import cbook
from matplotlib.backends.backend_mixed import MixedModeRenderer
from matplotlib.backends.backend_svg import FigureCanvasSVG, RendererSVG

from casualty_workbook.charts.text_sizes import RememberedTextSizes

BACKEND = f"module://{__name__}"


class MeasuringRendererSVG(RememberedTextSizes, RendererSVG):
    """The SVG renderer, reading a text's size from ``text_sizes.TEXT_SIZES`` when it was measured before."""


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
