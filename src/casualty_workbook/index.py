"""reports/index.html: every report of the catalogue, its status, its pages and its figures."""

from __future__ import annotations

import html
import os
from pathlib import Path

_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<title>Casualty figures workbook: reports</title>
<style>
body {{ font-family: "DejaVu Sans", Arial, sans-serif; max-width: 60rem; margin: 2rem auto; padding: 0 1rem; color: #222; }}
h1 {{ font-size: 1.5rem; }} h2 {{ font-size: 1.15rem; margin-top: 2rem; }}
.figures img {{ max-width: 28rem; border: 1px solid #ddd; margin: 0.3rem; }}
.missing {{ color: #b00; }} .note {{ color: #555; font-size: 0.9rem; }}
</style></head><body>
<h1>Casualty figures workbook: reports</h1>
<p class="note">Every figure charted here is a claim by the party named, with its verification status;
each report lists who said each number, who published it and the data files it read.</p>
{sections}
</body></html>
"""


def _rel(target: Path, start: Path) -> str:
    return Path(os.path.relpath(target, start)).as_posix()


def render_index(reports, state: dict, layout) -> str:
    sections = []
    for report in reports:
        entry = state.get("reports", {}).get(report.id)
        title = html.escape(report.title)
        params = html.escape(", ".join(f"{k}={v}" for k, v in sorted(report.parameters.items())) or "defaults")
        if not entry:
            failed = layout.reports / "failed" / f"{report.id}.ipynb"
            link = f' (<a href="{html.escape(_rel(failed, layout.reports))}">failed run</a>)' if failed.is_file() else ""
            sections.append(f'<h2>{title}</h2><p class="missing">Not built{link}.</p>')
            continue
        figures = sorted(rel for rel in entry.get("outputs", {}) if rel.startswith("figures/") and rel.endswith(".png"))
        images = "".join(
            f'<a href="{html.escape(_rel(layout.figures / rel.split("/", 1)[1], layout.reports))}">'
            f'<img src="{html.escape(_rel(layout.figures / rel.split("/", 1)[1], layout.reports))}" '
            f'alt="{html.escape(Path(rel).stem)}"></a>'
            for rel in figures)
        sections.append(
            f'<h2>{title}</h2><p>Notebook <code>{html.escape(report.notebook)}</code>, parameters <code>{params}</code>. '
            f'<a href="{html.escape(report.id)}.html">Report</a> · '
            f'<a href="{html.escape(report.id)}.ipynb">executed notebook</a></p>'
            f'<div class="figures">{images}</div>')
    return _PAGE.format(sections="\n".join(sections))
