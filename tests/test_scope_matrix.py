"""The access matrix, generated from the URL conf: every route (API and
page) × every role and the anonymous public × a record in the user's
district and one outside it, held against the one policy table
(:data:`cim.access_policy.POLICY`) and the scope rule (:mod:`cim.scope`).

* a route without a policy entry (or whose methods differ from it) fails:
  a new endpoint must say who may call it;
* a role the policy admits is never answered 401/403 (nor sent to sign in),
  a role it does not admit always is;
* every user but the admin works in 秦州区 only: a record of 麦积区 is a 404
  on every route that reads one, one of 秦州区 is found; the admin finds both;
* deciding on a mutual-aid request (跨区支援) is for city-level users: every
  user here but the admin is limited to a district, so an admitted role
  gets 403 ``city_level_required`` there (and the admin gets through);
* nothing of 麦积区 (every such record carries the marker ``ZZOUT``) appears
  in any answer to a 秦州区 user, list, detail, page or export; the admin's
  lists show it (so the check is not vacuous).

Requests that write run in a savepoint that is rolled back: every request
sees the same records.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import pytest
from django.contrib.auth.models import Group
from django.contrib.gis.geos import MultiPolygon, Point, Polygon
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from cim import roles
from cim.access_policy import ADMIN_SITE, POLICY, PUBLIC, SCOPED, SIGNED_IN
from cim.models import Address, Department, PlateAlert, StaffProfile
from cim.scope import Scope
from cim.services.addresses import addresses_generate
from cim.services.plates import plate_issue
from cim.services.reports import report_create
from emergency import services
from emergency.models import (
    Agency,
    Assignment,
    ControlZone,
    Item,
    MutualAidRequest,
    Notification,
    Plan,
    RoadClosure,
    Task,
    Unit,
)
from tests import factories as f

MARK = "ZZOUT"
USERS = (*roles.ALL_ROLES, None)  # None: the anonymous public
SAFE = ("GET",)
# Found in scope and still a 404: the record has no photo / no such attachment.
IN_SCOPE_MAY_404 = {"report-photo", "emergency:incident-attachment-file"}
LOGIN = "/accounts/login/"
# City-wide by design, whoever reads them: the road layer (routing crosses
# districts; 麦积区's road is named with the marker) and the audit trail.
CITY_WIDE = {"road-list", "road-detail", "viewer:audit", "viewer:audit-export"}
# Admitted roles that must also be city-level (no district limit): the district users' 403.
CITY_LEVEL = {"emergency:mutual-aid-decide": "city_level_required"}


# ----------------------------------------------------------------- the routes
@dataclass(frozen=True)
class Route:
    name: str
    pattern: str
    kwargs: tuple[str, ...]
    methods: frozenset[str] | None  # None: a function view (methods from the policy)


def _walk(patterns, ns: str | None = None, prefix: str = ""):
    for p in patterns:
        if isinstance(p, URLResolver):
            yield from _walk(p.url_patterns, p.namespace or ns, prefix + str(p.pattern))
        elif isinstance(p, URLPattern) and p.name:
            yield (f"{ns}:{p.name}" if ns else p.name), prefix + str(p.pattern), p


def _methods(callback) -> frozenset[str] | None:
    cls = getattr(callback, "cls", None) or getattr(callback, "view_class", None)
    if cls is None:
        return None
    allowed = {m.lower() for m in cls.http_method_names} - {"options", "head", "trace"}
    actions = getattr(callback, "actions", None)
    found = set(actions) if actions else {m for m in allowed if hasattr(cls, m)}
    return frozenset(m.upper() for m in found & allowed)


def discover() -> dict[str, Route]:
    """Every named route but the format-suffix twins and the admin site."""
    out: dict[str, Route] = {}
    for name, pattern, p in _walk(get_resolver().url_patterns):
        if name.startswith("admin:"):
            continue
        kwargs = tuple(k for k in p.pattern.regex.groupindex if k != "format")
        if "format" in p.pattern.regex.groupindex:
            continue
        out.setdefault(name, Route(name, pattern, kwargs, _methods(p.callback)))
    return out


ROUTES = discover()


def test_every_route_has_a_policy_entry():
    missing = sorted(set(ROUTES) - set(POLICY))
    stale = sorted(set(POLICY) - set(ROUTES))
    assert not missing, f"routes without an entry in cim.access_policy.POLICY: {missing}"
    assert not stale, f"policy entries for routes that no longer exist: {stale}"
    differ = {
        name: (sorted(r.methods), sorted(POLICY[name]))
        for name, r in ROUTES.items()
        if r.methods is not None and set(r.methods) != set(POLICY[name])
    }
    assert not differ, f"methods served vs declared: {differ}"
    assert set(SCOPED) <= set(ROUTES)


def test_the_admin_site_is_for_admins_only():
    assert ADMIN_SITE == (roles.ADMIN,)
    assert any(name.startswith("admin:") for name, _, _ in _walk(get_resolver().url_patterns))


def test_the_auditor_reads_the_audit_trail_and_nothing_else():
    """The auditor's whole reach in the policy: the audit page and its export
    (plus the public and the sign-in pages anyone has)."""
    reach = {
        name
        for name, methods in POLICY.items()
        for rule in methods.values()
        if rule not in (PUBLIC, SIGNED_IN) and roles.AUDITOR in rule
    }
    assert reach == {"viewer:audit", "viewer:audit-export"}


# ---------------------------------------------------------------- the world
_DEPARTMENTS = {
    "gaj": ("公安局", "police", True),
    "xfjy": ("消防救援支队", "fire", True),
    "yjj": ("应急管理局", "command", False),
}


def _department(code: str) -> Department:
    """The departments the migration seeds (a flushing test elsewhere may
    have removed them)."""
    name, kind, own = _DEPARTMENTS[code]
    return Department.objects.get_or_create(
        code=code, defaults={"name": name, "kind": kind, "own_work_only": own}
    )[0]


def district_name(w: dict) -> str:
    return w["district"].name


def _build() -> dict:
    city = f.admin_area("620500", "天水市", "city")
    qz = f.admin_area("620502", "秦州区", "district", city, (105.60, 34.50, 105.80, 34.70))
    mj = f.admin_area("620503", "麦积区", "district", city, (105.80, 34.50, 106.00, 34.70))
    worlds = {}
    for key, district, lon, label in (("in", qz, 105.70, "民主路"), ("out", mj, 105.90, f"{MARK}路")):
        street = f.admin_area(
            district.code + "001",
            f"{district.name}一街道",
            "street",
            district,
            (lon - 0.02, 34.56, lon + 0.02, 34.60),
        )
        f.admin_area(
            street.code + "001",
            f"{district.name}一社区",
            "community",
            street,
            (lon - 0.02, 34.56, lon + 0.02, 34.60),
        )
        seg = f.road(
            (lon, 34.58), (lon + 0.005, 34.58), name=label, road_class="secondary", source_id=f"r-{key}"
        )
        f.building(
            lon + 0.0012, 34.5803, size=0.0002, height=18, floors=6, use="residential", source_id=f"b-{key}"
        )
        worlds[key] = {"district": district, "lon": lon, "segment": seg}
    addresses_generate(by="test", progress=False)
    police = _department("gaj")
    item = Item.objects.create(code="T", name="帐篷")
    Plan.objects.create(
        code="P-FIRE-IV", name="火灾四级预案", incident_type="fire", level="IV", checklist=["核实火情"]
    )
    for key, w in worlds.items():
        mark = MARK if key == "out" else "秦州"
        door = (
            Address.objects.filter(kind="door", admin_area__code__startswith=w["district"].code)
            .order_by("code")
            .first()
        )
        plate = plate_issue(address=door, by="test")
        report = report_create(
            address=door,
            category="other",
            description=f"{mark} 路灯坏了",
            client="test",
            reporter_phone="13800138000",
        )
        alert = PlateAlert.objects.create(plate=plate, kind="resident_flag", comment=f"{mark} 可疑")
        # the agency registry is city-wide reference data: no marker
        agency = Agency.objects.create(
            code=f"A-{key}",
            name=f"{district_name(w)}消防大队",
            kind="fire",
            admin_area=w["district"],
            department=police,
        )
        unit = Unit.objects.create(
            code=f"{mark}-1", name=f"{mark} 消防车", agency=agency, unit_type="fire_engine"
        )
        incident = services.incident_create(
            title=f"{mark} 火情",
            incident_type="fire",
            source="119",
            by="seed",
            location=Point(w["lon"] + 0.001, 34.581, srid=4326),
        )
        assignment = Assignment.objects.create(incident=incident, unit=unit, position_source="station")
        mutual_aid = MutualAidRequest.objects.create(incident=incident, unit=unit, reason=f"{mark} 增援")
        task = Task.objects.create(incident=incident, kind="notify", title=f"{mark} 通知公安", agency=agency)
        closure = RoadClosure.objects.create(reason="manual", note=f"{mark} 封路")
        closure.segments.set([w["segment"]])
        box = Polygon.from_bbox((w["lon"], 34.579, w["lon"] + 0.003, 34.582))
        zone = ControlZone.objects.create(
            tier="sealed", name=f"{mark} 封控区", geom=MultiPolygon(box, srid=4326)
        )
        supply = services.supply_request_create(
            incident=incident, lines=[(item.pk, 1)], by="seed", note=f"{mark} 物资"
        )
        notification = Notification.objects.create(
            kind="agency_task", ref=f"task:{task.pk}", context={"title": f"{mark} 通知公安"}
        )
        w.update(
            notification=notification,
            door=door,
            plate=plate,
            report=report,
            plate_alert=alert,
            agency=agency,
            unit=unit,
            incident=incident,
            assignment=assignment,
            mutual_aid=mutual_aid,
            task=task,
            closure=closure,
            zone=zone,
            supply_request=supply,
            address=door,
        )
    roles.ensure_groups()
    users = {}
    from django.contrib.auth import get_user_model

    for role in roles.ALL_ROLES:
        user = get_user_model().objects.create_user(f"m-{role}", password="pw-for-tests-1")
        user.groups.add(Group.objects.get(name=role))
        profile = StaffProfile.objects.create(user=user)
        profile.districts.set([qz])
        users[role] = user
    worlds["in"]["unit"].members.add(users[roles.RESPONDER])
    return {"worlds": worlds, "users": users, "item": item}


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    """The two districts' records and one user per role, built once for the
    module in a transaction rolled back at its end."""
    with django_db_blocker.unblock():
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            yield _build()
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


@pytest.fixture(scope="module")
def clients(world, django_db_blocker):
    out = {None: Client(raise_request_exception=True)}
    with django_db_blocker.unblock():
        for role, user in world["users"].items():
            c = Client(raise_request_exception=True)
            c.force_login(user)
            out[role] = c
    return out


# ------------------------------------------------------------ the requests
_KEY_ATTR = {"code": "code", "tracking": "tracking_code"}


def _kwargs(route: Route, world: dict, side: str) -> dict:
    w = world["worlds"][side]
    inside = world["worlds"]["in"]
    kind = SCOPED.get(route.name)
    out = {}
    for name in route.kwargs:
        if kind is not None and name in ("pk", "code", "tracking"):
            obj = w[kind]
            out[name] = getattr(obj, _KEY_ATTR.get(name, "pk"))
        elif name == "code" and route.name == "admin-area-detail":
            out[name] = inside["district"].code
        elif name == "code":
            out[name] = inside["plate"].code
        elif name == "tracking":
            out[name] = inside["report"].tracking_code
        elif name == "collection":
            out[name] = "buildings"
        elif name == "fid":
            out[name] = "1"
        elif name in ("z", "x", "y") and route.name == "ogc-vector-tile":
            out[name] = {"z": 14, "x": 13003, "y": 6512}[name]
        elif name == "path":
            out[name] = "tileset.json" if route.name == "tiles" else "layer.json"
        elif name == "pk" and route.name.startswith("emergency:agency"):
            out[name] = inside["agency"].pk
        elif name == "pk" and route.name.startswith("building"):
            out[name] = Address.objects.filter(building__isnull=False).values_list("building", flat=True)[0]
        else:
            out[name] = 1
    return out


# Routes that end or replace the session: called with a client of their own.
SESSION_ROUTES = {"login", "logout", "two-factor-setup", "set_language"}


def _fresh(user) -> Client:
    client = Client(raise_request_exception=True)
    if user is not None:
        client.force_login(user)
    return client


def _call(client: Client, method: str, url: str):
    with transaction.atomic():
        if method == "GET":
            response = client.get(url)
        else:
            response = client.generic(method, url, data="{}", content_type="application/json")
        transaction.set_rollback(True)
    return response


def _admits(rule, role) -> bool:
    if rule == PUBLIC:
        return True
    if role is None:
        return False
    return rule == SIGNED_IN or role in rule


def _refused(response) -> bool:
    if response.status_code in (401, 403):
        return True
    return response.status_code in (301, 302) and response.get("Location", "").startswith(LOGIN)


def _text(response) -> str:
    if getattr(response, "streaming", False):
        body = b"".join(response.streaming_content)
    else:
        body = response.content
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        return ""


def _city_level_refusal(name: str, role, side: str, response) -> bool:
    """A district user refused, as they must be, on a city-level route (in
    scope: out of it the record is a 404 first)."""
    expected = CITY_LEVEL.get(name)
    if expected is None or role in (None, roles.ADMIN) or side != "in" or response.status_code != 403:
        return False
    return json.loads(_text(response)).get("error") == expected


@pytest.mark.parametrize("name", sorted(ROUTES))
def test_route_matrix(name, world, clients, db):
    route = ROUTES[name]
    policy = POLICY.get(name)
    assert policy is not None, f"{name}: no policy entry"
    problems = []
    for method, rule in sorted(policy.items()):
        for role in USERS:
            for side in ("in", "out"):
                if side == "out" and name not in SCOPED:
                    continue  # nothing of a place to vary: the in-scope call said it all
                url = reverse(name, kwargs=_kwargs(route, world, side))
                client = _fresh(world["users"].get(role)) if name in SESSION_ROUTES else clients[role]
                response = _call(client, method, url)
                code = response.status_code
                where = f"{method} {url} as {role or 'anonymous'} ({side}) → {code}"
                if _admits(rule, role):
                    if _refused(response) and _city_level_refusal(name, role, side, response):
                        continue
                    if _refused(response):
                        problems.append(f"refused but admitted by the policy: {where}")
                        continue
                    if code >= 500:
                        problems.append(f"server error: {where}")
                    scoped_user = role not in (None, roles.ADMIN)
                    if name in SCOPED:
                        expect_missing = side == "out" and scoped_user
                        if expect_missing and code != 404:
                            problems.append(f"out of scope but not 404: {where}")
                        if not expect_missing and code == 404 and name not in IN_SCOPE_MAY_404:
                            problems.append(f"in scope but 404: {where} {_text(response)[:200]}")
                    if scoped_user and name not in CITY_WIDE and MARK in _text(response):
                        problems.append(f"shows a record out of scope: {where}")
                elif not _refused(response):
                    problems.append(f"admitted but not in the policy: {where}")
    assert not problems, "\n".join(problems)


LISTS = [
    "report-list",
    "address-list",
    "plate-list",
    "plate-alert-list",
    "emergency:incident-list",
    "emergency:incident-geojson",
    "emergency:unit-list",
    "emergency:unit-geojson",
    "emergency:assignment-list",
    "emergency:mutual-aid-list",
    "emergency:closure-list",
    "emergency:zone-list",
    "emergency:supply-request-list",
]


@pytest.mark.parametrize("name", LISTS)
def test_lists_show_the_admin_both_districts_and_a_district_user_one(name, world, clients, db):
    admin = _call(clients[roles.ADMIN], "GET", reverse(name))
    assert admin.status_code == 200 and MARK in _text(admin), f"{name}: the admin should see 麦积区"
    user_role = (
        next(r for r in (roles.DISPATCHER, roles.PLANNER) if _admits(POLICY[name]["GET"], r))
        if name not in ("plate-list", "plate-alert-list")
        else None
    )
    if user_role is not None:
        mine = _call(clients[user_role], "GET", reverse(name))
        assert mine.status_code == 200 and MARK not in _text(mine)
        assert json.loads(_text(mine)), f"{name}: the district's own records should be listed"


# ------------------------------------------------------------ departments
def test_a_department_sees_the_tasks_sent_to_it(world, db):
    """公安 (own work only): the tasks sent to its agencies and their
    incidents and units, in both districts; another department none."""
    police, fire = _department("gaj"), _department("xfjy")
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.create_user("police-duty", password="pw-for-tests-1")
    user.groups.add(Group.objects.get(name=roles.DISPATCHER))
    StaffProfile.objects.create(user=user, department=police)
    scope = Scope.for_user(user)
    assert scope.by_department and not scope.by_district
    from emergency import selectors

    tasks = set(selectors.tasks_visible_to(user).values_list("pk", flat=True))
    assert tasks == {w["task"].pk for w in world["worlds"].values()}
    assert set(selectors.incidents_visible_to(user).values_list("pk", flat=True)) == {
        w["incident"].pk for w in world["worlds"].values()
    }
    other = get_user_model().objects.create_user("fire-duty", password="pw-for-tests-1")
    other.groups.add(Group.objects.get(name=roles.DISPATCHER))
    StaffProfile.objects.create(user=other, department=fire)
    assert not selectors.tasks_visible_to(other).exists()
    assert not selectors.incidents_visible_to(other).exists()
    assert not selectors.units_visible_to(other).exists()
    client = Client()
    client.force_login(other)
    task = world["worlds"]["in"]["task"]
    assert client.get(reverse("emergency:task-detail", kwargs={"pk": task.pk})).status_code == 404
    response = client.patch(
        reverse("emergency:task-detail", kwargs={"pk": task.pk}),
        data='{"done": true}',
        content_type="application/json",
    )
    assert response.status_code == 404
    task.refresh_from_db()
    assert task.done is False


def test_a_city_level_user_sees_everything(world, db):
    from django.contrib.auth import get_user_model

    from emergency import selectors

    user = get_user_model().objects.create_user("city-commander", password="pw-for-tests-1")
    user.groups.add(Group.objects.get(name=roles.COMMANDER))
    StaffProfile.objects.create(user=user, department=_department("yjj"))
    assert Scope.for_user(user).city_wide
    assert selectors.incidents_visible_to(user).count() == 2


def test_a_reference_out_of_scope_is_refused_and_nothing_is_written(world, clients, db):
    """Merging into, or drawing a zone for, an incident of another district:
    400 naming the field, nothing stored."""
    inside, outside = world["worlds"]["in"]["incident"], world["worlds"]["out"]["incident"]
    client = clients[roles.COMMANDER]
    response = client.post(
        reverse("emergency:incident-merge", kwargs={"pk": inside.pk}),
        data=json.dumps({"into": outside.pk, "reason": "重复"}),
        content_type="application/json",
    )
    assert response.status_code == 400 and response.json()["field"] == "into"
    inside.refresh_from_db()
    assert inside.merged_into_id is None
    before = ControlZone.objects.count()
    response = client.post(
        reverse("emergency:zone-list"),
        data=json.dumps(
            {
                "tier": "sealed",
                "name": "z",
                "incident": outside.pk,
                "geometry": {
                    "type": "Polygon",
                    "coordinates": [[[105.9, 34.58], [105.91, 34.58], [105.91, 34.59], [105.9, 34.58]]],
                },
            }
        ),
        content_type="application/json",
    )
    assert response.status_code == 400 and response.json()["field"] == "incident"
    assert ControlZone.objects.count() == before


def test_the_dashboard_figures_count_the_district_only(world, clients, db):
    counts = {}
    for role in (roles.ADMIN, roles.DISPATCHER):
        incidents = _call(clients[role], "GET", reverse("emergency:stats-incidents")).json()
        units = _call(clients[role], "GET", reverse("emergency:stats-units")).json()
        counts[role] = (incidents["total"], units["total"])
    assert counts == {roles.ADMIN: (2, 2), roles.DISPATCHER: (1, 1)}


def test_plate_statistics_count_the_users_districts_only(world, clients, db):
    url = reverse("emergency:stats-plates")
    district = {c["code"] for c in clients[roles.DISPATCHER].get(url).json()["communities"]}
    everyone = {c["code"] for c in clients[roles.ADMIN].get(url).json()["communities"]}
    inside = world["worlds"]["in"]["district"].code
    outside = world["worlds"]["out"]["district"].code
    assert district and all(code.startswith(inside) for code in district)
    assert any(code.startswith(outside) for code in everyone)
