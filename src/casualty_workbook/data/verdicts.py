"""A data folder's verdict, kept between processes: this exact content passed every rule.

``load_all`` checks every table of a folder (``workbook validate``, the build's check ahead, an
import's last check); when all of them pass it records here the content hash of each table's CSV
and .meta.yml, and a fingerprint of the rules' code. A later command that only reads the tables
(``workbook export hxl``) hashes the files again: when every hash and the fingerprint match, the
content is the one that passed, so it may read just the columns it needs instead of checking a
whole dataset's claims again. Any difference (a cell edited, a file added to or missing from the
verdict, another version of the rules, pandas or pandera) and the verdict is simply not used.

A verdict lives in the project's state folder (``.build-state/verdicts/``), never in the data
folder, which only imports and people write: one small JSON file per data folder, named by the hash
of the folder's resolved path. Writing one never fails a command: a read-only checkout just keeps
none. Kept free of heavy imports: the export's fast path reads it before pandas would be loaded.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Mapping
from importlib import metadata
from pathlib import Path

from casualty_workbook.core.files import UnsafeDestination, atomic_write, sha256_file
from casualty_workbook.core.paths import PACKAGE, default_layout, file_problem

VERSION = 1
# The packages whose behaviour the rules rest on (parsing numbers and dates, pandera's checks):
# another version of any of them and a verdict no longer vouches for the content.
RULE_PACKAGES = ("casualty-workbook", "pandas", "pandera", "numpy", "pyarrow")
# Verdicts kept at most: each data folder checked (a test's scratch copy too) leaves one; the oldest go.
MAX_VERDICTS = 64


def rules_fingerprint() -> str:
    """A hash of what decides whether a table passes: the source of every module of the data layer
    (schemas, rules, the loader, metadata checks) and the versions of ``RULE_PACKAGES``.

    The source is hashed rather than trusted to a version number, so an edited rule in a working
    checkout invalidates every verdict at once."""
    digest = hashlib.sha256()
    for path in sorted((PACKAGE / "data").glob("*.py")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    for name in RULE_PACKAGES:
        try:
            version = metadata.version(name)
        except metadata.PackageNotFoundError:
            version = "-"
        digest.update(f"{name}={version}\0".encode())
    return digest.hexdigest()


def verdict_path(data_dir: str | Path) -> Path:
    """Where the verdict of ``data_dir`` is kept: by the hash of its resolved path, so a copy of the
    folder or the same folder named through a link each has one place."""
    key = hashlib.sha256(str(Path(os.path.realpath(data_dir))).encode()).hexdigest()[:32]
    return default_layout().state_dir / "verdicts" / f"{key}.json"


def record_verdict(data_dir: str | Path, digests: Mapping[str, str]) -> None:
    """Note that the files of ``data_dir`` with these content hashes (file name → sha256) passed every
    rule. Never raises for want of a place to write: without one, later commands check again."""
    document = {
        "version": VERSION,
        "data_dir": str(Path(os.path.realpath(data_dir))),
        "rules": rules_fingerprint(),
        "files": dict(sorted(digests.items())),
    }
    target = verdict_path(data_dir)
    try:
        atomic_write(target, json.dumps(document, indent=1).encode("utf-8"))
        _prune(target.parent)
    except (OSError, UnsafeDestination):
        return  # a read-only checkout, a full disk: the verdict is only a shortcut


def _prune(folder: Path) -> None:
    """Keep the ``MAX_VERDICTS`` most recently written verdicts."""
    verdicts = sorted(folder.glob("*.json"), key=lambda p: p.stat().st_mtime_ns, reverse=True)
    for old in verdicts[MAX_VERDICTS:]:
        old.unlink(missing_ok=True)


def recorded_verdict(data_dir: str | Path) -> dict[str, str] | None:
    """The file hashes (file name → sha256) the folder's verdict vouches for, or None when it has none
    that applies: none written, one of another shape (garbage, another version, another folder) or
    one of other rules. Nothing is hashed here but the rules' source: ``content_matches`` compares."""
    folder = Path(os.path.realpath(data_dir))
    try:
        document = json.loads(verdict_path(folder).read_bytes())
    except (OSError, ValueError):
        return None
    if not isinstance(document, dict) or document.get("version") != VERSION:
        return None
    files = document.get("files")
    if document.get("data_dir") != str(folder) or not isinstance(files, dict) or not files:
        return None
    if not all(isinstance(k, str) and isinstance(v, str) and Path(k).name == k for k, v in files.items()):
        return None
    if document.get("rules") != rules_fingerprint():
        return None
    return files


def content_matches(data_dir: str | Path, files: Mapping[str, str]) -> bool:
    """Whether every file of ``files`` (file name → sha256, a verdict's) holds those bytes now in
    ``data_dir``: one changed, missing or unreadable byte, or a link out of the folder, and it does not."""
    folder = Path(data_dir)
    for name, digest in files.items():
        path = folder / name
        if file_problem(path) is not None or sha256_file(path, missing_ok=True) != digest:
            return False
    return True


def passed_verdict(data_dir: str | Path) -> dict[str, str] | None:
    """The content hashes (file name → sha256) of ``data_dir``'s tables when a verdict says this exact
    content passed every rule, else None (the caller then loads and checks as usual)."""
    files = recorded_verdict(data_dir)
    return files if files is not None and content_matches(data_dir, files) else None
