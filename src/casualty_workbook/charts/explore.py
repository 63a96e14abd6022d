"""Interactive exploration in JupyterLab: pick event, claimant, metric and years; the chart redraws.

The controls are shown only where a frontend that draws widgets is attached (``frontend_attached``).
A batch run (the build, ``make report``, the plain ``papermill`` command) draws the static chart
and no widget at all: a widget's Output area racing nbclient's message loop made one run in five
hang for ever at that cell (nbclient#312, papermill#723).
"""

from __future__ import annotations

import os

import matplotlib.pyplot as plt
from matplotlib.axes import Axes

from casualty_workbook.analysis import series, tables
from casualty_workbook.charts import claim_charts
from casualty_workbook.data.loading import load_claims, load_table
from casualty_workbook.data.schemas import METRIC_LABELS, PEOPLE_METRICS


def draw(*, event: str, claimant: str, metric: str, years: tuple[int, int]) -> Axes:
    """The chosen event's claims for one metric: one chart in its own figure (``draw_years`` draws
    OHCHR's civilian deaths in the chosen years in another: one chart per image)."""
    claims = load_claims()
    chosen = tables.event_claims(claims, event, claimant=claimant, metrics=(metric,))
    chosen, _ = series.latest_updates(chosen, event)  # a running count: its last updates, not one bar per update
    events = load_table("events").set_index("event_id")["name"]
    event_name = events.get(event, event)  # titles name the event, never its identifier
    who = (
        "all claimants"
        if claimant == "all"
        else str(load_table("claimants").set_index("claimant_id")["name"].get(claimant, claimant))
    )
    label = METRIC_LABELS.get(metric, metric)
    return claim_charts.plot_claims(chosen, title=f"{label}: claims about the {event_name} ({who})")


def draw_years(*, years: tuple[int, int]) -> Axes:
    """OHCHR's civilians killed in the chosen years, in a figure of its own."""
    totals = load_table("ohchr_totals")
    by_year = load_table("ohchr_civilian_deaths_by_year")
    yearly = tables.civilian_deaths_by_year(by_year, totals, year_from=years[0], year_to=years[1])
    producer = by_year.attrs["metadata"]["origin"]["producer"]
    return claim_charts.plot_civilian_deaths_by_year(
        yearly, title=f"{producer}: civilians killed, {years[0]}–{years[1]}"
    )


# Set by a Jupyter server (JupyterLab, Notebook) in the environment of each kernel it starts for a
# notebook: papermill, nbclient and the build never set it (the build removes it from its kernels').
SESSION_VARIABLE = "JPY_SESSION_NAME"
# WORKBOOK_SHOW_CONTROLS=1 shows them anyway (another frontend that draws widgets), =0 never.
FORCE_VARIABLE = "WORKBOOK_SHOW_CONTROLS"


def frontend_attached(environ: dict[str, str] | None = None) -> bool:
    """True where the kernel serves a notebook open in a Jupyter frontend (one that draws widgets)."""
    environ = os.environ if environ is None else environ
    forced = environ.get(FORCE_VARIABLE, "")
    if forced in ("0", "1"):
        return forced == "1"
    return bool(environ.get(SESSION_VARIABLE))


def controls(*, event: str, claimant: str, metric: str, years: tuple[int, int]):
    """Widgets for the four choices, wired to ``draw``; returns the widget box displayed, or None in a
    batch run (no frontend attached: the chart above is the report, see the module's text)."""
    if not frontend_attached():
        from IPython.display import Markdown, display

        display(Markdown("*The controls appear when this notebook is opened in JupyterLab.*"))
        return None
    import ipywidgets as widgets
    from IPython.display import display

    events = sorted(load_table("events")["event_id"].astype(str))
    claimants = ["all", *sorted(load_table("claimants")["claimant_id"].astype(str))]
    recorded = load_table("ohchr_civilian_deaths_by_year")["year"]  # the slider spans the years the table has
    pickers = {
        "event": widgets.Dropdown(options=events, value=event, description="Event"),
        "claimant": widgets.Dropdown(options=claimants, value=claimant, description="Claimant"),
        "metric": widgets.Dropdown(options=list(PEOPLE_METRICS), value=metric, description="Metric"),
        "years": widgets.IntRangeSlider(
            value=years, min=int(recorded.min()), max=int(recorded.max()), description="OHCHR years"
        ),
    }

    def redraw(**choices) -> None:
        draw(**choices)
        draw_years(years=choices["years"])
        plt.show()

    output = widgets.interactive_output(redraw, pickers)
    box = widgets.VBox(
        [
            widgets.HBox([pickers["event"], pickers["claimant"]]),
            widgets.HBox([pickers["metric"], pickers["years"]]),
            output,
        ]
    )
    display(box)
    return box
