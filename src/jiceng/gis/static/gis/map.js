/* The map page (MapLibre GL, served by the platform; no CDN, no base map needed).
   Configuration comes from the page as JSON (#map-config); all texts are translated there.
   Layers: region and grid boundaries with names, events (clustered, coloured by state; heat map),
   key places, city components, houses (extruded by floors in 3D where a footprint exists, points
   otherwise). Data comes from /api/v1/gis/ for the visible area, in the display coordinate system
   the server names (GCJ-02 over a 高德 base map, WGS-84 otherwise).
   No glyphs URL in the style: MapLibre draws label text locally with the system's fonts. */
(function () {
  "use strict";
  var container = document.getElementById("map");
  var configEl = document.getElementById("map-config");
  if (!container || !configEl || !window.maplibregl) { return; }
  var config = JSON.parse(configEl.textContent);
  var maplibregl = window.maplibregl;
  maplibregl.setWorkerUrl(config.worker);

  var CHINA = [73.5, 18.0, 135.1, 53.6];
  var form = document.getElementById("map-filters");
  var status = document.getElementById("map-status");
  var button3d = document.getElementById("map-3d");
  var buttonHome = document.getElementById("map-home");
  var stateColour = {};
  config.states.forEach(function (s) { stateColour[s.code] = s.colour; });
  var openStates = config.states.map(function (s) { return s.code; })
    .filter(function (c) { return ["closed", "rejected", "merged"].indexOf(c) < 0; });

  // On a phone the panel starts folded, so that the map gets the screen; the map follows the panel's size.
  var panel = document.querySelector(".map-panel");
  if (panel && window.matchMedia("(max-width: 720px)").matches) { panel.open = false; }

  // Legend swatches take their colours from the configuration (no inline styles in the page).
  Array.prototype.forEach.call(document.querySelectorAll(".map-legend .swatch"), function (s) {
    s.style.background = stateColour[s.getAttribute("data-state")] || "#999";
  });

  var style = {
    version: 8,
    sources: {},
    layers: [{ id: "background", type: "background", paint: { "background-color": "#eef1f4" } }]
  };
  if (config.tiles && config.tiles.length) {
    style.sources.base = { type: "raster", tiles: config.tiles, tileSize: 256, attribution: config.attribution || "" };
    style.layers.push({ id: "base", type: "raster", source: "base" });
  }

  var map = new maplibregl.Map({
    container: container,
    style: style,
    bounds: config.bounds || CHINA,
    fitBoundsOptions: { padding: 24 },
    maxPitch: 70,
    attributionControl: config.attribution ? { compact: true } : false,
    locale: config.locale // MapLibre's control texts in the page's language
  });
  window.jicengMap = map; // for the browser tests and the console
  if (panel) { panel.addEventListener("toggle", function () { map.resize(); }); }
  map.addControl(new maplibregl.NavigationControl({ visualizePitch: true }), "top-right");
  map.addControl(new maplibregl.ScaleControl({ unit: "metric" }), "bottom-left");

  var empty = function () { return { type: "FeatureCollection", features: [] }; };
  var stateColourExpr = ["match", ["get", "state"]];
  config.states.forEach(function (s) { stateColourExpr.push(s.code, s.colour); });
  stateColourExpr.push("#888888");
  var polygonFilter = ["in", ["geometry-type"], ["literal", ["Polygon", "MultiPolygon"]]];
  var pointFilter = ["==", ["geometry-type"], "Point"];
  var label = function (minzoom, level, size) {
    return {
      id: "labels-" + level, type: "symbol", source: "region-labels", minzoom: minzoom,
      filter: ["==", ["get", "level"], level],
      layout: { "text-field": ["get", "name"], "text-size": size, "text-allow-overlap": false },
      paint: { "text-color": "#3b3f45", "text-halo-color": "#ffffff", "text-halo-width": 1.5 }
    };
  };

  var layerGroups = {
    boundaries: ["boundary-fill", "boundary-line"],
    labels: ["labels-county", "labels-township", "labels-village", "labels-grid", "labels-microgrid"],
    events: ["event-clusters", "event-cluster-count", "event-points"],
    heat: ["event-heat"],
    places: ["places"],
    components: ["components"],
    houses: ["house-fill", "house-outline", "house-points", "house-extrusion"],
    patrols: ["patrol-lines", "patrol-positions"]
  };
  var threeD = false;

  map.on("load", function () {
    map.addSource("regions", { type: "geojson", data: empty() });
    map.addSource("region-labels", { type: "geojson", data: empty() });
    map.addSource("events", { type: "geojson", data: empty(), cluster: true, clusterRadius: 40, clusterMaxZoom: 15 });
    map.addSource("events-heat", { type: "geojson", data: empty() });
    map.addSource("places", { type: "geojson", data: empty() });
    map.addSource("components", { type: "geojson", data: empty() });
    map.addSource("houses", { type: "geojson", data: empty() });
    map.addSource("patrols", { type: "geojson", data: empty() });

    var level = ["get", "level"];
    map.addLayer({
      id: "boundary-fill", type: "fill", source: "regions",
      paint: {
        "fill-color": ["match", level, "grid", "#d9534f", "microgrid", "#e67e22", "village", "#2b6cb0", "#5a6b7b"],
        "fill-opacity": ["match", level, "grid", 0.06, "microgrid", 0.06, 0.03]
      }
    });
    map.addLayer({
      id: "boundary-line", type: "line", source: "regions",
      paint: {
        "line-color": ["match", level, "grid", "#c0392b", "microgrid", "#e67e22", "village", "#2b6cb0", "#34495e"],
        "line-width": ["match", level, "county", 3, "township", 2.5, "village", 1.6, 1],
        "line-dasharray": ["match", level, "microgrid", ["literal", [2, 2]], ["literal", [1, 0]]]
      }
    });
    map.addLayer({
      id: "house-fill", type: "fill", source: "houses", minzoom: 13, filter: polygonFilter,
      paint: { "fill-color": "#b08d57", "fill-opacity": 0.55 }
    });
    map.addLayer({
      id: "house-outline", type: "line", source: "houses", minzoom: 13, filter: polygonFilter,
      paint: { "line-color": "#7a5c2e", "line-width": 0.8 }
    });
    map.addLayer({
      id: "house-extrusion", type: "fill-extrusion", source: "houses", filter: polygonFilter,
      layout: { visibility: "none" },
      paint: {
        "fill-extrusion-color": ["interpolate", ["linear"], ["get", "floors"], 1, "#e0c89a", 10, "#c49a5a", 30, "#8c6239"],
        "fill-extrusion-height": ["get", "height"],
        "fill-extrusion-base": 0,
        "fill-extrusion-opacity": 0.85
      }
    });
    map.addLayer({
      id: "house-points", type: "circle", source: "houses", minzoom: 12, filter: pointFilter,
      paint: { "circle-radius": 3.5, "circle-color": "#b08d57", "circle-stroke-color": "#fff", "circle-stroke-width": 1 }
    });
    map.addLayer({
      id: "event-heat", type: "heatmap", source: "events-heat", layout: { visibility: "none" },
      paint: {
        "heatmap-radius": ["interpolate", ["linear"], ["zoom"], 8, 12, 16, 30],
        "heatmap-intensity": ["interpolate", ["linear"], ["zoom"], 8, 0.6, 16, 1.5],
        "heatmap-opacity": 0.75
      }
    });
    map.addLayer({
      id: "components", type: "circle", source: "components", minzoom: 12,
      paint: {
        "circle-radius": 4,
        "circle-color": ["match", ["get", "state"], "intact", "#16a085", "damaged", "#c0392b", "missing", "#8e44ad", "#d35400"],
        "circle-stroke-color": "#fff", "circle-stroke-width": 1
      }
    });
    map.addLayer({
      id: "patrol-lines", type: "line", source: "patrols", filter: ["==", ["get", "kind"], "track"],
      layout: { "line-join": "round", "line-cap": "round" },
      paint: {
        "line-color": ["match", ["get", "state"], "active", "#1e88e5", "#5c6bc0"],
        "line-width": 3, "line-opacity": 0.8
      }
    });
    map.addLayer({
      id: "patrol-positions", type: "circle", source: "patrols", filter: ["==", ["get", "kind"], "position"],
      paint: { "circle-radius": 7, "circle-color": "#1e88e5", "circle-stroke-color": "#fff", "circle-stroke-width": 2 }
    });
    map.addLayer({
      id: "places", type: "circle", source: "places",
      paint: { // rings, so that places do not read as events
        "circle-radius": 5,
        "circle-color": "#ffffff",
        "circle-stroke-color": ["match", ["get", "risk_level"], "major", "#8b0000", "high", "#c0392b", "general", "#e67e22", "#6c5ce7"],
        "circle-stroke-width": 3
      }
    });
    map.addLayer({
      id: "event-clusters", type: "circle", source: "events", filter: ["has", "point_count"],
      paint: {
        "circle-color": ["step", ["get", "point_count"], "#f39c12", 20, "#e67e22", 100, "#c0392b"],
        "circle-radius": ["step", ["get", "point_count"], 14, 20, 18, 100, 24],
        "circle-opacity": 0.85, "circle-stroke-color": "#fff", "circle-stroke-width": 2
      }
    });
    map.addLayer({
      id: "event-cluster-count", type: "symbol", source: "events", filter: ["has", "point_count"],
      layout: { "text-field": ["get", "point_count_abbreviated"], "text-size": 12, "text-allow-overlap": true },
      paint: { "text-color": "#ffffff" }
    });
    map.addLayer({
      id: "event-points", type: "circle", source: "events", filter: ["!", ["has", "point_count"]],
      paint: {
        "circle-radius": 6,
        "circle-color": stateColourExpr,
        "circle-stroke-color": ["match", ["get", "warning"], "red", "#b00020", "yellow", "#f1c40f", "#ffffff"],
        "circle-stroke-width": ["match", ["get", "warning"], "red", 3, "yellow", 2.5, 1.5]
      }
    });
    map.addLayer(label(0, "county", 15));
    map.addLayer(label(8, "township", 14));
    map.addLayer(label(11, "village", 13));
    map.addLayer(label(13, "grid", 12));
    map.addLayer(label(15, "microgrid", 11));

    applyVisibility();
    loadBoundaries();
    loadLayers();
    map.on("moveend", scheduleLoad);
  });

  // --- data -------------------------------------------------------------------------------------------
  var loaded = {};
  var truncated = {};
  var generation = {};

  var clamp = function (v, lo, hi) { return Math.max(lo, Math.min(hi, v)); };
  var viewBox = function () {
    var b = map.getBounds();
    return [clamp(b.getWest(), -180, 180), clamp(b.getSouth(), -90, 90),
      clamp(b.getEast(), -180, 180), clamp(b.getNorth(), -90, 90)].map(function (v) { return v.toFixed(6); }).join(",");
  };
  var enabled = function (name) {
    var box = form.querySelector("input[name=layer][value=" + name + "]");
    return !box || box.checked;
  };
  var get = function (url, params) {
    var query = new URLSearchParams(params);
    query.set("crs", config.crs);
    return fetch(url + "?" + query.toString(), { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        if (!response.ok) { throw new Error(response.status + " " + response.url); }
        return response.json();
      });
  };
  var report = function () {
    var parts = [];
    var warn = false;
    ["events", "places", "components", "houses", "patrols"].forEach(function (name) {
      if (truncated[name]) { warn = true; parts.push(config.text.truncated.replace("{n}", loaded[name])); }
    });
    if (loaded.events !== undefined) { parts.unshift(loaded.events + " " + config.text.events); }
    status.textContent = parts.join(" ");
    status.classList.toggle("map-status-warn", warn);
    container.setAttribute("data-loaded", Object.keys(loaded).sort().join(","));
  };
  var failed = function () {
    status.textContent = config.text.failed;
    status.classList.add("map-status-warn");
  };

  var loadBoundaries = function () {
    get(config.api.boundaries, {}).then(function (data) {
      map.getSource("regions").setData(data);
      map.getSource("region-labels").setData({
        type: "FeatureCollection",
        features: data.features.map(function (f) {
          return { type: "Feature", geometry: { type: "Point", coordinates: f.properties.label_point }, properties: f.properties };
        })
      });
      loaded.boundaries = data.count;
      report();
    }).catch(failed);
  };

  var dayAfter = function (value) {
    var d = new Date(value + "T00:00:00");
    d.setDate(d.getDate() + 1);
    return d.getFullYear() + "-" + String(d.getMonth() + 1).padStart(2, "0") + "-" + String(d.getDate()).padStart(2, "0");
  };
  var eventParams = function () {
    var params = { bbox: viewBox() };
    var since = form.elements.since.value;
    var until = form.elements.until.value;
    var state = form.elements.state.value;
    if (since) { params.since = since + "T00:00:00"; }
    if (until) { params.until = dayAfter(until) + "T00:00:00"; }
    if (form.elements.category.value) { params.category = form.elements.category.value; }
    if (state === "open") { params.state = openStates.join(","); } else if (state) { params.state = state; }
    return params;
  };
  var loadLayer = function (name) {
    var wanted = name === "events" ? (enabled("events") || enabled("heat")) : enabled(name);
    if (!wanted) { return; }
    var mine = generation[name] = (generation[name] || 0) + 1;
    var params = name === "events" ? eventParams() : { bbox: viewBox() };
    if (name === "patrols") { // the time filter applies to patrols too
      var timed = eventParams();
      params = { bbox: timed.bbox };
      if (timed.since) { params.since = timed.since; }
      if (timed.until) { params.until = timed.until; }
    }
    get(config.api[name], params).then(function (data) {
      if (mine !== generation[name]) { return; } // a newer request for this layer is on its way
      map.getSource(name).setData(data);
      if (name === "events") { map.getSource("events-heat").setData(data); }
      loaded[name] = data.count;
      truncated[name] = data.truncated;
      report();
    }).catch(failed);
  };
  var loadLayers = function () { ["events", "places", "components", "houses", "patrols"].forEach(loadLayer); };
  var timer = null;
  var scheduleLoad = function () {
    if (timer) { clearTimeout(timer); }
    timer = setTimeout(loadLayers, 250);
  };

  // --- controls ---------------------------------------------------------------------------------------
  var applyVisibility = function () {
    Object.keys(layerGroups).forEach(function (group) {
      layerGroups[group].forEach(function (id) {
        var visible = enabled(group);
        if (id === "house-extrusion") { visible = visible && threeD; }
        if (id === "house-fill" || id === "house-outline") { visible = visible && !threeD; }
        if (map.getLayer(id)) { map.setLayoutProperty(id, "visibility", visible ? "visible" : "none"); }
      });
    });
  };
  form.addEventListener("change", function (e) {
    var target = e.target;
    if (target.name === "layer") {
      applyVisibility();
      if (target.checked && target.value !== "boundaries" && target.value !== "labels") {
        loadLayer(target.value === "heat" ? "events" : target.value);
      }
      return;
    }
    loadLayer("events");
  });
  form.addEventListener("submit", function (e) { e.preventDefault(); });
  button3d.addEventListener("click", function () {
    threeD = !threeD;
    button3d.setAttribute("aria-pressed", threeD ? "true" : "false");
    applyVisibility();
    map.easeTo(threeD ? { pitch: 60, bearing: -20, duration: 600 } : { pitch: 0, bearing: 0, duration: 600 });
  });
  buttonHome.addEventListener("click", function () {
    map.fitBounds(config.bounds || CHINA, { padding: 24, pitch: threeD ? 60 : 0 });
  });

  // --- popups -----------------------------------------------------------------------------------------
  var clickable = ["event-points", "event-clusters", "patrol-positions", "patrol-lines", "places", "components",
    "house-points", "house-extrusion", "house-fill", "boundary-fill"];
  var line = function (parent, tag, text) {
    var node = document.createElement(tag);
    node.textContent = text;
    parent.appendChild(node);
    return node;
  };
  var popupFor = function (feature) {
    var p = feature.properties;
    var box = document.createElement("div");
    switch (feature.layer.id) {
      case "event-points":
        line(box, "h3", p.title);
        line(box, "p", p.state_label + " · " + p.category_name);
        line(box, "p", config.text.reported_at + " " + p.reported_at.replace("T", " ").slice(0, 16));
        break;
      case "places":
        line(box, "h3", p.name);
        line(box, "p", p.place_type_label + " · " + p.risk_level_label);
        break;
      case "components":
        line(box, "h3", p.name || p.code);
        line(box, "p", p.code + " · " + p.state_label);
        break;
      case "patrol-positions":
      case "patrol-lines":
        line(box, "h3", p.worker + " · " + p.unit);
        line(box, "p", config.text.patrol + " " + p.started_at.replace("T", " ") + " · " + p.distance_m + " m");
        break;
      case "boundary-fill":
        line(box, "h3", p.name);
        line(box, "p", (config.levels[p.level] || p.level) + " · " + p.code);
        break;
      default: // houses
        line(box, "h3", p.address || p.code);
        line(box, "p", p.use_label + (p.floors ? " · " + config.text.floors + " " + p.floors : ""));
    }
    if (p.url) {
      var link = line(box, "a", config.text.open);
      link.href = p.url;
    }
    return box;
  };
  map.on("click", function (e) {
    var layers = clickable.filter(function (id) { return map.getLayer(id) && map.getLayoutProperty(id, "visibility") !== "none"; });
    var hits = map.queryRenderedFeatures(e.point, { layers: layers });
    if (!hits.length) { return; }
    hits.sort(function (a, b) { return clickable.indexOf(a.layer.id) - clickable.indexOf(b.layer.id); });
    var hit = hits[0];
    if (hit.layer.id === "event-clusters") {
      map.getSource("events").getClusterExpansionZoom(hit.properties.cluster_id).then(function (zoom) {
        map.easeTo({ center: hit.geometry.coordinates, zoom: zoom });
      });
      return;
    }
    new maplibregl.Popup({ maxWidth: "18rem" }).setLngLat(e.lngLat).setDOMContent(popupFor(hit)).addTo(map);
  });
  clickable.forEach(function (id) {
    map.on("mouseenter", id, function () { map.getCanvas().style.cursor = "pointer"; });
    map.on("mouseleave", id, function () { map.getCanvas().style.cursor = ""; });
  });
})();
