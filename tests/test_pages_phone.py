"""A chart on a phone: shown at the width its smallest text reads at, scrolling in its own frame, with
a hint above it that shows only where the frame cuts it (a container query at that chart's width)."""

from __future__ import annotations

import re
import shutil

import nbformat
from conftest import REPO

from casualty_workbook.core.notebook_outputs import FIGURE_MIME
from casualty_workbook.pipeline.catalogue import Report
from casualty_workbook.publish.pages import readable_width, render_report


def _page(tmp_path, names: list[str]) -> str:
    out = tmp_path / "out"
    out.mkdir()
    for name in names:
        for suffix in ("png", "svg", "csv"):
            shutil.copy(REPO / "figures" / "kharkiv_front" / f"{name}.{suffix}", out / f"{name}.{suffix}")
    cell = nbformat.v4.new_code_cell("save")
    cell.outputs = [
        nbformat.v4.new_output("display_data", data={FIGURE_MIME: {"name": n, "files": []}, "text/plain": ""})
        for n in names
    ]
    executed = tmp_path / "run.ipynb"
    nbformat.write(nbformat.v4.new_notebook(cells=[cell]), executed)
    report = Report("run", "places", "A run", {})
    return render_report(executed, report, {}, out, index_link=None).decode("utf-8")


def test_each_chart_has_a_hint_shown_only_where_its_frame_is_narrower_than_its_readable_width(tmp_path):
    page = _page(tmp_path, ["places", "settlements_claimed"])
    for name in ("places", "settlements_claimed"):
        width = readable_width(tmp_path / "out", name)
        assert width and width > 390, "these charts are wider than a phone at a readable size"
        rule = f"@container (max-width: {width - 1}px) {{ #figure-{name} .hint {{ display: block; }} }}"
        assert rule in page, rule
        section = page[page.index(f'id="figure-{name}"') :]
        section = section[: section.index("</section>")]
        assert 'class="hint"' in section and "swipe it sideways" in section
        assert f'<a href="run/{name}.png">open it on its own</a>' in section
        # the frame scrolls, the image keeps its readable width
        assert re.search(
            rf'<div class="frame" tabindex="0" role="region"[^>]*><img src="run/{name}.png" '
            rf'class="readable" style="--readable: {width}px"',
            section,
        )
    # hidden by default: only the container query shows it
    assert re.search(r"\.figure \.hint \{ display: none;", page)
    assert ".figure .chart { container-type: inline-size; }" in page
