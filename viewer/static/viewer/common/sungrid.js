// Hours of sun on façades in 3D: one coloured wall quad per calculation point of a sunlight run
// (its stretch of façade on its floor), shared by the planner's sunlight tool and the scheme
// comparison.  The ramp is the PDF report's.
/* global Cesium */

export const SUN_STOPS = [0, 1, 2, 3, 4, 6];
export const SUN_COLOURS = ["#3b0f70", "#8c2981", "#de4968", "#fe9f6d", "#fcd66b", "#fcfdbf"];
const OUTSIDE_M = 0.3; // the grid stands this far in front of the wall (no z-fighting with the tiles)

export function sunColour(hours) {
  let colour = SUN_COLOURS[0];
  SUN_STOPS.forEach((stop, i) => { if (hours >= stop) colour = SUN_COLOURS[i]; });
  return colour;
}

/** lon/lat of a point `east`, `north` metres from (lon, lat). */
function offset(lon, lat, east, north) {
  const k = Math.cos(Cesium.Math.toRadians(lat));
  return [lon + east / (111320 * k), lat + north / 110540];
}

/**
 * The grid of a run's `buildings` (`run.result.buildings`) as one primitive; `valuesOf(b)` gives
 * the hours drawn for building `b` ((columns × floors)).  Returns { primitive, cells }.
 */
export function facadeGrid(buildings, valuesOf) {
  const instances = [];
  for (const b of buildings) {
    const values = valuesOf(b);
    b.columns.forEach((c, i) => {
      const facing = Cesium.Math.toRadians(c.facing);
      const [nx, ny] = [Math.sin(facing) * OUTSIDE_M, Math.cos(facing) * OUTSIDE_M];
      const [ax, ay] = [Math.cos(facing) * c.width / 2, -Math.sin(facing) * c.width / 2];
      const p0 = offset(c.lon, c.lat, nx - ax, ny - ay);
      const p1 = offset(c.lon, c.lat, nx + ax, ny + ay);
      b.z.forEach((z, f) => {
        const bottom = z - b.sill_m + c.n + 0.15;
        const top = bottom + b.storey_m - 0.3;
        instances.push(new Cesium.GeometryInstance({
          geometry: new Cesium.WallGeometry({
            positions: Cesium.Cartesian3.fromDegreesArray([...p0, ...p1]),
            minimumHeights: [bottom, bottom], maximumHeights: [top, top],
          }),
          attributes: {
            color: Cesium.ColorGeometryInstanceAttribute.fromColor(
              Cesium.Color.fromCssColorString(sunColour(values[i][f]))),
          },
          id: { building: b.building ?? b.scheme_building, column: i, floor: f + 1, hours: values[i][f] },
        }));
      });
    });
  }
  const primitive = new Cesium.Primitive({
    geometryInstances: instances,
    appearance: new Cesium.PerInstanceColorAppearance({ flat: true, translucent: false }),
    asynchronous: false,
  });
  return { primitive, cells: instances.length };
}
