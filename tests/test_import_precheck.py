"""An import's pre-check of a data folder no verdict vouches for (interchange/common.py, ``PreCheck``):
run in a child process while the import reads its file, with the outcome of the check it replaces. A
valid folder's verdict is carried over to the tables written, an invalid folder gets none, a bad file is
refused as before, and no child outlives the import, even one killed with kill -9."""

from __future__ import annotations

import hashlib
import multiprocessing
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from conftest import REPO, cli_env, run_cli_here, tree_digest

from casualty_workbook.data import verdicts
from casualty_workbook.data.transaction import DataLockedError, data_lock
from casualty_workbook.interchange import common

FIXTURES = Path(__file__).parent / "fixtures"
GED_1 = FIXTURES / "GEDEvent_v90_1_fictional.csv"
IMPORT = ("import", "ucdp", str(GED_1), "--released", "2025-06-01")


def verdict_files(root: Path) -> list[Path]:
    return sorted((root / ".build-state" / "verdicts").glob("*.json"))


def vouched(root: Path, monkeypatch) -> dict[str, str] | None:
    """What the folder's verdict vouches for as the folder is now (None: no verdict applies)."""
    monkeypatch.setenv("WORKBOOK_ROOT", str(root))
    return verdicts.passed_verdict(root / "data")


def test_a_valid_folder_s_verdict_is_carried_over_to_the_tables_written(root: Path, monkeypatch) -> None:
    assert not verdict_files(root)
    result = run_cli_here(root, *IMPORT)
    assert result.returncode == 0, result.stderr
    files = vouched(root, monkeypatch)
    assert files is not None and {"claims.csv", "events.csv", "weapon_mentions.csv"} <= set(files)
    assert not multiprocessing.active_children()


def test_an_invalid_folder_gets_no_verdict_from_an_import(root: Path, monkeypatch) -> None:
    # A table the import does not write, broken: the import goes ahead as before, and vouches for nothing.
    mentions = root / "data" / "weapon_mentions.csv"
    lines = mentions.read_text(encoding="utf-8").splitlines(keepends=True)
    mentions.write_text(lines[0] + lines[1] + lines[1], encoding="utf-8")  # a repeated id
    result = run_cli_here(root, *IMPORT)
    assert result.returncode == 0, result.stderr
    assert not verdict_files(root) and vouched(root, monkeypatch) is None
    assert not multiprocessing.active_children()
    assert run_cli_here(root, "validate").returncode != 0  # still named by the check that needs it


def test_a_bad_file_is_refused_as_before_and_the_child_is_waited_for(root: Path, tmp_path: Path) -> None:
    bad = tmp_path / "in" / GED_1.name
    bad.parent.mkdir()
    bad.write_bytes(GED_1.read_bytes().replace(b",0,5,8,5,", b",0,5,eight,5,", 1))
    before = tree_digest(root / "data")
    result = run_cli_here(root, "import", "ucdp", str(bad), "--released", "2025-06-01")
    assert result.returncode == 2 and "row 5, column high, value 'eight'" in result.stderr, result.stderr
    assert "Traceback" not in result.stderr and result.stderr.count(str(bad)) == 1
    assert tree_digest(root / "data") == before
    assert not multiprocessing.active_children()


def test_a_child_that_does_not_finish_is_replaced_by_the_check_here(root: Path, monkeypatch) -> None:
    checks: list[Path] = []
    check_ahead = common.check_ahead

    def counted(folder: Path) -> None:
        checks.append(folder)
        check_ahead(folder)

    monkeypatch.setattr(common, "_check_ahead_in_child", lambda folder, parent: os._exit(3))
    monkeypatch.setattr(common, "check_ahead", counted)
    result = run_cli_here(root, *IMPORT)
    assert result.returncode == 0, result.stderr
    assert checks == [root / "data"], "checked once, in the import itself"
    assert vouched(root, monkeypatch) is not None


# A process that holds the data folder's lock as an import does, starts the pre-check (made to take a
# minute) and waits: the test kills it with kill -9 and the child must end with it.
HOLDER = """
import sys, time
from pathlib import Path
from casualty_workbook.data.transaction import data_lock
from casualty_workbook.interchange import common

common.check_ahead = lambda folder: time.sleep(60)
with data_lock(Path(sys.argv[1]), exclusive=True, what="import"):
    ahead = common.PreCheck(Path(sys.argv[1]))
    print(ahead._child.pid, flush=True)
    time.sleep(60)
"""


def _ended(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return True
    return state in ("Z", "X")  # a zombie has ended; its new parent reaps it


def _niceness(pid: int) -> int:
    return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[16])


def test_the_child_ends_with_an_import_killed_with_kill_9(root: Path) -> None:
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(root / "data")],
        cwd=REPO,
        env=cli_env(root),
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        child = int(holder.stdout.readline())
        assert not _ended(child)
        lowered = _niceness(holder.pid) + common.CHILD_NICENESS
        deadline = time.monotonic() + 10
        while _niceness(child) != lowered and time.monotonic() < deadline:  # set as the child starts
            time.sleep(0.02)
        assert _niceness(child) == lowered, "the import's own threads come first"
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait()
    deadline = time.monotonic() + 10
    while not _ended(child) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _ended(child), "the pre-check outlived the import"
    try:
        with data_lock(root / "data", exclusive=True, what="import"):
            pass  # no copy of the import's lock is left held
    except DataLockedError as err:
        raise AssertionError("the data folder is still locked") from err
    assert not verdict_files(root)


def test_the_hashes_carried_over_are_those_of_the_files_written(root: Path, monkeypatch) -> None:
    # Hashed as they are written (common._HashedWrites): a table with a BOM and CRLF line endings, rows
    # kept byte for byte, rows updated by a newer release, rows appended by Arrow's writer.
    claims = root / "data" / "claims.csv"
    claims.write_bytes(b"\xef\xbb\xbf" + claims.read_bytes().replace(b"\n", b"\r\n"))
    for args in (
        IMPORT,
        ("import", "ucdp", str(FIXTURES / "GEDEvent_v90_2_fictional.csv"), "--released", "2025-09-01"),
    ):
        result = run_cli_here(root, *args)
        assert result.returncode == 0, result.stderr
        files = vouched(root, monkeypatch)  # every recorded hash is the file's as it is now
        assert files is not None and {"claims.csv", "events.csv", "sources.csv"} <= set(files)
    assert claims.read_bytes().startswith(b"\xef\xbb\xbf") and b"ucdp-ged-" in claims.read_bytes()


def test_a_large_folder_is_hashed_against_its_verdict_only_when_the_import_writes(root: Path, monkeypatch) -> None:
    monkeypatch.setattr(common, "PRECHECK_BYTES", 0)  # every folder is large: never checked whole by an import
    hashed: list[Path] = []
    passed_verdict = common.passed_verdict

    def counted(folder: Path) -> dict[str, str] | None:
        hashed.append(folder)
        return passed_verdict(folder)

    monkeypatch.setattr(common, "passed_verdict", counted)
    assert run_cli_here(root, "validate").returncode == 0  # leaves a verdict
    assert run_cli_here(root, *IMPORT).returncode == 0
    assert len(hashed) == 1 and vouched(root, monkeypatch) is not None, "carried over to the tables written"
    hashed.clear()
    result = run_cli_here(root, *IMPORT)
    assert result.returncode == 0 and "nothing changed" in result.stdout, result.stdout + result.stderr
    assert not hashed, "the same release again read no table to hash it"
    assert not multiprocessing.active_children()


def _becomes(read, value: int, seconds: float = 10) -> bool:
    deadline = time.monotonic() + seconds
    while read() != value and time.monotonic() < deadline:
        time.sleep(0.02)
    return read() == value


def test_the_child_gets_the_import_s_priority_back_when_the_import_waits_for_it(root: Path, monkeypatch) -> None:
    monkeypatch.setenv("WORKBOOK_ROOT", str(root))
    monkeypatch.setattr(common, "check_ahead", lambda folder: time.sleep(3))  # a check still running at the write
    own = _niceness(os.getpid())
    with common.pre_checked(root / "data") as ahead:
        child = ahead._child.pid
        assert _becomes(lambda: _niceness(child), own + common.CHILD_NICENESS)
        waiting = threading.Thread(target=ahead.vouched)
        waiting.start()
        assert _becomes(lambda: _niceness(child), own), "the import waits: the child no longer yields"
        waiting.join()
    assert not multiprocessing.active_children()


def test_the_chunks_waiting_to_be_hashed_are_few(tmp_path: Path) -> None:
    # A hashing thread that falls behind (a busy machine) holds the writer back rather than the chunks in memory.
    class Slow:
        def __init__(self) -> None:
            self.digest, self.done = hashlib.sha256(), 0

        def update(self, chunk: bytes) -> None:
            time.sleep(0.005)
            self.digest.update(chunk)
            self.done += 1

        def hexdigest(self) -> str:
            return self.digest.hexdigest()

    waiting = []
    with open(tmp_path / "table.csv", "wb") as raw, common._HashedWrites(raw, True) as handle:
        slow = handle._digest = Slow()
        for i in range(60):
            handle.write(bytes([i % 256]) * 1000)
            waiting.append(i + 1 - slow.done)
    assert max(waiting) <= common._HashedWrites.BACKLOG
    assert handle.hexdigest() == hashlib.sha256((tmp_path / "table.csv").read_bytes()).hexdigest()
