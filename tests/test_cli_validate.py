"""`workbook validate` on the real data: exit 0 and one summary line."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest
from datatools import DATA_DIR, copy_data, read_rows

from casualty_workbook import cli
from casualty_workbook.data.schemas import TABLES

ROWS = sum(len(read_rows(DATA_DIR, name)[1]) for name in TABLES)
SUMMARY = f"{len(TABLES)} tables, {ROWS} rows, all rules hold."


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch):
    """No DEBUG, no WORKBOOK_DATA_DIR; and whatever `--data-dir` sets is undone after the test."""
    for name in ("DEBUG", "WORKBOOK_DATA_DIR"):
        monkeypatch.setenv(name, "")
        monkeypatch.delenv(name)


def test_validate_real_data_in_a_subprocess():
    env = {k: v for k, v in os.environ.items() if k != "DEBUG" and not k.startswith("WORKBOOK_")}
    result = subprocess.run(
        [sys.executable, "-m", "casualty_workbook.cli", "--data-dir", str(DATA_DIR), "validate"],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert result.stdout == f"{DATA_DIR}: {SUMMARY}\n"
    assert SUMMARY == "10 tables, 401 rows, all rules hold."


def test_validate_defaults_to_the_data_folder(capsys):
    assert cli.main(["validate"]) == 0
    out, err = capsys.readouterr()
    assert re.fullmatch(rf".*data: {re.escape(SUMMARY)}\n", out), out
    assert err == ""


def test_validate_reports_a_broken_copy_and_exits_2(capsys, tmp_path):
    copy = copy_data(tmp_path)
    (copy / "ohchr_mine_share.csv").write_text(
        "year,share_percent,status,source_id,note\n2016,141,secondary,ohchr_2021_update,\n", encoding="utf-8"
    )
    assert cli.main(["--data-dir", str(copy), "validate"]) == 2
    assert os.environ["WORKBOOK_DATA_DIR"] == str(copy.resolve())  # undone by clean_environment
    out, err = capsys.readouterr()
    assert out == ""
    assert err == (
        f"error: {copy / 'ohchr_mine_share.csv'}: invalid data (1 problem)\n"
        "  row 2, column share_percent, value '141': must be a number from 0 to 100\n"
    )


def test_validate_debug_raises(tmp_path):
    copy = copy_data(tmp_path)
    (copy / "events.csv").unlink()
    from casualty_workbook.core.exceptions import DataValidationError

    with pytest.raises(DataValidationError, match=r"events\.csv: invalid data \(1 problem\)\n  file: file not found"):
        cli.main(["--debug", "--data-dir", str(copy), "validate"])
