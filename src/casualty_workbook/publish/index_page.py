"""reports/index.html: every report of the catalogue with its figures, what it was built from, a filter by event.

The page is self-contained and works from ``file://``: thumbnails point at the copies the
build puts in ``reports/<id>/`` (never at ``../figures/``), so the reports folder alone, as CI
keeps it, shows every image. Kept free of pandas: a build with nothing changed may write it.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

from casualty_workbook.core.paths import default_data_dir

TEMPLATES = Path(__file__).resolve().parent / "templates"


def _record(layout, report_id: str) -> dict:
    """What the build recorded in the executed notebook (commit, data read), or nothing."""
    try:
        nb = json.loads((layout.reports / f"{report_id}.ipynb").read_text(encoding="utf-8"))
        return nb.get("metadata", {}).get("casualty_workbook", {}) or {}
    except (OSError, ValueError):
        return {}


def _csv_rows(path: Path) -> list[dict]:
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            return list(csv.DictReader(handle))
    except OSError:
        return []


def event_names(data_dir: Path) -> dict[str, str]:
    """event_id → name, from the data's events table (empty when it cannot be read)."""
    return {
        row["event_id"]: row.get("name") or row["event_id"]
        for row in _csv_rows(data_dir / "events.csv")
        if row.get("event_id")
    }


def _report_events(report, figures: list[Path]) -> list[str]:
    """The events a report speaks of: its ``event`` parameter and the events in its figures' tables."""
    events = set()
    chosen = report.parameters.get("event")
    if chosen and chosen != "all":
        events.add(str(chosen))
    for png in figures:
        for row in _csv_rows(png.with_suffix(".csv")):
            events.update(part.strip() for part in (row.get("event") or "").split(";") if part.strip())
    return sorted(events)


def _shared(reports, group: str | None) -> set[str]:
    """The parameters every report of a group sets to the same value (what the group does not vary)."""
    members = [r for r in reports if group is not None and r.group == group]
    if len(members) < 2:
        return {k for r in members for k in r.parameters if k != "event"}
    first = members[0].parameters
    return {k for k, v in first.items() if all(m.parameters.get(k) == v for m in members[1:])}


def render_index(reports, state: dict, layout, *, data_dir: Path | None = None) -> str:
    """The index page's HTML (escaped throughout: titles and names come from files a user edits)."""
    from jinja2 import Environment, FileSystemLoader, select_autoescape

    names = event_names(Path(data_dir) if data_dir else default_data_dir())
    entries = [_index_entry(report, state.get("reports", {}).get(report.id), layout, names) for report in reports]
    # Expanded reports (one per event) sit together under their catalogue entry.
    for i, (report, entry) in enumerate(zip(reports, entries, strict=True)):
        entry["group"] = report.group
        entry["group_parameter"] = next(iter(set(report.parameters) - _shared(reports, report.group)), "value")
        entry["group_starts"] = i == 0 or reports[i - 1].group != report.group
        entry["group_ends"] = i == len(reports) - 1 or reports[i + 1].group != report.group
    used = sorted({e for entry in entries for e in entry["events"]}, key=lambda e: names.get(e, e))
    env = Environment(
        loader=FileSystemLoader(str(TEMPLATES)),
        autoescape=select_autoescape(["html"]),
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    return env.get_template("index.html").render(
        reports=entries,
        events=[(e, names.get(e, e)) for e in used],
        any_without_event=any(not entry["events"] for entry in entries),
    )


def _index_entry(report, built: dict | None, layout, names: dict[str, str]) -> dict:
    """What the index shows of one report: its figures and inputs when it was built, else whether it failed."""
    params = sorted((k, json.dumps(v)) for k, v in report.parameters.items())
    shown = {"id": report.id, "title": report.title, "notebook": report.notebook, "parameters": params}
    if not built:
        failed = layout.reports / "failed" / f"{report.id}.ipynb"
        return {
            **shown,
            "built": False,
            "failed": f"failed/{report.id}.ipynb" if failed.is_file() else "",
            "events": [],
            "figures": [],
        }
    pngs = sorted(
        rel.split("/", 2)[2]
        for rel in built.get("outputs", {})
        if rel.startswith(f"figures/{report.id}/") and rel.endswith(".png")
    )
    record = _record(layout, report.id)
    events = _report_events(report, [layout.reports / report.id / name for name in pngs])
    return {
        **shown,
        "built": True,
        "failed": "",
        "commit": record.get("git_commit", "unknown"),
        "data": sorted((record.get("data") or built.get("data") or {}).items()),
        "events": events,
        "event_names": [names.get(e, e) for e in events],
        "figures": [
            {
                "name": Path(n).stem,
                "png": f"{report.id}/{n}",
                "csv": f"{report.id}/{Path(n).stem}.csv",
                "anchor": f"{report.id}.html#figure-{Path(n).stem}",
            }
            for n in pngs
        ],
    }
