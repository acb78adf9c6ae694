"""An OGC WMTS 1.0.0 GetCapabilities document (RESTful) for the built tiles, so
that desktop GIS (QGIS, ArcGIS, SuperMap iDesktop) can add the basemap too.
One layer in the well-known ``GoogleMapsCompatible`` tile matrix set
(Web Mercator, 256-pixel tiles, level z = XYZ zoom z)."""

from __future__ import annotations

from xml.sax.saxutils import escape, quoteattr

ORIGIN_M = 20037508.3427892
SCALE0 = 559082264.0287178  # scale denominator of zoom 0 at 0.28 mm pixels


def capabilities(*, tile_url: str, max_zoom: int, bounds: list[float], title: str, attribution: str) -> bytes:
    """``tile_url`` with ``{TileMatrix}``, ``{TileCol}`` and ``{TileRow}`` placeholders.  The
    matrices run from zoom 0 (the set is well known); tiles exist from the build's minimum zoom."""
    west, south, east, north = bounds
    matrices = "".join(
        f"<TileMatrix><ows:Identifier>{z}</ows:Identifier>"
        f"<ScaleDenominator>{SCALE0 / (1 << z)!r}</ScaleDenominator>"
        f"<TopLeftCorner>{-ORIGIN_M} {ORIGIN_M}</TopLeftCorner><TileWidth>256</TileWidth>"
        f"<TileHeight>256</TileHeight><MatrixWidth>{1 << z}</MatrixWidth>"
        f"<MatrixHeight>{1 << z}</MatrixHeight>"
        f"</TileMatrix>"
        for z in range(0, max_zoom + 1))
    doc = f"""<?xml version="1.0" encoding="UTF-8"?>
<Capabilities xmlns="http://www.opengis.net/wmts/1.0" xmlns:ows="http://www.opengis.net/ows/1.1"
 xmlns:xlink="http://www.w3.org/1999/xlink" version="1.0.0">
<ows:ServiceIdentification><ows:Title>{escape(title)}</ows:Title><ows:ServiceType>OGC WMTS</ows:ServiceType>
<ows:ServiceTypeVersion>1.0.0</ows:ServiceTypeVersion>
<ows:AccessConstraints>{escape(attribution)}</ows:AccessConstraints>
</ows:ServiceIdentification>
<Contents>
<Layer><ows:Title>{escape(title)}</ows:Title><ows:Identifier>basemap</ows:Identifier>
<ows:WGS84BoundingBox><ows:LowerCorner>{west} {south}</ows:LowerCorner>
<ows:UpperCorner>{east} {north}</ows:UpperCorner></ows:WGS84BoundingBox>
<Style isDefault="true"><ows:Identifier>default</ows:Identifier></Style><Format>image/png</Format>
<TileMatrixSetLink><TileMatrixSet>GoogleMapsCompatible</TileMatrixSet></TileMatrixSetLink>
<ResourceURL format="image/png" resourceType="tile" template={quoteattr(tile_url)}/>
</Layer>
<TileMatrixSet><ows:Identifier>GoogleMapsCompatible</ows:Identifier>
<ows:SupportedCRS>urn:ogc:def:crs:EPSG::3857</ows:SupportedCRS>
<WellKnownScaleSet>urn:ogc:def:wkss:OGC:1.0:GoogleMapsCompatible</WellKnownScaleSet>{matrices}</TileMatrixSet>
</Contents>
</Capabilities>
"""
    return doc.encode()


__all__ = ["capabilities"]
