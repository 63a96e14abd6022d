"""The report catalogue (``catalogue.yml``): every report's id, notebook and parameters.

An entry may expand into one report per value of a parameter (``for_each``): over the values
of a data column (every event of ``events.csv``) or over a listed set. Each expanded report
gets the id ``<entry id>--<value>``, its own figures folder, and its entry's id as its group,
so adding an event to the data adds its report with no catalogue edit.
"""

from __future__ import annotations

import csv
import io
import re
import string
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from casualty_workbook.core.exceptions import CatalogueError, ParameterError
from casualty_workbook.core.paths import check_file, default_data_dir
from casualty_workbook.pipeline import parameters

# A report's id names its figures folder and its files (<id>.html, .<id>.html.XXXXXXXX.tmp): lower case,
# so that no two differ only by case on a case-insensitive disk, and short enough for any file system.
MAX_ID = 100
ID = re.compile(r"[a-z0-9][a-z0-9_\-]*")
EXPANDED_ID_SEPARATOR = "--"
# A catalogue is a page of YAML: a larger file is not one (and is refused before it is parsed).
MAX_CATALOGUE_BYTES = 1_000_000
MAX_TITLE = 300  # characters of a report's title, once expanded
ENTRY_FIELDS = ("id", "notebook", "title", "parameters", "for_each")
FOR_EACH_FIELDS = ("parameter", "over", "values")


@dataclass(frozen=True)
class Report:
    id: str
    notebook: str
    title: str
    parameters: dict[str, Any] = field(default_factory=dict)
    group: str | None = None  # the catalogue entry an expanded report comes from

    def notebook_path(self, notebooks_dir: Path) -> Path:
        return notebooks_dir / f"{self.notebook}.ipynb"


def _column_rows(data_dir: Path, table: str, column: str) -> list[dict[str, str]]:
    """The rows of ``data_dir/<table>.csv`` as text, read cheaply (the no-op build reads this)."""
    path = data_dir / f"{table}.csv"
    check_file(path)  # a missing file, a folder or a link out of the data folder: the data's own message
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except (OSError, UnicodeDecodeError) as err:
        raise ValueError(f"cannot read {path}: {err.strerror if isinstance(err, OSError) else 'not UTF-8'}") from None
    rows = [{(k or "").strip(): (v or "").strip() for k, v in row.items()} for row in csv.DictReader(io.StringIO(text))]
    if rows and column not in rows[0]:
        raise ValueError(f"{path} has no column {column!r}")
    return [row for row in rows if row.get(column)]


class _NoAliasLoader(yaml.SafeLoader):
    """YAML without anchors' aliases: a catalogue needs none, and a few nested aliases (a "billion laughs")
    expand into more text than memory holds when the parameters are later serialised."""

    def compose_node(self, parent, index):  # PyYAML calls it so
        if self.check_event(yaml.events.AliasEvent):
            mark = self.peek_event().start_mark
            raise yaml.MarkedYAMLError(
                problem="an alias (*name) is not allowed in the catalogue: write the value out", problem_mark=mark
            )
        return super().compose_node(parent, index)


def _title_fields(template: str) -> list[str]:
    """The ``{names}`` a title template uses; a positional or malformed field is refused, and so is a
    format (``{name:>3000000000}`` would ask for three gigabytes of padding) or a conversion."""
    try:
        fields = [(name, spec, conv) for _, name, spec, conv in string.Formatter().parse(template) if name is not None]
    except ValueError as err:
        raise ValueError(
            f"title {template!r} is not a valid template ({err}); write {{{{ and }}}} for braces"
        ) from None
    if any(not name.isidentifier() for name, _, _ in fields):
        raise ValueError(f"title {template!r}: name each field, e.g. {{value}} or {{name}}")
    if any(spec or conv for _, spec, conv in fields):
        raise ValueError(
            f"title {_short(template)!r}: a field takes no format or conversion; write just {{value}} or {{name}}"
        )
    return [name for name, _, _ in fields]


def _short(text: str, limit: int = 80) -> str:
    """``text`` cut for a message: a catalogue's value may be of any length."""
    return text if len(text) <= limit else text[:limit] + f"… ({len(text)} characters)"


def _id_problem(value: str) -> str | None:
    """Why ``value`` cannot name a report (None when it can)."""
    if not ID.fullmatch(value):
        return "lower-case letters, digits, '_' or '-'"
    if len(value) > MAX_ID:
        return f"at most {MAX_ID} characters (it names a folder and files), got {len(value)}"
    return None


def expand(entry: dict, data_dir: Path) -> list[tuple[str, str, dict[str, Any]]]:
    """One (id, title, parameters) per value of an entry's ``for_each``; raises ValueError naming the rule."""
    rule = entry["for_each"]
    if not isinstance(rule, dict) or not isinstance(rule.get("parameter"), str):
        raise ValueError("for_each must be a mapping with 'parameter' and either 'over: table.column' or 'values'")
    unknown = sorted(set(rule) - set(FOR_EACH_FIELDS))
    if unknown:
        raise ValueError(f"for_each: unknown field(s) {', '.join(unknown)}; allowed: {', '.join(FOR_EACH_FIELDS)}")
    name, over, listed = rule["parameter"], rule.get("over"), rule.get("values")
    params = entry.get("parameters") or {}
    if name in params:
        raise ValueError(f"for_each sets parameter {name!r}; remove it from 'parameters'")
    if (over is None) == (listed is None):
        raise ValueError("for_each needs exactly one of 'over: table.column' (every value in the data) or 'values'")
    rows: dict[str, dict[str, str]] = {}
    if over is not None:
        if not isinstance(over, str) or not re.fullmatch(r"[a-z_]+\.[a-z_]+", over):
            raise ValueError(f"for_each: over must be written table.column (e.g. events.event_id), got {over!r}")
        table, column = over.split(".")
        rows = {row[column]: row for row in _column_rows(data_dir, table, column)}
        values = list(rows)
    else:
        if not isinstance(listed, list) or not all(isinstance(v, str) for v in listed):
            raise ValueError("for_each: values must be a list of text values")
        if len(set(listed)) != len(listed):
            raise ValueError("for_each: a value is listed twice")
        values = listed
    if not values:
        raise ValueError(f"for_each over {over or 'values'} gives no reports (no values)")
    title = str(entry.get("title") or "{value}")
    fields = _title_fields(title)
    expanded = []
    for value in values:
        problem = _id_problem(f"{entry['id']}{EXPANDED_ID_SEPARATOR}{value}")
        if problem is not None:
            raise ValueError(f"for_each value {_short(value)!r} cannot name a report ({problem})")
        row = rows.get(value, {})
        missing = [f for f in fields if f != "value" and f not in row]
        if missing:
            raise ValueError(f"title uses {{{missing[0]}}}, which is not a column of the rows it expands over")
        text = title.format_map({**row, "value": value})
        if len(text) > MAX_TITLE:
            raise ValueError(f"the title of report {value!r} is {len(text)} characters long; at most {MAX_TITLE}")
        expanded.append((f"{entry['id']}{EXPANDED_ID_SEPARATOR}{value}", text, {name: value, **params}))
    return expanded


def read_catalogue(path: Path, notebooks_dir: Path, data_dir: Path | None = None) -> list[Report]:
    """Read and check the catalogue's structure (names, types, notebooks present), expanding ``for_each``.

    The values of an expansion come from ``data_dir`` (the project's data by default); whether
    they are allowed values of their parameter is checked with the other parameters, before
    any kernel starts.
    """
    data_dir = data_dir if data_dir is not None else default_data_dir()
    where = str(path)
    document = _read_document(path)
    reports, problems, seen, entry_ids = [], [], set(), set()
    for index, entry in enumerate(document["reports"], start=1):
        label = f"report {index}"
        if not isinstance(entry, dict):
            problems.append(f"{label}: expected a mapping with id, notebook, title, parameters")
            continue
        label = f"report {index} ({_short(str(entry.get('id', 'no id')))})"
        unknown = sorted(set(entry) - set(ENTRY_FIELDS))
        if unknown:
            problems.append(f"{label}: unknown field(s) {', '.join(unknown)}; allowed: {', '.join(ENTRY_FIELDS)}")
        try:
            expanded, group = _entry_reports(entry, entry_ids, notebooks_dir, data_dir)
        except _EntryProblem as problem:
            problems.append(f"{label}: {problem}")
            continue
        for one_id, title, values in expanded:
            if one_id in seen:
                problems.append(f"{label}: id {one_id!r} is used twice")
                continue
            seen.add(one_id)
            reports.append(Report(one_id, entry["notebook"], title, values, group))
    if problems:
        raise CatalogueError(f"{where}: " + (problems[0] if len(problems) == 1 else "\n  " + "\n  ".join(problems)))
    return reports


def _read_document(path: Path) -> dict:
    """The catalogue's YAML, refused whole when it is too large, not text, not YAML or has no reports."""
    where = str(path)
    try:
        if path.stat().st_size > MAX_CATALOGUE_BYTES:
            raise CatalogueError(
                f"{where}: {path.stat().st_size} bytes; a catalogue holds at most {MAX_CATALOGUE_BYTES}"
            )
        document = yaml.load(path.read_text(encoding="utf-8"), Loader=_NoAliasLoader)  # a SafeLoader, without aliases
    except FileNotFoundError:
        raise CatalogueError(f"{where}: catalogue not found") from None
    except UnicodeDecodeError:
        raise CatalogueError(f"{where}: not UTF-8 text") from None
    except yaml.YAMLError as err:
        raise CatalogueError(f"{where}: not valid YAML: {err}") from None
    if not isinstance(document, dict) or not isinstance(document.get("reports"), list) or not document["reports"]:
        raise CatalogueError(f"{where}: expected a mapping with a non-empty list under 'reports'")
    return document


class _EntryProblem(ValueError):
    """What is wrong with one entry of the catalogue (its label is added by the caller)."""


def _entry_reports(
    entry: dict, entry_ids: set[str], notebooks_dir: Path, data_dir: Path
) -> tuple[list[tuple[str, str, dict]], str | None]:
    """The reports of one entry, (id, title, parameters) each, and their group (the entry's id when it
    expands ``for_each``); an id the entry shares with an earlier one is noted in ``entry_ids``."""
    report_id, notebook = entry.get("id"), entry.get("notebook")
    if not isinstance(report_id, str) or _id_problem(report_id):
        why = _id_problem(report_id) if isinstance(report_id, str) else "lower-case letters, digits, '_' or '-'"
        raise _EntryProblem(f"id must be {why}")
    if report_id in entry_ids:
        raise _EntryProblem(f"id {report_id!r} is used twice")
    entry_ids.add(report_id)
    if EXPANDED_ID_SEPARATOR in report_id:
        raise _EntryProblem(
            f"id must not contain {EXPANDED_ID_SEPARATOR!r} (it joins an entry's id to the value of an expanded report)"
        )
    if not isinstance(notebook, str) or not (notebooks_dir / f"{notebook}.ipynb").is_file():
        raise _EntryProblem(f"notebook {notebook!r} not found as {notebooks_dir / f'{notebook}.ipynb'}")
    params = entry.get("parameters") or {}
    if not isinstance(params, dict):
        raise _EntryProblem("parameters must be a mapping of name: value")
    try:
        parameters.spec(notebook)
    except ParameterError as err:
        raise _EntryProblem(str(err)) from None
    if "for_each" in entry:
        try:
            return expand(entry, data_dir), report_id
        except ValueError as err:
            raise _EntryProblem(str(err)) from None
    title = entry.get("title") or report_id
    if not isinstance(title, str) or len(title) > MAX_TITLE:
        raise _EntryProblem(f"title must be text of at most {MAX_TITLE} characters")
    return [(report_id, title, params)], None


def check_parameters(reports: list[Report], catalogue_path: Path, tables: dict | None = None) -> None:
    """Every report's parameters are known, well typed and in range (data-backed choices included)."""
    problems = []
    for report in reports:
        try:
            parameters.check(report.notebook, report.parameters, where=f"report {report.id}", tables=tables)
        except ParameterError as err:
            problems.append(str(err))
    if problems:
        raise CatalogueError(f"{catalogue_path}: " + "\n".join(problems))
