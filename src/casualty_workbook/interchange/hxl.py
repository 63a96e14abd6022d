"""The claims as an HXL-tagged CSV, for the Humanitarian Data Exchange and the tools that read HXL.

HXL (the Humanitarian Exchange Language) puts a row of hashtags under a CSV's header: each
column's hashtag says what it holds, attributes (``+killed``) refine it.

**What HDX can add up.** One row per claim, but only one column is tagged ``#affected+killed``
(and one ``#affected+injured``): it holds, for each event, claimant and metric, the *current*
figure for the *whole population* (the claim no later claim revises, its best value), and is
empty on every other row. A superseded revision, and a figure for a part of the population
(UCDP's civilian deaths), keep their values under ``#indicator+value`` only, with
``#meta+current`` and ``#meta+population`` saying which they are. So summing ``#affected+killed``
counts each event once per claimant, as HDX's own UCDP tables do (``best`` tagged
``#affected+killed``, one row per event); summing over claimants would count an event's dead once
per party that stated a figure.

**Which tags are standard.** The hashtags are all core hashtags of the HXL dictionary (``#meta``,
``#event``, ``#date``, ``#country``, ``#adm1``, ``#adm2``, ``#loc``, ``#geo``, ``#org``, ``#group``,
``#indicator``, ``#affected``, ``#description``), and these attributes are core: ``+id``,
``+name``, ``+code``, ``+type``, ``+start``, ``+end``, ``+reported``, ``+lat``, ``+lon``, ``+num``,
``+killed``, ``+injured``, ``+source``, ``+url``. The others are the workbook's own (HXL allows
any attribute; tools that do not know one ignore it):

- ``+value``, ``+min``, ``+max`` on ``#indicator``: a figure's best, low and high values (the
  attributes HDX datasets use for ranges);
- ``+first``, ``+second`` on ``#group+name``: the two sides, as HDX tags UCDP's ``side_a`` and
  ``side_b``;
- ``+current``, ``+population``, ``+qualifier``, ``+status``, ``+revises``, ``+outlets`` on
  ``#meta``: the workbook's own fields, so a claim's wording, verification status and the outlets
  a dataset's coders relied on travel with it.

The event's type, second-level area, country code, sides and place name of an imported event are
those its dataset gave (the events table's ``event_type``, ``admin2``, ``country_code``,
``side_a``, ``side_b`` and ``place_name``); a hand-made event's place is its row of ``places.csv``. Columns the standard has no tag for (the claimant's side, the unit,
the quote's kind) keep only their header: HXL allows an untagged column, and HXL tools skip it.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

from casualty_workbook.core.files import atomic_write
from casualty_workbook.core.paths import default_data_dir
from casualty_workbook.core.spreadsheet import FORMULA_PREFIXES
from casualty_workbook.data.read_log import READ_LOG
from casualty_workbook.data.verdicts import content_matches, recorded_verdict

if TYPE_CHECKING:
    import pandas as pd
    import pyarrow as pa

# (column of the export, its header for people, its HXL hashtag with attributes, or '' for none)
COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("claim_id", "Claim", "#meta+id"),
    ("event_id", "Event id", "#event+id"),
    ("event_name", "Event", "#event+name"),
    ("event_type", "Event type", "#event+type"),
    ("date_start", "Event start", "#date+start"),
    ("date_end", "Event end", "#date+end"),
    ("reported_on", "Reported on", "#date+reported"),
    ("country", "Country", "#country+name"),
    ("country_code", "Country code", "#country+code"),
    ("region", "Region", "#adm1+name"),
    ("admin2", "Second-level area", "#adm2+name"),
    ("place", "Place", "#loc+name"),
    ("latitude", "Latitude", "#geo+lat"),
    ("longitude", "Longitude", "#geo+lon"),
    ("side_a", "Side A", "#group+name+first"),
    ("side_b", "Side B", "#group+name+second"),
    ("metric", "Metric", "#indicator+code"),
    ("population", "Population", "#meta+population"),
    ("unit", "Unit", ""),
    # Best before low and high: an HXL tag pattern matches every column with at least its attributes,
    # so a tool asking for #indicator+value+num takes the first such column.
    ("value_best", "Best", "#indicator+value+num"),
    ("value_low", "Low", "#indicator+value+num+min"),
    ("value_high", "High", "#indicator+value+num+max"),
    ("current", "Current figure", "#meta+current"),
    ("killed", "Killed (current, all)", "#affected+killed"),
    ("injured", "Injured (current, all)", "#affected+injured"),
    ("qualifier", "Wording", "#meta+qualifier"),
    ("claimant_name", "Said by", "#org+name+source"),
    ("claimant_side", "Side", ""),
    ("publisher", "Published by", "#meta+source"),
    ("url", "Source address", "#meta+url"),
    ("outlets", "Outlets relied on", "#meta+source+outlets"),
    ("status", "Verification status", "#meta+status"),
    ("quote", "Quote", "#description"),
    ("quote_kind", "Quote kind", ""),
    ("revises", "Revises claim", "#meta+revises"),
)


def current_claims(claims: pd.DataFrame) -> pd.Series:
    """Whether each claim is its chain's current figure: per event, claimant, metric and
    population, the claim no other claim revises (the latest reported of them, if several)."""
    import pandas as pd

    revised = pd.Series(claims["revises"].dropna().unique())
    key = ["event_id", "claimant", "metric", "population"]
    # Only the columns the choice needs: sorting a whole dataset's claims would move all their text.
    heads = claims.loc[~claims["claim_id"].isin(revised), [*key, "reported_on"]]
    order = heads.assign(_at=range(len(heads))).sort_values(["reported_on", "_at"], kind="stable")
    latest = order.drop_duplicates(key, keep="last").index
    return pd.Series(claims.index.isin(latest), index=claims.index)


def hxl_frame(data_dir: str | Path | None = None) -> pd.DataFrame:
    """One row per claim with its event, place, claimant, source, status and values, in ``COLUMNS`` order,
    from the tables as the loader checks them (every rule of the claims and the tables they refer to)."""
    import pandas as pd
    import pyarrow as pa

    # The loader brings pandas and pandera: loaded only when the tables must be checked.
    from casualty_workbook.data.loading import load_claims, load_table
    from casualty_workbook.interchange.hxl_fast import outlets

    claims = load_claims(data_dir)
    events = load_table("events", data_dir)
    places = load_table("places", data_dir)[["place_id", "name"]].rename(columns={"name": "known_place"})
    place = ["event_id", "date_start", "date_end", "country", "region", "place_id", "latitude", "longitude"]
    coded = ["event_type", "place_name", "admin2", "country_code", "side_a", "side_b"]  # as a dataset gave them
    where = events[[*place, *coded]].merge(places, on="place_id", how="left")
    # The place: the places table's name where the event names one, else the dataset's own place name.
    where["place"] = where.pop("known_place").astype("string").fillna(where.pop("place_name").astype("string"))
    frame = claims.merge(where, on="event_id", how="left")
    current = current_claims(frame)
    frame["current"] = current.map({True: "true", False: "false"})
    whole = (frame["population"].astype("string") == "all").fillna(False) & current
    for metric in ("killed", "injured"):
        frame[metric] = frame["value_best"].where((frame["metric"] == metric) & whole)
    found = outlets(pa.array(frame["note"].astype("string"), from_pandas=True))
    frame["outlets"] = pd.Series(pd.arrays.ArrowStringArray(found), index=frame.index)
    for column in ("date_start", "date_end", "reported_on"):
        frame[column] = frame[column].dt.strftime("%Y-%m-%d")
    out = frame[[c for c, _, _ in COLUMNS]]
    for column in out.columns:
        if isinstance(out[column].dtype, pd.CategoricalDtype):
            out[column] = _category_text(out[column])
    return out


def _category_text(values: pd.Series) -> pd.Series:
    """``values.astype("string")`` of a categorical column, by its codes: each category's text
    made once, then taken for every row (a missing cell stays missing)."""
    import pandas as pd

    categories = pd.array(values.cat.categories.astype("string"))
    return pd.Series(categories.take(values.cat.codes.to_numpy(), allow_fill=True), index=values.index)


# Rows written at a time: their text is what the export holds beside the claims themselves.
CHUNK_ROWS = 50_000
_FORMULA = "^[" + "".join("\\" + p if p in "-^]\\" else p for p in FORMULA_PREFIXES) + "]"


def _float_text(numbers):
    """Floats (a NumPy array, NaN where missing) as text, as pandas writes them (``repr``: '50.0',
    '1e-05'), in Arrow's kernels.

    Arrow's shortest round-trip digits are ``repr``'s wherever neither writes an exponent
    (1e-4 <= |v| < 1e15, and zero); there a whole number only lacks its '.0'. The few other
    values (none among coordinates but the tiniest) are written by ``repr`` itself.
    """
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    missing = np.isnan(numbers)
    size = np.abs(numbers)
    plain = ~missing & (((size >= 1e-4) & (size < 1e15)) | (numbers == 0))
    cells = pc.cast(pa.array(numbers, mask=~plain), pa.string())
    whole = pc.invert(pc.match_substring(cells, "."))
    cells = pc.if_else(whole, pc.binary_join_element_wise(cells, ".0", ""), cells)
    odd = np.flatnonzero(~plain & ~missing)
    if len(odd):  # outside repr's plain range: repr itself, one value at a time
        text = cells.to_numpy(zero_copy_only=False).astype(object)
        text[odd] = [repr(float(v)) for v in numbers[odd]]
        cells = pa.array(text, type=pa.string())
    return cells


def _from_pandas(frame: pd.DataFrame) -> pa.Table:
    """Rows of ``hxl_frame`` as the Arrow table ``hxl_fast.hxl_table`` builds: text, whole numbers,
    coordinates as float64 (missing where pandas has them missing)."""
    import numpy as np
    import pandas as pd
    import pyarrow as pa

    columns = {}
    for name in frame.columns:
        values = frame[name]
        if pd.api.types.is_float_dtype(values.dtype):
            columns[name] = pa.array(values.to_numpy(dtype="float64", na_value=np.nan), from_pandas=True)
        else:
            columns[name] = pa.array(values, from_pandas=True)
    return pa.table(columns)


def _risky(values: pa.ChunkedArray, cells: pa.ChunkedArray):
    """Which cells a spreadsheet would run as a formula (their text starts with one of
    ``FORMULA_PREFIXES``). A number's text can only start with its minus sign, so numbers are judged by
    their sign; text by its first character alone (every prefix is one character), not a regex over it."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    if pa.types.is_floating(values.type):
        numbers = values.to_numpy()
        return pa.array(np.signbit(numbers) & ~np.isnan(numbers))  # '-0.0' too, as repr writes it
    if pa.types.is_integer(values.type):
        return pc.fill_null(pc.less(values, 0), False)
    first = pc.utf8_slice_codeunits(cells, 0, 1)
    return pc.fill_null(pc.is_in(first, value_set=pa.array(FORMULA_PREFIXES, first.type)), False)


def _safe_table(table: pa.Table) -> pa.Table:
    """``table`` with every cell as text (empty where missing), coordinates written as pandas writes them,
    a cell a spreadsheet would run as a formula prefixed with an apostrophe (as
    ``export.neutralise_formulas`` does, in Arrow's kernels: a whole dataset's claims in a second, not a
    Python object per cell)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    columns = {}
    for name, values in zip(table.column_names, table.columns, strict=True):
        if pa.types.is_floating(values.type):  # coordinates: written as pandas writes them
            cells = _float_text(values.to_numpy())
        elif pa.types.is_string(values.type) or pa.types.is_large_string(values.type):
            cells = values
        else:
            cells = pc.cast(values, pa.string())
        risky = _risky(values, cells)
        if pc.any(risky).as_py():  # most columns have none: no second copy of their text
            quoted = pc.binary_join_element_wise(pa.scalar("'", cells.type), cells, pa.scalar("", cells.type))
            cells = pc.if_else(risky, quoted, cells)
        columns[name] = pc.fill_null(cells, "") if cells.null_count else cells
    return pa.table(columns)


def _unchecked_table(data_dir: Path) -> pa.Table | None:
    """The export's rows read straight from the files, unchecked, when a verdict says this exact content
    passed every rule; else None. The files are hashed (to compare with the verdict) in a second thread
    while they are read: the hashing and the reading each take a core."""
    files = recorded_verdict(data_dir)
    if files is None:
        return None
    import pyarrow as pa

    # Arrow alone: a folder a verdict vouches for is not loaded, so pandera and the loader are not imported.
    from casualty_workbook.interchange.hxl_fast import READ, hxl_table

    with ThreadPoolExecutor(max_workers=1) as pool:
        same = pool.submit(content_matches, data_dir, files)
        try:
            table = hxl_table(data_dir, tuple(column for column, _, _ in COLUMNS))
        except (pa.ArrowException, ValueError, KeyError):  # cells the checked loader would read otherwise: it decides
            table = None
        if not same.result():
            return None
    if table is not None:  # the files read, with their hashes, as the loader records what it loads
        for name in READ:
            for file in (f"{name}.csv", f"{name}.meta.yml"):
                READ_LOG.record(data_dir / file, digest=files.get(file))
    return table


def _slices(data_dir: Path) -> tuple[Iterator[pa.Table], int]:
    """The export's rows in slices of ``CHUNK_ROWS``, and how many: read straight from the files when a
    verdict says this exact content passed every rule, else loaded and checked (refusing a folder
    whose claims break a rule, with the loader's message)."""
    table = _unchecked_table(data_dir)
    if table is not None:
        return (table.slice(start, CHUNK_ROWS) for start in range(0, table.num_rows, CHUNK_ROWS)), table.num_rows
    frame = hxl_frame(data_dir)
    # The loader keeps what it checked: every other table checked now leaves a verdict for the next export.
    from casualty_workbook.data.loading import check_ahead

    check_ahead(data_dir)
    # In slices: a dataset's claims as text are never all in memory at once beside the frame.
    slices = (_from_pandas(frame.iloc[start : start + CHUNK_ROWS]) for start in range(0, len(frame), CHUNK_ROWS))
    return slices, len(frame)


def export_hxl(out: str | Path, data_dir: str | Path | None = None) -> tuple[Path, int]:
    """Write the claims to ``out`` as HXL: the header, the hashtag row, then one row per claim.

    Text a spreadsheet would run as a formula is neutralised; the file is replaced only when complete.
    """
    import pyarrow.csv as pacsv

    slices, rows = _slices(Path(data_dir) if data_dir else default_data_dir())

    def write(binary: BinaryIO) -> None:
        handle = io.TextIOWrapper(binary, encoding="utf-8", newline="")
        writer = csv.writer(handle, lineterminator="\r\n")
        writer.writerow([header for _, header, _ in COLUMNS])
        writer.writerow([tag for _, _, tag in COLUMNS])
        handle.flush()
        handle.detach()  # the binary handle is closed by atomic_write, after the last byte
        # Arrow's writer: quotes only the cells that need it, as csv.writer does; CRLF as RFC 4180.
        options = pacsv.WriteOptions(include_header=False, eol="\r\n", quoting_style="needed")
        # A slice's text is made in a second thread while the one before it is written (each takes a core).
        with ThreadPoolExecutor(max_workers=1) as pool:
            made = None
            for part in slices:
                following = pool.submit(_safe_table, part)
                if made is not None:
                    pacsv.write_csv(made.result(), binary, options)
                made = following
            if made is not None:
                pacsv.write_csv(made.result(), binary, options)

    return atomic_write(out, write), rows
