"""Chart functions in seaborn's idiom: ``plot_x(data, *, ax=None, title=None, **options) -> Axes``.

They draw and return; they never save (``figures.save_figure`` does). Every chart has a
title, units, a marking of each figure's verification status, and a source line taken from
the data drawn: a claim cites who said it and who published it, a table its origin (the
``.meta.yml`` the loader carries in ``DataFrame.attrs``). ``finish_chart`` does what every chart
ends with. Lower bounds are drawn open-ended and ranges as ranges.
"""

from __future__ import annotations

import math
import textwrap
from collections.abc import Iterable

import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.axis import Axis
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import FuncFormatter, MaxNLocator
from mpl_toolkits.axes_grid1 import make_axes_locatable

from casualty_workbook.analysis import narrative, tables
from casualty_workbook.charts import basemap, chart_data
from casualty_workbook.charts.style import (
    BOX_EDGE,
    BOX_FACE,
    CAPTION,
    CLAIMANT_PALETTE,
    COUNTRY_PALETTE,
    LINK,
    SET_APART,
    STATUS_COLOURS,
    STATUS_HATCHES,
    use_house_style,
)
from casualty_workbook.data import provenance
from casualty_workbook.data.schemas import (
    CATEGORY_WORDS,
    METRIC_LABELS,
    PEOPLE_METRICS,
    POPULATION_LABELS,
    STATUS_LABELS,
    STATUSES,
    WEAPON_TYPE_WORDS,
)


def _capital(words: str) -> str:
    """Words as a label starts them: a capital first letter, the rest as written."""
    return words[:1].upper() + words[1:]


# A chart's key stands outside the plot on the right, where it can never hide a bar or a label.
KEY_OUTSIDE = {"loc": "upper left", "bbox_to_anchor": (1.01, 1.0), "title_fontsize": 8, "alignment": "left"}


# A name in a label (a claimant, an outlet) is cut to this many characters: a name of thousands would
# otherwise widen the chart to thousands of pixels. The chart's CSV keeps every name whole.
NAME_CHARS = 60


def short_name(name: object) -> str:
    """A claimant's or an outlet's name for a label: whole up to ``NAME_CHARS`` characters, then cut with '…'."""
    text = " ".join(str(name).split())
    return text if len(text) <= NAME_CHARS else text[: NAME_CHARS - 1].rstrip() + "…"


def new_axes(ax: Axes | None, size: tuple[float, float] = (8, 4.8)) -> Axes:
    if ax is not None:
        return ax
    use_house_style()
    _, ax = plt.subplots(figsize=size)
    return ax


# The smallest text a chart prints (points): a page shows every chart wide enough for it to read at 11 CSS px.
MIN_FONT = 8
SOURCE_WIDTH = 115  # characters of a source line at 8 pt, about the width of a chart's plot and key
SOURCE_LINES = 2  # a source line longer than this is summed up; the full list is in the figure's data


def add_source_line(ax: Axes, text: str, *, note: str | None = None) -> None:
    """Print the source (and an optional caveat) under the axes, wrapped to the figure's width."""
    lines = textwrap.wrap(text, SOURCE_WIDTH)
    if note:
        lines += textwrap.wrap(note, SOURCE_WIDTH)
    ax.annotate(
        "\n".join(lines),
        xy=(0, 0),
        xycoords="axes fraction",
        xytext=(0, -34),
        textcoords="offset points",
        ha="left",
        va="top",
        fontsize=MIN_FONT,
        color=CAPTION,
    )


def _listing(words: list[str]) -> str:
    return ", ".join(words[:-1]) + " and " + words[-1] if len(words) > 1 else "".join(words)


def _plural(n: int, word: str) -> str:
    return f"{n:,} {word}" if n == 1 else f"{n:,} {word}s"


def short_source_line(full: str, *, claimants: int, outlets: int, what: str = "Sources") -> str:
    """``full`` where it fits in two lines; else how many claimants and outlets, and where they are listed."""
    if len(textwrap.wrap(full, SOURCE_WIDTH)) <= SOURCE_LINES:
        return full
    who = f"{_plural(claimants, 'claimant')} via " if claimants else ""
    return f"{what}: {who}{_plural(outlets, 'outlet')}, each listed in the chart's data (CSV) and its Sources tab."


def source_line(data: pd.DataFrame) -> str:
    """The source of the rows drawn, in at most two lines: claims cite who said each figure, via whom
    and when (summed up as 'Sources: 7 claimants via 6 outlets, …' where that would run longer); any
    other table cites its origin (producer, year, title), carried in ``data.attrs`` from its .meta.yml."""
    if {"claimant_name", "publisher", "reported_on"} <= set(data.columns):
        return short_source_line(
            provenance.claim_source_line(data),
            claimants=data["claimant_name"].nunique(),
            outlets=data["publisher"].nunique(),
        )
    return provenance.table_source_line(data)


def _producer(data: pd.DataFrame) -> str:
    """Who produced a table (its origin's producer), for the words a chart says of its figures."""
    return str(data.attrs.get("metadata", {}).get("origin", {}).get("producer", "the table's producer"))


def finish_chart(
    ax: Axes,
    *,
    title: str,
    source: str,
    note: str | None,
    rows: pd.DataFrame,
    statuses: Iterable[str] | None = None,
    extra_keys: Iterable[tuple[str, str]] = (),
    whole: Axis | None = None,
    thousands: Axis | None = None,
    legend_ax: Axes | None = None,
) -> Axes:
    """What every chart ends with: its title, count ticks, the status key, the source line with its
    caveat under the axes, and the rows drawn attached for the figure's CSV."""
    ax.set_title(title)
    if whole is not None:
        _whole_numbers(whole)
    if thousands is not None:
        thousands.set_major_formatter(_THOUSANDS)
    if statuses is not None:
        _status_legend(legend_ax or ax, statuses, extra_keys)
    add_source_line(ax, source, note=note)
    chart_data.attach(ax, rows)
    return ax


def nothing_to_draw(ax: Axes, title: str, what: str) -> Axes:
    ax.set_title(title)
    ax.set_axis_off()
    ax.text(0.5, 0.5, f"No {what} match the chosen parameters.", ha="center", va="center", transform=ax.transAxes)
    chart_data.attach(ax, chart_data.empty_rows())
    return ax


def _separated(value: float, _position: object = None) -> str:
    return f"{value:,.0f}"


_THOUSANDS = FuncFormatter(_separated)


def _whole_numbers(axis: Axis) -> None:
    """A count axis ticks whole numbers only (never 0.5 people), with thousands separators (10,000)."""
    axis.set_major_locator(MaxNLocator(nbins=5, integer=True))  # room for '1,000' beside '2,000'
    axis.set_major_formatter(_THOUSANDS)


def _room_for_labels(top: float, open_ended: bool) -> float:
    """An axis trimmed to the data: the largest value plus room for its printed label (and arrow)."""
    return top * (1.2 if open_ended else 1.1) + 1


def _status_legend(ax: Axes, statuses: Iterable[str], extra_keys: Iterable[tuple[str, str]] = ()) -> None:
    """The status key (and any ``(colour, label)`` keys after it), outside the plot on the right,
    where it can never hide a bar or a label."""
    present = set(map(str, statuses))
    keys = [(STATUS_COLOURS[s], STATUS_HATCHES[s], STATUS_LABELS[s]) for s in STATUSES if s in present]
    keys += [(colour, None, label) for colour, label in extra_keys]
    handles = [
        Patch(facecolor=colour, hatch=hatch, edgecolor="white", label="\n".join(textwrap.wrap(label, 24)))
        for colour, hatch, label in keys
    ]
    ax.legend(handles=handles, title="Status", **KEY_OUTSIDE)


def open_end(ax: Axes, value: float, y: float, colour: str, length: float = 22) -> None:
    """A dashed arrow from a lower bound onwards: the figure may be higher ('at least')."""
    ax.annotate(
        "",
        xy=(value, y),
        xytext=(length, 0),
        textcoords="offset points",
        arrowprops={"arrowstyle": "<-", "color": colour, "linestyle": "--", "lw": 1.2},
    )


def _bar(
    ax: Axes,
    y: float,
    value: float,
    status: str,
    *,
    label: str | None = None,
    open_ended: bool = False,
    label_from: float | None = None,
    label_pad: float = 4,
    height: float = 0.7,
) -> None:
    """One horizontal bar; a lower bound ends in a dashed arrow (the figure may be higher)."""
    ax.barh(
        y,
        value,
        height=height,
        color=STATUS_COLOURS[status],
        hatch=STATUS_HATCHES[status],
        edgecolor="white",
        linewidth=0,
    )
    offset = label_pad
    if open_ended:
        open_end(ax, value, y, STATUS_COLOURS[status])
        offset = 26
    if label:
        ax.annotate(
            label,
            xy=(label_from if label_from is not None else value, y),
            xytext=(offset, 0),
            textcoords="offset points",
            va="center",
            fontsize=9,
            fontweight="bold",
        )


def plot_claims(data: pd.DataFrame, *, ax: Axes | None = None, title: str | None = None) -> Axes:
    """One bar per claim: its number as worded ('≥ 15'), who said it, colour by verification status.

    ``data`` are claims from ``load_claims`` (filtered); lower bounds end in a dashed arrow; the
    axis names the claims' unit.
    """
    ax = new_axes(ax, (8, max(2.6, 0.42 * len(data) + 1.6)))
    if data.empty:
        return nothing_to_draw(ax, title or "Figures as claimed", "claims")
    drawn = tables.with_labels(data).iloc[::-1].reset_index(drop=True)
    for y, row in drawn.iterrows():
        value = float(row["drawn"]) if pd.notna(row["drawn"]) else 0.0
        _bar(ax, y, value, str(row["status"]), label=row["label"], open_ended=row["qualifier"] == "at_least")
    # Each label names its population where more than one is drawn (all the dead, civilians), and
    # always where it is a part of the people (children), so "Missing ≥ 1" never drops "children".
    populations = drawn["population"].astype("string").fillna("")
    several = populations.nunique() > 1
    ticks = [
        f"{METRIC_LABELS.get(str(r.metric), r.metric)}"
        + (f" ({POPULATION_LABELS.get(p, p)})" if p and (several or p != "all") else "")
        + f" · {short_name(r.claimant_name)}\n{short_name(r.publisher)}, {r.reported_on:%d %b %Y}"
        for r, p in zip(drawn.itertuples(), populations, strict=False)
    ]
    ax.set_yticks(range(len(drawn)), ticks, fontsize=8)
    pad = max(0.0, (3 - len(drawn)) / 2)  # one or two claims keep bars of a usual thickness
    ax.set_ylim(-0.6 - pad, len(drawn) - 0.4 + pad)
    top = float(drawn["drawn"].max()) if drawn["drawn"].notna().any() else 1.0
    ax.set_xlim(0, _room_for_labels(top, bool((drawn["qualifier"] == "at_least").any())))
    units = list(dict.fromkeys(drawn["unit"].dropna().astype(str))) or ["people"]
    ax.set_xlabel(f"Number claimed ({' / '.join(units)})")
    return finish_chart(
        ax,
        title=title or "Figures as claimed",
        whole=ax.xaxis,
        statuses=drawn["status"],
        source=source_line(drawn),
        note=f"Status of the figures drawn: {tables.status_caption(drawn['status'])}. Each bar is a figure as "
        "the party named gave it (or the outlet, where it names no one), not an established fact; ≥ marks a "
        "lower bound ('at least').",
        rows=chart_data.claim_rows(drawn.iloc[::-1]),
    )


def claimant_palette(claimants: pd.DataFrame, claims: pd.DataFrame | None = None) -> dict[str, str]:
    """One colour per claimant's name, the same in every chart of a build: claimants in the order of
    ``claimants`` (claimants.csv) take the palette's colours in turn; with ``claims``, only those who
    gave a figure of people (killed, injured, missing, rescued) do, so the palette's few colours go
    further. A claimant past the palette's end is grey."""
    ids = claimants["claimant_id"].astype(str)
    if claims is not None:
        counted = claims[claims["metric"].astype(str).isin((*PEOPLE_METRICS, "rescued"))]
        ids = ids[ids.isin(set(counted["claimant"].astype(str)))]
    names = claimants.set_index("claimant_id")["name"].astype(str)
    hues = CLAIMANT_PALETTE[:-1]
    return {names[c]: hues[i] if i < len(hues) else CLAIMANT_PALETTE[-1] for i, c in enumerate(dict.fromkeys(ids))}


def _revision_rows(data: pd.DataFrame) -> pd.DataFrame:
    """The claims as drawn, one row per report: labelled, dated for a tick, each at the number drawn."""
    data = data.reset_index(drop=True)
    if "label" not in data.columns:
        data = tables.with_labels(data)
    if "when" not in data.columns:
        data = data.assign(when=[f"{d.day} {d:%b %Y}" for d in data["reported_on"]])
    # "up to N" has only a high value: it is drawn there; a row with no number at all keeps its line, unmarked.
    return data.assign(drawn=data["drawn"].fillna(data["value_high"]))


def _claimant_colours(claimants: list[str], palette: dict[str, str] | None) -> dict[str, str]:
    """Each claimant's colour: from ``palette`` (grey for one it lacks), else the palette's in order of appearance."""
    if palette is not None:
        return {name: palette.get(name, CLAIMANT_PALETTE[-1]) for name in claimants}
    return {name: CLAIMANT_PALETTE[i % len(CLAIMANT_PALETTE)] for i, name in enumerate(claimants)}


def _draw_revision_points(ax: Axes, data: pd.DataFrame, colour: dict[str, str]) -> None:
    """One marker per report at its number (▲ for a lower bound), in its claimant's colour, labelled as worded."""
    for y, row in data.iterrows():
        if pd.isna(row["drawn"]):
            continue
        value = float(row["drawn"])
        marker = "^" if row["qualifier"] == "at_least" else "o"
        ax.scatter(
            value,
            y,
            s=55,
            marker=marker,
            color=colour[str(row["claimant_name"])],
            zorder=3,
            edgecolor="black",
            linewidth=0.4,
        )
        ax.annotate(
            row["label"],
            xy=(value, y),
            xytext=(8, 0),
            textcoords="offset points",
            va="center",
            fontsize=8,
            fontweight="bold",
        )


def _draw_revision_links(ax: Axes, data: pd.DataFrame) -> None:
    """An arrow from each figure drawn to the one that revises it, where both have a number."""
    rows = {claim: y for y, claim in enumerate(data["claim_id"])}
    for y, row in data[data["revises"].notna() & data["drawn"].notna()].iterrows():
        if row["revises"] in rows and pd.notna(data.loc[rows[row["revises"]], "drawn"]):
            before = rows[row["revises"]]
            ax.annotate(
                "",
                xy=(float(row["drawn"]), y),
                xytext=(float(data.loc[before, "drawn"]), before),
                arrowprops={
                    "arrowstyle": "->",
                    "color": LINK,
                    "lw": 0.9,
                    "shrinkA": 5,
                    "shrinkB": 5,
                    "connectionstyle": "arc3,rad=0.3",
                },
                zorder=2,
            )


def _revision_axes(ax: Axes, data: pd.DataFrame) -> None:
    """A row per report (date and outlet, earliest at the top) and the metric's axis, trimmed to the numbers."""
    ax.set_yticks(range(len(data)), [f"{r.when} · {r.publisher}" for r in data.itertuples()], fontsize=MIN_FONT)
    ax.set_ylim(len(data) - 0.4, -0.6)  # earliest at the top
    top = float(data["drawn"].max()) if data["drawn"].notna().any() else 1.0
    ax.set_xlim(0, _room_for_labels(top, False))
    ax.grid(axis="y", visible=False)
    ax.grid(axis="x", visible=True)
    metric = str(data["metric"].iloc[0])
    ax.set_xlabel(
        f"{METRIC_LABELS.get(metric, metric)} ({data['unit'].iloc[0] if 'unit' in data.columns else 'people'})"
    )


def _revision_key(ax: Axes, data: pd.DataFrame, claimants: list[str], colour: dict[str, str]) -> None:
    """The key says who said each figure (the colours), not its status: every row's status is in the caption."""
    handles = [
        Line2D(
            [],
            [],
            marker="o",
            ls="",
            color=colour[c],
            markeredgecolor="black",
            markeredgewidth=0.4,
            label="\n".join(textwrap.wrap(short_name(c), 26)),
        )
        for c in claimants
    ]
    if (data["qualifier"] == "at_least").any():
        handles.append(Line2D([], [], marker="^", ls="", color="white", markeredgecolor="black", label="at least (▲)"))
    ax.legend(handles=handles, title="Who said it", fontsize=MIN_FONT, **KEY_OUTSIDE)


def plot_toll_revisions(
    data: pd.DataFrame,
    *,
    palette: dict[str, str] | None = None,
    ax: Axes | None = None,
    title: str | None = None,
) -> Axes:
    """Every claim of one metric over time, one row per report (earliest at the top), by claimant.

    ``data`` comes from ``tables.revision_history``. Each report keeps its own row, so
    counts given on the same day sit side by side and never on one point; an arrow links a
    figure to the one it revises; the colour says who said it (``palette``, claimant name →
    colour, from ``claimant_palette`` so a claimant keeps its colour from chart to chart; without
    it, colours in order of appearance), the marker how it was worded.
    """
    ax = new_axes(ax, (9, max(3.2, 0.34 * len(data) + 2.2)))
    if data.empty:
        return nothing_to_draw(ax, title or "How the reported figure changed", "claims")
    data = _revision_rows(data)
    claimants = list(dict.fromkeys(data["claimant_name"].astype(str)))
    colour = _claimant_colours(claimants, palette)
    _draw_revision_points(ax, data, colour)
    _draw_revision_links(ax, data)
    _revision_axes(ax, data)
    _revision_key(ax, data, claimants, colour)
    timed = data["when"].str.contains("UTC").any()
    return finish_chart(
        ax,
        title=title or "How the reported figure changed",
        whole=ax.xaxis,
        source=source_line(data),
        note=f"Status of the figures drawn: {tables.status_caption(data['status'])}. Each row is one "
        "report, in the order given (top first); arrows link a figure to the one it revises; "
        "counts that disagree are each kept, none picked."
        + (" Times are as the outlet gives them, with their UTC offset." if timed else ""),
        rows=chart_data.claim_rows(data, mark="point"),
    )


def plot_weapons(
    data: pd.DataFrame,
    *,
    systems: pd.DataFrame | None = None,
    claims: pd.DataFrame | None = None,
    ax: Axes | None = None,
    title: str | None = None,
) -> Axes:
    """Munitions claimed by canonical system; systems named without a count say so instead of a zero bar.

    ``data`` are weapon mentions (``load_weapon_mentions``, one event's), summed by system here as
    ``tables.weapons_claimed`` does. The axis says what was counted from the metric of the claim the
    counts break down (``claims``: launched or intercepted); the caption adds a system's own note
    (``systems``, weapon_systems.csv) only where a mention uses a name that note explains.
    """
    weapons = tables.weapons_claimed(data)
    ax = new_axes(ax, (8, max(3.6, 0.55 * len(weapons) + 1.8)))
    if weapons.empty:
        return nothing_to_draw(ax, title or "Weapons named, by system", "weapon mentions")
    drawn = weapons.iloc[::-1].reset_index(drop=True)
    for y, row in drawn.iterrows():
        names = f"reported as: {row['names_as_reported']}"
        if pd.isna(row["count_claimed"]):
            ax.text(0.2, y, f"named, no count given  ({names})", va="center", fontsize=8, style="italic")
            continue
        # a mix of statuses is drawn as the least checked of them
        status = max(row["status"].split(", "), key=STATUSES.index)
        _bar(ax, y, float(row["count_claimed"]), status, label=f"{int(row['count_claimed']):,}   ({names})")
    ax.set_yticks(
        range(len(drawn)),
        [
            f"{narrative.wrap(str(r.canonical_name), 22)}\n{WEAPON_TYPE_WORDS.get(r.type, r.type)}"
            for r in drawn.itertuples()
        ],
    )
    counts = drawn["count_claimed"].dropna()
    ax.set_xlim(0, (float(counts.max()) if len(counts) else 1) * 2.2)
    pad = max(0.0, (3 - len(drawn)) / 2)  # one or two systems keep bars of a usual thickness
    ax.set_ylim(-0.6 - pad, len(drawn) - 0.4 + pad)
    ax.set_xlabel(narrative.munitions_axis_label(data, claims))
    used = data[data["count_best"].notna()]
    cited = used if len(used) else data
    return finish_chart(
        ax,
        title=title or "Weapons named, by system",
        whole=ax.xaxis,  # munitions are counted whole
        statuses=cited["status"],
        source=source_line(cited),
        note=narrative.weapons_caption(data, systems, claims),
        rows=chart_data.weapon_rows(weapons, data),
    )


def plot_killed_by_category(data: pd.DataFrame, *, ax: Axes | None = None, title: str | None = None) -> Axes:
    """Killed by category (``tables.killed_by_category``): bars to the estimate chosen there (its
    ``estimate`` column), ranges as error bars, lower bounds as arrows."""
    ax = new_axes(ax, (8, 3.8))
    producer = _producer(data)
    drawn = data.iloc[::-1].reset_index(drop=True)
    for y, row in drawn.iterrows():
        value = float(row["drawn"])
        is_range = row["qualifier"] == "range"
        if is_range:
            ax.errorbar(
                value,
                y,
                xerr=[[value - row["value_low"]], [row["value_high"] - value]],
                fmt="none",
                ecolor="black",
                capsize=4,
                lw=1,
                zorder=4,
            )
        _bar(
            ax,
            y,
            value,
            str(row["status"]),
            label=row["label"],
            open_ended=row["qualifier"] == "at_least",
            label_from=float(row["value_high"]) if is_range else None,
            label_pad=9 if is_range else 4,  # clear of the error bar's cap
        )
    ax.set_yticks(range(len(drawn)), [_capital(CATEGORY_WORDS.get(str(c), str(c))) for c in drawn["category"]])
    ax.set_xlim(0, float(drawn["value_high"].fillna(drawn["drawn"]).max()) * 1.3)
    estimate = str(drawn["estimate"].iloc[0]) if "estimate" in drawn.columns and len(drawn) else "best"
    period = provenance.coverage(data)
    during = (
        f", {provenance.format_day(period['period_start'])} – {provenance.format_day(period['period_end'])}"
        if period
        else ""
    )
    ax.set_xlabel(f"People killed{during} ({estimate} estimate)")
    derived = drawn[drawn["status"].astype(str) == "derived"] if "derived_from" in drawn.columns else drawn.iloc[0:0]
    derived_note = "".join(
        f" {_capital(CATEGORY_WORDS.get(str(r.category), r.category))}: {r.label} = {r.derived_from} (derived)."
        for r in derived.iloc[::-1].itertuples()
    )
    return finish_chart(
        ax,
        title=title or f"Killed, by category ({producer})",
        thousands=ax.xaxis,
        statuses=drawn["status"],
        source=source_line(data),
        note=f"Error bars show {producer}'s ranges; a range's best estimate is its midpoint."
        + derived_note
        + f" {producer} counts only corroborated deaths; the actual numbers are likely higher.",
        rows=chart_data.ohchr_category_rows(data),
    )


def plot_civilian_deaths_by_year(data: pd.DataFrame, *, ax: Axes | None = None, title: str | None = None) -> Axes:
    """Civilians killed per year (``tables.civilian_deaths_by_year``), coloured by status; the
    sub-population counted apart (``counted_apart`` of the totals' metadata) stacked apart where included."""
    ax = new_axes(ax, (8, 4.2))
    apart = provenance.counted_apart(data)
    # The words for the people counted apart come from the data (the totals' .meta.yml), as does the period.
    apart_label = f"{apart['who']} ({provenance.format_day(apart['date'])})" if apart else "counted apart"
    apart_name = f"the {apart['name']} victims" if apart else "those counted apart"
    start = (provenance.coverage(data) or {}).get("period_start")
    first = pd.Timestamp(start) if start else None
    partial_first = first is not None and (first.month, first.day) != (1, 1) and first.year in set(data["year"])
    years = data["year"].astype(int).to_numpy()
    other = (data["killed"] - data["mh17"]).astype(float).to_numpy()
    for x, value, apart_n, status in zip(
        years, other, data["mh17"].astype(float), data["status"].astype(str), strict=False
    ):
        ax.bar(x, value, color=STATUS_COLOURS[status], hatch=STATUS_HATCHES[status], edgecolor="white", width=0.7)
        if apart_n:
            ax.bar(x, apart_n, bottom=value, color=SET_APART, edgecolor="white", width=0.7, label=apart_label)
        ax.text(x, value + apart_n + 25, f"{int(value + apart_n):,}", ha="center", fontsize=8)
    ax.set_xticks(years, [str(y) for y in years])
    ax.grid(axis="x", visible=False)
    ax.grid(axis="y", visible=True)
    ax.set_ylabel("Civilians killed (people)")
    derived = data[data["status"].astype(str) == "derived"]
    return finish_chart(
        ax,
        title=title or f"Civilians killed, by year ({_producer(data)})",
        whole=ax.yaxis,
        statuses=data["status"],
        extra_keys=[(SET_APART, apart_label)] if data["mh17"].sum() else [],
        source=source_line(data),
        note=f"Status: {tables.status_caption(data['status'], data['year'])}"
        + "".join(f" ({int(r.year)}: its count less {apart_name})" for r in derived.itertuples())
        + "."
        + (f" {first.year} counts from {first.day} {first:%B}." if partial_first else ""),
        rows=chart_data.yearly_rows(data),
    )


def _draw_years_panel(years_ax: Axes, yearly: pd.DataFrame, producer: str) -> None:
    """The years' panel: a bar per year of the producer's civilian deaths, earliest at the top."""
    for y, r in enumerate(yearly.itertuples()):
        _bar(years_ax, y, float(r.killed), str(r.status), label=f"{float(r.killed):,.0f}")
    years_ax.set_yticks(range(len(yearly)), [str(int(y)) for y in yearly["year"]])
    years_ax.set_ylim(len(yearly) - 0.4, -0.6)
    years_top = float(yearly["killed"].max()) if len(yearly) else 1.0
    years_ax.set_xlim(0, _room_for_labels(years_top, False))
    years_ax.set_xlabel(f"Civilians killed in the year (people, {producer})")


def _event_rows(labelled: pd.DataFrame) -> list[tuple[str, float, str, bool, str]]:
    """Each claimed toll as drawn: (tick: who and when, number, status, whether a lower bound, wording)."""
    return [
        (
            f"{short_name(r.claimant_name)}\n{r.reported_on.day} {r.reported_on:%b %Y}",
            float(r.drawn),
            str(r.status),
            r.qualifier == "at_least",
            r.label,
        )
        for r in labelled.itertuples()
    ]


def _draw_event_panel(event_ax: Axes, labelled: pd.DataFrame, event_rows: list, years: int) -> float:
    """The event's panel: a bar per claimed toll, as thick as the ``years`` bars beside it; returns its largest toll."""
    for y, (_label, value, status, open_ended, wording) in enumerate(event_rows):
        _bar(event_ax, y, value, status, label=wording, open_ended=open_ended)
    event_ax.set_yticks(range(len(event_rows)), [r[0] for r in event_rows], fontsize=MIN_FONT)
    pad = max(0.0, (years / 2 - len(event_rows)) / 2)  # bars as thick as the years' bars
    event_ax.set_ylim(len(event_rows) - 0.4 + pad, -0.6 - pad)
    event_top = max((r[1] for r in event_rows), default=1.0)
    event_ax.set_xlim(0, _room_for_labels(event_top, any(r[3] for r in event_rows)))
    event_name = str(labelled["event_name"].iloc[0]) if len(labelled) and "event_name" in labelled else "the event"
    event_ax.set_title(narrative.wrap(f"{event_name}: death toll as claimed", 34), fontsize=10, loc="left")
    event_ax.set_xlabel("People killed (as claimed)")
    _whole_numbers(event_ax.xaxis)
    return event_top


def _context_note(data: pd.DataFrame, yearly: pd.DataFrame, producer: str, drawn: bool, event_top: float) -> str:
    """The caption: whose counts stand beside whose, their statuses, and how far apart the two scales are."""
    yearly_status = tables.status_caption(yearly["status"], yearly["year"]) if len(yearly) else "none drawn"
    area = (provenance.coverage(yearly) or {}).get("area")
    where = f" in {area}" if area else ""
    claim_status = tables.status_caption(data["status"]) if len(data) else "none drawn"
    smallest = float(yearly["killed"].min()) if len(yearly) else None
    ratio = (
        f" The smallest year ({smallest:,.0f}) is {smallest / event_top:,.0f} times the event's largest toll "
        f"({event_top:,.0f}): the two panels' scales differ."
        if smallest and drawn and event_top and smallest / event_top >= 2
        else " The two panels' scales differ."
    )
    return (
        f"{producer}'s yearly counts of civilians killed{where} ({yearly_status}) beside one "
        f"event's toll ({claim_status}). Different counters and methods: not like for like." + ratio
    )


def _context_source(data: pd.DataFrame, yearly: pd.DataFrame) -> str:
    """The yearly table's origin, then the claims' sources (summed up where they would run long)."""
    claims_cited = provenance.claim_source_line(data).replace("Source: ", "Claims: ", 1)
    return short_source_line(
        f"{source_line(yearly)} {claims_cited}",
        claimants=data["claimant_name"].nunique() if len(data) else 0,
        outlets=data["publisher"].nunique() if len(data) else 0,
        what=f"{source_line(yearly)} Claims",
    )


def plot_toll_in_context(
    data: pd.DataFrame,
    *,
    yearly: pd.DataFrame,
    ax: Axes | None = None,
    title: str | None = None,
) -> Axes:
    """A claimed single-event death toll (``data``, claims) beside a producer's civilian deaths per whole
    year (``yearly``, from ``tables.civilian_deaths_by_year``): two panels side by side, each with
    bars from zero on its own linear axis, since one event's toll would not show on the years' scale
    (and bars on a log axis mislead: 17 would look a third of 2,084). The caption says how many times
    the event's toll the smallest year is. ``ax`` is the years' panel (returned); the event's panel is
    added at its right.

    The yearly figures are deaths, so only claims of people killed may stand beside them: any other
    metric is refused with a ``ValueError`` naming it.
    """
    for metric in sorted(set(data["metric"].astype(str))):
        tables.check_comparable_with_ohchr_deaths(metric)
    years_ax = new_axes(ax, (10, 0.45 * max(len(yearly), len(data), 2) + 2.2))
    event_ax = make_axes_locatable(years_ax).append_axes("right", size="66%", pad=2.9)
    producer = _producer(yearly)
    default_title = f"{producer}'s civilian deaths per year"
    if yearly.empty and data.empty:
        event_ax.set_axis_off()
        return nothing_to_draw(years_ax, title or default_title, "figures")
    _draw_years_panel(years_ax, yearly, producer)
    labelled = tables.with_labels(data)
    event_rows = _event_rows(labelled)
    event_top = _draw_event_panel(event_ax, labelled, event_rows, len(yearly))
    note = _context_note(data, yearly, producer, bool(event_rows), event_top)
    chart_data.attach(event_ax, chart_data.claim_rows(labelled) if len(labelled) else chart_data.empty_rows())
    return finish_chart(
        years_ax,
        title=title or default_title,
        whole=years_ax.xaxis,
        statuses=[*yearly["status"].astype(str), *(r[2] for r in event_rows)],
        source=_context_source(data, yearly),
        note=note,
        rows=chart_data.context_rows(data.iloc[0:0], yearly),
        legend_ax=event_ax,
    )


def country_colours(countries: pd.Series) -> dict[str, str]:
    """One colour per country named in the data, stable for the same set of countries."""
    names = sorted(set(countries.dropna().astype(str)))
    return {name: COUNTRY_PALETTE[i % len(COUNTRY_PALETTE)] for i, name in enumerate(names)}


def _cited(places: pd.DataFrame, column: str) -> str:
    """'Wikipedia (English): Atown, Btown; The Gazette: its headline', one publisher at a time, from the
    publisher and title ``tables.places_with_sources`` joined for ``column``; unknown ids as they are."""
    named = places[places[column].notna()]
    table = pd.DataFrame(
        {
            "id": named[column].astype(str),
            "publisher": named[f"{column}_publisher"],
            "title": named[f"{column}_title"],
        }
    ).drop_duplicates("id")
    table = table.sort_values("id")
    known = table[table["publisher"].notna()]
    text = [
        f"{publisher}: {', '.join(sorted(map(str, titles)))}"
        for publisher, titles in known.groupby(known["publisher"].astype(str), sort=True)["title"]
    ]
    return "; ".join(text + list(table.loc[table["publisher"].isna(), "id"]))


def _places_source_line(places: pd.DataFrame) -> str:
    """Who located the places and who named them (the sources joined by ``tables.places_with_sources``)."""
    if "coord_source_id_publisher" not in places.columns:
        return "Source: places.csv (coordinates from the source in coord_source_id; names from mentioned_in)."
    parts = []
    if places["coord_source_id"].notna().any():
        parts.append("coordinates (verified) from " + _cited(places, "coord_source_id"))
    if places["mentioned_in"].notna().any():
        parts.append("places as named in " + _cited(places, "mentioned_in"))
    if places["mentioned_in"].isna().any():
        parts.append("other places named by no recorded source (their notes in places.csv say why they are shown)")
    full = "Source: " + "; ".join(parts) + "." if parts else ""
    if len(textwrap.wrap(full, SOURCE_WIDTH)) <= SOURCE_LINES:
        return full
    located = places.loc[places["coord_source_id"].notna(), "coord_source_id_publisher"].dropna().astype(str)
    named = places["mentioned_in"].dropna().astype(str).nunique()
    coordinates = f"coordinates (verified) from {_listing(sorted(set(located)))}; " if len(located) else ""
    return (
        f"Sources: {coordinates}places as named in {_plural(named, 'report')}; each listed in the chart's "
        "data (CSV) and its Sources tab."
    )


def _degrees(axis: str):
    """Tick labels of a map's axis in degrees with their hemisphere: '36.4° E', '12° S'."""
    ends = ("E", "W") if axis == "x" else ("N", "S")

    def label(value: float, _position: object = None) -> str:
        text = f"{abs(value):.2f}".rstrip("0").rstrip(".")
        return f"{text}°" if abs(value) < 1e-9 else f"{text}° {ends[0] if value > 0 else ends[1]}"

    return FuncFormatter(label)


def map_extent(longitudes: pd.Series, latitudes: pd.Series) -> tuple[float, float, float, float]:
    """The view of a map of these points (west, south, east, north): their spread and three quarters
    of it again on each side, and at least 0.25° of latitude each side of the middle (as much again,
    to the eye, of longitude), so one place is not alone in a blank square; clipped to the globe."""
    lat, lon = latitudes.astype(float), longitudes.astype(float)
    squeeze = max(0.1, math.cos(math.radians(float(lat.mean()))))
    half_lat = max((lat.max() - lat.min()) * 0.75, 0.25)
    half_lon = max((lon.max() - lon.min()) * 0.75, 0.25 / squeeze)
    mid_lat, mid_lon = (lat.max() + lat.min()) / 2, (lon.max() + lon.min()) / 2
    return (
        max(-180.0, mid_lon - half_lon),
        max(-90.0, mid_lat - half_lat),
        min(180.0, mid_lon + half_lon),
        min(90.0, mid_lat + half_lat),
    )


def _fill_box(ax: Axes, extent: tuple[float, float, float, float], squeeze: float):
    """``extent`` widened (or heightened) about its middle to the shape of the axes' box, so a map at its
    true aspect (``squeeze``: cos(latitude)) fills the whole box."""
    west, south, east, north = extent
    box = ax.get_position()
    width, height = ax.figure.get_size_inches()
    shape = (box.width * width) / (box.height * height)  # the box's width over its height
    wide, tall = (east - west) * squeeze, north - south
    if wide / tall < shape:
        grow = (tall * shape / squeeze - (east - west)) / 2
        west, east = west - grow, east + grow
    else:
        grow = (wide / shape - tall) / 2
        south, north = south - grow, north + grow
    return west, south, east, north


# Where a place's label may stand beside its marker (points right/left, up/down; alignment): tried in turn.
_LABEL_SPOTS = (
    ((6, 4), "left", "bottom"),
    ((-6, 4), "right", "bottom"),
    ((6, -4), "left", "top"),
    ((-6, -4), "right", "top"),
)


def _inside(box, frame) -> bool:
    return box.x0 >= frame.x0 and box.x1 <= frame.x1 and box.y0 >= frame.y0 and box.y1 <= frame.y1


def keep_labels_inside(ax: Axes, texts: list, *, clear_of: list = ()) -> None:
    """Move each place's label (an annotation) to the first spot beside its marker where it stays inside
    the axes and clear of the labels placed before it and of the texts ``clear_of`` (a map's country
    names); failing that, to the spot inside the axes that overlaps least. The map's limits are final
    by then (drawn once to know them)."""
    fig = ax.figure
    renderer = fig.canvas.get_renderer()
    fig.draw_without_rendering()
    frame = ax.get_window_extent(renderer)
    placed = [t.get_window_extent(renderer) for t in clear_of]
    for text in texts:
        best, best_cost = None, None
        for offset, ha, va in _LABEL_SPOTS:
            text.set_position(offset)
            text.set_ha(ha)
            text.set_va(va)
            box = text.get_window_extent(renderer)
            outside = 0 if _inside(box, frame) else 1
            overlap = sum(
                max(0.0, min(box.x1, o.x1) - max(box.x0, o.x0)) * max(0.0, min(box.y1, o.y1) - max(box.y0, o.y0))
                for o in placed
            )
            cost = (outside, overlap)
            if best_cost is None or cost < best_cost:
                best, best_cost = (offset, ha, va), cost
            if cost == (0, 0):
                break
        text.set_position(best[0])
        text.set_ha(best[1])
        text.set_va(best[2])
        placed.append(text.get_window_extent(renderer))


def _mark_place(ax: Axes, row, ref: pd.Series | None, is_ref: bool, colour: str):
    """One place's marker (a star for the reference), its dotted line from the reference and its label;
    returns the label (an annotation) for ``keep_labels_inside`` to move."""
    ax.scatter(
        row.longitude,
        row.latitude,
        s=130 if is_ref else 55,
        marker="*" if is_ref else "o",
        color=colour,
        zorder=3,
        edgecolor="black",
        linewidth=0.5,
    )
    label = narrative.wrap(str(row.name), 24)
    if ref is not None and not is_ref and pd.notna(getattr(row, "distance_km", None)):
        label += f"\n{row.distance_km:,.0f} km from {narrative.wrap(str(ref['name']), 24)}"
        ax.plot(
            [ref["longitude"], row.longitude],
            [ref["latitude"], row.latitude],
            color=LINK,
            lw=0.8,
            ls=":",
            zorder=2,
        )
    return ax.annotate(
        label,
        (row.longitude, row.latitude),
        xytext=(6, 4),
        textcoords="offset points",
        fontsize=8,
        zorder=4,
        bbox={"boxstyle": "round,pad=0.15", "facecolor": "white", "edgecolor": "none", "alpha": 0.8},
    )


def _map_view(ax: Axes, located: pd.DataFrame) -> tuple[tuple[float, float, float, float], float]:
    """Set the map's limits and true aspect from the located places; returns the view and its squeeze."""
    lat = located["latitude"].astype(float)
    lon = located["longitude"].astype(float)
    squeeze = max(0.1, math.cos(math.radians(float(lat.mean()))))
    west, south, east, north = _fill_box(ax, map_extent(lon, lat), squeeze)
    ax.set_xlim(west, east)
    ax.set_ylim(south, north)
    ax.set_aspect(1 / squeeze)  # a degree of longitude as long as it is at this latitude
    return (west, south, east, north), squeeze


def _map_frame(ax: Axes, view: tuple[float, float, float, float]) -> None:
    """The map's limits restored after the basemap, its axes ticked in degrees, framed and without a grid."""
    west, south, east, north = view
    ax.set_xlim(west, east)
    ax.set_ylim(south, north)
    ax.xaxis.set_major_locator(MaxNLocator(5))  # long longitude labels never run into each other
    ax.xaxis.set_major_formatter(_degrees("x"))
    ax.yaxis.set_major_formatter(_degrees("y"))
    ax.grid(False)
    for spine in ax.spines.values():
        spine.set_visible(True)
        spine.set_color(SET_APART)


def _country_key(ax: Axes, located: pd.DataFrame, colours: dict[str, str]) -> None:
    """The key of the markers' colours: the country each located place lies in, as the data records it."""
    for country in sorted({str(c) for c in located["country"]}):
        ax.scatter([], [], color=colours[country], edgecolor="black", linewidth=0.5, label=narrative.wrap(country, 24))
    ax.legend(title="Country (as recorded)", **KEY_OUTSIDE)


def _draw_map(ax: Axes, located: pd.DataFrame, colours: dict[str, str], labels: list) -> None:
    """The map under the marked places: its view, the countries and their names, the frame, the key, and
    each place's label moved inside it."""
    view, squeeze = _map_view(ax, located)
    drawn = basemap.draw_countries(ax, view)
    names = basemap.label_countries(
        ax, drawn, view, located[["longitude", "latitude"]].astype(float).to_numpy(), squeeze=squeeze
    )
    _map_frame(ax, view)
    _country_key(ax, located, colours)
    keep_labels_inside(ax, labels, clear_of=names)


def _say_no_map(ax: Axes) -> None:
    """Where no place has verified coordinates, the axes say so instead of drawing an empty map."""
    ax.set_axis_off()
    ax.text(
        0.5,
        0.5,
        "No place here has verified coordinates: nothing to draw on a map.",
        ha="center",
        va="center",
        transform=ax.transAxes,
    )


def _list_unlocated(ax: Axes, unlocated: pd.DataFrame) -> None:
    """The places without verified coordinates, listed in a box beside the map, never placed on it."""
    listing = "\n".join(f"• {narrative.wrap(f'{r.name} ({r.admin_area})', 30)}" for r in unlocated.itertuples())
    ax.text(
        1.02,
        0.0,
        "No verified coordinates\n(not plotted):\n" + listing,
        transform=ax.transAxes,
        va="bottom",
        fontsize=8,
        bbox={"facecolor": BOX_FACE, "edgecolor": BOX_EDGE},
    )


def plot_places(
    data: pd.DataFrame,
    *,
    reference: str | None = None,
    ax: Axes | None = None,
    title: str | None = None,
) -> Axes:
    """A map of the places with verified coordinates; the others listed beside it, never guessed.

    The view is taken from the places' coordinates (``map_extent``), on country borders from
    Natural Earth shipped in the package (``basemap``), with the name of each country in view.
    A marker's colour stands for the country the data says the place lies in; distances are drawn
    from ``reference`` when one is given and the table has ``distance_km`` (``tables.distances_from``).
    Every label stays inside the map (``keep_labels_inside``). The source line cites the sources
    ``tables.places_with_sources`` joined to the places, and the map's.
    """
    places = data
    ax = new_axes(ax, (8, 6))
    title = title or "Places named, where coordinates are verified"
    if places.empty:
        return nothing_to_draw(ax, title, "places")
    located = places[places["latitude"].notna() & places["longitude"].notna()]
    unlocated = places[places["latitude"].isna() | places["longitude"].isna()]
    by_id = places.set_index("place_id")
    ref = by_id.loc[reference] if reference is not None and reference in by_id.index else None
    colours = country_colours(places["country"])
    labels = [
        _mark_place(ax, row, ref, ref is not None and row.place_id == reference, colours[str(row.country)])
        for row in located.itertuples()
    ]
    note = "Places without verified coordinates are listed, not placed."
    if len(located):
        _draw_map(ax, located, colours, labels)
        note = ("Distances are great-circle distances. " if ref is not None and len(located) > 1 else "") + note
        note += " " + basemap.MAP_CREDIT
    else:
        _say_no_map(ax)
    if len(unlocated):
        _list_unlocated(ax, unlocated)
    return finish_chart(
        ax,
        title=title,
        source=_places_source_line(places),
        note=note,
        rows=chart_data.place_rows(places),
    )


def plot_figures_by_status(data: pd.DataFrame, *, ax: Axes | None = None, title: str | None = None) -> Axes:
    """How many figures each party gave, by verification status (from ``tables.provenance_table``)."""
    ax = new_axes(ax, (8, 4))
    if data.empty:
        return nothing_to_draw(ax, title or "Figures by who said them", "figures")
    counts = data.groupby(["who_said_it", "status"]).size().unstack("status", fill_value=0)
    order = [s for s in STATUSES if s in counts.columns]  # every status, so no figure goes uncounted
    counts = counts[order].loc[counts.sum(axis=1).sort_values().index]
    left = pd.Series(0, index=counts.index)
    for status in order:
        ax.barh(
            range(len(counts)),
            counts[status],
            left=left,
            color=STATUS_COLOURS[status],
            hatch=STATUS_HATCHES[status],
            edgecolor="white",
            label=STATUS_LABELS[status],
        )
        left = left + counts[status]
    ax.set_yticks(range(len(counts)), counts.index)
    ax.xaxis.get_major_locator().set_params(integer=True)
    ax.set_xlabel("Figures recorded (count)")
    # the bars' own key: each stacked segment's status label, unwrapped, in the order stacked
    ax.legend(title="Status", **KEY_OUTSIDE)
    files = data.attrs.get("drawn_from") or ["data"]
    return finish_chart(
        ax,
        title=title or "Figures by who said them and how far each was checked",
        source=f"Source: the workbook's {' and '.join(files)}, curated from the sources in sources.csv.",
        note=f"Status of the {len(data)} figures drawn: {tables.status_caption(data['status'])}.",
        rows=chart_data.status_count_rows(data),
    )
