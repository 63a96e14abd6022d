"""Country borders for a map, offline: Natural Earth's Admin 0 countries (1:10m, public domain), shipped
in the package (``mapdata/``), read with json and drawn with matplotlib's patches. No GIS library and
no download: a map of any place on Earth draws from the same file.

``countries_in(extent)`` gives the countries whose outline reaches into a view, ``draw_countries``
fills them and draws their borders, ``label_countries`` prints the name of each country in view at a
spot inside it, clear of the points drawn. Coordinates are longitude and latitude in degrees.
"""

from __future__ import annotations

import gzip
import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np
from matplotlib.axes import Axes
from matplotlib.patches import PathPatch
from matplotlib.path import Path as MplPath
from matplotlib.transforms import Bbox

MAP_FILE = Path(__file__).resolve().parent / "mapdata" / "countries.topo.json.gz"
MAP_CREDIT = "Map: Natural Earth 1:10m (public domain); borders simplified to about 250 m, coasts to about 2 km."

# West, south, east, north in degrees.
Extent = tuple[float, float, float, float]


@dataclass(frozen=True)
class Country:
    name: str
    rings: tuple[np.ndarray, ...]  # each an (n, 2) array of longitude, latitude; holes are rings too
    bounds: Extent

    def path(self, extent: Extent | None = None) -> MplPath:
        """The country as one path: its outer rings and holes (even-odd fill); with ``extent``, only
        what lies within it (each ring clipped to it), so a map holds no more than it shows."""
        rings = self.rings
        if extent is not None:
            box = Bbox.from_extents(*extent)
            rings = [
                clipped.vertices
                for ring in rings
                if _overlaps(_bounds(ring), extent)
                for clipped in [MplPath(ring, closed=True).clip_to_bbox(box)]
                if len(clipped.vertices) >= 3
            ]
        if not rings:
            return MplPath(np.empty((0, 2)))
        return MplPath.make_compound_path(*(MplPath(ring, closed=True) for ring in rings))


def _bounds(ring: np.ndarray) -> Extent:
    (west, south), (east, north) = ring.min(axis=0), ring.max(axis=0)
    return float(west), float(south), float(east), float(north)


def _decoded_arcs(topology: dict) -> list[np.ndarray]:
    """TopoJSON's delta-encoded, quantised arcs as arrays of longitude and latitude."""
    scale = np.asarray(topology["transform"]["scale"], dtype=float)
    translate = np.asarray(topology["transform"]["translate"], dtype=float)
    return [np.cumsum(np.asarray(arc, dtype=float), axis=0) * scale + translate for arc in topology["arcs"]]


def _ring(indices: list[int], arcs: list[np.ndarray]) -> np.ndarray:
    """One ring from its arcs in order; ``~i`` is arc ``i`` reversed. Each arc after the first starts
    where the last ended: that shared point is kept once."""
    parts = []
    for n, index in enumerate(indices):
        arc = arcs[index] if index >= 0 else arcs[~index][::-1]
        parts.append(arc if n == 0 else arc[1:])
    return np.concatenate(parts)


def _across_the_antimeridian(ring: np.ndarray) -> list[np.ndarray]:
    """A ring that crosses 180° jumps from one side of the map to the other (an edge across the whole
    world, which would cut through any view at its latitude): its longitudes are made continuous
    (past 180° or before -180°), and a copy shifted by 360° stands on the other side. A ring that
    circles the pole (Antarctica) cannot be made continuous and is kept as it is."""
    jumps = np.diff(ring[:, 0])
    if not len(jumps) or np.abs(jumps).max() <= 180:
        return [ring]
    shift = np.concatenate([[0.0], np.cumsum(-360.0 * np.round(jumps / 360.0))])
    if abs(shift[-1]) > 1e-9:
        return [ring]
    continuous = ring + np.stack([shift, np.zeros(len(shift))], axis=1)
    side = -360.0 if continuous[:, 0].max() > 180 else 360.0
    return [continuous, continuous + np.array([side, 0.0])]


@cache
def countries() -> tuple[Country, ...]:
    """Every country of the shipped file, in the file's order (read once per process)."""
    with gzip.open(MAP_FILE, "rt", encoding="utf-8") as handle:
        topology = json.load(handle)
    arcs = _decoded_arcs(topology)
    found = []
    for geometry in topology["objects"]["countries"]["geometries"]:
        polygons = geometry.get("arcs") or []
        if geometry.get("type") == "Polygon":
            polygons = [polygons]
        rings = tuple(
            part for polygon in polygons for ring in polygon for part in _across_the_antimeridian(_ring(ring, arcs))
        )
        if not rings:
            continue
        every = np.concatenate(rings)
        lon_min, lat_min = every.min(axis=0)
        lon_max, lat_max = every.max(axis=0)
        name = str((geometry.get("properties") or {}).get("name") or geometry.get("id") or "")
        found.append(Country(name, rings, (float(lon_min), float(lat_min), float(lon_max), float(lat_max))))
    return tuple(found)


def _overlaps(a: Extent, b: Extent) -> bool:
    return a[0] <= b[2] and b[0] <= a[2] and a[1] <= b[3] and b[1] <= a[3]


def countries_in(extent: Extent) -> list[Country]:
    """The countries whose outline's bounds reach into ``extent`` (west, south, east, north)."""
    return [c for c in countries() if _overlaps(c.bounds, extent)]


LAND = "#f4f4f4"
SEA = "#eef7fc"  # a shade of the palette's sky blue
BORDER = "#999999"
NAME_COLOUR = "#555555"


def draw_countries(ax: Axes, extent: Extent) -> list[Country]:
    """Fill the countries reaching into ``extent`` and draw their borders and coasts under everything
    else; the sea is the axes' background. Returns the countries drawn."""
    ax.set_facecolor(SEA)
    west, south, east, north = extent
    # clipped a little outside the view: the cut's own edges fall outside the axes, never on the map
    margin_x, margin_y = (east - west) * 0.05, (north - south) * 0.05
    outside = (west - margin_x, south - margin_y, east + margin_x, north + margin_y)
    drawn = [c for c in countries_in(extent) if len(c.path(outside).vertices)]
    for country in drawn:
        ax.add_patch(
            PathPatch(
                country.path(outside), facecolor=LAND, edgecolor=BORDER, linewidth=0.9, zorder=0.5, joinstyle="round"
            )
        )
    return drawn


def _grid(extent: Extent, steps: int) -> np.ndarray:
    """Points evenly over the inner part of ``extent`` (a name is never printed at the frame's edge)."""
    west, south, east, north = extent
    inset_x, inset_y = (east - west) * 0.12, (north - south) * 0.1
    xs = np.linspace(west + inset_x, east - inset_x, steps)
    ys = np.linspace(south + inset_y, north - inset_y, steps)
    return np.array([(x, y) for y in ys for x in xs])


def name_spots(
    drawn: list[Country], extent: Extent, avoid: np.ndarray, *, squeeze: float = 1.0, steps: int = 41
) -> dict[str, tuple[float, float]]:
    """Where to print each country's name: a point inside the country and the view, as far as can be
    from the points in ``avoid`` (an (n, 2) array of longitude, latitude) and from the other names;
    a country with too little of itself in view (under 4% of it) gets no name. ``squeeze`` is the
    map's cos(latitude), so distances are measured as the eye sees them."""
    grid = _grid(extent, steps)
    scale = np.array([squeeze, 1.0])
    span = max((extent[2] - extent[0]) * squeeze, extent[3] - extent[1])
    spots: dict[str, tuple[float, float]] = {}
    taken = [np.asarray(avoid, dtype=float).reshape(-1, 2)]
    for country in sorted(drawn, key=lambda c: c.name):
        inside = grid[country.path(extent).contains_points(grid)]
        if len(inside) < 0.04 * len(grid):
            continue
        others = np.concatenate(taken)
        if len(others):
            gaps = np.sqrt((((inside[:, None, :] - others[None, :, :]) * scale) ** 2).sum(axis=2)).min(axis=1)
        else:
            gaps = np.full(len(inside), span)
        # far from the points, but no farther than a fifth of the view counts: then nearest the middle of its part
        middle = inside.mean(axis=0)
        closeness = np.sqrt((((inside - middle) * scale) ** 2).sum(axis=1))
        score = np.minimum(gaps, span / 5) - 0.05 * closeness
        best = inside[int(np.argmax(score))]
        spots[country.name] = (float(best[0]), float(best[1]))
        taken.append(best.reshape(1, 2))
    return spots


def label_countries(ax: Axes, drawn: list[Country], extent: Extent, avoid: np.ndarray, *, squeeze: float = 1.0):
    """Print the name of each country in view (``name_spots``); returns the texts."""
    return [
        ax.text(
            x,
            y,
            name.upper(),
            ha="center",
            va="center",
            fontsize=9,
            color=NAME_COLOUR,
            fontweight="bold",
            zorder=1,
        )
        for name, (x, y) in name_spots(drawn, extent, avoid, squeeze=squeeze).items()
    ]
