// Tells CesiumJS where its workers and assets are: loaded as a classic script
// just before Cesium.js, so that no inline script is needed (CSP script-src 'self').
window.CESIUM_BASE_URL = document.currentScript.dataset.base;
