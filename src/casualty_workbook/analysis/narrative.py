"""Prose about an event, written from the data: what notebooks say of an event comes from here.

No event's name, place or weapon is written in code: titles, paragraphs and captions are
built from ``events.csv`` (name, dates, region, description), the claims drawn (their metric,
claimants, publishers and statuses), the weapon systems' own notes and the places table.
Functions return Markdown (or plain text for charts); ``show`` displays Markdown in a notebook.
"""

from __future__ import annotations

import numbers
import re
import textwrap

import pandas as pd

from casualty_workbook.analysis.tables import format_value
from casualty_workbook.data.schemas import (
    CATEGORY_WORDS,
    METRIC_WORDS,
    POPULATION_LABELS,
    QUALIFIER_WORDS,
    STATUS_LABELS,
    STATUS_WORDS,
    STATUSES,
    WEAPON_TYPE_WORDS,
)

# What a count of munitions is a count of, by the metric of the claim it breaks down.
MUNITION_VERBS = {"munitions_launched": "launched", "munitions_intercepted": "intercepted"}
DEFAULT_EVENT_RULE = (
    "the most recent event of events.csv (latest date_end; on a tie, the one with more claims, then the first event_id)"
)


def show(markdown: str) -> None:
    """Display Markdown built here as a notebook output (prose that depends on the data)."""
    from IPython.display import Markdown, display

    display(Markdown(markdown))


def choose_event(event: str | None, events: pd.DataFrame, claims: pd.DataFrame) -> str:
    """``event`` itself, or for None the default: the most recent event (see ``DEFAULT_EVENT_RULE``)."""
    if event is not None:
        if event not in set(events["event_id"].astype(str)):
            raise ValueError(f"event {event!r} is not an event_id of events.csv")
        return event
    if events.empty:
        raise ValueError("events.csv has no events to report on")
    counts = claims["event_id"].astype(str).value_counts()
    ranked = events.assign(
        _claims=events["event_id"].astype(str).map(counts).fillna(0), _id=events["event_id"].astype(str)
    )
    ranked = ranked.sort_values(["date_end", "_claims", "_id"], ascending=[False, False, True])
    return str(ranked["_id"].iloc[0])


def event_row(event: str, events: pd.DataFrame) -> pd.Series:
    return events.set_index(events["event_id"].astype(str)).loc[event]


def _day(value: object) -> str:
    stamp = pd.Timestamp(value)
    return f"{stamp.day} {stamp:%B %Y}"


def event_dates(row: pd.Series) -> str:
    """'12 May 2024', 'about 12 May 2024' or '14 April 2014 to 31 December 2021', as precise as recorded."""
    start, end = pd.Timestamp(row["date_start"]), pd.Timestamp(row["date_end"])
    precision = str(row["date_precision"])
    if precision == "month" and start.to_period("M") == end.to_period("M"):
        text = f"{start:%B %Y}"
    elif precision == "year" and start.year == end.year:
        text = str(start.year)
    elif start == end:
        text = _day(start)
    else:
        text = f"{_day(start)} to {_day(end)}"
    return f"about {text}" if precision == "approximate" else text


def _listing(words: list[str]) -> str:
    words = list(dict.fromkeys(w for w in words if w))
    if len(words) <= 1:
        return "".join(words)
    return ", ".join(words[:-1]) + " and " + words[-1]


def status_summary(statuses: pd.Series) -> str:
    """'2 claimed by a party, not independently verified; 1 secondary (...)' from the statuses drawn."""
    counts = statuses.astype(str).value_counts()
    return "; ".join(f"{counts[s]} {STATUS_LABELS[s]}" for s in STATUSES if s in counts)


# A list longer than this is written as a bulleted list, not a sentence.
LIST_AFTER = 3


def _list_or_sentence(items: list[str]) -> str:
    """'a, b and c' for a few items; a Markdown bulleted list (on its own lines) for more."""
    items = list(dict.fromkeys(i for i in items if i))
    if len(items) <= LIST_AFTER:
        return _listing(items)
    return "\n\n" + "\n".join(f"- {item}" for item in items) + "\n\n"


def who_said_it(claims: pd.DataFrame) -> str:
    """The claimants and publishers of the claims, most frequent first, and how far they were checked:
    a sentence for a few, bulleted lists (with each one's count of figures) for more."""
    if claims.empty:
        return "No figure is recorded for this event."
    claimants = claims["claimant_name"].astype(str).value_counts(sort=True)
    publishers = claims["publisher"].astype(str).value_counts(sort=True)

    def counted(counts: pd.Series) -> list[str]:
        if len(counts) <= LIST_AFTER:
            return list(counts.index)
        return [f"{name} ({n} figure{'s' if n != 1 else ''})" for name, n in counts.items()]

    statuses = status_summary(claims["status"]).split("; ")
    checked = _list_or_sentence(statuses) if len(statuses) > LIST_AFTER else "; ".join(statuses)
    text = (
        f"{len(claims)} figure{'s' if len(claims) != 1 else ''}, stated by {_list_or_sentence(counted(claimants))}"
        f"{'' if len(claimants) > LIST_AFTER else ' '}and published by {_list_or_sentence(counted(publishers))}"
        f"{'' if len(publishers) > LIST_AFTER else '. '}How far they were checked: {checked}"
    )
    return text.rstrip() + ("" if text.rstrip().endswith("\n") or len(statuses) > LIST_AFTER else ".")


CHARTED_METRICS = ("killed", "injured", "missing", "rescued")  # what an event's report draws charts of


def event_intro(event: str, events: pd.DataFrame, claims: pd.DataFrame, mentions: pd.DataFrame | None = None) -> str:
    """The opening of an event's report: its name, when and where, what happened, who gave the figures.
    An event with nothing to chart (no figure of people, no weapon named) says so in its heading and first
    sentence. What every figure is (a claim, drawn with its wording) is said once, by the notebook."""
    row = event_row(event, events)
    chosen = claims[claims["event_id"].astype(str) == event]
    where = ", ".join(str(row[c]) for c in ("region", "country") if pd.notna(row[c]))
    named = mentions[mentions["event_id"].astype(str) == event] if mentions is not None else None
    drawable = chosen["metric"].astype(str).isin(CHARTED_METRICS).any() or (named is not None and len(named))
    heading = f"# {row['name']}"
    nothing = ""
    if not drawable:
        heading += ": no casualty or weapon figure to chart"
        kinds = _listing(sorted({METRIC_WORDS.get(m, m) for m in chosen["metric"].astype(str)}))
        nothing = (
            "**Nothing to chart.** No figure of people killed, injured, missing or rescued and no weapon is "
            "recorded for this event"
            + (f"; the figures recorded ({kinds}) are listed below" if len(chosen) else "")
            + ".\n\n"
        )
    return f"{heading}\n\n{nothing}*{event_dates(row)}, {where}.* {row['description']}\n\n{who_said_it(chosen)}"


def munitions_verb(mentions: pd.DataFrame, claims: pd.DataFrame | None) -> str | None:
    """'launched' or 'intercepted' when every counted mention breaks down a claim of that metric, else None."""
    counted = mentions[mentions["count_best"].notna()]
    if claims is None or counted.empty or counted["part_of_claim"].isna().any():
        return None
    metrics = claims.set_index("claim_id")["metric"].astype(str)
    verbs = {MUNITION_VERBS.get(metrics.get(str(c), ""), "") for c in counted["part_of_claim"]}
    return verbs.pop() if len(verbs) == 1 and "" not in verbs else None


def munitions_axis_label(mentions: pd.DataFrame, claims: pd.DataFrame | None) -> str:
    verb = munitions_verb(mentions, claims)
    return f"Munitions claimed {verb} (count)" if verb else "Munitions claimed (count)"


def naming_notes(mentions: pd.DataFrame, systems: pd.DataFrame | None) -> list[str]:
    """A system's own note, for each name a mention uses that is not the canonical name and that the note explains."""
    if systems is None or mentions.empty:
        return []
    by_id = systems.set_index(systems["system_id"].astype(str))
    notes = []
    pairs = (
        mentions[["name_as_reported", "system_id"]]
        .astype(str)
        .drop_duplicates()
        .sort_values(["system_id", "name_as_reported"])
    )
    for name, system in pairs.itertuples(index=False):
        if system not in by_id.index:
            continue
        canonical, note = str(by_id.loc[system, "canonical_name"]), by_id.loc[system, "note"]
        if name != canonical and pd.notna(note) and name.lower() in str(note).lower():
            notes.append(f"'{name}', as reported, is the {canonical} system: {note}")
    return notes


def weapons_caption(mentions: pd.DataFrame, systems: pd.DataFrame | None, claims: pd.DataFrame | None) -> str:
    """What the weapons chart's counts are (whose claim, of what) and what the reported names mean."""
    counted = mentions[mentions["count_best"].notna()]
    verb = munitions_verb(mentions, claims)
    parts = []
    if len(counted):
        who = _listing(sorted(set(counted["claimant_name"].astype(str))))
        parts.append(
            f"The counts are of munitions {verb}, as claimed by {who}."
            if verb
            else f"The counts are as claimed by {who}."
        )
    else:
        parts.append("No mention gives a count.")
    return " ".join(parts + naming_notes(mentions, systems))


def weapons_intro(mentions: pd.DataFrame, systems: pd.DataFrame | None, claims: pd.DataFrame | None) -> str:
    """The weapons section's paragraph, or a sentence saying no weapon is recorded."""
    if mentions.empty:
        return (
            "No weapon is named in the recorded mentions for this event (with the chosen claimant): no chart is drawn."
        )
    names = _listing(sorted(set(mentions["name_as_reported"].astype(str))))
    return (
        f"Weapons named, as reported: {names}. Each mention keeps the name as reported and maps it to its "
        f"canonical system. {weapons_caption(mentions, systems, claims)}"
    )


def has_revisions(history: pd.DataFrame) -> bool:
    """Whether a metric's history holds at least one claim that revises another."""
    return bool(len(history) and history["revises"].notna().any())


def revisions_intro(history: pd.DataFrame, metric: str = "killed") -> str:
    word = METRIC_WORDS.get(metric, metric)
    if history.empty:
        return f"No figure for {word} is recorded for this event: there is no toll to follow over time."
    if not has_revisions(history):
        return (
            f"{len(history)} figure{'s' if len(history) != 1 else ''} for {word}, none revising another: "
            "no revision to chart."
        )
    revised = int(history["revises"].notna().sum())
    return (
        f"{len(history)} figures for {word}, {revised} of them revising an earlier one. A later figure does "
        "not overwrite an earlier one: it is a new claim that points at the one it revises, so the toll's "
        "history stays visible."
    )


def event_places(places: pd.DataFrame, events: pd.DataFrame, event: str, reference: str | None = None) -> pd.DataFrame:
    """The places an event's report shows: the event's own place, those in its region, and the reference."""
    row = event_row(event, events)
    keep = places["admin_area"].astype(str).str.casefold() == str(row["region"]).casefold()
    wanted = {str(row["place_id"])} if pd.notna(row["place_id"]) else set()
    if reference is not None:
        wanted.add(reference)
    keep |= places["place_id"].astype(str).isin(wanted)
    return places[keep].reset_index(drop=True)


def reference_place(reference: str | None, events: pd.DataFrame, event: str, places: pd.DataFrame) -> str | None:
    """``reference``, or for None the event's own place when it has verified coordinates (else no reference)."""
    if reference is not None:
        return reference
    place = event_row(event, events)["place_id"]
    located = set(places.loc[places["latitude"].notna(), "place_id"].astype(str))
    return str(place) if pd.notna(place) and str(place) in located else None


def places_intro(event: str, events: pd.DataFrame, places: pd.DataFrame, sources: pd.DataFrame) -> str:
    """The places section's paragraph: which places are shown and who named them."""
    row = event_row(event, events)
    if places.empty:
        return f"No place of {row['region']} is recorded in places.csv for {row['name']}: there is no map to draw."
    titles = sources.set_index(sources["source_id"].astype(str))["title"].astype(str)
    named = places[places["mentioned_in"].notna()]
    by_source = [
        f"in {titles.get(str(source), str(source))}: {_listing(list(group['name'].astype(str)))}"
        for source, group in named.groupby(named["mentioned_in"].astype(str), sort=True)
    ]
    located = places["latitude"].notna()
    text = (
        f"# {row['name']}: places\n\nThe places of {row['region']} recorded in the workbook, with the event's own "
        f"place and the place distances are measured from, if any. Named "
        f"{'; '.join(by_source) if by_source else 'by no recorded source'}."
    )
    context = places[places["mentioned_in"].isna()]
    if len(context):
        text += f" Not named by a recorded source (see their notes): {_listing(list(context['name'].astype(str)))}."
    text += (
        f" {int(located.sum())} of {len(places)} have verified coordinates and are drawn on the map; "
        "the others are **listed, not guessed**."
    )
    return text


def context_intro(event: str, events: pd.DataFrame, claims: pd.DataFrame, metric: str) -> str:
    """The context report's opening: the event's claimed figure set beside OHCHR's yearly civilian deaths."""
    row = event_row(event, events)
    chosen = claims[(claims["event_id"].astype(str) == event) & (claims["metric"].astype(str) == metric)]
    word = METRIC_WORDS.get(metric, metric)
    if chosen.empty:
        figures = f"No figure for {word} is recorded for {row['name']}; only OHCHR's counts are drawn."
    else:
        figures = f"{row['name']} ({event_dates(row)}, {row['region']}), figures for {word}: {who_said_it(chosen)}"
    return f"# {row['name']}: a claimed figure in context\n\n{figures}"


def ohchr_intro(totals: pd.DataFrame) -> str:
    """OHCHR's headline totals, written from ohchr_totals.csv (its own wording and status)."""
    apart = totals.attrs.get("metadata", {}).get("counted_apart") or {}
    categories = {
        "all": "everyone",
        "civilians": "civilians",
        "ukrainian_forces": "Ukrainian forces",
        "armed_groups": "members of armed groups",
    }
    if apart:
        categories[str(apart.get("category"))] = f"civilians {apart.get('who', '')}".strip()
    lines = []
    for r in totals.itertuples():  # in the table's own order
        value = format_value(r.value_low, r.value_best, r.value_high, str(r.qualifier))
        category = categories.get(str(r.category), str(r.category).replace("_", " "))
        lines.append(
            f"- {str(r.outcome).capitalize()}, {category}: {value} ({STATUS_WORDS.get(str(r.status), r.status)})"
            + (f". {r.note}" if pd.notna(r.note) else "")
        )
    origin = totals.attrs.get("metadata", {}).get("origin", {})
    source = (
        (
            f"From {origin.get('producer', 'OHCHR')}, *{origin.get('title', '')}* "
            f"(published {origin.get('date_published', 'on an unknown date')}). "
        )
        if origin
        else ""
    )
    return source + "OHCHR's totals as recorded, each with its status:\n\n" + "\n".join(lines)


def wrap(text: str, width: int = 28) -> str:
    """A long name on several lines, so a tick label or a map label stays readable."""
    return "\n".join(textwrap.wrap(text, width)) or text


# A table's headings and codes in words (the codebook's, data/README.md), for the tables a report shows.
TABLE_HEADINGS = {
    "claim_id": "Claim",
    "metric": "What was counted",
    "population": "Who",
    "label": "Figure as worded",
    "value": "Figure as worded",
    "unit": "Unit",
    "qualifier": "Wording",
    "claimant_name": "Who said it",
    "publisher": "Published by",
    "reported_on": "Date",
    "when": "When reported",
    "revises": "Revises claim",
    "status": "Status",
    "quote": "Quote",
    "category": "Category",
    "year": "Year",
    "killed": "Killed",
    "note": "Note",
    "canonical_name": "System",
    "type": "Type",
    "count_claimed": "Count claimed",
    "names_as_reported": "Names as reported",
    "name": "Name",
    "name_russian": "Name in Russian",
    "kind": "Kind",
    "admin_area": "Region",
    "latitude": "Latitude (° N)",
    "longitude": "Longitude (° E)",
    "coord_status": "Coordinates",
    "distance_km": "Distance (km)",
    "mentioned_in": "Named in",
    "share_percent": "Share of civilian casualties (%)",
    "step": "Step",
    "people": "People",
    "event_id": "Event",
    "event_name": "Event",
    "figure": "Figure",
    "value_as_worded": "Figure as worded",
    "who_said_it": "Who said it",
    "published_by": "Published by",
    "quote_kind": "Quote is",
    "derived_from": "Derived from",
    "url": "Address",
    "mentions": "Mentions",
}
_VALUE_WORDS = {
    "metric": METRIC_WORDS,
    "status": STATUS_WORDS,
    "coord_status": {"verified": "verified", "unverified": "not verified: not placed on the map"},
    "qualifier": QUALIFIER_WORDS,
    "population": POPULATION_LABELS,
    "quote_kind": {"verbatim": "verbatim", "as_recorded": "as recorded (not checked word for word)"},
    "category": CATEGORY_WORDS,
    "type": WEAPON_TYPE_WORDS,
}


_ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


def _cell(value: object, *, separators: bool = True) -> str:
    """A cell as a reader reads it: an empty cell for a missing value, dates as '13 May 2024', counts
    with thousands separators (not a year's column: ``separators=False``)."""
    if value is None or (not isinstance(value, (list, tuple)) and pd.isna(value)):
        return ""
    if isinstance(value, pd.Timestamp) or (isinstance(value, str) and _ISO_DAY.fullmatch(value)):
        return _day(value)
    if isinstance(value, numbers.Real) and not isinstance(value, bool):
        if float(value).is_integer():
            return f"{int(value):,}" if separators else str(int(value))
        return f"{float(value):,.6g}" if separators else str(value)
    return str(value)


def table(
    data: pd.DataFrame, columns: list[str] | None = None, *, empty: str | None = "Nothing of this kind is recorded."
):
    """A table for a report's reader (displayed as HTML): no index column, headings and codes in words
    (``TABLE_HEADINGS``), an empty cell where a value is missing; a sentence (``empty``) instead of an
    empty table, or nothing at all (``empty=None``) where the report has said so already."""
    from IPython.display import HTML, Markdown

    if data is None or data.empty:
        return Markdown(empty) if empty is not None else None
    shown = data.reindex(columns=columns) if columns is not None else data.copy()
    for column, words in _VALUE_WORDS.items():
        if column in shown.columns:
            shown[column] = [words.get(str(v), v) if pd.notna(v) else v for v in shown[column]]
    for column in shown.columns:
        shown[column] = [_cell(v, separators=column != "year") for v in shown[column]]
    shown = shown.rename(columns=lambda c: TABLE_HEADINGS.get(c, c))
    return HTML(shown.to_html(index=False, border=0, escape=True))
