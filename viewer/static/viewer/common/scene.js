// The Cesium scene, fully offline: bundled Natural Earth imagery, our own terrain and 3D Tiles.
/* global Cesium */

export const DEFAULT_BUILDING_COLOR = "color('#d5e1f2')";

/** A Viewer with no ion token, no online geocoder, no imagery picker. */
export function createViewer(container, creditContainer) {
  Cesium.Ion.defaultAccessToken = "";
  const imagery = Cesium.TileMapServiceImageryProvider.fromUrl(
    Cesium.buildModuleUrl("Assets/Textures/NaturalEarthII"),
  );
  const baseLayer = Cesium.ImageryLayer.fromProviderAsync(imagery, {
    // Natural Earth for the globe and the region; at city scale (finer terrain levels) its
    // 2 km pixels say nothing, so the shaded slate-blue ground of the map theme shows instead.
    brightness: 0.7, contrast: 1.1, saturation: 0.6,
    maximumTerrainLevel: 10,
  });
  const viewer = new Cesium.Viewer(container, {
    baseLayer,
    baseLayerPicker: false,
    geocoder: false,
    homeButton: false,
    sceneModePicker: false,
    navigationHelpButton: false,
    animation: false,
    timeline: false,
    fullscreenButton: false,
    infoBox: false,
    selectionIndicator: false,
    shouldAnimate: false,
    terrainProvider: new Cesium.EllipsoidTerrainProvider(),
    // Render only when something changes: the page stays light on a planner's laptop.
    requestRenderMode: true,
    maximumRenderTimeChange: Infinity,
    msaaSamples: 1,
    creditContainer,
  });
  const scene = viewer.scene;
  scene.globe.baseColor = Cesium.Color.fromCssColorString("#3a5274");
  scene.globe.depthTestAgainstTerrain = true;
  // Our terrain has ~30 m posts: a slightly coarser refinement looks the same and loads half the tiles.
  scene.globe.maximumScreenSpaceError = 3;
  scene.globe.enableLighting = true;
  scene.globe.lambertDiffuseMultiplier = 1.3; // stronger relief: loess hills read as hills
  scene.globe.showGroundAtmosphere = true;
  scene.backgroundColor = Cesium.Color.fromCssColorString("#020a18");
  scene.fog.enabled = true;
  scene.fog.density = 1.2e-4;
  scene.screenSpaceCameraController.minimumZoomDistance = 20;
  scene.postProcessStages.fxaa.enabled = true;
  // A fixed, well-lit moment (10:00 Beijing time today) until the sunlight study changes it.
  const today = new Date();
  const iso = `${today.getFullYear()}-${String(today.getMonth() + 1).padStart(2, "0")}-${String(today.getDate()).padStart(2, "0")}`;
  viewer.clock.currentTime = Cesium.JulianDate.fromIso8601(`${iso}T10:00:00+08:00`);
  viewer.clock.shouldAnimate = false;
  applyQuality(viewer, renderQuality());
  return viewer;
}

/**
 * "high", or "low" when the browser draws WebGL in software (SwiftShader, llvmpipe: office PCs
 * and thin clients without a usable GPU, common on government networks), where a full frame
 * of the city takes seconds.  `?quality=high|low` in the page address overrides the choice.
 */
export function renderQuality() {
  const asked = new URLSearchParams(window.location.search).get("quality");
  if (asked === "high" || asked === "low") return asked;
  return /swiftshader|llvmpipe|softpipe|software/i.test(webglRenderer()) ? "low" : "high";
}

function webglRenderer() {
  try {
    const gl = document.createElement("canvas").getContext("webgl");
    if (!gl) return "";
    const info = gl.getExtension("WEBGL_debug_renderer_info");
    const name = gl.getParameter(info ? info.UNMASKED_RENDERER_WEBGL : gl.RENDERER) || "";
    gl.getExtension("WEBGL_lose_context")?.loseContext();
    return String(name);
  } catch {
    return "";
  }
}

/**
 * Low quality draws at half resolution without antialiasing, fog or atmosphere (about a
 * third of the time per frame in SwiftShader); terrain shading and 3D content stay.  The
 * page's `#render-note`, when there is one, tells the user.
 */
export function applyQuality(viewer, quality) {
  const low = quality === "low";
  const scene = viewer.scene;
  viewer.resolutionScale = low ? 0.5 : 1;
  scene.postProcessStages.fxaa.enabled = !low;
  scene.fog.enabled = !low;
  scene.globe.showGroundAtmosphere = !low;
  if (scene.skyAtmosphere) scene.skyAtmosphere.show = !low;
  viewer.cimQuality = quality;
  const note = document.getElementById("render-note");
  if (note) note.hidden = !low;
  scene.requestRender();
}

/**
 * Quantized-mesh terrain from the platform (`layer.json`); null when it cannot be read,
 * in which case the globe stays the ellipsoid.  Tile errors go to `onError`.
 */
export async function loadTerrain(url, onError) {
  try {
    const provider = await Cesium.CesiumTerrainProvider.fromUrl(url, { requestVertexNormals: true });
    provider.errorEvent.addEventListener((error) => onError(error?.message || String(error)));
    return provider;
  } catch (error) {
    onError(error?.message || String(error));
    return null;
  }
}

export async function loadTileset(url) {
  const tileset = await Cesium.Cesium3DTileset.fromUrl(url, {
    maximumScreenSpaceError: 16,
    // Buildings cast and receive shadows once the sunlight study switches shadows on.
    shadows: Cesium.ShadowMode.ENABLED,
  });
  tileset.style = new Cesium.Cesium3DTileStyle({ color: DEFAULT_BUILDING_COLOR });
  return tileset;
}

/**
 * A fixed light for a place, from the south-south-west 35° above the horizon: it lights the
 * façades a planner sees from the default (southern) view and shades the hills the same way
 * whatever the clock says (the sunlight study switches to the real sun).
 */
export function cartographicLight(lon, lat) {
  const enu = Cesium.Transforms.eastNorthUpToFixedFrame(Cesium.Cartesian3.fromDegrees(lon, lat));
  const altitude = Cesium.Math.toRadians(35);
  const azimuth = Cesium.Math.toRadians(200);
  const towardsLight = new Cesium.Cartesian3(
    Math.cos(altitude) * Math.sin(azimuth), Math.cos(altitude) * Math.cos(azimuth), Math.sin(altitude));
  const direction = Cesium.Matrix4.multiplyByPointAsVector(
    enu, Cesium.Cartesian3.negate(towardsLight, new Cesium.Cartesian3()), new Cesium.Cartesian3());
  return new Cesium.DirectionalLight({ direction: Cesium.Cartesian3.normalize(direction, direction), intensity: 2.2 });
}

/** Camera orientation as plain numbers (degrees / metres), for bookmarks and tests. */
export function cameraState(camera) {
  const c = camera.positionCartographic;
  return {
    lon: Cesium.Math.toDegrees(c.longitude),
    lat: Cesium.Math.toDegrees(c.latitude),
    height: c.height,
    heading: Cesium.Math.toDegrees(camera.heading),
    pitch: Cesium.Math.toDegrees(camera.pitch),
    roll: Cesium.Math.toDegrees(camera.roll),
  };
}

/** Fly (or jump, with duration 0) to a view given as target + heading/pitch/range. */
export function flyToView(viewer, view, { duration = 1.5 } = {}) {
  const target = Cesium.Cartesian3.fromDegrees(view.lon, view.lat, view.height || 0);
  const offset = new Cesium.HeadingPitchRange(
    Cesium.Math.toRadians(view.heading || 0),
    Cesium.Math.toRadians(view.pitch ?? -45),
    view.range,
  );
  return new Promise((resolve) => {
    if (duration === 0) {
      viewer.camera.lookAt(target, offset);
      viewer.camera.lookAtTransform(Cesium.Matrix4.IDENTITY);
      viewer.scene.requestRender();
      resolve(true);
      return;
    }
    viewer.camera.flyToBoundingSphere(new Cesium.BoundingSphere(target, 1), {
      offset, duration, complete: () => resolve(true), cancel: () => resolve(false),
    });
  });
}

/** Fly to a camera state saved by `cameraState`. */
export function flyToCamera(viewer, state, { duration = 1.5 } = {}) {
  return new Promise((resolve) => {
    viewer.camera.flyTo({
      destination: Cesium.Cartesian3.fromDegrees(state.lon, state.lat, state.height),
      orientation: {
        heading: Cesium.Math.toRadians(state.heading),
        pitch: Cesium.Math.toRadians(state.pitch),
        roll: Cesium.Math.toRadians(state.roll || 0),
      },
      duration,
      complete: () => resolve(true),
      cancel: () => resolve(false),
    });
  });
}

/** The 3D point under a screen position: buildings and terrain first, the ellipsoid last. */
export function pickPoint(scene, windowPosition) {
  if (scene.pickPositionSupported) {
    const point = scene.pickPosition(windowPosition);
    if (Cesium.defined(point)) return point;
  }
  const ray = scene.camera.getPickRay(windowPosition);
  const onGlobe = ray && scene.globe.pick(ray, scene);
  if (Cesium.defined(onGlobe)) return onGlobe;
  return scene.camera.pickEllipsoid(windowPosition) || null;
}

/**
 * The basemap under the city (from city-info's `basemap`): the platform's own XYZ tiles or the
 * external WMTS/XYZ/TMS service a deployment names (CIM["BASEMAP_EXTERNAL"]), with a credit
 * naming the data sources ("synthetic" for generated demo data).  Tiles the platform did not
 * draw (empty hills at fine zooms) fall back to the coarser tile.  Returns the layer, or null.
 */
export function addBasemapImagery(viewer, basemap, { t, onError = () => {} } = {}) {
  if (!basemap) return null;
  const words = basemap.external ? basemap.attribution
    : t("basemapCredit", { sources: basemap.attribution });
  const credit = new Cesium.Credit(basemap.synthetic ? `${words} · ${t("basemapSynthetic")}` : words, true);
  const tilingScheme = new Cesium.WebMercatorTilingScheme();
  const rectangle = basemap.bounds ? Cesium.Rectangle.fromDegrees(...basemap.bounds) : undefined;
  const common = { tilingScheme, rectangle, maximumLevel: basemap.max_zoom, credit };
  let provider;
  if (basemap.kind === "wmts") {
    provider = new Cesium.WebMapTileServiceImageryProvider({
      ...common, url: basemap.url, layer: basemap.layer, style: basemap.style,
      tileMatrixSetID: basemap.tile_matrix_set, format: basemap.format,
      ...(basemap.subdomains.length ? { subdomains: basemap.subdomains } : {}),
    });
  } else {
    const url = basemap.kind === "tms" ? basemap.url.replace("{y}", "{reverseY}") : basemap.url;
    provider = new Cesium.UrlTemplateImageryProvider({
      // The built tiles start at the city-scale zoom (their extent holds a handful of tiles there).
      ...common, url, minimumLevel: basemap.external ? 0 : basemap.min_zoom,
      ...(basemap.subdomains?.length ? { subdomains: basemap.subdomains } : {}),
    });
  }
  // A missing tile is expected where the platform drew nothing; anything else is reported.
  let failures = 0;
  provider.errorEvent.addEventListener((error) => {
    failures += 1;
    if (basemap.external && failures <= 3) onError(error?.message || String(error));
  });
  const layer = viewer.imageryLayers.addImageryProvider(provider);
  viewer.cimBasemap = { layer, provider, failures: () => failures };
  viewer.scene.requestRender();
  return layer;
}
