"""The build's loop: one build at a time (a lock), stale reports run and published, Ctrl-C and SIGTERM alike."""

from __future__ import annotations

import contextlib
import signal
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import NoReturn

from casualty_workbook.core.exceptions import BuildError, CatalogueError, ParameterError
from casualty_workbook.core.files import sha256_input
from casualty_workbook.core.paths import Layout, default_data_dir, default_layout
from casualty_workbook.data.transaction import data_lock
from casualty_workbook.pipeline.build_lock import build_lock, release_scratch, remove_stale_scratch
from casualty_workbook.pipeline.build_state import code_hash, load_state, plan, report_key, save_state
from casualty_workbook.pipeline.catalogue import Report, check_parameters, read_catalogue
from casualty_workbook.pipeline.data_watch import InputsWatch
from casualty_workbook.pipeline.kernel_environment import prepare_environment
from casualty_workbook.pipeline.publish_outputs import Outcome, publish_execution, write_index


def progress(message: str) -> None:
    print(message, flush=True)


def _count(n: int, noun: str) -> str:
    """'1 report', '7 reports'."""
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def _kill_children(grace: float = 3.0) -> None:
    """Stop the kernels this process started (on Ctrl-C or SIGTERM): SIGTERM, then SIGKILL after ``grace`` s."""
    try:
        import psutil
    except ImportError:
        return
    children = psutil.Process().children(recursive=True)
    for child in children:
        with contextlib.suppress(psutil.Error):
            child.terminate()
    deadline = time.monotonic() + grace
    alive = children
    while alive and time.monotonic() < deadline:
        time.sleep(0.02)
        alive = [child for child in alive if _still_running(child)]
    for child in alive:
        with contextlib.suppress(psutil.Error):
            child.kill()


def _still_running(process) -> bool:
    """True until the process has ended. A kernel whose server ended first is reaped by init, not by
    us, and may stay a zombie for a while (psutil.wait_procs would wait for it): it has ended."""
    import psutil

    try:
        return process.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def build_catalogue(
    *,
    jobs: int | None = None,
    force: bool = False,
    only: list[str] | None = None,
    timeout: int | None = None,
    layout: Layout | None = None,
    executor: str = "local",
    scheduler: str | None = None,
) -> int:
    """Build the stale reports of the catalogue; returns the exit code (0 when all succeeded).

    ``executor`` is where notebooks run (``executors.EXECUTORS``): ``local`` kernels, or ``dask``
    tasks on the cluster at ``scheduler`` (a LocalCluster of ``jobs`` workers when None).
    """
    layout = layout or default_layout()
    data_dir = default_data_dir().resolve()
    started = time.perf_counter()
    try:
        reports = read_catalogue(layout.catalogue, layout.notebooks)
    except CatalogueError:
        # An expansion over the data fails on a bad value of the data (an event id no report can be named by):
        # the data's own message, as `validate` gives it, comes first; a catalogue's own mistake after it.
        # Only when a report is stale: a build with nothing to do hashes files and never loads pandas.
        from casualty_workbook.data.loading import load_all

        load_all(data_dir)
        raise
    if only:
        unknown = sorted(set(only) - {r.id for r in reports})
        if unknown:
            raise ParameterError(
                f"--only: unknown report(s) {', '.join(unknown)}; known: {', '.join(r.id for r in reports)}"
            )
        reports = [r for r in reports if r.id in only]
    with build_lock(layout), data_lock(data_dir, exclusive=False, what="build"):
        return _build(reports, layout, data_dir, started, jobs, force, timeout, executor, scheduler)


def _build(
    reports: list[Report],
    layout: Layout,
    data_dir: Path,
    started: float,
    jobs: int | None,
    force: bool,
    timeout: int | None,
    executor: str,
    scheduler: str | None,
) -> int:
    """The build proper, its locks held (``build_catalogue``)."""
    try:
        # A build or report killed outright (SIGKILL) may have left its scratch folder: only ever under the
        # state folder, and never one a live run holds.
        remove_stale_scratch(layout)
        state = load_state(layout)
        code = code_hash(layout)
        stale = plan(reports, layout, state, data_dir, code, force=force)
        if not stale:
            return _all_up_to_date(reports, layout, state, started)
        _check_before_running(stale, layout, data_dir)
        from casualty_workbook.pipeline.executors import default_jobs  # loaded only when a report is stale

        workers = max(1, min(jobs or default_jobs(executor), len(stale)))
        progress(
            f"Building {len(stale)} of {_count(len(reports), 'report')} with {_count(workers, 'kernel')} at once "
            f"({len(reports) - len(stale)} up to date)."
        )
        outcomes = _run_stale(
            stale, layout, state, code, data_dir, workers, timeout, executor=executor, scheduler=scheduler
        )
        write_index(layout, read_catalogue(layout.catalogue, layout.notebooks), state)
        failed = [o for o in outcomes if not o.ok]
        progress(
            f"Built {len(outcomes) - len(failed)} report(s), {len(reports) - len(stale)} up to date, "
            f"{len(failed)} failed, in {time.perf_counter() - started:.1f} s."
        )
        if failed:
            _raise_failures(failed, layout)
        return 0
    finally:
        release_scratch(layout)


def _all_up_to_date(reports: list[Report], layout: Layout, state: dict, started: float) -> int:
    """Nothing to build: the index is written only if it is missing, and the build says so."""
    write_index(layout, read_catalogue(layout.catalogue, layout.notebooks), state, only_if_missing=True)
    progress(
        f"All {_count(len(reports), 'report')} {'is' if len(reports) == 1 else 'are'} up to date "
        f"({time.perf_counter() - started:.2f} s)."
    )
    return 0


def _check_before_running(stale: list[Report], layout: Layout, data_dir: Path) -> None:
    """Nothing runs on bad data or bad parameters: both are checked before any kernel starts."""
    # Only when a report is stale: a build with nothing to do hashes files and never loads pandas.
    from casualty_workbook.data.loading import load_all

    tables = load_all(data_dir)
    check_parameters(stale, layout.catalogue, tables)
    prepare_environment(data_dir)


def _run_stale(
    stale: list[Report],
    layout: Layout,
    state: dict,
    code: str,
    data_dir: Path,
    workers: int,
    timeout: int | None,
    *,
    executor: str,
    scheduler: str | None,
) -> list[Outcome]:
    """Run the stale reports, recording each outcome in the build state as it is published."""
    # What each stale notebook is as it starts: the state records that, not what it is when it ends.
    notebooks = {r.id: sha256_input(r.notebook_path(layout.notebooks), missing_ok=True) for r in stale}
    recorder = _StateRecorder(layout, state, code, data_dir, notebooks)
    watch = InputsWatch(data_dir, layout.figures, layout.state_dir / "changed")
    try:
        return run_all(
            stale,
            layout,
            workers,
            timeout,
            executor=executor,
            scheduler=scheduler,
            on_outcome=recorder.record,
            watch=watch,
        )
    finally:  # an interrupted build keeps the record of the reports it published: the next one skips them
        recorder.save()


def _raise_failures(failed: list[Outcome], layout: Layout) -> NoReturn:
    """A build with failed reports ends in a ``BuildError`` naming each and where its executed notebook is."""
    lines = [
        f"  {o.report.id}: {o.error}\n    executed notebook: {layout.reports / 'failed' / (o.report.id + '.ipynb')}"
        for o in failed
    ]
    raise BuildError(
        f"{len(failed)} report(s) failed; the figures of their last good build are kept:\n" + "\n".join(lines)
    )


class _StateRecorder:
    """Each report's outcome goes into the build state as it is published, and the state is saved now and
    then during the build (every ``SAVE_EVERY`` seconds), once more at its end, and when it is interrupted:
    a build stopped after 150 of 200 reports leaves 50 to build, not 200."""

    SAVE_EVERY = 2.0  # seconds: the state of hundreds of reports is not rewritten after every one of them

    def __init__(
        self, layout: Layout, state: dict, code: str, data_dir: Path, notebooks: dict[str, str | None] | None = None
    ):
        self.layout, self.state, self.code, self.data_dir = layout, state, code, data_dir
        self.notebooks = notebooks or {}  # each report's notebook hash as its run started
        self._saved = time.monotonic()
        self._unsaved = False

    def record(self, outcome: Outcome) -> None:
        if outcome.ok:
            self.state["reports"][outcome.report.id] = {
                # Keyed by the hashes the notebook saw when it read each file (and the notebook as it started),
                # not by the files as they are now: a file edited while the report ran makes it stale.
                "key": report_key(
                    outcome.report,
                    self.layout,
                    self.code,
                    outcome.record["data"],
                    self.data_dir,
                    seen=outcome.record["data"],
                    notebook=self.notebooks.get(outcome.report.id),
                ),
                "data": outcome.record["data"],
                "outputs": outcome.outputs,
                "title": outcome.report.title,
            }
        else:
            self.state["reports"].pop(outcome.report.id, None)
        self._unsaved = True
        if time.monotonic() - self._saved >= self.SAVE_EVERY:
            self.save()

    def save(self) -> None:
        if self._unsaved:
            save_state(self.layout, self.state)
            self._saved, self._unsaved = time.monotonic(), False


def _interrupt(signum, frame) -> None:
    """SIGTERM stops a build the way Ctrl-C does: kernels stopped, nothing half-written."""
    raise KeyboardInterrupt


def run_all(
    stale: list[Report],
    layout: Layout,
    workers: int,
    timeout: int | None,
    *,
    executor: str = "local",
    scheduler: str | None = None,
    on_outcome: Callable[[Outcome], None] | None = None,
    watch: InputsWatch | None = None,
) -> list[Outcome]:
    """Execute the reports where ``executor`` says; publish each here, in this process, as it comes back
    (and hand it to ``on_outcome``)."""
    # Only when a report is stale: the executors load papermill, pandas and the warm kernels.
    from casualty_workbook.pipeline.executors import open_executor

    outcomes: list[Outcome] = []
    by_id = {r.id: r for r in stale}
    previous = signal.getsignal(signal.SIGTERM)
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _interrupt)
    try:
        with open_executor(executor, jobs=workers, layout=layout, scheduler=scheduler) as running:
            for done, execution in enumerate(running.run(stale, timeout), start=1):
                changed = watch.changes(execution.report_id) if watch is not None else None
                if changed:  # nothing of a report that changed the data or other reports' figures is published
                    outcome = Outcome(by_id[execution.report_id], False, execution.seconds, changed)
                else:
                    outcome = publish_execution(by_id[execution.report_id], layout, execution)
                    if watch is not None and outcome.ok:
                        watch.published(outcome.report.id)
                outcomes.append(outcome)
                if on_outcome is not None:
                    on_outcome(outcome)
                mark = "ok " if outcome.ok else "FAILED"
                progress(
                    f"[{done}/{len(stale)}] {mark} {outcome.report.id} ({outcome.seconds:.1f} s)"
                    + ("" if outcome.ok else f": {outcome.error}")
                )
    except KeyboardInterrupt:
        _kill_children()
        release_scratch(layout)
        raise
    finally:
        if threading.current_thread() is threading.main_thread():
            signal.signal(signal.SIGTERM, previous)
    return sorted(outcomes, key=lambda o: [r.id for r in stale].index(o.report.id))
