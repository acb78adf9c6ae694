"""``import_osm`` on real extracts (Monaco, Liechtenstein), on a small file
written here with every rule in it, and on broken files."""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import osmium
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db.models import Count, Sum

from cim.choices import ImportStatus
from cim.models import (
    AuditLog,
    Building,
    DemRaster,
    ImportRun,
    RejectedFeature,
    RoadNode,
    RoadSegment,
    ServicePoint,
)
from cim.services.dem import dem_register
from cim.services.terrain import dem_path
from tests import factories as f

pytestmark = pytest.mark.django_db

LON, LAT = 7.4200, 43.7350  # inside the Monaco SRTM clip
D = 0.0002


def run_import(path: Path, *args: str) -> tuple[ImportRun, str]:
    out = io.StringIO()
    call_command("import_osm", str(path), "--no-progress", *args, stdout=out)
    return ImportRun.objects.latest("id"), out.getvalue()


def write_osm(path: Path, *, apartments_height: str = "40'", side_street_joins: bool = True) -> Path:
    """A small PBF with one case of each rule the importer knows."""
    nodes: dict[int, tuple[float, float]] = {}
    ways: list[tuple[int, list[int], dict]] = []

    def square(first: int, x: float, y: float, size: float = D) -> list[int]:
        for i, (dx, dy) in enumerate([(0, 0), (size, 0), (size, size), (0, size)]):
            nodes[first + i] = (x + dx, y + dy)
        return [first, first + 1, first + 2, first + 3, first]

    ways.append((100, square(1, LON, LAT), {"building": "apartments", "height": apartments_height,
                                            "name": "Tower", "name:zh": "公寓楼", "addr:street": "Rue A",
                                            "addr:housenumber": "7", "amenity": "townhall"}))
    nodes.update({5: (LON + 0.001, LAT), 6: (LON + 0.0012, LAT + 0.0002), 7: (LON + 0.0012, LAT),
                  8: (LON + 0.001, LAT + 0.0002)})
    ways.append((101, [5, 6, 7, 8, 5], {"building": "yes"}))  # bow-tie
    ways.append((102, square(10, LON + 0.002, LAT), {"building": "yes", "height": "0"}))
    ways.append((103, square(20, LON + 0.003, LAT), {"building": "yes", "height": "5000 m"}))
    nodes.update({30: (LON + 0.004, LAT), 31: (LON + 0.0042, LAT), 32: (LON + 0.0042, LAT + 0.0002)})
    ways.append((104, [30, 31, 32], {"building": "yes"}))  # not closed
    ways.append((105, square(40, LON + 0.005, LAT), {"building": "yes", "building:levels": "4",
                                                     "roof:levels": "1", "start_date": "1995"}))
    ways.append((106, square(50, LON + 0.006, LAT), {"building": "house"}))
    ways.append((200, square(60, LON, LAT + 0.002, 0.001), {}))  # relation outer, untagged
    ways.append((201, square(70, LON + 0.0004, LAT + 0.0024, 0.0002), {}))  # relation inner
    # roads: 300 is cut where 301 joins it (node 82); 302 runs against its way (oneway=-1)
    for i in range(80, 90):
        nodes[i] = (LON + 0.0005 * (i - 80), LAT - 0.002)
    nodes[90] = (LON + 0.001, LAT - 0.003)
    nodes[91] = (LON + 0.001, LAT - 0.0025)
    ways.append((300, [80, 81, 82, 83], {"highway": "primary", "maxspeed": "50 mph", "name": "Main"}))
    ways.append((301, [82 if side_street_joins else 91, 90],
                 {"highway": "residential", "lanes": "2", "bridge": "yes"}))
    ways.append((302, [83, 84], {"highway": "secondary", "oneway": "-1", "maxspeed": "FR:urban"}))
    ways.append((303, [84, 85], {"highway": "footway"}))
    ways.append((304, [85, 86], {"highway": "motorway"}))
    ways.append((305, [86, 87], {"highway": "proposed"}))
    ways.append((306, [87, 999_999], {"highway": "service"}))  # second node not in the file
    ways.append((307, [88, 89], {"highway": "construction", "construction": "tertiary"}))
    pois = {400: {"amenity": "hospital", "name": "Hôpital"}, 401: {"amenity": "police"},
            402: {"amenity": "shelter", "shelter_type": "public_transport"},
            403: {"emergency": "assembly_point", "name": "Place"}, 404: {"amenity": "bench"}}
    for i, node_id in enumerate(pois):
        nodes[node_id] = (LON + 0.0001 * i, LAT - 0.001)
    with osmium.SimpleWriter(str(path), overwrite=True) as writer:
        for node_id in sorted(nodes):
            writer.add_node(osmium.osm.mutable.Node(id=node_id, location=nodes[node_id],
                                                    tags=pois.get(node_id, {})))
        for way_id, refs, tags in sorted(ways):
            writer.add_way(osmium.osm.mutable.Way(id=way_id, nodes=refs, tags=tags))
        writer.add_relation(osmium.osm.mutable.Relation(
            id=900, members=[("w", 200, "outer"), ("w", 201, "inner")],
            tags={"type": "multipolygon", "building": "yes", "name": "Courtyard"}))
    return path


def test_small_file_every_rule(tmp_path):
    path = write_osm(tmp_path / "rules.osm.pbf")
    run, summary = run_import(path)
    assert run.status == ImportStatus.SUCCEEDED
    assert run.counts["buildings"]["read"] == 7 and run.counts["buildings"]["imported"] == 3
    assert run.counts["buildings"]["rejected_by_reason"] == {
        "absurd_height": 2, "invalid_geometry": 1, "unclosed_ring": 1}
    assert "buildings" in summary and "absurd_height" in summary

    tower = Building.objects.get(source="osm", source_id="way/100")
    assert tower.height == pytest.approx(40 * 0.3048) and tower.height_source == "measured"
    assert tower.name == "公寓楼" and tower.use == "residential"
    assert tower.tags["addr:street"] == "Rue A" and tower.tags["addr:housenumber"] == "7"
    assert tower.centroid.x == pytest.approx(LON + D / 2) and tower.footprint.geom_type == "MultiPolygon"
    levels = Building.objects.get(source_id="way/105")
    assert (levels.height, levels.height_source, levels.floors, levels.year_built) == \
        (15.0, "levels", 4, 1995)
    house = Building.objects.get(source_id="way/106")
    assert (house.height, house.height_source) == (7.0, "estimated")
    courtyard = Building.objects.get(source_id="relation/900")
    assert courtyard.name == "Courtyard" and len(courtyard.footprint[0]) == 2  # outer ring + hole
    assert run.counts["building_relations"] == {"read": 1, "imported": 1, "inserted": 1, "updated": 0,
                                                "rejected": 0}

    bowtie = RejectedFeature.objects.get(run=run, source_id="way/101")
    assert bowtie.reason == "invalid_geometry" and "Self-intersection" in bowtie.detail
    assert "5000" in RejectedFeature.objects.get(run=run, source_id="way/103").detail

    segments = {s.source_id: s for s in RoadSegment.objects.filter(source="osm")}
    assert set(segments) == {"way/300/0", "way/300/1", "way/301/0", "way/302/0", "way/303/0", "way/304/0",
                             "way/307/0"}
    main0, main1 = segments["way/300/0"], segments["way/300/1"]
    assert (main0.from_node.source_id, main0.to_node.source_id) == ("node/80", "node/82")
    assert (main1.from_node.source_id, main1.to_node.source_id) == ("node/82", "node/83")
    assert main0.speed_kmh == pytest.approx(80.467, abs=0.01) and main0.speed_from_tag
    # 2 × 0.0005° of longitude at 43.7° N is about 80.4 m, measured on the ellipsoid
    assert main0.length_m == pytest.approx(80.4, abs=0.5)
    assert segments["way/301/0"].lanes == 2 and segments["way/301/0"].bridge
    assert not segments["way/301/0"].speed_from_tag and segments["way/301/0"].speed_kmh == 30.0
    back = segments["way/302/0"]
    assert back.oneway and (back.from_node.source_id, back.to_node.source_id) == ("node/84", "node/83")
    assert back.geom.coords[0] == pytest.approx(back.from_node.geom.coords)
    assert back.speed_kmh == 50.0
    assert segments["way/303/0"].road_class == "pedestrian" and segments["way/303/0"].speed_kmh == 5.0
    assert segments["way/304/0"].oneway and segments["way/304/0"].road_class == "motorway"
    assert segments["way/307/0"].closed and segments["way/307/0"].road_class == "tertiary"
    assert run.counts["roads"]["rejected_by_reason"] == {"missing_nodes": 1, "not_a_road": 1}
    assert set(RoadNode.objects.filter(source="osm").values_list("source_id", flat=True)) == {
        "node/80", "node/82", "node/83", "node/84", "node/85", "node/86", "node/88", "node/89", "node/90"}

    points = {p.source_id: p for p in ServicePoint.objects.filter(source="osm")}
    assert set(points) == {"node/400", "node/401", "node/403", "way/100"}
    assert points["way/100"].category == "gov_service_hall" and points["way/100"].address == "Rue A 7"
    assert points["node/401"].category == "police_station" and points["node/401"].name  # named by category
    assert points["node/403"].category == "shelter"
    assert AuditLog.objects.filter(action="import.osm", object_id=str(run.pk)).exists()
    # A first import's COPYs leave the times to the database's default, the
    # transaction's time, as the upserts write it: one time on every row.
    times = {pair for model in (Building, RoadSegment, RoadNode, ServicePoint)
             for pair in model.objects.values_list("created_at", "updated_at")}
    assert len(times) == 1 and None not in next(iter(times))
    assert next(iter(times))[0] == next(iter(times))[1]

    # The same file again: every record updated in place, nothing added.
    before = (Building.objects.count(), RoadSegment.objects.count(), RoadNode.objects.count(),
              ServicePoint.objects.count())
    again, _ = run_import(path)
    assert again.counts["buildings"] == {**run.counts["buildings"], "inserted": 0, "updated": 3}
    assert (Building.objects.count(), RoadSegment.objects.count(), RoadNode.objects.count(),
            ServicePoint.objects.count()) == before
    assert Building.objects.get(source_id="way/100").import_run == again

    # The side street no longer meets Main: Main is one edge now, its old second part goes.
    third, _ = run_import(write_osm(tmp_path / "rules_v3.osm.pbf", side_street_joins=False))
    main = RoadSegment.objects.filter(source="osm", source_id__startswith="way/300/")
    assert [(s.source_id, s.from_node.source_id, s.to_node.source_id) for s in main] == [
        ("way/300/0", "node/80", "node/83")]
    assert any("no longer exist" in note for note in third.counts["notes"])


def _keys_and_indexes() -> list[tuple[str, str]]:
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("""SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint
                        WHERE conrelid = ANY(%(t)s::regclass[])
                       UNION ALL
                       SELECT indexrelid::regclass::text, pg_get_indexdef(indexrelid) FROM pg_index
                        WHERE indrelid = ANY(%(t)s::regclass[]) ORDER BY 1, 2""",
                    {"t": [Building._meta.db_table, RoadNode._meta.db_table, RoadSegment._meta.db_table]})
        return cur.fetchall()


def test_a_first_import_puts_back_every_key_and_index_even_without_roads(tmp_path):
    """A first import takes the lookup indexes (and the segment → node keys)
    off the empty tables and puts them back after the rows; a file with
    buildings but no road puts them back too."""
    before = _keys_and_indexes()
    path = tmp_path / "houses.osm.pbf"
    with osmium.SimpleWriter(str(path), overwrite=True) as writer:
        for i, (dx, dy) in enumerate([(0, 0), (D, 0), (D, D), (0, D)]):
            writer.add_node(osmium.osm.mutable.Node(id=i + 1, location=(LON + dx, LAT + dy)))
        writer.add_way(osmium.osm.mutable.Way(id=1, nodes=[1, 2, 3, 4, 1], tags={"building": "yes"}))
    run, _ = run_import(path)
    assert run.status == ImportStatus.SUCCEEDED and Building.objects.count() == 1
    assert not RoadSegment.objects.exists()
    assert _keys_and_indexes() == before
    run, _ = run_import(write_osm(tmp_path / "small.osm.pbf"), "--source", "other")
    assert run.status == ImportStatus.SUCCEEDED and RoadSegment.objects.exists()
    assert _keys_and_indexes() == before


def test_monaco(shared_data, media_root):
    """The real extract: every building and highway way that osmium counts is
    read, and each is either loaded or refused with a reason; with a DEM and
    an admin area, buildings get a base elevation and an area."""
    dem_register(source_path=shared_data / "dem" / "monaco_srtm3_clip.tif")
    city = f.admin_area("620500", "Monaco (test area)", "city", bbox=(7.40, 43.72, 7.44, 43.76))
    run, summary = run_import(shared_data / "osm" / "monaco_osrm_2016.osm.pbf")
    counts = run.counts
    assert counts["buildings"]["read"] == 23_370 and counts["roads"]["read"] == 2_927
    for layer in ("buildings", "roads", "building_relations", "service_points"):
        c = counts[layer]
        assert c["imported"] + c["rejected"] == c["read"], layer
    assert counts["buildings"]["imported"] > 23_000 and counts["roads"]["imported"] > 2_900
    assert "23370" in summary and "2927" in summary
    rejected = RejectedFeature.objects.filter(run=run).values("layer").annotate(n=Count("id"))
    assert {r["layer"]: r["n"] for r in rejected} == {
        layer: c["rejected"] for layer, c in counts.items() if isinstance(c, dict) and c.get("rejected")}

    buildings = Building.objects.filter(source="osm")
    assert buildings.count() == counts["buildings"]["imported"] + counts["building_relations"]["imported"]
    assert buildings.filter(height_source="estimated").count() > 20_000
    assert not buildings.filter(height__lte=0).exists()
    in_city = buildings.filter(admin_area=city).count()
    assert 0 < in_city < buildings.count()
    with_base = buildings.filter(base_elevation__isnull=False)
    assert with_base.count() == buildings.count()  # the clip covers all of Monaco
    assert -5 < with_base.order_by("base_elevation").first().base_elevation < 20  # the harbour (SRTM noise)
    assert with_base.order_by("-base_elevation").first().base_elevation > 100  # the hills behind

    segments = RoadSegment.objects.filter(source="osm")
    assert segments.count() == counts["road_segments"]["imported"] > counts["roads"]["imported"]
    total_km = segments.aggregate(km=Sum("length_m"))["km"] / 1000
    assert 400 < total_km < 650  # Monaco's mapped ways (with footpaths, steps), in km, not degrees
    assert segments.filter(road_class="pedestrian").count() > 500
    assert segments.filter(oneway=True).count() > 500
    assert segments.filter(speed_from_tag=True).exists() and segments.filter(speed_from_tag=False).exists()
    osm_points = ServicePoint.objects.filter(source="osm")
    categories = dict(osm_points.values_list("category").annotate(n=Count("id")))
    assert categories["hospital"] == 5 and categories["fire_station"] == 3
    assert categories["police_station"] == 14

    # Re-import: in place, no duplicates.
    again, _ = run_import(shared_data / "osm" / "monaco_osrm_2016.osm.pbf")
    assert again.counts["buildings"]["updated"] == counts["buildings"]["imported"]
    assert again.counts["buildings"]["inserted"] == 0
    assert Building.objects.filter(source="osm").count() == buildings.count()
    assert RoadSegment.objects.filter(source="osm").count() == counts["road_segments"]["imported"]


def test_liechtenstein(shared_data):
    run, _ = run_import(shared_data / "osm" / "liechtenstein-2013-08-03.osm.pbf")
    assert run.status == ImportStatus.SUCCEEDED
    assert run.counts["buildings"]["read"] == 3_722 and run.counts["roads"]["read"] == 2_753
    assert Building.objects.count() == run.counts["buildings"]["imported"] + \
        run.counts["building_relations"]["imported"]
    assert ServicePoint.objects.filter(category="fire_station").count() == 6


def _city_state():
    return (list(Building.objects.order_by("source_id").values_list("source_id", "height", "base_elevation")),
            list(RoadSegment.objects.order_by("source_id").values_list("source_id", "speed_kmh", "length_m")),
            RoadNode.objects.count(), ServicePoint.objects.count(), AuditLog.objects.count())


def test_truncated_file_fails_cleanly(tmp_path, shared_data):
    run_import(write_osm(tmp_path / "rules.osm.pbf"))
    before = _city_state()
    cut = tmp_path / "monaco_cut.osm.pbf"
    data = (shared_data / "osm" / "monaco_osrm_2016.osm.pbf").read_bytes()
    cut.write_bytes(data[: len(data) // 2])
    with pytest.raises(CommandError, match=r"monaco_cut\.osm\.pbf: not a readable OpenStreetMap PBF"):
        run_import(cut)
    failed = ImportRun.objects.latest("id")
    assert failed.status == ImportStatus.FAILED and "unexpected EOF" in failed.message
    assert failed.file_size == len(data) // 2
    assert _city_state() == before


@pytest.mark.parametrize("name,content,message", [
    ("notes.txt", b"hello", "unknown format '.txt'"),
    ("roads.csv", b"id,name\n1,a\n", "unknown format '.csv'"),
    ("garbage.osm.pbf", b"\x00\x01 not a pbf at all", "not a readable OpenStreetMap PBF"),
])
def test_bad_files_are_refused(tmp_path, name, content, message):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(CommandError, match=message):
        run_import(path)
    failed = ImportRun.objects.latest("id")
    assert failed.status == ImportStatus.FAILED and name in failed.message
    assert not Building.objects.exists() and not RoadSegment.objects.exists()


def test_failure_after_loading_rolls_everything_back(tmp_path, shared_data, media_root):
    """A failure at the last step (the DEM file behind a registered DEM has
    gone) undoes the buildings, roads and points already loaded by that run."""
    dem_register(source_path=shared_data / "dem" / "monaco_srtm3_clip.tif")
    first, _ = run_import(write_osm(tmp_path / "rules.osm.pbf"))
    before = _city_state()
    assert Building.objects.get(source_id="way/100").height == pytest.approx(12.192)
    changed = write_osm(tmp_path / "rules_v2.osm.pbf", apartments_height="50")
    shutil.move(dem_path(DemRaster.objects.get()), tmp_path / "moved.tif")
    with pytest.raises(CommandError, match="its file .* is missing"):
        run_import(changed, "--source", "osm")
    failed = ImportRun.objects.latest("id")
    assert failed.status == ImportStatus.FAILED
    assert "rules_v2.osm.pbf" in failed.message and "missing" in failed.message
    assert _city_state() == before
    assert Building.objects.get(source_id="way/100").height == pytest.approx(12.192)
    assert Building.objects.get(source_id="way/100").import_run == first


def _loaded_city() -> tuple:
    return (
        list(Building.objects.order_by("source_id").values_list(
            "source_id", "name", "height", "height_source", "floors", "use", "year_built", "tags")),
        [(sid, fp.wkb.hex()) for sid, fp in Building.objects.order_by("source_id").values_list("source_id",
                                                                                               "footprint")],
        list(RoadSegment.objects.order_by("source_id").values_list(
            "source_id", "name", "road_class", "speed_kmh", "oneway", "length_m", "from_node__source_id",
            "to_node__source_id")),
        list(RoadNode.objects.order_by("source_id").values_list("source_id", flat=True)),
        list(ServicePoint.objects.order_by("source_id").values_list("source_id", "name", "category")),
    )


def test_reading_in_a_child_process_or_in_this_one_gives_the_same_city(tmp_path, settings):
    """The PBF is read in a forked process (both cores: reading beside
    loading); the in-process reader, used where fork is not available, loads
    exactly the same rows and refusals."""
    import gc
    import multiprocessing

    path = write_osm(tmp_path / "rules.osm.pbf")
    results = []
    for in_child in (True, False):
        settings.CIM = {**settings.CIM, "OSM_READ_IN_CHILD": in_child}
        run, _ = run_import(path)
        rejected = sorted(RejectedFeature.objects.filter(run=run).values_list("layer", "source_id", "reason"))
        counts = {k: v for k, v in run.counts.items() if k != "seconds"}
        results.append((counts, rejected, _loaded_city()))
        assert gc.isenabled()  # paused while reading only
        assert not multiprocessing.active_children()  # the reading process is gone
        Building.objects.all().delete()
        RoadSegment.objects.all().delete()
        RoadNode.objects.all().delete()
        ServicePoint.objects.all().delete()
    assert results[0] == results[1]
    assert results[0][1] and results[0][2][0]  # the file has refusals and buildings


def test_a_reading_process_that_fails_leaves_the_city_as_it_was(tmp_path, monkeypatch):
    from cim.importers import osm_reader

    run_import(write_osm(tmp_path / "rules.osm.pbf"))
    before = _city_state()

    def broken(self):
        raise ValueError("simulated fault in the reader")

    monkeypatch.setattr(osm_reader.OsmReader, "read", broken)  # inherited by the forked reader
    with pytest.raises((CommandError, RuntimeError), match="simulated fault in the reader"):
        run_import(write_osm(tmp_path / "again.osm.pbf"))
    assert ImportRun.objects.latest("id").status == ImportStatus.FAILED
    assert _city_state() == before


def test_the_reader_finishes_the_buildings_before_it_cuts_the_road_graph(tmp_path):
    """After the pass the last building batch and the multipolygon buildings
    come first, so that the loader builds the buildings' indexes while the
    road graph is being cut; then the roads and the service points."""
    from cim.importers.osm_reader import OsmReader
    from cim.importers.report import ImportReport

    path = write_osm(tmp_path / "rules.osm.pbf")
    calls = []
    reader = OsmReader(str(path), storey_height_m=3.0, max_height_m=500.0, report=ImportReport(),
                       on_buildings=lambda rows: calls.append(("buildings", len(rows))),
                       on_relation_buildings=lambda rows: calls.append(("relation_buildings", len(rows))),
                       on_roads=lambda graph: calls.append(("roads", len(graph.segments))))
    rest = reader.read()
    assert [kind for kind, _ in calls] == ["buildings", "relation_buildings", "roads"]
    # the bowtie is refused later, by GEOS
    assert calls == [("buildings", 4), ("relation_buildings", 1), ("roads", 7)]
    assert {row[0] for row in rest.service_points} == {"node/400", "node/401", "node/403", "way/100"}


def test_placement_notes_say_what_the_admin_areas_and_dems_gave(tmp_path, shared_data, media_root):
    path = write_osm(tmp_path / "rules.osm.pbf")
    bare, _ = run_import(path, "--source", "bare")
    assert not [note for note in bare.counts.get("notes", []) if "admin area" in note or "DEM" in note]
    dem_register(source_path=shared_data / "dem" / "monaco_srtm3_clip.tif")
    placed, _ = run_import(path, "--source", "placed")
    assert "base elevation from the DEMs: 4 buildings" in placed.counts["notes"]


def test_the_command_starts_reading_before_it_records_the_import(tmp_path, monkeypatch):
    """The reading process is forked first and reads while the import run is
    recorded and the transaction opened; a file that will be refused is not
    read at all, and no process outlives the command."""
    import multiprocessing

    from cim.services import imports

    seen = []
    record = imports.import_run_start

    def watched(**kwargs):
        seen.append([child.name for child in multiprocessing.active_children()])
        return record(**kwargs)

    monkeypatch.setattr(imports, "import_run_start", watched)
    run, _ = run_import(write_osm(tmp_path / "rules.osm.pbf"))
    assert run.status == ImportStatus.SUCCEEDED and seen == [["cim-osm-reader"]]
    assert not multiprocessing.active_children()

    with pytest.raises(CommandError, match="not found|does not exist|no such"):
        run_import(tmp_path / "missing.osm.pbf")
    assert seen[-1] == [] and not multiprocessing.active_children()


def _read_in_child_answer(answer) -> None:
    from cim.importers.osm import _read_in_child

    answer.put(_read_in_child())


def test_a_daemonic_process_reads_in_itself():
    """A Celery worker's pool process is daemonic, and multiprocessing forbids it
    children: the import then reads the file in its own process instead of failing
    ("daemonic processes are not allowed to have children", seen on the workers)."""
    import multiprocessing

    from cim.importers.osm import _read_in_child

    assert _read_in_child() is True  # this process may fork a reader
    context = multiprocessing.get_context("fork")
    answer = context.SimpleQueue()
    daemon = context.Process(target=_read_in_child_answer, args=(answer,), daemon=True)
    daemon.start()
    daemon.join(30)
    assert answer.get() is False


def test_a_building_off_the_globe_is_rejected_with_the_reason(tmp_path):
    """Issue 12 §3.11 for OSM: a way whose nodes lie at longitude 190 is refused
    in the import report; the building beside it is stored."""
    path = tmp_path / "stray.osm.pbf"
    square = [(0, 0), (D, 0), (D, D), (0, D)]
    with osmium.SimpleWriter(str(path), overwrite=True) as writer:
        for base, lon in ((1, LON), (11, 190.0)):
            for i, (dx, dy) in enumerate(square):
                writer.add_node(osmium.osm.mutable.Node(id=base + i, location=(lon + dx, LAT + dy)))
        for way, base in ((1, 1), (2, 11)):
            writer.add_way(osmium.osm.mutable.Way(id=way, nodes=[base, base + 1, base + 2, base + 3, base],
                                                  tags={"building": "yes"}))
    run, _ = run_import(path)
    assert Building.objects.count() == 1
    refused = RejectedFeature.objects.get(run=run)
    assert refused.reason == "out_of_range", (refused.reason, refused.detail)
    assert "lon 190" in refused.detail and "outside" in refused.detail
