"""The Agg canvas the saver draws PNGs and measures the tight box with: Agg's, remembering text sizes
(``text_sizes``). A backend module: ``savefig(backend=agg_canvas.BACKEND)``."""

from __future__ import annotations

from matplotlib.backends.backend_agg import FigureCanvasAgg, RendererAgg

from casualty_workbook.charts.text_sizes import RememberedTextSizes

BACKEND = f"module://{__name__}"


class MeasuringRendererAgg(RememberedTextSizes, RendererAgg):
    """Agg's renderer, reading a text's size from ``text_sizes.TEXT_SIZES`` when it was measured before."""


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
