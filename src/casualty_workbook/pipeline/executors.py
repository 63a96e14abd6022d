"""Where reports execute: on this machine (the default) or on a Dask cluster.

Executing a report is a task: run its notebook with papermill into a private scratch folder
and hand back the executed notebook and every file it saved, as bytes (an ``Execution``).
The coordinating process alone publishes them (``build.publish.publish_execution``), atomically, as
for a local build: a worker never writes into figures/ or reports/, so a worker lost in the
middle of a report loses nothing. Dask reruns the task elsewhere; if it keeps losing workers
the report is reported failed.

- ``local``: a thread per kernel on this machine; each kernel is forked from a warm server
  (``warm.py``) that has already imported pandas, matplotlib and the rest. The build's warm kernels
  (``warm.WarmKernels``) are the executor's, for the build's run, unless its caller has some open.
- ``dask``: each report is a task on a ``distributed`` cluster (``--scheduler ADDRESS``, or a
  ``LocalCluster`` started for the build). Workers need the same environment (the lock and
  this package) and the project's notebooks and data at the same path as the coordinator;
  the worker checks both and says so when they differ.
"""

from __future__ import annotations

import os
import shutil
import socket
import tempfile
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path

from casualty_workbook.core.exceptions import ParameterError
from casualty_workbook.core.files import sha256_input
from casualty_workbook.core.paths import default_data_dir
from casualty_workbook.core.startup import skip_unused_imports
from casualty_workbook.pipeline import warm
from casualty_workbook.pipeline.build_lock import scratch_dir
from casualty_workbook.pipeline.build_state import code_hash
from casualty_workbook.pipeline.catalogue import Report
from casualty_workbook.pipeline.execute import describe_failure, execute_notebook
from casualty_workbook.pipeline.kernel_environment import kernel_environment
from casualty_workbook.pipeline.warm import WarmKernels

EXECUTORS = ("local", "dask")
# What a kernel needs from the build's environment wherever it runs (``build.run.prepare_environment``).
KERNEL_ENV_KEYS = ("WORKBOOK_DATA_DIR", "SOURCE_DATE_EPOCH", "PYTHONHASHSEED", "MPLBACKEND")
# A Dask worker's warm kernels, among its extensions (``dask_setup``): distributed closes them with the worker.
WORKER_EXTENSION = "casualty_workbook.pipeline.warm"


@dataclass
class Execution:
    """What a worker hands back for one report: everything the coordinator needs to publish it."""

    report_id: str
    ok: bool
    seconds: float
    notebook: bytes = b""  # the executed notebook, or the failed run as far as it got
    files: dict[str, bytes] = field(default_factory=dict)  # what the notebook saved, by file name
    record: dict | None = None
    error: str = ""
    worker: str = ""


def kernel_env() -> dict[str, str]:
    """The build's settings every kernel gets, read from this (the coordinating) process."""
    return {k: os.environ[k] for k in KERNEL_ENV_KEYS if k in os.environ}


def execute_report(
    report: Report,
    layout,
    timeout: int | None,
    *,
    env: dict[str, str] | None = None,
    scratch: Path | None = None,
    warm: bool = True,
    expect: dict | None = None,
    kernels=None,
) -> Execution:
    """Run one report here (a thread of the build, or a task on a worker) and return its outputs as bytes.

    Its kernel comes from ``kernels`` (a ``warm.WarmKernels``): the build's; else, on a Dask worker, the
    worker's; else the current ones (``with WarmKernels():``); else ones opened for this report alone.
    With ``warm=False`` it starts the ordinary way (a cold kernel). ``expect`` (from the coordinator)
    holds the sha256 of the notebook and of the package code: a worker whose copies differ refuses the
    task rather than build something else.
    """
    skip_unused_imports()  # a worker started without the preload (dask_setup) reads notebooks too
    start = time.perf_counter()
    where = f"{socket.gethostname()}:{os.getpid()}"
    if expect:
        problem = _check_expected(report, layout, expect)
        if problem:
            return Execution(report.id, False, 0.0, error=problem, worker=where)
    if scratch is not None:
        scratch.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f"{report.id}-", dir=scratch))
    kernels = _kernels_for(warm, kernels)
    owned = WarmKernels(fork=warm) if kernels is None else None
    try:
        options = (kernels or owned).kernel_options(env)
        try:
            executed, record = execute_notebook(report, layout, staging, timeout=timeout, kernel_options=options)
        except Exception as err:  # noqa: BLE001 - the notebook failed: hand back what papermill wrote, nothing to publish
            return _failed(report, staging, err, timeout, time.perf_counter() - start, where)
        files = _saved_files(staging / "out")
        return Execution(
            report.id, True, time.perf_counter() - start, executed.read_bytes(), files, record, worker=where
        )
    finally:
        if owned is not None:
            owned.close()
        shutil.rmtree(staging, ignore_errors=True)


def _kernels_for(warm: bool, kernels):
    """The warm kernels a report forks from: those given, else the worker's, else the current ones; None
    when ``warm`` is off or there are none (the report then opens kernels of its own)."""
    if not warm:
        return None
    if kernels is None:
        return _worker_kernels() or WarmKernels.current()
    return kernels


def _failed(
    report: Report, staging: Path, err: Exception, timeout: int | None, seconds: float, where: str
) -> Execution:
    """A failed run's ``Execution``: the notebook as far as papermill wrote it, and what went wrong."""
    failed = staging / f"{report.id}.ipynb"
    return Execution(
        report.id,
        False,
        seconds,
        notebook=failed.read_bytes() if failed.is_file() else b"",
        error=describe_failure(err, timeout),
        worker=where,
    )


def _saved_files(out: Path) -> dict[str, bytes]:
    """Every file the notebook saved in ``out`` (none if it saved nothing), by name, as bytes."""
    return {p.name: p.read_bytes() for p in sorted(out.iterdir()) if p.is_file()} if out.is_dir() else {}


def _worker_kernels():
    """The warm kernels of the Dask worker running this task (``dask_setup``), or None."""
    import sys

    if "distributed" not in sys.modules:
        return None
    from distributed import get_worker

    try:
        return get_worker().extensions.get(WORKER_EXTENSION)
    except ValueError:  # not in a worker's task
        return None


def _check_expected(report: Report, layout, expect: dict) -> str:
    notebook = report.notebook_path(layout.notebooks)
    if sha256_input(notebook, missing_ok=True) != expect.get("notebook"):
        return (
            f"the worker's {notebook} is missing or differs from the coordinator's; workers need the "
            "project's files at the same path, at the same commit"
        )
    if code_hash(layout) != expect.get("code"):
        return (
            "the worker's casualty_workbook package or requirements.lock differs from the coordinator's; "
            "install the same commit and lock on every worker"
        )
    return ""


class LocalExecutor:
    """Reports on this machine: ``jobs`` kernels at once, each forked from a warm server.

    The warm kernels (``warm.WarmKernels``) are the current ones when its caller has some open (``with
    WarmKernels():`` around many builds), else its own: opened as it enters, closed as it exits, so a
    build's servers and kernels end with the build, interrupted or not.
    """

    def __init__(self, jobs: int, layout, *, warm: bool = True):
        self.jobs, self.layout, self.warm = jobs, layout, warm
        self._pool: ThreadPoolExecutor | None = None
        self.kernels = None
        self._owned = None

    def __enter__(self) -> LocalExecutor:
        self.kernels = WarmKernels.current()
        if self.kernels is None:
            self.kernels = self._owned = WarmKernels(fork=self.warm)
        if self.warm:
            self.kernels.prestart()  # its imports overlap with the first kernels' start
        self._pool = ThreadPoolExecutor(max_workers=self.jobs, thread_name_prefix="report")
        return self

    def run(self, reports: list[Report], timeout: int | None) -> Iterator[Execution]:
        scratch = scratch_dir(self.layout)  # this process's own: a report run beside a build never meets it
        futures = [
            self._pool.submit(
                execute_report, r, self.layout, timeout, scratch=scratch, warm=self.warm, kernels=self.kernels
            )
            for r in reports
        ]
        for future in as_completed(futures):
            yield future.result()

    def __exit__(self, kind, value, traceback) -> None:
        self._pool.shutdown(wait=kind is None, cancel_futures=kind is not None)
        if self._owned is not None:  # the build's own: its servers stop (their kernels with them)
            self._owned.close()
            self._owned = None


def dask_setup(worker=None) -> None:
    """Dask's preload hook, run by each worker as it starts (``--preload casualty_workbook.pipeline.executors``):
    the worker's warm kernels (``warm.WarmKernels``, for the worker's life: distributed closes its
    extensions as it closes) start their server's imports, and the notebook runner is imported, while
    the cluster is still coming up, instead of when the worker's first report arrives. The build's
    ``LocalCluster`` preloads it; on a cluster of your own without it, each report's kernel comes from
    a server started for that report alone (about as slow as a cold kernel).
    """
    skip_unused_imports()
    if warm.enabled() and worker is not None:
        kernels = worker.extensions[WORKER_EXTENSION] = warm.WarmKernels()
        # The environment the coordinator's kernels will have (a server serves only kernels whose start-up
        # environment is its own). Not the worker's own hash seed: Dask's nanny gives every worker 6640.
        environ = {k: v for k, v in os.environ.items() if k != "PYTHONHASHSEED"}
        kernels.prestart(kernel_environment(environ, default_data_dir().resolve()))
    import nbclient  # noqa: F401
    import papermill  # noqa: F401 - imported here, ahead of the first report


class DaskExecutor:
    """Reports as tasks on a Dask cluster: at ``scheduler``, or a ``LocalCluster`` of ``jobs`` workers."""

    def __init__(self, jobs: int, layout, *, scheduler: str | None = None):
        self.jobs, self.layout, self.scheduler = jobs, layout, scheduler
        self.cluster = self.client = None
        self.kernel_env: dict[str, str] = {}

    def __enter__(self) -> DaskExecutor:
        try:
            import dask
            from distributed import Client, LocalCluster
        except ImportError:
            raise ParameterError(
                "--executor dask needs the 'distributed' package (it is in requirements.lock: make env)"
            ) from None
        # The build's settings for kernels, read before a LocalCluster starts: Dask's nannies run in this
        # process and write their workers' settings into its environment (PYTHONHASHSEED=6640, thread
        # counts), which would otherwise reach every kernel and miss the servers the workers warmed.
        self.kernel_env = kernel_env()
        if self.scheduler:
            try:
                # Dask's own setting (30 s unless DASK_DISTRIBUTED__COMM__TIMEOUTS__CONNECT says otherwise).
                self.client = Client(self.scheduler, timeout=dask.config.get("distributed.comm.timeouts.connect"))
            except (OSError, TimeoutError) as err:
                raise ParameterError(f"--scheduler {self.scheduler}: no Dask scheduler answered ({err})") from None
        else:
            # One single-threaded worker process per kernel: a report is one task, its kernel one process.
            saved = dict(os.environ)
            try:
                # Workers would sample their own stacks every 10 ms for a dashboard this cluster does not
                # serve: CPU taken from the kernels on the same cores.
                with dask.config.set({"distributed.worker.profile.enabled": False}):
                    self.cluster = LocalCluster(
                        n_workers=self.jobs,
                        threads_per_worker=1,
                        processes=True,
                        dashboard_address=None,
                        silence_logs=50,
                        preload=[__name__],  # dask_setup: each worker's warm server starts with the worker
                    )
            finally:  # this process keeps its own environment (the workers have theirs)
                os.environ.clear()
                os.environ.update(saved)
            self.client = Client(self.cluster)
        return self

    def run(self, reports: list[Report], timeout: int | None) -> Iterator[Execution]:
        from distributed import as_completed as dask_completed

        env = self.kernel_env
        code = code_hash(self.layout)
        futures = {}
        for report in reports:
            expect = {
                "notebook": sha256_input(report.notebook_path(self.layout.notebooks), missing_ok=True),
                "code": code,
            }
            future = self.client.submit(
                execute_report,
                report,
                self.layout,
                timeout,
                env=env,
                expect=expect,
                pure=False,
                key=f"report-{report.id}-{os.urandom(4).hex()}",
            )
            futures[future] = report
        data_dir = Path(env.get("WORKBOOK_DATA_DIR") or self.layout.root / "data")
        for future in dask_completed(futures):
            report = futures[future]
            try:
                execution = future.result()
            except Exception as err:  # noqa: BLE001 - the task never returned: a lost worker, or one that cannot run it
                yield Execution(report.id, False, 0.0, error=_describe_task_failure(err))
                continue
            yield _check_data(execution, data_dir)

    def __exit__(self, kind, value, traceback) -> None:
        if self.client is not None:
            self.client.close()
        if self.cluster is not None:
            self.cluster.close()


def _check_data(execution: Execution, data_dir: Path) -> Execution:
    """A worker's result counts only if the data it read (recorded by hash) is the coordinator's data."""
    if not execution.ok:
        return execution
    differing = sorted(
        name
        for name, digest in (execution.record or {}).get("data", {}).items()
        if sha256_input(data_dir / name, missing_ok=True) != digest
    )
    if differing:
        return Execution(
            execution.report_id,
            False,
            execution.seconds,
            error=(
                f"the worker ({execution.worker}) read data that differs from {data_dir}: {', '.join(differing)}; "
                "workers need the project's data at the same path, at the same commit"
            ),
            worker=execution.worker,
        )
    return execution


def _describe_task_failure(err: BaseException) -> str:
    from distributed import KilledWorker  # only reached with --executor dask, where distributed is imported

    name = type(err).__name__
    if isinstance(err, KilledWorker):
        return "the worker running it died, again on every retry (Dask's KilledWorker); nothing of it was published"
    return f"the task failed on its worker: {name}: {err}"


def usable_cores() -> int:
    """The cores this process may run on (a container or ``taskset`` may allow fewer than the machine has)."""
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return os.cpu_count() or 1


def default_jobs(kind: str) -> int:
    """Reports at once when ``--jobs`` is not given.

    ``local``: one kernel more than the usable cores. A kernel is idle for part of each report (its
    start, its shutdown, the wait while the coordinator takes its results and renders the page), and the
    spare kernel runs in those gaps: on 2 cores, builds of 200 event reports kept the CPUs busy 97% of
    their wall time with 3 kernels against 91–92% with 2. ``dask``: a ``LocalCluster`` of one worker per
    core (each worker runs one report at a time).
    """
    cores = usable_cores()
    return cores + 1 if kind == "local" else cores


def open_executor(kind: str, *, jobs: int, layout, scheduler: str | None = None):
    """The executor named on the command line, ready to use as a context manager."""
    if kind == "local":
        if scheduler:
            raise ParameterError("--scheduler goes with --executor dask")
        return LocalExecutor(jobs, layout)
    if kind == "dask":
        return DaskExecutor(jobs, layout, scheduler=scheduler)
    raise ParameterError(f"--executor {kind!r}: expected one of {', '.join(EXECUTORS)}")
