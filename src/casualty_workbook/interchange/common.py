"""What every dataset import shares: read and check the file, filter its rows, merge the rows it
maps to into the workbook's tables, and write every touched table whole or not at all.

A dataset's row becomes ordinary rows of ``events``, ``sources``, ``claimants`` and ``claims``
(see data/README.md, "Imported datasets"). Ids derive from the dataset's own ids, so a repeat
import finds its rows already there and changes nothing, and a newer release's changed figure
becomes a new claim that ``revises`` the one before.
"""

from __future__ import annotations

import contextlib
import csv
import ctypes
import datetime as dt
import hashlib
import io
import multiprocessing
import os
import re
import signal
import tempfile
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from casualty_workbook.core.exceptions import DataValidationError, Problem, WorkbookError
from casualty_workbook.core.paths import default_data_dir
from casualty_workbook.data.arrow_text import stripped_column
from casualty_workbook.data.loading import (
    PANDERA_RULE_MESSAGES,
    check_ahead,
    check_cells,
    load_table,
    read_text_table,
    read_with_arrow,
    to_typed,
)
from casualty_workbook.data.rules import check_table, is_member
from casualty_workbook.data.schemas import TABLES, VALUE_COLUMNS, Field, TableSpec
from casualty_workbook.data.transaction import replace_tables
from casualty_workbook.data.verdicts import passed_verdict, record_verdict

# The order tables are replaced in: each after the tables it refers to, so even an import stopped
# between two renames leaves tables whose references resolve (and a rerun completes it).
WRITE_ORDER = ("sources", "claimants", "events", "claims")
# A coded figure's status. The release is the producer's own document (its source row names the
# producer in own_document_of), so the figure is not `secondary` (no outlet carries it); the
# producer is no party to the war, so not `claimed`; and the workbook reads it from an export it
# cannot check against the published release, its quote recorded, not verbatim: `unverified`.
STATUS = "unverified"


class ImportRefused(WorkbookError):
    """The import would leave the workbook's tables breaking a rule; nothing was written."""

    exit_code = 2


@dataclass(frozen=True)
class Filters:
    """Which of a file's rows to import; every given condition must hold."""

    country: str | None = None
    since: dt.date | None = None
    until: dt.date | None = None
    bbox: tuple[float, float, float, float] | None = None  # min_lon, min_lat, max_lon, max_lat
    admin1: str | None = None
    event_type: tuple[str, ...] = ()  # any of these (the dataset's own words, in any case)

    def mask(
        self,
        frame: pd.DataFrame,
        *,
        country: str,
        admin1: str,
        start: str,
        end: str,
        event_types: tuple[pd.Series, ...] = (),
    ) -> pd.Series:
        """Rows to keep. ``frame`` holds the file's text; the names say which of its columns to use,
        ``event_types`` the row's types (a row is kept when any of them is one of ``event_type``)."""
        keep = pd.Series(True, index=frame.index)
        if self.event_type:
            wanted = {t.strip().casefold() for t in self.event_type}
            typed = pd.Series(False, index=frame.index)
            for types in event_types:
                typed |= types.str.casefold().isin(wanted).fillna(False).astype(bool)
            keep &= typed
        if self.country:
            keep &= frame[country].str.casefold() == self.country.strip().casefold()
        if self.admin1:
            keep &= frame[admin1].str.casefold() == self.admin1.strip().casefold()
        if self.since:
            keep &= pd.to_datetime(frame[end], format="%Y-%m-%d") >= pd.Timestamp(self.since)
        if self.until:
            keep &= pd.to_datetime(frame[start], format="%Y-%m-%d") <= pd.Timestamp(self.until)
        if self.bbox:
            min_lon, min_lat, max_lon, max_lat = self.bbox
            lat = pd.to_numeric(frame["latitude"], errors="coerce")
            lon = pd.to_numeric(frame["longitude"], errors="coerce")
            keep &= lat.between(min_lat, max_lat) & lon.between(min_lon, max_lon)
        return keep.fillna(False).astype(bool)


@dataclass
class Mapped:
    """The rows one file maps to, as text cells in the tables' columns."""

    sources: pd.DataFrame
    claimants: pd.DataFrame
    events: pd.DataFrame
    claims: pd.DataFrame  # without ``revises``: the merge decides it
    claim_rows: pd.Series = field(default_factory=pd.Series)  # the file's row number of each claim


@dataclass
class ImportSummary:
    file: Path
    rows_read: int
    rows_selected: int
    added: dict[str, int]
    updated: dict[str, int]
    revisions: int
    marked: dict[str, int] = field(default_factory=dict)  # rows imported with a mark, by reason
    withdrawn: int = 0  # events recorded before that this release no longer lists

    def describe(self) -> str:
        text = self._changes()
        if self.withdrawn:
            text += (
                f"\n{self.withdrawn} figures of events an earlier release listed and this one does not are "
                "recorded as withdrawn (no figure: qualifier not_reported, revising the last)."
            )
        for reason, count in sorted(self.marked.items()):
            text += f"\n{count} rows imported as recorded and marked: {reason}."
        return text

    def _changes(self) -> str:
        changed = {t: (self.added.get(t, 0), self.updated.get(t, 0)) for t in WRITE_ORDER}
        if not any(a or u for a, u in changed.values()):
            return (
                f"{self.file}: {self.rows_selected} of {self.rows_read} rows selected; "
                "everything was already imported, nothing changed."
            )
        parts = [f"{t}: {a} added" + (f", {u} updated" if u else "") for t, (a, u) in changed.items() if a or u]
        return (
            f"{self.file}: {self.rows_selected} of {self.rows_read} rows selected; "
            + "; ".join(parts)
            + f" ({self.revisions} revised figures)."
            + (
                f" {self.updated['claims']} later figures now revise an older release's."
                if self.updated.get("claims")
                else ""
            )
        )


# ---- reading a dataset's file --------------------------------------------------------------------

# Dates as the field's tools write them: ISO with or without a time (the UCDP API's
# '2014-01-22T00:00:00'), and ACLED's export tool's '15 April 2022'.
_ISO_WITH_TIME = r"^(\d{4}-\d{2}-\d{2})(?:[ T]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?$"
_MONTHS = "January|February|March|April|May|June|July|August|September|October|November|December"
_DAY_MONTH_YEAR = rf"^\d{{1,2}}[ -](?:{_MONTHS}|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)[ -]\d{{4}}$"
# 03/04/2022 is 3 April or 4 March: never guessed.
_AMBIGUOUS = r"^\d{1,2}[/.]\d{1,2}[/.]\d{2,4}$"


def read_dataset(
    path: Path,
    fields: tuple[Field, ...],
    name: str,
    *,
    dates: tuple[str, ...] = (),
    may_be_absent: tuple[str, ...] = (),
    encoding: str = "utf-8",
) -> pd.DataFrame:
    """The file's cells of ``fields`` as stripped text (empty cells missing), every cell well
    formed, or a ``DataValidationError`` naming the file, row and column.

    Only ``fields`` (the columns a mapping uses) are read and checked: the other columns of a
    layout, and columns an export adds, are never required. A field in ``may_be_absent`` (a
    column an older layout lacks) is read as all missing when the header lacks it. ``dates`` are
    read as ISO dates with or without a time, or written out (``15 April 2022``); a date such as
    ``03/04/2022`` is refused, never guessed. ``encoding`` is the file's text encoding: a file
    that is not UTF-8 is refused unless it is named.
    """
    path = Path(path)
    raw = _utf8_bytes(path, encoding)
    header = _header(raw)
    present = tuple(f for f in fields if f.name in header or f.name not in may_be_absent)
    spec = TableSpec(name, present)
    frame = _read_columns(raw, header, spec)
    if frame is None:  # the careful reader names what is wrong (a ragged row, a missing column)
        extra = tuple(Field(c, "text", required=False) for c in header if c and c not in spec.columns)
        careful = TableSpec(name, present + extra)
        if encoding == "utf-8":
            frame = read_text_table(path, careful)
        else:
            with tempfile.TemporaryDirectory() as scratch:
                copy = Path(scratch) / path.name
                copy.write_bytes(raw)
                try:
                    frame = read_text_table(copy, careful)
                except DataValidationError as err:
                    raise DataValidationError(path, err.problems) from None
        frame = frame[spec.columns]
    problems = normalise_dates(frame, tuple(c for c in dates if c in frame.columns))
    seen = {(p.row, p.column) for p in problems}  # an ambiguous date is named once, by its own rule
    problems += [p for p in check_cells(path, spec, frame) if (p.row, p.column) not in seen]
    if problems:
        raise DataValidationError(path, sorted(problems, key=lambda p: p.row or 0))
    for f in fields:
        if f.name not in frame.columns:
            frame[f.name] = pd.Series(pd.NA, index=frame.index, dtype="string")
    return frame


def _utf8_bytes(path: Path, encoding: str) -> bytes:
    """The file as UTF-8 bytes without a byte-order mark; a file that is not text in ``encoding``
    is refused, naming the row of the first byte that is not, and saying how to import it."""
    if not path.is_file():
        raise DataValidationError(path, [Problem(None, None, None, "file not found")])
    raw = path.read_bytes()
    if b"\x00" in raw[:65536] and encoding != "utf-16":
        raise DataValidationError(path, [Problem(None, None, None, "is binary, not a CSV text file")])
    if encoding == "utf-8" and raw.isascii():  # the usual case, checked in C without decoding
        return raw
    if encoding == "utf-8" and _valid_utf8(raw):  # checked in place: no decoded copy of a whole release
        return raw.removeprefix(b"\xef\xbb\xbf")
    try:
        text = raw.decode("utf-8-sig" if encoding == "utf-8" else encoding)
    except UnicodeDecodeError as err:
        row = raw[: err.start].count(b"\n") + 1
        byte = raw[err.start : err.start + 1].hex()
        if encoding == "utf-8":
            hint = _windows_hint(raw)
            rule = f"is not UTF-8 text: byte 0x{byte} cannot be decoded{hint}"
        else:
            rule = f"is not {encoding} text: byte 0x{byte} cannot be decoded"
        raise DataValidationError(path, [Problem(row, None, None, rule)]) from None
    if encoding == "utf-8":
        return raw.removeprefix(b"\xef\xbb\xbf")
    return text.removeprefix("\ufeff").encode("utf-8")


def _valid_utf8(raw: bytes) -> bool:
    """Whether ``raw`` is UTF-8 text, by Arrow's validator over the bytes as they are (decoding a
    release into a Python string would hold it a second time, up to four bytes a character)."""
    import pyarrow as pa

    offsets = pa.py_buffer(np.array([0, len(raw)], dtype=np.int64).tobytes())
    cells = pa.Array.from_buffers(pa.large_string(), 1, [None, offsets, pa.py_buffer(raw)])
    try:
        cells.validate(full=True)
    except pa.ArrowInvalid:
        return False  # the decoder then names the first byte that is not
    return True


def _windows_hint(raw: bytes) -> str:
    """How to import a file a spreadsheet saved in its Windows encoding (Excel's 'CSV' is cp1252)."""
    try:
        raw.decode("cp1252")
    except UnicodeDecodeError:
        return " (save the file as CSV UTF-8)"
    return (
        "; it reads as Windows-1252 text, as Excel saves a plain 'CSV': import it with "
        "--encoding cp1252, or save it as 'CSV UTF-8' and import that"
    )


def _read_columns(raw: bytes, header: list[str], spec: TableSpec) -> pd.DataFrame | None:
    """Only ``spec``'s columns, with Arrow; None when anything is odd (the careful reader then explains)."""
    import pyarrow as pa
    import pyarrow.csv as pacsv

    if sorted(set(header)) != sorted(header) or any(c not in header for c in spec.columns):
        return None
    try:
        table = pacsv.read_csv(
            io.BytesIO(raw),
            parse_options=pacsv.ParseOptions(newlines_in_values=True),
            convert_options=pacsv.ConvertOptions(
                include_columns=spec.columns,
                column_types={c: pa.string() for c in spec.columns},
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
    except (pa.ArrowInvalid, pa.ArrowException):
        return None
    if table.num_rows == 0:
        return None

    # stripped, an empty cell missing: a release's text not copied twice
    columns = _trimmed_columns({name: table[name] for name in table.column_names})
    text = pd.StringDtype("pyarrow")  # Arrow's text, not a Python object per cell: a release is millions of cells
    return pa.table(columns).to_pandas(types_mapper={pa.string(): text, pa.large_string(): text}.get)


def _header(raw: bytes) -> list[str]:
    text = raw[:65536].decode("utf-8", errors="replace")
    return [c.strip() for c in next(csv.reader(io.StringIO(text)), [])]


def header_of(path: Path, encoding: str = "utf-8") -> list[str]:
    """A file's header as written (for telling layouts apart before reading the rows)."""
    path = Path(path)
    if not path.is_file():
        raise DataValidationError(path, [Problem(None, None, None, "file not found")])
    with path.open("rb") as handle:
        head = handle.read(65536)
    text = head.decode("utf-8-sig" if encoding == "utf-8" else encoding, errors="replace")
    return [c.strip() for c in next(csv.reader(io.StringIO(text)), [])]


def normalise_dates(frame: pd.DataFrame, columns: tuple[str, ...]) -> list[Problem]:
    """Dates as the field's tools write them become YYYY-MM-DD in place; a date that could be read
    two ways (03/04/2022) is a problem, never a guess. Other text is left for the date rule."""
    problems: list[Problem] = []
    for column in columns:
        cells = frame[column]
        if bool(cells.str.fullmatch(r"\d{4}-\d{2}-\d{2}").fillna(True).all()):
            continue  # the usual case: nothing to rewrite
        if bool(cells.str.fullmatch(_ISO_WITH_TIME).fillna(True).all()):
            # Every date ISO with a time (the UCDP API's): its day is its first ten characters, and
            # no written-out or ambiguous date is left to look for.
            frame[column] = cells.str.slice(0, 10)
            continue
        cells = cells.str.replace(_ISO_WITH_TIME, r"\1", regex=True)
        written = cells.str.fullmatch(_DAY_MONTH_YEAR, case=False).fillna(False).astype(bool)
        if written.any():
            words = cells[written].str.replace("-", " ", regex=False).str.title().str.replace("Sept ", "Sep ")
            parsed = pd.to_datetime(words, format="%d %B %Y", errors="coerce")
            short = parsed.isna()
            if short.any():
                parsed[short] = pd.to_datetime(words[short], format="%d %b %Y", errors="coerce")
            cells = cells.copy()
            cells[written] = parsed.dt.strftime("%Y-%m-%d").where(parsed.notna(), cells[written])
        ambiguous = cells.str.fullmatch(_AMBIGUOUS).fillna(False).astype(bool)
        problems += row_problems(
            frame,
            ambiguous,
            column,
            "is ambiguous (day/month or month/day?): the import never guesses; write the date as "
            "YYYY-MM-DD (or as '15 April 2022') and import again",
        )
        frame[column] = cells
    return problems


def joined(*parts: pd.Series | str) -> pd.Series:
    """Text columns and literals joined row by row in one pass (Arrow's kernel, not one pandas
    ``+`` per part); missing where any part is missing, as ``+`` would be. The first part that is
    a column gives the index."""
    import pyarrow as pa
    import pyarrow.compute as pc

    index = next(p.index for p in parts if isinstance(p, pd.Series))
    cells = [
        pa.array(p, from_pandas=True).cast(pa.large_string())
        if isinstance(p, pd.Series)
        else pa.scalar(p, pa.large_string())
        for p in parts
    ]
    out = pc.binary_join_element_wise(*cells, pa.scalar("", pa.large_string()))
    return pd.Series(pd.arrays.ArrowStringArray(out), index=index)


def select(frame: pd.DataFrame, keep: pd.Series) -> pd.DataFrame:
    """``frame[keep]``, without copying a whole dataset's columns when every row is kept."""
    return frame if bool(keep.all()) else frame[keep]


def row_problems(frame: pd.DataFrame, mask: pd.Series, column: str, rule: str) -> list[Problem]:
    bad = frame.index[mask.fillna(False).to_numpy(dtype=bool)]
    return [Problem(int(i) + 2, column, frame.at[i, column], rule) for i in bad]


def slug(text: str) -> str:
    """A release name as an identifier's part: '24.1' → '24_1'."""
    cleaned = re.sub(r"[^A-Za-z0-9]+", "_", text.strip()).strip("_")
    if not cleaned:
        raise WorkbookError(f"release {text!r}: must hold letters or digits, e.g. 24.1")
    return cleaned


# ---- merging into the tables ---------------------------------------------------------------------


def read_table(data_dir: Path, name: str) -> pd.DataFrame:
    """A table as written (text, empty cells ''), in its file's own column order.

    The file's header decides the columns: a column this code does not know (added by a newer
    schema) is kept, and imported rows leave it empty. Read with Arrow: tables grow to a
    dataset's hundreds of thousands of rows.
    """
    path = data_dir / TABLES[name].filename
    raw = path.read_bytes()
    fast = read_with_arrow(raw)
    if fast is not None:
        frame = fast[0]
    else:  # an odd file (blank lines, ragged rows): the careful reader
        frame = pd.read_csv(
            io.BytesIO(raw.removeprefix(b"\xef\xbb\xbf")), dtype=str, keep_default_na=False, encoding="utf-8"
        )
    frame.columns = [str(c).strip() for c in frame.columns]
    return frame


def _aligned(rows: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    aligned = rows.reindex(columns=columns, fill_value="").fillna("")
    return aligned.astype({c: "string" for c in columns if not pd.api.types.is_string_dtype(aligned[c])})


def _positions(values: pd.Series, keys: pd.Series) -> np.ndarray:
    """For each value, the position of its first row in ``keys`` (-1 when absent): Arrow's hash
    kernel, as fast for a whole dataset's ids as for a handful."""
    import pyarrow as pa
    import pyarrow.compute as pc

    cells = pa.array(values, from_pandas=True).cast(pa.large_string())
    found = pc.index_in(cells, value_set=pa.array(keys, from_pandas=True).cast(pa.large_string()))
    return found.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int64)


def _differs(new: pd.DataFrame, old: pd.DataFrame, columns: list[str] | tuple[str, ...]) -> np.ndarray:
    """Row by row (the frames aligned by position), whether any of ``columns`` holds other text."""
    import pyarrow as pa
    import pyarrow.compute as pc

    def text(cells: pd.Series) -> pa.Array:
        return pc.fill_null(pa.array(cells, from_pandas=True).cast(pa.large_string()), "")  # empty is empty

    out = np.zeros(len(new), dtype=bool)
    for c in columns:
        out |= pc.not_equal(text(new[c]), text(old[c])).to_numpy(zero_copy_only=False).astype(bool)
    return out


def _merge_keyed(existing: pd.DataFrame, new: pd.DataFrame, key: str, *, update: bool) -> tuple[pd.DataFrame, int, int]:
    """Add the rows of ``new`` whose ``key`` is not in ``existing``; with ``update``, replace the
    rows whose cells differ. Returns the table and the numbers added and updated."""
    new = _aligned(new.drop_duplicates(key, keep="last"), list(existing.columns))
    where = _positions(new[key], existing[key])
    present = where >= 0
    added = select(new, pd.Series(~present, index=new.index))
    updated = 0
    if update and present.any():
        incoming = new[present]
        columns = [c for c in incoming.columns if c != key]
        differs = _differs(incoming, existing.iloc[where[present]], columns)
        if differs.any():
            changed, at = incoming[differs], where[present][differs]
            existing = existing.copy()
            for c in columns:  # the row keeps its place in the file; only its cells change
                values = existing[c].to_numpy(dtype=object)
                values[at] = changed[c].to_numpy(dtype=object)
                existing[c] = pd.array(values, dtype=existing[c].dtype)
            updated = int(differs.sum())
    if len(added):
        existing = pd.concat([existing, added], ignore_index=True)
    return existing, len(added), updated


def _chain_heads(claims: pd.DataFrame, claimant: str) -> pd.DataFrame:
    """The latest claim of ``claimant`` per event, metric and population: the one no other claim revises."""
    own = claims[claims["claimant"] == claimant]
    revised = set(own["revises"][own["revises"] != ""])
    heads = own[~own["claim_id"].isin(revised)]
    heads = heads.sort_values(["reported_on", "claim_id"], kind="stable")
    return heads.drop_duplicates(["event_id", "metric", "population"], keep="last")


def _refuse_changed_figures(
    new: pd.DataFrame, existing: pd.DataFrame, claim_rows: pd.Series, path: Path, compare: tuple[str, ...]
) -> np.ndarray:
    """Which new claims are already present (by id); refused, naming their rows, where one carries
    another figure than before."""
    where = _positions(new["claim_id"], existing["claim_id"])
    present = where >= 0
    clash = np.zeros(len(new), dtype=bool)
    if present.any():
        clash[present] = _differs(new[present], existing.iloc[where[present]], compare)
    if clash.any():
        rows = claim_rows.reindex(new.index[clash])
        problems = [
            Problem(
                int(r),
                None,
                cid,
                "this release's figure was imported before with other values; "
                "a changed figure needs a newer release (--release)",
            )
            for r, cid in zip(rows, new.loc[rows.index, "claim_id"], strict=False)
        ]
        raise DataValidationError(path, problems)
    return present


def _relink_after_inserted(
    existing: pd.DataFrame, both: pd.DataFrame, previous: pd.Series, kept_new: pd.DataFrame
) -> tuple[pd.DataFrame, int]:
    """Claims already there that now revise an inserted (older) one, relinked; and how many."""
    old = both[~both["_new"]]
    prev_old = previous.loc[old.index]
    relink = prev_old.notna() & _member_text(prev_old.fillna(""), kept_new["claim_id"])
    relinked = int(relink.sum())
    if relinked:
        existing = existing.copy()
        values = existing["revises"].to_numpy(dtype=object)
        values[old["_pos"][relink].to_numpy(dtype=np.int64)] = prev_old[relink].to_numpy(dtype=object)
        existing["revises"] = pd.array(values, dtype=existing["revises"].dtype)
    return existing, relinked


def _merge_claims(
    existing: pd.DataFrame, new: pd.DataFrame, claim_rows: pd.Series, path: Path
) -> tuple[pd.DataFrame, int, int, int]:
    """New figures become claims, each in its place in its chain by the day it was reported: an
    unchanged figure adds nothing, a changed one revises the claim before it, and a figure older
    than a chain's last (an older release imported after a newer one) goes in before the claims
    reported after it, which then revise it. Returns the table, the claims added, the revisions
    among them and the claims already there that now revise an inserted one."""
    columns = list(existing.columns)
    new = _aligned(new, columns)
    key = ["event_id", "metric", "population", "claimant"]
    compare = (*VALUE_COLUMNS["claims"], "qualifier")
    # A claim id already present must carry the same figure: one release cannot say two things.
    present = _refuse_changed_figures(new, existing, claim_rows, path, compare)
    new = select(new, pd.Series(~present, index=new.index))
    own = existing[_member_text(existing["claimant"], pd.Series(new["claimant"].unique(), dtype="string"))]
    if own.empty or new.empty:  # a first import: nothing to revise, every figure is new
        if len(new):
            existing = pd.concat([existing, new], ignore_index=True)
        return existing, len(new), 0, 0
    chain_key = _key(own, key)
    new_key = _key(new, key)
    chain = own[_member_text(chain_key, new_key)]
    both = pd.concat(
        [
            chain[["claim_id", "reported_on", "revises", *compare]].assign(
                _key=_key(chain, key), _new=False, _pos=chain.index.to_numpy()
            ),
            new[["claim_id", "reported_on", "revises", *compare]].assign(
                _key=new_key, _new=True, _pos=len(existing) + np.arange(len(new))
            ),
        ]
    ).sort_values(["_key", "reported_on", "_pos"], kind="stable")
    # A new figure equal to the one just before it in its chain says nothing new.
    before = both.groupby("_key", sort=False)[list(compare)].shift()
    same = pd.Series(True, index=both.index)
    for c in compare:
        same &= both[c].fillna("") == before[c].fillna("")
    has_before = both.groupby("_key", sort=False).cumcount() > 0
    both = both[~(both["_new"] & same & has_before)]
    previous = both.groupby("_key", sort=False)["claim_id"].shift()
    kept_new = both[both["_new"]]
    to_add = new.iloc[kept_new["_pos"].to_numpy() - len(existing)].copy()
    linked = previous.loc[kept_new.index].fillna("").to_numpy(dtype=object)
    to_add["revises"] = linked
    revisions = int((linked != "").sum())
    # A claim reported after an inserted one now revises it (only those links change).
    existing, relinked = _relink_after_inserted(existing, both, previous, kept_new)
    if len(to_add):
        existing = pd.concat([existing, to_add], ignore_index=True)
    return existing, len(to_add), revisions, relinked


def _key(frame: pd.DataFrame, columns: list[str]) -> pd.Series:
    """The columns' text joined into one key per row ('\x1f' cannot occur in a cell)."""
    parts: list[pd.Series | str] = []
    for c in columns:
        parts += [frame[c].fillna(""), "\x1f"]
    return joined(*parts[:-1])


def _member_text(values: pd.Series, allowed: pd.Series) -> pd.Series:
    """``values.isin(allowed)`` for text, by Arrow's hash kernel."""
    return pd.Series(_positions(values, allowed) >= 0, index=values.index)


def _not_older(existing: pd.DataFrame, mapped: Mapped) -> pd.DataFrame:
    """The mapped events whose figures are no older than the newest already recorded for them by
    the same claimant: an older release imported after a newer one does not replace the events'
    dates and descriptions (its figures go into their place in the chains, as older)."""
    events = mapped.events
    if existing.empty or events.empty:
        return events
    claims = mapped.claims
    own = existing[_member_text(existing["claimant"], pd.Series(claims["claimant"].unique(), dtype="string"))]
    if own.empty:
        return events
    newest_old = own.groupby("event_id")["reported_on"].max()
    newest_new = claims.groupby("event_id")["reported_on"].max()
    old = newest_old.reindex(events["event_id"]).to_numpy(dtype=object)
    new = newest_new.reindex(events["event_id"]).to_numpy(dtype=object)
    older = np.array([isinstance(o, str) and isinstance(n, str) and n < o for o, n in zip(old, new, strict=True)])
    return events[~older] if older.any() else events


def apply_import(
    path: Path,
    mapped: Mapped,
    *,
    rows_read: int,
    rows_selected: int,
    data_dir: Path | None = None,
    marked: dict[str, int] | None = None,
    withdraw: Callable[[pd.DataFrame, pd.DataFrame], pd.DataFrame] | None = None,
    ahead: PreCheck | None = None,
) -> ImportSummary:
    """Merge ``mapped`` into the tables, check every rule on the result, then replace the changed tables.

    ``marked`` counts the rows imported with a mark, by reason (the summary prints them); ``withdraw``,
    given the claims and events as they are, returns claims saying that events recorded before are no
    longer in this release; ``ahead`` is the import's ``PreCheck`` of the folder."""
    folder = Path(data_dir) if data_dir else default_data_dir()
    # An event's id names its report and folder, so the rules want it lower case: a dataset's own ids
    # (ACLED's XRU9001) are lowered here, once, for every importer.
    for frame in (mapped.events, mapped.claims):
        frame["event_id"] = frame["event_id"].str.lower()
    tables = {name: read_table(folder, name) for name in WRITE_ORDER}
    originals = dict(tables)
    added: dict[str, int] = {}
    updated: dict[str, int] = {}
    gone = withdraw(tables["claims"], tables["events"]) if withdraw else mapped.claims.iloc[:0]
    new_claims = pd.concat([mapped.claims, gone], ignore_index=True) if len(gone) else mapped.claims
    rows = (
        pd.concat([mapped.claim_rows, pd.Series([None] * len(gone))], ignore_index=True)
        if len(gone)
        else mapped.claim_rows
    )
    events = _not_older(tables["claims"], mapped)
    tables["claims"], added["claims"], revisions, relinked = _merge_claims(tables["claims"], new_claims, rows, path)
    updated["claims"] = relinked
    # A release's source (and its producer) gets a row only if a claim names it, so the same file
    # again adds none; a row once written stays as it is (its 'accessed' date too).
    used_sources = tables["claims"]["source_id"].unique()  # not set(): a Python object per claim
    used_claimants = tables["claims"]["claimant"].unique()
    tables["sources"], added["sources"], _ = _merge_keyed(
        tables["sources"], mapped.sources[mapped.sources["source_id"].isin(used_sources)], "source_id", update=False
    )
    tables["claimants"], added["claimants"], _ = _merge_keyed(
        tables["claimants"],
        mapped.claimants[mapped.claimants["claimant_id"].isin(used_claimants)],
        "claimant_id",
        update=False,
    )
    tables["events"], added["events"], updated["events"] = _merge_keyed(
        tables["events"], events, "event_id", update=True
    )
    changed = [t for t in WRITE_ORDER if added.get(t) or updated.get(t)]
    withdrawn = int(_member_text(tables["claims"]["claim_id"], gone["claim_id"]).sum()) if len(gone) else 0
    withdrawn = min(withdrawn, added["claims"])
    summary = ImportSummary(
        Path(path), rows_read, rows_selected, added, updated, revisions, marked=marked or {}, withdrawn=withdrawn
    )
    if changed:
        write_checked(folder, {t: tables[t] for t in changed}, Path(path), originals, ahead)
    return summary


def write_checked(
    folder: Path,
    tables: dict[str, pd.DataFrame],
    source: Path,
    originals: dict[str, pd.DataFrame],
    ahead: PreCheck | None = None,
) -> None:
    """Check the changed tables with every rule of the loader, write them to scratch files, then
    rename them into place in ``WRITE_ORDER``. A rule broken leaves ``folder`` untouched.

    When a verdict vouched for the folder before (``verdicts``), the check here makes the whole new
    content pass every rule too: the verdict is carried over to the tables as written. ``ahead`` is
    the import's ``PreCheck`` of the folder, started as it began; without one the folder is looked at now."""
    before = ahead.vouched() if ahead is not None else _vouched(folder)
    try:
        check_tables(folder, tables, originals)
    except DataValidationError as err:
        raise ImportRefused(
            f"{source}: importing it would break the rules of {err.path}, so nothing was written:\n" + str(err)
        ) from None

    digests: dict[str, str] = {}  # each table's hash, made as it is written, when a verdict is carried over

    def writer(name: str):
        spec = TABLES[name]

        def write(target: Path) -> None:
            digest = _write_preserving(
                folder / spec.filename, target, tables[name], spec.fields[0].name, originals[name], hashed=hashed
            )
            if digest is not None:
                digests[spec.filename] = digest

        return write

    hashed = before is not None
    # All together or not at all, even under kill -9: a scratch folder, a journal, renames (transaction.py).
    order = [t for t in WRITE_ORDER if t in tables]
    replace_tables(folder, {TABLES[t].filename: writer(t) for t in order}, [TABLES[t].filename for t in order])
    if before is not None:  # the rows already there passed every rule, the new ones were checked by them all
        record_verdict(folder, {**before, **digests})


# A folder no verdict vouches for is checked whole before an import only up to this size of its tables:
# a small one (the repository's own data, before a first import) in a fraction of a second; a large
# one would cost the import the loader's whole check, so its next `workbook validate` leaves a verdict.
PRECHECK_BYTES = 32 << 20


def _vouched(folder: Path) -> dict[str, str] | None:
    """The content hashes of the folder's tables (file name → sha256) when a verdict says they passed
    every rule, checking a small folder whole first when none does; else None."""
    files = passed_verdict(folder)
    if files is not None or _tables_bytes(folder) > PRECHECK_BYTES:
        return files
    check_ahead(folder)  # records a verdict when every table passes; a table with problems leaves none
    return passed_verdict(folder)


def _tables_bytes(folder: Path) -> int:
    """The size of the folder's tables' CSV files together."""
    return sum(
        (folder / spec.filename).stat().st_size for spec in TABLES.values() if (folder / spec.filename).is_file()
    )


class PreCheck:
    """``_vouched`` of a data folder, found while an import reads and maps its file rather than after.

    A small folder no verdict vouches for is checked whole (``check_ahead``, which records a verdict
    when every table passes and none otherwise) in a child process forked as the import starts: the
    loader's check is pandas and pandera code that holds the interpreter, so on a thread it would only
    take turns with the import's own. The child reads the folder and writes nothing in it; ``vouched``
    and ``close`` wait for it, so it never outlives the import and is never stopped halfway through
    writing a verdict. A child that does not finish cleanly changes nothing: the check is then run here,
    as without one. A large folder is only hashed against its verdict when the import writes, as
    before: an import that changes nothing (the same release again) never reads its tables twice.
    """

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._small = _tables_bytes(folder) <= PRECHECK_BYTES
        # A small folder's files are hashed in a few milliseconds: now, to know whether a check is needed.
        self._files = passed_verdict(folder) if self._small else None
        self._child: multiprocessing.process.BaseProcess | None = None
        if self._small and self._files is None:
            # Forked before the import's file is read: nothing else of the import runs yet, and the
            # child shares the modules already loaded instead of importing them again.
            self._child = multiprocessing.get_context("fork").Process(
                target=_check_ahead_in_child, args=(folder, os.getpid()), name="import-pre-check"
            )
            self._child.start()

    def vouched(self) -> dict[str, str] | None:
        """The folder's content hashes when a verdict vouches for it as it was when the import began, else None."""
        child, self._child = self._child, None
        if not self._small:
            return passed_verdict(self.folder)
        if child is None:
            return self._files
        if child.is_alive():  # the import waits for it now: it no longer yields (where the system lets it back)
            with contextlib.suppress(OSError):
                os.setpriority(os.PRIO_PROCESS, child.pid, os.getpriority(os.PRIO_PROCESS, 0))
        child.join()
        if child.exitcode != 0:
            check_ahead(self.folder)  # the same check, here: what it raises, the import raises, as before
        return passed_verdict(self.folder)

    def close(self) -> None:
        """Wait for the child, when it is still running (the import ended before it needed the answer)."""
        child, self._child = self._child, None
        if child is not None:
            child.join()


@contextlib.contextmanager
def pre_checked(data_dir: str | Path | None) -> Iterator[PreCheck]:
    """A ``PreCheck`` of ``data_dir`` (default: data/) for the length of an import, however it ends."""
    ahead = PreCheck(Path(data_dir) if data_dir else default_data_dir())
    try:
        yield ahead
    finally:
        ahead.close()


# Linux's prctl option: a signal the kernel sends a process when the one that started it ends.
PR_SET_PDEATHSIG = 1
# How much lower than the import's the pre-check's priority is (see _check_ahead_in_child).
CHILD_NICENESS = 10


def _check_ahead_in_child(folder: Path, parent: int) -> None:
    """``check_ahead`` in ``PreCheck``'s child. It ends with the import: killed with it (kill -9 too, so
    it holds no copy of the data folder's lock past it), Ctrl-C left to the import, which waits for it.
    It says nothing itself: anything it would raise, the import raises when it runs the check again."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # Yields a core to the import's own threads (Arrow reads the release on both): the check's answer is
    # needed only at the write, and until then the import leaves a core idle more than half the time.
    os.nice(CHILD_NICENESS)
    with contextlib.suppress(OSError, AttributeError):  # not Linux: the import's wait is the guarantee
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:  # the import ended before the request was made
        os._exit(1)
    try:
        check_ahead(folder)
    except BaseException:  # noqa: BLE001 - only the exit status reports, see the docstring
        os._exit(1)


def check_tables(folder: Path, changed: dict[str, pd.DataFrame], originals: dict[str, pd.DataFrame]) -> None:
    """Every rule of ``load_all`` on the tables as they would be: ``changed`` (text cells, in
    memory, the file's rows first in their order, then the new ones) and the others as ``folder``
    holds them. Raises the loader's ``DataValidationError``.

    Only the rows the import adds or changes are checked cell by cell and by the rules within a
    row; the rules across rows (unique ids, references, revisions) see the whole table. The rows
    already in a file are left as the loader last accepted them: a repeat or a newer release does
    not re-check a whole dataset's rows, and a first import checks each of its rows once.
    """
    typed: dict[str, pd.DataFrame] = {}
    for name in _dependency_order(changed):
        spec = TABLES[name]
        dependencies = {dep: typed[dep] if dep in typed else load_table(dep, folder) for dep in spec.dependencies}
        text = _stripped(changed[name])  # every column of the file: one the schema lacks is refused, as on load
        fresh = _fresh_rows(text, _stripped(originals[name].reindex(columns=text.columns)))
        new, kept = _split(text, fresh)
        path = folder / spec.filename
        problems = check_cells(path, spec, new) + _unique_across(spec, new, kept)
        new_typed = to_typed(spec, new)
        table = pd.concat([to_typed(spec, kept), new_typed])  # the index keeps each row's number; no need to sort
        bad_rows = {p.row - 2 for p in problems if p.row is not None and p.row >= 2}
        checked = _with_revised(name, new_typed.drop(index=list(bad_rows)) if bad_rows else new_typed, table)
        found = check_table(name, checked, {**dependencies, name: table}, complete=not bad_rows)
        # Rows of the file that were only looked up (the claims a new claim revises) answer for themselves.
        problems += [p for p in found if p.row is None or (p.row - 2) in new.index]
        if problems:
            raise DataValidationError(path, sorted(problems, key=lambda p: p.row or 0))
        typed[name] = table


def _split(text: pd.DataFrame, fresh: pd.Series) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The fresh rows and the others. An import that only appends (the usual case) splits by
    position: slices, not a copy of a whole dataset's text through a boolean mask."""
    flags = fresh.to_numpy(dtype=bool)
    first = int(np.argmax(flags)) if flags.any() else len(flags)
    if flags[first:].all():
        return text.iloc[first:], text.iloc[:first]
    return select(text, fresh), text[~fresh]


def _dependency_order(changed: dict[str, pd.DataFrame]) -> list[str]:
    """The changed tables, each after the changed tables it refers to (a source names its producer)."""
    order: list[str] = []

    def visit(name: str) -> None:
        if name in order:
            return
        for dep in TABLES[name].dependencies:
            if dep in changed:
                visit(dep)
        order.append(name)

    for name in TABLES:
        if name in changed:
            visit(name)
    return order


def _stripped(frame: pd.DataFrame) -> pd.DataFrame:
    """Cells as the loader reads them back: stripped, an empty cell missing (in Arrow's kernels)."""
    import pyarrow as pa

    columns = {}
    for column in frame.columns:
        cells = pa.array(frame[column], from_pandas=True)  # Arrow's own text (no copy) where pandas holds it
        if not pa.types.is_large_string(cells.type):
            cells = cells.cast(pa.large_string())
        columns[column] = cells
    columns = _trimmed_columns(columns)
    text = pd.StringDtype("pyarrow")
    out = pa.table(columns).to_pandas(types_mapper={pa.large_string(): text, pa.string(): text}.get)
    out.index = frame.index
    return out


def _trimmed_columns(columns: dict) -> dict:
    """``arrow_text.stripped_column`` of each column, two at a time: Arrow's kernels let the interpreter go, so a
    release's columns are stripped on both cores (every column is held either way)."""
    with ThreadPoolExecutor(max_workers=2, thread_name_prefix="strip") as pool:
        return dict(zip(columns, pool.map(stripped_column, columns.values()), strict=True))


def _fresh_rows(text: pd.DataFrame, original: pd.DataFrame) -> pd.Series:
    """Which rows the import adds or changes: the merge keeps the file's rows first, in their
    order, so a row is fresh when it is past the file's rows or differs from the row it was."""
    fresh = pd.Series(True, index=text.index)
    n = min(len(original), len(text))
    if n:
        same = pd.Series(True, index=pd.RangeIndex(n))
        for column in text.columns:
            now = text[column].iloc[:n].reset_index(drop=True)
            was = original[column].iloc[:n].reset_index(drop=True)
            same &= (now == was).fillna(False).astype(bool) | (now.isna() & was.isna())
        fresh.iloc[:n] = ~same.to_numpy(dtype=bool)
    return fresh


def _unique_across(spec: TableSpec, new: pd.DataFrame, kept: pd.DataFrame) -> list[Problem]:
    """A unique column's new value must not repeat one of the rows kept (the cell check sees the new rows only)."""
    problems = []
    for f in spec.fields:
        if f.unique and len(kept):
            clash = is_member(new[f.name], kept[f.name])
            problems += row_problems(new, clash, f.name, PANDERA_RULE_MESSAGES["field_uniqueness"])
    return problems


def _with_revised(name: str, new: pd.DataFrame, table: pd.DataFrame) -> pd.DataFrame:
    """New claims together with the claims they revise, so the revision rules see both ends."""
    if name != "claims" or new["revises"].isna().all():
        return new
    targets = table[is_member(table["claim_id"], new["revises"]) & ~table.index.isin(new.index)]
    return pd.concat([new, targets])


def _records(text: str) -> list[str]:
    """A CSV text cut into its records as written (a quoted cell may hold a line break)."""
    out: list[str] = []
    start = 0
    quotes = 0
    position = 0
    for line in text.splitlines(keepends=True):
        quotes += line.count('"')
        position += len(line)
        if quotes % 2 == 0:
            out.append(text[start:position])
            start = position
    if start < len(text):
        out.append(text[start:])
    return out


def _write_preserving(
    original: Path, target: Path, frame: pd.DataFrame, key: str, parsed: pd.DataFrame, *, hashed: bool = False
) -> str | None:
    """Write ``frame`` to ``target`` keeping every unchanged row of ``original`` byte for byte
    (its quoting, its line endings), so an import's change to a file is only the rows it adds or updates.

    The merge keeps the file's rows first, in their order, and appends the new ones after them;
    ``parsed`` is the file as ``read_table`` read it before the merge. With ``hashed``, returns the
    SHA-256 of the bytes written (``_HashedWrites``), else None.
    """
    text = original.read_bytes().decode("utf-8")
    records = _records(text)
    newline = "\r\n" if records and records[0].endswith("\r\n") else "\n"
    ended = lambda r: r if r.endswith(("\n", "\r")) else r + newline  # noqa: E731
    body = pd.Series([ended(r) for r in records[1:] if r.strip()], index=parsed[key])  # blank lines: skipped by both
    known = frame[key].isin(parsed[key]).to_numpy()
    first = int(np.argmin(known)) if not known.all() else len(known)
    if not known[first:].any():  # the usual case: the file's rows, then the new ones: slices, not copies
        kept, fresh = frame.iloc[:first], frame.iloc[first:]
    else:
        kept, fresh = frame[known], frame[~known]
    was = parsed.set_index(key).loc[kept[key]]
    same = (was.to_numpy(dtype=object) == kept.drop(columns=key).to_numpy(dtype=object)).all(axis=1)
    lines = body.loc[kept[key]].to_numpy(dtype=object)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator=newline)
    for i in range(len(kept)):
        if not same[i]:  # an updated row (a dataset's event in a newer release): few, so one at a time
            out.seek(0)
            out.truncate()
            writer.writerow(kept.iloc[i].tolist())
            lines[i] = out.getvalue()
    with open(target, "wb") as raw, _HashedWrites(raw, hashed) as handle:
        handle.write(ended(records[0]).encode("utf-8"))
        handle.write("".join(lines).encode("utf-8"))
        _append_rows(fresh, handle, newline)
    return handle.hexdigest()


class _HashedWrites:
    """A binary file's writes, passed on, and with ``hashed`` also hashed (SHA-256) as they are made, on
    a thread of their own: the verdict an import carries over needs each table's hash, and reading the
    file back after the write put a second pass over a dataset's claims on the import's critical path.
    Hashing lets the interpreter go, so the hash is made on the second core while Arrow formats the rows."""

    closed = False  # what Arrow asks of a Python file it writes to

    # Chunks written and not yet hashed, at most (Arrow's are about 1,000 rows each): on a busy machine the
    # hashing thread may fall behind the writer, and each chunk waiting is a copy held in memory.
    BACKLOG = 8

    def __init__(self, handle, hashed: bool) -> None:
        self._handle = handle
        self._digest = hashlib.sha256() if hashed else None
        # One worker: the chunks are hashed in the order they were written.
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="hash") if hashed else None
        self._room = threading.Semaphore(self.BACKLOG)

    def __enter__(self) -> _HashedWrites:
        return self

    def __exit__(self, *exc) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True)  # no thread outlives the write, whatever happened

    def write(self, data) -> int:
        if self._pool is None:
            return self._handle.write(data)
        chunk = bytes(data)  # a copy: Arrow's CSV writer fills the same buffer again once this returns
        self._room.acquire()  # waits while BACKLOG chunks wait to be hashed
        self._pool.submit(self._hash, chunk)
        return self._handle.write(chunk)

    def _hash(self, chunk: bytes) -> None:
        try:
            self._digest.update(chunk)
        finally:
            self._room.release()

    def flush(self) -> None:
        self._handle.flush()

    def hexdigest(self) -> str | None:
        """The hash of every byte written (the writes done: after the ``with`` block), or None unhashed."""
        return self._digest.hexdigest() if self._digest is not None else None


def _append_rows(frame: pd.DataFrame, handle, newline: str) -> None:
    """Rows as CSV, fast (Arrow's writer: hundreds of thousands of rows a second); an empty cell stays empty."""
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.csv as pacsv

    if frame.empty:
        return
    columns = {}
    for name in frame.columns:
        if isinstance(frame[name].dtype, pd.StringDtype):  # Arrow's own text where pandas holds it: no copy
            cells = pa.array(frame[name], from_pandas=True)
            if not (pa.types.is_string(cells.type) or pa.types.is_large_string(cells.type)):
                cells = cells.cast(pa.large_string())
        else:
            cells = pa.array(frame[name], type=pa.string(), from_pandas=True)
        empty = pc.equal(cells, "")
        if pc.any(empty).as_py():  # only then a copy of the column's text
            cells = pc.if_else(empty, pa.scalar(None, cells.type), cells)
        columns[name] = cells
    pacsv.write_csv(pa.table(columns), handle, pacsv.WriteOptions(include_header=False, eol=newline))


def today() -> str:
    return dt.date.today().isoformat()


def events_frame(
    *,
    event_id: pd.Series,
    name: pd.Series,
    date_start: pd.Series,
    date_end: pd.Series,
    date_precision: pd.Series,
    region: pd.Series,
    country: pd.Series,
    latitude: pd.Series,
    longitude: pd.Series,
    description: pd.Series,
    event_type: pd.Series,
    place_name: pd.Series,
    admin2: pd.Series,
    country_code: pd.Series | str,
    side_a: pd.Series,
    side_b: pd.Series,
) -> pd.DataFrame:
    """The events table's rows of a dataset's events (text cells), one per row, in the columns every
    dataset import fills: written once, so the datasets' events have the same columns in the same order.

    No dataset gives an event's time of day or a row of places.csv: ``time_utc`` and ``place_id``
    are left empty.
    """
    return pd.DataFrame(
        {
            "event_id": event_id,
            "name": name,
            "date_start": date_start,
            "date_end": date_end,
            "date_precision": date_precision,
            "time_utc": "",
            "place_id": "",
            "region": region,
            "country": country,
            "latitude": latitude,
            "longitude": longitude,
            "description": description,
            "event_type": event_type,
            "place_name": place_name,
            "admin2": admin2,
            "country_code": country_code,
            "side_a": side_a,
            "side_b": side_b,
        }
    )
