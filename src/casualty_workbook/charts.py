"""Chart functions in seaborn's idiom: ``plot_x(data, *, ax=None, ...) -> Axes``.

They draw and return; they never save (``figures.save_figure`` does). Every chart has a
title, units, a marking of each figure's verification status, and a source line built
from the data's provenance. Lower bounds are drawn open-ended and ranges as ranges.
"""

from __future__ import annotations

import math
import textwrap

import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import MaxNLocator

from . import analysis, figure_data, narrative, provenance
from .style import CLAIMANT_PALETTE, STATUS_COLOURS, STATUS_HATCHES, STATUS_LABELS, STATUS_ORDER, use_house_style

METRIC_LABELS = {
    "killed": "Killed",
    "injured": "Injured",
    "missing": "Missing",
    "rescued": "Rescued",
    "casualties": "Casualties (killed + injured)",
    "munitions_launched": "Munitions launched",
    "munitions_intercepted": "Munitions intercepted",
    "storeys_collapsed": "Storeys collapsed",
    "settlements_captured": "Settlements captured",
    "villages_captured": "Villages captured",
}
WEAPON_TYPE_LABELS = {
    "ballistic_missile": "ballistic missile",
    "mlrs": "MLRS (multiple rocket launcher)",
    "guided_mlrs": "guided MLRS",
    "cruise_missile": "cruise missile",
    "drone": "drone",
    "artillery": "artillery",
}
CATEGORY_LABELS = {
    "all": "All killed",
    "civilians": "Civilians",
    "ukrainian_forces": "Ukrainian forces",
    "armed_groups": "Members of armed groups",
}


def _axes(ax: Axes | None, size: tuple[float, float] = (8, 4.8)) -> Axes:
    if ax is not None:
        return ax
    use_house_style()
    _, ax = plt.subplots(figsize=size)
    return ax


def add_source_line(ax: Axes, text: str, *, note: str | None = None) -> None:
    """Print the source (and an optional caveat) under the axes, wrapped to the figure's width."""
    lines = textwrap.wrap(text, 130)
    if note:
        lines += textwrap.wrap(note, 130)
    ax.annotate(
        "\n".join(lines),
        xy=(0, 0),
        xycoords="axes fraction",
        xytext=(0, -34),
        textcoords="offset points",
        ha="left",
        va="top",
        fontsize=7,
        color="#444444",
    )


def _nothing_to_draw(ax: Axes, title: str, what: str) -> Axes:
    ax.set_title(title)
    ax.set_axis_off()
    ax.text(0.5, 0.5, f"No {what} match the chosen parameters.", ha="center", va="center", transform=ax.transAxes)
    figure_data.attach(ax, figure_data.empty_rows())
    return ax


def _whole_numbers(axis) -> None:
    """A count axis ticks whole numbers only (never 0.5 people)."""
    axis.set_major_locator(MaxNLocator(integer=True))


def _status_legend(ax: Axes, statuses: list[str]) -> None:
    """The status key, outside the plot on the right, where it can never hide a bar or a label."""
    handles = [
        Patch(
            facecolor=STATUS_COLOURS[s],
            hatch=STATUS_HATCHES[s],
            edgecolor="white",
            label="\n".join(textwrap.wrap(STATUS_LABELS[s], 24)),
        )
        for s in STATUS_ORDER
        if s in statuses
    ]
    ax.legend(
        handles=handles,
        loc="upper left",
        bbox_to_anchor=(1.01, 1.0),
        title="Status",
        title_fontsize=8,
        alignment="left",
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
    offset = 4
    if open_ended:
        ax.annotate(
            "",
            xy=(value, y),
            xytext=(22, 0),
            textcoords="offset points",
            arrowprops={"arrowstyle": "<-", "color": STATUS_COLOURS[status], "linestyle": "--", "lw": 1.2},
        )
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


def plot_claims(
    claims: pd.DataFrame, *, ax: Axes | None = None, title: str | None = None, unit: str = "people"
) -> Axes:
    """One bar per claim: its number as worded ('≥ 15'), who said it, colour by verification status.

    ``claims`` comes from ``load_claims`` (filtered); lower bounds end in a dashed arrow.
    """
    ax = _axes(ax, (8, max(2.6, 0.42 * len(claims) + 1.6)))
    if claims.empty:
        return _nothing_to_draw(ax, title or "Figures as claimed", "claims")
    data = analysis.with_labels(claims).iloc[::-1].reset_index(drop=True)
    for y, row in data.iterrows():
        value = float(row["drawn"]) if pd.notna(row["drawn"]) else 0.0
        _bar(ax, y, value, str(row["status"]), label=row["label"], open_ended=row["qualifier"] == "at_least")
    ticks = [
        f"{METRIC_LABELS.get(str(r.metric), r.metric)} · {r.claimant_name}\n{r.publisher}, {r.reported_on:%d %b %Y}"
        for r in data.itertuples()
    ]
    ax.set_yticks(range(len(data)), ticks, fontsize=8)
    top = float(data["drawn"].max()) if data["drawn"].notna().any() else 1.0
    ax.set_xlim(0, top * 1.45 + 2)
    _whole_numbers(ax.xaxis)
    ax.set_xlabel(f"Number claimed ({unit})")
    ax.set_title(title or "Figures as claimed")
    _status_legend(ax, sorted(set(map(str, data["status"]))))
    add_source_line(
        ax,
        provenance.claim_source_line(data),
        note=f"Status of the figures drawn: {analysis.status_caption(data['status'])}. Each bar is a claim "
        "by the party named, not an established fact; ≥ marks a lower bound ('at least').",
    )
    figure_data.attach(ax, figure_data.claim_rows(data.iloc[::-1]))
    return ax


def plot_toll_revisions(history: pd.DataFrame, *, ax: Axes | None = None, title: str | None = None) -> Axes:
    """Every claim of one metric over time, one row per report (earliest at the top), by claimant.

    ``history`` comes from ``analysis.revision_history``. Each report keeps its own row, so
    counts given on the same day sit side by side and never on one point; an arrow links a
    figure to the one it revises; the colour says who said it, the marker how it was worded.
    """
    ax = _axes(ax, (9, max(3.2, 0.34 * len(history) + 2.2)))
    if history.empty:
        return _nothing_to_draw(ax, title or "How the reported figure changed", "claims")
    data = history.reset_index(drop=True)
    if "label" not in data.columns:
        data = analysis.with_labels(data)
    if "when" not in data.columns:
        data = data.assign(when=[f"{d.day} {d:%b %Y}" for d in data["reported_on"]])
    # "up to N" has only a high value: it is drawn there; a row with no number at all keeps its line, unmarked.
    data = data.assign(drawn=data["drawn"].fillna(data["value_high"]))
    claimants = list(dict.fromkeys(data["claimant_name"].astype(str)))
    colour = {name: CLAIMANT_PALETTE[i % len(CLAIMANT_PALETTE)] for i, name in enumerate(claimants)}
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
                    "color": "#555555",
                    "lw": 0.9,
                    "shrinkA": 5,
                    "shrinkB": 5,
                    "connectionstyle": "arc3,rad=0.3",
                },
                zorder=2,
            )
    ax.set_yticks(range(len(data)), [f"{r.when} · {r.publisher}" for r in data.itertuples()], fontsize=7.5)
    ax.set_ylim(len(data) - 0.4, -0.6)  # earliest at the top
    top = float(data["drawn"].max()) if data["drawn"].notna().any() else 1.0
    ax.set_xlim(0, top * 1.2 + 2)
    _whole_numbers(ax.xaxis)
    ax.grid(axis="y", visible=False)
    ax.grid(axis="x", visible=True)
    metric = str(data["metric"].iloc[0])
    ax.set_xlabel(
        f"{METRIC_LABELS.get(metric, metric)} ({data['unit'].iloc[0] if 'unit' in data.columns else 'people'})"
    )
    ax.set_title(title or "How the reported figure changed")
    handles = [
        Line2D(
            [],
            [],
            marker="o",
            ls="",
            color=colour[c],
            markeredgecolor="black",
            markeredgewidth=0.4,
            label="\n".join(textwrap.wrap(c, 26)),
        )
        for c in claimants
    ]
    if (data["qualifier"] == "at_least").any():
        handles.append(Line2D([], [], marker="^", ls="", color="white", markeredgecolor="black", label="at least (▲)"))
    ax.legend(
        handles=handles,
        loc="upper left",
        bbox_to_anchor=(1.01, 1.0),
        title="Who said it",
        title_fontsize=8,
        alignment="left",
        fontsize=7.5,
    )
    timed = data["when"].str.contains("UTC").any()
    add_source_line(
        ax,
        provenance.claim_source_line(data),
        note=f"Status of the figures drawn: {analysis.status_caption(data['status'])}. Each row is one "
        "report, in the order given (top first); arrows link a figure to the one it revises; "
        "counts that disagree are each kept, none picked."
        + (" Times are as the outlet gives them, with their UTC offset." if timed else ""),
    )
    figure_data.attach(ax, figure_data.claim_rows(data, mark="point"))
    return ax


def plot_weapons(
    weapons: pd.DataFrame,
    mentions: pd.DataFrame,
    *,
    systems: pd.DataFrame | None = None,
    claims: pd.DataFrame | None = None,
    ax: Axes | None = None,
    title: str | None = None,
) -> Axes:
    """Munitions claimed by canonical system; systems named without a count say so instead of a zero bar.

    The axis says what was counted from the metric of the claim the counts break down (``claims``:
    launched or intercepted); the caption adds a system's own note (``systems``, weapon_systems.csv)
    only where a mention uses a name that note explains.
    """
    ax = _axes(ax, (8, max(3.6, 0.55 * len(weapons) + 1.8)))
    if weapons.empty:
        return _nothing_to_draw(ax, title or "Weapons named, by system", "weapon mentions")
    data = weapons.iloc[::-1].reset_index(drop=True)
    for y, row in data.iterrows():
        names = f"reported as: {row['names_as_reported']}"
        if pd.isna(row["count_claimed"]):
            ax.text(0.2, y, f"named, no count given  ({names})", va="center", fontsize=8, style="italic")
            continue
        # a mix of statuses is drawn as the least checked of them
        status = max(row["status"].split(", "), key=STATUS_ORDER.index)
        _bar(ax, y, float(row["count_claimed"]), status, label=f"{int(row['count_claimed'])}   ({names})")
    ax.set_yticks(
        range(len(data)),
        [
            f"{narrative.wrap(str(r.canonical_name), 22)}\n{WEAPON_TYPE_LABELS.get(r.type, r.type)}"
            for r in data.itertuples()
        ],
    )
    counts = data["count_claimed"].dropna()
    ax.set_xlim(0, (float(counts.max()) if len(counts) else 1) * 2.2)
    _whole_numbers(ax.xaxis)  # munitions are counted whole
    pad = max(0.0, (3 - len(data)) / 2)  # one or two systems keep bars of a usual thickness
    ax.set_ylim(-0.6 - pad, len(data) - 0.4 + pad)
    ax.set_xlabel(narrative.munitions_axis_label(mentions, claims))
    ax.set_title(title or "Weapons named, by system")
    used = mentions[mentions["count_best"].notna()]
    _status_legend(ax, sorted(set(map(str, (used if len(used) else mentions)["status"]))))
    add_source_line(
        ax,
        provenance.claim_source_line(used if len(used) else mentions),
        note=narrative.weapons_caption(mentions, systems, claims),
    )
    figure_data.attach(ax, figure_data.weapon_rows(weapons, mentions))
    return ax


def plot_killed_by_category(
    killed: pd.DataFrame,
    totals: pd.DataFrame,
    *,
    ax: Axes | None = None,
    estimate: str = "best",
    title: str | None = None,
) -> Axes:
    """OHCHR's killed by category: bars to the chosen estimate, ranges as error bars, lower bounds as arrows."""
    ax = _axes(ax, (8, 3.8))
    data = killed.iloc[::-1].reset_index(drop=True)
    for y, row in data.iterrows():
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
        )
    ax.set_yticks(range(len(data)), [CATEGORY_LABELS.get(str(c), str(c)) for c in data["category"]])
    ax.set_xlim(0, float(data["value_high"].fillna(data["drawn"]).max()) * 1.3)
    ax.xaxis.set_major_formatter(lambda v, _: f"{v:,.0f}")
    ax.set_xlabel(f"People killed, 14 April 2014 – 31 December 2021 ({estimate} estimate)")
    ax.set_title(title or "Killed in the conflict in eastern Ukraine, by category")
    _status_legend(ax, sorted(set(map(str, data["status"]))))
    derived = data[data["status"].astype(str) == "derived"] if "derived_from" in data.columns else data.iloc[0:0]
    derived_note = "".join(
        f" {CATEGORY_LABELS.get(str(r.category), r.category)}: {r.label} = {r.derived_from} (derived)."
        for r in derived.iloc[::-1].itertuples()
    )
    add_source_line(
        ax,
        provenance.table_source_line(totals),
        note="Error bars show OHCHR's ranges; a range's best estimate is its midpoint."
        + derived_note
        + " OHCHR counts only corroborated deaths; the actual numbers are likely higher.",
    )
    figure_data.attach(ax, figure_data.ohchr_category_rows(killed, totals))
    return ax


def plot_civilian_deaths_by_year(
    yearly: pd.DataFrame, by_year: pd.DataFrame, *, ax: Axes | None = None, title: str | None = None
) -> Axes:
    """Civilians killed per year, coloured by status; the MH17 victims stacked apart where included."""
    ax = _axes(ax, (8, 4.2))
    years = yearly["year"].astype(int).to_numpy()
    other = (yearly["killed"] - yearly["mh17"]).astype(float).to_numpy()
    for x, value, mh17, status in zip(
        years, other, yearly["mh17"].astype(float), yearly["status"].astype(str), strict=False
    ):
        ax.bar(x, value, color=STATUS_COLOURS[status], hatch=STATUS_HATCHES[status], edgecolor="white", width=0.7)
        if mh17:
            ax.bar(
                x, mh17, bottom=value, color="#999999", edgecolor="white", width=0.7, label="aboard MH17 (17 July 2014)"
            )
        ax.text(x, value + mh17 + 25, f"{int(value + mh17):,}", ha="center", fontsize=8)
    ax.set_xticks(years, [str(y) for y in years])
    ax.grid(axis="x", visible=False)
    ax.grid(axis="y", visible=True)
    _whole_numbers(ax.yaxis)
    ax.set_ylabel("Civilians killed (people)")
    ax.set_title(title or "Civilians killed in eastern Ukraine, by year")
    handles = [
        Patch(facecolor=STATUS_COLOURS[s], hatch=STATUS_HATCHES[s], edgecolor="white", label=STATUS_LABELS[s])
        for s in STATUS_ORDER
        if s in set(yearly["status"].astype(str))
    ]
    if yearly["mh17"].sum():
        handles.append(Patch(facecolor="#999999", label="aboard MH17 (17 July 2014)"))
    ax.legend(
        handles=[
            Patch(
                facecolor=h.get_facecolor(),
                hatch=h.get_hatch(),
                edgecolor="white",
                label="\n".join(textwrap.wrap(h.get_label(), 24)),
            )
            for h in handles
        ],
        loc="upper left",
        bbox_to_anchor=(1.01, 1.0),
        title="Status",
        title_fontsize=8,
        alignment="left",
    )
    derived = yearly[yearly["status"].astype(str) == "derived"]
    add_source_line(
        ax,
        provenance.table_source_line(by_year),
        note=f"Status: {analysis.status_caption(yearly['status'], yearly['year'])}"
        + "".join(f" ({int(r.year)}: its count less the MH17 victims)" for r in derived.itertuples())
        + ". 2014 counts from 14 April.",
    )
    figure_data.attach(ax, figure_data.yearly_rows(yearly, by_year))
    return ax


def plot_toll_in_context(
    event_claims: pd.DataFrame,
    yearly: pd.DataFrame,
    by_year: pd.DataFrame,
    *,
    ax: Axes | None = None,
    title: str | None = None,
) -> Axes:
    """A claimed single-event death toll beside OHCHR's civilian deaths per whole year (log scale).

    OHCHR's yearly figures are deaths, so only claims of people killed may stand beside them:
    any other metric is refused with a ``ValueError`` naming it.
    """
    for metric in sorted(set(event_claims["metric"].astype(str))):
        analysis.check_comparable_with_ohchr_deaths(metric)
    ax = _axes(ax, (8, 4.4))
    if yearly.empty and event_claims.empty:
        return _nothing_to_draw(ax, title or "A claimed death toll beside OHCHR's civilian deaths per year", "figures")
    rows = [
        (f"{int(r.year)}: civilians killed\nin the year (OHCHR)", float(r.killed), str(r.status), False)
        for r in yearly.itertuples()
    ]
    for r in analysis.with_labels(event_claims).itertuples():
        rows.append(
            (
                f"{r.event_name}\n{r.claimant_name}, {r.reported_on.day} {r.reported_on:%b %Y}",
                float(r.drawn),
                str(r.status),
                r.qualifier == "at_least",
            )
        )
    for y, (_label, value, status, open_ended) in enumerate(rows):
        _bar(ax, y, value, status, label=("≥ " if open_ended else "") + f"{value:,.0f}", open_ended=open_ended)
    ax.set_yticks(range(len(rows)), [r[0] for r in rows], fontsize=7.5)
    ax.invert_yaxis()
    ax.set_xscale("log")
    ax.set_xlim(1, max(r[1] for r in rows) * 4)
    ax.xaxis.set_major_formatter(lambda v, _: f"{v:,.0f}")
    ax.set_xlabel("People killed (log scale)")
    ax.set_title(title or "A claimed death toll beside OHCHR's civilian deaths per year")
    _status_legend(ax, sorted({r[2] for r in rows}))
    ohchr_status = analysis.status_caption(yearly["status"], yearly["year"]) if len(yearly) else "none drawn"
    claim_status = analysis.status_caption(event_claims["status"]) if len(event_claims) else "none drawn"
    add_source_line(
        ax,
        provenance.table_source_line(by_year)
        + " "
        + provenance.claim_source_line(event_claims).replace("Source: ", "Claims: ", 1),
        note=f"OHCHR's yearly counts of civilians killed in eastern Ukraine ({ohchr_status}) against one "
        f"event's toll ({claim_status}). Different counters and methods: not like for like.",
    )
    figure_data.attach(ax, figure_data.context_rows(event_claims, yearly, by_year))
    return ax


# Colour-blind-safe colours (Okabe and Ito) given to countries in alphabetical order.
COUNTRY_COLOURS = ("#D55E00", "#0072B2", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#F0E442", "#000000")


def country_colours(countries: pd.Series) -> dict[str, str]:
    """One colour per country named in the data, stable for the same set of countries."""
    names = sorted(set(countries.dropna().astype(str)))
    return {name: COUNTRY_COLOURS[i % len(COUNTRY_COLOURS)] for i, name in enumerate(names)}


def _places_source_line(places: pd.DataFrame, sources: pd.DataFrame | None) -> str:
    """Who located the places and who named them, from places.csv and (when given) sources.csv."""
    if sources is None:
        return "Source: places.csv (coordinates from the source in coord_source_id; names from mentioned_in)."
    by_id = sources.set_index(sources["source_id"].astype(str))

    def cited(ids: list[str]) -> str:
        # "Wikipedia (English): Atown, Btown; The Gazette: its headline", one publisher at a time
        known = by_id.loc[[i for i in ids if i in by_id.index]]
        groups = known.groupby(known["publisher"].astype(str), sort=True)["title"]
        text = [f"{publisher}: {', '.join(sorted(map(str, titles)))}" for publisher, titles in groups]
        return "; ".join(text + [i for i in ids if i not in by_id.index])

    located = sorted(set(places["coord_source_id"].dropna().astype(str)))
    named = sorted(set(places["mentioned_in"].dropna().astype(str)))
    parts = []
    if located:
        parts.append("coordinates (verified) from " + cited(located))
    if named:
        parts.append("places as named in " + cited(named))
    if places["mentioned_in"].isna().any():
        parts.append("other places named by no recorded source (their notes in places.csv say why they are shown)")
    return "Source: " + "; ".join(parts) + "." if parts else ""


def plot_places(
    places: pd.DataFrame,
    *,
    reference: str | None = None,
    sources: pd.DataFrame | None = None,
    ax: Axes | None = None,
    title: str | None = None,
) -> Axes:
    """Places with verified coordinates plotted (longitude, latitude); the others listed, never guessed.

    Colours stand for the country each place lies in (from the data); distances are drawn from
    ``reference`` when one is given and the table has ``distance_km`` (``analysis.distances_from``).
    """
    ax = _axes(ax, (8, 6))
    title = title or "Places named, where coordinates are verified"
    if places.empty:
        return _nothing_to_draw(ax, title, "places")
    located = places[places["latitude"].notna()]
    unlocated = places[places["latitude"].isna()]
    by_id = places.set_index("place_id")
    ref = by_id.loc[reference] if reference is not None and reference in by_id.index else None
    colours = country_colours(places["country"])
    for row in located.itertuples():
        is_ref = ref is not None and row.place_id == reference
        ax.scatter(
            row.longitude,
            row.latitude,
            s=120 if is_ref else 50,
            marker="*" if is_ref else "o",
            color=colours[str(row.country)],
            zorder=3,
            edgecolor="black",
            linewidth=0.4,
        )
        label = narrative.wrap(str(row.name), 24)
        if ref is not None and not is_ref and pd.notna(getattr(row, "distance_km", None)):
            label += f"\n{row.distance_km:.0f} km from {narrative.wrap(str(ref['name']), 24)}"
            ax.plot(
                [ref["longitude"], row.longitude],
                [ref["latitude"], row.latitude],
                color="#999999",
                lw=0.7,
                ls=":",
                zorder=1,
            )
        ax.annotate(label, (row.longitude, row.latitude), xytext=(6, 4), textcoords="offset points", fontsize=8)
    if len(located):
        lat = located["latitude"].astype(float)
        lon = located["longitude"].astype(float)
        squeeze = max(0.1, math.cos(math.radians(float(lat.mean()))))
        ax.set_aspect(1 / squeeze)
        # A quarter of the spread on each side, and at least ~0.2° of latitude, so one place is not a flat line.
        half_lat = max((lat.max() - lat.min()) * 0.75, 0.2)
        half_lon = max((lon.max() - lon.min()) * 0.75, 0.2 / squeeze)
        ax.set_ylim((lat.max() + lat.min()) / 2 - half_lat, (lat.max() + lat.min()) / 2 + half_lat)
        ax.set_xlim((lon.max() + lon.min()) / 2 - half_lon, (lon.max() + lon.min()) / 2 + half_lon)
        ax.xaxis.set_major_locator(MaxNLocator(5))  # long longitude labels never run into each other
        ax.grid(axis="both")
        ax.set_xlabel("Longitude (° E)")
        ax.set_ylabel("Latitude (° N)")
        for country in sorted({str(c) for c in located["country"]}):
            ax.scatter([], [], color=colours[country], label=narrative.wrap(country, 24))
        ax.legend(loc="lower left")
    else:
        ax.set_axis_off()
        ax.text(
            0.5,
            0.5,
            "No place here has verified coordinates: nothing to draw on a map.",
            ha="center",
            va="center",
            transform=ax.transAxes,
        )
    ax.set_title(title)
    if len(unlocated):
        listing = "\n".join(f"• {narrative.wrap(f'{r.name} ({r.admin_area})', 30)}" for r in unlocated.itertuples())
        ax.text(
            1.02,
            1.0,
            "No verified coordinates\n(not plotted):\n" + listing,
            transform=ax.transAxes,
            va="top",
            fontsize=8,
            bbox={"facecolor": "#f4f4f4", "edgecolor": "#cccccc"},
        )
    add_source_line(
        ax,
        _places_source_line(places, sources),
        note=("Distances are great-circle distances. " if ref is not None and len(located) > 1 else "")
        + "Places without verified coordinates are listed, not placed.",
    )
    figure_data.attach(ax, figure_data.place_rows(places))
    return ax


def plot_figures_by_status(table: pd.DataFrame, *, ax: Axes | None = None, title: str | None = None) -> Axes:
    """How many figures each party gave, by verification status (from ``analysis.provenance_table``)."""
    ax = _axes(ax, (8, 4))
    if table.empty:
        return _nothing_to_draw(ax, title or "Figures by who said them", "figures")
    counts = table.groupby(["who_said_it", "status"]).size().unstack("status", fill_value=0)
    order = [s for s in STATUS_ORDER if s in counts.columns]  # every status, so no figure goes uncounted
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
    ax.set_title(title or "Figures by who said them and how far each was checked")
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), title="Status", title_fontsize=8, alignment="left")
    add_source_line(
        ax,
        "Source: the workbook's claims.csv and ohchr_totals.csv, curated from the sources in sources.csv.",
        note=f"Status of the {len(table)} figures drawn: {analysis.status_caption(table['status'])}.",
    )
    figure_data.attach(ax, figure_data.status_count_rows(table))
    return ax
