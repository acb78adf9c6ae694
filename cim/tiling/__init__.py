"""3D Tiles 1.1 from building footprints and solids (pure: numpy, shapely,
earcut; no Django).

* :mod:`~cim.tiling.geodesy` — WGS 84 ↔ ECEF, the local east-north-up frame.
* :mod:`~cim.tiling.prisms` — footprints (WKB) → extruded LoD1 prisms, earcut roofs.
* :mod:`~cim.tiling.solids` — LoD2 solids (CityJSON import format) → meshes.
* :mod:`~cim.tiling.mesh` — many buildings' meshes, gathered per tile.
* :mod:`~cim.tiling.quadtree` — the hierarchy, caps and geometric errors (the
  choices are explained there).
* :mod:`~cim.tiling.glb` — glb with KHR_mesh_quantization, EXT_mesh_features,
  EXT_structural_metadata; and a reader.
* :mod:`~cim.tiling.metadata` — the per-building property table.
* :mod:`~cim.tiling.builder` — records → placed meshes → tiles → tileset.json.
* :mod:`~cim.tiling.manifest` — the build manifest and incremental planning.
* :mod:`~cim.tiling.publish` — atomic publishing of a built folder.
* :mod:`~cim.tiling.validate` — the Khronos glTF validator and the 3D Tiles schemas.

Django's side (reading PostGIS, the command, serving) is
:mod:`cim.services.tiles`, ``manage.py build_tiles`` and :mod:`cim.tiles_views`.
"""
