"""Make the country borders the places map draws (src/casualty_workbook/charts/mapdata/countries.topo.json.gz).

Input: Natural Earth's Admin 0 countries at 1:10m (public domain) as TopoJSON, the file
``countries-10m.json`` of the world-atlas package, version 2.0.2 (Natural Earth 4.1.0), e.g. from
``npm pack world-atlas@2.0.2``. Each arc (a stretch of border or coast shared by the countries on
either side, so simplifying it never opens a gap between neighbours) is simplified with
Douglas-Peucker: a border between two countries at ``BORDER_TOLERANCE`` grid steps of the file's
own quantisation (0.0036° of longitude by 0.0017° of latitude, about 250 m), a coast at ``COAST_TOLERANCE``, and the
result is written as TopoJSON, gzip-compressed without a timestamp: the same input gives the same bytes.

    python tools/make_borders.py path/to/countries-10m.json
"""

from __future__ import annotations

import gzip
import json
import sys
from collections import Counter
from pathlib import Path

# Grid steps of the input's quantisation an arc may move by: a border between two countries (the line
# that says on which side a place lies) keeps its detail, a coast is simplified further.
BORDER_TOLERANCE = 1.0
COAST_TOLERANCE = 8.0
OUT = (
    Path(__file__).resolve().parents[1] / "src" / "casualty_workbook" / "charts" / "mapdata" / "countries.topo.json.gz"
)


def _absolute(arc: list[list[int]]) -> list[tuple[int, int]]:
    x = y = 0
    points = []
    for dx, dy in arc:
        x, y = x + dx, y + dy
        points.append((x, y))
    return points


def _simplify(points: list[tuple[int, int]], tolerance: float) -> list[tuple[int, int]]:
    """Douglas-Peucker, iterative; the first and last points are kept (they join other arcs)."""
    if len(points) < 3:
        return points
    keep = [False] * len(points)
    keep[0] = keep[-1] = True
    stack = [(0, len(points) - 1)]
    while stack:
        first, last = stack.pop()
        (x1, y1), (x2, y2) = points[first], points[last]
        dx, dy = x2 - x1, y2 - y1
        norm = (dx * dx + dy * dy) ** 0.5
        worst, where = -1.0, -1
        for i in range(first + 1, last):
            px, py = points[i]
            distance = abs(dy * (px - x1) - dx * (py - y1)) / norm if norm else ((px - x1) ** 2 + (py - y1) ** 2) ** 0.5
            if distance > worst:
                worst, where = distance, i
        if worst > tolerance:
            keep[where] = True
            stack += [(first, where), (where, last)]
    kept = [p for p, k in zip(points, keep, strict=True) if k]
    # a closed ring (an island) keeps at least four points, so it stays a ring
    if points[0] == points[-1] and len(kept) < 4:
        step = max(1, (len(points) - 1) // 3)
        kept = [points[0], points[step], points[min(2 * step, len(points) - 2)], points[-1]]
    return kept


def _relative(points: list[tuple[int, int]]) -> list[list[int]]:
    out, x, y = [], 0, 0
    for px, py in points:
        out.append([px - x, py - y])
        x, y = px, py
    return out


def _arc_indices(geometries: list[dict]):
    """Every arc index the countries' rings use (``~i`` for arc ``i`` reversed)."""
    for geometry in geometries:
        polygons = geometry.get("arcs") or []
        if geometry.get("type") == "Polygon":
            polygons = [polygons]
        for polygon in polygons:
            for ring in polygon:
                yield from ring


def main(source: str) -> None:
    topology = json.loads(Path(source).read_text(encoding="utf-8"))
    countries = topology["objects"]["countries"]
    uses = Counter(i if i >= 0 else ~i for i in _arc_indices(countries["geometries"]))
    arcs = [
        _relative(_simplify(_absolute(arc), BORDER_TOLERANCE if uses[n] > 1 else COAST_TOLERANCE))
        for n, arc in enumerate(topology["arcs"])
    ]
    result = {
        "type": "Topology",
        "transform": topology["transform"],
        "objects": {"countries": countries},
        "arcs": arcs,
    }
    text = json.dumps(result, separators=(",", ":"), sort_keys=True, ensure_ascii=False).encode("utf-8")
    OUT.parent.mkdir(parents=True, exist_ok=True)
    with open(OUT, "wb") as raw, gzip.GzipFile(filename="", mode="wb", fileobj=raw, compresslevel=9, mtime=0) as out:
        out.write(text)
    before = sum(len(a) for a in topology["arcs"])
    print(f"{OUT}: {sum(len(a) for a in arcs):,} points of {before:,}, {OUT.stat().st_size:,} bytes")


if __name__ == "__main__":
    main(sys.argv[1])
