"""The spatial hierarchy: a quadtree by building centroid with additive content.

A cell holding at most ``max_buildings`` buildings and ``max_vertices``
vertices is a leaf.  A fuller cell keeps its most visible buildings (largest
``max(height, √area)``) up to the same caps as its own content, and splits the
rest among four quadrant children.  Every building lives in exactly one tile,
and with ``refine: ADD`` an ancestor's content stays drawn when its children
load: from above the city shows its biggest buildings out of a handful of
tiles, and the small ones arrive as the camera comes close.

Cells wider than ``max_content_size`` (5 km) hold no content and only split:
positions are quantized to 16 bits over a tile, so a 5 km tile keeps every
vertex within 4 cm, where a 20 km one would be off by 15 cm, and two cities
in one database never share a tile.

Geometric error (GE): Cesium refines a tile (loads its children) when ``GE ×
screen height / (distance × 2 tan(fovy / 2))`` exceeds 16 px, i.e. at
``distance < ≈ 58–104 × GE`` on 1,080 px screens (60° vertical, or 60°
horizontal at 16:9).  So:

* parents of leaves get ``MIN_GE`` = 12.5 m: leaves load once the camera is
  within ≈ 0.7–1.3 km of them, however large their cell;
* higher tiles get ``max(2 × their children's GE, cell size / 58)``: a tile
  refines once the camera is within about its own size, so a city-wide view
  draws the top content tiles (the biggest buildings of the whole city, a
  handful of requests) and detail arrives tile by tile on approach;
* tiles without content pass straight through: they take their parent's GE,
  so the first content level appears as soon as the root is refined;
* leaves have nothing finer below them: GE 0.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

MAX_BUILDINGS = 1000
MAX_VERTICES = 40_000
MAX_CONTENT_SIZE_M = 5000.0
MIN_GE = 12.5  # parents of leaves: the leaves load within ≈ 0.7–1.3 km
REFINE_DISTANCE_PER_GE = 58.0  # DOMAIN.md: 1080 px, 60° vertical field of view, SSE 16
MIN_CELL_M = 1.0  # never split below this (many buildings on one point)


@dataclass
class Tile:
    """A node of the quadtree; ``buildings`` are indices into the caller's arrays."""

    id: str
    x0: float
    y0: float
    size: float
    buildings: np.ndarray
    children: list[Tile] = field(default_factory=list)

    @property
    def depth(self) -> int:
        return len(self.id) - 1

    def walk(self):
        yield self
        for child in self.children:
            yield from child.walk()

    def quadrant(self, x: float, y: float) -> str:
        half = self.size / 2
        return str(int(x >= self.x0 + half) + 2 * int(y >= self.y0 + half))

    def child_cell(self, q: str) -> tuple[float, float, float]:
        half = self.size / 2
        k = int(q)
        return self.x0 + half * (k % 2), self.y0 + half * (k // 2), half

    def contains(self, x: float, y: float) -> bool:
        return self.x0 <= x <= self.x0 + self.size and self.y0 <= y <= self.y0 + self.size


def geometric_errors(root: Tile) -> dict[str, float]:
    """GE of every tile of the tree (see the module docstring)."""
    bottom_up: dict[str, float] = {}

    def up(t: Tile) -> float:
        below = [up(c) for c in t.children]
        if not below:
            ge = 0.0
        elif max(below) == 0.0:
            ge = MIN_GE
        else:
            ge = max(2 * max(below), t.size / REFINE_DISTANCE_PER_GE)
        bottom_up[t.id] = ge
        return ge

    up(root)
    out: dict[str, float] = {}

    def down(t: Tile, parent: float | None) -> None:
        ge = bottom_up[t.id]
        if parent is not None and len(t.buildings) == 0 and t.children:
            ge = parent
        out[t.id] = ge
        for c in t.children:
            down(c, ge)

    down(root, None)
    return out


def root_cell(x: np.ndarray, y: np.ndarray, margin: float = 0.05) -> tuple[float, float, float]:
    """A square around all centroids, a little larger so that new buildings
    near the edge still fall inside on an incremental build."""
    if len(x) == 0:
        return 0.0, 0.0, 1.0
    w = max(float(x.max() - x.min()), float(y.max() - y.min()), 100.0)
    size = w * (1 + 2 * margin)
    cx, cy = (x.max() + x.min()) / 2, (y.max() + y.min()) / 2
    return float(cx - size / 2), float(cy - size / 2), float(size)


def _cell_tile(x: np.ndarray, y: np.ndarray, members: np.ndarray | None,
               cell: tuple[float, float, float] | None, tile_id: str) -> Tile:
    """The tile of ``cell`` (default: the root cell of all points) holding
    ``members`` (default: all)."""
    if members is None:
        members = np.arange(len(x))
    x0, y0, size = root_cell(x, y) if cell is None else cell
    return Tile(tile_id, x0, y0, size, np.asarray(members, dtype=np.int64))


def build_quadtree(
    *,
    x: np.ndarray,
    y: np.ndarray,
    importance: np.ndarray,
    vertices: np.ndarray,
    ids: np.ndarray,
    members: np.ndarray | None = None,
    cell: tuple[float, float, float] | None = None,
    tile_id: str = "r",
    max_buildings: int = MAX_BUILDINGS,
    max_vertices: int = MAX_VERTICES,
    max_content_size: float = MAX_CONTENT_SIZE_M,
) -> Tile:
    """Build the (sub)tree for ``members`` (default: all) inside ``cell``.

    ``ids`` break importance ties, so the same input always gives the same tree.
    """
    tile = _cell_tile(x, y, members, cell, tile_id)
    x0, y0, size, members = tile.x0, tile.y0, tile.size, tile.buildings
    splittable = size >= MIN_CELL_M
    if size > max_content_size and splittable:
        tile.buildings = np.zeros(0, dtype=np.int64)
        rest = members
    elif (len(members) <= max_buildings and vertices[members].sum() <= max_vertices) or not splittable:
        tile.buildings = np.sort(members)
        return tile
    else:
        order = members[np.lexsort((ids[members], -importance[members]))]
        within = np.cumsum(vertices[order]) <= max_vertices
        keep = max(1, min(max_buildings, int(within.sum())))
        tile.buildings = np.sort(order[:keep])
        rest = order[keep:]
    half = size / 2
    quad = (x[rest] >= x0 + half).astype(int) + 2 * (y[rest] >= y0 + half).astype(int)
    for q in range(4):
        sub = rest[quad == q]
        if len(sub):
            tile.children.append(build_quadtree(
                x=x, y=y, importance=importance, vertices=vertices, ids=ids, members=sub,
                cell=(x0 + half * (q % 2), y0 + half * (q // 2), half), tile_id=f"{tile_id}{q}",
                max_buildings=max_buildings, max_vertices=max_vertices,
                max_content_size=max_content_size))
    return tile


def split_above_content(
    *,
    x: np.ndarray,
    y: np.ndarray,
    members: np.ndarray | None = None,
    cell: tuple[float, float, float] | None = None,
    tile_id: str = "r",
    max_content_size: float = MAX_CONTENT_SIZE_M,
) -> tuple[Tile, list[Tile]]:
    """The top of the tree: the cells too wide for content, down to the first
    cells that may hold some (the *stubs*, with all their members in
    ``buildings``).  Building :func:`build_quadtree` under every stub
    (``members=stub.buildings``, its cell and id) and grafting the result
    onto the stub gives exactly the tree of :func:`build_quadtree` over
    everything; the stubs' subtrees share no building, so they can be built
    apart (in parallel)."""
    tile = _cell_tile(x, y, members, cell, tile_id)
    x0, y0, size, members = tile.x0, tile.y0, tile.size, tile.buildings
    if not (size > max_content_size and size >= MIN_CELL_M):
        return tile, [tile]
    tile.buildings = np.zeros(0, dtype=np.int64)
    stubs: list[Tile] = []
    half = size / 2  # the same arithmetic as build_quadtree, so the same cells
    quad = (x[members] >= x0 + half).astype(int) + 2 * (y[members] >= y0 + half).astype(int)
    for q in range(4):
        sub = members[quad == q]
        if len(sub):
            child, below = split_above_content(
                x=x, y=y, members=sub, cell=(x0 + half * (q % 2), y0 + half * (q // 2), half),
                tile_id=f"{tile_id}{q}", max_content_size=max_content_size)
            tile.children.append(child)
            stubs.extend(below)
    return tile, stubs
