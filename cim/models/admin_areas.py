"""The administrative tree and the one place its rules are written: the level
order (:data:`LEVELS`, :data:`LEVEL_RANK`), the levels named in an address
(:data:`ADDRESS_LEVELS`), and the walk up the tree (:meth:`AdminArea.chain`,
:meth:`AdminArea.ancestor`, :meth:`AdminAreaManager.attach_chains`): one
recursive query for any number of areas, never one query per level."""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib.gis.db import models
from django.db import connection
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from cim.choices import AdminLevel

__all__ = ["ADDRESS_LEVELS", "LEVELS", "LEVEL_RANK", "AdminArea", "AdminAreaManager",
           "level_rank_sql"]

#: The levels from the top of the tree down (the order of :class:`AdminLevel`).
LEVELS: tuple[str, ...] = tuple(AdminLevel.values)
#: Depth of each level: province 0 … community 4.
LEVEL_RANK: dict[str, int] = {level: rank for rank, level in enumerate(LEVELS)}
#: The levels a standard address names before its road: 秦州区 中城街道 进步巷社区.
ADDRESS_LEVELS: tuple[str, ...] = (AdminLevel.DISTRICT, AdminLevel.STREET, AdminLevel.COMMUNITY)


def level_rank_sql(column: str) -> str:
    """:data:`LEVEL_RANK` as a SQL expression over ``column`` (for raw SQL)."""
    whens = " ".join(f"WHEN '{level}' THEN {rank}" for level, rank in LEVEL_RANK.items())
    return f"(CASE {column} {whens} END)"


class AdminAreaManager(models.Manager):
    """Reads of the tree that walk it in the database, in one query."""

    def chains(self, ids: Iterable[int]) -> dict[int, list[AdminArea]]:
        """``{id: [root, …, area]}`` for the given area ids, with one recursive
        query (boundaries deferred: chains are for names, codes and levels)."""
        wanted = sorted({i for i in ids if i is not None})
        if not wanted:
            return {}
        meta = self.model._meta
        table = connection.ops.quote_name(meta.db_table)
        cols = ", ".join(f"a.{connection.ops.quote_name(f.column)}" for f in meta.concrete_fields
                         if f.name != "boundary")
        sql = (f"WITH RECURSIVE up(id, parent_id) AS ("
               f" SELECT id, parent_id FROM {table} WHERE id = ANY(%s)"
               f" UNION SELECT p.id, p.parent_id FROM {table} p JOIN up ON p.id = up.parent_id)"
               f" SELECT {cols} FROM {table} a WHERE a.id IN (SELECT id FROM up)")
        nodes = {a.pk: a for a in self.raw(sql, [wanted])}
        out: dict[int, list[AdminArea]] = {}
        for pk in wanted:
            chain, node = [], nodes.get(pk)
            while node is not None and node not in chain:  # a cycle cannot loop forever
                chain.append(node)
                node = nodes.get(node.parent_id)
            out[pk] = chain[::-1]
        return out

    def attach_chains(self, areas: Iterable[AdminArea | None]) -> None:
        """Give every area its chain (:meth:`AdminArea.chain`) with one query
        for all of them: for a print sheet of thousands of plates."""
        areas = [a for a in areas if a is not None and a.pk is not None]
        chains = self.chains(a.pk for a in areas)
        for area in areas:
            area._chain = [*chains.get(area.pk, [area])[:-1], area]



class AdminArea(models.Model):
    """An administrative division with its official statistical code.

    A self-referencing tree: city (620500) → district/county (620502) →
    street/town (620502001) → community/village (620502001001).  Codes are the
    National Bureau of Statistics division codes, 6, 9 or 12 digits.
    """

    code = models.CharField(_("区划代码"), max_length=12, unique=True)
    name = models.CharField(_("名称"), max_length=100)
    name_en = models.CharField(_("英文名称"), max_length=100, blank=True)
    level = models.CharField(_("级别"), max_length=16, choices=AdminLevel.choices)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    boundary = models.MultiPolygonField(_("边界"), srid=4326, null=True, blank=True)
    boundary_synthetic = models.BooleanField(
        _("边界为合成数据"), default=False,
        help_text=_("演示城市中社区边界是生成的；区县边界来自真实数据。"),
    )
    boundary_source = models.CharField(_("边界来源"), max_length=200, blank=True)
    contact_phone = models.CharField(_("联系电话"), max_length=32, blank=True)
    office_address = models.CharField(_("办公地址"), max_length=200, blank=True)
    population = models.PositiveIntegerField(_("人口"), null=True, blank=True)

    objects = AdminAreaManager()

    class Meta:
        ordering = ["code"]
        verbose_name = _("行政区划")
        verbose_name_plural = _("行政区划")
        constraints = [
            models.CheckConstraint(
                name="adminarea_code_digits",
                condition=Q(code__regex=r"^[0-9]{6}([0-9]{3}){0,2}$"),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"

    @property
    def code12(self) -> str:
        """The code padded to the 12-digit form used in address codes."""
        return self.code.ljust(12, "0")

    @property
    def rank(self) -> int:
        """Depth of the level: province 0 … community 4 (:data:`LEVEL_RANK`)."""
        return LEVEL_RANK[self.level]

    def chain(self) -> list[AdminArea]:
        """From the root down to this area: one query, then kept on the area
        (:meth:`AdminAreaManager.attach_chains` does it for many at once)."""
        cached = getattr(self, "_chain", None)
        if cached is None:
            found = type(self).objects.chains([self.pk]).get(self.pk) or [self]
            cached = self._chain = [*found[:-1], self]
        return cached

    def ancestors(self) -> list[AdminArea]:
        """From the root down to the parent of this area."""
        return self.chain()[:-1]

    def ancestor(self, level: str) -> AdminArea | None:
        """The area of ``level`` this area lies in (itself if of that level)."""
        return next((a for a in self.chain() if a.level == level), None)

    def names(self, levels: Iterable[str] = ADDRESS_LEVELS) -> list[str]:
        """Names along the chain at the given levels, from the top down."""
        wanted = set(levels)
        return [a.name for a in self.chain() if a.level in wanted]
