"""The per-building property table (EXT_structural_metadata) of the tiles.

Class ``building``: id, name, height, floors, use (ENUM), year, admin area
code and name, and the level of detail drawn.  Unknown floors and years are
0 with ``noData: 0``, so Cesium reports them as missing.
"""

from __future__ import annotations

import numpy as np

from cim.tiling.glb import PropertyColumn, PropertyTable

CLASS_NAME = "building"
ENUM_NAME = "BuildingUse"


def building_schema(use_values: list[str]) -> dict:
    return {
        "id": "tianshui_cim",
        "name": "Tianshui CIM buildings",
        "classes": {
            CLASS_NAME: {
                "name": "Building",
                "properties": {
                    "id": {"type": "STRING", "required": True,
                           "description": "Primary key of the building (/api/cim/buildings/<id>/)"},
                    "name": {"type": "STRING"},
                    "height": {"type": "SCALAR", "componentType": "FLOAT32", "required": True,
                               "description": "Height above its base, metres"},
                    "floors": {"type": "SCALAR", "componentType": "UINT8", "noData": 0},
                    "use": {"type": "ENUM", "enumType": ENUM_NAME, "required": True},
                    "year": {"type": "SCALAR", "componentType": "UINT16", "noData": 0},
                    "admin_code": {"type": "STRING", "description": "12-digit division code"},
                    "admin_name": {"type": "STRING"},
                    "lod": {"type": "SCALAR", "componentType": "UINT8", "required": True},
                },
            }
        },
        "enums": {
            ENUM_NAME: {
                "valueType": "UINT8",
                "values": [{"name": name, "value": i} for i, name in enumerate(use_values)],
            }
        },
    }


def building_table(
    *,
    use_values: list[str],
    ids,
    names,
    heights,
    floors,
    uses=None,
    use_codes=None,
    years,
    admin_codes,
    admin_names,
    lods,
) -> PropertyTable:
    """The property table of a tile; ``use_codes`` (indices into
    ``use_values``) or ``uses`` (names; unknown ones become "other")."""
    if use_codes is None:
        index = {name: i for i, name in enumerate(use_values)}
        fallback = index.get("other", 0)
        use_codes = [index.get(u, fallback) for u in uses]
    return PropertyTable(
        class_name=CLASS_NAME,
        schema=building_schema(use_values),
        columns=[
            PropertyColumn("id", "STRING", [str(i) for i in ids]),
            PropertyColumn("name", "STRING", list(names)),
            PropertyColumn("height", "FLOAT32", np.asarray(heights, np.float32)),
            PropertyColumn("floors", "UINT8", np.clip(np.asarray(floors, np.int64), 0, 255)),
            PropertyColumn("use", "ENUM", use_codes),
            PropertyColumn("year", "UINT16", np.clip(np.asarray(years, np.int64), 0, 65535)),
            PropertyColumn("admin_code", "STRING", list(admin_codes)),
            PropertyColumn("admin_name", "STRING", list(admin_names)),
            PropertyColumn("lod", "UINT8", np.asarray(lods, np.uint8)),
        ],
    )
