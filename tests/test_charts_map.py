"""The places map: country borders from the shipped Natural Earth file, a view taken from the data,
every label inside the frame, the map's source printed. Places here are made up; coordinates are
chosen only to fall in different parts of the world (coast, inland, either side of a border)."""

from __future__ import annotations

import math

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from matplotlib.patches import PathPatch

from casualty_workbook.charts import basemap
from casualty_workbook.charts import claim_charts as charts
from casualty_workbook.charts.saving import save_figure


def _places(rows: list[tuple[str, str, float | None, float | None]]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "place_id": [f"p{i}" for i in range(len(rows))],
            "name": [r[0] for r in rows],
            "admin_area": ["Area"] * len(rows),
            "country": [r[1] for r in rows],
            "latitude": pd.array([r[2] for r in rows], dtype="Float64"),
            "longitude": pd.array([r[3] for r in rows], dtype="Float64"),
            "coord_status": ["verified" if r[2] is not None else "unverified" for r in rows],
            "coord_source_id": ["atlas" if r[2] is not None else None for r in rows],
            "mentioned_in": ["gazette"] * len(rows),
        }
    )


# Made-up places: by a coast (Atlantic, Iberia), deep inland (Sahel), on a border (Rhine), at high latitude.
SCENES = {
    "coast": [("Harbour", "A", 38.72, -9.14), ("Hill town", "A", 38.9, -8.6), ("Cape", "A", 38.5, -9.4)],
    "inland": [("Well", "B", 13.5, 2.1), ("Market", "B", 13.9, 2.6)],
    "border": [("West bank", "C", 48.57, 7.75), ("East bank", "D", 48.57, 7.82), ("Far", "C", 48.2, 7.3)],
    "north": [("Fjord", "E", 69.65, 18.96), ("Inland", "E", 68.8, 20.3)],
    "one": [("Alone", "F", -1.29, 36.82)],
}


def _map(scene: str, **options):
    places = _places(SCENES[scene] + [("Unknown spot", "A", None, None)])
    ax = charts.plot_places(places, title="t", **options)
    ax.figure.canvas.draw()
    return ax, places


def _inside(box, frame) -> bool:
    return frame.x0 <= box.x0 and box.x1 <= frame.x1 and frame.y0 <= box.y0 and box.y1 <= frame.y1


@pytest.mark.parametrize("scene", sorted(SCENES))
def test_a_map_of_any_place_draws_countries_and_keeps_every_label_inside(scene):
    ax, places = _map(scene)
    renderer = ax.figure.canvas.get_renderer()
    frame = ax.get_window_extent(renderer)
    borders = [p for p in ax.patches if isinstance(p, PathPatch)]
    assert borders, "country outlines are drawn"
    # labels on the map: the places' (annotations) and the countries' names (data coordinates)
    on_map = [t for t in ax.texts if t.get_text() and t.get_transform() == ax.transData]
    on_map += [t for t in ax.texts if getattr(t, "xycoords", None) == "data" and t.get_text()]
    located = places["latitude"].notna().sum()
    assert len([t for t in on_map if getattr(t, "xycoords", None) == "data"]) == located
    for text in on_map:
        assert _inside(text.get_window_extent(renderer), frame), f"{text.get_text()!r} leaves the map's frame"
    # every place is in view, with room around it
    west, east = ax.get_xlim()
    south, north = ax.get_ylim()
    lat, lon = places["latitude"].dropna().astype(float), places["longitude"].dropna().astype(float)
    assert west < lon.min() and lon.max() < east and south < lat.min() and lat.max() < north
    assert north - south >= 0.5 - 1e-9
    plt.close(ax.figure)


def test_the_map_names_the_countries_in_view_and_prints_its_source():
    ax, _ = _map("border")
    names = {t.get_text() for t in ax.texts if t.get_transform() == ax.transData}
    in_view = {c.name.upper() for c in basemap.countries_in((7.0, 48.0, 8.2, 48.9))}
    assert names and names <= in_view
    caption = " ".join(" ".join(t.get_text() for t in ax.texts).split())
    assert "Natural Earth" in caption and "public domain" in caption
    assert ax.get_aspect() == pytest.approx(1 / math.cos(math.radians(48.45)), rel=0.01)
    plt.close(ax.figure)


def test_a_place_at_the_edge_of_the_view_keeps_its_label_inside():
    # many places in a row: the outermost stand near the frame, where a label to their right would leave it
    rows = [(f"Village number {i} with a long name", "A", 50.0 + 0.01 * i, 30.0 + 0.05 * i) for i in range(8)]
    ax = charts.plot_places(_places(rows), title="t")
    ax.figure.canvas.draw()
    renderer = ax.figure.canvas.get_renderer()
    frame = ax.get_window_extent(renderer)
    for text in ax.texts:
        if getattr(text, "xycoords", None) == "data":
            assert _inside(text.get_window_extent(renderer), frame), text.get_text()
    plt.close(ax.figure)


def test_distances_print_thousands_separators():
    places = _places([("Here", "A", 10.0, 10.0), ("There", "A", 25.0, 12.0)]).assign(distance_km=[0.0, 1672.4])
    ax = charts.plot_places(places, reference="p0", title="t")
    assert any("1,672 km from Here" in t.get_text() for t in ax.texts)
    plt.close(ax.figure)


def test_the_shipped_borders_put_points_in_the_right_country():
    spots = {(2.35, 48.86): "France", (13.4, 52.52): "Germany", (-99.13, 19.43): "Mexico", (151.2, -33.87): "Australia"}
    for (lon, lat), name in spots.items():
        [country] = [c for c in basemap.countries() if c.name == name]
        assert country.path().contains_point((lon, lat)), name
    assert len(basemap.countries()) > 200
    assert basemap.MAP_FILE.stat().st_size < 500_000, "the map's data stays small"


def test_a_map_saves_byte_identically(tmp_path):
    for folder in ("a", "b"):
        ax, _ = _map("coast")
        save_figure(ax.figure, "places", tmp_path / folder)
        plt.close(ax.figure)
    for suffix in ("png", "svg", "csv"):
        assert (tmp_path / "a" / f"places.{suffix}").read_bytes() == (tmp_path / "b" / f"places.{suffix}").read_bytes()


def test_name_spots_avoid_the_points():
    drawn = basemap.countries_in((7.0, 48.0, 8.2, 48.9))
    points = np.array([[7.5, 48.5]])
    spots = basemap.name_spots(drawn, (7.0, 48.0, 8.2, 48.9), points, squeeze=0.66)
    for x, y in spots.values():
        assert abs(x - 7.5) * 0.66 + abs(y - 48.5) > 0.05


@pytest.mark.parametrize("scene", sorted(SCENES))
def test_each_country_name_stands_inside_its_country(scene):
    rows = SCENES[scene]
    points = np.array([(r[3], r[2]) for r in rows])
    west, south = points.min(axis=0) - 0.5
    east, north = points.max(axis=0) + 0.5
    view = (west, south, east, north)
    drawn = basemap.countries_in(view)
    by_name = {c.name: c for c in drawn}
    for name, spot in basemap.name_spots(drawn, view, points).items():
        assert by_name[name].path(view).contains_point(spot), f"{name} is named outside itself"


def test_no_border_runs_across_the_world():
    """A ring crossing 180° is made continuous: no edge spans the globe and cuts through a view."""
    for country in basemap.countries():
        for ring in country.rings:
            if ring[:, 1].min() < -60:  # a ring round the South Pole cannot be made continuous
                continue
            assert np.abs(np.diff(ring[:, 0])).max() < 180, country.name
