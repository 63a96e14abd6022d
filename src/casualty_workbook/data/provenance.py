"""Where each figure comes from: table metadata, source lines, and a record of what a run read."""

from __future__ import annotations

import datetime
import functools
import platform
import subprocess
from contextlib import AbstractContextManager
from importlib import metadata
from pathlib import Path

import pandas as pd
import yaml

from casualty_workbook.core.exceptions import DataValidationError, Problem
from casualty_workbook.core.notebook_outputs import PROVENANCE_MIME
from casualty_workbook.core.paths import check_file
from casualty_workbook.data import read_log
from casualty_workbook.data.missing import is_missing
from casualty_workbook.data.schemas import OHCHR_CATEGORIES

REPORTED_PACKAGES = ("casualty-workbook", "pandas", "matplotlib", "seaborn", "pandera", "papermill", "numpy")


def record_read(path: Path, *, digest: str | None = None) -> None:
    """Note that this process read ``path`` (``read_log.READ_LOG``): its content hash (``digest`` when the caller has it)."""
    read_log.READ_LOG.record(path, digest=digest)


def reads_not_recorded() -> AbstractContextManager[None]:
    """What is read inside is not recorded as read (work done ahead, for later runs, not for this one)."""
    return read_log.READ_LOG.paused()


def data_reads() -> dict[str, str]:
    """Files read so far in this process, name → sha256, sorted by name."""
    return read_log.READ_LOG.by_name()


# A table's .meta.yml: these fields, each a string ('' allowed only where noted; dates YYYY-MM-DD).
META_FIELDS = ("title", "description", "origin")
ORIGIN_FIELDS = ("producer", "title", "date_published", "url", "date_accessed")
# Optional: the period and area a table's figures cover, and a sub-population its figures count apart
# (part of another category, not in addition to it), so charts take such words from the data, not the code.
OPTIONAL_FIELDS = {
    "coverage": ("period_start", "period_end", "area"),
    "counted_apart": ("category", "name", "who", "date"),
}
# An unknown publication date or a document with no address is left empty (the source line then omits it).
_MAY_BE_EMPTY = {"origin.url", "origin.date_published"}
_DATES = {"origin.date_published", "origin.date_accessed", "coverage.period_start", "coverage.period_end"}
_DATES |= {"counted_apart.date"}


def metadata_path(table_path: Path) -> Path:
    return Path(table_path).with_suffix(".meta.yml")


def _as_text(value: object) -> object:
    """A YAML date (written unquoted) as its ISO text; anything else as it is."""
    return value.isoformat()[:10] if isinstance(value, (datetime.date, datetime.datetime)) else value


def _check_text(problems: list, field: str, value: object) -> None:
    """One field of a .meta.yml: a string (a YAML date is taken as its ISO text), non-empty unless allowed."""
    value = _as_text(value)
    if not isinstance(value, str):
        shown = "a list" if isinstance(value, list) else "a mapping" if isinstance(value, dict) else repr(value)
        problems.append((field, f"must be text, got {shown}"))
    elif not value.strip() and field not in _MAY_BE_EMPTY:
        problems.append((field, "must not be empty"))
    elif field in _DATES and value.strip():
        try:
            datetime.date.fromisoformat(value)
        except ValueError:
            problems.append((field, f"must be a date written YYYY-MM-DD, got {value!r}"))


def _check_mapping(problems: list, document: dict, name: str, fields: tuple[str, ...]) -> None:
    """A field of the document that is a mapping of text fields, each required and none other."""
    value = document[name]
    if not isinstance(value, dict):
        problems.append(
            (name, f"must be a mapping with the fields {', '.join(fields)} (indented under {name}:), got {value!r}")
        )
        return
    for field in sorted(set(map(str, value)) - set(fields)):
        problems.append((f"{name}.{field}", f"unexpected field (expected only: {', '.join(fields)})"))
    for field in fields:
        if field not in value:
            problems.append((f"{name}.{field}", "required field is missing"))
        else:
            _check_text(problems, f"{name}.{field}", value[field])


def _check_optional(problems: list, document: dict) -> None:
    """The rules of coverage and counted_apart beyond their fields being text (checked once those hold)."""
    coverage = document.get("coverage")
    if isinstance(coverage, dict) and not any(f.startswith("coverage.") for f, _ in problems):
        start, end = (_as_text(coverage[k]) for k in ("period_start", "period_end"))
        if end < start:
            problems.append(("coverage.period_end", f"must not be before coverage.period_start ({start})"))
    apart = document.get("counted_apart")
    category = apart.get("category") if isinstance(apart, dict) else None
    if isinstance(category, str) and category not in OHCHR_CATEGORIES:
        problems.append(("counted_apart.category", f"must be one of: {', '.join(OHCHR_CATEGORIES)}, got {category!r}"))


def check_metadata(document: object) -> list[tuple[str, str]]:
    """Every problem of a parsed .meta.yml, as (field, rule); empty when it is well formed."""
    allowed = (*META_FIELDS, *OPTIONAL_FIELDS)
    if not isinstance(document, dict):
        return [("file", "must be a mapping with the fields " + ", ".join(META_FIELDS))]
    problems: list[tuple[str, str]] = []
    for name in sorted(set(map(str, document)) - set(allowed)):
        problems.append((name, f"unexpected field (expected only: {', '.join(allowed)})"))
    for name in META_FIELDS:
        if name not in document:
            problems.append((name, "required field is missing"))
        elif name != "origin":
            _check_text(problems, name, document[name])
    if "origin" in document:
        _check_mapping(problems, document, "origin", ORIGIN_FIELDS)
    for name, fields in OPTIONAL_FIELDS.items():
        if name in document:
            _check_mapping(problems, document, name, fields)
    _check_optional(problems, document)
    return problems


def read_metadata(table_path: Path) -> dict:
    """The table's ``.meta.yml`` (title, description, origin), checked: any problem raises
    ``DataValidationError`` naming the file and the field."""
    meta_path = metadata_path(table_path)

    def fail(*problems: tuple[str | None, str]) -> DataValidationError:
        return DataValidationError(
            meta_path, [Problem(None, None, None, rule, field=field) for field, rule in problems]
        )

    check_file(
        meta_path,
        missing="metadata file not found: every table needs one beside it, with title, "
        "description and origin (see data/README.md)",
    )
    try:
        document = yaml.safe_load(meta_path.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        raise fail((None, "is not UTF-8 text (save it as UTF-8)")) from None
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        what = getattr(err, "problem", None) or str(err)
        raise fail((None, f"is not valid YAML{where}: {what}")) from None
    problems = check_metadata(document)
    if problems:
        raise fail(*[(None if f == "file" else f, r) for f, r in problems])
    # Dates as text, quoted or not in the YAML, so that source lines print them one way.
    mappings = [n for n in ("origin", *OPTIONAL_FIELDS) if n in document]
    return {**document, **{n: {k: _as_text(v) for k, v in document[n].items()} for n in mappings}}


def coverage(table: pd.DataFrame) -> dict | None:
    """The period and area the table's figures cover (its .meta.yml's ``coverage``), None where not given."""
    return table.attrs.get("metadata", {}).get("coverage")


def counted_apart(table: pd.DataFrame) -> dict | None:
    """The sub-population the table counts apart (its .meta.yml's ``counted_apart``), None where not given."""
    return table.attrs.get("counted_apart") or table.attrs.get("metadata", {}).get("counted_apart")


def format_day(value: str) -> str:
    """'2014-04-14' → '14 April 2014'."""
    stamp = pd.Timestamp(value)
    return f"{stamp.day} {stamp.strftime('%B %Y')}"


def _format_date(value: object) -> str:
    if is_missing(value):
        return "date unknown"
    stamp = pd.Timestamp(value)
    return f"{stamp.day} {stamp.strftime('%B %Y')}"


def _missing_last(value: object) -> tuple[bool, object]:
    """A sort key that puts a missing value after every other, as pandas' sort does."""
    return (True, "") if is_missing(value) else (False, value)


def claim_source_line(claims: pd.DataFrame) -> str:
    """'Source: Russia's Defence Ministry, via Pravda.ru, 12 May 2024; …' from the claims drawn: each
    claimant, outlet and day once, sorted by them (a missing one last).

    ``claims`` must carry ``claimant_name``, ``publisher`` and ``reported_on`` (``load_claims``). Done in
    plain Python: a chart's few claims cost pandas' frame operations several milliseconds a chart.
    """
    days: dict[object, str] = {}
    parts = set()
    for claimant, outlet, day in zip(
        claims["claimant_name"].tolist(), claims["publisher"].tolist(), claims["reported_on"].tolist(), strict=True
    ):
        if day not in days:
            days[day] = _format_date(day)
        parts.add((claimant, outlet, days[day]))
    ordered = sorted(parts, key=lambda part: tuple(_missing_last(v) for v in part))
    text = "; ".join(f"{c}, via {p}, {d}" for c, p, d in ordered)
    return f"Source: {text}." if text else ""


def table_source_line(table: pd.DataFrame) -> str:
    """'Source: OHCHR (2022), <title>.' from a table's origin metadata."""
    origin = table.attrs.get("metadata", {}).get("origin", {})
    producer = origin.get("producer", "unknown producer")
    year = str(origin.get("date_published", ""))[:4]
    title = origin.get("title", "")
    return f"Source: {producer} ({year}), {title}." if year else f"Source: {producer}, {title}."


def package_versions() -> dict[str, str]:
    """The versions of Python and of the packages a report's figures depend on (``REPORTED_PACKAGES``)."""
    return dict(_installed_versions())


@functools.cache  # once per process: what this process imported stays what it ran, whatever is installed later
def _installed_versions() -> tuple[tuple[str, str], ...]:
    # Reading each package's metadata searches the whole path (a few ms a package): a warm server reads
    # them before it forks, so its kernels never do.
    versions = {"python": platform.python_version()}
    for name in REPORTED_PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return tuple(versions.items())


def git_commit(cwd: Path | None = None) -> str:
    """The commit of the working tree (with '+dirty' if it has changes), or 'unknown'."""
    here = cwd or Path(__file__).resolve().parent
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=here, capture_output=True, text=True, timeout=10, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=here,
            capture_output=True,
            text=True,
            timeout=10,
        ).stdout.strip()
        return commit + ("+dirty" if dirty else "")
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def show_provenance() -> dict:
    """Display what this run read (data files and their hashes) and with which packages.

    The last cell of every notebook calls it: a reader sees it in the report, and the build
    reads it to know which data files each report depends on.
    """
    from IPython.display import display

    record = {"data": data_reads(), "packages": package_versions()}
    rows = "\n".join(f"| `{name}` | `{digest[:16]}…` |" for name, digest in record["data"].items())
    versions = ", ".join(f"{k} {v}" for k, v in record["packages"].items())
    markdown = f"**Data read** (SHA-256)\n\n| file | hash |\n|---|---|\n{rows}\n\n**Software:** {versions}"
    display({"text/markdown": markdown, PROVENANCE_MIME: record}, raw=True)
    return record
