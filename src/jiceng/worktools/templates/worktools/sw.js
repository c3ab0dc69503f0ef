/* The mobile office's service worker: the grid worker's pages and their assets, network first, from the
   cache when the phone is offline (the patrol page keeps queuing positions and reports meanwhile). */
"use strict";
var CACHE = "jiceng-mobile-office-v1";
var PAGES = {{ pages|safe }};
var ASSETS = {{ assets|safe }};
self.addEventListener("install", function (event) {
  event.waitUntil(caches.open(CACHE).then(function (cache) { return cache.addAll(ASSETS); }).then(function () { return self.skipWaiting(); }));
});
self.addEventListener("activate", function (event) {
  event.waitUntil(caches.keys().then(function (keys) {
    return Promise.all(keys.filter(function (k) { return k !== CACHE; }).map(function (k) { return caches.delete(k); }));
  }).then(function () { return self.clients.claim(); }));
});
self.addEventListener("fetch", function (event) {
  var request = event.request;
  if (request.method !== "GET") { return; }
  var path = new URL(request.url).pathname;
  if (PAGES.indexOf(path) < 0 && ASSETS.indexOf(path) < 0) { return; }
  event.respondWith(fetch(request).then(function (response) {
    if (response.ok && !response.redirected) {
      var copy = response.clone();
      caches.open(CACHE).then(function (cache) { cache.put(request, copy); });
    }
    return response;
  }, function () {
    return caches.match(request).then(function (hit) { return hit || Response.error(); });
  }));
});
