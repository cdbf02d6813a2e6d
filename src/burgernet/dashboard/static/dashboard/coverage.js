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

  // Quantile classes: each colour holds about as many areas, so a few outliers do not wash
  // the rest out. Returns a function value -> class index.
  function quantiles(values) {
    var sorted = values.filter(function (v) { return v !== null && v > 0; }).sort(function (a, b) { return a - b; });
    var breaks = [];
    for (var i = 1; i < SCALE.length; i++) {
      breaks.push(sorted.length ? sorted[Math.floor((i * sorted.length) / SCALE.length)] : 0);
    }
    return function (value) {
      var k = 0;
      while (k < breaks.length && value >= breaks[k]) k++;
      return k;
    };
  }

  function styleRates(element) {
    var state = element._burgernetMap;
    var rates = read(element.dataset.coverageRates) || [];
    if (!state || !state.boundaries) return;
    var byCode = {};
    rates.forEach(function (r) {
      byCode[r.code] = r;
    });
    var classOf = quantiles(rates.map(function (r) { return r.per_1000; }));
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
        : { color: "#5a6570", weight: 0.5, fillColor: SCALE[classOf(r.per_1000)], fillOpacity: 0.85 };
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
    var classOf = quantiles(cells.features.map(function (f) { return f.properties.participants; }));
    var layer = L.geoJSON(cells, {
      style: function (f) {
        if (f.properties.white_spot) return L.extend({}, WHITE_SPOT, { weight: 2 });
        return { color: "#5a6570", weight: 0.5, fillColor: SCALE[classOf(f.properties.participants)], fillOpacity: 0.8 };
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
