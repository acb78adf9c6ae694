"""OGC API – Features endpoints under ``/ogc/`` (see :mod:`cim.services.ogc`).

Landing page, conformance, the service's OpenAPI document, collections and their
items, as GeoJSON / JSON.  Public (rate-limited like the other public reads);
staff collections appear to signed-in staff only.  Errors have the platform's one
shape plus the OGC exception's ``code`` and ``description``.
"""

from __future__ import annotations

import json
import time

from django.http import HttpResponse, JsonResponse
from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework.views import APIView

from cim import roles
from cim.api.throttles import PublicThrottle
from cim.errors import DomainError
from cim.services import ogc

CONFORMANCE = [
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
    "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs",
]
GEOJSON = "application/geo+json"
EXTENT_TTL_S = 300.0
_extents: dict[str, tuple[float, list | None]] = {}


def _error(status: int, code: str, detail: str, field: str | None = None) -> JsonResponse:
    return JsonResponse(
        {
            "error": "invalid" if status == 400 else "not_found",
            "detail": detail,
            "field": field,
            "code": code,
            "description": detail,
        },
        status=status,
        json_dumps_params={"ensure_ascii": False},
    )


def _json(data: dict, content_type: str = "application/json") -> HttpResponse:
    return HttpResponse(json.dumps(data, ensure_ascii=False), content_type=content_type)


@extend_schema(exclude=True)  # the service describes itself at /ogc/api (OGC conformance class oas30)
class _OgcView(APIView):
    throttle_classes = [PublicThrottle]
    permission_classes: list = []

    def perform_content_negotiation(self, request, force=False):
        # GIS clients ask for application/geo+json or application/json; the answers
        # are written here, so any Accept gets them (DRF's renderers are only for errors)
        return super().perform_content_negotiation(request, force=True)

    def staff(self, request) -> bool:
        return roles.has_role(request.user, *roles.STAFF_ROLES)

    def base(self, request) -> str:
        return request.build_absolute_uri("/ogc").rstrip("/")

    def handle_exception(self, exc):
        if isinstance(exc, DomainError):
            return _error(400, "InvalidParameterValue", exc.message, exc.field)
        return super().handle_exception(exc)


class LandingView(_OgcView):
    def get(self, request):
        base = self.base(request)
        return _json(
            {
                "title": "天水 CIM 开放数据服务 (OGC API – Features)",
                "description": "Tianshui City Information Model: buildings, roads, administrative areas, "
                "service points and addresses. Demo data are synthetic where marked.",
                "links": [
                    {"href": f"{base}/", "rel": "self", "type": "application/json", "title": "this document"},
                    {
                        "href": f"{base}/api",
                        "rel": "service-desc",
                        "type": "application/vnd.oai.openapi+json;version=3.0",
                        "title": "the API definition",
                    },
                    {
                        "href": f"{base}/conformance",
                        "rel": "conformance",
                        "type": "application/json",
                        "title": "conformance classes",
                    },
                    {
                        "href": f"{base}/collections",
                        "rel": "data",
                        "type": "application/json",
                        "title": "collections",
                    },
                ],
            }
        )


class ConformanceView(_OgcView):
    def get(self, request):
        return _json({"conformsTo": CONFORMANCE})


def _extent(collection: ogc.Collection) -> list | None:
    cached = _extents.get(collection.id)
    if cached is not None and time.monotonic() - cached[0] < EXTENT_TTL_S:
        return cached[1]
    value = ogc.extent(collection)
    _extents[collection.id] = (time.monotonic(), value)
    return value


def _collection_doc(base: str, c: ogc.Collection) -> dict:
    doc = {
        "id": c.id,
        "title": c.title,
        "description": f"{c.title_en}. {c.description}",
        "itemType": "feature",
        "crs": list(ogc.SUPPORTED_CRS),
        "storageCrs": ogc.CRS84,
        "links": [
            {"href": f"{base}/collections/{c.id}", "rel": "self", "type": "application/json"},
            {
                "href": f"{base}/collections/{c.id}/items",
                "rel": "items",
                "type": GEOJSON,
                "title": f"{c.title_en} (GeoJSON)",
            },
        ],
    }
    box = _extent(c)
    if box is not None:
        doc["extent"] = {"spatial": {"bbox": [box], "crs": ogc.CRS84}}
    return doc


class CollectionsView(_OgcView):
    def get(self, request):
        base = self.base(request)
        return _json(
            {
                "links": [{"href": f"{base}/collections", "rel": "self", "type": "application/json"}],
                "collections": [
                    _collection_doc(base, c) for c in ogc.visible_collections(staff=self.staff(request))
                ],
            }
        )


class CollectionView(_OgcView):
    def get(self, request, collection):
        found = ogc.collection_for(collection, staff=self.staff(request))
        if found is None:
            return _error(404, "NotFound", f"no collection {collection!r}", "collection")
        return _json(_collection_doc(self.base(request), found))


class ItemsView(_OgcView):
    def get(self, request, collection):
        found = ogc.collection_for(collection, staff=self.staff(request))
        if found is None:
            return _error(404, "NotFound", f"no collection {collection!r}", "collection")
        q = request.GET
        known = {"limit", "offset", "bbox", "bbox-crs", "crs", "f"}
        unknown = sorted(set(q) - known)
        if unknown:
            raise DomainError(f"unknown query parameter {unknown[0]!r}", field=unknown[0])
        if q.get("f") not in (None, "", "json", "geojson"):
            raise DomainError("only f=json is offered", field="f")
        limit, offset = ogc.parse_limit(q.get("limit")), ogc.parse_offset(q.get("offset"))
        crs = ogc.parse_crs(q.get("crs"), "crs")
        bbox = ogc.parse_bbox(q.get("bbox"), ogc.parse_crs(q.get("bbox-crs"), "bbox-crs"))
        features, returned, matched = ogc.items_page(found, limit=limit, offset=offset, bbox=bbox, crs=crs)
        url = f"{self.base(request)}/collections/{found.id}/items"

        def page(at: int) -> str:
            params = {k: v for k, v in q.items() if k not in ("offset", "limit")}
            params.update(limit=str(limit), offset=str(at))
            return url + "?" + "&".join(f"{k}={v}" for k, v in params.items())

        links = [
            {"href": page(offset), "rel": "self", "type": GEOJSON},
            {
                "href": f"{self.base(request)}/collections/{found.id}",
                "rel": "collection",
                "type": "application/json",
            },
        ]
        if offset + returned < matched:
            links.append({"href": page(offset + limit), "rel": "next", "type": GEOJSON})
        if offset > 0:
            links.append({"href": page(max(0, offset - limit)), "rel": "prev", "type": GEOJSON})
        body = ogc.features_document(
            features,
            returned=returned,
            matched=matched,
            links=links,
            crs=crs,
            timestamp=timezone.now().isoformat(timespec="seconds"),
        )
        response = HttpResponse(body, content_type=GEOJSON)
        response["Content-Crs"] = f"<{crs}>"
        return response


class ItemView(_OgcView):
    def get(self, request, collection, fid):
        found = ogc.collection_for(collection, staff=self.staff(request))
        if found is None:
            return _error(404, "NotFound", f"no collection {collection!r}", "collection")
        crs = ogc.parse_crs(request.GET.get("crs"), "crs")
        feature = ogc.item(found, fid, crs=crs)
        if feature is None:
            return _error(404, "NotFound", f"no feature {fid!r} in {found.id}", "featureId")
        doc = json.loads(feature)
        base = self.base(request)
        doc["links"] = [
            {"href": f"{base}/collections/{found.id}/items/{fid}", "rel": "self", "type": GEOJSON},
            {"href": f"{base}/collections/{found.id}", "rel": "collection", "type": "application/json"},
        ]
        response = HttpResponse(json.dumps(doc, ensure_ascii=False), content_type=GEOJSON)
        response["Content-Crs"] = f"<{crs}>"
        return response


def _param(name: str, description: str, schema: dict) -> dict:
    return {"name": name, "in": "query", "required": False, "description": description, "schema": schema}


class ApiDefinitionView(_OgcView):
    """The service's OpenAPI 3.0 definition (the conformance class oas30)."""

    def get(self, request):
        items_params = [
            _param(
                "limit",
                f"features per page (1–{ogc.MAX_LIMIT}, default {ogc.DEFAULT_LIMIT})",
                {"type": "integer", "minimum": 1, "maximum": ogc.MAX_LIMIT, "default": ogc.DEFAULT_LIMIT},
            ),
            _param("offset", "features to skip", {"type": "integer", "minimum": 0, "default": 0}),
            {
                **_param(
                    "bbox",
                    "minx,miny,maxx,maxy in bbox-crs",
                    {"type": "array", "items": {"type": "number"}, "minItems": 4, "maxItems": 6},
                ),
                "style": "form",
                "explode": False,
            },
            _param("bbox-crs", "CRS of bbox", {"type": "string", "enum": list(ogc.SUPPORTED_CRS)}),
            _param("crs", "CRS of the answer", {"type": "string", "enum": list(ogc.SUPPORTED_CRS)}),
        ]
        collection = {
            "name": "collection",
            "in": "path",
            "required": True,
            "schema": {"type": "string", "enum": [c.id for c in ogc.COLLECTIONS.values()]},
        }
        ok = {"description": "OK"}
        paths = {
            "/": {
                "get": {"summary": "landing page", "operationId": "getLandingPage", "responses": {"200": ok}}
            },
            "/conformance": {
                "get": {
                    "summary": "conformance classes",
                    "operationId": "getConformance",
                    "responses": {"200": ok},
                }
            },
            "/api": {
                "get": {"summary": "this definition", "operationId": "getApi", "responses": {"200": ok}}
            },
            "/collections": {
                "get": {"summary": "collections", "operationId": "getCollections", "responses": {"200": ok}}
            },
            "/collections/{collection}": {
                "get": {
                    "summary": "a collection",
                    "operationId": "describeCollection",
                    "parameters": [collection],
                    "responses": {"200": ok, "404": {"description": "unknown"}},
                }
            },
            "/collections/{collection}/items": {
                "get": {
                    "summary": "features",
                    "operationId": "getFeatures",
                    "parameters": [collection, *items_params],
                    "responses": {
                        "200": {
                            "description": "a page of features",
                            "content": {GEOJSON: {"schema": {"type": "object"}}},
                        },
                        "400": {"description": "bad parameter"},
                        "404": {"description": "unknown"},
                    },
                }
            },
            "/collections/{collection}/items/{featureId}": {
                "get": {
                    "summary": "one feature",
                    "operationId": "getFeature",
                    "parameters": [
                        collection,
                        {"name": "featureId", "in": "path", "required": True, "schema": {"type": "string"}},
                        _param(
                            "crs", "CRS of the answer", {"type": "string", "enum": list(ogc.SUPPORTED_CRS)}
                        ),
                    ],
                    "responses": {"200": {"description": "a feature"}, "404": {"description": "unknown"}},
                }
            },
        }
        doc = {
            "openapi": "3.0.3",
            "info": {"title": "Tianshui CIM – OGC API Features", "version": "1.0.0"},
            "servers": [{"url": self.base(request)}],
            "paths": paths,
        }
        return _json(doc, "application/vnd.oai.openapi+json;version=3.0")


class VectorTileView(_OgcView):
    """A Mapbox Vector Tile of the 2D layers (``/ogc/vector-tiles/{z}/{x}/{y}.mvt``)."""

    def get(self, request, z, x, y):
        from cim.services import vector_tiles

        data = vector_tiles.tile(int(z), int(x), int(y))
        response = HttpResponse(data, content_type="application/vnd.mapbox-vector-tile")
        response["Cache-Control"] = "public, max-age=300"
        return response


class VectorTileJsonView(_OgcView):
    """The TileJSON document of the vector tiles."""

    def get(self, request):
        from cim.services import vector_tiles

        template = self.base(request) + "/vector-tiles/{z}/{x}/{y}.mvt"
        return _json(vector_tiles.tilejson(template))
