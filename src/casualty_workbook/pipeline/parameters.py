"""The parameters each notebook accepts, and their checks, run before any kernel starts.

A notebook's ``parameters`` cell is the one place its parameters' names, defaults and help
are written (``name = default  # help``); this module reads them from there and adds only
what the cell cannot say: each value's type, range and allowed values, with vocabularies
from ``schemas``. Papermill alone only logs an unknown parameter and takes any type; here an
unknown name, a wrong type or a value out of range stops the run with a message naming it
and what is allowed. Values that must exist in the data (an event, a claimant, a place) are
checked against the loaded tables.

The no-op build reads every notebook's parameters: so the cell is parsed with ``ast`` (not
papermill, a slow import) and ``schemas`` (pandas, pandera) is imported only when a
parameter's choices or range are first needed.
"""

from __future__ import annotations

import ast
import functools
import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from casualty_workbook.core.exceptions import ParameterError

RESERVED = ("output_dir",)  # set by the build, never by a user
ALL = ("all",)


@functools.cache
def _vocabulary(name: str) -> tuple:
    """A vocabulary of ``schemas`` by name, imported on first use (schemas pulls in pandas)."""
    # schemas loads pandas and pandera: the catalogue is read, and a no-op build done, without them.
    from casualty_workbook.data import schemas

    return tuple(getattr(schemas, name))


@dataclass(frozen=True)
class Constraint:
    """What a parameter's value must be; its name, default and help come from the notebook."""

    type: type
    choices: Callable[[], tuple] | None = None  # the allowed values, looked up when first needed
    data_choices: str | None = None  # "table.column" whose values are allowed
    extra_choices: tuple = ()  # allowed besides the data's values (e.g. "all")
    range: Callable[[], tuple[int, int]] | None = None  # (min, max), looked up when first needed
    nullable: bool = False


@dataclass(frozen=True)
class Parameter:
    """One parameter of one notebook: the cell's name, default and help with its constraint."""

    name: str
    default: Any
    help: str
    constraint: Constraint

    @property
    def type(self) -> type:
        return self.constraint.type

    @property
    def choices(self) -> tuple | None:
        return self.constraint.choices() if self.constraint.choices else None

    @property
    def data_choices(self) -> str | None:
        return self.constraint.data_choices

    @property
    def extra_choices(self) -> tuple:
        return self.constraint.extra_choices

    @property
    def min(self) -> int | None:
        return self.constraint.range()[0] if self.constraint.range else None

    @property
    def max(self) -> int | None:
        return self.constraint.range()[1] if self.constraint.range else None

    @property
    def nullable(self) -> bool:
        return self.constraint.nullable


# ---- the constraints, each declared once ----------------------------------------------------------


def _ohchr_years() -> tuple[int, int]:
    return _vocabulary("OHCHR_YEARS")


def _metrics_beside_ohchr() -> tuple:
    # A claimed figure is set beside OHCHR's yearly figures only where they count the same thing:
    # those figures are deaths, so an injured count beside them is refused before any kernel starts.
    return ("killed",)


# An event left as None: the notebook picks the most recent event (narrative.choose_event), so no
# event is named in a notebook; likewise a reference place left as None is the event's own place.
EVENT = Constraint(str, data_choices="events.event_id", nullable=True)
ANY_EVENT = Constraint(str, data_choices="events.event_id", extra_choices=ALL)
CLAIMANT = Constraint(str, data_choices="claimants.claimant_id", extra_choices=ALL)
PLACE = Constraint(str, data_choices="places.place_id", nullable=True)
OHCHR_YEAR = Constraint(int, range=_ohchr_years)
YEARS = {"year_from": OHCHR_YEAR, "year_to": OHCHR_YEAR}
OUTPUT_DIR = Constraint(str, nullable=True)

CONSTRAINTS: dict[str, dict[str, Constraint]] = {
    "event_report": {"event": EVENT, "claimant": CLAIMANT},
    "ohchr_2014_2021": {
        "include_mh17": Constraint(bool),
        **YEARS,
        "estimate": Constraint(str, choices=lambda: _vocabulary("ESTIMATES")),
    },
    "ohchr_since_2022": {"count_event": EVENT, "gap_days": Constraint(int, range=lambda: (1, 120))},
    "context": {"event": EVENT, "metric": Constraint(str, choices=_metrics_beside_ohchr), **YEARS},
    "places": {"event": EVENT, "reference_place": PLACE},
    "coded_events": {
        "event": EVENT,
        "metric": Constraint(str, choices=lambda: ("killed", "injured")),
        "radius_km": Constraint(int, range=lambda: (1, 500)),
        "days": Constraint(int, range=lambda: (0, 60)),
    },
    "provenance": {"event": ANY_EVENT, "status": Constraint(str, choices=lambda: ALL + _vocabulary("STATUSES"))},
    "explore": {
        "event": EVENT,
        "claimant": CLAIMANT,
        "metric": Constraint(str, choices=lambda: _vocabulary("PEOPLE_METRICS")),
        **YEARS,
    },
}
# Every notebook takes output_dir: where its figures go (None: only show them).
CONSTRAINTS = {notebook: {**declared, "output_dir": OUTPUT_DIR} for notebook, declared in CONSTRAINTS.items()}


def _year_order(values: dict) -> str | None:
    if "year_from" in values and "year_to" in values and values["year_from"] > values["year_to"]:
        return f"year_from ({values['year_from']}) is after year_to ({values['year_to']}): the range must run forwards"
    return None


CROSS_RULES: tuple[Callable[[dict], str | None], ...] = (_year_order,)

_TYPE_NAMES = {bool: "true or false", int: "a whole number", float: "a number", str: "text"}


# ---- the notebooks' parameters cells --------------------------------------------------------------


def notebooks_dir() -> Path:
    """The notebooks folder of the project ($WORKBOOK_ROOT, as the build uses, else this checkout)."""
    root = os.environ.get("WORKBOOK_ROOT") or Path(__file__).resolve().parents[3]
    return Path(root) / "notebooks"


def read_parameters_cell(path: Path) -> dict[str, tuple[Any, str]]:
    """``name -> (default, help)`` from the notebook's cell tagged ``parameters``.

    Each line is ``name = literal  # help``, as papermill reads it; anything else is an error
    naming the notebook and line.
    """
    try:
        cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    except (OSError, ValueError, KeyError) as err:
        raise ParameterError(f"{path}: cannot read the notebook: {err}") from None
    tagged = [c for c in cells if "parameters" in c.get("metadata", {}).get("tags", [])]
    if len(tagged) != 1:
        raise ParameterError(f"{path}: expected exactly one cell tagged 'parameters', found {len(tagged)}")
    source = "".join(tagged[0]["source"])
    lines = source.splitlines()
    try:
        tree = ast.parse(source)
    except SyntaxError as err:
        raise ParameterError(f"{path}: parameters cell, line {err.lineno}: {err.msg}") from None
    found: dict[str, tuple[Any, str]] = {}
    for node in tree.body:
        target = node.targets[0] if isinstance(node, ast.Assign) and len(node.targets) == 1 else None
        try:
            if not isinstance(target, ast.Name):
                raise ValueError("expected name = value")
            default = ast.literal_eval(node.value)
        except ValueError as err:
            raise ParameterError(
                f"{path}: parameters cell, line {node.lineno}: {err}; write each parameter as name = literal  # help"
            ) from None
        _, hash_, comment = lines[node.end_lineno - 1][node.end_col_offset :].partition("#")
        found[target.id] = (default, comment.strip() if hash_ else "")
    return found


@functools.cache
def _cell(path: Path, mtime_ns: int, size: int) -> dict[str, tuple[Any, str]]:
    return read_parameters_cell(path)  # cached per file version: the build asks once per report


def spec(notebook: str) -> tuple[Parameter, ...]:
    """The notebook's parameters: names, defaults and help from its cell, each with its constraint."""
    if notebook not in CONSTRAINTS:
        raise ParameterError(f"unknown notebook {notebook!r}; known notebooks: {', '.join(sorted(CONSTRAINTS))}")
    path = notebooks_dir() / f"{notebook}.ipynb"
    try:
        stat = path.stat()
    except FileNotFoundError:
        raise ParameterError(f"notebook {notebook!r} not found as {path}") from None
    cell = _cell(path, stat.st_mtime_ns, stat.st_size)
    constraints = CONSTRAINTS[notebook]
    unconstrained = [name for name in cell if name not in constraints]
    unset = [name for name in constraints if name not in cell]
    if unconstrained or unset:
        raise ParameterError(
            f"{path}: the parameters cell and the parameters' constraints disagree: "
            + "; ".join(
                [f"{name!r} has no constraint in parameters.py" for name in unconstrained]
                + [f"{name!r} is constrained but not set in the cell" for name in unset]
            )
        )
    return tuple(Parameter(name, default, help_, constraints[name]) for name, (default, help_) in cell.items())


def defaults(notebook: str) -> dict[str, Any]:
    return {p.name: p.default for p in spec(notebook)}


def parse_assignments(notebook: str, assignments: list[str]) -> dict[str, Any]:
    """Turn command-line ``name=value`` words into typed values by each parameter's declared type."""
    known = {p.name: p for p in spec(notebook)}
    values: dict[str, Any] = {}
    words: dict[str, str] = {}
    for word in assignments:
        name, sep, text = word.partition("=")
        name = name.strip()
        if not sep or not name:
            raise ParameterError(f"parameter {word!r}: write parameters as name=value, e.g. year_from=2015")
        if name not in known:
            raise ParameterError(_unknown(notebook, name))
        if name in words:  # the last would silently win: say so instead
            raise ParameterError(f"parameter {name} is given twice ({words[name]!r} and {word!r}): give it once")
        words[name] = word
        values[name] = _parse(known[name], text.strip())
    return values


def _parse(p: Parameter, text: str) -> Any:
    if p.nullable and text.lower() in ("none", "null", ""):
        return None
    if p.type is bool:
        lowered = text.lower()
        if lowered in ("true", "yes", "1"):
            return True
        if lowered in ("false", "no", "0"):
            return False
        raise ParameterError(f"parameter {p.name}: expected true or false, got {text!r}")
    if p.type is int:
        try:
            return int(text)
        except ValueError:
            raise ParameterError(f"parameter {p.name}: expected a whole number, got {text!r}") from None
    if p.type is float:
        try:
            return float(text)
        except ValueError:
            raise ParameterError(f"parameter {p.name}: expected a number, got {text!r}") from None
    return text


def _unknown(notebook: str, name: str) -> str:
    allowed = ", ".join(p.name for p in spec(notebook) if p.name not in RESERVED)
    return f"unknown parameter {name!r} for notebook {notebook}; allowed: {allowed}"


def _type_ok(p: Parameter, value: Any) -> bool:
    if value is None:
        return p.nullable
    if p.type is bool:
        return isinstance(value, bool)
    if p.type is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if p.type is float:
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    return isinstance(value, p.type)


def check(
    notebook: str, values: dict[str, Any], *, where: str = "", allow_reserved: bool = False, tables: dict | None = None
) -> dict[str, Any]:
    """Check ``values`` against the notebook's parameters; return them merged over the defaults.

    Every problem is reported at once. ``tables`` (name → DataFrame) enables the data-backed
    choices; without it they are loaded from data/ when needed.
    """
    prefix = f"{where}: " if where else ""
    known = {p.name: p for p in spec(notebook)}
    problems = []
    for name, value in values.items():
        if name not in known or (name in RESERVED and not allow_reserved):
            problems.append(_unknown(notebook, name))
            continue
        p = known[name]
        if not _type_ok(p, value):
            problems.append(f"parameter {name}: expected {_TYPE_NAMES[p.type]}, got {value!r} ({type(value).__name__})")
            continue
        if value is None:
            continue
        if (p.min is not None and value < p.min) or (p.max is not None and value > p.max):
            problems.append(f"parameter {name}: {value} is out of range; allowed {p.min} to {p.max}")
        allowed = _allowed(p, tables)
        if allowed is not None and value not in allowed:
            shown = ", ".join(map(str, allowed))
            problems.append(f"parameter {name}: {value!r} is not allowed; choose one of: {shown}")
    merged = {**defaults(notebook), **values}
    if not problems:
        problems += [msg for rule in CROSS_RULES if (msg := rule(merged))]
    if problems:
        raise ParameterError(prefix + ("; ".join(problems) if len(problems) == 1 else "\n  " + "\n  ".join(problems)))
    return merged


def _allowed(p: Parameter, tables: dict | None) -> tuple | None:
    if p.choices is not None:
        return p.choices
    if p.data_choices is None:
        return None
    table, column = p.data_choices.split(".")
    if tables is None or table not in tables:
        # Only for a parameter whose choices are in the data, and only when the caller has no tables loaded.
        from casualty_workbook.data.loading import load_table

        frame = load_table(table)
    else:
        frame = tables[table]
    return tuple(p.extra_choices) + tuple(sorted(map(str, frame[column].dropna())))
