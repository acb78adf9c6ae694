"""Importers of real city data: OpenStreetMap PBF (:mod:`.osm`), GDAL vector
files (:mod:`.vector`), CityJSON (:mod:`.cityjson`), IFC buildings (:mod:`.ifc`, over
:mod:`cim.bim`) and DEMs (:mod:`.dem`).

Each reads its file in a stream, checks every feature (refusing single
features with a reason, or the whole file with :class:`cim.errors.ImportFailed`)
and loads through :mod:`.bulk` (COPY into staging tables, then upserts keyed by
``(source, source_id)``, or a first import's COPY straight into the tables)
inside the transaction that :func:`cim.services.imports.import_execute` opens,
on Django's connection, with every constraint of the tables checked.
"""

__all__ = ["bulk", "geometry", "osm_tags", "report", "roadgraph"]
