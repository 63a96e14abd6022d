"""Drift you can read: how regenerated figures differ from the committed ones, numbers first.

A figure is its PNG, SVG and CSV. When they differ, what a reviewer needs first is which
numbers changed and in which rows (from the CSVs, rows matched by panel and id); the images
that differ are named after. Used by the tests (a clean build must reproduce ``figures/``)
and by CI after a build:

    python -m casualty_workbook.publish.drift                 # figures/ against the last commit's
    python -m casualty_workbook.publish.drift COMMITTED REGENERATED
"""

from __future__ import annotations

import argparse
import csv
import io
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from casualty_workbook.core.paths import default_layout

KEY = ("panel", "id")


@dataclass
class FigureDrift:
    """One figure (``report/name``) whose files differ."""

    figure: str
    changed: list[str] = field(default_factory=list)  # one line per changed, added or removed row
    files: list[str] = field(default_factory=list)  # the files that differ (names)
    note: str = ""


def _rows(data: bytes | None) -> tuple[list[str], dict[tuple, dict]]:
    if data is None:
        return [], {}
    reader = csv.DictReader(io.StringIO(data.decode("utf-8-sig"), newline=""))
    rows: dict[tuple, dict] = {}
    for number, row in enumerate(reader, start=2):
        key = tuple(row.get(k, "") for k in KEY) if all(k in (reader.fieldnames or []) for k in KEY) else (str(number),)
        while key in rows:  # a repeated key keeps its own line, numbered
            key = (*key, "again")
        rows[key] = row
    return list(reader.fieldnames or []), rows


def _label(key: tuple) -> str:
    if len(key) >= 2 and key[0] not in ("", "1"):
        return f"row {key[1]} (panel {key[0]})"
    return f"row {key[1] if len(key) >= 2 else key[0]}"


def _summary(row: dict) -> str:
    shown = [f"{k}={row[k]}" for k in ("metric", "category", "wording", "best", "claimant", "status") if row.get(k)]
    return ", ".join(shown)


def table_changes(committed: bytes | None, regenerated: bytes | None) -> list[str]:
    """Which rows of a figure's CSV changed, were added or were removed, cell by cell."""
    old_columns, old = _rows(committed)
    new_columns, new = _rows(regenerated)
    lines = []
    if old_columns and new_columns and old_columns != new_columns:
        lines.append(f"columns: {', '.join(old_columns)} → {', '.join(new_columns)}")
    for key, row in new.items():
        if key not in old:
            continue
        cells = [
            f"{c}: {old[key].get(c, '')!r} → {row.get(c, '')!r}"
            for c in new_columns
            if c not in KEY and old[key].get(c, "") != row.get(c, "")
        ]
        if cells:
            lines.append(f"{_label(key)}: " + "; ".join(cells))
    lines += [f"{_label(key)} added: {_summary(row)}" for key, row in new.items() if key not in old]
    lines += [f"{_label(key)} removed: {_summary(row)}" for key, row in old.items() if key not in new]
    return lines


def _files(folder: Path) -> dict[str, bytes]:
    if not folder.is_dir():
        return {}
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and not p.name.startswith(".")
    }


def compare_files(committed: dict[str, bytes], regenerated: dict[str, bytes]) -> list[FigureDrift]:
    """Per figure (``report/name``), what differs between two sets of figure files (relative path → bytes)."""
    figures = sorted({path.rsplit(".", 1)[0] for path in committed} | {path.rsplit(".", 1)[0] for path in regenerated})
    drifts = []
    for figure in figures:
        paths = sorted(p for p in set(committed) | set(regenerated) if p.rsplit(".", 1)[0] == figure)
        differing = [p for p in paths if committed.get(p) != regenerated.get(p)]
        if not differing:
            continue
        drift = FigureDrift(figure, files=[Path(p).name for p in differing])
        if not any(p.startswith(figure + ".") for p in committed):
            drift.note = "new: not in the committed figures"
        elif not any(p.startswith(figure + ".") for p in regenerated):
            drift.note = "gone: the build no longer makes it"
        csv_path = f"{figure}.csv"
        if csv_path in differing:
            drift.changed = table_changes(committed.get(csv_path), regenerated.get(csv_path))
        elif not drift.note:
            drift.note = "the data is unchanged: only the drawing differs"
        drifts.append(drift)
    return drifts


def compare(committed: Path, regenerated: Path) -> list[FigureDrift]:
    """What differs between two figures folders (``<report>/<name>.png|svg|csv``)."""
    return compare_files(_files(committed), _files(regenerated))


def format_drift(drifts: list[FigureDrift]) -> str:
    """The message: per figure the rows whose numbers changed first, then the images that differ."""
    if not drifts:
        return "The regenerated figures match the committed ones."
    lines = [f"{len(drifts)} figure(s) differ from the committed ones. What changed in their data:"]
    for drift in drifts:
        lines.append(f"\n{drift.figure}" + (f" ({drift.note})" if drift.note else ""))
        lines += [f"  {line}" for line in drift.changed]
        if not drift.changed and not drift.note:
            lines.append("  the CSV's bytes differ but no row's values do (formatting or order)")
    images = [f"{d.figure.rsplit('/', 1)[0]}/{name}" for d in drifts for name in d.files if not name.endswith(".csv")]
    if images:
        lines.append("\nImages that differ: " + ", ".join(images))
    lines.append("\nIf the change is intended, rebuild (workbook build --force) and commit figures/.")
    return "\n".join(lines)


def committed_files(root: Path, folder: str = "figures", ref: str = "HEAD") -> dict[str, bytes]:
    """The figure files of ``folder`` as committed at ``ref`` (relative to the folder)."""
    listing = subprocess.run(
        ["git", "ls-tree", "-r", "--name-only", ref, "--", folder], cwd=root, capture_output=True, text=True, check=True
    ).stdout.split()
    files = {}
    for path in listing:
        data = subprocess.run(["git", "show", f"{ref}:{path}"], cwd=root, capture_output=True, check=True).stdout
        files[path[len(folder) + 1 :]] = data
    return files


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m casualty_workbook.publish.drift",
        description="Show how regenerated figures differ from committed ones, numbers first.",
    )
    parser.add_argument(
        "folders",
        nargs="*",
        metavar="FOLDER",
        help="COMMITTED REGENERATED folders; none: figures/ against the last commit's",
    )
    parser.add_argument("--ref", default="HEAD", help="the commit to compare figures/ with (default HEAD)")
    args = parser.parse_args(argv)
    if len(args.folders) == 2:
        drifts = compare(Path(args.folders[0]), Path(args.folders[1]))
    elif not args.folders:
        layout = default_layout()
        try:
            committed = committed_files(layout.root, ref=args.ref)
        except (OSError, subprocess.CalledProcessError) as err:
            print(f"error: cannot read the committed figures at {args.ref}: {err}", file=sys.stderr)
            return 2
        drifts = compare_files(committed, _files(layout.figures))
    else:
        parser.error("give no folder or two (COMMITTED REGENERATED)")
    print(format_drift(drifts))
    return 1 if drifts else 0


if __name__ == "__main__":
    sys.exit(main())
