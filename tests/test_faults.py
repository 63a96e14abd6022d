"""Failed notebooks, hanging cells, interrupted and concurrent builds lose nothing.

Each build here runs a few reports of the catalogue (``--only``), enough for the fault to meet
other reports running beside it; a whole clean build is tested once, in test_build.py."""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import sys
import time

import nbformat
import pytest
from conftest import REPO, cli_env, run_cli_here, tree_digest

pytestmark = pytest.mark.slow

# A failing or interrupted report meets these running beside it (several kernels at once by default): the
# event report of the catalogue's lightest event, so that rebuilding it costs little.
OTHERS = ("event_report--donbas_war_2014_2021", "provenance")
SOME = ("context", *OTHERS)


def only(*reports: str) -> list[str]:
    return [word for report in reports for word in ("--only", report)]


def hold_until(root, notebook: str, flag) -> None:
    """Make ``notebook`` wait in a cell until the file ``flag`` exists: a report still running when the
    test acts, whatever the machine's speed (two minutes at most, so a stuck test still ends)."""
    insert_cell(
        root,
        notebook,
        f"import pathlib, time\nfor _ in range(1200):\n    if pathlib.Path({str(flag)!r}).exists():\n"
        "        break\n    time.sleep(0.1)",
    )


def start_build(root, *args: str, **popen) -> subprocess.Popen:
    """``workbook build ARGS`` as a real process the test can signal, its output read line by line."""
    return subprocess.Popen(
        [sys.executable, "-m", "casualty_workbook.cli", "build", *args],
        cwd=root,
        env=cli_env(root),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        **popen,
    )


def read_until(process: subprocess.Popen, prefix: str, *, timeout: float = 300) -> str:
    """Lines of the process's output until one starts with ``prefix`` (that line; '' if it never came)."""
    deadline = time.monotonic() + timeout
    line = ""
    while time.monotonic() < deadline and not line.startswith(prefix):
        line = process.stdout.readline()
        if not line and process.poll() is not None:
            break
    return line if line.startswith(prefix) else ""


def insert_cell(root, notebook: str, source: str, *, position: int = 4) -> None:
    path = root / "notebooks" / f"{notebook}.ipynb"
    nb = nbformat.read(path, as_version=4)
    cell = nbformat.v4.new_code_cell(source)
    cell["id"] = "injected-fault"
    nb.cells.insert(position, cell)
    nbformat.write(nb, path)


def assert_no_partial_outputs(root) -> None:
    """figures/ holds only complete committed figures; reports/ only complete files, no temporaries."""
    committed = tree_digest(REPO / "figures")
    for name, digest in tree_digest(root / "figures").items():
        assert committed.get(name) == digest, f"figures/{name} is partial or unexpected"
    for path in (root / "reports").rglob("*") if (root / "reports").exists() else []:
        assert not path.name.endswith(".tmp"), f"temporary file left: {path}"
        if path.suffix == ".html":
            assert path.read_text().rstrip().endswith("</html>"), f"truncated: {path}"
        if path.suffix == ".ipynb":
            nbformat.read(path, as_version=4)  # a truncated notebook would not parse


def test_a_failing_notebook_keeps_its_run_and_the_others_finish(project):
    insert_cell(project, "context", "raise RuntimeError('boom: injected failure')")
    figures_before = tree_digest(project / "figures")
    result = run_cli_here(project, "build", *only(*SOME))
    assert result.returncode == 1
    assert "context: cell" in result.stderr and "RuntimeError: boom: injected failure" in result.stderr
    assert "Traceback" not in result.stderr
    failed = project / "reports" / "failed" / "context.ipynb"
    assert failed.is_file()
    assert "An Exception was encountered at" in failed.read_text(), "papermill's error banner points at the cell"
    for other in OTHERS:
        assert (project / "reports" / f"{other}.html").is_file(), other
    assert tree_digest(project / "figures") == figures_before, "the last good figures stay in place"
    index = (project / "reports" / "index.html").read_text()
    assert "failed/context.ipynb" in index


def test_a_hanging_cell_is_stopped_by_the_timeout(project):
    insert_cell(project, "places", "import time\ntime.sleep(600)")
    started = time.monotonic()
    result = run_cli_here(project, "build", "--only", "kharkiv_front", "--timeout", "2")
    assert time.monotonic() - started < 120
    assert result.returncode == 1
    assert "kharkiv_front: a cell ran longer than 2 s and was stopped" in result.stderr
    assert (project / "reports" / "failed" / "kharkiv_front.ipynb").is_file()


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM, signal.SIGKILL], ids=["SIGINT", "SIGTERM", "SIGKILL"])
def test_an_interrupted_build_leaves_no_partial_file_and_the_next_build_completes(project, sig):
    go = project.parent / "go"
    hold_until(project, "provenance", go)  # still running when the signal comes
    process = start_build(
        project,
        *only(*SOME),
        start_new_session=True,
        # A build started from a shell's background job inherits SIGINT ignored, as it should; the test
        # plays a terminal's Ctrl-C, so the build starts with the default disposition whatever ran pytest.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    # Interrupt while reports are being written: after the first one finishes.
    first = read_until(process, "[1/")
    if not first:  # say why: the build's own words
        process.kill()
        out, err = process.communicate(timeout=60)
        pytest.fail(f"the build never got going (exit {process.returncode}):\n{out}\n{err}")
    os.kill(process.pid, sig)
    rest, _ = process.communicate(timeout=60)
    published = [m[1] for line in [first, *rest.splitlines()] if (m := re.match(r"\[\d+/\d+\] ok\s+(\S+)", line))]
    if sig == signal.SIGKILL:  # what is left of its process group (its warm server) is stopped as a terminal would
        with contextlib.suppress(ProcessLookupError):  # the server may end by itself first: its parent is gone
            os.killpg(process.pid, signal.SIGKILL)
    else:
        assert process.returncode != 0
    assert_no_partial_outputs(project)
    go.touch()
    result = run_cli_here(project, "build", *only(*SOME))
    assert result.returncode == 0, result.stderr
    assert tree_digest(project / "figures") == tree_digest(REPO / "figures")
    if sig != signal.SIGKILL:  # the reports published before the signal were recorded: not built again
        rebuilt = re.findall(r"\[\d+/\d+\] ok\s+(\S+)", result.stdout)
        assert published and not set(published) & set(rebuilt), (published, result.stdout)


def test_two_builds_at_once_do_not_corrupt_each_other(project):
    go = project.parent / "go"
    hold_until(project, "provenance", go)  # the first build is still running when the second starts
    first = start_build(project, *only(*SOME))
    assert read_until(first, "Building"), "the first build never got going"
    second = run_cli_here(project, "build")
    go.touch()
    _out, err = first.communicate(timeout=600)
    assert first.returncode == 0, err
    assert second.returncode == 3
    assert "another build is running" in second.stderr and "Traceback" not in second.stderr
    assert tree_digest(project / "figures") == tree_digest(REPO / "figures")


@pytest.mark.parametrize(
    "exit_code", ["import sys\nsys.exit(0)", "raise SystemExit"], ids=["sys.exit(0)", "SystemExit"]
)
def test_a_notebook_that_exits_early_fails_and_keeps_the_committed_figures(project, exit_code):
    """An early exit is no error to the kernel, but the later cells never ran: the report failed."""
    insert_cell(project, "context", exit_code)
    figures_before = tree_digest(project / "figures")
    result = run_cli_here(project, "build", "--only", "context")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "[1/1] FAILED context" in result.stdout
    assert "context: the notebook stopped early after cell" in result.stderr
    assert "later cell(s) never ran (does a cell call sys.exit() or raise SystemExit?)" in result.stderr
    assert "Traceback" not in result.stderr
    assert tree_digest(project / "figures") == figures_before
    assert (project / "figures" / "context" / "count_in_period.png").is_file()
    assert (project / "reports" / "failed" / "context.ipynb").is_file()
    assert not (project / "reports" / "context.html").exists()


def test_a_run_that_makes_fewer_figures_removes_none_until_they_are_deleted_by_hand(project):
    """Figures in place that a run no longer makes stop the report (named, kept); deleting them by hand,
    as the message says, lets the next build succeed without them."""
    position = len(nbformat.read(project / "notebooks" / "context.ipynb", as_version=4).cells) - 1
    insert_cell(
        project,
        "context",
        "import pathlib\nfor made in pathlib.Path(output_dir).glob('count_in_period.*'):\n    made.unlink()",
        position=position,
    )
    figures_before = tree_digest(project / "figures")
    result = run_cli_here(project, "build", "--only", "context")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "this run did not make 3 figure file(s) now in" in result.stderr
    assert (
        "count_in_period.csv, count_in_period.png, count_in_period.svg; they are kept and nothing was published"
        in result.stderr
    )
    assert "delete them from that folder and build again" in result.stderr
    assert tree_digest(project / "figures") == figures_before
    for stale in (project / "figures" / "context").glob("count_in_period.*"):
        stale.unlink()
    result = run_cli_here(project, "build", "--only", "context")
    assert result.returncode == 0, result.stderr
    assert not list((project / "figures" / "context").glob("count_in_period.*"))
