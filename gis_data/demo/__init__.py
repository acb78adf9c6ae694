"""The synthetic Tianshui demo city, generated from a seed.

:func:`gis_data.demo.city.generate` builds everything (terrain, rivers, roads,
blocks, buildings, community areas, service points) in memory, without
Django; :mod:`gis_data.demo.loader` writes a generated city into the city
model; ``manage.py build_demo_city`` runs both.  See ``gis_data/SOURCES.md``.
"""
