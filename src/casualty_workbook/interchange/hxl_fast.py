"""The HXL export's rows built in Arrow alone, from a data folder a verdict says passed every rule.

When ``verdicts.passed_verdict`` vouches for a folder's exact content, checking a dataset's claims
again would only repeat what the rules already said. So only the columns the export writes are read
(pyarrow's CSV reader, every cell as text, as the loader reads a clean file), stripped as the loader
strips them, and joined here, without pandas: a million claims in a second or two, where loading and
checking them takes several.

The table built is what ``hxl.hxl_frame`` builds from the loaded tables, column for column, as the
writer needs it: text, whole numbers as int64, coordinates as float64. Valid cells make this exact:
a date is written YYYY-MM-DD (its rule), so its text is what the loader's date writes back; a count
is digits, a coordinate a decimal number, each parsed as the loader parses them. A file Arrow
cannot read as the loader's fast path would (a header it reads otherwise, a column missing) gives
None, and the export loads and checks the folder as usual.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from casualty_workbook.data.arrow_text import stripped_column, text_csv_options, written_header

# The columns of each table the export reads (and nothing else: the claims' derivation, an event's
# description, stay on disk).
READ = {
    "claims": (
        "claim_id",
        "event_id",
        "metric",
        "population",
        "value_low",
        "value_best",
        "value_high",
        "qualifier",
        "unit",
        "claimant",
        "source_id",
        "reported_on",
        "status",
        "quote",
        "quote_kind",
        "revises",
        "note",
    ),
    "events": (
        "event_id",
        "name",
        "event_type",
        "date_start",
        "date_end",
        "country",
        "country_code",
        "region",
        "admin2",
        "place_id",
        "place_name",
        "latitude",
        "longitude",
        "side_a",
        "side_b",
    ),
    "places": ("place_id", "name"),
    "claimants": ("claimant_id", "name", "side"),
    "sources": ("source_id", "publisher", "url"),
}
COUNTS = ("value_low", "value_best", "value_high")
COORDINATES = ("latitude", "longitude")


def _written_header(path: Path) -> list[str] | None:
    """The header row as the loader reads it (``arrow_text.written_header``)."""
    with open(path, "rb") as handle:
        return written_header(handle.read(65536))


def read_columns(
    path: Path, columns: tuple[str, ...], derived: dict[str, Callable[[pa.Array], pa.Array]] | None = None
) -> dict[str, pa.ChunkedArray] | None:
    """``columns`` of a table's CSV, each stripped, by name; None when the file does not read as the
    loader's fast path reads it (the export then loads and checks it, and names any problem).

    Read block by block: a column of ``derived`` is replaced, block by block, by what its function makes
    of it once stripped (the claims' notes by their outlets), so a long column is never held whole.
    """
    derived = derived or {}
    header = _written_header(path)
    if header is None:
        return None
    written = {name.strip(): name for name in header}
    if len(written) != len(header) or any(column not in written for column in columns):
        return None
    raw = [written[column] for column in columns]
    chunks: dict[str, list[pa.Array]] = {column: [] for column in columns}
    try:
        reader = pacsv.open_csv(path, **text_csv_options(raw, include=raw))
        for batch in reader:
            for column, name in zip(columns, raw, strict=True):
                cells = batch.column(name)
                chunks[column].append(derived[column](stripped_column(cells)) if column in derived else cells)
    except (OSError, pa.ArrowException):
        return None
    return {
        column: _trimmed_chunks(cells) if column not in derived else pa.chunked_array(cells, type=pa.large_string())
        for column, cells in chunks.items()
    }


def _trimmed_chunks(chunks: list[pa.Array]) -> pa.ChunkedArray:
    """A column read block by block, joined into one array (the kernels after it then run once, not once
    per block), then stripped."""
    joined = pa.concat_arrays(chunks) if chunks else pa.array([], pa.string())
    chunks.clear()  # the blocks' copy is let go as soon as it is joined
    return stripped_column(pa.chunked_array([joined]))


def _rows_of(keys: pa.ChunkedArray, ids: pa.ChunkedArray) -> pa.Array:
    """For each key, the row of ``ids`` (a table's unique ids) holding it, missing where none does."""
    return pc.index_in(keys, value_set=ids.combine_chunks())


def _take(column: pa.ChunkedArray, rows: pa.Array) -> pa.ChunkedArray:
    return pc.take(column, rows)


def _codes(column: pa.ChunkedArray) -> tuple[np.ndarray, pa.Array]:
    """Each cell's code among the column's distinct values (a missing cell one code of its own), and those values."""
    encoded = pc.dictionary_encode(column.combine_chunks(), null_encoding="encode")
    return encoded.indices.to_numpy(zero_copy_only=False).astype(np.int64), encoded.dictionary


def current_flags(claims: dict[str, pa.ChunkedArray]) -> np.ndarray:
    """``hxl.current_claims`` in NumPy: per event, claimant, metric and population, the claim no other
    claim revises, the latest reported of them (the last in the file among the latest, as the stable
    sort there keeps it)."""
    count = len(claims["claim_id"])
    revised = pc.unique(pc.drop_null(claims["revises"]).combine_chunks())
    heads = np.flatnonzero(~pc.is_in(claims["claim_id"], value_set=revised).to_numpy(zero_copy_only=False))
    key = np.zeros(count, dtype=np.int64)
    for column in ("event_id", "claimant", "metric", "population"):
        codes, values = _codes(claims[column])
        key = key * len(values) + codes  # a few hundred thousand events times a few claimants, metrics, populations
    days, dates = _codes(claims["reported_on"])
    # Dates written YYYY-MM-DD sort as text: rank the distinct ones, then the cells by their rank.
    distinct = dates.to_numpy(zero_copy_only=False).astype(str)
    rank = np.empty(len(distinct), dtype=np.int64)
    rank[np.argsort(distinct, kind="stable")] = np.arange(len(distinct))
    when = rank[days]
    order = heads[np.lexsort((heads, when[heads], key[heads]))]
    last = np.ones(len(order), dtype=bool)
    last[:-1] = key[order[1:]] != key[order[:-1]]
    current = np.zeros(count, dtype=bool)
    current[order[last]] = True
    return current


def outlets(notes: pa.Array | pa.ChunkedArray) -> pa.Array | pa.ChunkedArray:
    """The outlets a dataset's coders relied on, as its import recorded them in the claim's note."""
    # Each distinct note once: a dataset's events share their outlets' wording.
    encoded = pc.dictionary_encode(notes.combine_chunks() if isinstance(notes, pa.ChunkedArray) else notes)
    text = encoded.dictionary
    found = pc.struct_field(pc.extract_regex(text, r"Outlets: (?P<o>.*?)(?:\. Articles: |\.$)"), [0])
    found = pc.if_else(pc.starts_with(found, "("), pa.scalar(None, found.type), found)  # "(… not given)"
    return pc.take(found.cast(pa.large_string()), encoded.indices)


def _places(events: dict[str, pa.ChunkedArray], places: dict[str, pa.ChunkedArray]) -> pa.ChunkedArray:
    """Each event's place: the places table's name where the event names one, else the dataset's own place name."""
    known = _take(places["name"], _rows_of(events["place_id"], places["place_id"]))
    return pc.coalesce(known, events["place_name"])


def _figures(claims: dict[str, pa.ChunkedArray]) -> dict[str, pa.Array]:
    """The counts as whole numbers, whether each claim is current, and the killed and injured columns:
    a current figure for the whole population, its best value, empty on every other row."""
    counts = {column: pc.cast(claims[column], pa.int64()) for column in COUNTS}
    current = current_flags(claims)
    whole = current & pc.fill_null(pc.equal(claims["population"], "all"), False).to_numpy(zero_copy_only=False)
    figures: dict[str, pa.Array] = dict(counts)
    figures["current"] = pa.array(np.where(current, "true", "false").astype(object), type=pa.string())
    for metric in ("killed", "injured"):
        chosen = whole & pc.equal(claims["metric"], metric).to_numpy(zero_copy_only=False)
        figures[metric] = pc.if_else(pa.array(chosen), counts["value_best"], pa.scalar(None, pa.int64()))
    return figures


def hxl_table(data_dir: Path, columns: tuple[str, ...]) -> pa.Table | None:
    """The export's ``columns`` (``hxl.COLUMNS``' names, in order) for the claims of ``data_dir``,
    read without checking them: only for a folder a verdict vouches for. None when a table does not
    read as the loader's fast path would read it."""
    # The notes are read block by block into their outlets: the export writes nothing else of them.
    derived = {"claims": {"note": outlets}}
    # The tables are parsed side by side (Arrow's parser lets go of the interpreter while it works).
    with ThreadPoolExecutor(max_workers=2) as pool:
        reads = {
            name: pool.submit(read_columns, data_dir / f"{name}.csv", wanted, derived.get(name))
            for name, wanted in READ.items()
        }
        tables = {name: read.result() for name, read in reads.items()}
    if any(table is None for table in tables.values()):
        return None
    claims, events = tables["claims"], tables["events"]
    on_event = _rows_of(claims["event_id"], events["event_id"])
    event = {column: _take(cells, on_event) for column, cells in events.items()}
    event["place"] = _take(_places(events, tables["places"]), on_event)
    for column in COORDINATES:
        event[column] = pc.cast(event[column], pa.float64())
    who = _rows_of(claims["claimant"], tables["claimants"]["claimant_id"])
    source = _rows_of(claims["source_id"], tables["sources"]["source_id"])
    built = {
        **claims,
        **{column: event[column] for column in READ["events"][2:] if column not in ("place_id", "place_name")},
        "event_name": event["name"],
        "place": event["place"],
        **_figures(claims),
        "claimant_name": _take(tables["claimants"]["name"], who),
        "claimant_side": _take(tables["claimants"]["side"], who),
        "publisher": _take(tables["sources"]["publisher"], source),
        "url": _take(tables["sources"]["url"], source),
        "outlets": claims["note"],  # the notes' outlets, made as they were read
    }
    return pa.table({column: built[column] for column in columns})
