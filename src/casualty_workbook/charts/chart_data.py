"""The table behind each chart: one tidy row per mark drawn, attached to its Axes, saved as CSV.

A chart function ends with one call, ``figure_data.attach(ax, figure_data.claim_rows(data))``,
handing over exactly the rows it drew; ``figures.save_figure`` collects the tables of a
figure's axes and writes them beside the images. A figure whose axes carry no table is an
error: every saved chart ships its data.

Columns (``COLUMNS``), in this order; a chart may add its own after them (a map's coordinates):

- ``panel``: the axes' number in the figure (1 for a single chart);
- ``mark``: what was drawn for the row (``bar``, ``point``, ``stacked bar``, ``text``, ``listed``);
- ``id``: the claim or figure id (``claim_id``, ``figure_id``, the year, the system, the place);
- ``category``: what the mark stands for on its axis (population, category, year, system, place);
- ``event``, ``metric``, ``low``, ``best``, ``high``, ``qualifier``: the figure as reported;
- ``wording``: the number as the chart prints it ("≥ 15", "14,200–14,400");
- ``drawn``: the value the mark is drawn to (a range's midpoint stands in for a missing best);
- ``unit``, ``claimant`` (who said it), ``source`` (ids in ``data/sources.csv``), ``date``, ``status``.
"""

from __future__ import annotations

import weakref

import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from casualty_workbook.analysis.tables import format_value, with_labels
from casualty_workbook.core.exceptions import WorkbookError
from casualty_workbook.core.spreadsheet import text_csv_bytes
from casualty_workbook.data.missing import is_missing
from casualty_workbook.data.provenance import counted_apart

COLUMNS = (
    "panel",
    "mark",
    "id",
    "category",
    "event",
    "metric",
    "low",
    "best",
    "high",
    "qualifier",
    "wording",
    "drawn",
    "unit",
    "claimant",
    "source",
    "date",
    "status",
)
NUMERIC = ("low", "best", "high", "drawn")

# Axes → the table drawn on them; weak, so a closed figure's tables go with it.
_TABLES: weakref.WeakKeyDictionary[Axes, pd.DataFrame] = weakref.WeakKeyDictionary()


class FigureDataError(WorkbookError):
    """A figure was saved without the table of what it draws."""


def attach(ax: Axes, rows: pd.DataFrame) -> Axes:
    """Record ``rows`` (one per mark, ``COLUMNS`` but ``panel``) as what ``ax`` draws; returns ``ax``."""
    missing = [c for c in COLUMNS if c != "panel" and c not in rows.columns]
    if missing:
        raise FigureDataError(f"the table attached to a chart lacks the column(s) {', '.join(missing)}")
    extra = [c for c in rows.columns if c not in COLUMNS]
    _TABLES[ax] = rows[[c for c in COLUMNS if c != "panel"] + extra].reset_index(drop=True).copy()
    return ax


def attached(ax: Axes) -> pd.DataFrame | None:
    """The table attached to ``ax``, or None."""
    return _TABLES.get(ax)


def collect(fig: Figure, name: str = "figure") -> pd.DataFrame:
    """The tables of ``fig``'s axes, in axes order, numbered by ``panel``; an error if none has one."""
    tables = []
    for number, ax in enumerate(fig.axes, start=1):
        table = _TABLES.get(ax)
        if table is not None:
            tables.append(table.assign(panel=number))
    if not tables:
        raise FigureDataError(
            f"figure {name!r} has no data attached: its chart function must call "
            "figure_data.attach(ax, rows) with the rows it draws"
        )
    table = pd.concat(tables, ignore_index=True) if len(tables) > 1 else tables[0]
    extra = [c for c in table.columns if c not in COLUMNS]
    return table[list(COLUMNS) + extra]


# ---- formatting: the same bytes for the same values, everywhere ------------------------------------


def _number(value: object) -> str:
    if value is None or value is pd.NA or (isinstance(value, float) and value != value):
        return ""
    number = float(value)  # type: ignore[arg-type]
    if number.is_integer():
        return str(int(number))
    # Fixed point, at most six decimals, never an exponent: 14300.5, 41.3, 0.25.
    return f"{round(number, 6):.6f}".rstrip("0").rstrip(".")


def _date(value: object) -> str:
    if is_missing(value):
        return ""
    if isinstance(value, str):
        return value
    stamp = pd.Timestamp(value)
    # ISO 8601 by hand: strftime's %Y writes the year 1 as '1', not '0001', with the C library's own rules.
    day = f"{stamp.year:04d}-{stamp.month:02d}-{stamp.day:02d}"
    return f"{day} {stamp.hour:02d}:{stamp.minute:02d}" if (stamp.hour or stamp.minute) else day


def _text_cells(column: str, values: pd.Series) -> list[str]:
    if column in NUMERIC or column in ("panel", "latitude", "longitude") or pd.api.types.is_numeric_dtype(values):
        return [_number(v) for v in values]
    if column == "date" or pd.api.types.is_datetime64_any_dtype(values):
        return [_date(v) for v in values]
    return ["" if v is None or v is pd.NA or (isinstance(v, float) and v != v) else str(v) for v in values]


def as_text(table: pd.DataFrame) -> pd.DataFrame:
    """Every cell as the text the CSV holds: numbers without trailing zeros, dates ISO, missing empty."""
    return pd.DataFrame({c: _text_cells(c, table[c]) for c in table.columns}, index=table.index, dtype=object)


def csv_bytes(table: pd.DataFrame) -> bytes:
    """The table as spreadsheet-safe UTF-8 CSV bytes (formula-like cells neutralised): ``as_text``'s cells,
    written without building a frame of them (a chart's few rows cost more as a frame than as text)."""
    return text_csv_bytes([str(c) for c in table.columns], [_text_cells(c, table[c]) for c in table.columns])


# ---- rows for the workbook's charts ----------------------------------------------------------------


def _empty() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series([], dtype=object) for c in COLUMNS if c != "panel"})


def _drawn(low: pd.Series, best: pd.Series) -> pd.Series:
    return best.astype("Float64").fillna(low.astype("Float64"))


def _wording(frame: pd.DataFrame, low: str, best: str, high: str) -> list[str]:
    return [
        format_value(lo, be, hi, str(q))
        for lo, be, hi, q in zip(frame[low], frame[best], frame[high], frame["qualifier"], strict=False)
    ]


def empty_rows() -> pd.DataFrame:
    """No marks: a chart that found nothing to draw still ships its (empty) table."""
    return _empty()


def claim_rows(claims: pd.DataFrame, *, mark: str = "bar") -> pd.DataFrame:
    """One row per claim drawn (``claims`` as ``load_claims`` gives them, in the order drawn)."""
    if claims.empty:
        return _empty()
    drawn = claims["drawn"] if "drawn" in claims.columns else _drawn(claims["value_low"], claims["value_best"])
    return pd.DataFrame(
        {
            "mark": mark,
            "id": claims["claim_id"].astype(str).to_numpy(),
            "category": claims["population"].astype("string").to_numpy(),
            "event": claims["event_id"].astype(str).to_numpy(),
            "metric": claims["metric"].astype(str).to_numpy(),
            "low": claims["value_low"].to_numpy(),
            "best": claims["value_best"].to_numpy(),
            "high": claims["value_high"].to_numpy(),
            "qualifier": claims["qualifier"].astype(str).to_numpy(),
            "wording": _wording(claims, "value_low", "value_best", "value_high"),
            "drawn": drawn.to_numpy(),
            "unit": claims["unit"].astype(str).to_numpy(),
            "claimant": claims["claimant_name"].astype(str).to_numpy(),
            "source": claims["source_id"].astype(str).to_numpy(),
            "date": claims["reported_on"].to_numpy(),
            "status": claims["status"].astype(str).to_numpy(),
        }
    )


def _origin(table: pd.DataFrame, field: str) -> str:
    """A field of the origin the loader carries in ``attrs`` (kept by the analysis steps a table went through)."""
    return str(table.attrs.get("metadata", {}).get("origin", {}).get(field, ""))


def ohchr_category_rows(killed: pd.DataFrame) -> pd.DataFrame:
    """One bar per category of ``analysis.killed_by_category``, with the value drawn for the estimate chosen."""
    if killed.empty:
        return _empty()
    return pd.DataFrame(
        {
            "mark": "bar",
            "id": killed["figure_id"].astype(str).to_numpy(),
            "category": killed["category"].astype(str).to_numpy(),
            "event": "",
            "metric": killed["outcome"].astype(str).to_numpy(),
            "low": killed["value_low"].to_numpy(),
            "best": killed["value_best"].to_numpy(),
            "high": killed["value_high"].to_numpy(),
            "qualifier": killed["qualifier"].astype(str).to_numpy(),
            "wording": _wording(killed, "value_low", "value_best", "value_high"),
            "drawn": killed["drawn"].to_numpy(),
            "unit": "people",
            "claimant": _origin(killed, "producer"),
            "source": killed["source_id"].astype(str).to_numpy(),
            "date": _origin(killed, "date_published"),
            "status": killed["status"].astype(str).to_numpy(),
        }
    )


def _year_rows(yearly: pd.DataFrame, *, split_apart: bool) -> list[dict]:
    rows = []
    for r in yearly.itertuples():
        killed, apart_n = int(r.killed), int(r.mh17) if split_apart else 0
        common = {
            "event": "",
            "metric": "killed",
            "qualifier": "exact",
            "unit": "people",
            "claimant": _origin(yearly, "producer"),
            "source": str(r.source_id),
            "date": _origin(yearly, "date_published"),
            "status": str(r.status),
            "low": killed,
            "best": killed,
            "high": killed,
        }
        rows.append(
            {
                **common,
                "mark": "bar",
                "id": str(int(r.year)),
                "category": "civilians",
                "wording": f"{killed:,}",
                "drawn": killed - apart_n,
            }
        )
        if apart_n:
            apart = counted_apart(yearly) or {"name": "apart", "who": "counted apart"}
            rows.append(
                {
                    **common,
                    "mark": "stacked bar",
                    "id": f"{int(r.year)}-{'-'.join(apart['name'].lower().split())}",
                    "category": f"civilians {apart['who']}",
                    "low": apart_n,
                    "best": apart_n,
                    "high": apart_n,
                    "wording": f"{apart_n:,}",
                    "drawn": apart_n,
                }
            )
    return rows


def yearly_rows(yearly: pd.DataFrame) -> pd.DataFrame:
    """One bar per year (``analysis.civilian_deaths_by_year``); those counted apart as their own stacked bar."""
    rows = _year_rows(yearly, split_apart=True)
    return pd.DataFrame(rows) if rows else _empty()


def context_rows(event_claims: pd.DataFrame, yearly: pd.DataFrame) -> pd.DataFrame:
    """The yearly bars, then the event's claims, in the order drawn (top to bottom)."""
    years = pd.DataFrame(_year_rows(yearly, split_apart=False))
    claims = claim_rows(with_labels(event_claims)) if len(event_claims) else _empty()
    parts = [p for p in (years, claims) if len(p)]
    return pd.concat(parts, ignore_index=True) if parts else _empty()


def weapon_rows(weapons: pd.DataFrame, mentions: pd.DataFrame) -> pd.DataFrame:
    """One row per canonical system (``analysis.weapons_claimed``): a bar with its count, or text without one."""
    if weapons.empty:
        return _empty()
    rows = []
    for r in weapons.itertuples():
        said = mentions[mentions["system_id"] == r.system_id]
        counted = said[said["count_best"].notna()]
        said = counted if len(counted) else said
        count = None if pd.isna(r.count_claimed) else int(r.count_claimed)
        rows.append(
            {
                "mark": "text" if count is None else "bar",
                "id": str(r.system_id),
                "category": str(r.canonical_name),
                "event": "; ".join(sorted(set(said["event_id"].astype(str)))),
                "metric": "munitions",
                "low": count,
                "best": count,
                "high": count,
                "qualifier": "not_reported" if count is None else "exact",
                "wording": "named, no count given" if count is None else str(count),
                "drawn": count,
                "unit": "munitions",
                "claimant": "; ".join(sorted(set(said["claimant_name"].astype(str)))),
                "source": "; ".join(sorted(set(said["source_id"].astype(str)))),
                "date": "; ".join(sorted({_date(d) for d in said["reported_on"]})),
                "status": str(r.status),
            }
        )
    return pd.DataFrame(rows)


def place_rows(places: pd.DataFrame) -> pd.DataFrame:
    """One point per place with verified coordinates; places without them are listed, never placed."""
    if places.empty:
        return _empty()
    located = places["latitude"].notna()
    distance = places["distance_km"] if "distance_km" in places.columns else pd.Series(pd.NA, index=places.index)
    return pd.DataFrame(
        {
            "mark": ["point" if ok else "listed" for ok in located],
            "id": places["place_id"].astype(str).to_numpy(),
            "category": places["name"].astype(str).to_numpy(),
            "event": "",
            "metric": "distance_km",
            "low": distance.to_numpy(),
            "best": distance.to_numpy(),
            "high": distance.to_numpy(),
            "qualifier": "exact",
            "wording": [f"{d:.0f} km" if pd.notna(d) else "" for d in distance],
            "drawn": distance.to_numpy(),
            "unit": "km",
            "claimant": "",
            "source": places["coord_source_id"].astype("string").fillna("").to_numpy(),
            "date": "",
            "status": places["coord_status"].astype(str).to_numpy(),
            "latitude": places["latitude"].to_numpy(),
            "longitude": places["longitude"].to_numpy(),
        }
    )


def status_count_rows(table: pd.DataFrame) -> pd.DataFrame:
    """One stacked-bar segment per party and status (``analysis.provenance_table``): how many figures."""
    if table.empty:
        return _empty()
    counts = table.groupby(["who_said_it", "status"], sort=True).size()
    counts = counts[counts > 0]
    rows = [
        {
            "mark": "stacked bar",
            "id": f"{who} / {status}",
            "category": str(who),
            "event": "",
            "metric": "figures_recorded",
            "low": int(n),
            "best": int(n),
            "high": int(n),
            "qualifier": "exact",
            "wording": str(int(n)),
            "drawn": int(n),
            "unit": "figures",
            "claimant": str(who),
            "source": "",
            "date": "",
            "status": str(status),
        }
        for (who, status), n in counts.items()
    ]
    return pd.DataFrame(rows)
