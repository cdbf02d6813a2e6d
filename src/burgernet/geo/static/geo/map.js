/*
 * Burgernet map component: turns every <div class="map"> into a Leaflet map.
 *
 * Include geo/map_assets.html once in the page; this script reads its own data attributes
 * (boundaries URL, optional tile URL) and each map element's:
 *
 *   data-center="52.37,4.89"   initial centre (lat,lon); default: the whole country
 *   data-zoom="12"             initial zoom; default 7
 *   data-area='{"type":...}'   a GeoJSON area to show and fit (a circle is a Feature with a Point
 *                              geometry and properties.radius in metres); or
 *   data-area-id="some-id"     the id of a <script type="application/json"> holding it
 *                              (what Django's json_script filter writes)
 *   data-boundaries="off"      leave out the municipality outlines
 *   data-label="..."           accessible name of the map (aria-label)
 *
 * No inline script is needed (the Content-Security-Policy forbids it). Other scripts reach a
 * map through window.BurgernetMap.get(element) and set or replace its area with
 * BurgernetMap.setArea(element, geojson). Each element fires "burgernet:map-ready" once its
 * map exists and "burgernet:boundaries-loaded" once the outlines are drawn.
 */
(function () {
  "use strict";

  var script = document.currentScript;
  var config = {
    boundariesUrl: (script && script.dataset.boundariesUrl) || "/geo/municipalities.geojson",
    tileUrl: (script && script.dataset.tileUrl) || "",
    tileAttribution: (script && script.dataset.tileAttribution) || "",
  };
  var NETHERLANDS = [52.2, 5.3];
  var boundariesRequest = null;

  function loadBoundaries() {
    if (!boundariesRequest) {
      boundariesRequest = fetch(config.boundariesUrl, { credentials: "same-origin" }).then(
        function (response) {
          if (!response.ok) {
            throw new Error("municipality outlines: HTTP " + response.status);
          }
          return response.json();
        }
      );
    }
    return boundariesRequest;
  }

  function parseCenter(value) {
    if (!value) return null;
    var parts = value.split(",").map(Number);
    if (parts.length !== 2 || parts.some(isNaN)) return null;
    return parts;
  }

  function readArea(element) {
    var raw = element.dataset.area;
    if (!raw && element.dataset.areaId) {
      var holder = document.getElementById(element.dataset.areaId);
      raw = holder ? holder.textContent : "";
    }
    if (!raw) return null;
    try {
      return JSON.parse(raw);
    } catch (error) {
      console.warn("map: data-area is not valid JSON", error);
      return null;
    }
  }

  function areaLayer(geojson) {
    var style = { color: "#154273", weight: 3, fillColor: "#154273", fillOpacity: 0.15 };
    var geometry = geojson.type === "Feature" ? geojson.geometry : geojson;
    var radius = geojson.properties && Number(geojson.properties.radius);
    if (geometry && geometry.type === "Point" && radius > 0) {
      var lonLat = geometry.coordinates;
      return L.circle([lonLat[1], lonLat[0]], L.extend({ radius: radius }, style));
    }
    return L.geoJSON(geojson, { style: style });
  }

  function setArea(element, geojson) {
    var state = element._burgernetMap;
    if (!state) return null;
    if (state.area) {
      state.map.removeLayer(state.area);
      state.area = null;
    }
    if (geojson) {
      state.area = areaLayer(geojson).addTo(state.map);
      state.area.getElement && state.area.getElement() &&
        state.area.getElement().classList.add("burgernet-map-area");
      state.map.fitBounds(state.area.getBounds(), { padding: [16, 16], maxZoom: 15 });
    }
    return state.area;
  }

  function init(element) {
    if (element._burgernetMap) return element._burgernetMap.map;
    var map = L.map(element, { zoomSnap: 0.5 });
    var center = parseCenter(element.dataset.center) || NETHERLANDS;
    var zoom = Number(element.dataset.zoom) || 7;
    map.setView(center, zoom);
    element._burgernetMap = { map: map, area: null, boundaries: null };
    if (!element.hasAttribute("aria-label")) {
      var english = (document.documentElement.lang || "nl").slice(0, 2) === "en";
      element.setAttribute("aria-label", element.dataset.label || (english ? "Map" : "Kaart"));
    }
    if (config.tileUrl) {
      L.tileLayer(config.tileUrl, { attribution: config.tileAttribution, maxZoom: 19 }).addTo(map);
    }
    if (element.dataset.boundaries !== "off") {
      loadBoundaries()
        .then(function (collection) {
          var layer = L.geoJSON(collection, {
            style: {
              color: "#7a8591",
              weight: 1,
              fillColor: "#ffffff",
              fillOpacity: 0.05,
              className: "burgernet-map-region",
            },
            onEachFeature: function (feature, featureLayer) {
              if (feature.properties && feature.properties.name) {
                featureLayer.bindTooltip(feature.properties.name, { sticky: true });
              }
            },
          }).addTo(map);
          layer.bringToBack();
          element._burgernetMap.boundaries = layer;
          element.dataset.boundariesLoaded = String(collection.features.length);
          element.dispatchEvent(new CustomEvent("burgernet:boundaries-loaded", { detail: { map: map } }));
        })
        .catch(function (error) {
          console.warn("map:", error);
          element.dataset.boundariesLoaded = "error";
        });
    }
    var area = readArea(element);
    if (area) setArea(element, area);
    element.dispatchEvent(new CustomEvent("burgernet:map-ready", { detail: { map: map } }));
    return map;
  }

  function initAll(root) {
    (root || document).querySelectorAll("div.map").forEach(init);
  }

  window.BurgernetMap = {
    init: init,
    initAll: initAll,
    setArea: setArea,
    get: function (element) {
      return element._burgernetMap ? element._burgernetMap.map : null;
    },
  };

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () {
      initAll();
    });
  } else {
    initAll();
  }
  // Maps in content that htmx swaps in later.
  document.addEventListener("htmx:afterSettle", function (event) {
    initAll(event.target);
  });
})();
