"""Small IFC files written with IfcOpenShell's API for the BIM tests: a
two-storey box of walls and a slab, georeferenced as asked."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np


def _run(usecase, f, **kwargs):
    import ifcopenshell.api

    return ifcopenshell.api.run(usecase, f, **kwargs)


def small_ifc(
    path: Path,
    *,
    schema: str = "IFC4",
    map_conversion: dict | None = None,
    crs: str = "EPSG:4544",
    pset_map_conversion: dict | None = None,
    site_reference: tuple | None = None,
    geometry: bool = True,
) -> Path:
    """Write a small building: storeys "1F" (0 m) and "2F" (3 m), four walls
    round a 10 × 6 m box on each storey, a slab on 1F and a door; lengths
    in millimetres (the API's default unit)."""
    import ifcopenshell

    f = ifcopenshell.file(schema=schema)
    if schema == "IFC2X3":  # owner history is mandatory there: a user and an application first
        org = f.createIfcOrganization(Name="Tianshui CIM tests")
        f.createIfcPersonAndOrganization(f.createIfcPerson(FamilyName="Test"), org)
        f.createIfcApplication(org, "1", "tests", "tests")
    project = _run("root.create_entity", f, ifc_class="IfcProject", name="Test project")
    _run("unit.assign_unit", f)
    model = _run("context.add_context", f, context_type="Model")
    body = _run(
        "context.add_context",
        f,
        context_type="Model",
        context_identifier="Body",
        target_view="MODEL_VIEW",
        parent=model,
    )
    site = _run("root.create_entity", f, ifc_class="IfcSite", name="Site")
    building = _run("root.create_entity", f, ifc_class="IfcBuilding", name="测试楼")
    _run("aggregate.assign_object", f, relating_object=project, products=[site])
    _run("aggregate.assign_object", f, relating_object=site, products=[building])
    for elevation, storey_name in ((0.0, "1F"), (3000.0, "2F")):
        storey = _run("root.create_entity", f, ifc_class="IfcBuildingStorey", name=storey_name)
        storey.Elevation = elevation
        _run("aggregate.assign_object", f, relating_object=building, products=[storey])
        z = elevation / 1000.0
        # four walls: along x at y=0 and y=6, along y at x=0 and x=10 (local wall axis is +x)
        for k, (x, y, angle, length) in enumerate(
            ((0, 0, 0, 10), (10, 6, 180, 10), (0, 6, -90, 6), (10, 0, 90, 6))
        ):
            wall = _run("root.create_entity", f, ifc_class="IfcWall", name=f"{storey_name}-W{k + 1}")
            _run("spatial.assign_container", f, relating_structure=storey, products=[wall])
            if geometry:
                rep = _run(
                    "geometry.add_wall_representation",
                    f,
                    context=body,
                    length=length,
                    height=3.0,
                    thickness=0.2,
                )
                _run("geometry.assign_representation", f, product=wall, representation=rep)
                m = np.eye(4)
                a = math.radians(angle)
                m[:2, :2] = [[math.cos(a), -math.sin(a)], [math.sin(a), math.cos(a)]]
                m[:3, 3] = [x, y, z]
                _run("geometry.edit_object_placement", f, product=wall, matrix=m)
            pset = _run("pset.add_pset", f, product=wall, name="Pset_WallCommon")
            _run("pset.edit_pset", f, pset=pset, properties={"IsExternal": True, "FireRating": "REI 90"})
        if storey_name == "1F":
            slab = _run("root.create_entity", f, ifc_class="IfcSlab", name="1F-Slab")
            _run("spatial.assign_container", f, relating_structure=storey, products=[slab])
            door = _run("root.create_entity", f, ifc_class="IfcDoor", name="1F-Door")
            _run("spatial.assign_container", f, relating_structure=storey, products=[door])
            if geometry:
                rep = _run(
                    "geometry.add_slab_representation",
                    f,
                    context=body,
                    depth=0.2,
                    polyline=[(0.0, 0.0), (10.0, 0.0), (10.0, 6.0), (0.0, 6.0)],
                )
                _run("geometry.assign_representation", f, product=slab, representation=rep)
                _run("geometry.edit_object_placement", f, product=slab, matrix=np.eye(4))
                rep = _run(
                    "geometry.add_wall_representation",
                    f,
                    context=body,
                    length=1.0,
                    height=2.1,
                    thickness=0.05,
                )
                _run("geometry.assign_representation", f, product=door, representation=rep)
                m = np.eye(4)
                m[:3, 3] = [4.0, -0.3, 0.0]
                _run("geometry.edit_object_placement", f, product=door, matrix=m)
    if map_conversion is not None:
        _run("georeference.add_georeferencing", f)
        _run(
            "georeference.edit_georeferencing",
            f,
            projected_crs={"Name": crs},
            coordinate_operation=map_conversion,
        )
    if pset_map_conversion is not None:
        conv = _run("pset.add_pset", f, product=site, name="ePSet_MapConversion")
        _run("pset.edit_pset", f, pset=conv, properties=pset_map_conversion)
        ref = _run("pset.add_pset", f, product=site, name="ePSet_ProjectedCRS")
        _run("pset.edit_pset", f, pset=ref, properties={"Name": crs})
    if site_reference is not None:
        lat, lon, elevation = site_reference
        site.RefLatitude = _dms(lat)
        site.RefLongitude = _dms(lon)
        site.RefElevation = elevation * 1000.0
    f.write(str(path))
    return path


def _dms(value: float) -> tuple[int, int, int, int]:
    sign = -1 if value < 0 else 1
    v = abs(value)
    d = int(v)
    m = int((v - d) * 60)
    s_full = (v - d - m / 60) * 3600
    s = int(s_full)
    u = int(round((s_full - s) * 1e6))
    return (sign * d, sign * m, sign * s, sign * u)
