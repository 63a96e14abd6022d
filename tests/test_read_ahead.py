"""Reading a folder's large tables ahead (data/arrow_text.py, ``ReadAhead``), as `workbook validate` does
while pandas and pandera are imported: the same cells and the same errors as reading them in turn, only
regular files of the folder, each handed over once; and the command's exit (``cli.command``)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from datatools import DATA_DIR, copy_data

from casualty_workbook.core.exceptions import DataValidationError
from casualty_workbook.data import arrow_text, loading
from casualty_workbook.data.arrow_text import ReadAhead
from casualty_workbook.data.schemas import TABLES


def test_a_table_read_ahead_is_the_table_read_in_turn(tmp_path: Path) -> None:
    copy = copy_data(tmp_path)
    with ReadAhead(copy, min_bytes=1) as ahead:
        assert {p.name for p in ahead.paths} == {spec.filename for spec in TABLES.values()}
        for spec in TABLES.values():
            early = loading.read_text_table(copy / spec.filename, spec, ahead)
            pd.testing.assert_frame_equal(early, loading.read_text_table(copy / spec.filename, spec))


def test_load_all_with_a_read_ahead_gives_every_table_as_without(tmp_path: Path) -> None:
    copy = copy_data(tmp_path)
    plain = loading.load_all(copy)
    loading.TABLE_CACHE.clear()
    taken = []
    with ReadAhead(copy, min_bytes=1) as ahead:
        take = ahead.take
        ahead.take = lambda path: taken.append(Path(path).name) or take(path)
        early = loading.load_all(copy, ahead=ahead)
    assert sorted(taken) == sorted(spec.filename for spec in TABLES.values())
    assert plain.keys() == early.keys()
    for name in plain:
        pd.testing.assert_frame_equal(plain[name], early[name])


def test_a_file_is_handed_over_once_and_small_files_are_not_read_ahead(tmp_path: Path) -> None:
    copy = copy_data(tmp_path)
    claims = copy / "claims.csv"
    with ReadAhead(copy, min_bytes=claims.stat().st_size) as ahead:
        assert ahead.paths == [claims.absolute()]
        assert ahead.take(claims) is not None
        assert ahead.take(claims) is None  # read again as usual
        assert ahead.take(copy / "events.csv") is None


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="FIFOs are POSIX")
def test_only_regular_files_of_the_folder_are_read_ahead(tmp_path: Path) -> None:
    copy = copy_data(tmp_path / "a")
    outside = tmp_path / "outside.csv"
    outside.write_text("x\n" + "1\n" * 100, encoding="utf-8")
    (copy / "linked.csv").symlink_to(outside)
    os.mkfifo(copy / "pipe.csv")  # a reader of it would wait for a writer for ever
    (copy / "folder.csv").mkdir()
    with ReadAhead(copy, min_bytes=0) as ahead:
        names = {p.name for p in ahead.paths}
    assert "linked.csv" not in names and "pipe.csv" not in names and "folder.csv" not in names
    assert "claims.csv" in names


def test_a_bad_file_read_ahead_gets_the_error_of_a_file_read_in_turn(tmp_path: Path) -> None:
    copy = copy_data(tmp_path)
    path = copy / "claimants.csv"
    path.write_bytes(path.read_bytes() + b"x,y,z,w,v,u,extra\n")  # a row longer than the header
    spec = TABLES["claimants"]
    with pytest.raises(DataValidationError) as in_turn:
        loading.read_text_table(path, spec)
    with ReadAhead(copy, min_bytes=1) as ahead, pytest.raises(DataValidationError) as early:
        loading.read_text_table(path, spec, ahead)
    assert str(early.value) == str(in_turn.value)


def test_a_read_ahead_that_fails_is_read_again_in_turn(tmp_path: Path, monkeypatch) -> None:
    copy = copy_data(tmp_path)

    def fail(path):
        raise MemoryError("no room")

    monkeypatch.setattr(arrow_text, "read_text_cells", fail)
    with ReadAhead(copy, min_bytes=1) as ahead:
        assert ahead.take(copy / "claims.csv") is None
    monkeypatch.undo()
    spec = TABLES["claims"]
    with ReadAhead(copy, min_bytes=1) as ahead:
        pd.testing.assert_frame_equal(
            loading.read_text_table(copy / spec.filename, spec, ahead),
            loading.read_text_table(copy / spec.filename, spec),
        )


def test_the_command_returns_mains_code_and_freezes_what_is_left_for_the_exit() -> None:
    env = {k: v for k, v in os.environ.items() if k != "DEBUG" and not k.startswith("WORKBOOK_")}
    code = (
        "import gc, sys; from casualty_workbook import cli; "
        f"code = cli.command(['--data-dir', {str(DATA_DIR)!r}, 'validate']); "
        "print(code, gc.get_freeze_count() > 10000)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, env=env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1] == "0 True"
    broken = subprocess.run(
        [sys.executable, "-c", code.replace(str(DATA_DIR), str(DATA_DIR / "missing"))],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )
    assert broken.stdout.splitlines()[-1] == "2 True" and "data folder not found" in broken.stderr
