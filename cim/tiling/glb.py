"""glTF 2.0 binary (glb) content for 3D Tiles 1.1, written with numpy.

One mesh with up to two primitives (walls, roofs) sharing the vertex
attributes, per-building feature ids and a property table:

* ``POSITION`` as SHORT normalized (``KHR_mesh_quantization``): the node's
  translation and uniform scale undo the quantization.  A uniform scale keeps
  the BYTE normals valid (a non-uniform one would skew them through the
  inverse-transpose); the price is a step of extent / 65,534 on every axis.
* ``NORMAL`` as BYTE normalized and ``_FEATURE_ID_0`` as UNSIGNED_SHORT, each
  padded to a 4-byte stride: 8 + 4 + 4 = 16 bytes a vertex (vertex attributes
  must start on 4-byte boundaries, so the feature id cannot share the
  position's spare bytes).
* ``EXT_mesh_features`` on each primitive and ``EXT_structural_metadata`` at
  the root (schema + one property table), both optional by spec, so only
  ``KHR_mesh_quantization`` is required.

Input positions are in the tile's z-up frame (east, north, up); glTF is y-up,
so (x, y, z) becomes (x, z, -y) here, and 3D Tiles clients rotate it back.
:func:`read_glb` reverses all of it for the tests.
"""

from __future__ import annotations

import json
import struct
from dataclasses import dataclass, field

import numpy as np

GLB_MAGIC = 0x46546C67
CHUNK_JSON = 0x4E4F534A
CHUNK_BIN = 0x004E4942

BYTE, UNSIGNED_BYTE, SHORT, UNSIGNED_SHORT, UNSIGNED_INT, FLOAT = 5120, 5121, 5122, 5123, 5125, 5126
ARRAY_BUFFER, ELEMENT_ARRAY_BUFFER = 34962, 34963

SCALAR_DTYPES = {
    "UINT8": np.uint8, "UINT16": np.uint16, "UINT32": np.uint32, "INT8": np.int8,
    "INT16": np.int16, "INT32": np.int32, "FLOAT32": np.float32, "FLOAT64": np.float64,
}

MATERIALS = [
    {"name": "wall", "pbrMetallicRoughness": {
        "baseColorFactor": [0.93, 0.92, 0.89, 1.0], "metallicFactor": 0.0, "roughnessFactor": 0.9}},
    {"name": "roof", "pbrMetallicRoughness": {
        "baseColorFactor": [0.78, 0.74, 0.70, 1.0], "metallicFactor": 0.0, "roughnessFactor": 0.9}},
]


@dataclass
class PropertyColumn:
    """One property of the table: ``kind`` is STRING, ENUM or a scalar
    component type (UINT8, FLOAT32, …); ENUM values are integer codes."""

    name: str
    kind: str
    values: list | np.ndarray


@dataclass
class PropertyTable:
    class_name: str
    schema: dict  # the EXT_structural_metadata schema object
    columns: list[PropertyColumn] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.columns[0].values) if self.columns else 0


class _Bin:
    """The binary chunk under construction: 8-byte aligned buffer views."""

    def __init__(self) -> None:
        self.parts: list[bytes] = []
        self.size = 0
        self.views: list[dict] = []

    def add(self, data: bytes, **view) -> int:
        pad = (-self.size) % 8
        if pad:
            self.parts.append(b"\0" * pad)
            self.size += pad
        self.views.append({"buffer": 0, "byteOffset": self.size, "byteLength": len(data), **view})
        self.parts.append(data)
        self.size += len(data)
        return len(self.views) - 1

    def bytes(self) -> bytes:
        blob = b"".join(self.parts)
        return blob + b"\0" * ((-len(blob)) % 4)


def extent(positions: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-axis (min, max) of (N, 3) positions (column by column: an axis-0
    reduction over an (N, 3) array is several times slower)."""
    p = np.asarray(positions, dtype=np.float64)
    return (np.array([p[:, k].min() for k in range(3)]), np.array([p[:, k].max() for k in range(3)]))


def quantize_positions(positions: np.ndarray, bounds: tuple[np.ndarray, np.ndarray] | None = None,
                       ) -> tuple[np.ndarray, list[float], float, list[int], list[int]]:
    """z-up float positions → y-up SHORT values, translation, uniform scale
    and the values' min and max (``bounds``: the z-up extent, if known)."""
    p = np.asarray(positions, dtype=np.float64)
    zlo, zhi = bounds if bounds is not None else extent(p)
    lo = np.array([zlo[0], zlo[2], -zhi[1]])
    hi = np.array([zhi[0], zhi[2], -zlo[1]])
    center = (lo + hi) / 2
    scale = float(max((hi - lo).max() / 2, 1e-3))
    k = 32767.0 / scale
    q = np.empty((len(p), 3), dtype=np.int16)
    q[:, 0] = np.clip(np.rint((p[:, 0] - center[0]) * k), -32767, 32767)
    q[:, 1] = np.clip(np.rint((p[:, 2] - center[1]) * k), -32767, 32767)
    q[:, 2] = np.clip(np.rint((-p[:, 1] - center[2]) * k), -32767, 32767)
    # Quantizing is monotonic: the extremes of q are those of the bounds.
    qlo = np.clip(np.rint((lo - center) * k), -32767, 32767).astype(int).tolist()
    qhi = np.clip(np.rint((hi - center) * k), -32767, 32767).astype(int).tolist()
    return q, [float(c) for c in center], scale, qlo, qhi


def pack_normals(normals: np.ndarray) -> np.ndarray:
    """z-up unit normals → y-up BYTE normalized, padded to 4 bytes: (N, 4) int8."""
    nrm = np.asarray(normals, dtype=np.float64)
    packed = np.zeros((len(nrm), 4), dtype=np.int8)
    packed[:, 0] = np.rint(nrm[:, 0] * 127.0)
    packed[:, 1] = np.rint(nrm[:, 2] * 127.0)
    packed[:, 2] = np.rint(-nrm[:, 1] * 127.0)
    return packed


def _offsets(lengths: np.ndarray) -> tuple[bytes, str]:
    offsets = np.concatenate([[0], np.cumsum(lengths, dtype=np.int64)])
    total = int(offsets[-1])
    for name, dtype, limit in (("UINT8", np.uint8, 0xFF), ("UINT16", np.uint16, 0xFFFF),
                               ("UINT32", np.uint32, 0xFFFFFFFF)):
        if total <= limit:
            return offsets.astype(dtype).tobytes(), name
    return offsets.astype(np.uint64).tobytes(), "UINT64"


def _utf8_column(values) -> tuple[bytes, np.ndarray]:
    """UTF-8 bytes of all strings back to back, and each one's byte length.

    One join and one encode for the whole column, the lengths found from the
    positions of a NUL separator (per-string encoding was most of a tile's
    encoding time)."""
    texts = values if isinstance(values, list) else list(values)
    if not texts:
        return b"", np.zeros(0, dtype=np.int64)
    try:
        joined = "\0".join(texts)
    except TypeError:  # not all str
        texts = [str(v) for v in texts]
        joined = "\0".join(texts)
    if joined.count("\0") != len(texts) - 1:  # a NUL inside a value: the slow way
        encoded = [t.encode("utf-8") for t in texts]
        return b"".join(encoded), np.array([len(e) for e in encoded], dtype=np.int64)
    raw = joined.encode("utf-8")
    cuts = np.flatnonzero(np.frombuffer(raw, dtype=np.uint8) == 0)
    ends = np.append(cuts, len(raw))
    starts = np.concatenate([[0], cuts + 1])
    return raw.replace(b"\0", b""), (ends - starts).astype(np.int64)


def _encode_table(table: PropertyTable, bin_: _Bin) -> dict:
    props: dict[str, dict] = {}
    for col in table.columns:
        if col.kind == "STRING":
            data, lengths = _utf8_column(col.values)
            # A buffer view may not be empty: all-empty strings keep one unused byte.
            values = bin_.add(data or b"\0")
            offsets, offset_type = _offsets(lengths)
            props[col.name] = {"values": values, "stringOffsets": bin_.add(offsets),
                               "stringOffsetType": offset_type}
        elif col.kind == "ENUM":
            props[col.name] = {"values": bin_.add(np.asarray(col.values, np.uint8).tobytes())}
        else:
            data = np.asarray(col.values, SCALAR_DTYPES[col.kind])
            props[col.name] = {"values": bin_.add(data.tobytes())}
    return {"class": table.class_name, "count": table.count, "properties": props}


def write_glb(
    *,
    positions: np.ndarray,
    normals: np.ndarray,  # (N, 3) float z-up, or already packed by pack_normals
    feature_ids: np.ndarray,
    wall_triangles: np.ndarray,
    roof_triangles: np.ndarray,
    table: PropertyTable,
    generator: str = "tianshui-cim",
    bounds: tuple[np.ndarray, np.ndarray] | None = None,
) -> bytes:
    """Encode one tile's mesh and property table as glb bytes."""
    n = len(positions)
    if n == 0:
        raise ValueError("a tile needs at least one vertex")
    if table.count > 0xFFFF:
        raise ValueError("more than 65,535 features in one tile")
    q, translation, scale, qmin, qmax = quantize_positions(positions, bounds)
    padded = np.zeros((n, 4), dtype=np.int16)
    padded[:, :3] = q
    fids = np.zeros((n, 2), dtype=np.uint16)
    fids[:, 0] = feature_ids
    packed_normals = normals if normals.dtype == np.int8 else pack_normals(normals)

    bin_ = _Bin()
    v_pos = bin_.add(padded.tobytes(), byteStride=8, target=ARRAY_BUFFER)
    v_nrm = bin_.add(packed_normals.tobytes(), byteStride=4, target=ARRAY_BUFFER)
    v_fid = bin_.add(fids.tobytes(), byteStride=4, target=ARRAY_BUFFER)
    index_type, index_dtype = (UNSIGNED_SHORT, np.uint16) if n <= 0xFFFF else (UNSIGNED_INT, np.uint32)
    walls = np.asarray(wall_triangles, dtype=index_dtype).reshape(-1)
    roofs = np.asarray(roof_triangles, dtype=index_dtype).reshape(-1)
    v_idx = bin_.add(walls.tobytes() + roofs.tobytes(), target=ELEMENT_ARRAY_BUFFER)

    accessors = [
        {"bufferView": v_pos, "byteOffset": 0, "componentType": SHORT, "normalized": True,
         "count": n, "type": "VEC3", "min": qmin, "max": qmax},
        {"bufferView": v_nrm, "byteOffset": 0, "componentType": BYTE, "normalized": True,
         "count": n, "type": "VEC3"},
        {"bufferView": v_fid, "byteOffset": 0, "componentType": UNSIGNED_SHORT, "count": n,
         "type": "SCALAR"},
    ]
    features = {"EXT_mesh_features": {"featureIds": [
        {"featureCount": table.count, "attribute": 0, "propertyTable": 0}]}}
    primitives = []
    offset = 0
    for material, idx in ((0, walls), (1, roofs)):
        if len(idx):
            accessors.append({"bufferView": v_idx, "byteOffset": offset, "componentType": index_type,
                              "count": int(len(idx)), "type": "SCALAR"})
            primitives.append({
                "attributes": {"POSITION": 0, "NORMAL": 1, "_FEATURE_ID_0": 2},
                "indices": len(accessors) - 1, "material": material, "mode": 4,
                "extensions": features,
            })
        offset += idx.nbytes
    if not primitives:
        raise ValueError("a tile needs at least one triangle")
    metadata = {"schema": table.schema, "propertyTables": [_encode_table(table, bin_)]}
    blob = bin_.bytes()
    gltf = {
        "asset": {"version": "2.0", "generator": generator},
        "extensionsUsed": ["KHR_mesh_quantization", "EXT_mesh_features", "EXT_structural_metadata"],
        "extensionsRequired": ["KHR_mesh_quantization"],
        "extensions": {"EXT_structural_metadata": metadata},
        "scene": 0,
        "scenes": [{"nodes": [0]}],
        "nodes": [{"mesh": 0, "translation": translation, "scale": [scale, scale, scale]}],
        "meshes": [{"primitives": primitives}],
        "materials": MATERIALS,
        "accessors": accessors,
        "bufferViews": bin_.views,
        "buffers": [{"byteLength": len(blob)}],
    }
    doc = json.dumps(gltf, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    doc += b" " * ((-len(doc)) % 4)
    total = 12 + 8 + len(doc) + 8 + len(blob)
    return b"".join([
        struct.pack("<III", GLB_MAGIC, 2, total),
        struct.pack("<II", len(doc), CHUNK_JSON), doc,
        struct.pack("<II", len(blob), CHUNK_BIN), blob,
    ])


# --- reading back (tests, benchmarks) -------------------------------------------------------

_COMPONENTS = {BYTE: np.int8, UNSIGNED_BYTE: np.uint8, SHORT: np.int16, UNSIGNED_SHORT: np.uint16,
               UNSIGNED_INT: np.uint32, FLOAT: np.float32}
_WIDTH = {"SCALAR": 1, "VEC2": 2, "VEC3": 3, "VEC4": 4}


@dataclass
class GlbContent:
    gltf: dict
    positions: np.ndarray  # (V, 3) float64, z-up tile frame, dequantized
    normals: np.ndarray  # (V, 3) float64, z-up
    feature_ids: np.ndarray  # (V,)
    triangles: list[np.ndarray]  # per primitive, (T, 3)
    properties: dict[str, list]  # property table columns (ENUMs as names)


def _accessor(gltf: dict, blob: bytes, index: int) -> np.ndarray:
    acc = gltf["accessors"][index]
    view = gltf["bufferViews"][acc["bufferView"]]
    dtype = np.dtype(_COMPONENTS[acc["componentType"]])
    width = _WIDTH[acc["type"]]
    stride = view.get("byteStride", dtype.itemsize * width)
    start = view.get("byteOffset", 0) + acc.get("byteOffset", 0)
    count = acc["count"]
    raw = np.frombuffer(blob, dtype=np.uint8, count=view["byteLength"] - acc.get("byteOffset", 0),
                        offset=start)
    rows = np.lib.stride_tricks.as_strided(raw, shape=(count, dtype.itemsize * width),
                                           strides=(stride, 1))
    return np.ascontiguousarray(rows).view(dtype).reshape(count, width)


def _view_bytes(gltf: dict, blob: bytes, index: int) -> bytes:
    view = gltf["bufferViews"][index]
    start = view.get("byteOffset", 0)
    return blob[start:start + view["byteLength"]]


def read_glb(data: bytes) -> GlbContent:
    """Decode what :func:`write_glb` writes (and any glb of the same shape)."""
    magic, version, total = struct.unpack_from("<III", data, 0)
    if magic != GLB_MAGIC or version != 2 or total != len(data):
        raise ValueError("not a glTF 2.0 binary")
    json_len, _ = struct.unpack_from("<II", data, 12)
    gltf = json.loads(data[20:20 + json_len])
    bin_len, _ = struct.unpack_from("<II", data, 20 + json_len)
    blob = data[28 + json_len:28 + json_len + bin_len]
    node = gltf["nodes"][0]
    prims = gltf["meshes"][node["mesh"]]["primitives"]
    attrs = prims[0]["attributes"]

    def dequant(index: int) -> np.ndarray:
        acc = gltf["accessors"][index]
        values = _accessor(gltf, blob, index).astype(np.float64)
        if acc.get("normalized"):
            values = np.maximum(values / np.iinfo(_COMPONENTS[acc["componentType"]]).max, -1.0)
        return values

    pos = dequant(attrs["POSITION"]) * np.asarray(node.get("scale", [1, 1, 1])) + np.asarray(
        node.get("translation", [0, 0, 0]))
    nrm = dequant(attrs["NORMAL"])
    fids = _accessor(gltf, blob, attrs["_FEATURE_ID_0"]).reshape(-1)
    tris = [_accessor(gltf, blob, p["indices"]).reshape(-1, 3).astype(np.int64) for p in prims]

    meta = gltf["extensions"]["EXT_structural_metadata"]
    table = meta["propertyTables"][0]
    klass = meta["schema"]["classes"][table["class"]]["properties"]
    enums = meta["schema"].get("enums", {})
    properties: dict[str, list] = {}
    for name, prop in table["properties"].items():
        spec = klass[name]
        values = _view_bytes(gltf, blob, prop["values"])
        if spec["type"] == "STRING":
            otype = np.dtype(prop.get("stringOffsetType", "UINT32").lower())
            offsets = np.frombuffer(_view_bytes(gltf, blob, prop["stringOffsets"]), dtype=otype)
            properties[name] = [values[offsets[i]:offsets[i + 1]].decode("utf-8")
                                for i in range(table["count"])]
        elif spec["type"] == "ENUM":
            names = {v["value"]: v["name"] for v in enums[spec["enumType"]]["values"]}
            properties[name] = [names[int(v)] for v in np.frombuffer(values, np.uint8)]
        else:
            properties[name] = np.frombuffer(
                values, SCALAR_DTYPES[spec["componentType"]]).tolist()
    return GlbContent(
        gltf=gltf,
        positions=np.column_stack([pos[:, 0], -pos[:, 2], pos[:, 1]]),
        normals=np.column_stack([nrm[:, 0], -nrm[:, 2], nrm[:, 1]]),
        feature_ids=fids,
        triangles=tris,
        properties=properties,
    )
