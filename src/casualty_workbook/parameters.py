"""The parameters each notebook accepts, and their checks, run before any kernel starts.

Papermill alone only logs an unknown parameter and takes any type; here an unknown name,
a wrong type or a value out of range stops the run with a message naming it and what is
allowed. Values that must exist in the data (an event, a claimant, a place) are checked
against the loaded tables.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from .exceptions import ParameterError

YEARS = (2014, 2021)
RESERVED = ("output_dir",)  # set by the build, never by a user


@dataclass(frozen=True)
class Parameter:
    name: str
    type: type
    default: Any
    help: str
    choices: tuple | None = None
    data_choices: str | None = None  # "table.column" whose values are allowed
    extra_choices: tuple = ()  # allowed besides the data's values (e.g. "all")
    min: int | None = None
    max: int | None = None
    nullable: bool = False


def _output_dir() -> Parameter:
    return Parameter("output_dir", str, None, "folder the figures and exports are written to (None: show only)",
                     nullable=True)


def _years() -> tuple[Parameter, Parameter]:
    return (
        Parameter("year_from", int, YEARS[0], "first year shown", min=YEARS[0], max=YEARS[1]),
        Parameter("year_to", int, YEARS[1], "last year shown", min=YEARS[0], max=YEARS[1]),
    )


def _event(default: str) -> Parameter:
    return Parameter("event", str, default, "event_id of the event (events.csv)", data_choices="events.event_id")


NOTEBOOKS: dict[str, tuple[Parameter, ...]] = {
    "event_report": (
        _event("belgorod_strike_2024"),
        Parameter("claimant", str, "all", "claimant_id whose claims are shown, or 'all'",
                  data_choices="claimants.claimant_id", extra_choices=("all",)),
        _output_dir(),
    ),
    "ohchr_2014_2021": (
        Parameter("include_mh17", bool, True, "count the 298 civilians killed aboard MH17 (17 July 2014)"),
        *_years(),
        Parameter("estimate", str, "best", "which of OHCHR's values bars are drawn to", choices=("low", "best", "high")),
        _output_dir(),
    ),
    "context": (
        _event("belgorod_strike_2024"),
        Parameter("metric", str, "killed", "the claimed figure set beside OHCHR's", choices=("killed", "injured")),
        *_years(),
        _output_dir(),
    ),
    "kharkiv_front": (
        _event("kharkiv_advance_2024"),
        Parameter("reference_place", str, "belgorod", "place_id distances are measured from",
                  data_choices="places.place_id"),
        _output_dir(),
    ),
    "provenance": (
        Parameter("event", str, "all", "event_id to list, or 'all'", data_choices="events.event_id",
                  extra_choices=("all",)),
        Parameter("status", str, "all", "verification status to list, or 'all'",
                  choices=("all", "verified", "secondary", "unverified", "claimed")),
        _output_dir(),
    ),
    "coded_events": (
        _event("belgorod_strike_2024"),
        Parameter("metric", str, "killed", "the figure compared", choices=("killed", "injured")),
        Parameter("radius_km", int, 25, "how far from the event's point a coded event may lie (km)", min=1, max=500),
        Parameter("days", int, 3, "days before or after the event's dates a coded event may fall", min=0, max=60),
        _output_dir(),
    ),
    "explore": (
        _event("belgorod_strike_2024"),
        Parameter("claimant", str, "all", "claimant_id, or 'all'", data_choices="claimants.claimant_id",
                  extra_choices=("all",)),
        Parameter("metric", str, "killed", "metric to chart", choices=("killed", "injured", "missing")),
        *_years(),
        _output_dir(),
    ),
}


def _year_order(values: dict) -> str | None:
    if "year_from" in values and "year_to" in values and values["year_from"] > values["year_to"]:
        return (f"year_from ({values['year_from']}) is after year_to ({values['year_to']}): "
                "the range must run forwards")
    return None


CROSS_RULES: tuple[Callable[[dict], str | None], ...] = (_year_order,)

_TYPE_NAMES = {bool: "true or false", int: "a whole number", float: "a number", str: "text"}


def spec(notebook: str) -> tuple[Parameter, ...]:
    if notebook not in NOTEBOOKS:
        raise ParameterError(f"unknown notebook {notebook!r}; known notebooks: {', '.join(sorted(NOTEBOOKS))}")
    return NOTEBOOKS[notebook]


def defaults(notebook: str) -> dict[str, Any]:
    return {p.name: p.default for p in spec(notebook)}


def parse_assignments(notebook: str, assignments: list[str]) -> dict[str, Any]:
    """Turn command-line ``name=value`` words into typed values by each parameter's declared type."""
    known = {p.name: p for p in spec(notebook)}
    values: dict[str, Any] = {}
    for word in assignments:
        name, sep, text = word.partition("=")
        name = name.strip()
        if not sep or not name:
            raise ParameterError(f"parameter {word!r}: write parameters as name=value, e.g. year_from=2015")
        if name not in known:
            raise ParameterError(_unknown(notebook, name))
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


def check(notebook: str, values: dict[str, Any], *, where: str = "", allow_reserved: bool = False,
          tables: dict | None = None) -> dict[str, Any]:
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
        if p.min is not None and value < p.min or p.max is not None and value > p.max:
            problems.append(f"parameter {name}: {value} is out of range; allowed {p.min} to {p.max}")
        allowed = _allowed(p, tables)
        if allowed is not None and value not in allowed:
            shown = ", ".join(map(str, allowed))
            problems.append(f"parameter {name}: {value!r} is not allowed; choose one of: {shown}")
    merged = {**defaults(notebook), **values}
    if not problems:
        problems += [msg for rule in CROSS_RULES if (msg := rule(merged))]
    if problems:
        raise ParameterError(prefix + ("; ".join(problems) if len(problems) == 1 else
                                       "\n  " + "\n  ".join(problems)))
    return merged


def _allowed(p: Parameter, tables: dict | None) -> tuple | None:
    if p.choices is not None:
        return p.choices
    if p.data_choices is None:
        return None
    table, column = p.data_choices.split(".")
    if tables is None or table not in tables:
        from .loading import load_table

        frame = load_table(table)
    else:
        frame = tables[table]
    return tuple(p.extra_choices) + tuple(sorted(map(str, frame[column].dropna())))
