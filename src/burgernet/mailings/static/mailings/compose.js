/*
 * Burgernetmail composer: draw a circle or polygon on the map into the "area" field (GeoJSON).
 * Keyboard users can type or paste GeoJSON, or choose postcodes or a municipality instead.
 */
(function () {
  "use strict";

  /*
   * Live recipient count: while the target changes, post the form (debounced) to the count
   * endpoint and show its answer; an answer to an older request is never shown over a newer one.
   * Without JavaScript the "Count recipients" button does the same with a full page.
   */
  var countTimer = null;
  var countRequest = null;

  function showCount(text, isError) {
    var out = document.getElementById("reach-count");
    if (!out) return;
    out.classList.toggle("reach--error", Boolean(isError));
    out.innerHTML = "";
    var strong = document.createElement("strong");
    strong.textContent = text;
    out.appendChild(strong);
  }

  function requestCount() {
    var out = document.getElementById("reach-count");
    var form = document.querySelector("form.compose");
    if (!out || !form) return;
    if (countRequest) countRequest.abort();
    countRequest = new AbortController();
    out.setAttribute("aria-busy", "true");
    fetch(out.dataset.url, {
      method: "POST",
      body: new FormData(form),
      credentials: "same-origin",
      signal: countRequest.signal,
      headers: { Accept: "application/json" },
    })
      .then(function (response) {
        return response.json().then(function (body) {
          if (response.ok) showCount(body.text, false);
          else showCount(body.detail || body.title, true);
        });
      })
      .catch(function (error) {
        if (error.name !== "AbortError") showCount(out.dataset.error, true);
      })
      .finally(function () {
        out.removeAttribute("aria-busy");
      });
  }

  function liveCount() {
    window.clearTimeout(countTimer);
    countTimer = window.setTimeout(requestCount, 350);
  }

  function setup(element) {
    var map = window.BurgernetMap.get(element);
    var field = document.getElementById("id_area");
    var radius = document.getElementById("draw-radius");
    if (!map || !field) return;
    var mode = null;
    var points = [];

    function chooseArea() {
      var radio = document.querySelector('input[name="target_kind"][value="area"]');
      if (radio) radio.checked = true;
    }

    function write(geojson) {
      field.value = geojson ? JSON.stringify(geojson) : "";
      window.BurgernetMap.setArea(element, geojson);
      chooseArea();
      liveCount();
    }

    document.querySelectorAll("[data-draw]").forEach(function (button) {
      button.addEventListener("click", function () {
        mode = button.dataset.draw;
        points = [];
        if (mode === "clear") {
          mode = null;
          write(null);
        }
        element.classList.toggle("is-drawing", mode !== null);
      });
    });

    map.on("click", function (event) {
      var lat = Math.round(event.latlng.lat * 1e6) / 1e6;
      var lon = Math.round(event.latlng.lng * 1e6) / 1e6;
      if (mode === "circle") {
        write({
          type: "Feature",
          geometry: { type: "Point", coordinates: [lon, lat] },
          properties: { radius: Number(radius.value) || 500 },
        });
      } else if (mode === "polygon") {
        points.push([lon, lat]);
        if (points.length >= 3) {
          write({ type: "Polygon", coordinates: [points.concat([points[0]])] });
        }
      }
    });

    field.addEventListener("change", function () {
      try {
        window.BurgernetMap.setArea(element, field.value ? JSON.parse(field.value) : null);
      } catch (error) {
        /* the server names what is wrong when the form is sent */
      }
    });
    if (field.value) {
      try {
        var current = JSON.parse(field.value);
        if (current && current.properties && current.properties.radius) {
          radius.value = current.properties.radius;
        }
        window.BurgernetMap.setArea(element, current);
      } catch (error) {
        /* shown as a field error */
      }
    }
  }

  document.addEventListener("DOMContentLoaded", function () {
    document
      .querySelectorAll(
        'input[name="target_kind"], #id_postcodes, #id_region, #id_kind, #id_area'
      )
      .forEach(function (input) {
        input.addEventListener("input", liveCount);
        input.addEventListener("change", liveCount);
      });
    var element = document.getElementById("compose-map");
    if (!element) return;
    if (window.BurgernetMap && window.BurgernetMap.get(element)) {
      setup(element);
    } else {
      element.addEventListener("burgernet:map-ready", function () {
        setup(element);
      });
    }
  });
})();
