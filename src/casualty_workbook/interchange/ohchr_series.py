"""OHCHR's running count of civilians killed and injured, as a dashboard carried it: one row per day
the dashboard recorded, each with the cumulative killed and injured since the count began.

Two layouts are read, each by its labels, never by position:

- an HXL-tagged table: a header row, then a row of hashtags; the columns are found by their tags
  (``#date``, ``#affected+killed``, ``#affected+injured``, and an address tagged ``#meta+url``
  where there is one);
- the dashboard's raw key-figures sheet: a row of column groups, then the header; the columns are
  found by their names (``Date``, ``Civilian casualities(OHCHR) - Killed`` and ``- Injured``,
  ``Source URL``).

An *update* is a row whose figures differ from the update before it: the dashboard repeats the
last figure on every day it shows it, and a repeat is not OHCHR publishing again. Each update
becomes two claims by OHCHR (civilians killed, civilians injured, cumulative "as of" the row's
date), carried by the dashboard (status ``secondary``), each revising the same metric's claim of
the update before. A figure lower than the one before is kept as published: OHCHR revises its
count as cases are corroborated or set aside, and smoothing that away would misreport it.

The country and the day the count starts come from the command's options; ids derive from them
and from the dates, so the same file again changes nothing and a longer file adds its new updates
at the end of the chain. The tables are checked with every rule and written by ``common``'s write
step, whole or not at all.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import itertools
import re
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from casualty_workbook.core.exceptions import DataValidationError, Problem, WorkbookError
from casualty_workbook.core.paths import default_data_dir
from casualty_workbook.data.running_counts import CLAIMANT, EVENT_PREFIX, POPULATION
from casualty_workbook.interchange import common
from casualty_workbook.interchange.common import ImportSummary

METRICS = ("killed", "injured")
STATUS = "secondary"  # OHCHR's figure as another body's document carried it, not OHCHR's own text
# OHCHR counts only the casualties it has corroborated and says the actual figures are higher:
# a recorded count is a floor, so a claim is worded "at least", as OHCHR's own 2014-2021 total is.
QUALIFIER = "at_least"

# Where each layout keeps the columns: the HXL hashtags (a cell's tag must hold these attributes)
# and the raw sheet's column names.
HXL_TAGS = {"date": ("#date", ()), "killed": ("#affected", ("killed",)), "injured": ("#affected", ("injured",))}
HXL_URL = ("#meta", ("url",))
SHEET_COLUMNS = {
    "date": "Date",
    "killed": "Civilian casualities(OHCHR) - Killed",
    "injured": "Civilian casualities(OHCHR) - Injured",
}
SHEET_URL = "Source URL"
HEADER_SEARCH = 5  # the raw sheet's header is under a row of column groups: look this far down

# The dashboard the shared series was taken from: its address is an option, so a copy of another
# country's dashboard imports the same way.
PUBLISHER = "UN OCHA"
_URL = re.compile(r"https?://[^\s;,]+")
_COUNT = re.compile(r"\d+")


@dataclass
class SeriesSummary(ImportSummary):
    """What an import of a series did, in the series' own words (updates, not dataset rows)."""

    downward: int = 0

    def describe(self) -> str:
        head = f"{self.file}: {self.rows_read} rows, {self.rows_selected} distinct updates"
        if not self.added.get("claims") and not self.updated.get("events"):
            return head + "; everything was already imported, nothing changed."
        parts = [
            f"{t}: {self.added[t]} added" + (f", {u} updated" if (u := self.updated.get(t)) else "")
            for t in common.WRITE_ORDER
            if self.added.get(t) or self.updated.get(t)
        ]
        return (
            head
            + "; "
            + "; ".join(parts)
            + f" ({self.revisions} revising the update before, {self.downward} lower than the figure before: kept)."
        )


@dataclass(frozen=True)
class Update:
    """One row of the file: the cumulative figures the dashboard showed on ``date``."""

    row: int  # spreadsheet numbering, the file's first line is row 1
    date: dt.date
    killed: int
    injured: int
    addresses: tuple[str, ...] = ()


@dataclass(frozen=True)
class Layout:
    """Where a file keeps its columns: the header's row and the index of each column."""

    header_row: int  # spreadsheet numbering
    first_data_row: int
    columns: dict[str, int]
    names: dict[str, str]  # how the file names each column, for messages
    url: int | None


def _hxl_match(cell: str, tag: tuple[str, tuple[str, ...]]) -> bool:
    parts = cell.strip().lower().replace(" ", "").split("+")
    return parts[0] == tag[0] and set(tag[1]) <= set(parts[1:])


def _read_rows(path: Path) -> list[list[str]]:
    if not path.is_file():
        raise DataValidationError(path, [Problem(None, None, None, "file not found")])
    raw = path.read_bytes()
    if b"\x00" in raw[:65536]:
        raise DataValidationError(path, [Problem(None, None, None, "is binary, not a CSV text file")])
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        line = raw[: err.start].count(b"\n") + 1
        rule = f"is not UTF-8 text: byte 0x{raw[err.start]:02x} cannot be decoded (save the file as CSV UTF-8)"
        raise DataValidationError(path, [Problem(line, None, None, rule)]) from None
    try:
        return list(csv.reader(io.StringIO(text)))
    except csv.Error as err:
        raise DataValidationError(path, [Problem(None, None, None, f"is not a well-formed CSV file: {err}")]) from None


def find_layout(path: Path, rows: list[list[str]]) -> Layout:
    """The layout of ``rows``: HXL hashtags in the second row, else the raw sheet's column names in
    one of the first rows; a missing column is named as that layout calls it."""
    if not rows or not any(c.strip() for c in rows[0]):
        raise DataValidationError(path, [Problem(None, None, None, "is empty: expected a header row")])
    if len(rows) > 1 and any(c.strip().startswith("#") for c in rows[1]):
        tags = rows[1]
        columns: dict[str, int] = {}
        problems = []
        for key, tag in HXL_TAGS.items():
            found = [i for i, cell in enumerate(tags) if _hxl_match(cell, tag)]
            if not found:
                wanted = tag[0] + "".join("+" + a for a in tag[1])
                problems.append(Problem(2, wanted, None, "required column is missing (no cell of the HXL row has it)"))
            else:
                columns[key] = found[0]
        if problems:
            raise DataValidationError(path, problems)
        url = next((i for i, cell in enumerate(tags) if _hxl_match(cell, HXL_URL)), None)
        names = {key: rows[0][i].strip() or tags[i].strip() for key, i in columns.items()}
        return Layout(2, 3, columns, names, url)
    for number, row in enumerate(rows[:HEADER_SEARCH], start=1):
        cells = [c.strip() for c in row]
        if SHEET_COLUMNS["date"] in cells:
            problems = [
                Problem(number, name, None, "required column is missing")
                for name in SHEET_COLUMNS.values()
                if name not in cells
            ]
            if problems:
                raise DataValidationError(path, problems)
            columns = {key: cells.index(name) for key, name in SHEET_COLUMNS.items()}
            url = cells.index(SHEET_URL) if SHEET_URL in cells else None
            return Layout(number, number + 1, columns, dict(SHEET_COLUMNS), url)
    expected = ", ".join([*(t[0] + "".join("+" + a for a in t[1]) for t in HXL_TAGS.values())])
    rule = (
        f"no HXL row with {expected} under the header, and no header (in the first {HEADER_SEARCH} rows) "
        f"with the columns {', '.join(SHEET_COLUMNS.values())}"
    )
    raise DataValidationError(path, [Problem(1, None, None, rule)])


def read_series(path: str | Path, *, counted_from: dt.date | None = None) -> list[Update]:
    """Every row of the file as an ``Update``, checked: a real date, counts in digits, dates in
    order, one set of figures per date, none before ``counted_from``. Any problem raises one
    ``DataValidationError`` listing each row and column."""
    return _read_named(Path(path), counted_from)[0]


def _read_named(path: Path, counted_from: dt.date | None) -> tuple[list[Update], dict[str, str]]:
    """``read_series`` and how the file names its columns (for the messages of later checks)."""
    rows = _read_rows(path)
    layout = find_layout(path, rows)
    problems: list[Problem] = []
    updates: list[Update] = []
    today = dt.date.today()
    date_name, killed_name, injured_name = (layout.names[k] for k in ("date", "killed", "injured"))
    for number, row in enumerate(rows[layout.first_data_row - 1 :], start=layout.first_data_row):
        if not any(c.strip() for c in row):
            continue  # a blank line, as the loader skips it

        def cell(index: int, row: list[str] = row) -> str:
            return row[index].strip() if index < len(row) else ""

        text = cell(layout.columns["date"])
        day = None
        try:
            day = dt.date.fromisoformat(text) if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text) else None
        except ValueError:
            day = None
        if day is None or day > today:
            problems.append(
                Problem(number, date_name, text or None, "must be a real date written YYYY-MM-DD, not in the future")
            )
        elif counted_from and day < counted_from:
            problems.append(
                Problem(number, date_name, text, f"must not be before the start of the count ({counted_from})")
            )
            day = None
        counts = []
        for key, name in (("killed", killed_name), ("injured", injured_name)):
            value = cell(layout.columns[key])
            if not _COUNT.fullmatch(value):
                problems.append(
                    Problem(number, name, value or None, "must be a whole number of 0 or more, written in digits")
                )
            counts.append(int(value) if _COUNT.fullmatch(value) else None)
        addresses = tuple(_URL.findall(cell(layout.url))) if layout.url is not None else ()
        if day is not None and None not in counts:
            updates.append(Update(number, day, counts[0], counts[1], addresses))
    for before, after in itertools.pairwise(updates):
        if after.date < before.date:
            rule = f"dates must run forwards: this row is dated before row {before.row} ({before.date})"
            problems.append(Problem(after.row, date_name, after.date.isoformat(), rule))
        elif after.date == before.date and (after.killed, after.injured) != (before.killed, before.injured):
            rule = (
                f"row {before.row} has the same date with other figures ({before.killed:,} killed, "
                f"{before.injured:,} injured): one date, one set of figures"
            )
            problems.append(Problem(after.row, date_name, after.date.isoformat(), rule))
    if not updates and not problems:
        problems.append(Problem(None, None, None, "has a header but no data rows"))
    if problems:
        raise DataValidationError(path, sorted(problems, key=lambda p: p.row or 0))
    return updates, layout.names


def distinct_updates(updates: list[Update]) -> list[Update]:
    """The rows whose figures differ from the row before: a repeat is the dashboard still showing
    the last update, not a new one. A lower figure is a change, and kept."""
    kept: list[Update] = []
    for update in updates:
        if not kept or (update.killed, update.injured) != (kept[-1].killed, kept[-1].injured):
            kept.append(update)
    return kept


def _slug(text: str) -> str:
    cleaned = re.sub(r"[^a-z0-9]+", "_", text.strip().lower()).strip("_")
    if not cleaned:
        raise WorkbookError(f"--country {text!r}: must hold letters or digits")
    return cleaned


# Every count this importer makes is an event whose id starts so: the reports tell a running count
# (a series report) from an incident by it.
def event_id(country: str, counted_from: dt.date) -> str:
    """The id of the count's event: the country and the day the count starts."""
    return f"{EVENT_PREFIX}{_slug(country)}_since_{counted_from.isoformat()}"


def _long_day(day: dt.date) -> str:
    return f"{day.day} {day:%B %Y}"


def _note(update: Update, previous: int | None, value: int) -> str:
    words = []
    ohchr = [a for a in update.addresses if "ohchr.org" in a]
    if ohchr:
        words.append(f"OHCHR's update: {ohchr[0]}")
    elif update.addresses:
        words.append(f"The dashboard cites: {update.addresses[0]}")
    if previous is not None and value < previous:
        words.append(f"Lower than the update before ({previous:,}): kept as published.")
    return " ".join(words)


def map_series(
    updates: list[Update],
    *,
    country: str,
    counted_from: dt.date,
    source_id: str,
    previous: dict[str, tuple[str, int]] | None = None,
) -> pd.DataFrame:
    """The claims of ``updates`` (already distinct, in date order), as text cells: per update a
    claim of the civilians killed and one of the injured, each revising the one before it
    (``previous`` gives, per metric, the claim id and value the first update follows)."""
    event = event_id(country, counted_from)
    last = dict(previous or {})
    records = []
    for update in updates:
        for metric in METRICS:
            value = update.killed if metric == "killed" else update.injured
            before = last.get(metric)
            claim_id = f"{event}-{metric}-{update.date.isoformat()}"
            records.append(
                {
                    "claim_id": claim_id,
                    "event_id": event,
                    "metric": metric,
                    "population": POPULATION,
                    "value_low": str(value),
                    "value_best": str(value),
                    "value_high": "",
                    "qualifier": QUALIFIER,
                    "unit": "people",
                    "claimant": CLAIMANT,
                    "source_id": source_id,
                    "reported_on": update.date.isoformat(),
                    "reported_time": "",
                    "status": STATUS,
                    "quote": f"{value} civilians {metric}, cumulative since {counted_from.isoformat()}, "
                    f"as of {update.date.isoformat()}",
                    "quote_kind": "as_recorded",
                    "revises": before[0] if before else "",
                    "derived_from": "",
                    "note": _note(update, before[1] if before else None, value),
                }
            )
            last[metric] = (claim_id, value)
    return pd.DataFrame.from_records(records, columns=None if records else ["claim_id"])


def import_ohchr_series(
    path: str | Path,
    *,
    country: str,
    counted_from: dt.date,
    source_url: str | None = None,
    data_dir: str | Path | None = None,
) -> SeriesSummary:
    """Import the running count in ``path`` into the tables of ``data_dir`` (default: data/)."""
    path = Path(path)
    folder = Path(data_dir) if data_dir else default_data_dir()
    rows, names = _read_named(path, counted_from)
    event = event_id(country, counted_from)
    source_id = f"{event}_dashboard"
    tables = {name: common.read_table(folder, name) for name in common.WRITE_ORDER}
    originals = dict(tables)
    claims = tables["claims"]
    own = claims[(claims["event_id"] == event) & (claims["claimant"] == CLAIMANT)]
    known = {(r.metric, r.reported_on): (r.claim_id, int(r.value_best)) for r in own.itertuples()}
    chain = _imported_chain(known)
    new = _new_updates(path, rows, names, known, chain)
    previous = {}
    if chain:
        last = chain[-1].date.isoformat()
        previous = {m: known[(m, last)] for m in METRICS}
    new_claims = map_series(new, country=country, counted_from=counted_from, source_id=source_id, previous=previous)
    added = {t: 0 for t in common.WRITE_ORDER}
    updated = {t: 0 for t in common.WRITE_ORDER}
    if new:
        last_day = max(chain[-1].date if chain else new[-1].date, new[-1].date)
        event_row = _event_row(country, counted_from, last_day, source_id)
        source_row = _source_row(country, counted_from, source_id, source_url, last_day)
        added, updated = _add_updates(tables, new_claims, event_row, source_row)
    revisions = sum(1 for c in new_claims.get("revises", []) if c)
    downward = sum(1 for n in new_claims.get("note", []) if "kept as published" in n)
    summary = SeriesSummary(path, len(rows), len(distinct_updates(rows)), added, updated, revisions, downward)
    changed = [t for t in common.WRITE_ORDER if added.get(t) or updated.get(t)]
    if changed:
        # common's write step: every rule of the loader on the tables as they would be, then each
        # table replaced whole, in an order that keeps references resolving.
        common.write_checked(folder, {t: tables[t] for t in changed}, path, originals)
    return summary


def _imported_chain(known: dict[tuple[str, str], tuple[str, int]]) -> list[Update]:
    """The updates imported before (``known``: claim id and value by metric and day), in date
    order, as ``Update``s of row 0: each day with both its figures."""
    imported_dates = sorted({d for _, d in known})
    return [
        Update(0, dt.date.fromisoformat(d), known[("killed", d)][1], known[("injured", d)][1])
        for d in imported_dates
        if ("killed", d) in known and ("injured", d) in known
    ]


def _new_updates(
    path: Path,
    rows: list[Update],
    names: dict[str, str],
    known: dict[tuple[str, str], tuple[str, int]],
    chain: list[Update],
) -> list[Update]:
    """The file's updates not imported before, joined to the chain already imported.

    A date imported before must carry the same figures; a repeat of the update before is no
    update; a new update goes after the last one. Anything else is refused, naming the row.
    """
    problems: list[Problem] = []
    for update in rows:
        day = update.date.isoformat()
        for metric in METRICS:
            value = update.killed if metric == "killed" else update.injured
            if (metric, day) in known and known[(metric, day)][1] != value:
                rule = (
                    f"{metric} on {day} was imported before as {known[(metric, day)][1]:,} "
                    f"({known[(metric, day)][0]}); a published figure is never changed: "
                    "a later update revises it"
                )
                problems.append(Problem(update.row, names[metric], value, rule))
    if problems:
        raise DataValidationError(path, problems)
    merged = distinct_updates(sorted([*chain, *rows], key=lambda u: (u.date, u.row != 0)))
    merged = [u for i, u in enumerate(merged) if i == 0 or u.date != merged[i - 1].date]
    new = [u for u in merged if u.row and ("killed", u.date.isoformat()) not in known]
    if chain and new and new[0].date < chain[-1].date:
        rule = (
            f"an update not imported before, dated before the last update imported ({chain[-1].date}): "
            "import the series in date order (a file that holds it from its start, or the days after)"
        )
        raise DataValidationError(path, [Problem(new[0].row, names["date"], new[0].date.isoformat(), rule)])
    return new


def _add_updates(
    tables: dict[str, pd.DataFrame], new_claims: pd.DataFrame, event_row: dict, source_row: dict
) -> tuple[dict[str, int], dict[str, int]]:
    """The new claims appended to ``tables``, the count's event added or moved on, its source and
    claimant added where absent; the rows added and updated, by table."""
    added = {t: 0 for t in common.WRITE_ORDER}
    updated = {t: 0 for t in common.WRITE_ORDER}
    claims = tables["claims"]
    tables["claims"] = pd.concat([claims, new_claims.reindex(columns=claims.columns, fill_value="")], ignore_index=True)
    added["claims"] = len(new_claims)
    tables["events"], added["events"], updated["events"] = _upsert(tables["events"], event_row, "event_id")
    tables["sources"], added["sources"], _ = _add_if_absent(tables["sources"], source_row, "source_id")
    tables["claimants"], added["claimants"], _ = _add_if_absent(tables["claimants"], _claimant_row(), "claimant_id")
    return added, updated


def _upsert(table: pd.DataFrame, row: dict, key: str) -> tuple[pd.DataFrame, int, int]:
    """Add ``row``, or update the row with its key where a cell differs (the count's last day moves on)."""
    row = {c: row.get(c, "") for c in table.columns}
    match = table.index[table[key] == row[key]]
    if len(match) == 0:
        return pd.concat([table, pd.DataFrame([row])], ignore_index=True), 1, 0
    at = match[0]
    if all(str(table.at[at, c]) == str(v) for c, v in row.items()):
        return table, 0, 0
    table = table.copy()
    for c, v in row.items():
        table.at[at, c] = v
    return table, 0, 1


def _add_if_absent(table: pd.DataFrame, row: dict, key: str) -> tuple[pd.DataFrame, int, int]:
    """A row once written stays as it is (a source's 'accessed' date too), as the other imports keep it."""
    if (table[key] == row[key]).any():
        return table, 0, 0
    return pd.concat([table, pd.DataFrame([{c: row.get(c, "") for c in table.columns}])], ignore_index=True), 1, 0


def _event_row(country: str, counted_from: dt.date, last_day: dt.date, source_id: str) -> dict:
    return {
        "event_id": event_id(country, counted_from),
        "name": f"OHCHR's civilian count, {country}, from {_long_day(counted_from)}",
        "date_start": counted_from.isoformat(),
        "date_end": last_day.isoformat(),
        "date_precision": "range",
        "region": country,
        "country": country,
        "description": (
            f"Not one incident: OHCHR's running count of the civilians killed and injured in {country} since "
            f"{_long_day(counted_from)}, cumulative, each update as the dashboard ({source_id}) carried it. "
            "OHCHR counts only the casualties it has corroborated and says the actual figures are higher."
        ),
    }


def _source_row(country: str, counted_from: dt.date, source_id: str, url: str | None, last_day: dt.date) -> dict:
    return {
        "source_id": source_id,
        "title": f"{country} data explorer: civilian casualties (OHCHR), cumulative since {_long_day(counted_from)}",
        "publisher": PUBLISHER,
        "published": last_day.isoformat(),
        "published_precision": "day",
        "url": url or "",
        "no_url_reason": "" if url else "The imported file names no address of the dashboard (give --source-url).",
        "own_document_of": "",
        "kind": "dataset",
        "accessed": common.today(),
        "note": (
            "Imported with workbook import ohchr-series. The dashboard carries OHCHR's figures; the date "
            "published is the last update of the imported file."
        ),
    }


def _claimant_row() -> dict:
    return {
        "claimant_id": CLAIMANT,
        "name": "OHCHR",
        "side": "un",
        "kind": "un_agency",
        "note": "UN Office of the High Commissioner for Human Rights.",
    }
