"""Chart functions in seaborn's idiom: ``plot_x(data, *, ax=None, ...) -> Axes``.

They draw and return; they never save (``figures.save_figure`` does). Every chart has a
title, units, a marking of each figure's verification status, and a source line built
from the data's provenance. Lower bounds are drawn open-ended and ranges as ranges.
"""

from __future__ import annotations

import textwrap

import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.patches import Patch

from . import analysis, figure_data, provenance
from .style import STATUS_COLOURS, STATUS_HATCHES, STATUS_LABELS, use_house_style

METRIC_LABELS = {
    "killed": "Killed", "injured": "Injured", "missing": "Missing", "rescued": "Rescued",
    "casualties": "Casualties (killed + injured)", "munitions_launched": "Munitions launched",
    "munitions_intercepted": "Munitions intercepted", "storeys_collapsed": "Storeys collapsed",
    "settlements_captured": "Settlements captured", "villages_captured": "Villages captured",
}
CATEGORY_LABELS = {
    "all": "All killed", "civilians": "Civilians", "ukrainian_forces": "Ukrainian forces",
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
    ax.annotate("\n".join(lines), xy=(0, 0), xycoords="axes fraction", xytext=(0, -34),
                textcoords="offset points", ha="left", va="top", fontsize=7, color="#444444")


def _nothing_to_draw(ax: Axes, title: str, what: str) -> Axes:
    ax.set_title(title)
    ax.set_axis_off()
    ax.text(0.5, 0.5, f"No {what} match the chosen parameters.", ha="center", va="center", transform=ax.transAxes)
    figure_data.attach(ax, figure_data.empty_rows())
    return ax


def _status_legend(ax: Axes, statuses: list[str]) -> None:
    """The status key, outside the plot on the right, where it can never hide a bar or a label."""
    handles = [Patch(facecolor=STATUS_COLOURS[s], hatch=STATUS_HATCHES[s], edgecolor="white",
                     label="\n".join(textwrap.wrap(STATUS_LABELS[s], 24)))
               for s in ("verified", "secondary", "unverified", "claimed") if s in statuses]
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1.0), title="Status", title_fontsize=8,
              alignment="left")


def _bar(ax: Axes, y: float, value: float, status: str, *, label: str | None = None, open_ended: bool = False,
         label_from: float | None = None, height: float = 0.7) -> None:
    """One horizontal bar; a lower bound ends in a dashed arrow (the figure may be higher)."""
    ax.barh(y, value, height=height, color=STATUS_COLOURS[status], hatch=STATUS_HATCHES[status],
            edgecolor="white", linewidth=0)
    offset = 4
    if open_ended:
        ax.annotate("", xy=(value, y), xytext=(22, 0), textcoords="offset points",
                    arrowprops={"arrowstyle": "<-", "color": STATUS_COLOURS[status], "linestyle": "--", "lw": 1.2})
        offset = 26
    if label:
        ax.annotate(label, xy=(label_from if label_from is not None else value, y), xytext=(offset, 0),
                    textcoords="offset points", va="center", fontsize=9, fontweight="bold")


def plot_claims(claims: pd.DataFrame, *, ax: Axes | None = None, title: str | None = None,
                unit: str = "people") -> Axes:
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
    ticks = [f"{METRIC_LABELS.get(str(r.metric), r.metric)} · {r.claimant_name}\n{r.publisher}, {r.reported_on:%d %b %Y}"
             for r in data.itertuples()]
    ax.set_yticks(range(len(data)), ticks, fontsize=8)
    top = float(data["drawn"].max()) if data["drawn"].notna().any() else 1.0
    ax.set_xlim(0, top * 1.45 + 2)
    ax.set_xlabel(f"Number claimed ({unit})")
    ax.set_title(title or "Figures as claimed")
    _status_legend(ax, sorted(set(map(str, data["status"]))))
    add_source_line(ax, provenance.claim_source_line(data),
                    note="Each bar is a claim by the party named, not an established fact; "
                         "≥ marks a lower bound ('at least').")
    figure_data.attach(ax, figure_data.claim_rows(data.iloc[::-1]))
    return ax


def plot_toll_revisions(history: pd.DataFrame, *, ax: Axes | None = None, title: str | None = None) -> Axes:
    """The reported toll over time: each report a point, each revision an arrow from the one it revises."""
    ax = _axes(ax, (8, 4.2))
    if history.empty:
        return _nothing_to_draw(ax, title or "How the reported toll changed", "claims")
    data = history.reset_index(drop=True)
    if "label" not in data.columns:
        data = analysis.with_labels(data)
    x = data["reported_on"]
    for row in data.itertuples():
        marker = "^" if row.qualifier == "at_least" else "o"
        ax.scatter(row.reported_on, float(row.drawn), s=70, marker=marker, color=STATUS_COLOURS[str(row.status)],
                   zorder=3, edgecolor="black", linewidth=0.4)
    by_id = data.set_index("claim_id")
    for row in data[data["revises"].notna()].itertuples():
        if row.revises in by_id.index:
            before = by_id.loc[row.revises]
            ax.annotate("", xy=(row.reported_on, float(row.drawn)), xytext=(before["reported_on"], float(before["drawn"])),
                        arrowprops={"arrowstyle": "->", "color": "#555555", "lw": 1})
    # Points that share a date and value get one label listing every claim behind them.
    for (date, value), group in data.groupby(["reported_on", "drawn"], sort=True):
        lines = [f"{r.label}  {r.claimant_name}, via {r.publisher}" for r in group.itertuples()]
        ax.annotate("\n".join(sorted(set(lines))), xy=(date, float(value)), xytext=(10, 0),
                    textcoords="offset points", fontsize=7, va="center")
    ax.set_xticks(sorted(set(x)), [f"{d:%d %b %Y}" for d in sorted(set(x))])
    ax.set_xlim(x.min() - pd.Timedelta(hours=12), x.max() + pd.Timedelta(days=1))
    values = data["drawn"].astype(float)
    ax.set_ylim(max(0, values.min() - 3), values.max() + 3)
    ax.grid(axis="y")
    ax.set_ylabel(f"{METRIC_LABELS.get(str(data['metric'].iloc[0]), '')} (people)")
    ax.set_xlabel("Date reported")
    ax.set_title(title or "How the reported toll changed")
    _status_legend(ax, sorted(set(map(str, data["status"]))))
    add_source_line(ax, provenance.claim_source_line(data),
                    note="Arrows link a later figure to the one it revises; ▲ marks a lower bound ('at least'). "
                         "Earlier figures are kept, not overwritten.")
    figure_data.attach(ax, figure_data.claim_rows(data, mark="point"))
    return ax


def plot_weapons(weapons: pd.DataFrame, mentions: pd.DataFrame, *, ax: Axes | None = None,
                 title: str | None = None) -> Axes:
    """Munitions claimed by canonical system; systems named without a count say so instead of a zero bar."""
    ax = _axes(ax, (8, 3.6))
    if weapons.empty:
        return _nothing_to_draw(ax, title or "Weapons named, by system", "weapon mentions")
    data = weapons.iloc[::-1].reset_index(drop=True)
    for y, row in data.iterrows():
        names = f"reported as: {row['names_as_reported']}"
        if pd.isna(row["count_claimed"]):
            ax.text(0.2, y, f"named, no count given  ({names})", va="center", fontsize=8, style="italic")
            continue
        status = "secondary" if "secondary" in row["status"] else row["status"].split(", ")[0]
        _bar(ax, y, float(row["count_claimed"]), status, label=f"{int(row['count_claimed'])}   ({names})")
    ax.set_yticks(range(len(data)), [f"{r.canonical_name}\n{r.type.replace('_', ' ')}" for r in data.itertuples()])
    counts = data["count_claimed"].dropna()
    ax.set_xlim(0, (float(counts.max()) if len(counts) else 1) * 2.2)
    ax.set_xlabel("Munitions claimed intercepted (count)")
    ax.set_title(title or "Weapons named, by system")
    used = mentions[mentions["count_best"].notna()]
    _status_legend(ax, sorted(set(map(str, (used if len(used) else mentions)["status"]))))
    add_source_line(ax, provenance.claim_source_line(used if len(used) else mentions),
                    note="Counts are the Russian Defence Ministry's claim of what it intercepted; "
                         "'Adler' in the report is the Vilkha system.")
    figure_data.attach(ax, figure_data.weapon_rows(weapons, mentions))
    return ax


def plot_killed_by_category(killed: pd.DataFrame, totals: pd.DataFrame, *, ax: Axes | None = None,
                            estimate: str = "best", title: str | None = None) -> Axes:
    """OHCHR's killed by category: bars to the chosen estimate, ranges as error bars, lower bounds as arrows."""
    ax = _axes(ax, (8, 3.8))
    data = killed.iloc[::-1].reset_index(drop=True)
    for y, row in data.iterrows():
        value = float(row["drawn"])
        is_range = row["qualifier"] == "range"
        if is_range:
            ax.errorbar(value, y, xerr=[[value - row["value_low"]], [row["value_high"] - value]], fmt="none",
                        ecolor="black", capsize=4, lw=1, zorder=4)
        _bar(ax, y, value, str(row["status"]), label=row["label"], open_ended=row["qualifier"] == "at_least",
             label_from=float(row["value_high"]) if is_range else None)
    ax.set_yticks(range(len(data)), [CATEGORY_LABELS.get(str(c), str(c)) for c in data["category"]])
    ax.set_xlim(0, float(data["value_high"].fillna(data["drawn"]).max()) * 1.3)
    ax.xaxis.set_major_formatter(lambda v, _: f"{v:,.0f}")
    ax.set_xlabel(f"People killed, 14 April 2014 – 31 December 2021 ({estimate} estimate)")
    ax.set_title(title or "Killed in the conflict in eastern Ukraine, by category")
    _status_legend(ax, sorted(set(map(str, data["status"]))))
    add_source_line(ax, provenance.table_source_line(totals),
                    note="Error bars show OHCHR's ranges; a range's best estimate is its midpoint. "
                         "OHCHR counts only corroborated deaths; the actual numbers are likely higher.")
    figure_data.attach(ax, figure_data.ohchr_category_rows(killed, totals))
    return ax


def plot_civilian_deaths_by_year(yearly: pd.DataFrame, by_year: pd.DataFrame, *, ax: Axes | None = None,
                                 title: str | None = None) -> Axes:
    """Civilians killed per year, coloured by status; the MH17 victims stacked apart where included."""
    ax = _axes(ax, (8, 4.2))
    years = yearly["year"].astype(int).to_numpy()
    other = (yearly["killed"] - yearly["mh17"]).astype(float).to_numpy()
    for x, value, mh17, status in zip(years, other, yearly["mh17"].astype(float), yearly["status"].astype(str)):
        ax.bar(x, value, color=STATUS_COLOURS[status], hatch=STATUS_HATCHES[status], edgecolor="white", width=0.7)
        if mh17:
            ax.bar(x, mh17, bottom=value, color="#999999", edgecolor="white", width=0.7, label="aboard MH17 (17 July 2014)")
        ax.text(x, value + mh17 + 25, f"{int(value + mh17):,}", ha="center", fontsize=8)
    ax.set_xticks(years, [str(y) for y in years])
    ax.grid(axis="x", visible=False)
    ax.grid(axis="y", visible=True)
    ax.set_ylabel("Civilians killed (people)")
    ax.set_title(title or "Civilians killed in eastern Ukraine, by year")
    handles = [Patch(facecolor=STATUS_COLOURS[s], hatch=STATUS_HATCHES[s], edgecolor="white", label=STATUS_LABELS[s])
               for s in ("verified", "secondary", "unverified") if s in set(yearly["status"].astype(str))]
    if yearly["mh17"].sum():
        handles.append(Patch(facecolor="#999999", label="aboard MH17 (17 July 2014)"))
    ax.legend(handles=[Patch(facecolor=h.get_facecolor(), hatch=h.get_hatch(), edgecolor="white",
                             label="\n".join(textwrap.wrap(h.get_label(), 24))) for h in handles],
              loc="upper left", bbox_to_anchor=(1.01, 1.0), title="Status", title_fontsize=8, alignment="left")
    add_source_line(ax, provenance.table_source_line(by_year),
                    note="2014 counts from 14 April. Yearly figures are marked with how far each was checked.")
    figure_data.attach(ax, figure_data.yearly_rows(yearly, by_year))
    return ax


def plot_toll_in_context(event_claims: pd.DataFrame, yearly: pd.DataFrame, by_year: pd.DataFrame, *,
                         ax: Axes | None = None, title: str | None = None) -> Axes:
    """A claimed single-event toll beside OHCHR's civilian deaths per whole year (log scale)."""
    ax = _axes(ax, (8, 4.4))
    if yearly.empty and event_claims.empty:
        return _nothing_to_draw(ax, title or "A claimed toll beside OHCHR's civilian deaths per year", "figures")
    rows = [(f"{int(r.year)}: civilians killed\nin the year (OHCHR)", float(r.killed), str(r.status), False)
            for r in yearly.itertuples()]
    for r in analysis.with_labels(event_claims).itertuples():
        rows.append((f"{r.event_name}\n{r.claimant_name}, {r.reported_on:%d %b %Y}", float(r.drawn), str(r.status),
                     r.qualifier == "at_least"))
    for y, (label, value, status, open_ended) in enumerate(rows):
        _bar(ax, y, value, status, label=("≥ " if open_ended else "") + f"{value:,.0f}", open_ended=open_ended)
    ax.set_yticks(range(len(rows)), [r[0] for r in rows], fontsize=7.5)
    ax.invert_yaxis()
    ax.set_xscale("log")
    ax.set_xlim(1, max(r[1] for r in rows) * 4)
    ax.xaxis.set_major_formatter(lambda v, _: f"{v:,.0f}")
    ax.set_xlabel("People killed (log scale)")
    ax.set_title(title or "A claimed toll beside OHCHR's civilian deaths per year")
    _status_legend(ax, sorted({r[2] for r in rows}))
    add_source_line(ax, provenance.table_source_line(by_year) + " "
                    + provenance.claim_source_line(event_claims).replace("Source: ", "Claims: ", 1),
                    note="Different counters and methods: OHCHR's verified annual counts of civilians in eastern "
                         "Ukraine against one event's toll claimed by a party to the war. Not like for like.")
    figure_data.attach(ax, figure_data.context_rows(event_claims, yearly, by_year))
    return ax


def plot_places(places: pd.DataFrame, *, reference: str = "belgorod", ax: Axes | None = None,
                title: str | None = None) -> Axes:
    """Places with verified coordinates plotted (longitude, latitude); the others listed, never guessed."""
    ax = _axes(ax, (8, 6))
    located = places[places["latitude"].notna()]
    unlocated = places[places["latitude"].isna()]
    ref = places.set_index("place_id").loc[reference]
    for row in located.itertuples():
        is_ref = row.place_id == reference
        colour = "#D55E00" if row.country == "Russia" else "#0072B2"
        ax.scatter(row.longitude, row.latitude, s=120 if is_ref else 50, marker="*" if is_ref else "o",
                   color=colour, zorder=3, edgecolor="black", linewidth=0.4)
        label = row.name
        if not is_ref and pd.notna(getattr(row, "distance_km", None)):
            label += f"\n{row.distance_km:.0f} km from {ref['name']}"
            ax.plot([ref["longitude"], row.longitude], [ref["latitude"], row.latitude], color="#999999",
                    lw=0.7, ls=":", zorder=1)
        ax.annotate(label, (row.longitude, row.latitude), xytext=(6, 4), textcoords="offset points", fontsize=8)
    ax.set_aspect(1 / max(0.1, float(pd.Series(located["latitude"]).astype(float).mean() and
                                     __import__("math").cos(__import__("math").radians(float(located["latitude"].mean()))))))
    ax.margins(0.25)
    ax.grid(axis="both")
    ax.set_xlabel("Longitude (° E)")
    ax.set_ylabel("Latitude (° N)")
    ax.set_title(title or "Places named, where coordinates are verified")
    if len(unlocated):
        listing = "\n".join(f"• {r.name} ({r.admin_area})" for r in unlocated.itertuples())
        ax.text(1.02, 1.0, "No verified coordinates\n(not plotted):\n" + listing, transform=ax.transAxes,
                va="top", fontsize=8, bbox={"facecolor": "#f4f4f4", "edgecolor": "#cccccc"})
    ax.scatter([], [], color="#D55E00", label="Russia")
    ax.scatter([], [], color="#0072B2", label="Ukraine")
    ax.legend(loc="lower left")
    add_source_line(ax, "Source: coordinates from encyclopaedia entries, verified; places as named in the report "
                        "and by Ukraine's military.",
                    note="Distances are great-circle distances. Villages without verified coordinates are listed, not placed.")
    figure_data.attach(ax, figure_data.place_rows(places))
    return ax


def plot_figures_by_status(table: pd.DataFrame, *, ax: Axes | None = None, title: str | None = None) -> Axes:
    """How many figures each party gave, by verification status (from ``analysis.provenance_table``)."""
    ax = _axes(ax, (8, 4))
    if table.empty:
        return _nothing_to_draw(ax, title or "Figures by who said them", "figures")
    counts = table.groupby(["who_said_it", "status"]).size().unstack("status", fill_value=0)
    order = [s for s in ("verified", "secondary", "unverified", "claimed") if s in counts.columns]
    counts = counts[order].loc[counts.sum(axis=1).sort_values().index]
    left = pd.Series(0, index=counts.index)
    for status in order:
        ax.barh(range(len(counts)), counts[status], left=left, color=STATUS_COLOURS[status],
                hatch=STATUS_HATCHES[status], edgecolor="white", label=STATUS_LABELS[status])
        left = left + counts[status]
    ax.set_yticks(range(len(counts)), counts.index)
    ax.xaxis.get_major_locator().set_params(integer=True)
    ax.set_xlabel("Figures recorded (count)")
    ax.set_title(title or "Figures by who said them and how far each was checked")
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), title="Status", title_fontsize=8, alignment="left")
    add_source_line(ax, "Source: the workbook's claims.csv and ohchr_totals.csv, curated from the sources in sources.csv.")
    figure_data.attach(ax, figure_data.status_count_rows(table))
    return ax
