/* Registers the mobile office's service worker (pages usable offline). */
(function () {
  "use strict";
  var meta = document.querySelector("meta[name=jiceng-service-worker]");
  if (!meta || !("serviceWorker" in navigator)) { return; }
  navigator.serviceWorker.register(meta.getAttribute("content"), { scope: meta.getAttribute("data-scope") });
})();
