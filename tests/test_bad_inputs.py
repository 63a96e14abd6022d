"""Every malformed input of the corpus (tests/bad_inputs/*.yml) fails `workbook validate` cleanly.

Each case runs the command line's entry point (``cli.main``) on a copy of data/ with one table
broken: the exit code is non-zero, stderr holds exactly one "error:" message with every expected
text (file, row, column, rule) and no traceback. The cases run in this process, one after another,
so the corpus costs no interpreter start-ups; the --debug case runs as a real subprocess, where
the traceback reaches stderr. The benign variants spreadsheets write (BOM, CRLF, blank trailing
lines, padded cells) must still pass.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from conftest import run_cli_here
from datatools import BENIGN_VARIANTS, EDIT_KINDS, apply_case, copy_data

from casualty_workbook.data.schemas import TABLES

CORPUS = Path(__file__).parent / "bad_inputs"
CASES = {path.stem: yaml.safe_load(path.read_text(encoding="utf-8")) for path in sorted(CORPUS.glob("*.yml"))}
DEBUG_CASES = ("negative_count",)


# Each variant alone is checked in-process (test_loading.py); here the command line sees them, alone and all at once.
BENIGN = BENIGN_VARIANTS


def run_validate(data_dir: Path, *, debug: bool = False) -> subprocess.CompletedProcess:
    args = [sys.executable, "-m", "casualty_workbook.cli"] + (["--debug"] if debug else [])
    args += ["--data-dir", str(data_dir), "validate"]
    env = {k: v for k, v in os.environ.items() if k != "DEBUG" and not k.startswith("WORKBOOK_")}
    return subprocess.run(args, capture_output=True, text=True, timeout=120, env=env, cwd=data_dir.parent)


def _job_key(item: pytest.Item) -> tuple | None:
    params = getattr(getattr(item, "callspec", None), "params", {})
    if "case" in params:
        return ("debug" if item.originalname == "test_debug_shows_traceback" else "case", params["case"])
    if "variant" in params:
        return ("benign", params["variant"])
    return None


@pytest.fixture(scope="module")
def cli_runs(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> dict:
    """Run, once per module, the command of every test of this module that was collected."""
    keys = {k for item in request.session.items if item.module is request.module and (k := _job_key(item))}
    jobs = {}
    for kind, name in sorted(keys):
        data_dir = copy_data(tmp_path_factory.mktemp(f"{kind}-{name}"))
        if kind == "benign":
            BENIGN[name](data_dir)
        else:
            apply_case(data_dir, CASES[name])
        jobs[(kind, name)] = (data_dir, kind == "debug")
    return {
        key: run_validate(data_dir, debug=True)
        if debug
        else run_cli_here(data_dir.parent, "--data-dir", str(data_dir), "validate")
        for key, (data_dir, debug) in jobs.items()
    }


def expected_file(case: dict) -> str:
    """The file a case's error must name first: its table's CSV unless ``file`` says (e.g. its .meta.yml)."""
    return case.get("file", f"{case['table']}.csv")


def test_corpus_is_large_and_well_formed():
    assert len(CASES) >= 60
    seen_edits = set()
    for name, case in CASES.items():
        assert (
            {"description", "table", "edits", "expect"}
            <= set(case)
            <= {"description", "table", "file", "edits", "also", "expect"}
        ), name
        assert case["table"] in TABLES, name
        edits = case["edits"] + [e for other in case.get("also", []) for e in other["edits"]]
        assert all(other["table"] in TABLES for other in case.get("also", [])), name
        assert edits and all(len(e) == 1 and next(iter(e)) in EDIT_KINDS for e in edits), name
        assert expected_file(case) in case["expect"], f"{name}: the error must name the file"
        assert len(case["expect"]) >= 2, f"{name}: expect the file and at least one rule text"
        key = (case["table"], yaml.safe_dump(case["edits"], sort_keys=True))
        assert key not in seen_edits, f"{name} repeats another case's edits"
        seen_edits.add(key)


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_input_fails_with_one_clear_message(case: str, cli_runs: dict):
    result = cli_runs[("case", case)]
    expected = CASES[case]["expect"]
    assert result.returncode == 2, f"exit {result.returncode}\nstdout: {result.stdout}\nstderr: {result.stderr}"
    assert "Traceback" not in result.stderr, result.stderr
    assert result.stderr.count("error:") == 1, result.stderr
    assert result.stderr.startswith("error: "), result.stderr
    first_line = result.stderr.splitlines()[0]
    assert f"{expected_file(CASES[case])}: invalid data" in first_line, result.stderr
    for text in expected:
        assert text in result.stderr, f"{text!r} not in:\n{result.stderr}"
    assert "all rules hold" not in result.stdout


@pytest.mark.parametrize("case", DEBUG_CASES)
def test_debug_shows_traceback(case: str, cli_runs: dict):
    result = cli_runs[("debug", case)]
    assert result.returncode != 0
    assert "Traceback (most recent call last)" in result.stderr, result.stderr
    assert "DataValidationError" in result.stderr
    assert CASES[case]["expect"][-1] in result.stderr


@pytest.mark.parametrize("variant", sorted(BENIGN))
def test_benign_variants_pass_validate(variant: str, cli_runs: dict):
    result = cli_runs[("benign", variant)]
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert result.stdout.rstrip().endswith("10 tables, 401 rows, all rules hold."), result.stdout
