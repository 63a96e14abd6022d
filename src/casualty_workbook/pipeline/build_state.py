"""Keys and build state: which reports are stale, from hashes of everything their outputs depend on."""

from __future__ import annotations

import json
from pathlib import Path

from casualty_workbook.core.files import atomic_write, sha256_bytes, sha256_file, sha256_input
from casualty_workbook.core.paths import Layout, file_problem
from casualty_workbook.pipeline.catalogue import Report

STATE_VERSION = 1


def _data_sha(path: Path) -> str | None:
    """A data file's hash; one the loader would refuse (a link out of the folder) never matches, so the
    report is rebuilt and the loader names the problem."""
    return None if file_problem(path) else sha256_input(path, missing_ok=True)


def code_hash(layout: Layout) -> str:
    """The package's code and style, and the locked environment: a change to any reruns every report."""
    files = sorted(p for p in layout.package.rglob("*") if p.suffix in (".py", ".mplstyle", ".html") and p.is_file())
    parts = []
    for path in [*files, layout.root / "requirements.lock"]:
        parts.append(path.name.encode())
        parts.append(path.read_bytes() if path.is_file() else b"")
    return sha256_bytes(b"".join(parts))


def report_key(
    report: Report,
    layout: Layout,
    code: str,
    data_files: dict[str, str],
    data_dir: Path,
    *,
    seen: dict[str, str] | None = None,
    notebook: str | None = None,
) -> str:
    """Hash of everything a report's output depends on; ``data_files`` are the names it read last time.

    By default the data files and the notebook are hashed as they are now (is the report stale?). When
    a report has just run, ``seen`` gives the hash of each file as its notebook read it and ``notebook``
    the notebook's as the run started: a file edited during the run then no longer matches its key, and
    the next build runs the report again.
    """
    parts = {
        "notebook": notebook or sha256_input(report.notebook_path(layout.notebooks), missing_ok=True),
        "parameters": report.parameters,
        "code": code,
        "data": {
            name: seen.get(name) if seen is not None else _data_sha(data_dir / name) for name in sorted(data_files)
        },
    }
    return sha256_bytes(json.dumps(parts, sort_keys=True, default=str).encode())


def _empty_state() -> dict:
    return {"version": STATE_VERSION, "reports": {}}


def load_state(layout: Layout) -> dict:
    """The state of the last build (per report: key, data read, output hashes), or an empty one."""
    try:
        state = json.loads((layout.state_dir / "state.json").read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return _empty_state()
    # A state of another shape (edited by hand, another version: '[1, 2]') is no state: every report rebuilds.
    if not isinstance(state, dict) or state.get("version") != STATE_VERSION:
        return _empty_state()
    reports = state.get("reports")
    if not isinstance(reports, dict) or not all(isinstance(e, dict) for e in reports.values()):
        return _empty_state()
    return state


def save_state(layout: Layout, state: dict) -> None:
    atomic_write(
        layout.state_dir / "state.json", json.dumps(state, indent=1, sort_keys=True).encode(), scratch=layout.state_dir
    )


def outputs_intact(entry: dict, layout: Layout) -> bool:
    """The outputs recorded at the last successful build are still there, unchanged."""
    for rel, digest in entry.get("outputs", {}).items():
        base = layout.figures if rel.startswith("figures/") else layout.reports
        if sha256_file(base / rel.split("/", 1)[1], missing_ok=True) != digest:
            return False
    return bool(entry.get("outputs"))


def plan(
    reports: list[Report], layout: Layout, state: dict, data_dir: Path, code: str, *, force: bool = False
) -> list[Report]:
    """The reports whose inputs changed since their last successful build, or whose outputs did."""
    stale = []
    for report in reports:
        entry = state["reports"].get(report.id, {})
        key = report_key(report, layout, code, entry.get("data", {}), data_dir)
        if force or entry.get("key") != key or not outputs_intact(entry, layout):
            stale.append(report)
    return stale
