/* Dispatcher console: area drawing, live reach preview, SMS counter. No inline scripts (CSP). */
(function () {
  "use strict";
  var NL = [52.2, 5.3];
  var GSM = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";
  var GSM_EXT = "^{}\\[~]|€\f";

  function smsInfo(text) {
    var septets = 0, gsm = true;
    for (var i = 0; i < text.length; i++) {
      var ch = text.charAt(i);
      if (GSM.indexOf(ch) >= 0) septets += 1;
      else if (GSM_EXT.indexOf(ch) >= 0) septets += 2;
      else { gsm = false; break; }
    }
    if (gsm) return { encoding: "GSM-7", length: septets, segments: septets <= 160 ? 1 : Math.ceil(septets / 153) };
    var units = text.length; // UTF-16 code units
    return { encoding: "UCS-2", length: units, segments: units <= 70 ? 1 : Math.ceil(units / 67) };
  }

  function baseMap(el) {
    var map = L.map(el, { keyboard: true }).setView(NL, 8);
    var tiles = document.body.getAttribute("data-tile-url");
    if (tiles) L.tileLayer(tiles, { maxZoom: 18 }).addTo(map);
    fetch("/geo/municipalities.geojson").then(function (r) { return r.ok ? r.json() : null; }).then(function (data) {
      if (data) L.geoJSON(data, { style: { color: "#557", weight: 1, fillOpacity: 0.03 }, interactive: false }).addTo(map);
    }).catch(function () { /* offline base layer is optional */ });
    return map;
  }

  function areaLayer(area) {
    var g = area.geometry || area;
    if (g.type === "Point") return L.circle([g.coordinates[1], g.coordinates[0]], { radius: area.properties.radius, color: "#b00" });
    return L.geoJSON(area, { style: { color: "#b00" } });
  }

  function initNewForm(form) {
    var defaults = JSON.parse(form.getAttribute("data-type-defaults"));
    var mapEl = document.getElementById("action-map");
    var map = baseMap(mapEl);
    var areaInput = document.getElementById("id_area");
    var radius = document.getElementById("radius");
    var radiusOut = document.getElementById("radius-out");
    var typeSel = document.getElementById("id_type");
    var desc = document.getElementById("id_description");
    var omit = document.getElementById("id_omit_offence");
    var exercise = document.getElementById("id_exercise");
    var marker = null, circle = null, polygon = null, drawing = false, vertices = [], drawLine = null;
    var timer = null, seq = 0;

    function setArea(area) {
      areaInput.value = area ? JSON.stringify(area) : "";
      clearTimeout(timer);
      timer = setTimeout(preview, 120);
    }
    function circleArea() {
      if (!marker) return null;
      var p = marker.getLatLng();
      return { type: "Feature", geometry: { type: "Point", coordinates: [p.lng, p.lat] }, properties: { radius: Number(radius.value) } };
    }
    function drawCircle() {
      if (!marker) return;
      if (polygon) { map.removeLayer(polygon); polygon = null; }
      if (!circle) circle = L.circle(marker.getLatLng(), { radius: Number(radius.value), color: "#b00" }).addTo(map);
      circle.setLatLng(marker.getLatLng()); circle.setRadius(Number(radius.value));
      setArea(circleArea());
    }
    // One preview in flight at a time: while one is out, later changes only mark the area
    // stale, and the newest area is asked for when the answer is in. Dragging never queues
    // requests on the server (bench/suite.py measures the preview the same way).
    var inflight = false, stale = false;
    function previewDone() {
      inflight = false;
      if (stale) preview();
    }
    function preview() {
      if (!areaInput.value) return;
      if (inflight) { stale = true; return; }
      inflight = true; stale = false;
      var mine = ++seq;
      var url = form.getAttribute("data-preview-url") + "?type=" + encodeURIComponent(typeSel.value) + "&area=" + encodeURIComponent(areaInput.value);
      fetch(url, { credentials: "same-origin" }).then(function (r) { return r.json(); }).then(function (data) {
        if (mine !== seq || stale || !data.counts) return;
        document.getElementById("reach-voice").textContent = data.counts.voice != null ? data.counts.voice : 0;
        document.getElementById("reach-sms").textContent = data.counts.sms != null ? data.counts.sms : 0;
        document.getElementById("reach-area").textContent = data.area_km2 + " km²";
      }).then(previewDone, previewDone);
    }
    function updateText() {
      var d = defaults[typeSel.value] || {};
      var parts = [form.getAttribute("data-intro")];
      if (!omit.checked && d.headline) parts.push(d.headline);
      if (desc.value.trim()) parts.push(desc.value.trim());
      parts.push(form.getAttribute("data-outro"));
      var text = (exercise.checked ? "OEFENING - " : "") + parts.join(" ");
      var info = smsInfo(text);
      document.getElementById("sms-preview").textContent = text;
      document.getElementById("voice-preview").textContent = text;
      document.getElementById("sms-count").textContent = info.length;
      document.getElementById("sms-segments").textContent = info.segments;
      document.getElementById("sms-encoding").textContent = info.encoding;
    }
    function applyTypeDefaults() {
      var d = defaults[typeSel.value];
      if (!d) return;
      form.querySelectorAll("input[name=channels]").forEach(function (box) { box.checked = d.channels.indexOf(box.value) >= 0; });
      radius.value = d.radius; radiusOut.textContent = d.radius; drawCircle(); updateText();
    }
    map.on("click", function (e) {
      if (drawing) {
        vertices.push(e.latlng);
        if (drawLine) map.removeLayer(drawLine);
        drawLine = L.polyline(vertices, { color: "#b00", dashArray: "4" }).addTo(map);
        return;
      }
      if (!marker) marker = L.marker(e.latlng, { keyboard: true, title: "Incident" }).addTo(map);
      marker.setLatLng(e.latlng);
      drawCircle();
    });
    radius.addEventListener("input", function () { radiusOut.textContent = radius.value; drawCircle(); });
    typeSel.addEventListener("change", applyTypeDefaults);
    [desc, omit, exercise].forEach(function (el) { el.addEventListener("input", updateText); el.addEventListener("change", updateText); });
    document.getElementById("draw-polygon").addEventListener("click", function () {
      drawing = true; vertices = [];
      if (circle) { map.removeLayer(circle); circle = null; }
      document.getElementById("finish-polygon").hidden = false;
    });
    document.getElementById("finish-polygon").addEventListener("click", function () {
      drawing = false; this.hidden = true;
      if (drawLine) { map.removeLayer(drawLine); drawLine = null; }
      if (vertices.length < 3) return;
      var ring = vertices.map(function (p) { return [p.lng, p.lat]; });
      ring.push(ring[0]);
      var area = { type: "Feature", geometry: { type: "Polygon", coordinates: [ring] }, properties: {} };
      if (polygon) map.removeLayer(polygon);
      polygon = L.geoJSON(area, { style: { color: "#b00" } }).addTo(map);
      setArea(area);
    });
    document.addEventListener("keydown", function (e) {
      if (e.key === "Escape" && drawing) { drawing = false; vertices = []; if (drawLine) map.removeLayer(drawLine); document.getElementById("finish-polygon").hidden = true; }
    });
    if (areaInput.value) {
      try {
        var existing = JSON.parse(areaInput.value);
        var layer = areaLayer(existing).addTo(map);
        map.fitBounds(layer.getBounds());
        if (existing.geometry && existing.geometry.type === "Point") {
          marker = L.marker([existing.geometry.coordinates[1], existing.geometry.coordinates[0]]).addTo(map);
          circle = layer; radius.value = existing.properties.radius; radiusOut.textContent = radius.value;
        } else { polygon = layer; }
        preview();
      } catch (err) { /* ignore a bad value: the server reports it */ }
    }
    var searchBox = document.getElementById("address-q");
    var results = document.getElementById("address-results");
    var searchTimer = null;
    function place(lat, lon) {
      map.fire("click", { latlng: L.latLng(lat, lon) });
      if (circle) map.fitBounds(circle.getBounds(), { padding: [20, 20] });
      results.innerHTML = "";
    }
    searchBox.addEventListener("input", function () {
      clearTimeout(searchTimer);
      searchTimer = setTimeout(function () {
        var url = searchBox.parentNode.getAttribute("data-search-url") + "?q=" + encodeURIComponent(searchBox.value);
        fetch(url, { credentials: "same-origin" }).then(function (r) { return r.json(); }).then(function (data) {
          results.innerHTML = "";
          (data.results || []).forEach(function (item) {
            var li = document.createElement("li");
            var button = document.createElement("button");
            button.type = "button"; button.className = "utrecht-button utrecht-button--subtle";
            button.textContent = item.label;
            button.addEventListener("click", function () { place(item.lat, item.lon); });
            li.appendChild(button); results.appendChild(li);
          });
        });
      }, 200);
    });
    searchBox.addEventListener("keydown", function (e) {
      if (e.key === "Enter") { e.preventDefault(); var first = results.querySelector("button"); if (first) first.click(); }
    });
    updateText();
    window.burgernetConsole = { map: map, setIncident: function (lat, lng) { map.fire("click", { latlng: L.latLng(lat, lng) }); } };
  }

  function initDetail(mapEl) {
    var map = baseMap(mapEl);
    var area = JSON.parse(mapEl.getAttribute("data-area"));
    var layer = areaLayer(area).addTo(map);
    map.fitBounds(layer.getBounds());
    var inc = mapEl.getAttribute("data-incident").split(",").map(Number);
    L.marker(inc, { title: "Incident" }).addTo(map);
    var expand = document.getElementById("expand-form");
    if (expand && area.geometry && area.geometry.type === "Point") {
      var slider = document.getElementById("expand-radius");
      var out = document.getElementById("expand-radius-out");
      var input = expand.querySelector("input[name=area]");
      var ghost = null;
      slider.value = Math.min(30000, area.properties.radius * 2);
      function update() {
        out.textContent = slider.value;
        var a = { type: "Feature", geometry: area.geometry, properties: { radius: Number(slider.value) } };
        input.value = JSON.stringify(a);
        if (ghost) map.removeLayer(ghost);
        ghost = L.circle([area.geometry.coordinates[1], area.geometry.coordinates[0]], { radius: Number(slider.value), color: "#06c", dashArray: "6" }).addTo(map);
      }
      slider.addEventListener("input", update);
      update();
    }
  }

  document.addEventListener("DOMContentLoaded", function () {
    var form = document.getElementById("action-form");
    if (form) { initNewForm(form); return; }
    var mapEl = document.getElementById("action-map");
    if (mapEl && mapEl.getAttribute("data-area")) initDetail(mapEl);
  });
})();
