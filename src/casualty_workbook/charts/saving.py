"""The one function that saves figures: every format plus the table drawn, no dates or versions, atomic writes."""

from __future__ import annotations

import base64
import os
from pathlib import Path

import matplotlib as mpl
import matplotlib.pyplot as plt
from matplotlib.transforms import Bbox

from casualty_workbook.charts import agg_canvas, chart_data, svg_canvas
from casualty_workbook.charts.style import png_palette
from casualty_workbook.core.files import atomic_write
from casualty_workbook.core.notebook_outputs import FIGURE_MIME

FORMATS = ("png", "svg")
# zlib's level for the PNG (see _write_png)
PNG_COMPRESS_LEVEL = 4
# Metadata that would change between runs or machines is left out, so output is byte-identical.
_METADATA = {
    "png": {"Software": None},
    "svg": {"Creator": None, "Date": None, "Format": None, "Type": None},
}


class _Pixels:
    """A file for ``savefig(format="rgba")`` that keeps the pixels written: Agg writes its buffer whole, a
    memoryview of height × width × RGBA. Anything else written is kept as None (the caller then draws a PNG)."""

    pixels = None

    def seek(self, *args) -> int:
        return 0

    def write(self, data) -> int:
        import numpy as np

        view = memoryview(data)
        self.pixels = np.array(view, dtype=np.uint8, copy=True) if view.ndim == 3 and view.shape[2] == 4 else None
        return view.nbytes


def _saved_box(fig: plt.Figure) -> Bbox | str:
    """The part of the figure every format saves, in inches: with the house style's ``savefig.bbox: tight``,
    the tight box around what is drawn and its padding, measured once as Agg measures it for the PNG.

    ``savefig(bbox_inches="tight")`` lays the figure out once more per format just to measure it, and
    each format's renderer measures text a little differently, so the SVG's frame was a few points off
    the PNG's. Measured once, without that extra layout, both files show the PNG's frame. Any other
    setting is handed to ``savefig`` as it is.
    """
    setting = mpl.rcParams["savefig.bbox"]
    if setting != "tight":
        return setting
    dpi = mpl.rcParams["savefig.dpi"]
    shown_dpi = fig.dpi
    if dpi != "figure":  # measured at the PNG's resolution, as savefig measures it
        fig.set_dpi(dpi)
    try:
        # Measuring places ticks, titles, legends, annotations and wrapped text as drawing would; only a
        # layout engine (constrained, tight) moves the axes when drawn, so such a figure is drawn first.
        if fig.get_layout_engine() is not None:
            fig.draw_without_rendering()
        # Measuring draws nothing: a renderer of one pixel, not a cleared buffer of the figure's size
        box = fig.get_tightbbox(agg_canvas.MeasuringRendererAgg(1, 1, fig.dpi))
    finally:
        fig.set_dpi(shown_dpi)
    pad = mpl.rcParams["savefig.pad_inches"]
    return box.padded(pad, pad)


def _drawn_pixels(fig: plt.Figure, box: Bbox | str):
    """The figure as saved to PNG, as height × width × RGBA pixels: drawn by Agg and taken from its buffer,
    neither compressed to a PNG nor decoded again (a quarter of the drawing's time went to that)."""
    import io

    import numpy as np
    from PIL import Image

    grab = _Pixels()
    # drawn by Agg, with the sizes of texts the box's measure (or an earlier chart) measured already
    fig.savefig(grab, format="rgba", bbox_inches=box, backend=agg_canvas.BACKEND)
    if grab.pixels is not None:
        return grab.pixels
    drawn = io.BytesIO()  # a canvas that wrote its pixels otherwise: the same pixels, through a PNG
    fig.savefig(drawn, format="png", metadata=_METADATA["png"], bbox_inches=box, pil_kwargs={"compress_level": 0})
    drawn.seek(0)
    return np.asarray(Image.open(drawn).convert("RGBA"), dtype=np.uint8)


def _write_png(fig: plt.Figure, handle, box: Bbox | str) -> None:
    """The figure as an indexed-colour PNG: a chart draws with few colours (``style.DRAWN_COLOURS``), so a
    palette of those and their shades towards white (anti-aliased edges) keeps each colour exactly at a
    third of the size, and the pages and notebooks stay light. The same figure gives the same bytes."""
    import numpy as np
    import pandas as pd
    from PIL import Image

    rgba = np.ascontiguousarray(_drawn_pixels(fig, box))
    colours = np.asarray(png_palette(), dtype=np.int64).reshape(-1, 3)
    # Each pixel as one number (red, green and blue; alpha dropped, as a conversion to RGB drops it).
    packed = (rgba.view("<u4")[..., 0] & 0xFFFFFF).ravel()
    # Most of a chart is its white ground: only the other pixels are looked at one by one.
    inked = packed != 0xFFFFFF
    # The colours drawn, by hashing (a chart has a few hundred among a million pixels; sorting them all cost more).
    where, unique = pd.factorize(packed[inked])
    unique = np.append(np.asarray(unique, dtype=np.int64), 0xFFFFFF)
    rgb = np.stack([unique & 255, (unique >> 8) & 255, (unique >> 16) & 255], axis=1)
    # each colour drawn goes to its nearest palette colour, exactly (Pillow's own lookup is approximate)
    nearest = ((rgb[:, None, :] - colours[None, :, :]) ** 2).sum(axis=2).argmin(axis=1).astype(np.uint8)
    indexed = np.full(packed.shape, nearest[-1], dtype=np.uint8)
    indexed[inked] = nearest[:-1][where]
    image = Image.fromarray(indexed.reshape(rgba.shape[:2]), mode="P")
    image.putpalette(colours.astype(np.uint8).ravel().tolist())
    # zlib's level 4: on the workbook's charts it wrote files 2.5% larger than the default level 6 in three
    # quarters of the time (12.9 against 16.7 ms a chart), level 3 files 14% larger, level 9 files 11%
    # smaller in six times the time.
    image.save(handle, format="PNG", compress_level=PNG_COMPRESS_LEVEL)


def _canvas(fmt: str) -> dict:
    """``savefig``'s backend for a format: for SVG, one that reuses the sizes of texts measured before
    (``text_sizes``); any other format as matplotlib chooses."""
    return {"backend": svg_canvas.BACKEND} if fmt == "svg" else {}


def _png_size(png: bytes) -> tuple[int, int]:
    """Width and height in pixels, from the PNG's header chunk."""
    return int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")


def _announce(fig: plt.Figure, name: str, written: list[Path]) -> None:
    """Inside a kernel, name the figure saved in the cell's output, and show it there.

    With the inline backend the output carries the PNG just written and the figure is closed:
    the notebook shows exactly the file saved, and the backend does not draw the chart twice
    more (once for pyplot's redraw after the cell, once for its own image). A report page shows
    the saved files in this output's place.
    """
    try:
        from IPython.core.interactiveshell import InteractiveShell
    except ImportError:
        return
    if not InteractiveShell.initialized():
        return
    from IPython.display import display

    data: dict = {FIGURE_MIME: {"name": name, "files": [p.name for p in written]}, "text/plain": ""}
    metadata: dict = {}
    png = next((p for p in written if p.suffix == ".png"), None)
    if png is not None and "inline" in mpl.get_backend():
        image = png.read_bytes()
        width, height = _png_size(image)
        saved_dpi = mpl.rcParams["savefig.dpi"]
        scale = 1.0 if saved_dpi == "figure" else fig.dpi / float(saved_dpi)  # shown at the inline image's size
        data["image/png"] = base64.b64encode(image).decode("ascii")
        metadata["image/png"] = {"width": round(width * scale), "height": round(height * scale)}
        plt.close(fig)
    display(data, metadata=metadata, raw=True)


def save_figure(
    fig: plt.Figure, name: str, directory: str | Path | None, *, formats: tuple[str, ...] = FORMATS
) -> list[Path]:
    """Save ``fig`` as ``directory/name.<format>`` for each format and ``name.csv``; returns the paths written.

    The CSV holds the rows the figure's chart functions attached (``figure_data``): a figure
    with none is an error, raised before anything is written. Nothing is written when
    ``directory`` is None (an analyst exploring in JupyterLab). Each file is written whole or
    not at all (``files.atomic_write``), so an interrupted save never leaves a truncated file.
    """
    table = chart_data.collect(fig, name)
    if directory is None:
        return []
    folder = Path(directory)
    folder.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("SOURCE_DATE_EPOCH", "0")
    written = []
    box = _saved_box(fig)
    with mpl.rc_context({"svg.hashsalt": "casualty-figures-workbook"}):
        for fmt in formats:
            written.append(
                atomic_write(
                    folder / f"{name}.{fmt}",
                    (lambda handle: _write_png(fig, handle, box))
                    if fmt == "png"
                    else (
                        lambda handle, fmt=fmt: fig.savefig(
                            handle, format=fmt, metadata=_METADATA.get(fmt), bbox_inches=box, **_canvas(fmt)
                        )
                    ),
                )
            )
    written.append(atomic_write(folder / f"{name}.csv", chart_data.csv_bytes(table)))
    _announce(fig, name, written)
    return written
