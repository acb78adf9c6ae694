"""What every importer shares: tag meanings, road-graph cutting, geometry
checks, the report, the ImportRun lifecycle and base elevations."""

from __future__ import annotations

import numpy as np
import psycopg
import pytest
import shapely
from django.db import IntegrityError, ProgrammingError, connection, transaction

from cim.choices import BuildingUse, ImportStatus, RoadClass, ServiceCategory
from cim.errors import ImportFailed
from cim.importers import bulk
from cim.importers import geometry as g
from cim.importers import osm_tags as t
from cim.importers.report import ImportReport
from cim.importers.roadgraph import snap_endpoints, split_at_junctions
from cim.models import AuditLog, Building, ImportRun, RejectedFeature, RoadNode, RoadSegment
from cim.services.dem import dem_register
from cim.services.elevation import base_elevations, building_base_elevations_update, ground_sampler
from cim.services.imports import file_checksum, import_execute
from cim.services.terrain import ground_heights
from tests import factories as f

BOW_TIE = shapely.Polygon([(0, 0), (1, 1), (1, 0), (0, 1), (0, 0)])


def _approx(expected: float | None):
    """What a parsed value must equal: ``expected`` within rounding, or ``None`` (not parsed)."""
    return None if expected is None else pytest.approx(expected)


@pytest.mark.parametrize("raw,metres", [
    ("12", 12.0), ("12 m", 12.0), ("12.5m", 12.5), ("12,5", 12.5), ("40'", 40 * 0.3048),
    ("40 ft", 40 * 0.3048), ("12'6\"", 12 * 0.3048 + 6 * 0.0254), ("-3", -3.0),
    ("tall", None), ("", None), (None, None),
])
def test_length_tags(raw, metres):
    assert t.parse_length_m(raw) == _approx(metres)


@pytest.mark.parametrize("raw,kmh", [
    ("50", 50.0), ("50 mph", 50 * 1.609344), ("30 knots", 30 * 1.852), ("FR:urban", 50.0),
    ("DE:rural", 100.0), ("RU:urban", 60.0), ("DE:zone30", 30.0), ("walk", 7.0), ("50;30", 30.0),
    ("none", None), ("signals", None), ("fast", None), ("500", None), (None, None),
])
def test_maxspeed(raw, kmh):
    assert t.parse_maxspeed(raw) == _approx(kmh)


def test_road_rules():
    assert t.road_speed({"highway": "primary", "maxspeed": "FR:urban"}) == (50.0, True)
    assert t.road_speed({"highway": "primary"}) == (t.DEFAULT_SPEED_KMH["primary"], False)
    assert t.road_speed({"highway": "footway", "maxspeed": "50"}) == (t.WALK_SPEED_KMH, False)
    assert t.oneway({"oneway": "yes"}) == (True, False)
    assert t.oneway({"oneway": "-1"}) == (True, True)
    assert t.oneway({"highway": "motorway"}) == (True, False)
    assert t.oneway({"highway": "primary", "junction": "roundabout"}) == (True, False)
    assert t.oneway({"highway": "motorway", "oneway": "no"}) == (False, False)
    assert t.oneway({"highway": "primary"}) == (False, False)
    for walk in ("footway", "path", "steps", "cycleway", "pedestrian", "bridleway", "corridor"):
        assert t.road_class(walk) == RoadClass.PEDESTRIAN
    assert t.road_class("track") == RoadClass.TRACK
    assert t.road_class("primary_link") == RoadClass.LINK
    assert t.lanes({"lanes": "2;3"}) == 2 and t.lanes({"lanes": "99"}) is None


def test_building_rules():
    storey = 3.0
    assert t.building_height({"building": "yes", "height": "40'"}, storey) == (
        pytest.approx(12.192), "measured", None)
    assert t.building_height({"building": "yes", "building:levels": "5", "roof:levels": "1"}, storey) == (
        18.0, "levels", 5)
    assert t.building_height({"building": "house"}, storey) == (7.0, "estimated", None)
    assert t.building_height({"building": "yes", "height": "0"}, storey)[0] == 0.0  # caller rejects
    assert t.building_use({"building": "apartments"}) == BuildingUse.RESIDENTIAL
    assert t.building_use({"building": "yes", "amenity": "hospital"}) == BuildingUse.HEALTHCARE
    assert t.building_use({"building": "yes", "shop": "bakery"}) == BuildingUse.COMMERCIAL
    assert t.display_name({"name": "Casino", "name:zh": "赌场"}) == "赌场"
    assert t.service_category({"amenity": "townhall"}) == ServiceCategory.GOV_SERVICE_HALL
    assert t.service_category({"amenity": "doctors"}) == ServiceCategory.CLINIC
    assert t.service_category({"emergency": "assembly_point"}) == ServiceCategory.SHELTER
    assert t.service_category({"amenity": "shelter", "shelter_type": "public_transport"}) is None
    assert t.service_category({"amenity": "bench"}) is None


def test_every_value_the_tag_rules_produce_is_a_model_choice():
    uses = set(t.BUILDING_USE.values()) | set(t.AMENITY_USE.values()) | {"other"}
    assert uses <= set(BuildingUse.values)
    classes = {t.road_class(h) for h in [*t.DEFAULT_SPEED_KMH, *t.PEDESTRIAN_HIGHWAYS, "busway", "x"]}
    assert classes <= set(RoadClass.values)
    assert set(t.AMENITY_CATEGORY.values()) <= set(ServiceCategory.values)


def test_split_at_junctions_cuts_only_at_shared_nodes():
    # way 0: 1-2-3-4-5, way 1: 3-6 (shares node 3), way 2: a loop 7-8-9-7
    refs = [np.array([1, 2, 3, 4, 5]), np.array([3, 6]), np.array([7, 8, 9, 7])]
    edges, junctions = split_at_junctions(refs)
    assert [(e.way, e.part, e.start, e.end) for e in edges] == [
        (0, 0, 0, 2), (0, 1, 2, 4), (1, 0, 0, 1), (2, 0, 0, 3)]
    assert junctions.tolist() == [1, 3, 5, 6, 7]


def test_snap_endpoints_joins_close_ends_transitively():
    points = np.array([[0, 0], [0.4, 0], [0.8, 0], [10, 10], [10, 10.5], [50, 50]])
    labels, reps = snap_endpoints(points, 0.5)
    assert labels.tolist() == [0, 0, 0, 1, 1, 2]
    assert reps.tolist() == [0, 3, 5]


def test_geometry_check_gives_shapely_reason():
    problems = g.check(np.array([BOW_TIE, shapely.Polygon(), None, shapely.box(0, 0, 1, 1)], dtype=object))
    assert problems[0][0] == "invalid_geometry" and "Self-intersection" in problems[0][1]
    assert problems[1][0] == problems[2][0] == "empty_geometry"
    assert problems[3] is None
    lines = shapely.from_wkt(["LINESTRING (0 0, 1 0, 1 1, 0 0)", "LINESTRING (0 0, 1 0, 0 0)"])
    polys, problems = g.closed_lines_to_polygons(lines)
    assert polys[0].area == pytest.approx(0.5) and problems[0] is None
    assert problems[1][0] == "too_few_points"
    assert g.utm_epsg(105.7, 34.58) == 32648 and g.utm_epsg(7.42, 43.73) == 32632


def test_geometry_check_refuses_coordinates_off_the_globe_or_not_numbers():
    """A valid geometry off the globe is refused with its bounds; NaN and
    infinite coordinates are refused by GEOS's validity check itself (which
    is why the globe test looks only at the bounds of valid geometries)."""
    nan, inf = float("nan"), float("inf")
    with np.errstate(invalid="ignore"):  # shapely warns when it makes rings of NaN
        broken = [shapely.Polygon([(0, 0), (1, nan), (1, 1), (0, 0)]), shapely.Point(inf, 2),
                  shapely.MultiPolygon([shapely.Polygon([(0, 0), (1, 0), (nan, 1), (0, 0)])])]
    problems = g.check(np.array([
        shapely.box(179.5, 10, 180.5, 11), shapely.box(0, 89, 1, 91), shapely.box(7.41, 43.73, 7.42, 43.74),
        *broken], dtype=object))
    assert problems[0] == ("out_of_range", "coordinates span lon 179.5…180.5, lat 10…11: outside the "
                                           "valid area lon -180…180, lat -90…90")
    assert problems[1][0] == "out_of_range" and "lat 89…91" in problems[1][1]
    assert problems[2] is None
    assert [p[0] for p in problems[3:]] == ["invalid_geometry"] * 3
    assert all("Invalid Coordinate" in p[1] for p in problems[3:])
    assert g.check(np.array([shapely.box(179.5, 10, 180.5, 11)], dtype=object), lonlat=False) == [None]


def test_report_counts_and_table():
    report = ImportReport()
    report.layer("buildings").read = 3
    report.loaded("buildings", inserted=1, updated=1)
    report.reject("buildings", "way/1", "invalid_geometry", "Self-intersection[0.5 0.5]")
    counts = report.counts()["buildings"]
    assert counts == {"read": 3, "imported": 2, "inserted": 1, "updated": 1, "rejected": 1,
                      "rejected_by_reason": {"invalid_geometry": 1}}
    table = report.table()
    assert "buildings" in table and "invalid_geometry" in table


@pytest.mark.django_db
def test_import_execute_records_success_and_failure(tmp_path):
    data = tmp_path / "some.file"
    data.write_bytes(b"0123456789")

    def good(run, report):
        report.layer("buildings").read = 2
        f.building(105.70, 34.58, source_id="kept")
        report.loaded("buildings", inserted=1, updated=0)
        report.reject("buildings", "x", "absurd_height", "height 5000 m")

    run, report = import_execute(kind="osm", path=data, options={"a": 1}, load=good)
    run.refresh_from_db()
    assert run.status == ImportStatus.SUCCEEDED and run.finished_at and run.message == ""
    assert run.checksum == file_checksum(data) and run.file_size == 10 and run.options == {"a": 1}
    assert run.counts["buildings"]["imported"] == 1
    assert list(run.rejections.values_list("layer", "source_id", "reason")) == [
        ("buildings", "x", "absurd_height")]
    assert AuditLog.objects.filter(action="import.osm", object_id=str(run.pk)).count() == 1

    def bad(run, report):
        f.building(105.71, 34.58, source_id="lost")
        report.reject("buildings", "y", "invalid_geometry", "Self-intersection")
        raise ImportFailed(f"{data.name}: broken on purpose", field="file")

    with pytest.raises(ImportFailed):
        import_execute(kind="osm", path=data, load=bad)
    failed = ImportRun.objects.latest("id")
    assert failed.status == ImportStatus.FAILED and "broken on purpose" in failed.message
    assert failed.finished_at is not None
    assert list(Building.objects.values_list("source_id", flat=True)) == ["kept"]
    assert not AuditLog.objects.filter(action="import.osm", object_id=str(failed.pk)).exists()
    assert RejectedFeature.objects.filter(run=failed, reason="invalid_geometry").count() == 1


def _box_row(source_id: str, x: float = 105.71) -> tuple:
    """A building row in the order of ``bulk.BUILDING_ROW``."""
    return (source_id, "", g.to_ewkb_hex(np.array([shapely.box(x, 34.58, x + 0.0002, 34.5802)]))[0],
            10.0, "measured", None, "other", None, 1, None, "{}", None)


def _checked_row(source_id: str, x: float = 105.71) -> tuple:
    """A building row as the OSM reader hands it to ``bulk.buildings_check_and_load``."""
    return (source_id, g.to_ewkb_hex(np.array([shapely.MultiPolygon([shapely.box(x, 34.58, x + 0.0002,
                                                                                 34.5802)])]))[0],
            ("", 10.0, "measured", None, "other", None, "{}"))


@pytest.mark.django_db
def test_a_failing_load_step_fails_the_import_and_keeps_nothing(tmp_path):
    """An error in any step of the load (here a table that does not exist)
    fails the import, and what earlier steps wrote is rolled back with the
    rest."""
    data = tmp_path / "x.osm.pbf"
    data.write_bytes(b"x")
    f.building(105.70, 34.58, source_id="before")

    def load(run, report):
        bulk.rejected_stage()
        stage = bulk.Stage("building", bulk.BUILDING_COLUMNS).load([_box_row("new")])
        assert bulk.buildings_upsert(stage, source="test", run_id=run.pk).inserted == 1
        with connection.cursor() as cur:
            cur.execute("INSERT INTO no_such_table VALUES (1)")

    with pytest.raises(ProgrammingError, match="no_such_table"):
        import_execute(kind="osm", path=data, load=load)
    failed = ImportRun.objects.latest("id")
    assert failed.status == ImportStatus.FAILED and "no_such_table" in failed.message
    assert list(Building.objects.values_list("source_id", flat=True)) == ["before"]


def _city_tables() -> dict:
    return {model.__name__: sorted(model.objects.values_list("source", "source_id", "import_run_id",
                                                             *extra))
            for model, extra in ((Building, ("admin_area_id",)), (RoadNode, ()),
                                 (RoadSegment, ("from_node_id", "to_node_id")))}


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("path", ["copy", "upsert", "road_graph"])
def test_a_dangling_reference_is_refused_and_nothing_is_stored(tmp_path, path):
    """The bulk paths write with every foreign key live, whatever the role
    (the tests run as a superuser, for whom the loader once switched the
    checks off): rows naming an import run that does not exist are refused
    by PostgreSQL, the import fails and the city tables are left exactly as
    they were."""
    data = tmp_path / "x.osm.pbf"
    data.write_bytes(b"x")
    f.building(105.70, 34.58, source_id="before", source="test" if path == "upsert" else "other")
    before = _city_tables()

    def load(run, report):
        gone_id = run.pk + 1000
        if path == "road_graph":
            assert bulk.fresh_for([RoadNode, RoadSegment], source="test")
            bulk.road_graph_copy(node_refs=np.array([1, 2]), node_wkb=g.points_ewkb_hex(
                np.array([[105.71, 34.58], [105.72, 34.58]])), segments=[
                ("way/1/0", "", g.to_ewkb_hex(np.array([shapely.LineString([(105.71, 34.58),
                                                                            (105.72, 34.58)])]))[0],
                 1, 2, "residential", 30.0, False, False, None, False, False, False, "{}")],
                lengths=np.array([915.0]), source="test", run_id=gone_id)
        else:
            fresh = bulk.fresh_for([Building], source="test")
            assert fresh == (path == "copy")
            bulk.buildings_check_and_load([_checked_row("way/1"), _checked_row("before", 105.72)],
                                          source="test", run_id=gone_id, fresh=fresh, areas=False,
                                          sample=None)

    with pytest.raises((IntegrityError, psycopg.IntegrityError), match="import_run"):
        import_execute(kind="osm", path=data, load=load)
    assert ImportRun.objects.latest("id").status == ImportStatus.FAILED
    assert _city_tables() == before
    with connection.cursor() as cur:  # and the session is as it was: no setting outlived the import
        cur.execute("SELECT current_setting('session_replication_role')")
        assert cur.fetchone()[0] == "origin"


@pytest.mark.django_db
def test_a_building_naming_an_admin_area_that_does_not_exist_is_refused():
    """The staging path's upsert runs with the admin-area key live too."""
    run = ImportRun.objects.create(kind="osm", source_name="x")
    before = _city_tables()
    stage = bulk.Stage("building", bulk.BUILDING_COLUMNS).load([_box_row("way/9")])
    sql = bulk.sourced_upsert_sql(Building, from_sql=f"{stage.name} s", values={
        **{name: f"s.{name}" for name, _ in bulk.BUILDING_COLUMNS}, "centroid": "ST_Centroid(s.footprint)",
        "footprint": "ST_Multi(s.footprint)", "admin_area_id": "-1"})
    with pytest.raises(IntegrityError, match="admin_area"), transaction.atomic():
        with connection.cursor() as cur:
            cur.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cur.execute(sql, {"source": "test", "run": run.pk})
    assert _city_tables() == before


@pytest.mark.django_db
def test_the_import_run_reference_is_checked_per_statement_for_every_writer():
    """The run reference of sourced rows has no per-row foreign key but
    statement triggers (migration 0006): an UPDATE naming a run that does not
    exist, deleting a run that rows still name, truncating the runs or
    changing a run's id are refused as a foreign key would refuse them; the
    ORM's own delete (SET_NULL first) goes through."""
    with connection.cursor() as cur:  # TRUNCATE waits for no deferred check of the other keys
        cur.execute("SET CONSTRAINTS ALL IMMEDIATE")
    run = ImportRun.objects.create(kind="osm", source_name="x")
    building = f.building(105.70, 34.58, import_run=run)
    other = ImportRun.objects.create(kind="osm", source_name="y")
    for sql, params, match in [
        (f"UPDATE {Building._meta.db_table} SET import_run_id = %s", [other.pk + 1000], "import_run"),
        ("DELETE FROM cim_importrun WHERE id = %s", [run.pk], "cim_building"),
        ("TRUNCATE cim_importrun CASCADE", [], "cim_building"),
        ("UPDATE cim_importrun SET id = %s WHERE id = %s", [other.pk + 1000, run.pk], "cannot change"),
    ]:
        with pytest.raises(IntegrityError, match=match), transaction.atomic(), connection.cursor() as cur:
            cur.execute(sql, params)
    with connection.cursor() as cur:  # a run no row names goes, and the rows may name another
        cur.execute("DELETE FROM cim_importrun WHERE id = %s", [other.pk])
        cur.execute(f"UPDATE {Building._meta.db_table} SET import_run_id = NULL")
        cur.execute(f"UPDATE {Building._meta.db_table} SET import_run_id = %s", [run.pk])
    run.delete()
    building.refresh_from_db()
    assert building.import_run_id is None


def _road_keys() -> list[tuple[str, str]]:
    with connection.cursor() as cur:
        cur.execute("""SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint
                        WHERE contype = 'f' AND conrelid = %s::regclass ORDER BY 1""",
                    [RoadSegment._meta.db_table])
        return cur.fetchall()


@pytest.mark.django_db
def test_segment_node_keys_dropped_for_a_first_load_are_checked_when_added_back():
    """A first road load drops the segment → node keys of the two (empty,
    locked) road tables and adds them back after the COPY: adding them back
    checks every row, so a segment naming a node that does not exist fails
    the load, and the keys are there again, unchanged, afterwards."""
    keys = _road_keys()
    run = ImportRun.objects.create(kind="osm", source_name="x")
    with pytest.raises(IntegrityError, match="from_node"), transaction.atomic():
        with connection.cursor() as cur:
            cur.execute("SET CONSTRAINTS ALL IMMEDIATE")  # as import_execute does
        bulk.indexes_deferred([RoadNode, RoadSegment])
        restore = bulk.foreign_keys_deferred([RoadNode, RoadSegment])
        assert sorted(s.split()[5] for s in restore) == sorted(name for name, _ in keys
                                                              if "node" in name)
        nodes, _ = bulk.road_graph_copy(
            node_refs=np.array([1, 2]),
            node_wkb=g.points_ewkb_hex(np.array([[105.71, 34.58], [105.72, 34.58]])),
            segments=[("way/1/0", "", g.to_ewkb_hex(np.array([shapely.LineString([(105.71, 34.58),
                                                                                (105.72, 34.58)])]))[0],
                       1, 2, "residential", 30.0, False, False, None, False, False, False, "{}")],
            lengths=np.array([915.0]), source="test", run_id=run.pk)
        with connection.cursor() as cur:
            cur.execute(f"UPDATE {RoadSegment._meta.db_table} SET from_node_id = -1")
        bulk.indexes_rebuild(restore)
    assert _road_keys() == keys
    assert not RoadSegment.objects.exists() and not RoadNode.objects.exists()
    # Tables that are not empty keep their keys.
    f.road((105.70, 34.58), (105.701, 34.58))
    with transaction.atomic():
        bulk.indexes_deferred([RoadNode, RoadSegment])
        assert bulk.foreign_keys_deferred([RoadNode, RoadSegment]) == []
    assert _road_keys() == keys


def test_staging_columns_and_upserts_follow_the_models():
    """Column types come from the models; an upsert that would leave a
    column of the model out, or name one it does not have, is refused."""
    assert dict(bulk.BUILDING_COLUMNS)["name"] == "varchar(200)"
    assert dict(bulk.BUILDING_COLUMNS)["footprint"] == "geometry"
    assert dict(bulk.SEGMENT_COLUMNS)["from_ref"] == "text"
    with pytest.raises(ValueError, match="admin_area_id"):
        bulk.sourced_upsert_sql(Building, values={"source_id": "s.source_id"}, from_sql="x s")
    with pytest.raises(ValueError, match="no_such_column"):
        bulk.sourced_upsert_sql(RoadNode, values={"source_id": "s.source_id", "geom": "s.geom",
                                                  "no_such_column": "1"}, from_sql="x s")


@pytest.mark.django_db
def test_base_elevation_is_the_lowest_ground_under_the_footprint(media_root, shared_data):
    assert ground_sampler() is None
    dem_register(source_path=shared_data / "dem" / "monaco_srtm3_clip.tif")
    slope = f.building(7.420, 43.735, size=0.002, source_id="slope")
    outside = f.building(105.70, 34.58, source_id="tianshui")
    with transaction.atomic():
        assert building_base_elevations_update() == 1
    slope.refresh_from_db()
    outside.refresh_from_db()
    corners = shapely.get_coordinates(shapely.from_wkb(bytes(slope.footprint.wkb)))
    heights = ground_heights(corners[:, 0], corners[:, 1])
    assert slope.base_elevation == pytest.approx(np.nanmin(heights), abs=0.01)
    assert slope.base_elevation < np.nanmax(heights)  # on a slope: the lowest corner counts
    assert outside.base_elevation is None
    # The preloaded sampler used while importing answers exactly as ground_heights does.
    lons, lats = np.linspace(7.35, 7.49, 50), np.linspace(43.71, 43.77, 50)
    assert np.allclose(ground_sampler()(lons, lats), ground_heights(lons, lats), equal_nan=True)
    assert np.isnan(base_elevations(np.array([shapely.box(0, 0, 0.1, 0.1)], dtype=object))[0])
