"""Who may work in the build's state at once, each in a scratch folder of its own; ``workbook clean``.

Two ``flock`` locks in ``.build-state/`` (files ``workbook clean`` keeps, so a build running while
the state is cleaned still holds the lock a second build asks for):

- ``build.lock``: one build at a time (it rewrites figures/, the state and the index);
- ``run.lock``: shared by every build and report while they run, taken alone by ``clean``, so that
  a clean never removes the scratch folder or the reports of a run under way.

Each build or report works in ``.build-state/staging/<pid>-…/``, a folder of its own that it holds
an ``flock`` on while it lives: a run started beside it (a report beside a build) never removes it,
and a folder whose owner died (``kill -9``) is found unlocked and removed by the next run.
The data folder has its own lock (``transaction.data_lock``).
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

from casualty_workbook.core.exceptions import BuildLockedError
from casualty_workbook.core.paths import Layout, default_layout

KEPT = ("build.lock", "run.lock")  # what ``clean`` leaves in the state folder


def _open_lock(path: Path) -> int:
    path.parent.mkdir(parents=True, exist_ok=True)
    return os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o666)


def _holder(fd: int) -> str:
    """The pid written into a lock file by the process that holds it ('' when none is written)."""
    try:
        text = os.pread(fd, 64, 0).decode("ascii", "replace").strip()
    except OSError:
        return ""
    return f" (process {text})" if text.isdigit() else ""


def _take(path: Path, mode: int, busy: str) -> int:
    """An fd holding ``path``'s flock in ``mode``, or BuildLockedError with ``busy`` (``{holder}`` filled in)."""
    fd = _open_lock(path)
    try:
        fcntl.flock(fd, mode | fcntl.LOCK_NB)
    except BlockingIOError:
        holder = _holder(fd)
        os.close(fd)
        raise BuildLockedError(busy.format(holder=holder, path=path)) from None
    except BaseException:
        os.close(fd)
        raise
    if mode == fcntl.LOCK_EX:
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode(), 0)
    return fd


@contextlib.contextmanager
def build_lock(layout: Layout) -> Iterator[None]:
    """One build at a time, and none while ``clean`` runs."""
    state = layout.state_dir
    fd = _take(
        state / "build.lock",
        fcntl.LOCK_EX,
        "another build is running{holder} (it holds {path}); wait for it to finish, then build again",
    )
    try:
        with run_lock(layout, what="build"):
            yield
    finally:
        os.close(fd)


@contextlib.contextmanager
def run_lock(layout: Layout, *, what: str) -> Iterator[None]:
    """A build or a report is running: ``clean`` waits for it (shared; many at once)."""
    fd = _take(
        layout.state_dir / "run.lock",
        fcntl.LOCK_SH,
        f"a clean of the build state is running{{holder}}; run the {what} again when it has finished",
    )
    try:
        yield
    finally:
        os.close(fd)


class ScratchFolders:
    """This process's scratch folder under each ``.build-state/staging/``, with the fd that holds its lock.

    One instance, ``SCRATCH_FOLDERS``: a folder is made on first use and lives until the run that made
    it ends (``release_scratch``) or the process does (the lock goes with the fd; the next build removes
    a folder whose lock nobody holds)."""

    def __init__(self) -> None:
        self._folders: dict[Path, tuple[Path, int]] = {}

    def get(self, layout: Layout) -> Path:
        root = layout.state_dir / "staging"
        known = self._folders.get(root)
        if known is not None and known[0].is_dir():
            return known[0]
        if known is not None:
            os.close(known[1])
        root.mkdir(parents=True, exist_ok=True)
        folder = Path(tempfile.mkdtemp(prefix=f"{os.getpid()}-", dir=root))
        fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
        fcntl.flock(fd, fcntl.LOCK_EX)
        self._folders[root] = (folder, fd)
        return folder

    def release(self, layout: Layout) -> None:
        known = self._folders.pop(layout.state_dir / "staging", None)
        if known is not None:
            shutil.rmtree(known[0], ignore_errors=True)
            os.close(known[1])

    def own(self, layout: Layout) -> Path | None:
        known = self._folders.get(layout.state_dir / "staging")
        return known[0] if known is not None else None


SCRATCH_FOLDERS = ScratchFolders()


def scratch_dir(layout: Layout) -> Path:
    """This process's own folder under ``.build-state/staging/``, locked while the process lives."""
    return SCRATCH_FOLDERS.get(layout)


def release_scratch(layout: Layout) -> None:
    """Remove this process's scratch folder (the end of a run, or an interrupted one)."""
    SCRATCH_FOLDERS.release(layout)


def remove_stale_scratch(layout: Layout) -> None:
    """Remove the scratch folders whose process died without removing them (their lock is free)."""
    root = layout.state_dir / "staging"
    if not root.is_dir():
        return
    own = SCRATCH_FOLDERS.own(layout)
    for folder in root.iterdir():
        if folder == own:
            continue
        if not folder.is_dir() or folder.is_symlink():
            with contextlib.suppress(OSError):
                folder.unlink()
            continue
        try:
            fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
        except OSError:
            continue
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            continue  # a live build or report works there
        # Removed while locked: its owner is gone, and no other run can take it meanwhile.
        shutil.rmtree(folder, ignore_errors=True)
        os.close(fd)


def clean(layout: Layout | None = None) -> int:
    """``make clean``: reports/, the build state (but its lock files) and caches, never while a run is under way."""
    layout = layout or default_layout()
    state = layout.state_dir
    build = _take(
        state / "build.lock",
        fcntl.LOCK_EX,
        "a build is running{holder}: clean would remove its scratch files and reports; wait for it to finish",
    )
    try:
        run = _take(
            state / "run.lock",
            fcntl.LOCK_EX,
            "a build or report is running: clean would remove its scratch files and reports; wait for it to finish",
        )
        try:
            shutil.rmtree(layout.reports, ignore_errors=True)
            for path in state.iterdir():
                if path.name in KEPT:
                    continue
                if path.is_dir() and not path.is_symlink():
                    shutil.rmtree(path, ignore_errors=True)
                else:
                    path.unlink(missing_ok=True)
            for extra in (layout.root / ".pytest_cache", layout.root / "bench" / "out"):
                shutil.rmtree(extra, ignore_errors=True)
        finally:
            os.close(run)
    finally:
        os.close(build)
    print(f"Removed {layout.reports} and the build state in {state}.")
    return 0
