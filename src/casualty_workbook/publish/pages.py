"""Report pages built for reading: the notebook's narrative, each figure as Chart | Data | Sources.

Why not nbconvert's HTML exporter: with ``sanitize_html`` on, its ``clean_html`` filter runs
bleach with ``strip=False`` and an allowlist without headings, paragraphs, ``thead``/``th``
or ``style``, so every markdown cell's ``<h1>``/``<p>`` and every DataFrame's
``<style scoped>`` were *escaped* into visible text; its templates also load require.js and
MathJax from a CDN. Here markdown is rendered with mistune and every piece of HTML that came
from a notebook (markdown, ``text/html`` outputs) goes through one allowlist sanitiser
(``sanitize``, ammonia via nh3): markup is kept, scripts, styles, event handlers and images
that would load from elsewhere are removed, not shown. The page's own markup comes from a
template (``templates/report.html``), its interactive tables from itables in offline mode: the
DataTables bundle is written once into the reports folder (``SHARED_SCRIPT``, by
``write_shared_script``) and every page loads it from there by a relative address, so a page
works from ``file://`` and nothing is fetched from the network.

What a reader meets is in words: the Data tab opens with who said each figure, the source, the
date, the status and the figure as worded, under headings from the codebook (``DATA_HEADINGS``),
with statuses and metrics in words; a chart is shown at least wide enough for its smallest text
to read at ``READABLE_PX`` CSS pixels, and scrolls sideways in its own frame where the column is
narrower (a phone), never the page.

Nothing build-specific reaches a page: the injected-parameters cell (it names the build's
scratch folder) is left out, stderr is left out, and the same inputs give the same bytes.
"""

from __future__ import annotations

import base64
import html
import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path

import nh3
import pandas as pd
from pygments import highlight
from pygments.formatters.html import HtmlFormatter

# Imported from its module, not pygments.lexers: that package's lazy loader can fail when two
# reports' pages are rendered at once in the build's threads.
from pygments.lexers.python import PythonLexer

from casualty_workbook.core.files import FILE_MODE, atomic_write
from casualty_workbook.core.notebook_outputs import FIGURE_MIME  # not from figures: that would import matplotlib here
from casualty_workbook.data.loading import load_table
from casualty_workbook.data.missing import is_missing
from casualty_workbook.data.schemas import METRIC_WORDS, POPULATION_LABELS, QUALIFIER_WORDS, STATUS_WORDS

TEMPLATES = Path(__file__).resolve().parent / "templates"
WIDGET_MIME = "application/vnd.jupyter.widget-view+json"
# Tags a notebook's HTML may keep. No img: an output's images come as image/png, and an
# <img> in HTML could load from the network.
_TAGS = set(nh3.ALLOWED_TAGS) - {"img"}
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


def sanitize(fragment: str) -> str:
    """Keep the markup of ``fragment``; remove scripts, styles (with their content), handlers and images."""
    return nh3.clean(
        fragment,
        tags=_TAGS,
        clean_content_tags={"script", "style"},
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer",
    )


@cache
def _markdown():
    import mistune

    return mistune.create_markdown(escape=False, plugins=["table", "strikethrough"])


@lru_cache(maxsize=1024)  # likewise its markdown cells
def markdown_html(text: str) -> str:
    """Markdown as sanitised HTML (headings, paragraphs, lists, tables, emphasis, links)."""
    return sanitize(_markdown()(text))


@lru_cache(maxsize=1024)  # a notebook's code is the same in each of its reports: highlighted once per process
def _code_html(source: str) -> str:
    return highlight(source, PythonLexer(), HtmlFormatter(nowrap=True, noclasses=True))


@dataclass(frozen=True)
class FigureFiles:
    """One saved figure of a report: its name and the table it drew."""

    name: str
    table: pd.DataFrame  # the CSV as text, exactly as written


def read_figure(out_dir: Path, name: str) -> FigureFiles:
    path = out_dir / f"{name}.csv"
    table = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8") if path.is_file() else pd.DataFrame()
    return FigureFiles(name, table)


@cache
def _itables_init() -> str:
    """The DataTables bundle and its CSS (itables' offline mode), as the one script itables writes."""
    from itables.javascript import generate_init_offline_itables_html
    from itables.utils import find_package_file

    return generate_init_offline_itables_html(find_package_file("html/dt_bundle.js"))


@cache
def shared_script_name() -> str:
    """The file every page loads the table library from, named by its version (a new one is a new file)."""
    from itables import __version__

    return f"itables-{__version__}.js"


@cache
def shared_script() -> bytes:
    """The table library as a script file: the code of itables' offline ``<script>``, without its tags."""
    init = _itables_init()
    start = init.index("<script>") + len("<script>")
    return init[start : init.index("</script>", start)].strip().encode("utf-8") + b"\n"


def write_shared_script(folder: Path, *, scratch: Path | None = None) -> Path:
    """Write the table library once into ``folder`` (where the pages are), unless it is there already."""
    path = Path(folder) / shared_script_name()
    data = shared_script()
    # rewritten when its bytes differ, or its mode (one written 0600 before files took the user's umask)
    if not (path.is_file() and path.read_bytes() == data and path.stat().st_mode & 0o777 == FILE_MODE):
        atomic_write(path, data, scratch=scratch)
    return path


# The Data tab's columns, first to last, with their headings (the CSV keeps its own names and order):
# who said it, where, when and how far it was checked come first, then the number.
DATA_HEADINGS = {
    "claimant": "Who said it",
    "source": "Source",
    "date": "Date",
    "status": "Status",
    "wording": "Figure as worded",
    "metric": "What was counted",
    "category": "Who or what",
    "drawn": "Value drawn",
    "low": "Low",
    "best": "Best",
    "high": "High",
    "qualifier": "Wording",
    "unit": "Unit",
    "event": "Event",
    "id": "Figure",
    "mark": "Drawn as",
    "panel": "Panel",
}


def reader_columns(table: pd.DataFrame, publishers: Mapping[str, str] | None = None) -> pd.DataFrame:
    """A figure's table as a reader reads it: ``DATA_HEADINGS``' order and headings, codes in words
    (statuses, metrics, wordings, populations; a source by its publisher, from ``publishers``: source id →
    publisher, ``SourceBook.publishers``), any other column after them."""
    words = {
        "status": STATUS_WORDS,
        "metric": METRIC_WORDS,
        "qualifier": QUALIFIER_WORDS,
        "category": POPULATION_LABELS,
    }
    if publishers:
        words["source"] = publishers
    shown = table.copy()
    for column, mapping in words.items():
        if column in shown.columns:
            shown[column] = [
                "; ".join(mapping.get(part.strip(), part.strip()) for part in str(cell).split(";")) if cell else cell
                for cell in shown[column]
            ]
    order = [c for c in DATA_HEADINGS if c in shown.columns] + [c for c in shown.columns if c not in DATA_HEADINGS]
    headings = {c: DATA_HEADINGS.get(c, c.replace("_", " ").capitalize()) for c in order}
    return shown[order].rename(columns=headings)


def data_table_html(table: pd.DataFrame, table_id: str) -> str:
    """A sortable, searchable table (itables, offline) of the CSV's text cells; DataTables sorts numbers as numbers."""
    from itables import to_html_datatable

    return to_html_datatable(
        table,
        table_id=table_id,
        connected=False,
        showIndex=False,
        display_logo_when_loading=False,
        # Not itables' default layout, which it hides for a table that fits one page: the search box stays.
        layout={"topStart": "search", "topEnd": "info", "bottomStart": "pageLength", "bottomEnd": "paging"},
        classes="display compact",
        maxBytes=0,
        allow_html=False,
        warn_on_undocumented_option=False,
        warn_on_unexpected_option_type=False,  # the options above are fixed: not type-checked for every table
        # A click on a column's heading sorts it (not only on its small icon); widths are not
        # measured up front, since the table starts in a hidden tab.
        text_in_header_can_be_selected=False,
        autoWidth=False,
    )


@dataclass(frozen=True)
class SourceBook:
    """The sources table as a page looks it up, made once per page (not once per figure: an import
    can leave thousands of sources): each source's publisher, and its entry in a Sources tab."""

    publishers: dict[str, str]
    entries: dict[str, dict[str, str]]

    @classmethod
    def of(cls, sources: pd.DataFrame) -> SourceBook:
        if not len(sources) or "source_id" not in sources.columns:
            return cls({}, {})
        publishers = (
            dict(zip(sources["source_id"].astype(str), sources["publisher"].astype(str), strict=False))
            if "publisher" in sources.columns
            else {}
        )
        entries = {}
        for row in sources.drop_duplicates("source_id").to_dict("records"):
            published, url, why = row.get("published"), row.get("url"), row.get("no_url_reason")
            entries[str(row["source_id"])] = {
                "title": _text(row.get("title")),
                "publisher": _text(row.get("publisher")),
                "date": "" if is_missing(published) else pd.Timestamp(published).strftime("%d %B %Y").lstrip("0"),
                "url": str(url) if isinstance(url, str) and url else "",
                "why_no_url": str(why) if isinstance(why, str) else "",
            }
        return cls(publishers, entries)


def _text(value: object) -> str:
    """A cell as text for a reader: a missing value (None, NaN, NA) as ''."""
    return "" if is_missing(value) else str(value)


_UNLISTED = {"title": "", "publisher": "", "date": "", "url": "", "why_no_url": ""}


def _sources_of(table: pd.DataFrame, book: SourceBook) -> list[dict]:
    """The Sources tab of a figure: each source its table cites (a cell may cite several, by ';'), by id."""
    ids = sorted(
        {
            part.strip()
            for cell in table.get("source", pd.Series([], dtype=str))
            for part in str(cell).split(";")
            if part.strip()
        }
    )
    return [{"id": source_id, **book.entries.get(source_id, _UNLISTED)} for source_id in ids]


def _load_sources(data_dir: Path | None) -> SourceBook:
    try:
        return SourceBook.of(load_table("sources", data_dir))
    except Exception:  # noqa: BLE001 - a page without a sources list is better than no page: the figure's CSV still names them
        return SourceBook({}, {})


def _image_tag(data: str, mime: str, alt: str) -> str:
    payload = data if mime != "image/svg+xml" else base64.b64encode(data.encode("utf-8")).decode("ascii")
    return f'<img src="data:{mime};base64,{payload.strip()}" alt="{html.escape(alt)}">'


def _output_html(output: dict) -> str | None:
    """One cell output as HTML for a reader; None for what a reader should not see."""
    kind = output.get("output_type")
    if kind == "stream":
        if output.get("name") != "stdout":
            return None  # warnings and logs: they stay in the executed notebook
        return f'<pre class="output">{html.escape(_ANSI.sub("", output.get("text", "")))}</pre>'
    if kind == "error":
        return f'<pre class="output error">{html.escape(output.get("ename", ""))}: {html.escape(output.get("evalue", ""))}</pre>'
    data = output.get("data", {})
    if WIDGET_MIME in data:
        return (
            '<p class="note">Interactive controls: open the notebook in JupyterLab (<code>make lab</code>) '
            "to use them.</p>"
        )
    if "text/html" in data:
        return f'<div class="output html">{sanitize(_join(data["text/html"]))}</div>'
    if "text/markdown" in data:
        return f'<div class="output markdown">{markdown_html(_join(data["text/markdown"]))}</div>'
    for mime in ("image/png", "image/jpeg", "image/svg+xml"):
        if mime in data:
            return f'<div class="output image">{_image_tag(_join(data[mime]), mime, "figure")}</div>'
    text = _join(data.get("text/plain", ""))
    return f'<pre class="output">{html.escape(_ANSI.sub("", text))}</pre>' if text.strip() else None


def _join(value) -> str:
    return "".join(value) if isinstance(value, list) else str(value)


def _cells(nb, report_id: str, out_dir: Path, sources: SourceBook) -> tuple[list[dict], list[dict]]:
    """The page's blocks in notebook order, and the figures among them."""
    blocks: list[dict] = []
    figures: list[dict] = []
    for cell in nb.cells:
        tags = cell.get("metadata", {}).get("tags", [])
        if "injected-parameters" in tags:
            continue  # it names the build's scratch folder; the parameters are in the page's header
        if cell.cell_type == "markdown":
            blocks.append({"kind": "markdown", "html": markdown_html(cell.source)})
            continue
        if cell.cell_type != "code":
            continue
        if cell.source.strip():
            blocks.append({"kind": "code", "html": _code_html(cell.source)})
        outputs = list(cell.get("outputs", []))
        # A saved figure's output carries its own image (save_figure shows the file it wrote); where it
        # does not (another backend), the inline images that follow, in the order made, stand for the
        # figures saved. Either way the figure block shows the saved files instead.
        skip_images = sum(
            1 for o in outputs if FIGURE_MIME in o.get("data", {}) and "image/png" not in o.get("data", {})
        )
        for output in outputs:
            data = output.get("data", {})
            if FIGURE_MIME in data:
                figure = _figure_block(data[FIGURE_MIME]["name"], report_id, out_dir, sources, len(figures) + 1)
                figures.append(figure)
                blocks.append({"kind": "figure", "figure": figure})
                continue
            if skip_images and "image/png" in data:
                skip_images -= 1
                continue
            rendered = _output_html(output)
            if rendered:
                blocks.append({"kind": "output", "html": rendered})
    return blocks, figures


READABLE_PX = 11  # the smallest chart text, in CSS pixels, at the width a page shows a chart
_FONT_SIZE = re.compile(r"font-size:\s*([0-9.]+)px")


def _png_width(path: Path) -> int | None:
    """A PNG's width in pixels, from its header; None if it is not there or not a PNG."""
    try:
        with open(path, "rb") as handle:
            head = handle.read(24)
    except OSError:
        return None
    return int.from_bytes(head[16:20], "big") if head[:8] == b"\x89PNG\r\n\x1a\n" else None


def readable_width(out_dir: Path, name: str) -> int | None:
    """The CSS width at which a chart's smallest text (the SVG's smallest font, in points) reads at
    ``READABLE_PX``: the PNG shows its points at ``savefig.dpi`` (its width over the SVG's, in points)."""
    svg, png = out_dir / f"{name}.svg", out_dir / f"{name}.png"
    width = _png_width(png)
    if width is None or not svg.is_file():
        return None
    text = svg.read_text(encoding="utf-8", errors="replace")
    sizes = [float(v) for v in _FONT_SIZE.findall(text)]
    points = re.search(r'<svg[^>]*\bwidth="([0-9.]+)pt"', text)
    if not sizes or not points:
        return None
    png_px_per_point = width / float(points.group(1))
    return math.ceil(READABLE_PX * width / (min(sizes) * png_px_per_point))


def _figure_block(name: str, report_id: str, out_dir: Path, sources: SourceBook, number: int) -> dict:
    files = read_figure(out_dir, name)
    slug = re.sub(r"[^A-Za-z0-9_-]", "-", name)
    return {
        "name": name,
        "slug": slug,
        "number": number,
        "png": f"{report_id}/{name}.png",
        "svg": f"{report_id}/{name}.svg",
        "csv": f"{report_id}/{name}.csv",
        "rows": len(files.table),
        "readable": readable_width(out_dir, name),
        "table": data_table_html(reader_columns(files.table, sources.publishers), f"data-{slug}")
        if len(files.table.columns)
        else "",
        "sources": _sources_of(files.table, sources),
        "claimants": sorted({c for c in files.table.get("claimant", []) if c}),
    }


@cache  # one per process: the templates are compiled once, not once per page
def _environment():
    from jinja2 import Environment, FileSystemLoader, select_autoescape

    return Environment(
        loader=FileSystemLoader(str(TEMPLATES)),
        autoescape=select_autoescape(["html"]),
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def render_report(
    executed: Path,
    report,
    record: dict,
    out_dir: Path,
    *,
    data_dir: Path | None = None,
    index_link: str | None = "index.html",
) -> bytes:
    """The report page of an executed notebook: UTF-8 HTML bytes, the same for the same inputs.

    Figures are linked as ``<report id>/<name>.png|svg|csv`` beside the page (the build copies
    them there); ``record`` is what the build recorded (parameters, data read, commit).
    ``index_link`` is the address of the index of all reports, relative to the page; with
    None the page has no such link (no index exists beside an analyst's own run).
    """
    import nbformat
    from markupsafe import Markup

    nb = nbformat.read(executed, as_version=4)
    blocks, figures = _cells(nb, report.id, out_dir, _load_sources(data_dir))
    for block in blocks:
        if "html" in block:
            block["html"] = Markup(block["html"])
    for figure in figures:
        figure["table"] = Markup(figure["table"])
    page = (
        _environment()
        .get_template("report.html")
        .render(
            title=report.title,
            report_id=report.id,
            index_link=index_link,
            notebook=record.get("notebook", ""),
            parameters=sorted((k, json.dumps(v)) for k, v in (record.get("parameters") or {}).items()),
            commit=record.get("git_commit", "unknown"),
            data=sorted((record.get("data") or {}).items()),
            packages=sorted((record.get("packages") or {}).items()),
            blocks=blocks,
            figures=figures,
            script=shared_script_name() if figures else "",
        )
    )
    return page.encode("utf-8")


def figure_names(produced: list[Path]) -> set[str]:
    """The figures among a report's files: every name with a PNG (its SVG and CSV go with it)."""
    return {p.stem for p in produced if p.suffix == ".png"}
