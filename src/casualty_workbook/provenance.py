"""Where each figure comes from: table metadata, source lines, and a record of what a run read."""

from __future__ import annotations

import hashlib
import platform
import subprocess
from importlib import metadata
from pathlib import Path

import pandas as pd
import yaml

# Every data file read in this process, with its content hash: the build records it per report.
_READS: dict[str, str] = {}

REPORTED_PACKAGES = ("casualty-workbook", "pandas", "matplotlib", "seaborn", "pandera", "papermill", "numpy")


def file_sha256(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def record_read(path: Path) -> None:
    _READS[str(Path(path).resolve())] = file_sha256(path)


def data_reads() -> dict[str, str]:
    """Files read so far in this process, name → sha256, sorted by name."""
    return {Path(p).name: h for p, h in sorted(_READS.items(), key=lambda kv: Path(kv[0]).name)}


def read_metadata(table_path: Path) -> dict:
    """The table's ``.meta.yml`` (title, description, origin), or an empty dict if it has none."""
    meta_path = Path(table_path).with_suffix(".meta.yml")
    if not meta_path.is_file():
        return {}
    return yaml.safe_load(meta_path.read_text(encoding="utf-8")) or {}


def _format_date(value: object) -> str:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return "date unknown"
    stamp = pd.Timestamp(value)
    return f"{stamp.day} {stamp.strftime('%B %Y')}"


def claim_source_line(claims: pd.DataFrame) -> str:
    """'Source: Russia's Defence Ministry, via Pravda.ru, 12 May 2024; …' from the claims drawn.

    ``claims`` must carry ``claimant_name``, ``publisher`` and ``reported_on`` (``load_claims``).
    """
    parts = (
        claims.assign(_date=claims["reported_on"].map(_format_date))
        [["claimant_name", "publisher", "_date"]].drop_duplicates()
        .sort_values(["claimant_name", "publisher", "_date"])
    )
    text = "; ".join(f"{c}, via {p}, {d}" for c, p, d in parts.itertuples(index=False))
    return f"Source: {text}." if text else ""


def table_source_line(table: pd.DataFrame) -> str:
    """'Source: OHCHR (2022), <title>.' from a table's origin metadata."""
    origin = table.attrs.get("metadata", {}).get("origin", {})
    producer = origin.get("producer", "unknown producer")
    year = str(origin.get("date_published", ""))[:4]
    title = origin.get("title", "")
    return f"Source: {producer} ({year}), {title}." if year else f"Source: {producer}, {title}."


def package_versions() -> dict[str, str]:
    versions = {"python": platform.python_version()}
    for name in REPORTED_PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions


def git_commit(cwd: Path | None = None) -> str:
    """The commit of the working tree (with '+dirty' if it has changes), or 'unknown'."""
    here = cwd or Path(__file__).resolve().parent
    try:
        commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=here, capture_output=True, text=True,
                                timeout=10, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=here,
                               capture_output=True, text=True, timeout=10).stdout.strip()
        return commit + ("+dirty" if dirty else "")
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def show_provenance() -> dict:
    """Display what this run read (data files and their hashes) and with which packages.

    The last cell of every notebook calls it: a reader sees it in the report, and the build
    runner reads it to know which data files each report depends on.
    """
    from IPython.display import display

    record = {"data": data_reads(), "packages": package_versions()}
    rows = "\n".join(f"| `{name}` | `{digest[:16]}…` |" for name, digest in record["data"].items())
    versions = ", ".join(f"{k} {v}" for k, v in record["packages"].items())
    markdown = (f"**Data read** (SHA-256)\n\n| file | hash |\n|---|---|\n{rows}\n\n**Software:** {versions}")
    display({"text/markdown": markdown, "application/vnd.casualty-workbook.provenance+json": record}, raw=True)
    return record
