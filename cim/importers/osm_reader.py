"""Reading an OpenStreetMap PBF into rows for the city model (pyosmium;
no Django).

Two streaming passes, each reading only what it needs:

1. the relations, for the multipolygon buildings and their member ways;
2. the nodes and then the ways (a PBF holds all nodes before the ways):
   every node location goes into an index for the ways, amenity nodes
   become service points; building ways become polygons handed in batches
   to ``on_buildings`` as they come (the loader checks, places and stores
   them in PostGIS while the file is still being read); highway ways are
   kept as node ids + coordinates and cut at shared nodes into graph edges
   at the end of the pass, then handed to ``on_roads``; amenity closed ways
   become service points.  (Reading nodes and ways in one pass instead of
   two saves a tenth of the reading time, and the buildings reach the
   loader earlier.)

After the pass the buildings are finished first: the last batch of building
ways, then the multipolygon buildings (``on_relation_buildings``, called once
even when there are none), so that the loader completes the buildings and
builds their indexes while the road graph is being cut.

Tags are read once per combination (:mod:`.osm_tagsets`), and what the rules
of :mod:`.osm_tags` make of them is kept with the combination, so a building
way costs its geometry and little more.  Building rows are
``(source_id, footprint, attrs)`` with the footprint as hex EWKB of a
MultiPolygon and ``attrs`` as in ``bulk.CHECKED_BUILDING_ATTRS``.
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
from .osm_tagsets import TagSet, TagSets, read_tags
from .roadgraph import junction_cuts

BUILDINGS = "buildings"
BUILDING_RELATIONS = "building_relations"
ROADS = "roads"
SEGMENTS = "road_segments"
NODES = "road_nodes"
SERVICE_POINTS = "service_points"

ROAD_ATTRS = ("road_class", "speed_kmh", "speed_from_tag", "oneway", "lanes", "closed", "bridge", "tunnel",
              "tags")

# Little-endian EWKB of a MultiPolygon with SRID 4326 holding one polygon of
# one ring; the ring's point count and coordinates follow exactly as in the
# WKB of a line string.
_MULTIPOLYGON_EWKB_PREFIX = "0106000020E610000001000000" "010300000001000000"
_LINE_HEADER = 18  # hex digits of a WKB line string before its coordinates
_POINT_HEX = 32  # hex digits of one (x, y)
_RING_HEX_MIN = _LINE_HEADER + 4 * _POINT_HEX  # a line string of the 4 points a ring needs at least
_YEAR = re.compile(r"^\s*~?\s*(\d{4})")


class OsmReadError(Exception):
    """The file cannot be read as OSM data (corrupt, truncated, not PBF)."""


@dataclass
class RoadGraph:
    """Highways cut at junctions: the nodes that end an edge (sorted by OSM
    id) and the edges, each with its geodesic length in metres.

    Segment rows are ``(source_id, name, geom, from_ref, to_ref, *attrs)``
    with the node refs as OSM ids and ``attrs`` as in :data:`ROAD_ATTRS`."""

    node_refs: np.ndarray
    node_wkb: list[str]
    segments: list[tuple]
    lengths: np.ndarray
    way_keys: list[str]  # "way/123" of every road way loaded


@dataclass
class OsmRest:
    """What is left after the last pass: the service points."""

    service_points: list[tuple] = field(default_factory=list)


def _first_positions(values: np.ndarray, wanted: np.ndarray) -> np.ndarray:
    """Where each of ``wanted`` (all present in ``values``) first occurs in ``values``."""
    unique, first = np.unique(values, return_index=True)
    return first[np.searchsorted(unique, wanted)]


_UNDEFINED = 2**31 - 1  # libosmium's coordinate of a node it has not seen
_NOT_IN_FILE = "some nodes of the way are not in the file"


def _unplaced(way, missing: str) -> tuple[str, str]:
    """Why a way's line could not be made: a node outside the globe
    (``out_of_range``, with where it lies) or nodes not in the file."""
    stray = [n for n in way.nodes if n.location.x != _UNDEFINED and not n.location.valid()]
    if stray:
        loc, more = stray[0].location, len(stray) - 1
        return r.OUT_OF_RANGE, (f"node {stray[0].ref} lies at lon {loc.lon_without_check():g}, "
                                f"lat {loc.lat_without_check():g}: outside lon −180…180, lat −90…90"
                                + (f" ({more} more such nodes)" if more else ""))
    return r.MISSING_NODES, missing


class _MemberLines:
    """Keeps the line of each way that a multipolygon building uses (the
    ``members`` dict, filled in place)."""

    def __init__(self, members: dict[int, str], wkb) -> None:
        self.members = members
        self.wkb = wkb

    def way(self, way) -> None:
        if way.id in self.members:
            try:
                self.members[way.id] = self.wkb.create_linestring(way)
            except (RuntimeError, osmium.InvalidLocationError):
                pass


class _Rules:
    """What the tag rules make of one tag combination (kept on its TagSet)."""

    __slots__ = ("building", "not_a_building", "building_attrs", "building_problem", "highway", "road",
                 "backwards", "category", "plain_building")


def _json(tags: dict) -> str:
    return orjson.dumps(tags).decode()


def _year(tags: dict[str, str]) -> int | None:
    match = _YEAR.match(tags.get("start_date") or tags.get("building:year") or "")
    if match and 1000 <= int(match.group(1)) <= 2100:
        return int(match.group(1))
    return None


class OsmReader:
    """Streams one PBF file; see the module docstring."""

    batch_size = 2048  # the last batch, loaded after the file is read, is smaller on average

    def __init__(self, path: str, *, storey_height_m: float, max_height_m: float,
                 report: r.ImportReport, on_buildings: Callable[[list[tuple]], None],
                 on_relation_buildings: Callable[[list[tuple]], None], on_roads: Callable[[RoadGraph], None],
                 progress: Callable[[int], None] | None = None) -> None:
        self.path = str(path)
        self.storey = storey_height_m
        self.max_height = max_height_m
        self.report = report
        self.on_buildings = on_buildings
        self.on_relation_buildings = on_relation_buildings
        self.on_roads = on_roads
        self.progress = progress or (lambda n: None)
        self.wkb = osmium.geom.WKBFactory()
        self.tagsets = TagSets()
        self._batch: list[tuple] = []  # building rows waiting for on_buildings
        self._road_refs: list[np.ndarray] = []
        self._road_coords: list[np.ndarray] = []
        self._road_rules: list[_Rules] = []
        self._road_ids: list[int] = []
        self._sp_nodes: list[tuple] = []
        self._sp_ways: list[tuple] = []  # (source_id, line_wkb, tags, category)
        self._member_lines: dict[int, str] = {}
        self._members = _MemberLines(self._member_lines, self.wkb)
        self._relations: list[tuple[int, dict, list[tuple[int, str]]]] = []
        self._read = {layer: report.layer(layer) for layer in (BUILDINGS, BUILDING_RELATIONS, ROADS,
                                                               SERVICE_POINTS)}
        report.layer(SEGMENTS, derived=True)
        report.layer(NODES, derived=True)

    # ---- reading -----------------------------------------------------------
    def read(self) -> OsmRest:
        locations = osmium.index.create_map("flex_mem")
        try:
            self._scan_relations()
            self._scan_nodes_and_ways(locations)
        except RuntimeError as exc:  # pyosmium reports I/O and format errors so
            raise OsmReadError(str(exc)) from None
        # The last buildings go to the loader while the road graph is cut.
        self._flush_buildings()
        self.on_relation_buildings(self._relation_buildings())
        graph = self._road_graph()
        if graph is not None:
            self.on_roads(graph)
        rest = OsmRest()
        self._finish_service_points(rest)
        return rest

    def _scan_relations(self) -> None:
        processor = osmium.FileProcessor(self.path, osmium.osm.RELATION).with_filter(
            osmium.filter.KeyFilter("building"))
        for rel in processor:
            tags = dict(read_tags(rel._pyosmium_data))
            if tags.get("type") != "multipolygon":
                continue
            members = [(m.ref, m.role or "outer") for m in rel.members if m.type == "w"]
            self._relations.append((rel.id, tags, members))
            for ref, _ in members:
                self._member_lines[ref] = ""
        self.report.layer(BUILDING_RELATIONS).read = len(self._relations)

    def _scan_nodes_and_ways(self, locations) -> None:
        # Every node location goes into the index (for the ways that follow
        # them in the file); only nodes that may be service points and ways
        # that may be roads, buildings or service points come to the loop.
        # The others only matter as members of a multipolygon building.
        # pyosmium's own iterator, without the Python generator that
        # FileProcessor puts around it (a frame per object, a fiftieth of the
        # reading time); the handlers must outlive it, hence the names.
        ways = osmium.osm.WAY
        node_locations = osmium.NodeLocationsForWays(locations)
        node_locations.ignore_errors()
        node_filter = osmium.filter.KeyFilter("amenity", "emergency").enable_for(osmium.osm.NODE)
        way_filter = osmium.filter.KeyFilter("highway", "building", "amenity", "emergency").enable_for(ways)
        with osmium.io.Reader(self.path, osmium.osm.NODE | ways) as reader:
            objects = osmium.OsmFileIterator(reader, node_locations, node_filter, way_filter)
            objects.set_filtered_handler(self._members)
            self._nodes_and_ways(objects)

    def _nodes_and_ways(self, objects) -> None:
        node_type = osmium.osm.Node
        members = self._member_lines
        tagset_of = self.tagsets.get
        rules_of = self._rules
        linestring = self.wkb.create_linestring
        batch_size = self.batch_size
        seen = plain = 0
        # The hot loop asks the underlying C++ object directly: pyosmium's
        # Python wrappers (TagList.__contains__, is_node…) cost a frame each,
        # which is a tenth of the reading time of a city file.
        for obj in objects:
            seen += 1
            if not seen & 8191:
                self.progress(8192)
            if type(obj) is node_type:
                self._node(obj)
                continue
            data = obj._pyosmium_data
            way_id = data.id()
            if members and way_id in members:
                self._members.way(obj)
            tagset = tagset_of(data)
            rules = tagset.derived or rules_of(tagset)
            # Nine ways in ten of a city file are plain buildings that are
            # kept: their row is made here, without a call per way (what
            # _building_way does for them, the same row); any other way, or
            # one whose line cannot be made, takes the full path below, which
            # gives the reason for a refusal.
            attrs = rules.plain_building
            if attrs is not None and data.is_closed():
                try:
                    line = linestring(obj)
                except (RuntimeError, osmium.InvalidLocationError):
                    line = ""
                if len(line) >= _RING_HEX_MIN:
                    batch = self._batch
                    batch.append((f"way/{way_id}", _MULTIPOLYGON_EWKB_PREFIX + line[10:], attrs))
                    plain += 1
                    if len(batch) >= batch_size:
                        self._flush_buildings()
                    continue
            if rules.highway:
                self._highway_way(obj, data, tagset, rules)
            if rules.building:
                self._building_way(obj, data, rules)
            if rules.category and data.is_closed():
                self._service_way(obj, tagset.tags, rules.category)
        self._read[BUILDINGS].read += plain
        self.progress(seen & 8191)

    def _rules(self, tagset: TagSet) -> _Rules:
        tags = tagset.tags
        rules = tagset.derived = _Rules()
        rules.building = "building" in tags
        rules.not_a_building = tags.get("building") == "no"
        rules.building_attrs, rules.building_problem = (
            self._building_attrs(tags) if rules.building and not rules.not_a_building else (None, None))
        rules.highway = "highway" in tags
        rules.road, rules.backwards = self._road_attrs(tags) if rules.highway else (None, False)
        rules.category = t.service_category(tags) if "amenity" in tags or "emergency" in tags else None
        rules.plain_building = (rules.building_attrs if rules.building and not rules.not_a_building
                                and not rules.highway and not rules.category else None)
        return rules

    def _node(self, node) -> None:
        tags = self.tagsets.get(node._pyosmium_data).tags
        category = t.service_category(tags)
        if category is None:
            return
        self._read[SERVICE_POINTS].read += 1
        loc = node.location
        point = shapely.Point(loc.lon, loc.lat)
        self._sp_nodes.append((f"node/{node.id}", point, tags, category))

    def _building_way(self, way, data, rules: _Rules) -> None:
        source_id = f"way/{data.id()}"
        self._read[BUILDINGS].read += 1
        if rules.not_a_building:
            self.report.reject(BUILDINGS, source_id, r.NOT_A_BUILDING, "building=no")
            return
        if not data.is_closed():
            self.report.reject(BUILDINGS, source_id, r.UNCLOSED_RING,
                               "a building way must end at the node it starts from")
            return
        if rules.building_attrs is None:
            self.report.reject(BUILDINGS, source_id, *rules.building_problem)
            return
        try:
            line = self.wkb.create_linestring(way)
        except osmium.InvalidLocationError:
            self.report.reject(BUILDINGS, source_id, *_unplaced(way, _NOT_IN_FILE))
            return
        except RuntimeError as exc:
            self.report.reject(BUILDINGS, source_id, r.TOO_FEW_POINTS, str(exc))
            return
        points = (len(line) - _LINE_HEADER) // _POINT_HEX
        if points < 4:
            self.report.reject(BUILDINGS, source_id, r.TOO_FEW_POINTS,
                               f"a ring needs 4 points, the way has {points} distinct")
            return
        # The closed line's WKB becomes the footprint's EWKB without a round
        # trip through a geometry library: same points, one ring.  Validity
        # is checked in bulk while loading.
        self._batch.append((source_id, _MULTIPOLYGON_EWKB_PREFIX + line[10:], rules.building_attrs))
        if len(self._batch) >= self.batch_size:
            self._flush_buildings()

    def _building_attrs(self, tags: dict) -> tuple[tuple | None, tuple[str, str] | None]:
        """``(attrs, None)`` for a building with these tags, or ``(None,
        (reason, detail))`` when they make it one to refuse."""
        height, source, floors = t.building_height(tags, self.storey)
        if not 0 < height <= self.max_height:
            return None, (r.ABSURD_HEIGHT,
                          f"height {height:g} m (height={tags.get('height')!r}, "
                          f"building:levels={tags.get('building:levels')!r}) is not within "
                          f"0–{self.max_height:g} m")
        return (t.display_name(tags)[:200], height, source, floors, t.building_use(tags), _year(tags),
                _json(tags)), None

    def _flush_buildings(self) -> None:
        if self._batch:
            batch, self._batch = self._batch, []
            self.on_buildings(batch)

    @staticmethod
    def _road_attrs(tags: dict[str, str]) -> tuple[tuple, bool]:
        """``(name, *attrs)`` of a road with these tags, and whether it runs
        against its way's direction."""
        speed, from_tag = t.road_speed(tags)
        one, backwards = t.oneway(tags)
        highway = tags["highway"]
        klass = t.road_class(tags.get("construction", "") if highway == "construction" else highway)
        return (t.display_name(tags)[:200], klass, speed, from_tag, one, t.lanes(tags),
                highway == "construction", t.is_yes(tags.get("bridge")), t.is_yes(tags.get("tunnel")),
                _json(tags)), backwards

    def _highway_way(self, way, data, tagset: TagSet, rules: _Rules) -> None:
        source_id = f"way/{data.id()}"
        self._read[ROADS].read += 1
        highway = tagset.tags["highway"]
        if highway in t.NOT_ROADS:
            self.report.reject(ROADS, source_id, r.NOT_A_ROAD, f"highway={highway}")
            return
        nodes = data.nodes()
        at = nodes.get
        refs = [at(data, i).ref for i in range(nodes.size(data))]
        try:
            line = self.wkb.create_linestring(way, use_nodes=osmium.geom.use_nodes.ALL)
            coords = np.frombuffer(bytes.fromhex(line[_LINE_HEADER:]), dtype="<f8").reshape(-1, 2)
        except (RuntimeError, osmium.InvalidLocationError):
            # Some nodes lie outside the extract: keep the ones that are in it
            # (a node off the globe refuses the way).
            kept = [(node.ref, node.location) for node in way.nodes if node.location.valid()]
            reason, detail = _unplaced(way, f"{len(kept)} of the way's {len(refs)} nodes are in the file")
            if len(kept) < 2 or reason == r.OUT_OF_RANGE:
                self.report.reject(ROADS, source_id, reason, detail)
                return
            refs = [ref for ref, _ in kept]
            coords = np.array([(loc.lon, loc.lat) for _, loc in kept], dtype=np.float64)
        self._road_refs.append(np.array(refs, dtype=np.int64))
        self._road_coords.append(coords)
        self._road_ids.append(data.id())
        self._road_rules.append(rules)

    def _service_way(self, way, tags: dict, category: str) -> None:
        self._read[SERVICE_POINTS].read += 1
        source_id = f"way/{way.id}"
        try:
            line = self.wkb.create_linestring(way)
        except (RuntimeError, osmium.InvalidLocationError) as exc:
            self.report.reject(SERVICE_POINTS, source_id, *_unplaced(way, str(exc)))
            return
        self._sp_ways.append((source_id, line, tags, category))

    # ---- after the pass ------------------------------------------------------
    def _relation_buildings(self) -> list[tuple]:
        rows = []
        for rel_id, tags, members in self._relations:
            source_id = f"relation/{rel_id}"
            missing = [ref for ref, _ in members if not self._member_lines.get(ref)]
            if missing:
                self.report.reject(BUILDING_RELATIONS, source_id, r.MISSING_MEMBERS,
                                   f"{len(missing)} member ways are not in the file, e.g. way/{missing[0]}")
                continue
            attrs, problem = self._building_attrs(tags)
            if attrs is None:
                self.report.reject(BUILDING_RELATIONS, source_id, *problem)
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
            wkb = g.to_ewkb_hex(np.array([shapely.multipolygons(shapely.get_parts(shape))], dtype=object))[0]
            rows.append((source_id, wkb, attrs))
        return rows

    def _road_graph(self) -> RoadGraph | None:
        cuts = junction_cuts(self._road_refs)
        if not len(cuts.way):
            return None
        flat_refs = np.concatenate(self._road_refs)
        flat_coords = np.concatenate(self._road_coords)
        sizes = cuts.last - cuts.first + 1
        edge_of_vertex = np.repeat(np.arange(len(sizes)), sizes)
        edge_start = np.repeat(np.cumsum(sizes) - sizes, sizes)
        vertices = cuts.first[edge_of_vertex] + np.arange(sizes.sum()) - edge_start
        coords = flat_coords[vertices]
        lines = shapely.linestrings(coords, indices=edge_of_vertex)
        backwards = np.array([rules.backwards for rules in self._road_rules])[cuts.way]
        if backwards.any():
            lines[backwards] = shapely.reverse(lines[backwards])
        ends = np.where(backwards[:, None], flat_refs[np.column_stack([cuts.last, cuts.first])],
                        flat_refs[np.column_stack([cuts.first, cuts.last])])
        way_ids = [self._road_ids[w] for w in cuts.way.tolist()]
        attrs = [self._road_rules[w].road for w in cuts.way.tolist()]
        return RoadGraph(
            node_refs=cuts.junctions,
            # Coordinates of the junction nodes: where each id first occurs.
            node_wkb=g.points_ewkb_hex(flat_coords[_first_positions(flat_refs, cuts.junctions)]),
            segments=[(f"way/{way_id}/{part}", attr[0], wkb, a, b, *attr[1:])
                      for way_id, part, attr, wkb, (a, b)
                      in zip(way_ids, cuts.part.tolist(), attrs, g.to_ewkb_hex(lines).tolist(), ends.tolist(),
                             strict=True)],
            lengths=g.geodesic_lengths(coords, sizes),
            way_keys=[f"way/{way_id}" for way_id in self._road_ids])

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
