"""The Dask executor: a LocalCluster of two worker processes builds the catalogue; a lost worker loses nothing."""

from __future__ import annotations

import os
import signal
import time

import pytest
from conftest import REPO, copy_project, run_cli, run_cli_here, tree_digest
from test_faults import assert_no_partial_outputs, only, start_build

from casualty_workbook.pipeline.catalogue import read_catalogue

distributed = pytest.importorskip("distributed")
pytestmark = pytest.mark.slow
REPORTS = len(read_catalogue(REPO / "catalogue.yml", REPO / "notebooks", REPO / "data"))
# The killed worker's reports: the catalogue's longest (its event report of the most claims) among them,
# so that the worker dies inside a report.
SOME = ("context", "event_report--belgorod_strike_2024", "provenance")


def test_a_local_cluster_of_two_workers_builds_the_committed_figures(tmp_path):
    root = copy_project(tmp_path / "project", with_figures=False)
    result = run_cli(root, "build", "--executor", "dask", "--jobs", "2", timeout=1200)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"Built {REPORTS} report(s)" in result.stdout
    committed, rebuilt = tree_digest(REPO / "figures"), tree_digest(root / "figures")
    assert sorted(rebuilt) == sorted(committed)
    assert [name for name in committed if committed[name] != rebuilt[name]] == []
    for report in ("event_report--belgorod_strike_2024", "provenance"):
        assert (root / "reports" / f"{report}.html").read_text().rstrip().endswith("</html>")
    # Workers wrote nowhere in the project: only the coordinator's scratch, and it is gone.
    assert not list((root / ".build-state").glob("staging/*"))


def test_killing_a_worker_mid_build_finishes_or_fails_cleanly(project):
    """A worker killed while it runs a report: Dask reruns the report elsewhere; nothing is half-written.

    A few reports (the whole catalogue is built through a cluster above) are enough for a worker to
    die inside one while the other runs another."""
    from distributed import Client, LocalCluster

    with (
        LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None, silence_logs=50
        ) as cluster,
        Client(cluster) as client,
    ):
        build = start_build(project, *only(*SOME), "--executor", "dask", "--scheduler", cluster.scheduler_address)
        try:
            victim = _worker_running_a_report(client, timeout=300)
            assert victim, "no report ever started on the cluster"
            pid = client.run(os.getpid, workers=[victim])[victim]
            time.sleep(1.0)  # well inside the report: its kernel is running cells
            os.kill(pid, signal.SIGKILL)
            out, err = build.communicate(timeout=1200)
        finally:
            if build.poll() is None:
                build.kill()
                build.communicate()
    assert build.returncode in (0, 1), out + err
    assert "Traceback" not in err
    assert_no_partial_outputs(project)
    if build.returncode == 0:
        assert f"Built {len(SOME)} report(s)" in out
        assert tree_digest(project / "figures") == tree_digest(REPO / "figures")
    else:  # a report given up on is named, and its last good figures are kept
        assert "failed" in err and "KilledWorker" in err
    # Nothing of the build is left running: no kernel outlives the worker that started it.
    result = run_cli_here(project, "build", *only(*SOME))
    assert result.returncode == 0, result.stderr


def _worker_running_a_report(client, *, timeout: float) -> str | None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for worker, keys in client.processing().items():
            if any(str(k).startswith("report-") for k in keys):
                return worker
        time.sleep(0.2)
    return None


def test_an_unreachable_scheduler_is_one_clear_error(project):
    # Dask's connect timeout, as a user would set it, so the test need not wait the default 30 s.
    result = run_cli(
        project,
        "build",
        "--executor",
        "dask",
        "--scheduler",
        "tcp://127.0.0.1:9",
        timeout=300,
        DASK_DISTRIBUTED__COMM__TIMEOUTS__CONNECT="1s",
    )
    assert result.returncode == 2, result.stdout + result.stderr
    assert "--scheduler tcp://127.0.0.1:9: no Dask scheduler answered" in result.stderr
    assert "Traceback" not in result.stderr
    assert tree_digest(project / "figures") == tree_digest(REPO / "figures")
    assert not (project / "reports").exists()
