"""A dataset's coded events beside the parties' claims about one event.

An imported dataset (UCDP GED, ACLED) codes an event of its own at a place and date: finding
it means looking for events near the claimed event in space and time, not by name, since the
dataset names it its own way. Its figures are drawn as ranges (UCDP's low to high around its
best estimate) or lower bounds (ACLED's conservative count), beside the figures the parties
claimed.
"""

from __future__ import annotations

import textwrap

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.lines import Line2D

from casualty_workbook.analysis import tables
from casualty_workbook.charts import chart_data
from casualty_workbook.charts.claim_charts import finish_chart, new_axes, nothing_to_draw, open_end, source_line
from casualty_workbook.charts.style import LINK, STATUS_COLOURS
from casualty_workbook.data.schemas import METRIC_LABELS


def _km(lat: pd.Series, lon: pd.Series, lat0: float, lon0: float) -> pd.Series:
    """Great-circle distances in km from one point, vectorised (the haversine formula)."""
    rlat, rlon, rlat0, rlon0 = map(np.radians, (lat.astype(float), lon.astype(float), lat0, lon0))
    a = np.sin((rlat - rlat0) / 2) ** 2 + np.cos(rlat0) * np.cos(rlat) * np.sin((rlon - rlon0) / 2) ** 2
    return pd.Series(2 * 6371.0 * np.arcsin(np.sqrt(a)), index=lat.index)


def coded_near(
    claims: pd.DataFrame,
    events: pd.DataFrame,
    event: str,
    *,
    metric: str = "killed",
    radius_km: float = 25,
    days: int = 3,
) -> pd.DataFrame:
    """Claims about *other* events within ``radius_km`` of ``event``'s point whose dates come
    within ``days`` of its dates, for ``metric``; with ``distance_km`` and the events' dates.

    Empty when the event has no coordinates (nothing can be placed near it).
    """
    target = events.set_index("event_id").loc[event]
    if pd.isna(target["latitude"]) or pd.isna(target["longitude"]):
        return claims.iloc[:0].assign(distance_km=pd.Series(dtype=float))
    others = events[(events["event_id"] != event) & events["latitude"].notna()].copy()
    others["distance_km"] = _km(
        others["latitude"], others["longitude"], float(target["latitude"]), float(target["longitude"])
    )
    window = pd.Timedelta(days=days)
    near = others[
        (others["distance_km"] <= radius_km)
        & (others["date_start"] <= target["date_end"] + window)
        & (others["date_end"] >= target["date_start"] - window)
    ]
    picked = claims[claims["event_id"].isin(near["event_id"]) & (claims["metric"] == metric)]
    where = near[["event_id", "distance_km", "date_start", "date_end", "date_precision"]]
    return (
        picked.merge(where, on="event_id", how="left").sort_values(["reported_on", "claim_id"]).reset_index(drop=True)
    )


def _coded_event(row: object) -> str:
    """'Armed clash: Avdiivka, 22 Apr 2022: ' (the event's name and dates) for a coded row's label."""
    start, end = getattr(row, "date_start", pd.NaT), getattr(row, "date_end", pd.NaT)
    if pd.isna(start):
        return f"{row.event_name}: "
    when = f"{start:%d %b %Y}" if pd.isna(end) or end == start else f"{start:%d %b %Y}–{end:%d %b %Y}"
    return f"{row.event_name}, {when}: "


def _draw_figure(ax: Axes, y: int, row: pd.Series) -> float:
    """One figure on row ``y``: its range as a line, its value as a point (a triangle and an open end
    for 'at least'), its label; returns how far right it reaches."""
    colour = STATUS_COLOURS[str(row["status"])]
    low, high = row["value_low"], row["value_high"]
    ranged = pd.notna(low) and pd.notna(high) and low != high
    top = 1.0
    if ranged:
        ax.hlines(y, float(low), float(high), color=colour, lw=5, alpha=0.55)
        ax.vlines([float(low), float(high)], y - 0.18, y + 0.18, color=colour, lw=1.5)
        top = float(high)
    if pd.isna(row["drawn"]):
        return top
    value = float(row["drawn"])
    at_least = row["qualifier"] == "at_least"
    ax.plot(value, y, marker="^" if at_least else "o", ms=8, color=colour, mec="black", mew=0.5, zorder=3)
    if at_least:
        open_end(ax, value, y, colour, length=24)
    ax.annotate(
        f"{row['label']} ({int(low)}–{int(high)})" if ranged else row["label"],
        xy=(max(value, float(high) if pd.notna(high) else value), y),
        xytext=(28, 0),
        textcoords="offset points",
        va="center",
        fontsize=8,
        fontweight="bold",
    )
    return max(top, value)


def _row_label(r) -> str:
    """Whose figure a row is: claimed or coded, how far away, who said it, via whom, when, of whom."""
    via = "" if str(r.publisher).startswith(str(r.claimant_name)) else f", via {r.publisher}"
    whom = f" ({r.population} only)" if pd.notna(r.population) and str(r.population) != "all" else ""
    where = f", {r.distance_km:.0f} km away" if pd.notna(getattr(r, "distance_km", np.nan)) else ""
    # A coded event is named by its own name (its place) and the day it happened: the day its
    # figure was reported (a release, an export's timestamp) says nothing about the event.
    what = _coded_event(r) if where else ""
    said = f"reported {r.reported_on:%d %b %Y}" if where else f"{r.reported_on:%d %b %Y}"
    return f"{r.group}{where}: {what}{r.claimant_name}{via}, {said}{whom}"


def plot_coded_beside_claims(
    data: pd.DataFrame, *, coded: pd.DataFrame, ax: Axes | None = None, title: str | None = None
) -> Axes:
    """One row per figure: the parties' claims about the event (``data``), then the datasets' coded
    figures nearby (``coded``, from ``coded_near``).

    A range (low to high) is drawn as a line with its best value marked; a lower bound ('at
    least') as a point with a dashed arrow; colours say each figure's verification status.
    """
    rows = pd.concat(
        [data.assign(group="claimed about the event"), coded.assign(group="coded by a dataset nearby")],
        ignore_index=True,
    )
    ax = new_axes(ax, (8.5, max(2.8, 0.5 * len(rows) + 1.8)))
    if rows.empty:
        return nothing_to_draw(ax, title or "Coded events beside the claims", "figures")
    drawn = tables.with_labels(rows).iloc[::-1].reset_index(drop=True)
    top = max([1.0] + [_draw_figure(ax, y, row) for y, row in drawn.iterrows()])
    ticks = ["\n".join(textwrap.wrap(_row_label(r), 60)) for r in drawn.itertuples()]
    ax.set_yticks(range(len(drawn)), ticks, fontsize=7)
    ax.set_xlim(0, top * 1.5 + 2)
    metric = str(drawn["metric"].iloc[0])
    ax.set_xlabel(f"{METRIC_LABELS.get(metric, metric)} (people)")
    finish_chart(
        ax,
        title=title or "Coded events beside the claims",
        statuses=drawn["status"],
        source=source_line(drawn),
        note="A coded figure is a dataset's own estimate from the reports it cites, matched here by place "
        "and date, not by name; the parties' figures are claims, not established facts.",
        rows=chart_data.claim_rows(drawn, mark="point"),
    )
    # A second key, for the marks, below the status key (which stays as an artist of its own).
    status_key = ax.get_legend()
    handles = [
        Line2D([], [], color=LINK, lw=5, alpha=0.55, label="low–high range"),
        Line2D([], [], color=LINK, marker="o", lw=0, label="best / stated value"),
        Line2D([], [], color=LINK, marker="^", lw=0, label="lower bound ('at least')"),
    ]
    ax.legend(
        handles=handles, loc="lower left", bbox_to_anchor=(1.01, 0.0), fontsize=7, title="Marks", title_fontsize=8
    )
    ax.add_artist(status_key)
    return ax
