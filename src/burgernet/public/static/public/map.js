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
      data.actions.forEach(function (a) {
        var layer = BurgernetAreas.drawArea(overview, a.area);
        if (layer) {
          layer.bindTooltip(a.title);
          layer.on("click", function () { window.location.href = a.url; });
        }
      });
    }).catch(function () { /* the list below the map has the same actions */ });
  }
})();
