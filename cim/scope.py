"""What part of the city's data a user may see: the one place the rule is written.

A user's :class:`~cim.models.StaffProfile` names their department and the
districts they work in.  :meth:`Scope.for_user` turns it into a scope:

* **city-wide**: admins (always), and every user without districts whose
  department is not limited to its own work;
* **districts**: the districts' incidents, residents' reports, units (by
  their agency's area or their home station), addresses and plates, road
  closures and control zones (by their incident, else by their geometry),
  tasks and assignments (by their incident).  Streets and communities are
  in a district by the admin tree: their official codes extend the
  district's (620502 → 620502001 → 620502001001);
* **department** (``Department.own_work_only``, e.g. 公安): the tasks sent
  to the department's agencies, its units, and the incidents those concern.

Both limits together mean both apply.  The selectors of both apps filter
every list and detail query through a scope, so the API (lists; a detail
out of scope is a 404), the pages, the exports and the live streams all
show the same thing.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cached_property

from django.contrib.gis.db.models import Union
from django.contrib.gis.geos import GEOSGeometry
from django.db.models import Exists, OuterRef, Q, QuerySet

from cim import roles

__all__ = ["Scope", "districts_meeting"]


def districts_meeting(
    *, geometries: Iterable[GEOSGeometry | None] = (), segment_ids: Iterable[int] = ()
) -> list[str]:
    """Codes of the districts whose boundary meets any of ``geometries`` or
    of the road segments ``segment_ids``: where a closure or a zone drawn
    without an incident lies, by the rule :meth:`Scope.filter_closures` and
    :meth:`Scope.filter_zones` apply (the live stream sends its events to
    the consoles of these districts)."""
    from cim.choices import AdminLevel
    from cim.models import AdminArea, RoadSegment

    q = Q(pk__in=[])
    for geom in geometries:
        if geom is not None:
            q |= Q(boundary__intersects=geom)
    segment_ids = list(segment_ids)
    if segment_ids:
        q |= Exists(RoadSegment.objects.filter(pk__in=segment_ids, geom__intersects=OuterRef("boundary")))
    return sorted(AdminArea.objects.filter(q, level=AdminLevel.DISTRICT).values_list("code", flat=True))


class Scope:
    """A user's scope; build it with :meth:`for_user` (cached on the user)."""

    def __init__(self, *, district_codes: tuple[str, ...] = (), department_id: int | None = None) -> None:
        self.district_codes = tuple(sorted(set(district_codes)))
        self.department_id = department_id

    # ------------------------------------------------------------ building
    @classmethod
    def city(cls) -> Scope:
        """Everything (admins, city-level staff, system jobs)."""
        return cls()

    @classmethod
    def for_user(cls, user) -> Scope:
        """The scope of a user (or of the anonymous public: the public reads
        only public endpoints, which are not scoped, so anonymous is treated
        as city-wide here and kept out by the role checks)."""
        if user is None or not getattr(user, "is_authenticated", False):
            return cls.city()
        cached = getattr(user, "_cim_scope", None)
        if cached is not None:
            return cached
        scope = cls.city()
        if not roles.has_role(user, roles.ADMIN):
            from cim.models import StaffProfile  # the models import nothing of this module

            profile = StaffProfile.objects.select_related("department").filter(user_id=user.pk).first()
            if profile is not None:
                codes = tuple(profile.districts.values_list("code", flat=True))
                dept = profile.department
                scope = cls(
                    district_codes=codes,
                    department_id=dept.pk if dept is not None and dept.own_work_only else None,
                )
        user._cim_scope = scope
        return scope

    # ------------------------------------------------------------ questions
    @property
    def city_wide(self) -> bool:
        return not self.district_codes and self.department_id is None

    @property
    def by_district(self) -> bool:
        return bool(self.district_codes)

    @property
    def by_department(self) -> bool:
        return self.department_id is not None

    def covers_area_code(self, code: str | None) -> bool:
        """Whether an admin area (by its code) lies in the scope's districts."""
        if not self.by_district:
            return True
        return bool(code) and any(code.startswith(c) for c in self.district_codes)

    @cached_property
    def region(self) -> GEOSGeometry | None:
        """The union of the districts' boundaries (None: no district limit,
        or districts without a boundary)."""
        if not self.by_district:
            return None
        from cim.models import AdminArea

        return AdminArea.objects.filter(code__in=self.district_codes).aggregate(u=Union("boundary"))["u"]

    # ------------------------------------------------------------ filters
    def area_q(self, path: str) -> Q:
        """``Q`` of the rows whose admin area (at ``path``) lies in the
        districts; the empty Q when city-wide by district."""
        if not self.by_district:
            return Q()
        q = Q(pk__in=[])
        for code in self.district_codes:
            q |= Q(**{f"{path}__code__startswith": code})
        return q

    def geom_q(self, path: str) -> Q:
        """``Q`` of the rows whose geometry (at ``path``) meets the districts."""
        if not self.by_district:
            return Q()
        region = self.region
        return Q(**{f"{path}__intersects": region}) if region is not None else Q(pk__in=[])

    def apply(self, qs: QuerySet, area_path: str) -> QuerySet:
        """``qs`` limited to the districts by the admin area at ``area_path``."""
        return qs.filter(self.area_q(area_path)) if self.by_district else qs

    def incident_q(self, incidents: QuerySet, prefix: str = "") -> Q:
        """``Q`` of the incidents in scope, for a query on incidents
        (``prefix=""``) or on rows pointing to one (``prefix="incident__"``);
        ``incidents``: every incident (the model is the emergency app's; the
        rule here needs only its fields).  An incident outside every admin
        area counts by its location."""
        q = Q()
        if self.by_district:
            q &= self.area_q(f"{prefix}admin_area") | (
                Q(**{f"{prefix}admin_area__isnull": True}) & self.geom_q(f"{prefix}location")
            )
        if self.by_department:
            q &= Q(**{f"{prefix}pk__in": self._department_incident_ids(incidents)})
        return q

    def _department_incident_ids(self, incidents: QuerySet):
        return incidents.filter(
            Q(tasks__agency__department_id=self.department_id)
            | Q(tasks__department_id=self.department_id)
            | Q(assignments__unit__agency__department_id=self.department_id)
        ).values("pk")

    def filter_incidents(self, qs: QuerySet) -> QuerySet:
        return qs if self.city_wide else qs.filter(self.incident_q(qs.model.objects.all()))

    @staticmethod
    def _incidents_of(qs: QuerySet, path: str = "incident") -> QuerySet:
        return qs.model._meta.get_field(path).related_model.objects.all()

    def filter_by_incident(self, qs: QuerySet, *, path: str = "incident") -> QuerySet:
        """Rows that belong to an incident (assignments, supply requests):
        those of the incidents in scope."""
        return qs if self.city_wide else qs.filter(self.incident_q(self._incidents_of(qs, path), f"{path}__"))

    def filter_units(self, qs: QuerySet) -> QuerySet:
        if self.by_district:
            qs = qs.filter(self.area_q("agency__admin_area") | self.area_q("home_station__admin_area"))
        if self.by_department:
            qs = qs.filter(agency__department_id=self.department_id)
        return qs

    def units_outside(self, units: QuerySet) -> QuerySet:
        """Of ``units``, those outside the scope (for a district dispatcher:
        other districts' units, which come only as 跨区支援, mutual aid)."""
        if self.city_wide:
            return units.none()
        return units.exclude(pk__in=self.filter_units(units.model.objects.all()).values("pk"))

    def filter_mutual_aid(self, qs: QuerySet) -> QuerySet:
        """Mutual-aid requests: those for the incidents in scope (the
        district that asked) and those for the units in scope (the district
        that lends)."""
        if self.city_wide:
            return qs
        units = self.filter_units(self._incidents_of(qs, "unit")).values("pk")
        return qs.filter(self.incident_q(self._incidents_of(qs), "incident__") | Q(unit__in=units))

    def filter_tasks(self, qs: QuerySet) -> QuerySet:
        """Tasks of the incidents in the districts; a department limited to
        its own work sees the tasks sent to it."""
        if self.by_district:
            qs = qs.filter(
                self.area_q("incident__admin_area")
                | (Q(incident__admin_area__isnull=True) & self.geom_q("incident__location"))
            )
        if self.by_department:
            qs = qs.filter(Q(agency__department_id=self.department_id) | Q(department_id=self.department_id))
        return qs

    def filter_reports(self, qs: QuerySet) -> QuerySet:
        return self.apply(qs, "address__admin_area")

    def filter_addresses(self, qs: QuerySet) -> QuerySet:
        return self.apply(qs, "admin_area")

    def filter_plates(self, qs: QuerySet) -> QuerySet:
        return self.apply(qs, "address__admin_area")

    def filter_plate_alerts(self, qs: QuerySet) -> QuerySet:
        return self.apply(qs, "plate__address__admin_area")

    def _placed_q(self, qs: QuerySet, own_geom: Q) -> Q:
        """By the incident when there is one, else by where the thing is."""
        own = self.incident_q(self._incidents_of(qs), "incident__")
        if self.by_department:
            return own
        return own | (Q(incident__isnull=True) & own_geom)

    def filter_zones(self, qs: QuerySet) -> QuerySet:
        """Control zones: those of the incidents in scope, and the zones
        drawn without an incident that reach into the districts."""
        return qs if self.city_wide else qs.filter(self._placed_q(qs, self.geom_q("geom")))

    def filter_closures(self, qs: QuerySet) -> QuerySet:
        """Road closures: those of the incidents in scope, and the others
        whose area or a closed segment lies in the districts."""
        if self.city_wide:
            return qs
        placed = qs.model.objects.filter(self.geom_q("area") | self.geom_q("segments__geom")).values("pk")
        return qs.filter(self._placed_q(qs, Q(pk__in=placed)))

    def filter_alerts(self, qs: QuerySet) -> QuerySet:
        """CAP alerts: those of the incidents in scope, and the alerts
        issued without an incident whose area reaches into the districts."""
        return qs if self.city_wide else qs.filter(self._placed_q(qs, self.geom_q("area")))

    def filter_notifications(self, qs: QuerySet, *, refs: dict[str, QuerySet]) -> QuerySet:
        """Notifications (their ``ref`` is ``"<kind>:<id>"``): those whose
        subject is in scope.  ``refs`` maps each kind to every row of that
        kind (``{"task": Task.objects.all(), …}``); the matching ``filter_*``
        of this class decides.  A notification about anything else (or
        nothing) is city-level."""
        if self.city_wide:
            return qs
        from django.db.models import CharField, Value
        from django.db.models.functions import Cast, Concat

        rules = {
            "task": self.filter_tasks,
            "assignment": self.filter_by_incident,
            "alert": self.filter_alerts,
            # a resident's subscription is no department's work
            "subscription": lambda rows: (
                rows.none() if self.by_department else self.apply(rows, "address__admin_area")
            ),
        }
        q = Q(pk__in=[])
        for kind, rows in refs.items():
            own = rules[kind](rows).annotate(
                _ref=Concat(Value(f"{kind}:"), Cast("pk", CharField()), output_field=CharField())
            )
            q |= Q(ref__in=own.values("_ref"))
        return qs.filter(q)

    def __repr__(self) -> str:
        return f"Scope(districts={self.district_codes}, department={self.department_id})"
