"""Charts of a running count (``series``), in seaborn's idiom: ``plot_x(data, *, ax=None, ...) -> Axes``.

They draw and return; ``figures.save_figure`` saves. Axes start at zero on a linear scale, counts
carry thousands separators, the population is named on the axis, and each chart prints a short
source line built from the claims drawn. What is computed from the count (a month's increment, a
value between two updates) is drawn as derived, apart from the figures as published.
"""

from __future__ import annotations

import textwrap

import matplotlib.dates as mdates
import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from casualty_workbook.analysis import tables
from casualty_workbook.analysis.series import CountAsOf
from casualty_workbook.charts import chart_data
from casualty_workbook.charts.claim_charts import KEY_OUTSIDE, add_source_line, short_name
from casualty_workbook.charts.style import (
    CAPTION,
    OKABE_ITO,
    STATUS_COLOURS,
    STATUS_HATCHES,
    use_house_style,
)
from casualty_workbook.data.provenance import claim_source_line
from casualty_workbook.data.schemas import STATUS_LABELS

METRIC_AXIS = {"killed": "Civilians killed", "injured": "Civilians injured"}
DOWN = OKABE_ITO["vermillion"]


def _axes(ax: Axes | None, size: tuple[float, float]) -> Axes:
    if ax is not None:
        return ax
    use_house_style()
    _, ax = plt.subplots(figsize=size)
    return ax


def _day(value: object) -> str:
    stamp = pd.Timestamp(value)
    return f"{stamp.day} {stamp:%b %Y}"


def _thousands(axis) -> None:
    axis.set_major_formatter(lambda v, _: f"{v:,.0f}")


def _area(count: pd.DataFrame) -> str:
    """' in <country> since <first day>', from what ``series.running_count`` read of the count's event."""
    area, start = count.attrs.get("area"), count.attrs.get("counted_from")
    return (f" in {area}" if area else "") + (f" since {_day(start)}" if start else "")


def _months(axis) -> None:
    """Dates ticked as 'Mar 2022', every few months, never as ISO text."""
    axis.set_major_locator(mdates.MonthLocator(bymonth=(1, 4, 7, 10)))
    axis.set_major_formatter(mdates.DateFormatter("%b %Y"))


def _signed(value: float) -> str:
    """'+1,232', '−70': a change, with a true minus sign."""
    return f"{value:+,.0f}".replace("-", "−")


def series_source_line(count: pd.DataFrame) -> str:
    """'Source: OHCHR, 149 updates 3 Mar 2022 – 24 Sep 2023, via <publisher>.' from the claims drawn:
    one line for a whole series, where a claim-by-claim line would list every update."""
    if count.empty:
        return ""
    parts = []
    for (claimant, publisher), rows in count.groupby(["claimant_name", "publisher"], sort=True):
        dates = pd.to_datetime(rows["reported_on"])
        n = rows["reported_on"].nunique()
        span = _day(dates.min()) if n == 1 else f"{_day(dates.min())} – {_day(dates.max())}"
        parts.append(f"{claimant}, {n:,} update{'s' if n != 1 else ''} {span}, via {publisher}")
    return "Source: " + "; ".join(parts) + "."


def _count_rows(one: pd.DataFrame, mark: str = "point") -> pd.DataFrame:
    rows = chart_data.claim_rows(one.assign(drawn=one["value"].astype("Float64")), mark=mark)
    return rows


def _draw_updates(ax: Axes, one: pd.DataFrame, colour: str, gap_days: int) -> None:
    """The updates as points, joined by a line broken wherever two are more than ``gap_days`` apart."""
    dates, values = one["date"].to_list(), one["value"].astype(float).to_list()
    segment_x, segment_y = [dates[0]], [values[0]]
    for d, v, days in zip(dates[1:], values[1:], one["days"].to_list()[1:], strict=True):
        if days > gap_days:  # a gap: end the line, start another after it
            ax.plot(segment_x, segment_y, color=colour, lw=1.4, solid_capstyle="butt")
            segment_x, segment_y = [], []
        segment_x.append(d)
        segment_y.append(v)
    ax.plot(segment_x, segment_y, color=colour, lw=1.4)
    # The updates above the step-down marks, so a mark never hides an update drawn under it.
    ax.plot(dates, values, ls="none", marker="o", ms=2.2, color=OKABE_ITO["blue"], zorder=3)


def _mark_steps_down(ax: Axes, down: pd.DataFrame) -> None:
    """Each update lower than the one before: marked, and labelled with its step, kept as published."""
    for r in down.itertuples():
        ax.plot([r.date], [float(r.value)], marker="v", ms=7, color=DOWN, ls="none", zorder=2.5)
        ax.annotate(
            f"{_signed(r.step)} on {_day(r.date)}\n(kept as published)",
            xy=(r.date, float(r.value)),
            xytext=(10, -26),
            textcoords="offset points",
            fontsize=7.5,
            color=DOWN,
            arrowprops={"arrowstyle": "-", "color": DOWN, "lw": 0.8},
        )


def _mark_day(ax: Axes, day: object, label: str | None, top: float) -> None:
    """A dotted vertical line at ``day`` (an event's), with ``label`` at the top."""
    ax.axvline(pd.Timestamp(day), color=CAPTION, lw=1, ls=":")
    if label:
        ax.annotate(
            textwrap.fill(label, 26),
            xy=(pd.Timestamp(day), top),
            xytext=(-5, -2),
            textcoords="offset points",
            ha="right",
            va="top",
            fontsize=7.5,
            color=CAPTION,
        )


def _running_count_key(ax: Axes, colour: str, gap_days: int, *, steps_down: bool) -> None:
    keys = [
        Line2D([], [], color=colour, marker="o", ms=3, mfc=OKABE_ITO["blue"], mec=OKABE_ITO["blue"], label="an update"),
        Line2D([], [], color="none", label=f"line broken: no update\nfor more than {gap_days} days"),
    ]
    if steps_down:
        keys.append(Line2D([], [], color=DOWN, marker="v", ls="none", label="lower than the\nupdate before"))
    keys.append(Patch(facecolor=colour, label="\n".join(textwrap.wrap(STATUS_LABELS["secondary"], 24))))
    ax.legend(handles=keys, title="Key", **KEY_OUTSIDE)


def plot_running_count(
    count: pd.DataFrame,
    *,
    metric: str,
    ax: Axes | None = None,
    title: str | None = None,
    gap_days: int = 10,
    mark_day: object | None = None,
    mark_label: str | None = None,
    source: bool = True,
) -> Axes:
    """The cumulative count of ``metric`` as published, one point per update; consecutive updates at
    most ``gap_days`` apart are joined, a longer span is left empty (no update in between), and an
    update lower than the one before is marked and labelled with its step. ``mark_day`` draws a
    vertical line at a day (an event's) with ``mark_label``. ``source=False`` leaves the source
    line to another panel of the same figure (the one below)."""
    ax = _axes(ax, (8, 4.4))
    one = count[count["metric"] == metric].sort_values("date")
    label = METRIC_AXIS.get(metric, metric)
    if one.empty:
        ax.set_title(title or label)
        ax.set_axis_off()
        ax.text(0.5, 0.5, f"No update of {label.lower()} is recorded.", ha="center", transform=ax.transAxes)
        chart_data.attach(ax, chart_data.empty_rows())
        return ax
    colour = STATUS_COLOURS["secondary"]
    _draw_updates(ax, one, colour, gap_days)
    down = one[one["step"].fillna(0) < 0]
    _mark_steps_down(ax, down)
    top = float(one["value"].astype(float).max()) * 1.08
    if mark_day is not None:
        _mark_day(ax, mark_day, mark_label, top)
    ax.set_ylim(0, top)
    _months(ax.xaxis)
    ax.set_ylabel(f"{label} (cumulative)")
    _thousands(ax.yaxis)
    ax.set_title(title or f"{label}{_area(count)}, cumulative, as published")
    _running_count_key(ax, colour, gap_days, steps_down=len(down) > 0)
    if source:
        add_source_line(
            ax,
            series_source_line(count),
            note="OHCHR counts only the civilian casualties it has corroborated; it says the actual figures are higher.",
        )
    chart_data.attach(ax, _count_rows(one))
    return ax


def increment_rows(increments: pd.DataFrame, count: pd.DataFrame) -> pd.DataFrame:
    """One row per month's bar: the increment, derived from the two updates it is the difference of."""
    if increments.empty:
        return chart_data.empty_rows()
    claimant = str(count["claimant_name"].iloc[0]) if len(count) else ""
    source = str(count["source_id"].iloc[0]) if len(count) else ""
    return pd.DataFrame(
        {
            "mark": "bar",
            "id": [f"{m}-{r}" for m, r in zip(increments["metric"], increments["month"].astype(str), strict=True)],
            "category": increments["month"].astype(str).to_numpy(),
            "event": str(count["event_id"].iloc[0]) if len(count) else "",
            "metric": increments["metric"].to_numpy(),
            "low": pd.NA,
            "best": increments["increment"].to_numpy(),
            "high": pd.NA,
            "qualifier": "derived",
            "wording": [_signed(v) for v in increments["increment"]],
            "drawn": increments["increment"].astype(float).to_numpy(),
            "unit": "people",
            "claimant": claimant,
            "source": source,
            "date": increments["to_date"].to_numpy(),
            "status": "derived",
        }
    )


def _label_month(ax: Axes, increments: pd.DataFrame, mark_month: object) -> None:
    """The chosen month's bar labelled with its month and increment (nothing when it has no bar)."""
    month = pd.Period(pd.Timestamp(mark_month), "M")
    hit = increments[increments["month"] == month]
    if len(hit):
        mx = month.to_timestamp(how="start") + pd.Timedelta(days=14)
        v = float(hit["increment"].iloc[0])
        ax.annotate(
            f"{month:%B %Y}: {_signed(v)}",
            xy=(mx, v),
            xytext=(0, 6),
            textcoords="offset points",
            ha="center",
            fontsize=8,
            fontweight="bold",
        )


def _label_spans(ax: Axes, increments: pd.DataFrame, count: pd.DataFrame) -> None:
    """A bar that spans months with no update says how many (or 'since' the count's first day)."""
    for r in increments[increments["months"] > 1].itertuples():
        began = count.attrs.get("counted_from")
        first = f"since\n{_day(began)[:-5]}" if began is not None else "since\nthe start"
        since = first if pd.isna(r.from_date) else f"{r.months}\nmonths"
        ax.annotate(
            since,
            xy=(r.month.to_timestamp(how="start") + pd.Timedelta(days=14), float(r.increment)),
            xytext=(0, 3),
            textcoords="offset points",
            ha="center",
            fontsize=7,
            color=CAPTION,
        )


def _increments_key(ax: Axes, *, steps_down: bool) -> None:
    keys = [
        Patch(
            facecolor=STATUS_COLOURS["derived"],
            hatch=STATUS_HATCHES["derived"],
            edgecolor="white",
            label="derived: the month's last\nupdate minus the last\nupdate before it",
        )
    ]
    if steps_down:
        keys.append(Patch(facecolor="none", edgecolor=DOWN, label="a month with an\nupdate lower than\nthe one before"))
    ax.legend(handles=keys, title="Key", **KEY_OUTSIDE)


def plot_monthly_increments(
    increments: pd.DataFrame,
    *,
    count: pd.DataFrame,
    ax: Axes | None = None,
    title: str | None = None,
    mark_month: object | None = None,
    source: bool = True,
) -> Axes:
    """What the count grew by per month (``series.monthly_increments``), drawn as derived: each bar
    is the difference of two published updates. A month with no update has no bar; the month
    after it spans both (its label says so). A month with a step down is outlined. ``source=False``
    leaves the source line to another panel of the same figure."""
    ax = _axes(ax, (8, 4.2))
    metric = str(increments["metric"].iloc[0]) if len(increments) else "killed"
    label = METRIC_AXIS.get(metric, metric)
    if increments.empty:
        ax.set_title(title or label)
        ax.set_axis_off()
        chart_data.attach(ax, chart_data.empty_rows())
        return ax
    x = increments["month"].dt.to_timestamp(how="start") + pd.Timedelta(days=14)
    heights = increments["increment"].astype(float)
    edges = [DOWN if d else "white" for d in increments["down"]]
    ax.bar(
        x,
        heights,
        width=24,
        color=STATUS_COLOURS["derived"],
        hatch=STATUS_HATCHES["derived"],
        edgecolor=edges,
        linewidth=[1.5 if d else 0 for d in increments["down"]],
    )
    if mark_month is not None:
        _label_month(ax, increments, mark_month)
    _label_spans(ax, increments, count)
    ax.axhline(0, color=CAPTION, lw=0.8)
    _months(ax.xaxis)
    ax.set_ylim(min(0, heights.min() * 1.1), heights.max() * 1.12)
    ax.set_ylabel(f"{label} added in the month")
    _thousands(ax.yaxis)
    ax.set_title(title or f"{label}{_area(count)}: added each month (derived)")
    _increments_key(ax, steps_down=bool(increments["down"].any()))
    if source:
        add_source_line(
            ax,
            series_source_line(count),
            note="Derived here: each bar is the difference of two updates as published, not a figure OHCHR gave.",
        )
    chart_data.attach(ax, increment_rows(increments, count))
    return ax


def beside_rows(
    event_figures: pd.DataFrame, beside: list[tuple[str, float, str, str]], count: pd.DataFrame
) -> pd.DataFrame:
    rows = [chart_data.claim_rows(event_figures)] if len(event_figures) else []
    if beside:
        rows.append(
            pd.DataFrame(
                {
                    "mark": "bar",
                    "id": [b[3] for b in beside],
                    "category": [b[0].replace("\n", " ") for b in beside],
                    "event": str(count["event_id"].iloc[0]),
                    "metric": str(count["metric"].iloc[0]),
                    "low": pd.NA,
                    "best": [round(b[1]) for b in beside],
                    "high": pd.NA,
                    "qualifier": "derived",
                    "wording": [f"{round(b[1]):,}" for b in beside],
                    "drawn": [b[1] for b in beside],
                    "unit": "people",
                    "claimant": str(count["claimant_name"].iloc[0]),
                    "source": str(count["source_id"].iloc[0]),
                    "date": pd.NaT,
                    "status": [b[2] for b in beside],
                }
            )
        )
    return pd.concat(rows, ignore_index=True) if rows else chart_data.empty_rows()


def _count_figures(
    count: pd.DataFrame, metric: str, month: pd.Series | None, as_of: CountAsOf | None, country: str
) -> list[tuple[str, float, str, str]]:
    """(label, value, status, id) of the count's figures set beside a toll: the month's increment and
    the count as of the event's day, each where there is one."""
    beside: list[tuple[str, float, str, str]] = []
    producer = str(count["claimant_name"].iloc[0]) if len(count) else "the count"
    who = METRIC_AXIS.get(metric, metric).lower()
    if month is not None:
        beside.append(
            (
                f"{producer}: {who} in {country},\n{month['month']:%B %Y} (the month's increment)",
                float(month["increment"]),
                "derived",
                f"increment-{month['month']}",
            )
        )
    if as_of is not None and as_of.value is not None:
        beside.append(
            (
                f"{producer}: {who} in {country},\ncumulative to {_day(as_of.day)}",
                float(as_of.value),
                "derived",
                f"as-of-{as_of.day.date()}",
            )
        )
    return beside


def _status_key(ax: Axes, present: set[str]) -> None:
    handles = [
        Patch(
            facecolor=STATUS_COLOURS[s],
            hatch=STATUS_HATCHES[s],
            edgecolor="white",
            label="\n".join(textwrap.wrap(STATUS_LABELS[s], 24)),
        )
        for s in STATUS_COLOURS
        if s in present
    ]
    ax.legend(handles=handles, title="Status", **KEY_OUTSIDE)


def plot_toll_beside_count(
    event_figures: pd.DataFrame,
    *,
    count: pd.DataFrame,
    month: pd.Series | None,
    as_of: CountAsOf | None,
    country: str,
    ax: Axes | None = None,
    title: str | None = None,
) -> Axes:
    """An event's claimed figures (first and latest, ``tables.first_and_latest``) beside what a
    country's running count grew by in the event's month and the count as of the event's day,
    horizontal bars from zero on one linear scale: the event's toll is small beside a country's
    count, and the chart lets it look so. The count's figures are derived from its updates."""
    ax = _axes(ax, (8, 3.6))
    rows: list[tuple[str, float, str, bool]] = []
    for r in tables.with_labels(event_figures).itertuples():
        rows.append(
            (
                f"{textwrap.shorten(str(r.event_name), 40)}\n{short_name(r.claimant_name)}, {_day(r.reported_on)}",
                float(r.drawn),
                str(r.status),
                r.qualifier == "at_least",
            )
        )
    metric = str(event_figures["metric"].iloc[0]) if len(event_figures) else "killed"
    beside = _count_figures(count, metric, month, as_of, country)
    for label, value, status, _ in beside:
        rows.append((label, value, status, False))
    for y, (_label, value, status, open_ended) in enumerate(rows):
        ax.barh(
            y, value, height=0.65, color=STATUS_COLOURS[status], hatch=STATUS_HATCHES[status], edgecolor="white", lw=0
        )
        text = ("≥ " if open_ended else "") + f"{value:,.0f}"
        ax.annotate(
            text, xy=(value, y), xytext=(4, 0), textcoords="offset points", va="center", fontsize=9, fontweight="bold"
        )
    ax.set_yticks(range(len(rows)), [r[0] for r in rows], fontsize=7.5)
    ax.invert_yaxis()
    ax.set_xlim(0, max([r[1] for r in rows] + [1]) * 1.15)
    _thousands(ax.xaxis)
    ax.set_xlabel(f"People {metric} (one linear scale)")
    ax.set_title(title or "A claimed toll beside the country's running count")
    _status_key(ax, {r[2] for r in rows})
    claims_line = analysis_source(event_figures)
    add_source_line(
        ax,
        " ".join(t for t in (series_source_line(count), claims_line) if t),
        note="One event's claimed toll against a country's corroborated count: different counters and methods, "
        "not like for like.",
    )
    chart_data.attach(ax, beside_rows(event_figures, beside, count))
    return ax


def analysis_source(claims: pd.DataFrame) -> str:
    """The claims' own source line, introduced as the claims' (beside a series' line)."""
    line = claim_source_line(claims) if len(claims) else ""
    return line.replace("Source: ", "Claims: ", 1)
