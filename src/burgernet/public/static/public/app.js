/* The Burgernet app (PWA): actions near the phone's position or chosen places, tips with a
   photo, push notifications. Positions stay on the device (localStorage); the server only
   receives rounded positions, turns them into districts and forgets them. */
(function () {
  "use strict";
  var root = document.getElementById("app");
  if (!root) return;
  var T = document.getElementById("app-texts").dataset;
  var csrf = root.querySelector("input[name=csrfmiddlewaretoken]").value;
  var maxBytes = parseInt(root.dataset.maxMb, 10) * 1024 * 1024;
  var state = {
    current: null,
    places: JSON.parse(localStorage.getItem("burgernet.places") || "[]"),
    actions: []
  };

  function $(id) { return document.getElementById(id); }
  function round2(x) { return Math.round(x * 100) / 100; }

  // --- Settings kept on the device -------------------------------------------------------
  var lang = $("app-language"), qs = $("quiet-start"), qe = $("quiet-end");
  lang.value = localStorage.getItem("burgernet.lang") || document.documentElement.lang || "nl";
  qs.value = localStorage.getItem("burgernet.quietStart") || "";
  qe.value = localStorage.getItem("burgernet.quietEnd") || "";

  // --- Actions near me --------------------------------------------------------------------
  function points() {
    var pts = state.places.slice();
    if (state.current) pts.push(state.current);
    return pts;
  }

  // An action opened through a link (/app/#action-12, e.g. from the website or a shared
  // message) is shown wherever the phone is, so a tip can be sent for it.
  function linkedId() {
    var m = /^#action-(\d+)$/.exec(window.location.hash);
    return m ? parseInt(m[1], 10) : null;
  }

  function nearActions() {
    var pts = points(), linked = linkedId();
    return state.actions.filter(function (a) {
      return a.id === linked ||
        pts.some(function (p) { return BurgernetAreas.areaContains(a.area, p.lat, p.lon); });
    });
  }

  function render() {
    var list = $("near-list"), status = $("near-status");
    list.textContent = "";
    if (!points().length && linkedId() === null) return;
    var near = nearActions();
    status.textContent = near.length ? T.some : T.none;
    var tpl = $("action-template");
    near.forEach(function (a) {
      var li = tpl.content.firstElementChild.cloneNode(true);
      li.id = "action-" + a.id;
      li.dataset.actionId = a.id;
      li.querySelector(".action-card__title").textContent = a.title;
      li.querySelector(".action-card__type").textContent = a.type_label;
      li.querySelector(".action-card__desc").textContent = a.description;
      li.querySelector(".action-card__link").href = a.url;
      var img = li.querySelector(".action-photo");
      if (a.photo) { img.src = a.photo; img.hidden = false; } else { img.remove(); }
      li.querySelector(".tip-form").addEventListener("submit", function (ev) { sendTip(ev, a); });
      list.appendChild(li);
    });
  }

  function loadActions() {
    return fetch(root.dataset.actionsUrl, { headers: { Accept: "application/json" } })
      .then(function (r) { return r.json(); })
      .then(function (data) {
        state.actions = data.actions; $("offline-note").hidden = true; render();
      })
      .catch(function () { $("offline-note").hidden = false; });
  }

  // --- Tips -------------------------------------------------------------------------------
  function sendTip(ev, action) {
    ev.preventDefault();
    var form = ev.target, status = form.querySelector(".tip-status");
    var file = form.elements.media.files[0];
    if (file && file.size > maxBytes) { status.textContent = T.tooLarge; return; }
    var body = new FormData(form);
    if (!file) body.delete("media");
    status.textContent = T.sending;
    fetch(root.dataset.tipUrl.replace("ID", action.id), {
      method: "POST", body: body, headers: { "X-CSRFToken": csrf, Accept: "application/json" }
    }).then(function (r) {
      return r.json().then(function (data) { return { ok: r.ok, data: data }; });
    }).then(function (res) {
      if (res.ok) { status.textContent = res.data.message; form.reset(); return; }
      var errors = res.data.errors || {};
      var msgs = Object.keys(errors).map(function (k) { return errors[k]; });
      status.textContent = msgs.length ? msgs.join(" ") : (res.data.title || T.failed);
    }).catch(function () { status.textContent = T.failed; });
  }

  // --- Location and places ----------------------------------------------------------------
  $("use-location").addEventListener("click", function () {
    if (!navigator.geolocation) { $("near-status").textContent = T.noLocation; return; }
    $("near-status").textContent = T.locating;
    navigator.geolocation.getCurrentPosition(function (pos) {
      state.current = { lat: pos.coords.latitude, lon: pos.coords.longitude };
      localStorage.setItem("burgernet.useLocation", "1");
      render(); syncSubscription();
    }, function () { $("near-status").textContent = T.noLocation; },
    { enableHighAccuracy: false, timeout: 15000, maximumAge: 300000 });
  });

  var map = null, markers = [];
  function savePlaces() {
    localStorage.setItem("burgernet.places", JSON.stringify(state.places));
    drawPlaces(); render(); syncSubscription();
  }
  function drawPlaces() {
    var list = $("places-list");
    list.textContent = "";
    markers.forEach(function (m) { m.remove(); });
    markers = [];
    state.places.forEach(function (p, i) {
      if (map) markers.push(L.marker([p.lat, p.lon], { title: T.place + " " + (i + 1) }).addTo(map));
      var li = document.createElement("li");
      li.textContent = T.place + " " + (i + 1) + " (" + p.lat.toFixed(3) + ", " + p.lon.toFixed(3) + ") ";
      var btn = document.createElement("button");
      btn.type = "button"; btn.className = "utrecht-button utrecht-button--subtle";
      btn.textContent = T.remove;
      btn.addEventListener("click", function () { state.places.splice(i, 1); savePlaces(); });
      li.appendChild(btn);
      list.appendChild(li);
    });
  }
  if (window.L) {
    map = L.map("places-map", { attributionControl: false });
    map.fitBounds([[50.75, 3.2], [53.7, 7.3]]);
    BurgernetAreas.loadRegions(map, root.dataset.regionsUrl);
    map.on("click", function (e) {
      if (state.places.length >= 5) return;
      state.places.push({ lat: e.latlng.lat, lon: e.latlng.lng });
      savePlaces();
    });
  }
  drawPlaces();

  // --- Push -------------------------------------------------------------------------------
  function keyBytes(b64) {
    var pad = "=".repeat((4 - (b64.length % 4)) % 4);
    var raw = atob((b64 + pad).replace(/-/g, "+").replace(/_/g, "/"));
    return Uint8Array.from(raw, function (c) { return c.charCodeAt(0); });
  }

  function syncSubscription() {
    if (!("serviceWorker" in navigator) || !("PushManager" in window)) return Promise.resolve();
    return navigator.serviceWorker.ready.then(function (reg) {
      return reg.pushManager.getSubscription();
    }).then(function (sub) {
      if (!sub) return null;
      var json = sub.toJSON();
      return fetch(root.dataset.subscriptionUrl, {
        method: "POST",
        headers: { "Content-Type": "application/json", "X-CSRFToken": csrf },
        body: JSON.stringify({
          endpoint: json.endpoint, keys: json.keys,
          // Rounded to ~1 km before it leaves the phone; the server keeps only the district.
          places: points().map(function (p) { return { lat: round2(p.lat), lon: round2(p.lon) }; }),
          languages: [lang.value], quiet_start: qs.value || null, quiet_end: qe.value || null
        })
      });
    }).catch(function () { /* retried on the next change */ });
  }

  $("settings-form").addEventListener("submit", function (ev) {
    ev.preventDefault();
    localStorage.setItem("burgernet.lang", lang.value);
    localStorage.setItem("burgernet.quietStart", qs.value);
    localStorage.setItem("burgernet.quietEnd", qe.value);
    var status = $("push-status");
    if (!("serviceWorker" in navigator) || !("PushManager" in window) || !root.dataset.vapidKey) {
      status.textContent = T.pushUnsupported; return;
    }
    navigator.serviceWorker.ready.then(function (reg) {
      return reg.pushManager.getSubscription().then(function (sub) {
        return sub || reg.pushManager.subscribe({
          userVisibleOnly: true, applicationServerKey: keyBytes(root.dataset.vapidKey)
        });
      });
    }).then(syncSubscription).then(function () { status.textContent = T.pushOn; })
      .catch(function () { status.textContent = T.pushFailed; });
  });

  $("disable-push").addEventListener("click", function () {
    var status = $("push-status");
    if (!("serviceWorker" in navigator)) { status.textContent = T.pushOff; return; }
    navigator.serviceWorker.ready.then(function (reg) {
      return reg.pushManager.getSubscription();
    }).then(function (sub) {
      if (!sub) return null;
      var endpoint = sub.endpoint;
      return sub.unsubscribe().then(function () {
        return fetch(root.dataset.subscriptionUrl, {
          method: "DELETE",
          headers: { "Content-Type": "application/json", "X-CSRFToken": csrf },
          body: JSON.stringify({ endpoint: endpoint })
        });
      });
    }).then(function () { status.textContent = T.pushOff; })
      .catch(function () { status.textContent = T.pushFailed; });
  });

  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register(root.dataset.swUrl, { scope: root.dataset.scope })
      .then(function () { return syncSubscription(); }) // refresh keeps it from expiring
      .catch(function () { /* the app works without offline support */ });
  }

  if (localStorage.getItem("burgernet.useLocation") === "1") $("use-location").click();
  loadActions().then(function () {
    var linked = linkedId() && document.getElementById("action-" + linkedId());
    if (linked) linked.scrollIntoView();
  });
  window.addEventListener("hashchange", render);
  setInterval(loadActions, 60000);
})();
