/* Burgernet areas in the browser: exact "is this point inside?" and drawing on a Leaflet map.
   Circles are GeoJSON Features with a Point geometry and a `radius` property in metres;
   polygons are Polygon / MultiPolygon geometries or Features, coordinates [lon, lat]. */
(function (global) {
  "use strict";
  var EARTH_RADIUS_M = 6371008.8;

  function haversine(lat1, lon1, lat2, lon2) {
    var rad = Math.PI / 180;
    var dLat = (lat2 - lat1) * rad, dLon = (lon2 - lon1) * rad;
    var a = Math.sin(dLat / 2) * Math.sin(dLat / 2) +
      Math.cos(lat1 * rad) * Math.cos(lat2 * rad) * Math.sin(dLon / 2) * Math.sin(dLon / 2);
    return 2 * EARTH_RADIUS_M * Math.asin(Math.min(1, Math.sqrt(a)));
  }

  function geometryOf(area) {
    if (!area) return null;
    return area.type === "Feature" ? area.geometry : area;
  }

  // Even-odd ray casting over every ring: holes and separate parts come out right.
  function ringsContain(rings, lat, lon) {
    var inside = false;
    rings.forEach(function (ring) {
      for (var i = 0, j = ring.length - 1; i < ring.length; j = i++) {
        var x1 = ring[j][0], y1 = ring[j][1], x2 = ring[i][0], y2 = ring[i][1];
        if ((y1 > lat) !== (y2 > lat)) {
          var xCross = x1 + (lat - y1) * (x2 - x1) / (y2 - y1);
          if (lon < xCross) inside = !inside;
        }
      }
    });
    return inside;
  }

  function areaContains(area, lat, lon) {
    var g = geometryOf(area);
    if (!g) return false;
    if (g.type === "Point") {
      var radius = (area.properties && area.properties.radius) || 0;
      return haversine(g.coordinates[1], g.coordinates[0], lat, lon) <= radius;
    }
    if (g.type === "Polygon") return ringsContain(g.coordinates, lat, lon);
    if (g.type === "MultiPolygon") {
      var rings = [];
      g.coordinates.forEach(function (p) { rings = rings.concat(p); });
      return ringsContain(rings, lat, lon);
    }
    return false;
  }

  function drawArea(map, area, options) {
    var g = geometryOf(area);
    if (!g || !global.L) return null;
    var style = Object.assign({ color: "#c0392b", weight: 2, fillOpacity: 0.15 }, options || {});
    if (g.type === "Point") {
      return global.L.circle([g.coordinates[1], g.coordinates[0]],
        Object.assign({ radius: area.properties.radius }, style)).addTo(map);
    }
    return global.L.geoJSON(g, { style: function () { return style; } }).addTo(map);
  }

  // Municipal boundaries as a quiet background, when the geo app serves them. The map works
  // without them (no tiles are loaded from anywhere: the site has no network beyond itself).
  function loadRegions(map, url) {
    if (!url || !global.fetch) return;
    fetch(url, { headers: { Accept: "application/geo+json, application/json" } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) {
        if (!data) return;
        var layer = global.L.geoJSON(data, {
          style: function () { return { color: "#6b7a8a", weight: 1, fillOpacity: 0.03 }; },
          interactive: false
        }).addTo(map);
        layer.bringToBack();
      })
      .catch(function () { /* boundaries are optional */ });
  }

  global.BurgernetAreas = {
    haversine: haversine, areaContains: areaContains, drawArea: drawArea, loadRegions: loadRegions
  };
})(window);
