"""Publishing: a successful report's outputs moved into figures/ and reports/, each file complete; the index."""

from __future__ import annotations

import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from casualty_workbook.core.files import UnsafeDestination, atomic_write, destination_problem, sha256_bytes, sha256_file
from casualty_workbook.core.paths import Layout
from casualty_workbook.pipeline.build_lock import scratch_dir
from casualty_workbook.pipeline.catalogue import Report

FIGURE_SUFFIXES = (".png", ".svg", ".csv")


@dataclass
class Outcome:
    """A report's result as the build saw it: published (with its record and output hashes) or failed."""

    report: Report
    ok: bool
    seconds: float
    error: str = ""
    record: dict | None = None
    outputs: dict | None = None


class ShrunkFigures(Exception):
    """A run made fewer figures than are in place: publishing would delete committed ones."""


def _install(src: Path, dest: Path, scratch: Path) -> None:
    """Put ``src`` at ``dest`` atomically; a file whose bytes are unchanged is left alone."""
    data = src.read_bytes()
    if dest.is_file() and dest.read_bytes() == data:
        return
    atomic_write(dest, data, scratch=scratch)


def check_no_figure_lost(report: Report, layout: Layout, staging: Path) -> None:
    """Figures in place that this run did not make stop the report: they are never removed silently.

    A notebook that stops drawing a figure by mistake (an early exit, a branch not taken) would
    otherwise delete it from figures/. If the figure was dropped on purpose, delete it by hand.
    """
    figure_dir = layout.figures / report.id
    if layout.figures_flat or not figure_dir.is_dir():
        return
    made = {p.name for p in (staging / "out").glob("*")} if (staging / "out").is_dir() else set()
    lost = sorted(
        p.name
        for p in figure_dir.iterdir()
        if p.suffix in FIGURE_SUFFIXES and p.is_file() and not p.name.startswith(".") and p.name not in made
    )
    if lost:
        raise ShrunkFigures(
            f"this run did not make {len(lost)} figure file(s) now in {figure_dir}: {', '.join(lost)}; they are "
            "kept and nothing was published. If the notebook no longer makes them on purpose, delete them "
            "from that folder and build again"
        )


def publish(report: Report, layout: Layout, executed: Path, html: bytes, staging: Path) -> dict[str, str]:
    """Move a successful report's outputs into figures/ and reports/; returns their hashes."""
    # Only when a report is published: the page loads pandas, nh3 and pygments, which a no-op build never needs.
    from casualty_workbook.publish.pages import figure_names, write_shared_script

    outputs: dict[str, str] = {}
    produced = sorted((staging / "out").iterdir()) if (staging / "out").is_dir() else []
    figure_dir = layout.figures if layout.figures_flat else layout.figures / report.id
    export_dir = layout.reports / report.id
    # A figure is its PNG, SVG and CSV (pages.figure_names); reports/<id>/ gets copies too, so the
    # reports folder alone shows and offers every figure.
    names = figure_names(produced)
    figures = [p for p in produced if p.stem in names and p.suffix in FIGURE_SUFFIXES and p.is_file()]
    exports = [p for p in produced if p not in figures and p.is_file()] + figures
    # Every destination is checked before the first is written: a link or a device in the place of one
    # stops the report with nothing of it written (atomic_write would refuse it only when its turn came).
    destinations = [figure_dir / p.name for p in figures] + [export_dir / p.name for p in exports]
    for dest in [*destinations, layout.reports / f"{report.id}.html"]:
        problem = destination_problem(dest)
        if problem is not None:
            raise UnsafeDestination(dest, problem)
    for src in figures:
        _install(src, figure_dir / src.name, staging)
        outputs[f"figures/{report.id}/{src.name}"] = sha256_file(src)
    for src in exports:
        _install(src, export_dir / src.name, staging)
        outputs[f"reports/{report.id}/{src.name}"] = sha256_file(src)
    # Exports this run no longer makes are removed, after the new ones are in place (a lost figure has
    # already stopped the report: check_no_figure_lost); an analyst's own folder is left alone.
    for folder, kept in ((figure_dir, {p.name for p in figures}), (export_dir, {p.name for p in exports})):
        if folder.is_dir() and not (folder == figure_dir and layout.figures_flat):
            for old in folder.iterdir():
                if old.name not in kept and not old.name.startswith("."):
                    old.unlink()
    _install(executed, layout.reports / f"{report.id}.ipynb", staging)
    atomic_write(layout.reports / f"{report.id}.html", html, scratch=staging)
    write_shared_script(layout.reports, scratch=staging)  # the table library every page loads, written once
    outputs[f"reports/{report.id}.ipynb"] = sha256_file(layout.reports / f"{report.id}.ipynb")
    outputs[f"reports/{report.id}.html"] = sha256_bytes(html)
    (layout.reports / "failed" / f"{report.id}.ipynb").unlink(missing_ok=True)
    return outputs


def publish_execution(report: Report, layout: Layout, execution) -> Outcome:
    """Publish what an executor handed back (``executors.Execution``: bytes, from wherever it ran).

    Only this, the coordinating process, writes into figures/ and reports/: the bytes go to a
    staging folder under the build state, then into place file by file, as ``publish`` does.
    """
    start = time.perf_counter()
    staging = Path(tempfile.mkdtemp(prefix=f"{report.id}-", dir=scratch_dir(layout)))
    try:
        if not execution.ok:  # the notebook failed: keep what papermill wrote, publish nothing
            if execution.notebook:
                atomic_write(layout.reports / "failed" / f"{report.id}.ipynb", execution.notebook, scratch=staging)
            return Outcome(report, False, execution.seconds, execution.error)
        executed = staging / f"{report.id}.ipynb"
        executed.write_bytes(execution.notebook)
        (staging / "out").mkdir()
        for name, data in execution.files.items():
            if Path(name).name != name or name in ("", ".", ".."):  # bytes from a worker name no other folder
                return Outcome(report, False, execution.seconds, f"the worker handed back a file named {name!r}")
            (staging / "out" / name).write_bytes(data)
        try:
            check_no_figure_lost(report, layout, staging)
        except ShrunkFigures as err:  # the run is kept for reading; nothing is published
            atomic_write(layout.reports / "failed" / f"{report.id}.ipynb", execution.notebook, scratch=staging)
            return Outcome(report, False, execution.seconds, str(err))
        # Only when a report is published: the page loads pandas, nh3 and pygments, which a no-op build never needs.
        from casualty_workbook.publish.pages import render_report

        html = render_report(executed, report, execution.record, staging / "out", index_link=layout.index_link)
        try:
            outputs = publish(report, layout, executed, html, staging)
        except (UnsafeDestination, OSError) as err:  # a link in the way, a read-only folder, a full disk
            return Outcome(report, False, execution.seconds, f"its outputs could not be written: {_why(err)}")
        return Outcome(
            report, True, execution.seconds + time.perf_counter() - start, record=execution.record, outputs=outputs
        )
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _why(err: BaseException) -> str:
    """An error of the file system in words: the path, and what the system said."""
    if isinstance(err, OSError) and err.strerror:
        return f"{err.filename}: {err.strerror} (errno {err.errno})" if err.filename else err.strerror
    return str(err)


def write_index(layout: Layout, reports: list[Report], state: dict, *, only_if_missing: bool = False) -> None:
    """reports/index.html: every report of the catalogue with its figures (``index.render_index``)."""
    # Only when the index is written: it loads jinja2.
    from casualty_workbook.publish.index_page import render_index

    target = layout.reports / "index.html"
    if only_if_missing and target.is_file():
        return
    atomic_write(target, render_index(reports, state, layout).encode("utf-8"), scratch=layout.state_dir)
