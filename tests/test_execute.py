"""A failed run is told apart by the class of what was raised, never by its name."""

from __future__ import annotations

import nbformat
import pytest
from nbclient.exceptions import CellTimeoutError, DeadKernelError
from papermill.exceptions import PapermillExecutionError

from casualty_workbook.pipeline.execute import StoppedEarly, _check_every_cell_ran, describe_failure


def cell_error(cls=PapermillExecutionError):
    return cls(3, 7, "raise RuntimeError('boom')", "RuntimeError", "boom", ["Traceback", "RuntimeError: boom"])


def test_a_cell_s_error_names_the_cell_and_the_error():
    assert describe_failure(cell_error(), timeout=None) == "cell 7: RuntimeError: boom"


def test_a_timeout_a_dead_kernel_and_an_early_stop_each_say_so():
    assert describe_failure(CellTimeoutError("Cell execution timed out"), timeout=5) == (
        "a cell ran longer than 5 s and was stopped (raise --timeout if it needs longer)"
    )
    assert describe_failure(DeadKernelError("Kernel died"), timeout=None) == (
        "the kernel died while running the notebook"
    )
    assert describe_failure(StoppedEarly("the notebook stopped early"), timeout=None) == "the notebook stopped early"
    assert describe_failure(TimeoutError("no reply"), timeout=None).startswith("the kernel did not answer in time")


def test_subclasses_are_told_apart_by_their_class():
    class RetriedCellError(PapermillExecutionError):
        pass

    class SlowCell(CellTimeoutError):
        pass

    assert describe_failure(cell_error(RetriedCellError), timeout=None) == "cell 7: RuntimeError: boom"
    assert describe_failure(SlowCell("timed out"), timeout=9).startswith("a cell ran longer than 9 s")


def test_an_unrelated_exception_with_a_familiar_name_is_not_mistaken_for_it():
    DeadKernelError_ = type("DeadKernelError", (Exception,), {})
    Timeout = type("KernelTimeoutWarning", (Exception,), {})
    assert describe_failure(DeadKernelError_("elsewhere"), timeout=None) == "DeadKernelError: elsewhere"
    assert describe_failure(Timeout("x"), timeout=None) == "KernelTimeoutWarning: x"
    assert describe_failure(ValueError("bad"), timeout=None) == "ValueError: bad"


def test_a_notebook_whose_later_cells_never_ran_stopped_early():
    ran = nbformat.v4.new_code_cell("import sys; sys.exit(0)", execution_count=1)
    ran.outputs = [nbformat.v4.new_output("error", ename="SystemExit", evalue="0", traceback=[])]
    skipped = nbformat.v4.new_code_cell("print('never')")
    with pytest.raises(StoppedEarly, match=r"after cell 1 \(SystemExit: 0\): 1 later cell\(s\) never ran"):
        _check_every_cell_ran(nbformat.v4.new_notebook(cells=[ran, skipped]))
    skipped.execution_count = 2
    _check_every_cell_ran(nbformat.v4.new_notebook(cells=[ran, skipped]))  # every cell ran: no error


def _tiny_project(tmp_path, cells: list[str]):
    from casualty_workbook.core.paths import Layout
    from casualty_workbook.pipeline.catalogue import Report

    (tmp_path / "notebooks").mkdir()
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, tmp_path / "notebooks" / "tiny.ipynb")
    return Report("tiny", "tiny", "tiny"), Layout(tmp_path, tmp_path / "figures", tmp_path / "reports")


@pytest.mark.slow
def test_the_notebook_is_written_when_the_run_ends_not_after_every_cell(tmp_path, monkeypatch):
    import papermill.iorw

    from casualty_workbook.pipeline import execute

    writes = []
    real = papermill.iorw.write_ipynb
    monkeypatch.setattr(papermill.iorw, "write_ipynb", lambda nb, path: writes.append(path) or real(nb, path))
    for module in ("papermill.execute", "papermill.engines"):  # where papermill's writes are looked up
        monkeypatch.setattr(f"{module}.write_ipynb", papermill.iorw.write_ipynb)
    report, layout = _tiny_project(tmp_path, [f"x{i} = {i}" for i in range(6)])
    staging = tmp_path / "staging"
    executed, _ = execute.execute_notebook(report, layout, staging, timeout=60)
    assert len(writes) == 1, f"papermill wrote the notebook {len(writes)} times"
    nb = nbformat.read(executed, as_version=4)
    assert [c.execution_count for c in nb.cells if c.cell_type == "code"] == [1, 2, 3, 4, 5, 6, 7]


@pytest.mark.slow
def test_a_report_s_code_stays_out_of_the_analyst_s_ipython_history(tmp_path, monkeypatch):
    """Kernels side by side would lock the history's SQLite file; a build's cells are not the analyst's."""
    from casualty_workbook.pipeline import execute

    ipython_dir = tmp_path / "ipython"
    monkeypatch.setenv("IPYTHONDIR", str(ipython_dir))
    report, layout = _tiny_project(tmp_path, ["hm = get_ipython().history_manager", "print(hm.enabled, hm.hist_file)"])
    executed, _ = execute.execute_notebook(report, layout, tmp_path / "staging", timeout=60)
    printed = nbformat.read(executed, as_version=4).cells[-1].outputs[0]["text"]
    assert printed.split() == ["False", ":memory:"]
    assert not list(ipython_dir.rglob("history.sqlite"))
