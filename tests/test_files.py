"""Writing whole or not at all, and the one file hash."""

from __future__ import annotations

import errno
import hashlib
import os
import tempfile
from pathlib import Path

import pytest

from casualty_workbook.core import files
from casualty_workbook.core.files import atomic_write, sha256_bytes, sha256_file


def leftovers(*folders: Path) -> list[Path]:
    return [p for folder in folders for p in folder.iterdir() if p.name.endswith(".tmp")]


def test_atomic_write_writes_bytes_or_what_a_writer_streams(tmp_path):
    assert atomic_write(tmp_path / "new" / "a.bin", b"abc") == tmp_path / "new" / "a.bin"
    assert (tmp_path / "new" / "a.bin").read_bytes() == b"abc"
    atomic_write(tmp_path / "new" / "a.bin", lambda handle: handle.write(b"streamed"))
    assert (tmp_path / "new" / "a.bin").read_bytes() == b"streamed"
    assert not leftovers(tmp_path / "new")


def test_a_failing_writer_leaves_the_old_file_intact_and_no_temporary_file(tmp_path):
    target = tmp_path / "figure.png"
    target.write_bytes(b"the old figure")

    def broken(handle) -> None:
        handle.write(b"half of a new fig")
        raise RuntimeError("the writer failed half way")

    with pytest.raises(RuntimeError, match="half way"):
        atomic_write(target, broken)
    assert target.read_bytes() == b"the old figure"
    assert not leftovers(tmp_path)


def test_an_interrupted_write_in_a_scratch_folder_leaves_nothing_there_either(tmp_path):
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    target = tmp_path / "out" / "page.html"

    def interrupted(handle) -> None:
        handle.write(b"<html>")
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        atomic_write(target, interrupted, scratch=scratch)
    assert not target.exists()
    assert not leftovers(scratch, tmp_path / "out")


def test_the_temporary_file_is_made_in_the_scratch_folder(tmp_path, monkeypatch):
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    seen = []
    real_replace = os.replace

    def spy(src, dst):
        seen.append(Path(src).parent)
        real_replace(src, dst)

    monkeypatch.setattr(files.os, "replace", spy)
    atomic_write(tmp_path / "out" / "state.json", b"{}", scratch=scratch)
    assert seen == [scratch]
    assert (tmp_path / "out" / "state.json").read_bytes() == b"{}"


def test_a_scratch_folder_on_another_file_system_falls_back_to_the_target_s_folder(tmp_path, monkeypatch):
    """A rename across file systems fails (EXDEV): the file is finished beside its target instead."""
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    target = tmp_path / "out" / "figure.svg"
    target.parent.mkdir()
    target.write_bytes(b"old")
    real_replace = os.replace
    renamed_from = []

    def across_devices(src, dst):
        if Path(src).parent == scratch:
            raise OSError(errno.EXDEV, "Invalid cross-device link")
        renamed_from.append(Path(src).parent)
        real_replace(src, dst)

    monkeypatch.setattr(files.os, "replace", across_devices)
    calls = []
    atomic_write(target, lambda handle: calls.append(handle.write(b"<svg/>")), scratch=scratch)
    assert target.read_bytes() == b"<svg/>"
    assert renamed_from == [target.parent]
    assert len(calls) == 1, "the writer runs once; its finished file is copied, not written again"
    assert not leftovers(scratch, target.parent)


def test_other_rename_failures_are_not_hidden(tmp_path, monkeypatch):
    scratch = tmp_path / "scratch"
    scratch.mkdir()

    def denied(src, dst):
        raise PermissionError(errno.EACCES, "Permission denied")

    monkeypatch.setattr(files.os, "replace", denied)
    with pytest.raises(PermissionError):
        atomic_write(tmp_path / "out" / "a.csv", b"x", scratch=scratch)
    assert not leftovers(scratch, tmp_path / "out")


@pytest.mark.skipif(
    not Path("/dev/shm").is_dir() or os.stat("/dev/shm").st_dev == os.stat(tempfile.gettempdir()).st_dev,
    reason="needs /dev/shm on a file system of its own",
)
def test_a_scratch_folder_really_on_another_file_system(tmp_path):
    with tempfile.TemporaryDirectory(dir="/dev/shm") as shm:
        target = tmp_path / "report.html"
        target.write_bytes(b"old")
        atomic_write(target, b"new", scratch=Path(shm))
        assert target.read_bytes() == b"new"
        assert not leftovers(Path(shm), tmp_path)


def test_sha256_of_bytes_and_of_a_file_agree_with_hashlib(tmp_path):
    data = os.urandom(3 * 1024 * 1024 + 7)  # more than one block
    (tmp_path / "data.bin").write_bytes(data)
    expected = hashlib.sha256(data).hexdigest()
    assert sha256_bytes(data) == expected
    assert sha256_file(tmp_path / "data.bin") == expected


def test_a_file_that_cannot_be_read_has_no_hash_only_when_asked(tmp_path):
    with pytest.raises(FileNotFoundError):
        sha256_file(tmp_path / "missing.csv")
    assert sha256_file(tmp_path / "missing.csv", missing_ok=True) is None
    assert sha256_file(tmp_path, missing_ok=True) is None  # a folder where a file should be


def test_an_input_is_hashed_again_only_when_it_changed(tmp_path, monkeypatch):
    """A build asks for a data file's hash once per report: hundreds of times for one file."""
    from casualty_workbook.core.files import sha256_input

    hashed = []
    real = files.sha256_file
    monkeypatch.setattr(files, "sha256_file", lambda path, **kw: hashed.append(path) or real(path, **kw))
    data = tmp_path / "claims.csv"
    data.write_bytes(b"a,b\n1,2\n")
    first = sha256_input(data)
    assert [sha256_input(data) for _ in range(200)] == [first] * 200 and len(hashed) == 1
    assert first == sha256_file(data)
    data.write_bytes(b"a,b\n1,3\n")  # the same size: its times tell
    assert sha256_input(data) == sha256_bytes(b"a,b\n1,3\n") and len(hashed) == 2
    replaced = tmp_path / "new.csv"
    replaced.write_bytes(b"a,b\n1,4\n")
    os.replace(replaced, data)  # another file put in its place
    assert sha256_input(data) == sha256_bytes(b"a,b\n1,4\n")
    data.unlink()
    assert sha256_input(data, missing_ok=True) is None
    with pytest.raises(FileNotFoundError):
        sha256_input(data)


def test_a_written_file_has_the_mode_the_users_umask_gives(tmp_path):
    """A web server running as another user can serve the pages: 0644 under umask 022, not mkstemp's 0600."""
    import stat
    import subprocess
    import sys

    script = (
        "import os, sys, stat; os.umask(0o022)\n"
        "from casualty_workbook.core.files import atomic_write\n"
        "path = atomic_write(sys.argv[1], b'page')\n"
        "print(oct(stat.S_IMODE(os.stat(path).st_mode)))\n"
    )
    for mask, mode in ((0o022, "0o644"), (0o077, "0o600"), (0o002, "0o664")):
        target = tmp_path / f"page-{mask:o}.html"
        shown = subprocess.run(
            [sys.executable, "-c", script.replace("0o022", oct(mask)), str(target)],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        assert shown == mode, (oct(mask), shown)
        assert stat.S_IMODE(target.stat().st_mode) == int(mode, 8)
