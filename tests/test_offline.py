"""Once set up, the build needs no network: the session's one clean build (``built_project``) runs
inside a network namespace with none, and reproduces the committed figures there."""

from __future__ import annotations

import pytest
from conftest import REPO, tree_digest

from casualty_workbook.pipeline.catalogue import read_catalogue


def test_the_whole_build_runs_without_network(built_project):
    root, result = built_project
    if result.offline_problem:
        pytest.skip(f"offline build test skipped: {result.offline_problem}")
    assert result.returncode == 0, result.stdout + result.stderr
    reports = read_catalogue(REPO / "catalogue.yml", REPO / "notebooks", REPO / "data")  # one per event expanded
    assert f"Built {len(reports)} report(s)" in result.stdout
    assert tree_digest(root / "figures") == tree_digest(REPO / "figures")
