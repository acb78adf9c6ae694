// Drawing helpers the layers of the operations map share: colours, labels, GeoJSON parts.
/* global Cesium */

const LABEL_FONT = "'Noto Sans CJK SC', 'Microsoft YaHei', 'PingFang SC', sans-serif";

export function colour(css, alpha = 1) {
  return Cesium.Color.fromCssColorString(css).withAlpha(alpha);
}

/** Line strings of a GeoJSON (Multi)LineString as arrays of [lon, lat]. */
export function lines(geometry) {
  if (!geometry) return [];
  if (geometry.type === "LineString") return [geometry.coordinates];
  if (geometry.type === "MultiLineString") return geometry.coordinates;
  return [];
}

/** Polygons (arrays of rings) of a GeoJSON (Multi)Polygon. */
export function polygons(geometry) {
  if (!geometry) return [];
  if (geometry.type === "Polygon") return [geometry.coordinates];
  if (geometry.type === "MultiPolygon") return geometry.coordinates;
  return [];
}

export const degreesArray = (coords) => Cesium.Cartesian3.fromDegreesArray(coords.flatMap((c) => [c[0], c[1]]));

/** The mean of a closed ring's vertices (the closing vertex counted once). */
export function centroid(ring) {
  let x = 0; let y = 0;
  const n = Math.max(1, ring.length - 1);
  for (let i = 0; i < n; i += 1) { x += ring[i][0]; y += ring[i][1]; }
  return [x / n, y / n];
}

/** A ground-clamped label, always drawn on top, shown closer than `far` metres. */
export function labelOptions(text, { size = 13, fill = "#ffffff", far = 12000, offsetY = -34 } = {}) {
  return {
    text,
    font: `${size}px ${LABEL_FONT}`,
    fillColor: colour(fill),
    outlineColor: colour("#03101f"),
    outlineWidth: 3,
    style: Cesium.LabelStyle.FILL_AND_OUTLINE,
    pixelOffset: new Cesium.Cartesian2(0, offsetY),
    heightReference: Cesium.HeightReference.CLAMP_TO_GROUND,
    disableDepthTestDistance: Number.POSITIVE_INFINITY,
    distanceDisplayCondition: new Cesium.DistanceDisplayCondition(0, far),
    showBackground: false,
  };
}

/** A new entity layer (Cesium data source) added to the viewer. */
export function addLayer(viewer, name) {
  const source = new Cesium.CustomDataSource(name);
  viewer.dataSources.add(source);
  return source;
}
