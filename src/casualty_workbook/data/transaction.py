"""The data folder's one lock, and an import's tables replaced all together or not at all.

**The lock.** Every command that reads or writes the data folder holds an ``flock`` on the folder
itself (its directory, opened read-only: no lock file to commit, forget or delete): an import
holds it exclusively, a build, a report, ``validate`` and ``export`` share it. So an import
never interleaves with a build, two imports never merge into the same tables at once, and a
second command stops at once, saying what holds the folder. The kernel drops the lock when its
holder ends, however it ends (``kill -9`` too).

**The transaction.** An import writes its new tables into a scratch folder inside the data folder
(``.import-*``, the same file system, so renames are atomic), syncs them, and then writes a journal
(``.import-journal.json``, itself renamed into place: it exists whole or not at all) naming the
folder and the tables in the order they are renamed. The journal is the commit point:

- killed before it exists: nothing in the data folder changed; the next command removes the
  scratch folder (rolled back);
- killed after: the next command renames whatever is still in the scratch folder into place, in
  the journal's order, then removes the journal and the folder (rolled forward).

Readers never see a half-applied import: they take the shared lock only after that recovery,
and an import holds the lock exclusively from its first read to its journal's removal.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import json
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from casualty_workbook.core.exceptions import WorkbookError
from casualty_workbook.core.files import destination_problem

JOURNAL = ".import-journal.json"
SCRATCH_PREFIX = ".import-"
# A test (and only a test) stops an import at one of its steps, as kill -9 would: see ``_step``.
STOP_AT_ENV = "WORKBOOK_TEST_IMPORT_STOP_AT"


class DataLockedError(WorkbookError):
    """Another command holds the data folder."""

    exit_code = 3


def _step(number: int) -> None:
    """Step ``number`` of a commit is done; with ``WORKBOOK_TEST_IMPORT_STOP_AT=number`` the process dies
    here at once, with no clean-up, as under ``kill -9`` (how the tests prove every step recoverable)."""
    if os.environ.get(STOP_AT_ENV) == str(number):
        os._exit(137)


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def recover(data_dir: Path) -> list[str]:
    """Finish or undo an import that was stopped (see the module's text); returns what was done, one
    line each. The caller holds the lock exclusively."""
    data_dir = Path(data_dir)
    done: list[str] = []
    journal = data_dir / JOURNAL
    if journal.is_file():
        try:
            record = json.loads(journal.read_text(encoding="utf-8"))
            scratch = data_dir / record["scratch"]
            files = [str(name) for name in record["files"]]
        except (OSError, ValueError, KeyError, TypeError) as err:
            raise WorkbookError(
                f"{journal}: an interrupted import's journal cannot be read ({err}); the tables may hold part of "
                "that import: check them with `workbook validate` and remove the journal by hand"
            ) from None
        moved = []
        for name in files:
            if Path(name).name != name:  # a journal names files of this folder only
                continue
            if (scratch / name).is_file():
                os.replace(scratch / name, data_dir / name)
                moved.append(name)
        _fsync_dir(data_dir)
        journal.unlink()
        done.append(f"completed an interrupted import ({', '.join(moved) or 'its tables were already in place'})")
    for stray in data_dir.glob(".journal-*.tmp"):  # a journal killed before its rename: never committed
        stray.unlink(missing_ok=True)
    for leftover in sorted(data_dir.glob(SCRATCH_PREFIX + "*")):
        if leftover.is_dir() and leftover.name != JOURNAL:
            shutil.rmtree(leftover, ignore_errors=True)
            done.append(f"removed {leftover.name}, left by an interrupted import")
    return done


def _needs_recovery(data_dir: Path) -> bool:
    return (
        (data_dir / JOURNAL).exists()
        or any(p.is_dir() for p in Path(data_dir).glob(SCRATCH_PREFIX + "*"))
        or any(Path(data_dir).glob(".journal-*.tmp"))
    )


def _busy(data_dir: Path, exclusive: bool, what: str) -> DataLockedError:
    if exclusive:
        return DataLockedError(
            f"another command is using {data_dir} (a build, report, validate, export or import); "
            f"wait for it to finish, then run the {what} again (nothing was written)"
        )
    return DataLockedError(f"another import is running on {data_dir}: wait for it to finish, then run the {what} again")


@contextlib.contextmanager
def data_lock(data_dir: Path, *, exclusive: bool, what: str) -> Iterator[None]:
    """Hold the data folder's lock (exclusive for an import, shared for readers) for the block, after
    finishing or undoing any import that was stopped. Stops at once when another command holds it."""
    data_dir = Path(data_dir)
    try:
        fd = os.open(data_dir, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    except FileNotFoundError:  # the loader names a missing data folder in its own words
        yield
        return
    except OSError as err:
        raise WorkbookError(f"{data_dir}: cannot open the data folder ({err.strerror})") from None
    try:
        if _needs_recovery(data_dir):
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise _busy(data_dir, True, what) from None
            for line in recover(data_dir):
                print(f"{data_dir}: {line}", flush=True)
        try:
            # Taking the shared lock over the exclusive one converts it (recovery done, readers may come).
            fcntl.flock(fd, (fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH) | fcntl.LOCK_NB)
        except BlockingIOError:
            raise _busy(data_dir, exclusive, what) from None
        except OSError as err:
            if err.errno not in (errno.ENOLCK, errno.EOPNOTSUPP, errno.EINVAL):
                raise
            # A file system without flock (some network mounts): run unlocked rather than not at all.
        yield
    finally:
        os.close(fd)  # releases the lock


def _settle(written: Path, table: Path) -> None:
    """A scratch file synced to disk, with the permissions of the table it replaces."""
    with open(written, "rb") as handle:
        os.fsync(handle.fileno())
    mode = os.stat(table).st_mode & 0o777 if table.exists() else None
    if mode is not None:
        os.chmod(written, mode)  # a table keeps its permissions


def replace_tables(data_dir: Path, writers: dict[str, Callable[[Path], object]], order: list[str]) -> None:
    """Write each ``writers[name]`` (a function that writes the file at the path it is given) as
    ``data_dir/name``, and make
    them visible all together: scratch folder, journal, renames in ``order`` (each table after the
    tables it refers to), journal removed. The caller holds the lock exclusively.

    Steps (``_step``): 1 scratch files written, 2 journal written, 3… after each rename, then after
    the journal's removal.
    """
    data_dir = Path(data_dir)
    for name in order:  # a rename over a link replaces the link, not the table it leads to
        problem = destination_problem(data_dir / name)
        if problem is not None:
            raise WorkbookError(
                f"{data_dir / name} {problem}; the import replaces its tables whole: nothing was written"
            )
    scratch = Path(tempfile.mkdtemp(prefix=SCRATCH_PREFIX, dir=data_dir))
    try:
        # Each file is synced on a thread while the next is written (fsync lets the interpreter go), the
        # tables renamed last first: they refer to the others and are the large ones (a dataset's claims),
        # so the longest sync is not the last. All are synced before the journal is written.
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="fsync") as syncing:
            synced = []
            for name in reversed(order):
                writers[name](scratch / name)
                synced.append(syncing.submit(_settle, scratch / name, data_dir / name))
            for done in synced:
                done.result()  # a sync that failed fails the import before its journal exists
        _fsync_dir(scratch)
        _step(1)
        journal = json.dumps({"scratch": scratch.name, "files": order}).encode("utf-8")
        fd, tmp = tempfile.mkstemp(prefix=".journal-", suffix=".tmp", dir=data_dir)
        with os.fdopen(fd, "wb") as handle:
            handle.write(journal)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, data_dir / JOURNAL)
        _fsync_dir(data_dir)
        _step(2)
    except BaseException:
        shutil.rmtree(scratch, ignore_errors=True)
        for stray in data_dir.glob(".journal-*.tmp"):
            stray.unlink(missing_ok=True)
        raise
    # Committed: from here an interruption is completed by the next command (``recover``).
    for number, name in enumerate(order, start=3):
        os.replace(scratch / name, data_dir / name)
        _step(number)
    _fsync_dir(data_dir)
    (data_dir / JOURNAL).unlink()
    _step(3 + len(order))
    shutil.rmtree(scratch, ignore_errors=True)
