"""Once set up, the build needs no network: proved by building inside a network namespace with none."""

from __future__ import annotations

import shutil
import subprocess
import sys

import pytest
from conftest import REPO, cli_env, tree_digest

from casualty_workbook.catalogue import read_catalogue


def _can_isolate() -> str | None:
    if not shutil.which("unshare") or not shutil.which("ip"):
        return "unshare or ip not found"
    probe = subprocess.run(["unshare", "-n", "sh", "-c", "ip link set lo up"], capture_output=True, text=True)
    return None if probe.returncode == 0 else f"cannot create a network namespace here: {probe.stderr.strip()}"


@pytest.mark.slow
def test_the_whole_build_runs_without_network(project):
    reason = _can_isolate()
    if reason:
        pytest.skip(f"offline build test skipped: {reason}")
    script = (
        "ip link set lo up && "
        f'{sys.executable} -c "import socket,sys; s=socket.socket(); s.settimeout(2); '
        "sys.exit(0 if s.connect_ex(('1.1.1.1', 80)) != 0 else 'network reachable')\" && "
        f"{sys.executable} -m casualty_workbook.cli build"
    )
    result = subprocess.run(
        ["unshare", "-n", "sh", "-c", script],
        cwd=project,
        env=cli_env(project),
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    reports = read_catalogue(REPO / "catalogue.yml", REPO / "notebooks", REPO / "data")  # one per event expanded
    assert f"Built {len(reports)} report(s)" in result.stdout
    assert tree_digest(project / "figures") == tree_digest(REPO / "figures")
