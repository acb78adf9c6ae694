"""Reading an IFC file with IfcOpenShell (no Django): the schema check, the
georeferencing it carries, the storeys, the elements with their attributes
and property sets, and their triangles through ``ifcopenshell.geom``'s
multi-threaded iterator.

Vertices come back in metres in the model's world coordinates whatever the
file's length unit (``use-world-coords``).  Opening elements are left out
(they are cut from their hosts already).
"""

from __future__ import annotations

import math
import multiprocessing
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from cim.bim import placement as pl

SUPPORTED_SCHEMAS = ("IFC2X3", "IFC4", "IFC4X3")
END_MARK = b"END-ISO-10303-21;"
NO_GEOMETRY_CLASSES = ("IfcOpeningElement",)
MAX_PSET_CHARS = 200_000  # one element's property sets, as JSON


class IfcReadError(ValueError):
    """The file cannot be imported; the message says why (for the report)."""


@dataclass
class Element:
    """One IfcElement (or IfcSpace) and what the platform keeps of it."""

    step_id: int
    global_id: str
    ifc_class: str
    name: str
    type_name: str
    material: str
    storey: str
    psets: dict


@dataclass
class Storey:
    global_id: str
    name: str
    elevation: float  # metres, as the file states it (None → 0)


@dataclass
class Shapes:
    """Triangles of all elements: element ``i`` (index into ``IfcModel.elements``)
    owns ``vertex_start[i] : vertex_start[i] + vertex_count[i]`` and the same
    for triangles (whose indices are global)."""

    positions: np.ndarray  # (V, 3) float64 model metres
    triangles: np.ndarray  # (T, 3) int64
    vertex_element: np.ndarray  # (V,) int64
    triangle_element: np.ndarray  # (T,) int64
    failed: list[tuple[str, str]] = field(default_factory=list)  # (GlobalId, reason)


@dataclass
class IfcModel:
    path: Path
    schema: str
    file: object  # ifcopenshell.file
    project_name: str
    project_id: str
    building_name: str
    unit_m: float
    storeys: list[Storey]
    elements: list[Element]
    map_conversion: pl.MapConversion | None
    map_conversion_source: str | None
    map_unit_m: float
    site_reference: dict | None  # lat, lon, elevation, true_north, site_origin


def _check_complete(path: Path) -> None:
    with open(path, "rb") as fh:
        head = fh.read(64)
        fh.seek(0, 2)
        size = fh.tell()
        fh.seek(max(0, size - 4096))
        tail = fh.read()
    if not head.lstrip().startswith(b"ISO-10303-21;"):
        raise IfcReadError("not an IFC STEP file (it does not start with ISO-10303-21;)")
    if END_MARK not in tail:
        raise IfcReadError("the file is truncated: it does not end with END-ISO-10303-21;")


def open_ifc(path: Path):
    """The ifcopenshell file, or :class:`IfcReadError` with the reason."""
    import ifcopenshell

    _check_complete(path)
    try:
        f = ifcopenshell.open(str(path))
    except ifcopenshell.SchemaError as exc:
        raise IfcReadError(
            f"unsupported IFC schema ({exc}); supported: {', '.join(SUPPORTED_SCHEMAS)}"
        ) from None
    except Exception as exc:  # ifcopenshell raises its own Error for unparsable files
        raise IfcReadError(f"the file cannot be parsed as IFC: {exc}") from None
    if f.schema.upper() not in SUPPORTED_SCHEMAS:
        raise IfcReadError(f"unsupported IFC schema {f.schema}; supported: {', '.join(SUPPORTED_SCHEMAS)}")
    return f


def _text(value) -> str:
    return "" if value is None else str(value)


def _jsonable(value):
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items() if k != "id"}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if value is None or isinstance(value, (bool, int, str)):
        return value
    return str(value)


def _unit_scale(unit) -> float:
    """Metres per unit of an IfcNamedUnit (SI with prefix, or conversion based)."""
    import ifcopenshell.util.unit as uu

    if unit is None or isinstance(unit, str):
        return {"MILLIMETRE": 0.001, "CENTIMETRE": 0.01, "FOOT": 0.3048}.get(_text(unit).upper(), 1.0)
    try:
        return float(uu.get_unit_scale(unit))
    except Exception:  # an unusual unit definition: metres, as the spec's default
        return 1.0


def _map_conversion(f, unit_m: float) -> tuple[pl.MapConversion | None, str | None, float]:
    """(conversion with raw Eastings/Northings, source, map unit in metres)."""
    import ifcopenshell.util.element as ue

    if f.schema.upper() != "IFC2X3":
        for conversion in f.by_type("IfcMapConversion"):
            target = conversion.TargetCRS
            if target is None or not target.is_a("IfcProjectedCRS") or not target.Name:
                continue
            map_unit = getattr(target, "MapUnit", None)
            return (
                pl.MapConversion(
                    crs=target.Name,
                    eastings=float(conversion.Eastings or 0.0),
                    northings=float(conversion.Northings or 0.0),
                    height=float(conversion.OrthogonalHeight or 0.0),
                    x_abscissa=float(
                        conversion.XAxisAbscissa if conversion.XAxisAbscissa is not None else 1.0
                    ),
                    x_ordinate=float(conversion.XAxisOrdinate or 0.0),
                    scale=float(conversion.Scale or 1.0),
                ),
                pl.MAP_CONVERSION,
                _unit_scale(map_unit) if map_unit is not None else unit_m,
            )
    for site in f.by_type("IfcSite"):
        psets = ue.get_psets(site)
        conv = psets.get("ePSet_MapConversion")
        crs = psets.get("ePSet_ProjectedCRS")
        if not conv or not crs or not crs.get("Name"):
            continue
        map_unit = crs.get("MapUnit")
        return (
            pl.MapConversion(
                crs=str(crs["Name"]),
                eastings=float(conv.get("Eastings") or 0.0),
                northings=float(conv.get("Northings") or 0.0),
                height=float(conv.get("OrthogonalHeight") or 0.0),
                x_abscissa=float(conv.get("XAxisAbscissa") if conv.get("XAxisAbscissa") is not None else 1.0),
                x_ordinate=float(conv.get("XAxisOrdinate") or 0.0),
                scale=float(conv.get("Scale") or 1.0),
            ),
            pl.PSET_MAP_CONVERSION,
            _unit_scale(map_unit) if map_unit is not None else unit_m,
        )
    return None, None, unit_m


def _site_reference(f, unit_m: float) -> dict | None:
    import ifcopenshell.util.placement as up

    for site in f.by_type("IfcSite"):
        lat, lon = pl.dms(site.RefLatitude), pl.dms(site.RefLongitude)
        if lat is None or lon is None or (lat == 0 and lon == 0):
            continue
        origin = (0.0, 0.0, 0.0)
        if site.ObjectPlacement is not None:
            m = up.get_local_placement(site.ObjectPlacement)
            origin = tuple(float(v) * unit_m for v in m[:3, 3])
        north = None
        for ctx in f.by_type("IfcGeometricRepresentationContext"):
            if ctx.ContextType == "Model" and getattr(ctx, "TrueNorth", None) is not None:
                ratios = ctx.TrueNorth.DirectionRatios
                north = (float(ratios[0]), float(ratios[1]))
                break
        return {
            "lat": lat,
            "lon": lon,
            "elevation": float(site.RefElevation or 0.0) * unit_m,
            "true_north": north,
            "site_origin": origin,
        }
    return None


def _storey_of(element, ue) -> str:
    container = ue.get_container(element, ifc_class="IfcBuildingStorey")
    if container is None and element.is_a("IfcSpace"):
        parent = ue.get_aggregate(element)
        while parent is not None and not parent.is_a("IfcBuildingStorey"):
            parent = ue.get_aggregate(parent)
        container = parent
    return _text(container.Name) if container is not None else ""


def read_model(path: Path, *, classes: tuple[str, ...] | None = None) -> IfcModel:
    """Everything but the geometry.  ``classes``: only elements of these IFC
    classes (and their subclasses)."""
    import ifcopenshell.util.element as ue
    import ifcopenshell.util.unit as uu

    path = Path(path)
    f = open_ifc(path)
    unit_m = float(uu.calculate_unit_scale(f))
    projects = f.by_type("IfcProject")
    buildings = f.by_type("IfcBuilding")
    storeys = [
        Storey(_text(s.GlobalId), _text(s.Name) or _text(s.LongName), float(s.Elevation or 0.0) * unit_m)
        for s in f.by_type("IfcBuildingStorey")
    ]
    storeys.sort(key=lambda s: s.elevation)
    products = []
    for cls in classes or ("IfcElement", "IfcSpace"):
        try:
            products.extend(f.by_type(cls))
        except RuntimeError:
            raise IfcReadError(f"{cls} is not an entity of {f.schema}") from None
    seen: set[int] = set()
    elements = []
    for p in products:
        if p.id() in seen or p.is_a() in NO_GEOMETRY_CLASSES or p.is_a("IfcFeatureElementSubtraction"):
            continue
        seen.add(p.id())
        element_type = ue.get_type(p)
        materials = ue.get_materials(p)
        psets = _jsonable(ue.get_psets(p))
        elements.append(
            Element(
                step_id=p.id(),
                global_id=_text(p.GlobalId),
                ifc_class=p.is_a(),
                name=_text(p.Name),
                type_name=_text(element_type.Name)
                if element_type is not None
                else _text(getattr(p, "ObjectType", "")),
                material=", ".join(
                    dict.fromkeys(_text(m.Name) for m in materials if getattr(m, "Name", None))
                ),
                storey=_storey_of(p, ue),
                psets=psets,
            )
        )
    conversion, source, map_unit_m = _map_conversion(f, unit_m)
    return IfcModel(
        path=path,
        schema=f.schema.upper(),
        file=f,
        project_name=_text(projects[0].LongName or projects[0].Name) if projects else "",
        project_id=_text(projects[0].GlobalId) if projects else "",
        building_name=_text(buildings[0].LongName or buildings[0].Name) if buildings else "",
        unit_m=unit_m,
        storeys=storeys,
        elements=elements,
        map_conversion=conversion,
        map_conversion_source=source,
        map_unit_m=map_unit_m,
        site_reference=_site_reference(f, unit_m),
    )


def geometry_settings():
    import ifcopenshell.geom

    settings = ifcopenshell.geom.settings()
    settings.set("use-world-coords", True)
    settings.set("weld-vertices", True)
    return settings


def iterate_shapes(
    f, *, include: list | None = None, workers: int | None = None, on_shape: Callable[[object], None]
) -> int:
    """Run ``ifcopenshell.geom``'s iterator over the products (``include``, or
    every product but openings), calling ``on_shape`` with each shape; returns
    how many.  ``workers``: its threads (default all cores)."""
    import ifcopenshell.geom

    workers = workers or multiprocessing.cpu_count()
    kwargs = {"include": include} if include is not None else {"exclude": f.by_type("IfcOpeningElement")}
    iterator = ifcopenshell.geom.iterator(geometry_settings(), f, workers, **kwargs)
    count = 0
    if not iterator.initialize():
        return 0
    while True:
        on_shape(iterator.get())
        count += 1
        if not iterator.next():
            break
    return count


def tessellate(
    model: IfcModel, *, workers: int | None = None, progress: Callable[[int, int], None] | None = None
) -> Shapes:
    """Triangles of every element of ``model`` (model metres)."""
    index = {e.step_id: i for i, e in enumerate(model.elements)}
    f = model.file
    include = [f.by_id(e.step_id) for e in model.elements]
    include = [p for p in include if getattr(p, "Representation", None) is not None]
    positions, triangles, v_el, t_el = [], [], [], []
    offset = 0
    done = 0

    def take(shape) -> None:
        nonlocal offset, done
        i = index.get(shape.id)
        geom = shape.geometry
        verts = np.frombuffer(geom.verts_buffer, dtype=np.float64).reshape(-1, 3)
        faces = np.frombuffer(geom.faces_buffer, dtype=np.int32).reshape(-1, 3)
        done += 1
        if progress is not None:
            progress(done, len(include))
        if i is None or not len(faces):
            return
        positions.append(verts)
        triangles.append(faces.astype(np.int64) + offset)
        v_el.append(np.full(len(verts), i, dtype=np.int64))
        t_el.append(np.full(len(faces), i, dtype=np.int64))
        offset += len(verts)

    if include:
        iterate_shapes(f, include=include, workers=workers, on_shape=take)
    if not positions:
        return Shapes(
            np.zeros((0, 3)), np.zeros((0, 3), np.int64), np.zeros(0, np.int64), np.zeros(0, np.int64)
        )
    shapes = Shapes(
        np.concatenate(positions), np.concatenate(triangles), np.concatenate(v_el), np.concatenate(t_el)
    )
    drawn = set(np.unique(shapes.triangle_element).tolist())
    shapes.failed = [
        (model.elements[i].global_id, "no geometry produced")
        for i in range(len(model.elements))
        if i not in drawn and f.by_id(model.elements[i].step_id).Representation is not None
    ]
    return shapes


def choose_placement(model: IfcModel, *, given: pl.Placement | None = None) -> pl.Placement:
    """The placement: the one ``given`` (the user's, which wins and notes what
    the file said), else the file's map conversion, else its site reference;
    :class:`IfcReadError` when there is none."""
    if given is not None:
        said = model.map_conversion_source or ("site_reference" if model.site_reference else None)
        if said:
            return pl.Placement(
                **{
                    **given.__dict__,
                    "notes": (*given.notes, f"the file's own placement ({said}) was overridden"),
                }
            )
        return given
    try:
        if model.map_conversion is not None:
            return pl.from_map_conversion(
                model.map_conversion,
                source=model.map_conversion_source,
                project_unit_m=model.unit_m,
                map_unit_m=model.map_unit_m,
            )
        if model.site_reference is not None:
            return pl.from_site_reference(**model.site_reference)
    except pl.PlacementError as exc:
        raise IfcReadError(f"placement: {exc}") from None
    raise IfcReadError(
        "the file has no placement (no IfcMapConversion, no ePSet_MapConversion, "
        "no IfcSite RefLatitude/RefLongitude): give a point, a rotation and a base height"
    )
