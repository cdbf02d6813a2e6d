/* Burgernet app service worker: offline shell, last known actions, push notifications. */
"use strict";
var CACHE = "burgernet-app-v1";
var SHELL = [
  "/app/",
  "/static/public/app.js",
  "/static/public/areas.js",
  "/static/public/public.css",
  "/static/burgernet/theme.css",
  "/static/vendor/leaflet/leaflet.js",
  "/static/vendor/leaflet/leaflet.css",
  "/static/vendor/utrecht/html.css",
  "/static/vendor/utrecht-tokens/index.css",
  "/static/public/icons/icon-192.png"
];

self.addEventListener("install", function (event) {
  event.waitUntil(caches.open(CACHE).then(function (c) { return c.addAll(SHELL); })
    .then(function () { return self.skipWaiting(); }));
});

self.addEventListener("activate", function (event) {
  event.waitUntil(caches.keys().then(function (keys) {
    return Promise.all(keys.filter(function (k) { return k !== CACHE; })
      .map(function (k) { return caches.delete(k); }));
  }).then(function () { return self.clients.claim(); }));
});

// Network first (actions change by the minute), the cache when offline.
self.addEventListener("fetch", function (event) {
  var req = event.request;
  if (req.method !== "GET") return;
  var url = new URL(req.url);
  if (url.origin !== self.location.origin) return;
  if (url.pathname !== "/app/" && url.pathname !== "/app/api/actions" &&
      SHELL.indexOf(url.pathname) === -1) return;
  event.respondWith(fetch(req).then(function (res) {
    if (res.ok) {
      var copy = res.clone();
      caches.open(CACHE).then(function (c) { c.put(req, copy); });
    }
    return res;
  }).catch(function () {
    return caches.match(req, { ignoreSearch: true });
  }));
});

self.addEventListener("push", function (event) {
  var data = {};
  try { data = event.data ? event.data.json() : {}; } catch (e) { data = { text: event.data.text() }; }
  event.waitUntil(self.registration.showNotification(data.title || "Burgernet", {
    body: data.text || "",
    tag: "burgernet-action-" + (data.action_id || ""),
    renotify: true,
    requireInteraction: !!data.urgent,
    lang: data.lang || "nl",
    icon: "/static/public/icons/icon-192.png",
    data: { url: data.url || "/app/" }
  }));
});

self.addEventListener("notificationclick", function (event) {
  event.notification.close();
  var url = (event.notification.data && event.notification.data.url) || "/app/";
  event.waitUntil(self.clients.matchAll({ type: "window" }).then(function (list) {
    for (var i = 0; i < list.length; i++) {
      if (list[i].url.indexOf("/app/") !== -1 && "focus" in list[i]) {
        list[i].navigate(url); return list[i].focus();
      }
    }
    return self.clients.openWindow(url);
  }));
});
