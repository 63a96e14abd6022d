"""explore.ipynb ends under the plain `papermill` command, every time: no widget in a batch run.

One run in five hung for ever at the widgets cell (a widget's Output area racing nbclient's message
loop). The controls now need a frontend: a batch run draws the static chart and opens no widget,
so there is no race to lose. The suite runs one round of three at once; `pytest -m stress
tests/test_explore_batch.py` runs twenty, three at once (WORKBOOK_STRESS_RUNS for another count).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from conftest import REPO

from casualty_workbook.charts.explore import frontend_attached
from casualty_workbook.pipeline.kernel_environment import kernel_environment

PAPERMILL = Path(sys.executable).parent / "papermill"
WIDGET_MIME = "application/vnd.jupyter.widget-view+json"
RUN_TIMEOUT = 180  # seconds: a run takes a few; one that hangs is stopped and fails the test


def test_the_controls_need_a_frontend():
    assert not frontend_attached({})
    assert frontend_attached({"JPY_SESSION_NAME": "/home/a/explore.ipynb"})
    assert not frontend_attached({"JPY_SESSION_NAME": "x", "WORKBOOK_SHOW_CONTROLS": "0"})
    assert frontend_attached({"WORKBOOK_SHOW_CONTROLS": "1"})
    # A build started from a notebook's kernel does not hand the frontend's mark to its batch kernels.
    assert "JPY_SESSION_NAME" not in kernel_environment({"JPY_SESSION_NAME": "x"}, Path("/data"))


def papermill_run(out: Path) -> tuple[int | None, str]:
    """The plain command line, as an analyst or CI runs it, in notebooks/; (exit code or None if it hung, stderr)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("WORKBOOK_", "JPY_"))}
    try:
        done = subprocess.run(
            [str(PAPERMILL), "--no-progress-bar", "explore.ipynb", str(out)],
            cwd=REPO / "notebooks",
            env=env,
            capture_output=True,
            text=True,
            timeout=RUN_TIMEOUT,
        )
    except subprocess.TimeoutExpired as err:
        return None, str(err.stderr or "")
    return done.returncode, done.stderr


def check_runs(tmp_path: Path, runs: int, at_once: int = 3) -> None:
    outs = [tmp_path / f"explore-{i}.ipynb" for i in range(runs)]
    with ThreadPoolExecutor(at_once) as pool:
        results = list(pool.map(papermill_run, outs))
    hung = [i for i, (code, _) in enumerate(results) if code is None]
    assert not hung, f"{len(hung)} of {runs} runs hung"
    for out, (code, err) in zip(outs, results, strict=True):
        assert code == 0, err[-2000:]
        nb = json.loads(out.read_text())
        mimes = {m for c in nb["cells"] for o in c.get("outputs", []) for m in o.get("data", {})}
        assert "image/png" in mimes, "the static chart is drawn"
        assert WIDGET_MIME not in mimes, "no widget in a batch run"


@pytest.mark.slow
def test_explore_ends_under_plain_papermill_three_at_once(tmp_path):
    check_runs(tmp_path, 3)


@pytest.mark.stress
def test_explore_ends_under_plain_papermill_twenty_times_three_at_once(tmp_path):
    check_runs(tmp_path, int(os.environ.get("WORKBOOK_STRESS_RUNS", "20")))
