"""The coded-events notebook on imported fixtures: a dataset's event found by place and date and
drawn beside the parties' claims (run with papermill through `workbook report`)."""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pytest
from conftest import run_cli_here, tree_digest

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.mark.slow
def test_coded_events_are_drawn_beside_the_claims(project: Path) -> None:
    for args in (
        ("ucdp", str(FIXTURES / "GEDEvent_v90_1_fictional.csv"), "--released", "2025-06-01"),
        ("ucdp", str(FIXTURES / "GEDEvent_v90_2_fictional.csv"), "--released", "2025-07-01"),
        ("acled", str(FIXTURES / "acled_export_fictional_1.csv")),
    ):
        assert run_cli_here(project, "import", *args).returncode == 0
    figures_before = tree_digest(project / "figures")
    result = run_cli_here(project, "report", "coded_events", "event=belgorod_strike_2024", "days=5")
    assert result.returncode == 0, result.stderr
    custom = project / "reports" / "custom"
    [executed] = list(custom.glob("coded_events--*.ipynb"))
    outputs = json.dumps([c.get("outputs", []) for c in nbformat.read(executed, as_version=4).cells])
    # Both releases' UCDP figures (a range: best with low and high) and ACLED's lower bound, near the event.
    for claim in ("ucdp-ged-900001-killed-v90_1", "ucdp-ged-900001-killed-v90_2", "acled-XRU9001-killed-1715817600"):
        assert claim in outputs
    assert "ucdp-ged-900002" not in outputs  # about 50 km away: outside the default radius
    assert "3 coded events within 25 km and 5 days" not in outputs and "2 coded events within 25 km" in outputs
    assert list((custom / "figures" / executed.stem).glob("coded_beside_claims.png"))
    assert tree_digest(project / "figures") == figures_before


@pytest.mark.slow
def test_no_coded_event_nearby_says_so(project: Path) -> None:
    result = run_cli_here(project, "report", "coded_events", "event=belgorod_strike_2024")
    assert result.returncode == 0, result.stderr
    [executed] = list((project / "reports" / "custom").glob("coded_events--*.ipynb"))
    outputs = json.dumps([c.get("outputs", []) for c in nbformat.read(executed, as_version=4).cells])
    assert "0 coded events within 25 km" in outputs and "No coded event near this one." in outputs
