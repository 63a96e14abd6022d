"""An import is all or nothing, even killed at any step (kill -9), and holds the data folder alone.

The import dies at step N (``WORKBOOK_TEST_IMPORT_STOP_AT``, ``os._exit``: no clean-up, as under
kill -9): before its journal exists nothing changed, after it the next command completes it. Either
way the next command leaves the tables valid, whole (all of the import or none of it) and no
scratch folder behind."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import REPO, run_cli_here, tree_digest

from casualty_workbook.data.loading import load_all
from casualty_workbook.data.transaction import JOURNAL, STOP_AT_ENV, data_lock

FIXTURES = Path(__file__).parent / "fixtures"
GED_1 = FIXTURES / "GEDEvent_v90_1_fictional.csv"
IMPORT = ("import", "ucdp", str(GED_1), "--released", "2025-06-01")
# The fictional release adds rows to sources, claimants, events and claims: four renames.
TABLES = 4
STEPS = range(1, 3 + TABLES + 1)  # scratch written, journal written, each rename, journal removed


def fresh(root: Path) -> Path:
    shutil.copytree(REPO / "data", root / "data")
    return root


@pytest.fixture(scope="module")
def imported_once(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """The data folder after the import ran to its end: what a completed import leaves."""
    root = fresh(tmp_path_factory.mktemp("whole"))
    result = run_cli_here(root, *IMPORT)
    assert result.returncode == 0, result.stderr
    return tree_digest(root / "data")


def killed_import(root: Path, step: int) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("WORKBOOK_")}
    env.update(WORKBOOK_DATA_DIR=str(root / "data"), **{STOP_AT_ENV: str(step)})
    return subprocess.run(
        [sys.executable, "-m", "casualty_workbook.cli", *IMPORT],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.mark.parametrize("step", STEPS)
def test_an_import_killed_at_any_step_is_completed_or_undone_by_the_next_command(tmp_path, step, imported_once):
    root = fresh(tmp_path)
    before = tree_digest(root / "data")
    result = killed_import(root, step)
    assert result.returncode == 137, result.stderr  # it died where it was told to
    leftovers = [p.name for p in (root / "data").iterdir() if p.name.startswith(".")]
    if step < 3 + TABLES:
        assert leftovers, "the kill left its scratch folder or journal: what the next command must deal with"
    validate = run_cli_here(root, "validate")
    assert validate.returncode == 0, validate.stderr
    after = tree_digest(root / "data")
    assert after == (before if step == 1 else imported_once), "all of the import or none of it"
    assert not [p for p in (root / "data").iterdir() if p.name.startswith(".")], "scratch folder or journal left"
    load_all(root / "data")
    again = run_cli_here(root, *IMPORT)  # the same import again: completes a rolled-back one, or changes nothing
    assert again.returncode == 0, again.stderr
    assert tree_digest(root / "data") == imported_once


def test_a_killed_import_s_scratch_folder_is_removed_by_the_next_command(tmp_path):
    root = fresh(tmp_path)
    scratch = root / "data" / ".import-abc123"
    scratch.mkdir()
    (scratch / "claims.csv").write_bytes(b"x" * 1_000_000)
    result = run_cli_here(root, "validate")
    assert result.returncode == 0, result.stderr
    assert not scratch.exists()
    assert "removed .import-abc123, left by an interrupted import" in result.stdout


def test_an_unreadable_journal_is_named_not_guessed(tmp_path):
    root = fresh(tmp_path)
    (root / "data" / JOURNAL).write_text("{not json")
    result = run_cli_here(root, "validate")
    assert result.returncode == 1
    assert JOURNAL in result.stderr and "cannot be read" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.parametrize("command", [("validate",), ("export", "hxl", "out.csv"), ("build", "--only", "provenance")])
def test_a_reader_stops_while_an_import_holds_the_data(tmp_path, command):
    root = fresh(tmp_path)
    shutil.copytree(REPO / "notebooks", root / "notebooks")
    shutil.copy2(REPO / "catalogue.yml", root / "catalogue.yml")
    with data_lock(root / "data", exclusive=True, what="import"):
        result = run_cli_here(root, *command)
    assert result.returncode == 3, result.stdout + result.stderr
    assert "another import is running on" in result.stderr and "Traceback" not in result.stderr
    assert not (root / "out.csv").exists()


def test_an_import_stops_while_another_command_reads_the_data(tmp_path):
    root = fresh(tmp_path)
    before = tree_digest(root / "data")
    with data_lock(root / "data", exclusive=False, what="build"):
        result = run_cli_here(root, *IMPORT)
    assert result.returncode == 3
    assert "another command is using" in result.stderr and "nothing was written" in result.stderr
    assert tree_digest(root / "data") == before


def test_two_imports_at_once_one_stops_the_other_completes(tmp_path):
    """The second import is refused while the first holds the folder (before, two merged into one table)."""
    root = fresh(tmp_path)
    with data_lock(root / "data", exclusive=True, what="import"):
        second = run_cli_here(root, *IMPORT)
    assert second.returncode == 3 and "another" in second.stderr
    first = run_cli_here(root, *IMPORT)
    assert first.returncode == 0, first.stderr
    load_all(root / "data")


def test_an_import_refuses_to_replace_a_table_that_is_a_link(tmp_path):
    root = fresh(tmp_path)
    claims = root / "data" / "claims.csv"
    real = root / "data" / "claims-real.csv"
    claims.rename(real)
    claims.symlink_to(real.name)  # inside the data folder: the loader reads it
    before = tree_digest(root / "data")
    result = run_cli_here(root, *IMPORT)
    assert result.returncode == 1, result.stdout + result.stderr
    assert f"{claims} is a symbolic link" in result.stderr and "nothing was written" in result.stderr
    assert claims.is_symlink() and tree_digest(root / "data") == before


def test_every_table_is_synced_before_the_journal_exists(tmp_path, monkeypatch):
    # The syncs run on a thread while the next table is written: all are waited for before the commit point.
    root = fresh(tmp_path)
    events: list[str] = []
    fsync, replace = os.fsync, os.replace

    def synced(fd: int) -> None:
        fsync(fd)
        events.append("sync " + Path(os.readlink(f"/proc/self/fd/{fd}")).name)

    def replaced(source, target) -> None:
        replace(source, target)
        events.append("replace " + Path(target).name)

    monkeypatch.setattr(os, "fsync", synced)
    monkeypatch.setattr(os, "replace", replaced)
    result = run_cli_here(root, *IMPORT)
    assert result.returncode == 0, result.stderr
    journal = events.index("replace " + JOURNAL)
    assert {"sync sources.csv", "sync claimants.csv", "sync events.csv", "sync claims.csv"} <= set(events[:journal])


def test_a_table_that_cannot_be_synced_fails_the_import_with_nothing_changed(tmp_path, monkeypatch):
    root = fresh(tmp_path)
    before = tree_digest(root / "data")
    fsync = os.fsync

    def failing(fd: int) -> None:
        if Path(os.readlink(f"/proc/self/fd/{fd}")).name == "claims.csv":
            raise OSError(28, "No space left on device")
        fsync(fd)

    monkeypatch.setattr(os, "fsync", failing)
    result = run_cli_here(root, *IMPORT)
    assert result.returncode == 1 and "No space left on device" in result.stderr, result.stdout + result.stderr
    assert tree_digest(root / "data") == before
    assert not list((root / "data").glob(".import-*")) and not (root / "data" / JOURNAL).exists()
