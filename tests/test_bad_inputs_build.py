"""The whole bad-input corpus, through the build: each case stops `workbook build` before any
kernel starts, with one clear message, and leaves figures/ and reports/ byte for byte unchanged.

The cases run the command line's entry point in this process, one after another (no interpreter
start-up per case); test_faults.py and test_parameters.py run the build as a real process."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from conftest import copy_project, run_cli_here, tree_digest
from datatools import apply_case

CORPUS = Path(__file__).parent / "bad_inputs"
CASES = {path.stem: yaml.safe_load(path.read_text(encoding="utf-8")) for path in sorted(CORPUS.glob("*.yml"))}


@pytest.fixture(scope="module")
def build_runs(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """Every case built once: (result, outputs before, outputs after)."""

    def run(name: str):
        root = copy_project(tmp_path_factory.mktemp(name) / "project")
        # A previous good build's reports, so that "unchanged" covers reports/ too.
        (root / "reports").mkdir()
        (root / "reports" / "index.html").write_text("<html>previous build</html>")
        apply_case(root / "data", CASES[name])
        before = tree_digest(root / "figures"), tree_digest(root / "reports")
        result = run_cli_here(root, "build")
        return result, before, (tree_digest(root / "figures"), tree_digest(root / "reports"))

    return {name: run(name) for name in CASES}


def test_the_corpus_has_at_least_60_cases():
    assert len(CASES) >= 60


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_input_stops_the_build_and_touches_nothing(build_runs, case):
    result, before, after = build_runs[case]
    assert result.returncode == 2, result.stdout + result.stderr
    assert result.stderr.count("error:") == 1 and "Traceback" not in result.stderr
    for text in CASES[case]["expect"]:
        assert text in result.stderr, f"{text!r} missing from:\n{result.stderr}"
    assert "Building" not in result.stdout, "no kernel may start on bad data"
    assert after == before, "figures/ and reports/ must be left byte for byte unchanged"
