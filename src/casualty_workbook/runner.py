"""The build runner: run the catalogue's stale reports with papermill, several kernels at once.

1. The catalogue's structure is read (cheap). Each report gets a key: a hash of its notebook,
   parameters, the package's code and style, the lock file and the data files it read last
   time. A report whose key and outputs match its last successful build is skipped, so a
   build with nothing changed only hashes files (no pandas, no papermill, no kernel).
2. For stale reports the data and parameters are checked before any kernel starts.
3. Each report runs in its own kernel (one per core by default) into a staging folder;
   only when it succeeds are its figures and report files renamed into place, file by file,
   each complete. A failed report's executed notebook (with papermill's error banner) goes
   to reports/failed/; the other reports still finish and the exit code says it failed.
4. Each executed report records its parameters, the hashes of the data it read, package
   versions and the git commit; reports/index.html links every report with its figures.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from .catalogue import Report, check_parameters, read_catalogue
from .exceptions import BuildError, BuildLockedError, ParameterError

PROVENANCE_MIME = "application/vnd.casualty-workbook.provenance+json"
FIGURE_SUFFIXES = (".png", ".svg", ".csv")
STATE_VERSION = 1


@dataclass(frozen=True)
class Layout:
    """Where things are: the project root and the folders the build reads and writes."""

    root: Path
    figures: Path
    reports: Path
    # An analyst's own folder (output_dir=...): figures go straight into it, and nothing else there is touched.
    figures_flat: bool = False

    @property
    def notebooks(self) -> Path:
        return self.root / "notebooks"

    @property
    def catalogue(self) -> Path:
        return self.root / "catalogue.yml"

    @property
    def state_dir(self) -> Path:
        return self.root / ".build-state"

    @property
    def package(self) -> Path:
        return Path(__file__).resolve().parent


def default_layout() -> Layout:
    """The project's folders; WORKBOOK_ROOT, WORKBOOK_FIGURES_DIR and WORKBOOK_REPORTS_DIR override them."""
    root = Path(os.environ.get("WORKBOOK_ROOT") or Path(__file__).resolve().parents[2])
    return Layout(
        root,
        Path(os.environ.get("WORKBOOK_FIGURES_DIR") or root / "figures"),
        Path(os.environ.get("WORKBOOK_REPORTS_DIR") or root / "reports"),
    )


# ---- keys and state -------------------------------------------------------------------------------


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _file_sha(path: Path) -> str | None:
    try:
        return _sha(path.read_bytes())
    except OSError:  # missing, a folder, unreadable: never equal to a recorded hash, so the report is stale
        return None


def _data_sha(path: Path) -> str | None:
    """A data file's hash; one the loader would refuse (a link out of the folder) never matches, so the
    report is rebuilt and the loader names the problem."""
    from .paths import file_problem

    return None if file_problem(path) else _file_sha(path)


def code_hash(layout: Layout) -> str:
    """The package's code and style, and the locked environment: a change to any reruns every report."""
    digest = hashlib.sha256()
    files = sorted(p for p in layout.package.rglob("*") if p.suffix in (".py", ".mplstyle", ".html") and p.is_file())
    for path in [*files, layout.root / "requirements.lock"]:
        digest.update(path.name.encode())
        digest.update(path.read_bytes() if path.is_file() else b"")
    return digest.hexdigest()


def report_key(report: Report, layout: Layout, code: str, data_files: dict[str, str], data_dir: Path) -> str:
    """Hash of everything a report's output depends on; ``data_files`` are the names it read last time."""
    parts = {
        "notebook": _file_sha(report.notebook_path(layout.notebooks)),
        "parameters": report.parameters,
        "code": code,
        "data": {name: _data_sha(data_dir / name) for name in sorted(data_files)},
    }
    return _sha(json.dumps(parts, sort_keys=True, default=str).encode())


def load_state(layout: Layout) -> dict:
    try:
        state = json.loads((layout.state_dir / "state.json").read_text())
        return state if state.get("version") == STATE_VERSION else {"version": STATE_VERSION, "reports": {}}
    except (FileNotFoundError, json.JSONDecodeError):
        return {"version": STATE_VERSION, "reports": {}}


def _write_atomic(path: Path, data: bytes, *, scratch: Path | None = None) -> None:
    """Write ``path`` whole or not at all: write a temporary file, then rename it into place.

    The temporary file lives in ``scratch`` (outside the output folders, so a killed build
    leaves nothing half-written in them) when it is on the same file system, else beside ``path``.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    folder = scratch if scratch is not None and scratch.is_dir() else path.parent
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        try:
            os.replace(tmp, path)
        except OSError:  # another file system: fall back to a temporary name beside the target
            _write_atomic(path, data)
            Path(tmp).unlink(missing_ok=True)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def save_state(layout: Layout, state: dict) -> None:
    _write_atomic(
        layout.state_dir / "state.json", json.dumps(state, indent=1, sort_keys=True).encode(), scratch=layout.state_dir
    )


def outputs_intact(entry: dict, layout: Layout) -> bool:
    """The outputs recorded at the last successful build are still there, unchanged."""
    for rel, digest in entry.get("outputs", {}).items():
        base = layout.figures if rel.startswith("figures/") else layout.reports
        if _file_sha(base / rel.split("/", 1)[1]) != digest:
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


# ---- running one report ---------------------------------------------------------------------------


@dataclass
class Outcome:
    report: Report
    ok: bool
    seconds: float
    error: str = ""
    record: dict | None = None
    outputs: dict | None = None


def _progress(message: str) -> None:
    print(message, flush=True)


def _read_provenance(nb) -> dict:
    """The data the notebook read, from the output of its provenance cell."""
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            if PROVENANCE_MIME in data:
                return data[PROVENANCE_MIME]
    return {}


class StoppedEarly(Exception):
    """The kernel finished without error, yet some cells never ran (a cell called sys.exit())."""


def _check_every_cell_ran(nb) -> None:
    """A report succeeded only if every code cell ran: ``sys.exit()`` or ``raise SystemExit`` in a cell
    ends the run quietly (IPython shows it, the kernel reports no error) and the later cells are skipped."""
    code = [c for c in nb.cells if c.cell_type == "code" and c.source.strip()]
    skipped = [c for c in code if c.get("execution_count") is None]
    if not skipped:
        return
    last = max((c for c in code if c.get("execution_count") is not None), key=lambda c: c.execution_count, default=None)
    cause = ""
    for output in last.get("outputs", []) if last is not None else []:
        if output.get("output_type") == "error":
            cause = f" ({output.get('ename')}: {output.get('evalue')})".replace(": )", ")")
    where = f"after cell {last.execution_count}{cause}" if last is not None else "before its first cell"
    raise StoppedEarly(
        f"the notebook stopped early {where}: {len(skipped)} later cell(s) never ran "
        "(does a cell call sys.exit() or raise SystemExit?); nothing was published"
    )


def _describe_failure(err: BaseException, timeout: int | None) -> str:
    name = type(err).__name__
    if isinstance(err, (StoppedEarly, ShrunkFigures)):
        return str(err)
    if name == "PapermillExecutionError":
        return f"cell {err.exec_count}: {err.ename}: {err.evalue}".strip()
    if "Timeout" in name:
        return f"a cell ran longer than {timeout} s and was stopped (raise --timeout if it needs longer)"
    if name == "DeadKernelError":
        return "the kernel died while running the notebook"
    return f"{name}: {err}"


def execute(
    report: Report, layout: Layout, staging: Path, *, timeout: int | None, kernel_manager_class: type | None = None
) -> tuple[Path, dict]:
    """Run one notebook with papermill into ``staging``; returns the executed notebook and its record.

    ``kernel_manager_class`` (nbclient's) decides how the kernel starts: ``warm.py``'s forks it warm.
    """
    import nbformat
    import papermill as pm

    from .provenance import git_commit, package_versions

    out_dir = staging / "out"
    out_dir.mkdir(parents=True)
    executed = staging / f"{report.id}.ipynb"
    # An analyst's output_dir=None (show the figures only) is kept; any other folder is the staging one.
    params = {**report.parameters, "output_dir": str(out_dir)}
    if "output_dir" in report.parameters and report.parameters["output_dir"] is None:
        params["output_dir"] = None
    pm.execute_notebook(
        str(report.notebook_path(layout.notebooks)),
        str(executed),
        parameters=params,
        kernel_name="python3",
        cwd=str(layout.notebooks),
        progress_bar=False,
        log_output=False,
        execution_timeout=timeout,
        start_timeout=120,
        report_mode=False,
        # The kernel's own log (transport warnings, shutdown notices) is noise in a build's output.
        extra_arguments=["--IPKernelApp.log_level=CRITICAL"],
        **({"kernel_manager_class": kernel_manager_class} if kernel_manager_class else {}),
    )
    nb = nbformat.read(executed, as_version=4)
    _check_every_cell_ran(nb)
    reads = _read_provenance(nb)
    record = {
        "report": report.id,
        "notebook": f"notebooks/{report.notebook}.ipynb",
        "parameters": report.parameters,
        "data": reads.get("data", {}),
        "packages": reads.get("packages") or package_versions(),
        "git_commit": git_commit(layout.root),
    }
    nb.metadata["casualty_workbook"] = record
    nbformat.write(nb, executed)
    return executed, record


def _install(src: Path, dest: Path, scratch: Path) -> None:
    """Put ``src`` at ``dest`` atomically; a file whose bytes are unchanged is left alone."""
    data = src.read_bytes()
    if dest.is_file() and dest.read_bytes() == data:
        return
    _write_atomic(dest, data, scratch=scratch)


class ShrunkFigures(Exception):
    """A run made fewer figures than are in place: publishing would delete committed ones."""


def _check_no_figure_lost(report: Report, layout: Layout, staging: Path) -> None:
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
    outputs: dict[str, str] = {}
    produced = sorted((staging / "out").iterdir()) if (staging / "out").is_dir() else []
    figure_dir = layout.figures if layout.figures_flat else layout.figures / report.id
    export_dir = layout.reports / report.id
    # A figure is its PNG, SVG and CSV (pages.figure_names); reports/<id>/ gets copies too, so the
    # reports folder alone shows and offers every figure.
    from .pages import figure_names

    names = figure_names(produced)
    figures = [p for p in produced if p.stem in names and p.suffix in FIGURE_SUFFIXES and p.is_file()]
    exports = [p for p in produced if p not in figures and p.is_file()] + figures
    for src in figures:
        _install(src, figure_dir / src.name, staging)
        outputs[f"figures/{report.id}/{src.name}"] = _file_sha(src)
    for src in exports:
        _install(src, export_dir / src.name, staging)
        outputs[f"reports/{report.id}/{src.name}"] = _file_sha(src)
    # Exports this run no longer makes are removed, after the new ones are in place (a lost figure has
    # already stopped the report: _check_no_figure_lost); an analyst's own folder is left alone.
    for folder, kept in ((figure_dir, {p.name for p in figures}), (export_dir, {p.name for p in exports})):
        if folder.is_dir() and not (folder == figure_dir and layout.figures_flat):
            for old in folder.iterdir():
                if old.name not in kept and not old.name.startswith("."):
                    old.unlink()
    _install(executed, layout.reports / f"{report.id}.ipynb", staging)
    _write_atomic(layout.reports / f"{report.id}.html", html, scratch=staging)
    outputs[f"reports/{report.id}.ipynb"] = _file_sha(layout.reports / f"{report.id}.ipynb")
    outputs[f"reports/{report.id}.html"] = _sha(html)
    (layout.reports / "failed" / f"{report.id}.ipynb").unlink(missing_ok=True)
    return outputs


def run_report(report: Report, layout: Layout, *, timeout: int | None) -> Outcome:
    """Execute one report in this process's kernels and publish it."""
    from .executors import execute_report

    execution = execute_report(report, layout, timeout, scratch=layout.state_dir / "staging")
    return publish_execution(report, layout, execution)


def publish_execution(report: Report, layout: Layout, execution) -> Outcome:
    """Publish what an executor handed back (``executors.Execution``: bytes, from wherever it ran).

    Only this, the coordinating process, writes into figures/ and reports/: the bytes go to a
    staging folder under the build state, then into place file by file, as ``publish`` does.
    """
    start = time.perf_counter()
    staging_root = layout.state_dir / "staging"
    staging_root.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f"{report.id}-", dir=staging_root))
    try:
        if not execution.ok:  # the notebook failed: keep what papermill wrote, publish nothing
            if execution.notebook:
                _write_atomic(layout.reports / "failed" / f"{report.id}.ipynb", execution.notebook, scratch=staging)
            return Outcome(report, False, execution.seconds, execution.error)
        executed = staging / f"{report.id}.ipynb"
        executed.write_bytes(execution.notebook)
        (staging / "out").mkdir()
        for name, data in execution.files.items():
            if Path(name).name != name or name in ("", ".", ".."):  # bytes from a worker name no other folder
                return Outcome(report, False, execution.seconds, f"the worker handed back a file named {name!r}")
            (staging / "out" / name).write_bytes(data)
        try:
            _check_no_figure_lost(report, layout, staging)
        except ShrunkFigures as err:  # the run is kept for reading; nothing is published
            _write_atomic(layout.reports / "failed" / f"{report.id}.ipynb", execution.notebook, scratch=staging)
            return Outcome(report, False, execution.seconds, str(err))
        from .pages import render_report

        html = render_report(executed, report, execution.record, staging / "out")
        outputs = publish(report, layout, executed, html, staging)
        return Outcome(
            report, True, execution.seconds + time.perf_counter() - start, record=execution.record, outputs=outputs
        )
    finally:
        shutil.rmtree(staging, ignore_errors=True)


# ---- the whole build ------------------------------------------------------------------------------


def _prepare_environment(data_dir: Path) -> None:
    """What every kernel inherits: the data folder and fixed seeds and dates for reproducible output."""
    os.environ["WORKBOOK_DATA_DIR"] = str(data_dir)
    os.environ.setdefault("SOURCE_DATE_EPOCH", "0")
    os.environ.setdefault("PYTHONHASHSEED", "0")
    os.environ.setdefault("MPLBACKEND", "module://matplotlib_inline.backend_inline")


def _kill_children() -> None:
    """Stop the kernels this process started (on Ctrl-C or SIGTERM)."""
    try:
        import psutil
    except ImportError:
        return
    children = psutil.Process().children(recursive=True)
    for child in children:
        child.terminate()
    _, alive = psutil.wait_procs(children, timeout=3)
    for child in alive:
        child.kill()


def _acquire_lock(layout: Layout):
    from filelock import FileLock, Timeout

    layout.state_dir.mkdir(parents=True, exist_ok=True)
    lock = FileLock(str(layout.state_dir / "build.lock"))
    try:
        lock.acquire(timeout=0)
    except Timeout:
        raise BuildLockedError(
            f"another build is running (it holds {layout.state_dir / 'build.lock'}); "
            "wait for it to finish, then build again"
        ) from None
    return lock


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
    from .paths import default_data_dir

    layout = layout or default_layout()
    data_dir = default_data_dir().resolve()
    started = time.perf_counter()
    reports = read_catalogue(layout.catalogue, layout.notebooks)
    if only:
        unknown = sorted(set(only) - {r.id for r in reports})
        if unknown:
            raise ParameterError(
                f"--only: unknown report(s) {', '.join(unknown)}; known: {', '.join(r.id for r in reports)}"
            )
        reports = [r for r in reports if r.id in only]
    lock = _acquire_lock(layout)
    try:
        # A build killed outright (SIGKILL) may have left its scratch files: only ever under the state folder.
        shutil.rmtree(layout.state_dir / "staging", ignore_errors=True)
        state = load_state(layout)
        code = code_hash(layout)
        stale = plan(reports, layout, state, data_dir, code, force=force)
        if not stale:
            _write_index(layout, read_catalogue(layout.catalogue, layout.notebooks), state, only_if_missing=True)
            _progress(
                f"All {_count(len(reports), 'report')} {'is' if len(reports) == 1 else 'are'} up to date "
                f"({time.perf_counter() - started:.2f} s)."
            )
            return 0
        # Nothing runs on bad data or bad parameters: both are checked before any kernel starts.
        from .loading import load_all

        tables = load_all(data_dir)
        check_parameters(stale, layout.catalogue, tables)
        _prepare_environment(data_dir)
        workers = max(1, min(jobs or os.cpu_count() or 1, len(stale)))
        _progress(
            f"Building {len(stale)} of {_count(len(reports), 'report')} with {_count(workers, 'kernel')} at once "
            f"({len(reports) - len(stale)} up to date)."
        )
        outcomes = _run_all(stale, layout, workers, timeout, executor=executor, scheduler=scheduler)
        for outcome in outcomes:
            if outcome.ok:
                state["reports"][outcome.report.id] = {
                    "key": report_key(outcome.report, layout, code, outcome.record["data"], data_dir),
                    "data": outcome.record["data"],
                    "outputs": outcome.outputs,
                    "title": outcome.report.title,
                }
            else:
                state["reports"].pop(outcome.report.id, None)
        save_state(layout, state)
        _write_index(layout, read_catalogue(layout.catalogue, layout.notebooks), state)
        failed = [o for o in outcomes if not o.ok]
        _progress(
            f"Built {len(outcomes) - len(failed)} report(s), {len(reports) - len(stale)} up to date, "
            f"{len(failed)} failed, in {time.perf_counter() - started:.1f} s."
        )
        if failed:
            lines = [
                f"  {o.report.id}: {o.error}\n    executed notebook: "
                f"{layout.reports / 'failed' / (o.report.id + '.ipynb')}"
                for o in failed
            ]
            raise BuildError(
                f"{len(failed)} report(s) failed; the figures of their last good build are kept:\n" + "\n".join(lines)
            )
        return 0
    finally:
        lock.release()


def _count(n: int, noun: str) -> str:
    """'1 report', '7 reports'."""
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def _interrupt(signum, frame) -> None:
    """SIGTERM stops a build the way Ctrl-C does: kernels stopped, nothing half-written."""
    raise KeyboardInterrupt


def _run_all(
    stale: list[Report],
    layout: Layout,
    workers: int,
    timeout: int | None,
    *,
    executor: str = "local",
    scheduler: str | None = None,
) -> list[Outcome]:
    """Execute the reports where ``executor`` says; publish each here, in this process, as it comes back."""
    from .executors import open_executor

    outcomes: list[Outcome] = []
    by_id = {r.id: r for r in stale}
    previous = signal.getsignal(signal.SIGTERM)
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _interrupt)
    try:
        with open_executor(executor, jobs=workers, layout=layout, scheduler=scheduler) as running:
            for done, execution in enumerate(running.run(stale, timeout), start=1):
                outcome = publish_execution(by_id[execution.report_id], layout, execution)
                outcomes.append(outcome)
                mark = "ok " if outcome.ok else "FAILED"
                _progress(
                    f"[{done}/{len(stale)}] {mark} {outcome.report.id} ({outcome.seconds:.1f} s)"
                    + ("" if outcome.ok else f": {outcome.error}")
                )
    except KeyboardInterrupt:
        _kill_children()
        shutil.rmtree(layout.state_dir / "staging", ignore_errors=True)
        raise
    finally:
        if threading.current_thread() is threading.main_thread():
            signal.signal(signal.SIGTERM, previous)
    return sorted(outcomes, key=lambda o: [r.id for r in stale].index(o.report.id))


def _write_index(layout: Layout, reports: list[Report], state: dict, *, only_if_missing: bool = False) -> None:
    from .index import render_index

    target = layout.reports / "index.html"
    if only_if_missing and target.is_file():
        return
    _write_atomic(target, render_index(reports, state, layout).encode("utf-8"), scratch=layout.state_dir)


# ---- an analyst's own run -------------------------------------------------------------------------


def run_custom_report(
    notebook: str, assignments: list[str], *, timeout: int | None = None, layout: Layout | None = None
) -> int:
    """Run one notebook with the analyst's parameters into reports/custom/<name>/, never over figures/."""
    from . import parameters
    from .loading import load_all
    from .paths import default_data_dir

    layout = layout or default_layout()
    values = parameters.parse_assignments(notebook, assignments)
    if not (layout.notebooks / f"{notebook}.ipynb").is_file():
        raise ParameterError(f"notebook {notebook!r} not found in {layout.notebooks}")
    has_output_dir = "output_dir" in values
    output_dir = _custom_output_dir(values.pop("output_dir", None), layout)
    data_dir = default_data_dir().resolve()
    tables = load_all(data_dir)
    parameters.check(notebook, values, where=f"notebook {notebook}", tables=tables)
    slug = "-".join(f"{k}={v}" for k, v in sorted(values.items())) or "defaults"
    name = f"{notebook}--{slug}".replace("/", "_").replace(" ", "_")
    if has_output_dir and output_dir is None:
        values["output_dir"] = None  # figures shown in the report only, saved nowhere
    report = Report(name, notebook, f"{notebook} ({slug})", values)
    custom = Layout(
        layout.root,
        output_dir or layout.reports / "custom" / "figures",
        layout.reports / "custom",
        figures_flat=output_dir is not None,
    )
    _prepare_environment(data_dir)
    _progress(f"Running {notebook} with {slug} …")
    outcome = _run_all([report], custom, 1, timeout)[0]
    if not outcome.ok:
        raise BuildError(
            f"{name}: {outcome.error}\n  executed notebook: {custom.reports / 'failed' / (name + '.ipynb')}"
        )
    if has_output_dir and output_dir is None:
        _progress(f"Wrote {custom.reports / (name + '.html')} (output_dir=None: figures shown there, not saved)")
    else:
        _progress(
            f"Wrote {custom.reports / (name + '.html')} and figures in "
            f"{custom.figures if custom.figures_flat else custom.figures / name}"
        )
    return 0


def _custom_output_dir(value: str | None, layout: Layout) -> Path | None:
    """Where an analyst's ``output_dir=...`` puts the figures: any folder but the committed figures/."""
    if value is None:
        return None
    folder = Path(value).expanduser().resolve()
    committed = layout.figures.resolve()
    if folder == committed or folder.is_relative_to(committed):
        raise ParameterError(
            f"parameter output_dir: {folder} is inside the committed figures ({committed}); "
            "choose another folder (only the build writes there)"
        )
    if folder.exists() and not folder.is_dir():
        raise ParameterError(f"parameter output_dir: {folder} exists and is not a folder")
    return folder
