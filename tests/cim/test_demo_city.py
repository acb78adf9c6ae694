"""build_demo_city against the real PostGIS: the real codes and boundaries of
Tianshui, a small seeded build with its invariants, idempotence, --force, and
bad input that changes nothing."""

from __future__ import annotations

import csv
import json
from io import StringIO

import numpy as np
import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test import override_settings
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components
from shapely.geometry import shape

from cim.models import (
    AdminArea,
    AuditLog,
    Building,
    DemRaster,
    ImportRun,
    RoadNode,
    RoadSegment,
    ServicePoint,
    Waterway,
)
from cim.services.terrain import ground_heights
from gis_data.demo import plan

SOURCE = plan.SOURCE
DEMO_MODELS = [ServicePoint, Building, RoadSegment, RoadNode, Waterway]


def _clean() -> None:
    for model in DEMO_MODELS:
        model.objects.all().delete()
    DemRaster.objects.all().delete()
    AdminArea.objects.filter(level="community").delete()
    AdminArea.objects.filter(level="street").delete()
    AdminArea.objects.filter(level="district").delete()
    AdminArea.objects.all().delete()
    ImportRun.objects.all().delete()
    AuditLog.objects.all().delete()


@pytest.fixture(scope="module")
def demo(test_database, django_db_blocker, tmp_path_factory):
    """One small build (老城 of 秦州, both banks), committed for this module
    and removed afterwards."""
    media = tmp_path_factory.mktemp("demo-media")
    cim = {**settings.CIM, "DEM_DIR": media / "dem"}
    with override_settings(MEDIA_ROOT=media, CIM=cim), django_db_blocker.unblock():
        _clean()
        out = StringIO()
        call_command("build_demo_city", "--small", stdout=out, stderr=StringIO())
        try:
            yield out.getvalue()
        finally:
            _clean()


def fingerprint() -> str:
    """A digest of every demo record as stored."""
    with connection.cursor() as cur:
        cur.execute("""
            SELECT md5(coalesce(string_agg(row, '|' ORDER BY row), '')) FROM (
              SELECT b.source_id || encode(ST_AsEWKB(b.footprint), 'hex') || b.height || b.floors
                     || b.use || b.name || b.base_elevation || coalesce(a.code, '') AS row
                FROM cim_building b LEFT JOIN cim_adminarea a ON a.id = b.admin_area_id
               WHERE b.source = %(s)s
              UNION ALL
              SELECT r.source_id || encode(ST_AsEWKB(r.geom), 'hex') || r.name || r.road_class
                     || r.oneway || r.bridge || f.source_id || t.source_id
                FROM cim_roadsegment r JOIN cim_roadnode f ON f.id = r.from_node_id
                JOIN cim_roadnode t ON t.id = r.to_node_id WHERE r.source = %(s)s
              UNION ALL
              SELECT p.source_id || p.name || encode(ST_AsEWKB(p.geom), 'hex')
                FROM cim_servicepoint p WHERE p.source = %(s)s
              UNION ALL
              SELECT w.source_id || encode(ST_AsEWKB(w.geom), 'hex') FROM cim_waterway w
               WHERE w.source = %(s)s
              UNION ALL
              SELECT a.code || encode(ST_AsEWKB(a.boundary), 'hex') || a.contact_phone
                FROM cim_adminarea a WHERE a.boundary_synthetic
            ) AS rows""", {"s": SOURCE})
        return cur.fetchone()[0]


def _csv(shared_data, name):
    with open(shared_data / "tianshui" / name, encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


@pytest.mark.django_db
def test_real_codes_and_names(demo, shared_data):
    area = AdminArea.objects.get(code="620502001001")
    assert area.name == "进步巷社区居委会" and area.level == "community"
    assert (area.parent.code, area.parent.name) == ("620502001", "大城街道")
    assert (area.parent.parent.code, area.parent.parent.name) == ("620502", "秦州区")
    assert area.parent.parent.parent.code == "620500"
    villages = _csv(shared_data, "tianshui_villages_2023.csv")
    streets = _csv(shared_data, "tianshui_streets_2023.csv")
    for district in ("620502", "620503"):
        stored = dict(AdminArea.objects.filter(level="community", parent__parent__code=district)
                      .values_list("code", "name"))
        assert stored == {r["code"]: r["name"] for r in villages if r["areaCode"] == district}
        stored = dict(AdminArea.objects.filter(level="street", parent__code=district)
                      .values_list("code", "name"))
        assert stored == {r["code"]: r["name"] for r in streets if r["areaCode"] == district}
    # The other counties are loaded too.
    assert AdminArea.objects.filter(level="community").count() == len(villages)


@pytest.mark.django_db
def test_real_district_boundaries(demo, shared_data):
    data = json.loads((shared_data / "tianshui" / "tianshui_admin_wgs84.geojson").read_text("utf-8"))
    real = {str(f["properties"]["adcode"]): shape(f["geometry"]) for f in data["features"]}
    for code in ("620500", "620502", "620503"):
        area = AdminArea.objects.get(code=code)
        assert not area.boundary_synthetic and "cnmaps" in area.boundary_source
        stored = shape(json.loads(area.boundary.geojson))
        assert stored.symmetric_difference(real[code]).area / real[code].area < 0.001


@pytest.mark.django_db
def test_every_synthetic_record_is_marked(demo):
    run = ImportRun.objects.get(kind="demo", status="succeeded")
    assert run.options["seed"] == plan.DEFAULT_SEED and run.checksum
    for model in DEMO_MODELS:
        rows = model.objects.filter(source=SOURCE)
        assert rows.exists(), model.__name__
        assert not rows.filter(synthetic=False).exists()
        assert not rows.exclude(import_run=run).exists()
        assert run.counts[{"ServicePoint": "service_points", "Building": "buildings",
                           "RoadSegment": "road_segments", "RoadNode": "road_nodes",
                           "Waterway": "waterways"}[model.__name__]] == rows.count()
    assert not Building.objects.exclude(source=SOURCE).exists()
    dem = DemRaster.objects.get()
    assert dem.synthetic and dem.crs == "EPSG:4326" and 1090 < dem.min_elevation < 1200
    communities = AdminArea.objects.filter(level="community", boundary__isnull=False)
    assert communities.count() == run.counts["community_areas"] > 20
    assert not communities.filter(boundary_synthetic=False).exists()
    assert all(c.contact_phone.startswith("0938-") and c.office_address for c in communities)
    assert AuditLog.objects.filter(action="demo.build", object_id=str(run.pk)).count() == 1
    assert "建筑" in demo and "平方公里" in demo and "MB" in demo


@pytest.mark.django_db
def test_buildings_in_their_community_and_clear_of_everything(demo):
    with connection.cursor() as cur:
        cur.execute("""SELECT count(*) FROM cim_building b JOIN cim_adminarea a
                       ON a.id = b.admin_area_id WHERE ST_CoveredBy(b.footprint, a.boundary)
                       AND a.level = 'community'""")
        inside = cur.fetchone()[0]
        cur.execute("""SELECT count(*) FROM cim_building a JOIN cim_building b
                       ON a.id < b.id AND ST_Intersects(a.footprint, b.footprint)""")
        overlaps = cur.fetchone()[0]
        cur.execute("""SELECT count(*) FROM cim_building b JOIN cim_roadsegment r
                       ON ST_Intersects(b.footprint, r.geom)""")
        on_roads = cur.fetchone()[0]
        cur.execute("""SELECT count(*) FROM cim_building b JOIN cim_waterway w
                       ON ST_Intersects(b.footprint, w.geom)""")
        in_water = cur.fetchone()[0]
        cur.execute("""SELECT count(*) FROM cim_building b
                         JOIN cim_adminarea c ON c.id = b.admin_area_id
                         JOIN cim_adminarea s ON s.id = c.parent_id
                         JOIN cim_adminarea d ON d.id = s.parent_id
                        WHERE NOT ST_Within(b.footprint, d.boundary)""")
        outside_district = cur.fetchone()[0]
    assert inside == Building.objects.count() > 2000
    assert (overlaps, on_roads, in_water, outside_district) == (0, 0, 0, 0)


@pytest.mark.django_db
def test_streets_are_the_union_of_their_communities(demo):
    with connection.cursor() as cur:
        cur.execute("""SELECT s.code, ST_Area(ST_SymDifference(s.boundary, ST_Union(c.boundary))),
                              ST_NumGeometries(s.boundary)
                         FROM cim_adminarea s JOIN cim_adminarea c ON c.parent_id = s.id
                        WHERE s.level = 'street' AND s.boundary_synthetic AND c.boundary IS NOT NULL
                        GROUP BY s.id""")
        rows = cur.fetchall()
    assert rows
    assert all(diff < 1e-9 and parts == 1 for _code, diff, parts in rows)


@pytest.mark.django_db
def test_bases_stand_on_the_registered_terrain(demo):
    for b in Building.objects.order_by("source_id")[::11]:
        ring = np.asarray(b.footprint.coords[0][0])
        ground = ground_heights(ring[:, 0], ring[:, 1])
        assert b.base_elevation == pytest.approx(np.nanmin(ground), abs=0.5)


@pytest.mark.django_db
def test_heights_are_floors_times_storey(demo):
    for b in Building.objects.filter(use="residential")[:3000]:
        storey = b.height / b.floors
        assert 2.8 <= storey <= 3.4
        if b.tags["typology"] == "tower":
            assert 18 <= b.floors <= 33
        if b.tags["typology"] == "walkup":
            assert 5 <= b.floors <= 7


@pytest.mark.django_db
def test_road_graph_is_strongly_connected(demo):
    rows = list(RoadSegment.objects.values_list("from_node_id", "to_node_id", "oneway"))
    ids = {n: i for i, n in enumerate(RoadNode.objects.values_list("id", flat=True))}
    a = np.array([ids[f] for f, _, _ in rows])
    b = np.array([ids[t] for _, t, _ in rows])
    oneway = np.array([o for _, _, o in rows])
    graph = coo_matrix((np.ones(len(rows) * 2 - oneway.sum()),
                        (np.concatenate([a, b[~oneway]]), np.concatenate([b, a[~oneway]]))),
                       shape=(len(ids), len(ids)))
    _, labels = connected_components(graph, directed=True, connection="strong")
    assert np.bincount(labels).max() / len(ids) >= 0.99
    assert RoadSegment.objects.filter(bridge=True).exists()
    assert RoadSegment.objects.filter(oneway=True, name="民主路").exists()


@pytest.mark.django_db
def test_second_run_changes_nothing(demo):
    before = fingerprint()
    runs = ImportRun.objects.count()
    out = StringIO()
    call_command("build_demo_city", "--small", stdout=out, stderr=StringIO())
    assert "已加载" in out.getvalue()
    assert ImportRun.objects.count() == runs
    assert fingerprint() == before


@pytest.mark.django_db
def test_force_rebuilds_the_same_city(demo):
    before = fingerprint()
    old_ids = set(Building.objects.values_list("id", flat=True)[:100])
    call_command("build_demo_city", "--small", "--force", stdout=StringIO(), stderr=StringIO())
    assert fingerprint() == before
    assert not Building.objects.filter(id__in=old_ids).exists()  # replaced, not kept
    assert ImportRun.objects.filter(kind="demo", status="succeeded").count() == 2
    assert DemRaster.objects.count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize("extent,message", [
    ("105.70,34.56,105.74", "--extent"),
    ("a,b,c,d", "--extent"),
    ("105.74,34.56,105.70,34.59", "west < east"),
    ("100,30,101,31", "超出"),
])
def test_bad_extent_is_refused_and_nothing_changes(demo, extent, message):
    before = fingerprint()
    runs = ImportRun.objects.count()
    with pytest.raises(CommandError, match=message):
        call_command("build_demo_city", "--extent", extent, stdout=StringIO(), stderr=StringIO())
    assert fingerprint() == before and ImportRun.objects.count() == runs


@pytest.mark.django_db
def test_extent_without_valley_floor_fails_cleanly(demo):
    before = fingerprint()
    with pytest.raises(CommandError, match="没有城区"):
        call_command("build_demo_city", "--extent", "105.60,34.62,105.61,34.63",
                     stdout=StringIO(), stderr=StringIO())
    assert fingerprint() == before
    failed = ImportRun.objects.get(status="failed")
    assert "没有城区" in failed.message


@pytest.mark.django_db
def test_failed_rebuild_leaves_everything_as_it_was(demo):
    """A road of another source that uses a demo junction (PROTECT) stops
    the rebuild half-way; the transaction puts everything back."""
    node = RoadNode.objects.filter(source=SOURCE).first()
    other = RoadNode.objects.create(source="test", source_id="x", geom=node.geom)
    RoadSegment.objects.create(source="test", source_id="x", geom=RoadSegment.objects.first().geom,
                               from_node=node, to_node=other, speed_kmh=30, length_m=10)
    before = fingerprint()
    with pytest.raises(CommandError, match="数据库未改动"):
        # A tiny extent: the refusal comes when the old demo is removed.
        call_command("build_demo_city", "--extent", "105.712,34.570,105.722,34.578", "--force",
                     stdout=StringIO(), stderr=StringIO())
    assert fingerprint() == before
    assert ImportRun.objects.filter(status="failed").count() == 1
