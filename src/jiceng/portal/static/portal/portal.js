/* The residents' pages: pick the place of a report on the map, and fill the vote bars.
   External file (the Content-Security-Policy allows no inline script); texts come from data attributes. */
(function () {
  "use strict";
  Array.prototype.forEach.call(document.querySelectorAll(".bar span[data-pct]"), function (s) {
    s.style.width = s.getAttribute("data-pct") + "%";
  });

  var container = document.getElementById("pick-map");
  var configEl = document.getElementById("pick-map-config");
  if (!container || !configEl || !window.maplibregl) { return; }
  var config = JSON.parse(configEl.textContent);
  var maplibregl = window.maplibregl;
  maplibregl.setWorkerUrl(config.worker);
  var form = container.closest("form");
  var lng = form.querySelector("[data-geo=lng]");
  var lat = form.querySelector("[data-geo=lat]");
  var accuracy = form.querySelector("[data-geo=accuracy]");
  var crs = form.querySelector("[name=coord_system]");
  var status = document.getElementById("geo-status");

  var style = {
    version: 8,
    sources: {},
    layers: [{ id: "background", type: "background", paint: { "background-color": "#eef1f4" } }]
  };
  if (config.tiles && config.tiles.length) {
    style.sources.base = { type: "raster", tiles: config.tiles, tileSize: 256, attribution: config.attribution || "" };
    style.layers.push({ id: "base", type: "raster", source: "base" });
  }
  if (config.boundary) {
    style.sources.community = { type: "geojson", data: { type: "Feature", properties: {}, geometry: config.boundary } };
    style.layers.push({ id: "community", type: "line", source: "community", paint: { "line-color": "#c8102e", "line-width": 2 } });
  }
  var map = new maplibregl.Map({
    container: container,
    style: style,
    center: config.center || [116.4, 39.9],
    zoom: config.center ? 14 : 4,
    attributionControl: config.attribution ? { compact: true } : false,
    locale: config.locale // MapLibre's control texts in the page's language
  });
  if (config.bounds) { map.fitBounds(config.bounds, { padding: 16, duration: 0 }); }
  window.jicengPickMap = map; // for the browser tests
  var marker = null;
  map.on("click", function (e) {
    lng.value = e.lngLat.lng.toFixed(7);
    lat.value = e.lngLat.lat.toFixed(7);
    if (accuracy) { accuracy.value = ""; }
    if (crs) { crs.value = config.crs; }
    if (!marker) { marker = new maplibregl.Marker({ color: "#c8102e" }); }
    marker.setLngLat(e.lngLat).addTo(map);
    if (status) {
      status.textContent = status.getAttribute("data-picked");
      status.className = "geo-status ok";
    }
  });
}());
