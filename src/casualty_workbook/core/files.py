"""Writing a file whole or not at all, and the one content hash (kept free of heavy imports).

Every output of the workbook (figures, their tables, report pages, the build's state, exports)
is written by ``atomic_write``, and every file the build compares or records is hashed by
``sha256_file``: a hash recorded by one part of the workbook is comparable with another's.
"""

from __future__ import annotations

import errno
import hashlib
import os
import shutil
import stat
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO, Literal, overload

Writer = Callable[[BinaryIO], object]


def _read_umask() -> int:
    # os.umask can only be read by setting it: set and restore once, when the module is imported.
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


# Outputs get the mode any file the user creates gets (0644 under the usual umask 022), not the 0600
# of a temporary file: a figure or an export is meant to be read by whoever may read the folder.
FILE_MODE = 0o666 & ~_read_umask()


class UnsafeDestination(Exception):
    """A write would replace something that is not a regular file (a link, a device, a FIFO, a folder).

    Raised by ``atomic_write``; the command line turns it into one message (``WorkbookError``
    subclasses live in ``exceptions``, which this module must not import: it stays import-free)."""

    def __init__(self, path: Path, why: str):
        super().__init__(f"{path}: {why}; nothing was written")
        self.path, self.why = path, why


def destination_problem(path: str | Path) -> str | None:
    """Why ``path`` must not be replaced by a file written there, or None when it may.

    A rename over a symbolic link replaces the link (not the file it points to), over a device node
    or a FIFO turns it into a regular file: neither is what the person who named the path meant.
    """
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        return None
    except OSError as err:
        return f"cannot be examined ({err.strerror})"
    mode = info.st_mode
    if stat.S_ISREG(mode):
        return None
    if stat.S_ISLNK(mode):
        return (
            f"is a symbolic link (to {os.readlink(path)}); writing would replace the link: give the target's own path"
        )
    if stat.S_ISDIR(mode):
        return "is a folder: give a file name inside it"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "is a device, not a file: a file written there would replace the device node"
    if stat.S_ISFIFO(mode):
        return "is a FIFO (named pipe), not a file: a file written there would replace it"
    if stat.S_ISSOCK(mode):
        return "is a socket, not a file"
    return "is not a regular file"


def atomic_write(path: str | Path, data: bytes | Writer, *, scratch: Path | None = None) -> Path:
    """Write ``path`` whole or not at all; returns it.

    ``data`` is the file's bytes, or a function that writes them to the binary handle it is
    given (``lambda handle: fig.savefig(handle, ...)``), so a large file is streamed rather
    than held in memory. The bytes go to a temporary file, renamed over ``path`` only when
    complete: a reader sees the old file or the new one, never part of one, and a writer that
    fails leaves the old file as it was and no temporary file behind.

    The temporary file lives in ``scratch`` when given (a folder outside the outputs, so a
    process killed mid-write leaves nothing in them). A rename cannot cross file systems: when
    ``scratch`` is on another one, the finished file is copied to a temporary name beside
    ``path`` and renamed from there.
    """
    path = Path(path)
    problem = destination_problem(path)
    if problem is not None:
        raise UnsafeDestination(path, problem)
    path.parent.mkdir(parents=True, exist_ok=True)
    folder = scratch if scratch is not None and scratch.is_dir() else path.parent
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
    try:
        os.fchmod(fd, FILE_MODE)
        with os.fdopen(fd, "wb") as handle:
            if callable(data):
                data(handle)
            else:
                handle.write(data)
        os.chmod(tmp, FILE_MODE)
        try:
            os.replace(tmp, path)
        except OSError as err:
            if err.errno != errno.EXDEV or folder == path.parent:
                raise
            with open(tmp, "rb") as finished:
                atomic_write(path, lambda handle: shutil.copyfileobj(finished, handle))
    finally:
        Path(tmp).unlink(missing_ok=True)  # already renamed away unless something failed
    return path


def sha256_bytes(data: bytes) -> str:
    """The SHA-256 of ``data``, as hex."""
    return hashlib.sha256(data).hexdigest()


@overload
def sha256_file(path: str | Path, *, missing_ok: Literal[False] = False) -> str: ...
@overload
def sha256_file(path: str | Path, *, missing_ok: bool) -> str | None: ...
def sha256_file(path: str | Path, *, missing_ok: bool = False) -> str | None:
    """The SHA-256 of a file's bytes, as hex, read in blocks.

    With ``missing_ok`` a file that cannot be read (missing, a folder, unreadable) gives None,
    which never equals a recorded hash: what depended on the file counts as changed.
    """
    try:
        with open(path, "rb") as handle:
            return hashlib.file_digest(handle, "sha256").hexdigest()
    except OSError:
        if missing_ok:
            return None
        raise


class InputHashes:
    """The hashes of the inputs this process read again and again, each kept with the file's identity and
    times when hashed (device, inode, size, modification and change time). One instance,
    ``INPUT_HASHES``, lives as long as the process (the build's coordinator asks for the hash of a data
    file and a notebook for each of hundreds of reports); an entry is used only while the file's
    identity and times are unchanged, so an edited file is always hashed again."""

    def __init__(self) -> None:
        self._known: dict[str, tuple[tuple[int, ...], str]] = {}

    def hash(self, path: str | Path, *, missing_ok: bool = False) -> str | None:
        try:
            info = os.stat(path)
        except OSError:
            if missing_ok:
                return None
            raise
        signature = (info.st_dev, info.st_ino, info.st_size, info.st_mtime_ns, info.st_ctime_ns)
        key = os.path.abspath(path)
        known = self._known.get(key)
        if known is not None and known[0] == signature:
            return known[1]
        digest = sha256_file(path, missing_ok=missing_ok)
        if digest is not None:
            self._known[key] = (signature, digest)
        return digest

    def clear(self) -> None:
        self._known.clear()


INPUT_HASHES = InputHashes()


@overload
def sha256_input(path: str | Path, *, missing_ok: Literal[False] = False) -> str: ...
@overload
def sha256_input(path: str | Path, *, missing_ok: bool) -> str | None: ...
def sha256_input(path: str | Path, *, missing_ok: bool = False) -> str | None:
    """``sha256_file`` for an input read again and again by one process: hashed again only when the
    file's inode, size or modification or change time differ from when it was last hashed here
    (``INPUT_HASHES``)."""
    return INPUT_HASHES.hash(path, missing_ok=missing_ok)
