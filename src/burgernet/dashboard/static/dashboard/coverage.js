/*
 * Coverage maps of the dashboard (built on geo/map.js):
 *  - <div class="map" data-coverage-rates="ID">: municipalities coloured by participants per
 *    1,000 inhabitants from the json_script ID ([{code, name, per_1000, white_spot}]);
 *  - <div class="map" data-coverage-cells="ID">: H3 cells (GeoJSON FeatureCollection with
 *    properties.participants and properties.white_spot) drawn and fitted.
 * White spots get a white fill with a thick orange outline. No inline script (CSP).
 */
(function () {
  "use strict";
  var SCALE = ["#deebf7", "#9ecae1", "#6baed6", "#3182bd", "#08519c"];
  var WHITE_SPOT = { color: "#e17000", weight: 3, fillColor: "#ffffff", fillOpacity: 0.9 };

  function read(id) {
    var holder = document.getElementById(id);
    return holder ? JSON.parse(holder.textContent) : null;
  }

  function classOf(value, max) {
    if (!max) return 0;
    return Math.min(SCALE.length - 1, Math.floor((value / max) * SCALE.length));
  }

  function styleRates(element) {
    var state = element._burgernetMap;
    var rates = read(element.dataset.coverageRates) || [];
    if (!state || !state.boundaries) return;
    var byCode = {};
    var max = 0;
    rates.forEach(function (r) {
      byCode[r.code] = r;
      if (r.per_1000 && r.per_1000 > max) max = r.per_1000;
    });
    var own = element.dataset.own || "";
    state.boundaries.eachLayer(function (layer) {
      var code = layer.feature && layer.feature.properties.code;
      var r = byCode[code];
      if (!r || r.per_1000 === null) {
        layer.setStyle({ color: "#7a8591", weight: 0.5, fillColor: "#cccccc", fillOpacity: 0.3 });
        return;
      }
      var style = r.white_spot
        ? L.extend({}, WHITE_SPOT)
        : { color: "#5a6570", weight: 0.5, fillColor: SCALE[classOf(r.per_1000, max)], fillOpacity: 0.85 };
      if (code === own) {
        style.color = "#000000";
        style.weight = 3;
      }
      layer.setStyle(style);
      layer.unbindTooltip();
      layer.bindTooltip(r.name + ": " + r.per_1000 + " ‰", { sticky: true });
    });
    element.dataset.coverageStyled = "true";
  }

  function drawCells(element, map) {
    var cells = read(element.dataset.coverageCells);
    if (!cells || !cells.features.length) return;
    var max = 0;
    cells.features.forEach(function (f) {
      if (f.properties.participants > max) max = f.properties.participants;
    });
    var layer = L.geoJSON(cells, {
      style: function (f) {
        if (f.properties.white_spot) return L.extend({}, WHITE_SPOT, { weight: 2 });
        return { color: "#5a6570", weight: 0.5, fillColor: SCALE[classOf(f.properties.participants, max)], fillOpacity: 0.8 };
      },
      onEachFeature: function (f, l) {
        l.bindTooltip(String(f.properties.participants), { sticky: true });
      },
    }).addTo(map);
    map.fitBounds(layer.getBounds());
    element.dataset.coverageStyled = "true";
  }

  function setUp(element) {
    if (element.dataset.coverageRates) {
      if (element.dataset.boundariesLoaded) styleRates(element);
      element.addEventListener("burgernet:boundaries-loaded", function () {
        styleRates(element);
      });
    }
    if (element.dataset.coverageCells) {
      var map = window.BurgernetMap && window.BurgernetMap.get(element);
      if (map) drawCells(element, map);
      else
        element.addEventListener("burgernet:map-ready", function (event) {
          drawCells(element, event.detail.map);
        });
    }
  }

  document.querySelectorAll("div.map[data-coverage-rates], div.map[data-coverage-cells]").forEach(setUp);
})();
