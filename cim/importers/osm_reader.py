"""Reading an OpenStreetMap PBF into rows for the city model (pyosmium;
no Django).

One streaming pass over nodes and ways (after a quick pass over the
relations that finds multipolygon buildings):

* building ways become polygons handed in batches to ``on_buildings`` as
  they come (the loader copies, checks and upserts them in PostGIS while the
  file is still being read);
* highway ways are kept as node ids + coordinates until the end, when they
  are cut at shared nodes into graph edges;
* amenity nodes and closed ways become service points.

Rows are tuples in the column order of :mod:`cim.importers.bulk`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import orjson
import osmium
import shapely

from . import geometry as g
from . import osm_tags as t
from . import report as r
from .roadgraph import split_at_junctions

BUILDINGS = "buildings"
BUILDING_RELATIONS = "building_relations"
ROADS = "roads"
SEGMENTS = "road_segments"
NODES = "road_nodes"
SERVICE_POINTS = "service_points"

# Little-endian EWKB polygon with SRID 4326 and one ring; followed by the
# ring's point count and coordinates exactly as in a WKB line string.
_POLYGON_EWKB_PREFIX = "0103000020E610000001000000"
_YEAR = re.compile(r"^\s*~?\s*(\d{4})")


class OsmReadError(Exception):
    """The file cannot be read as OSM data (corrupt, truncated, not PBF)."""


@dataclass
class OsmRest:
    """What is left after the streaming pass: the road graph and the
    service points (small beside the buildings)."""

    segments: list[tuple] = field(default_factory=list)
    nodes: list[tuple] = field(default_factory=list)
    service_points: list[tuple] = field(default_factory=list)
    relation_buildings: list[tuple] = field(default_factory=list)
    way_keys: list[str] = field(default_factory=list)  # "way/123" of every road way loaded


def _tags(obj) -> dict[str, str]:
    # pyosmium's own TagList iterator adds a Python frame per tag; stepping
    # the underlying accessor directly reads the same data with less overhead.
    data = obj._pyosmium_data
    it = data.tags_begin()
    step = data.tags_next
    out = {}
    try:
        while True:
            key, value = step(it)
            out[key] = value
    except StopIteration:
        return out


def _json(tags: dict) -> str:
    return orjson.dumps(tags).decode()


def _year(tags: dict[str, str]) -> int | None:
    match = _YEAR.match(tags.get("start_date") or tags.get("building:year") or "")
    if match and 1000 <= int(match.group(1)) <= 2100:
        return int(match.group(1))
    return None


class OsmReader:
    """Streams one PBF file; see the module docstring."""

    batch_size = 4096

    def __init__(self, path: str, *, storey_height_m: float, max_height_m: float,
                 report: r.ImportReport, on_buildings: Callable[[list[tuple]], None],
                 progress: Callable[[int], None] | None = None) -> None:
        self.path = str(path)
        self.storey = storey_height_m
        self.max_height = max_height_m
        self.report = report
        self.on_buildings = on_buildings
        self.progress = progress or (lambda n: None)
        self.wkb = osmium.geom.WKBFactory()
        self._batch: list[tuple] = []  # building rows waiting for on_buildings
        self._road_refs: list[np.ndarray] = []
        self._road_coords: list[np.ndarray] = []
        self._road_tags: list[dict] = []
        self._road_ids: list[int] = []
        self._sp_nodes: list[tuple] = []
        self._sp_ways: list[tuple] = []  # (source_id, line_wkb, tags, category)
        self._member_lines: dict[int, str] = {}
        self._relations: list[tuple[int, dict, list[tuple[int, str]]]] = []
        self._read = {layer: report.layer(layer) for layer in (BUILDINGS, BUILDING_RELATIONS, ROADS,
                                                               SERVICE_POINTS)}
        report.layer(SEGMENTS, derived=True)
        report.layer(NODES, derived=True)

    # ---- reading -----------------------------------------------------------
    def read(self) -> OsmRest:
        try:
            self._scan_relations()
            self._scan_nodes_and_ways()
        except RuntimeError as exc:  # pyosmium reports I/O and format errors so
            raise OsmReadError(str(exc)) from None
        self._flush_buildings()
        rest = OsmRest()
        self._finish_relations(rest)
        self._finish_roads(rest)
        self._finish_service_points(rest)
        return rest

    def _scan_relations(self) -> None:
        processor = osmium.FileProcessor(self.path, osmium.osm.RELATION).with_filter(
            osmium.filter.KeyFilter("building"))
        for rel in processor:
            tags = _tags(rel)
            if tags.get("type") != "multipolygon":
                continue
            members = [(m.ref, m.role or "outer") for m in rel.members if m.type == "w"]
            self._relations.append((rel.id, tags, members))
            for ref, _ in members:
                self._member_lines[ref] = ""
        self.report.layer(BUILDING_RELATIONS).read = len(self._relations)

    def _scan_nodes_and_ways(self) -> None:
        node_filter = osmium.filter.KeyFilter("amenity", "emergency").enable_for(osmium.osm.NODE)
        processor = (osmium.FileProcessor(self.path, osmium.osm.NODE | osmium.osm.WAY)
                     .with_locations().with_filter(node_filter))
        members = self._member_lines
        node_type = osmium.osm.Node
        seen = 0
        # The hot loop asks the underlying C++ object directly: pyosmium's
        # Python wrappers (TagList.__contains__, is_node…) cost a frame each,
        # which is a tenth of the reading time of a city file.
        for obj in processor:
            seen += 1
            if not seen & 8191:
                self.progress(8192)
            if type(obj) is node_type:
                self._node(obj)
                continue
            data = obj._pyosmium_data
            if members and data.id() in members:
                try:
                    members[data.id()] = self.wkb.create_linestring(obj)
                except (RuntimeError, osmium.InvalidLocationError):
                    pass
            if not data.tags_size():
                continue
            has = data.tags_has_key
            is_building = has("building")
            is_highway = has("highway")
            is_service = (has("amenity") or has("emergency")) and data.is_closed()
            if not (is_building or is_highway or is_service):
                continue
            tags = _tags(obj)
            if is_building:
                self._building_way(obj, tags)
            if is_highway:
                self._highway_way(obj, tags)
            if is_service:
                category = t.service_category(tags)
                if category:
                    self._service_way(obj, tags, category)
        self.progress(seen & 8191)

    def _node(self, node) -> None:
        tags = _tags(node)
        category = t.service_category(tags)
        if category is None:
            return
        self._read[SERVICE_POINTS].read += 1
        loc = node.location
        point = shapely.Point(loc.lon, loc.lat)
        self._sp_nodes.append((f"node/{node.id}", point, tags, category))

    def _building_way(self, way, tags: dict[str, str]) -> None:
        source_id = f"way/{way.id}"
        self._read[BUILDINGS].read += 1
        if tags["building"] == "no":
            self.report.reject(BUILDINGS, source_id, r.NOT_A_BUILDING, "building=no")
            return
        if not way.is_closed():
            self.report.reject(BUILDINGS, source_id, r.UNCLOSED_RING,
                               "a building way must end at the node it starts from")
            return
        attrs = self._building_attrs(source_id, tags, BUILDINGS)
        if attrs is None:
            return
        try:
            line = self.wkb.create_linestring(way)
        except osmium.InvalidLocationError:
            self.report.reject(BUILDINGS, source_id, r.MISSING_NODES,
                               "some nodes of the way are not in the file")
            return
        except RuntimeError as exc:
            self.report.reject(BUILDINGS, source_id, r.TOO_FEW_POINTS, str(exc))
            return
        points = int.from_bytes(bytes.fromhex(line[10:18]), "little")
        if points < 4:
            self.report.reject(BUILDINGS, source_id, r.TOO_FEW_POINTS,
                               f"a ring needs 4 points, the way has {points} distinct")
            return
        # The closed line's WKB becomes the polygon's EWKB without a round trip
        # through a geometry library: same points, one ring.  Validity is
        # checked by PostGIS in bulk while loading.
        polygon = _POLYGON_EWKB_PREFIX + line[10:]
        self._batch.append((source_id, attrs[0], polygon, *attrs[1:6], 1, None, attrs[6]))
        if len(self._batch) >= self.batch_size:
            self._flush_buildings()

    def _building_attrs(self, source_id: str, tags: dict, layer: str) -> tuple | None:
        height, source, floors = t.building_height(tags, self.storey)
        if not 0 < height <= self.max_height:
            self.report.reject(layer, source_id, r.ABSURD_HEIGHT,
                               f"height {height:g} m (height={tags.get('height')!r}, "
                               f"building:levels={tags.get('building:levels')!r}) is not within "
                               f"0–{self.max_height:g} m")
            return None
        return (t.display_name(tags)[:200], height, source, floors, t.building_use(tags),
                _year(tags), _json(tags))

    def _flush_buildings(self) -> None:
        if self._batch:
            batch, self._batch = self._batch, []
            self.on_buildings(batch)

    def _highway_way(self, way, tags: dict[str, str]) -> None:
        source_id = f"way/{way.id}"
        self._read[ROADS].read += 1
        if tags["highway"] in t.NOT_ROADS:
            self.report.reject(ROADS, source_id, r.NOT_A_ROAD, f"highway={tags['highway']}")
            return
        refs = [node.ref for node in way.nodes]
        try:
            line = self.wkb.create_linestring(way, use_nodes=osmium.geom.use_nodes.ALL)
            coords = np.frombuffer(bytes.fromhex(line[18:]), dtype="<f8").reshape(-1, 2)
        except (RuntimeError, osmium.InvalidLocationError):
            # Some nodes lie outside the extract: keep the ones that are in it.
            kept = [(node.ref, node.location) for node in way.nodes if node.location.valid()]
            if len(kept) < 2:
                self.report.reject(ROADS, source_id, r.MISSING_NODES,
                                   f"{len(kept)} of the way's {len(refs)} nodes are in the file")
                return
            refs = [ref for ref, _ in kept]
            coords = np.array([(loc.lon, loc.lat) for _, loc in kept], dtype=np.float64)
        self._road_refs.append(np.array(refs, dtype=np.int64))
        self._road_coords.append(coords)
        self._road_ids.append(way.id)
        self._road_tags.append(tags)

    def _service_way(self, way, tags: dict, category: str) -> None:
        self._read[SERVICE_POINTS].read += 1
        source_id = f"way/{way.id}"
        try:
            line = self.wkb.create_linestring(way)
        except (RuntimeError, osmium.InvalidLocationError) as exc:
            self.report.reject(SERVICE_POINTS, source_id, r.MISSING_NODES, str(exc))
            return
        self._sp_ways.append((source_id, line, tags, category))

    # ---- after the pass ------------------------------------------------------
    def _finish_relations(self, rest: OsmRest) -> None:
        for rel_id, tags, members in self._relations:
            source_id = f"relation/{rel_id}"
            missing = [ref for ref, _ in members if not self._member_lines.get(ref)]
            if missing:
                self.report.reject(BUILDING_RELATIONS, source_id, r.MISSING_MEMBERS,
                                   f"{len(missing)} member ways are not in the file, e.g. way/{missing[0]}")
                continue
            attrs = self._building_attrs(source_id, tags, BUILDING_RELATIONS)
            if attrs is None:
                continue
            outer = [shapely.from_wkb(self._member_lines[ref]) for ref, role in members if role != "inner"]
            inner = [shapely.from_wkb(self._member_lines[ref]) for ref, role in members if role == "inner"]
            shape = shapely.union_all(shapely.get_parts(shapely.polygonize(outer)))
            if inner:
                shape = shapely.difference(
                    shape, shapely.union_all(shapely.get_parts(shapely.polygonize(inner))))
            problem = g.check(np.array([shape], dtype=object))[0]
            if problem is None and shape.geom_type not in ("Polygon", "MultiPolygon"):
                problem = (r.INVALID_GEOMETRY, f"the rings make a {shape.geom_type}, not an area")
            if problem is not None:
                if problem[0] == r.EMPTY_GEOMETRY:
                    problem = (r.INVALID_GEOMETRY, "the outer member ways do not form closed rings")
                self.report.reject(BUILDING_RELATIONS, source_id, *problem)
                continue
            wkb = g.to_ewkb_hex(np.array([shape], dtype=object))[0]
            rest.relation_buildings.append((source_id, attrs[0], wkb, *attrs[1:6], 1, None, attrs[6]))

    def _finish_roads(self, rest: OsmRest) -> None:
        edges, junctions = split_at_junctions(self._road_refs)
        if not edges:
            return
        lines = shapely.linestrings(
            np.concatenate([self._road_coords[e.way][e.start:e.end + 1] for e in edges]),
            indices=np.repeat(np.arange(len(edges)), [e.end - e.start + 1 for e in edges]))
        reversed_lines = shapely.reverse(lines)
        ewkb = g.to_ewkb_hex(lines)
        ewkb_rev = g.to_ewkb_hex(reversed_lines)
        per_way = []
        for way_id, tags in zip(self._road_ids, self._road_tags, strict=True):
            speed, from_tag = t.road_speed(tags)
            one, backwards = t.oneway(tags)
            highway = tags["highway"]
            klass = t.road_class(tags.get("construction", "") if highway == "construction" else highway)
            per_way.append((way_id, (t.display_name(tags)[:200], klass, speed, from_tag, one, t.lanes(tags),
                                     highway == "construction", t.is_yes(tags.get("bridge")),
                                     t.is_yes(tags.get("tunnel")), _json(tags)), backwards))
        for i, edge in enumerate(edges):
            way_id, attrs, backwards = per_way[edge.way]
            refs = self._road_refs[edge.way]
            a, b = f"node/{refs[edge.start]}", f"node/{refs[edge.end]}"
            if backwards:
                a, b = b, a
            rest.segments.append((f"way/{way_id}/{edge.part}", attrs[0],
                                  ewkb_rev[i] if backwards else ewkb[i], a, b, *attrs[1:]))
        rest.way_keys = [f"way/{way_id}" for way_id, _, _ in per_way]
        # Coordinates of the junction nodes (each node id → its location).
        flat_refs = np.concatenate(self._road_refs)
        flat_coords = np.concatenate(self._road_coords)
        _, first = np.unique(flat_refs, return_index=True)
        position = dict(zip(flat_refs[first].tolist(), first.tolist(), strict=True))
        picks = np.array([position[ref] for ref in junctions.tolist()], dtype=np.int64)
        points = g.to_ewkb_hex(shapely.points(flat_coords[picks]))
        rest.nodes = [(f"node/{ref}", wkb) for ref, wkb in zip(junctions.tolist(), points, strict=True)]

    def _finish_service_points(self, rest: OsmRest) -> None:
        items = list(self._sp_nodes)
        if self._sp_ways:
            lines = shapely.from_wkb([line for _, line, _, _ in self._sp_ways])
            polys, problems = g.closed_lines_to_polygons(lines)
            for (source_id, _, tags, category), line, poly, problem in zip(
                    self._sp_ways, lines, polys, problems, strict=True):
                # An invalid outline still has a sensible centre for a point of service.
                centre = shapely.centroid(poly if problem is None else line)
                items.append((source_id, centre, tags, category))
        if not items:
            return
        points = g.to_ewkb_hex(np.array([item[1] for item in items], dtype=object))
        for (source_id, _, tags, category), wkb in zip(items, points, strict=True):
            capacity = t.parse_count(tags.get("capacity") or tags.get("beds"))
            rest.service_points.append((
                source_id, t.display_name(tags)[:200], (tags.get("name:en") or "")[:200], wkb, category,
                t.street_address(tags)[:200], (tags.get("phone") or tags.get("contact:phone") or "")[:32],
                (tags.get("opening_hours") or "")[:120],
                int(capacity) if capacity is not None and 0 <= capacity < 2**31 else None, _json(tags)))
