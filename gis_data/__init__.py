"""Data the platform ships: the real Tianshui administrative extract
(:mod:`gis_data.tianshui`) and the seeded synthetic demo city
(:mod:`gis_data.demo`).  Pure Python except :mod:`gis_data.demo.loader`,
which writes a generated city into the city model."""
