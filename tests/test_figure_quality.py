"""Every figure the build makes, measured with matplotlib's own renderer: no two text labels
overlap, no label touches an error bar's cap, no marker is fully hidden under another, count
axes tick whole numbers only, and no raw identifier (``an_event_2024``) shows in a title, an
axis or a legend. Its encodings are honest: bars start at zero on a linear axis (never a log
axis), every number of four digits or more has its thousands separator, a claimant keeps one
colour in every chart of the build (and two claimants never share one in a chart), and a status
key says 'claimed' only for a party to the war's figures, 'attributed to no one' only for
figures the outlet attributes to no one.

The figures are made the way the build makes them: each report of ``catalogue.yml`` runs its
notebook's code cells, in this process, with the report's parameters, and every figure handed
to ``save_figure`` is caught and measured (nothing is written). A new report or a new chart
is therefore measured without touching this file.
"""

from __future__ import annotations

import math
import re
import weakref
from dataclasses import dataclass
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import nbformat
import pytest
from matplotlib.collections import PathCollection
from matplotlib.container import BarContainer
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.text import Text

from casualty_workbook.charts import chart_data as figure_data
from casualty_workbook.charts import saving as figures_module
from casualty_workbook.data.loading import load_table
from casualty_workbook.data.schemas import STATUS_LABELS, UNNAMED_SIDE, WAR_PARTIES
from casualty_workbook.pipeline.catalogue import read_catalogue

ROOT = Path(__file__).resolve().parents[1]
# An axis counts things when its label says so: its ticks must then be whole numbers.
COUNT_AXIS = re.compile(r"\bpeople\b|\(count\)|\((munitions|storeys|settlements)\)", re.I)
RAW_ID = re.compile(r"\b[a-z0-9]+(?:_[a-z0-9]+)+\b")
OVERLAP_PX = 1.0  # boxes may touch; more than a pixel of shared width and height is an overlap
CAP_GAP_PX = 1.0  # a label beside an error bar's cap keeps at least this much clear space
CAP_MARKERS = ("|", "_")  # the markers matplotlib's errorbar draws its caps with


@dataclass
class Drawn:
    report: str
    name: str
    figure: Figure

    def __str__(self) -> str:
        return f"{self.report}/{self.name}"


def _code_cells(notebook: Path) -> tuple[str, list[str]]:
    nb = nbformat.read(notebook, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    parameters = next(c.source for c in code if "parameters" in c.metadata.get("tags", []))
    return parameters, [c.source for c in code if "parameters" not in c.metadata.get("tags", [])]


def run_report(report, monkeypatch, tmp_path: Path) -> list[Drawn]:
    """Run one report's notebook code with its parameters; return the figures it would save."""
    caught: list[Drawn] = []

    def catch(fig, name, directory, **_kw):
        caught.append(Drawn(report.id, name, fig))
        return []

    monkeypatch.setattr(figures_module, "save_figure", catch)
    parameters, cells = _code_cells(report.notebook_path(ROOT / "notebooks"))
    namespace: dict = {"__name__": f"report_{report.id}"}
    exec(compile(parameters, f"{report.id}:parameters", "exec"), namespace)
    namespace.update(report.parameters)
    namespace["output_dir"] = str(tmp_path / report.id)
    for i, source in enumerate(cells):
        exec(compile(source, f"{report.id}:cell{i}", "exec"), namespace)
    return caught


@pytest.fixture(scope="module")
def drawn(tmp_path_factory) -> list[Drawn]:
    reports = read_catalogue(ROOT / "catalogue.yml", ROOT / "notebooks")
    out: list[Drawn] = []
    with pytest.MonkeyPatch.context() as monkeypatch:
        # every figure of the catalogue stays open to be measured: pyplot's warning at 20 says nothing here
        monkeypatch.setitem(plt.rcParams, "figure.max_open_warning", 0)
        for report in reports:
            out += run_report(report, monkeypatch, tmp_path_factory.mktemp("figures"))
    for made in out:
        made.figure.canvas.draw()
        _DRAWN_ONCE.add(made.figure)
    yield out
    plt.close("all")


# ---- measuring ------------------------------------------------------------------------------------


# The catalogue's figures, drawn once by the ``drawn`` fixture: the five checks measure the same
# figures and change nothing in them, so a second draw would place nothing differently.
_DRAWN_ONCE: weakref.WeakSet[Figure] = weakref.WeakSet()


def draw(fig: Figure) -> None:
    """Lay the figure out and draw it, unless it is one of the catalogue's, already drawn."""
    if fig not in _DRAWN_ONCE:
        fig.canvas.draw()


def _visible(artist) -> bool:
    while artist is not None:
        if not artist.get_visible():
            return False
        artist = getattr(artist, "axes", None) if artist is not getattr(artist, "axes", None) else None
    return True


def text_labels(fig: Figure) -> list[Text]:
    """Every visible, non-empty text drawn: titles, axis labels, tick labels in view, texts,
    annotations, legend entries and titles, figure texts."""
    draw(fig)
    texts: list[Text] = list(fig.texts)
    if fig._suptitle is not None:
        texts.append(fig._suptitle)
    for ax in fig.axes:
        if not ax.get_visible():
            continue
        texts += [ax.title, ax._left_title, ax._right_title, ax.xaxis.label, ax.yaxis.label, *ax.texts]
        if ax.axison:
            for axis in (ax.xaxis, ax.yaxis):
                lo, hi = sorted(axis.get_view_interval())
                for tick in axis.get_major_ticks() + axis.get_minor_ticks():
                    if lo - 1e-9 <= tick.get_loc() <= hi + 1e-9 and tick.get_visible():
                        texts += [t for t in (tick.label1, tick.label2) if t.get_visible()]
        legend = ax.get_legend()
        if legend is not None and legend.get_visible():
            texts += [*legend.get_texts(), legend.get_title()]
    return [t for t in texts if t.get_visible() and t.get_text().strip()]


def overlapping_labels(fig: Figure) -> list[str]:
    renderer = fig.canvas.get_renderer()
    boxes = [(t, t.get_window_extent(renderer)) for t in text_labels(fig)]
    found = []
    for i, (a, box_a) in enumerate(boxes):
        for b, box_b in boxes[i + 1 :]:
            width = min(box_a.x1, box_b.x1) - max(box_a.x0, box_b.x0)
            height = min(box_a.y1, box_b.y1) - max(box_a.y0, box_b.y0)
            if width > OVERLAP_PX and height > OVERLAP_PX:
                found.append(f"{a.get_text()!r} overlaps {b.get_text()!r}")
    return found


def labels_touching_caps(fig: Figure) -> list[str]:
    """A label (e.g. a range's '14,200–14,400') must not touch or cross the cap at the end of an error bar."""
    labels = text_labels(fig)  # draws the figure
    renderer = fig.canvas.get_renderer()
    boxes = [(t, t.get_window_extent(renderer)) for t in labels]
    px_per_pt = fig.dpi / 72
    found = []
    for ax in fig.axes:
        for line in ax.lines:
            if not line.get_visible() or line.get_marker() not in CAP_MARKERS:
                continue
            half = line.get_markersize() * px_per_pt / 2
            for x, y in line.get_transform().transform(line.get_xydata()):
                for t, box in boxes:
                    apart = box.x0 - (x + half) >= CAP_GAP_PX or (x - half) - box.x1 >= CAP_GAP_PX
                    if not apart and box.y0 < y + half and y - half < box.y1:
                        found.append(f"{t.get_text()!r} touches an error bar's cap")
    return found


def markers(fig: Figure) -> list[tuple[float, int, float, float, float, str]]:
    """(zorder, order drawn, x, y, radius) of every marker in display pixels, with a description."""
    draw(fig)
    out = []
    order = 0
    px_per_pt = fig.dpi / 72
    for ax in fig.axes:
        for artist in ax.get_children():
            order += 1
            if isinstance(artist, PathCollection) and artist.get_visible() and len(artist.get_offsets()):
                points = artist.get_offset_transform().transform(artist.get_offsets())
                sizes = artist.get_sizes()
                for k, (x, y) in enumerate(points):
                    radius = math.sqrt(sizes[k % len(sizes)] if len(sizes) else 36) * px_per_pt / 2
                    out.append((artist.get_zorder(), order, x, y, radius, f"{ax.get_title()!r} point {k}"))
            elif (
                isinstance(artist, Line2D)
                and artist.get_visible()
                and artist.get_marker() not in (None, "None", "", " ")
            ):
                points = artist.get_transform().transform(artist.get_xydata())
                radius = artist.get_markersize() * px_per_pt / 2
                for k, (x, y) in enumerate(points):
                    out.append((artist.get_zorder(), order, x, y, radius, f"{ax.get_title()!r} line point {k}"))
    return out


def hidden_markers(fig: Figure) -> list[str]:
    """A marker is hidden when one drawn above it covers its whole disc."""
    drawn = sorted(markers(fig))
    found = []
    for i, (_, _, x, y, r, what) in enumerate(drawn):
        for _, _, x2, y2, r2, other in drawn[i + 1 :]:
            if math.hypot(x - x2, y - y2) + r <= r2 + 0.5:
                found.append(f"{what} is hidden under {other}")
                break
    return found


def fractional_count_ticks(fig: Figure) -> list[str]:
    draw(fig)
    found = []
    for ax in fig.axes:
        for axis in (ax.xaxis, ax.yaxis):
            label = axis.label.get_text()
            if not ax.axison or not COUNT_AXIS.search(label):
                continue
            lo, hi = sorted(axis.get_view_interval())
            for value in axis.get_majorticklocs():
                if lo - 1e-9 <= value <= hi + 1e-9 and abs(value - round(value)) > 1e-9:
                    found.append(f"axis {label!r} ticks {value:g}")
    return found


def raw_identifiers(fig: Figure) -> list[str]:
    """Titles, axis labels, tick labels and legends must name things, not print their keys."""
    draw(fig)
    found = []
    for ax in fig.axes:
        legend = ax.get_legend()
        texts = [
            ax.title,
            ax._left_title,
            ax._right_title,
            ax.xaxis.label,
            ax.yaxis.label,
            *ax.get_xticklabels(),
            *ax.get_yticklabels(),
            *([*legend.get_texts(), legend.get_title()] if legend is not None else []),
        ]
        found += [f"{t.get_text()!r}" for t in texts if RAW_ID.search(t.get_text())]
    if fig._suptitle is not None and RAW_ID.search(fig._suptitle.get_text()):
        found.append(repr(fig._suptitle.get_text()))
    return found


def log_or_floating_bars(fig: Figure) -> list[str]:
    """Bars are read by their length: a bar's value axis is linear and starts at zero."""
    draw(fig)
    found = []
    for ax in fig.axes:
        for container in ax.containers:
            if not isinstance(container, BarContainer) or not container.patches:
                continue
            horizontal = container.orientation == "horizontal"
            scale = ax.get_xscale() if horizontal else ax.get_yscale()
            limits = ax.get_xlim() if horizontal else ax.get_ylim()
            if scale != "linear":
                found.append(f"{ax.get_title()!r}: bars on a {scale} axis")
            elif min(limits) != 0:
                found.append(f"{ax.get_title()!r}: the bars' axis starts at {min(limits):g}, not zero")
    return sorted(set(found))


# A number of four digits or more without its separator ('2084', '14000'); a year (1900-2100) is a date, not a count.
BARE_NUMBER = re.compile(r"(?<![\d,.:])\d{4,}(?![\d,.:])")


def numbers_without_separators(fig: Figure) -> list[str]:
    found = []
    for text in text_labels(fig):
        for number in BARE_NUMBER.findall(text.get_text()):
            if len(number) == 4 and 1900 <= int(number) <= 2100:
                continue
            found.append(f"{number} in {text.get_text()!r}")
    return found


def claimant_keys(fig: Figure) -> dict[str, str]:
    """The 'Who said it' keys of ``fig``: claimant name (unwrapped) → colour as '#rrggbb'."""
    draw(fig)
    keys: dict[str, str] = {}
    for ax in fig.axes:
        legend = ax.get_legend()
        if legend is None or legend.get_title().get_text() != "Who said it":
            continue
        for handle, text in zip(legend.legend_handles, legend.get_texts(), strict=False):
            name = " ".join(text.get_text().split())
            if isinstance(handle, Line2D) and handle.get_marker() == "o":
                keys[name] = matplotlib.colors.to_hex(handle.get_color())
    return keys


def claimant_colour_clashes(figs: list[tuple[str, Figure]]) -> list[str]:
    """A claimant keeps one colour in every chart; two claimants never share one in a chart."""
    found = []
    seen: dict[str, tuple[str, str]] = {}
    for where, fig in figs:
        keys = claimant_keys(fig)
        by_colour: dict[str, str] = {}
        for name, colour in keys.items():
            if name in seen and seen[name][0] != colour:
                found.append(f"{where}: {name!r} is {colour}, but {seen[name][0]} in {seen[name][1]}")
            seen.setdefault(name, (colour, where))
            if colour in by_colour:
                found.append(f"{where}: {name!r} and {by_colour[colour]!r} share {colour}")
            by_colour[colour] = name
    return found


def status_keys(fig: Figure) -> set[str]:
    """The statuses a figure's 'Status' keys name (their labels, unwrapped, mapped back to codes)."""
    draw(fig)
    codes = {" ".join(label.split()): code for code, label in STATUS_LABELS.items()}
    found = set()
    for ax in fig.axes:
        legend = ax.get_legend()
        if legend is None or legend.get_title().get_text() != "Status":
            continue
        found |= {codes[t] for t in (" ".join(x.get_text().split()) for x in legend.get_texts()) if t in codes}
    return found


def statuses_against_sides(fig: Figure, rows, sides: dict[str, str]) -> list[str]:
    """``rows`` (the figure's table) and its key agree with who said each figure: a row of a party
    to the war is 'claimed' or derived, 'claimed' only for a party, 'unattributed' only for a
    claimant the outlet does not name; the key names a status only if a row drawn has it."""
    found = []
    if rows is None or "claimant" not in rows or not len(rows):
        return found
    drawn = set()
    for claimant, status in zip(rows["claimant"], rows["status"], strict=False):
        drawn.add(status)
        side = sides.get(claimant)
        if side is None:
            continue  # a table's producer (OHCHR's yearly counts), not a claimant
        if status == "claimed" and side not in WAR_PARTIES:
            found.append(f"{claimant!r} (side {side}) is keyed 'claimed by a party to the war'")
        if status == "unattributed" and side != UNNAMED_SIDE:
            found.append(f"{claimant!r} (side {side}) is keyed 'attributed to no one'")
        if side == UNNAMED_SIDE and status not in ("unattributed", "derived"):
            found.append(f"{claimant!r} (attributed to no one) is keyed {status!r}")
    keyed = status_keys(fig)
    if keyed - drawn:
        found.append(f"the key names {sorted(keyed - drawn)}, which no row drawn has")
    return found


def _sides() -> dict[str, str]:
    claimants = load_table("claimants")
    return dict(zip(claimants["name"].astype(str), claimants["side"].astype(str), strict=False))


def status_keys_against_claimants(fig: Figure) -> list[str]:
    try:
        rows = figure_data.collect(fig)
    except figure_data.FigureDataError:
        return []
    return statuses_against_sides(fig, rows, _sides())


CHECKS = {
    "bars on a log axis or not from zero": log_or_floating_bars,
    "numbers without thousands separators": numbers_without_separators,
    "status keys that do not match who said it": status_keys_against_claimants,
    "overlapping text labels": overlapping_labels,
    "labels touching error-bar caps": labels_touching_caps,
    "hidden markers": hidden_markers,
    "fractional ticks on a count axis": fractional_count_ticks,
    "raw identifiers": raw_identifiers,
}


# ---- every figure the build makes ------------------------------------------------------------------


def test_every_committed_figure_is_measured(drawn):
    made = {f"{d.report}/{d.name}" for d in drawn}
    committed = {f"{p.parent.name}/{p.stem}" for p in (ROOT / "figures").glob("*/*.png")}
    assert committed <= made, f"committed figures no report makes: {sorted(committed - made)}"
    assert made <= committed, f"figures the build makes that are not committed: {sorted(made - committed)}"


@pytest.mark.parametrize("check", list(CHECKS))
def test_every_figure_passes(drawn, check):
    assert drawn, "the catalogue made no figures"
    problems = [f"{d}: {p}" for d in drawn for p in CHECKS[check](d.figure)]
    assert not problems, f"{check}:\n" + "\n".join(problems)


def test_a_claimant_keeps_one_colour_in_every_chart(drawn):
    assert any(claimant_keys(d.figure) for d in drawn), "a chart keys its points by claimant"
    problems = claimant_colour_clashes([(str(d), d.figure) for d in drawn])
    assert not problems, "\n".join(problems)


# ---- the checks can fail ----------------------------------------------------------------------------


@pytest.fixture
def fig():
    with matplotlib.rc_context({"figure.max_open_warning": 0}):  # the catalogue's figures are still open
        figure, _ax = plt.subplots(figsize=(4, 3))
    yield figure
    plt.close(figure)


def test_overlapping_labels_are_found(fig):
    ax = fig.axes[0]
    ax.text(0.5, 0.5, "at least 15", transform=ax.transAxes)
    ax.text(0.52, 0.5, "15", transform=ax.transAxes)
    assert overlapping_labels(fig)


def test_labels_apart_pass(fig):
    ax = fig.axes[0]
    ax.text(0.1, 0.2, "at least 15", transform=ax.transAxes)
    ax.text(0.1, 0.6, "15", transform=ax.transAxes)
    assert not overlapping_labels(fig)


def test_a_label_against_an_error_bar_cap_is_found(fig):
    ax = fig.axes[0]
    ax.errorbar([5], [0], xerr=[[1], [1]], fmt="none", capsize=4)
    ax.set_xlim(0, 10)
    label = ax.annotate("4–6", xy=(6, 0), xytext=(0, 0), textcoords="offset points", va="center")
    assert labels_touching_caps(fig)
    label.set_position((12, 0))  # twelve points clear of the cap
    assert not labels_touching_caps(fig)


def test_a_marker_under_a_bigger_one_is_found(fig):
    ax = fig.axes[0]
    ax.scatter([1], [15], s=40, marker="^", zorder=3)
    ax.scatter([1], [15], s=70, marker="o", zorder=3)
    assert hidden_markers(fig)


def test_markers_side_by_side_pass(fig):
    ax = fig.axes[0]
    ax.scatter([1, 2], [15, 15], s=70)
    assert not hidden_markers(fig)


def test_half_ticks_on_a_count_axis_are_found(fig):
    ax = fig.axes[0]
    ax.plot([0, 1], [0, 2])
    ax.set_ylabel("Killed (people)")
    assert fractional_count_ticks(fig)
    ax.set_ylabel("Latitude (° N)")  # not a count
    assert not fractional_count_ticks(fig)


def test_a_raw_identifier_in_a_title_is_found(fig):
    fig.axes[0].set_title("Killed: claims about belgorod_strike_2024 (all)")
    assert raw_identifiers(fig)
    fig.axes[0].set_title("Killed: claims about the apartment block collapse (all claimants)")
    assert not raw_identifiers(fig)


def test_bars_on_a_log_axis_are_found(fig):
    ax = fig.axes[0]
    ax.barh([0, 1], [17, 2084])
    assert not log_or_floating_bars(fig)
    ax.set_xscale("log")
    assert log_or_floating_bars(fig)


def test_bars_not_from_zero_are_found(fig):
    ax = fig.axes[0]
    ax.bar([2014, 2015], [2084, 955])
    assert not log_or_floating_bars(fig)
    ax.set_ylim(500, 2200)
    assert log_or_floating_bars(fig)


def test_a_number_without_its_separator_is_found(fig):
    ax = fig.axes[0]
    label = ax.text(0.1, 0.5, "≈ 14000 killed in 2014", transform=ax.transAxes)
    assert numbers_without_separators(fig) == ["14000 in '≈ 14000 killed in 2014'"]
    label.set_text("≈ 14,000 killed in 2014")
    assert not numbers_without_separators(fig)
    ax.set_ylim(0, 12000)  # matplotlib's own ticks print 10000
    assert numbers_without_separators(fig)


def _claimant_key(fig, names_colours):
    ax = fig.axes[0]
    handles = [Line2D([], [], marker="o", ls="", color=c, label=n) for n, c in names_colours]
    ax.legend(handles=handles, title="Who said it")


def test_a_claimant_changing_colour_is_found(fig):
    _claimant_key(fig, [("Russian officials", "#0072B2")])
    with matplotlib.rc_context({"figure.max_open_warning": 0}):
        other, _ax = plt.subplots()
    try:
        _claimant_key(other, [("Russian officials", "#D55E00"), ("OHCHR", "#0072B2")])
        assert claimant_colour_clashes([("a", fig), ("b", other)])
        _claimant_key(other, [("Russian officials", "#0072B2"), ("OHCHR", "#0072B2")])
        assert claimant_colour_clashes([("b", other)]) == ["b: 'OHCHR' and 'Russian officials' share #0072b2"]
        _claimant_key(other, [("Russian officials", "#0072B2"), ("OHCHR", "#009E73")])
        assert not claimant_colour_clashes([("a", fig), ("b", other)])
    finally:
        plt.close(other)


def test_a_status_key_that_misnames_who_said_it_is_found(fig):
    import pandas as pd
    from matplotlib.patches import Patch

    sides = {"Unattributed": "unknown", "Russian officials": "russia", "Example agency": "independent"}
    rows = pd.DataFrame({"claimant": ["Unattributed", "Example agency"], "status": ["claimed", "claimed"]})
    fig.axes[0].legend(handles=[Patch(label=STATUS_LABELS["claimed"])], title="Status")
    problems = statuses_against_sides(fig, rows, sides)
    assert len(problems) == 3, problems  # two not of a party, one attributed to no one
    rows = pd.DataFrame({"claimant": ["Unattributed", "Russian officials"], "status": ["unattributed", "claimed"]})
    assert not statuses_against_sides(fig, rows, sides)
    fig.axes[0].legend(handles=[Patch(label=STATUS_LABELS["verified"])], title="Status")
    assert statuses_against_sides(fig, rows, sides) == ["the key names ['verified'], which no row drawn has"]
