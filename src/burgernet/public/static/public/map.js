/* Public maps: the areas of active actions, or the area of one action. */
(function () {
  "use strict";
  var NL = [[50.75, 3.2], [53.7, 7.3]];

  function baseMap(el) {
    var map = L.map(el, { attributionControl: false, scrollWheelZoom: false });
    map.fitBounds(NL);
    BurgernetAreas.loadRegions(map, el.dataset.regionsUrl);
    return map;
  }

  var one = document.getElementById("action-map");
  if (one && window.L) {
    var map = baseMap(one);
    var layer = BurgernetAreas.drawArea(map, JSON.parse(one.dataset.area));
    if (layer) map.fitBounds(layer.getBounds(), { maxZoom: 14 });
  }

  var all = document.getElementById("actions-map");
  if (all && window.L) {
    var overview = baseMap(all);
    fetch(all.dataset.actionsUrl).then(function (r) { return r.json(); }).then(function (data) {
      var bounds = [];
      data.actions.forEach(function (a) {
        var layer = BurgernetAreas.drawArea(overview, a.area);
        // A marker of fixed size keeps small areas visible at national scale.
        var marker = L.circleMarker(a.incident, {
          radius: 9, color: "#fff", weight: 2, fillColor: "#b3261e", fillOpacity: 1
        }).addTo(overview);
        [layer, marker].forEach(function (l) {
          if (!l) return;
          l.bindTooltip(a.title);
          l.on("click", function () { window.location.href = a.url; });
        });
        if (layer) bounds.push(layer.getBounds());
      });
      if (bounds.length) {
        var all = bounds[0];
        bounds.slice(1).forEach(function (b) { all = all.extend(b); });
        overview.fitBounds(all, { padding: [40, 40], maxZoom: 11 });
      }
    }).catch(function () { /* the list below the map has the same actions */ });
  }
})();
