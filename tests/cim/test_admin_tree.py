"""The one tree API of administrative areas: level order, the chain up the
tree in one query, and a 2,000-plate print sheet without a query per plate."""

from __future__ import annotations

import pytest

from cim.choices import AdminLevel
from cim.models import Address, AdminArea, Plate
from cim.models.admin_areas import LEVEL_RANK, LEVELS, level_rank_sql
from cim.plates import codes
from cim.selectors.addresses import address_community_street, door_headline
from cim.selectors.plates import community_plates, plate_text
from tests import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def tree():
    city = f.admin_area("620500", "天水市", "city")
    district = f.admin_area("620502", "秦州区", "district", city)
    street = f.admin_area("620502001", "大城街道", "street", district)
    communities = [f.admin_area(f"620502001{i:03d}", f"社区{i}", "community", street)
                   for i in (1, 2)]
    return city, district, street, communities


def test_levels_are_ranked_from_one_ordered_table():
    assert LEVELS == ("province", "city", "district", "street", "community")
    assert [LEVEL_RANK[level] for level in LEVELS] == [0, 1, 2, 3, 4]
    assert "WHEN 'community' THEN 4" in level_rank_sql("a.level")


def test_chain_and_ancestor_take_one_query(tree, django_assert_num_queries):
    city, district, street, (community, _other) = tree
    fresh = AdminArea.objects.get(pk=community.pk)
    with django_assert_num_queries(1):
        assert fresh.chain() == [city, district, street, community]
        assert fresh.ancestors() == [city, district, street]
        assert fresh.ancestor(AdminLevel.DISTRICT) == district
        assert fresh.ancestor(AdminLevel.COMMUNITY) is fresh
        assert fresh.ancestor(AdminLevel.PROVINCE) is None
        assert fresh.names() == ["秦州区", "大城街道", "社区1"]
        assert fresh.rank == 4 and fresh.chain()[0].rank == 1


def test_2000_plate_sheet_runs_a_fixed_number_of_queries(tree, django_assert_max_num_queries):
    _city, district, _street, communities = tree
    road = Address.objects.create(kind="thoroughfare", admin_area=district, label="民主路",
                                  serial=1, full_name="秦州区民主路", code="T1")
    doors = Address.objects.bulk_create(
        Address(kind="door", parent=road, admin_area=communities[n % 2], label=f"{n}号", number=n,
                full_name=f"秦州区大城街道民主路{n}号", code=f"D{n:05d}")
        for n in range(1, 2001))
    Plate.objects.bulk_create(Plate(address=d, code=codes.new_code()) for d in doors)
    with django_assert_max_num_queries(2):
        plates = community_plates("620502001")
        texts = [plate_text(p) for p in plates]
    assert len(texts) == 2000
    assert texts[0].headline == "民主路 1号" and texts[0].community == "大城街道 社区2"
    assert {t.community for t in texts} == {"大城街道 社区1", "大城街道 社区2"}


def test_door_headline_and_divisions_of_an_address(tree):
    _city, district, street, (community, _other) = tree
    road = Address.objects.create(kind="thoroughfare", admin_area=district, label="建设路",
                                  serial=2, full_name="秦州区建设路", code="T2")
    door = Address.objects.create(kind="door", parent=road, admin_area=community, label="5号",
                                  number=5, full_name="秦州区大城街道社区1建设路5号", code="D5")
    assert door_headline(door) == "建设路 5号" and door_headline(road) is None
    assert address_community_street(door) == (community, street)
