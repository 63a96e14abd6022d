"""Running one report: its notebook executed by papermill into a staging folder, and why it failed."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from casualty_workbook.core.notebook_outputs import PROVENANCE_MIME
from casualty_workbook.core.paths import Layout
from casualty_workbook.data.provenance import git_commit, package_versions
from casualty_workbook.pipeline.catalogue import Report


class StoppedEarly(Exception):
    """The kernel finished without error, yet some cells never ran (a cell called sys.exit())."""


def _read_provenance(nb) -> dict:
    """The data the notebook read, from the output of its provenance cell."""
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            if PROVENANCE_MIME in data:
                return data[PROVENANCE_MIME]
    return {}


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


def describe_failure(err: BaseException, timeout: int | None) -> str:
    """One line saying why a report's run failed, told apart by the kind of exception raised."""
    from nbclient.exceptions import CellTimeoutError, DeadKernelError
    from papermill.exceptions import PapermillExecutionError

    if isinstance(err, StoppedEarly):
        return str(err)
    if isinstance(err, PapermillExecutionError):
        return f"cell {err.exec_count}: {err.ename}: {err.evalue}".strip()
    if isinstance(err, CellTimeoutError):
        return f"a cell ran longer than {timeout} s and was stopped (raise --timeout if it needs longer)"
    if isinstance(err, DeadKernelError):
        return "the kernel died while running the notebook"
    if isinstance(err, TimeoutError):  # the kernel, not a cell, did not answer in time
        return f"the kernel did not answer in time ({type(err).__name__}: {err})"
    return f"{type(err).__name__}: {err}"


_ENGINE = "casualty-workbook"


@cache  # once per process: the engine is the same for every report
def _register_engine() -> None:
    """papermill's nbclient engine, writing the notebook when the run ends instead of after every cell.

    papermill saves the notebook after each cell so that a long run can be followed; a build's
    reports are short and only their end is kept: the executed notebook (papermill writes it),
    the failed one with its error banner (papermill too), or, when a cell timed out or the kernel
    died, the run as far as it got (this engine, to ``partial_path``).
    """
    from papermill.engines import NBClientEngine, papermill_engines
    from papermill.iorw import write_ipynb

    class WriteAtEnd(NBClientEngine):
        @classmethod
        def execute_notebook(cls, nb, kernel_name, *, partial_path: str | None = None, **kwargs):
            try:
                return super().execute_notebook(nb, kernel_name, **kwargs)
            except BaseException:
                if partial_path:
                    write_ipynb(nb, partial_path)
                raise

    papermill_engines.register(_ENGINE, WriteAtEnd)


def execute_notebook(
    report: Report, layout: Layout, staging: Path, *, timeout: int | None, kernel_options: dict | None = None
) -> tuple[Path, dict]:
    """Run one notebook with papermill into ``staging``; returns the executed notebook and its record.

    The figures it saves land in ``staging/out``. ``kernel_options`` (passed on to nbclient: its kernel
    manager class and settings) decide how the kernel starts: ``warm.WarmKernels.kernel_options`` forks it warm.
    """
    import nbformat
    import papermill as pm

    out_dir = staging / "out"
    out_dir.mkdir(parents=True)
    executed = staging / f"{report.id}.ipynb"
    # An analyst's output_dir=None (show the figures only) is kept; any other folder is the staging one.
    params = {**report.parameters, "output_dir": str(out_dir)}
    if "output_dir" in report.parameters and report.parameters["output_dir"] is None:
        params["output_dir"] = None
    _register_engine()
    nb = pm.execute_notebook(
        str(report.notebook_path(layout.notebooks)),
        str(executed),
        parameters=params,
        engine_name=_ENGINE,
        request_save_on_cell_execute=False,
        partial_path=str(executed),
        kernel_name="python3",
        cwd=str(layout.notebooks),
        progress_bar=False,
        log_output=False,
        execution_timeout=timeout,
        start_timeout=120,
        report_mode=False,
        # The kernel's own log (transport warnings, shutdown notices) is noise in a build's output. Nor
        # does a report's code belong in the analyst's IPython history (~/.ipython's SQLite file): kernels
        # running side by side lock it ("database is locked"), and each kept a connection and a thread
        # writing every cell to it.
        extra_arguments=["--IPKernelApp.log_level=CRITICAL", "--HistoryManager.enabled=False"],
        **(kernel_options or {}),
    )
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
