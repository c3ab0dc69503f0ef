/* The grid worker's report form: 小类 filtered by 大类, the phone's location, on-spot fields, photo counts.
   External file (the Content-Security-Policy allows no inline script). Texts come from data attributes. */
(function () {
  "use strict";
  var form = document.getElementById("report-form");
  if (!form) { return; }

  // 大类 → 小类: keep only the chosen 大类's options (each <optgroup data-parent> holds one 大类's leaves).
  var minor = document.getElementById("id_category");
  var major = minor && document.getElementById(minor.getAttribute("data-major"));
  if (minor && major) {
    var placeholder = minor.querySelector("option[value='']").cloneNode(true);
    var groups = Array.prototype.map.call(minor.querySelectorAll("optgroup"), function (g) {
      return g.cloneNode(true);
    });
    var parentOf = {};
    groups.forEach(function (g) {
      Array.prototype.forEach.call(g.querySelectorAll("option"), function (o) {
        parentOf[o.value] = g.getAttribute("data-parent");
      });
    });
    var fill = function () {
      var chosen = major.value;
      var current = minor.value;
      minor.textContent = "";
      minor.appendChild(placeholder.cloneNode(true));
      groups.forEach(function (g) {
        if (!chosen || g.getAttribute("data-parent") === chosen) { minor.appendChild(g.cloneNode(true)); }
      });
      var options = minor.querySelectorAll("option[value]:not([value=''])");
      if (parentOf[current] && (!chosen || parentOf[current] === chosen)) {
        minor.value = current;
      } else if (chosen && options.length === 1) {
        minor.value = options[0].value;
      } else {
        minor.value = "";
      }
      if (minor.value !== current) { minor.dispatchEvent(new Event("change", { bubbles: true })); }
    };
    major.addEventListener("change", fill);
    minor.addEventListener("change", function () {
      var parent = parentOf[minor.value];
      if (parent && major.value !== parent) { major.value = parent; }
    });
    if (!major.value && parentOf[minor.value]) { major.value = parentOf[minor.value]; }
    fill();
    // htmx may start after this script: a 小类 chosen before then (or by fill above) fetched no extra
    // fields. Once everything has loaded, fetch them if the box is still empty.
    window.addEventListener("load", function () {
      var box = document.getElementById("extra-fields");
      if (window.htmx && box && minor.value && !box.querySelector("input, select, textarea")) {
        window.htmx.trigger(minor, "change");
      }
    });
  }

  // The phone's location (WGS-84, as browsers give it) into the hidden lng/lat inputs.
  var status = document.getElementById("geo-status");
  var retry = document.getElementById("geo-retry");
  var lng = form.querySelector("[data-geo=lng]");
  var lat = form.querySelector("[data-geo=lat]");
  var accuracy = form.querySelector("[data-geo=accuracy]");
  var failed = function () {
    lng.value = "";
    lat.value = "";
    if (accuracy) { accuracy.value = ""; }
    status.textContent = status.getAttribute("data-failed");
    status.className = "geo-status failed";
    if (retry) { retry.hidden = false; }
  };
  var located = function (position) {
    var c = position.coords;
    lng.value = c.longitude.toFixed(7);
    lat.value = c.latitude.toFixed(7);
    var metres = Math.max(1, Math.round(c.accuracy || 0));
    if (accuracy) { accuracy.value = metres; }
    status.textContent = status.getAttribute("data-located").replace("{m}", metres);
    status.className = "geo-status ok";
    if (retry) { retry.hidden = false; }
  };
  var locate = function () {
    if (!status || !lng || !lat) { return; }
    if (!("geolocation" in navigator)) { failed(); return; }
    status.textContent = status.getAttribute("data-locating");
    status.className = "geo-status";
    navigator.geolocation.getCurrentPosition(located, failed,
      { enableHighAccuracy: true, timeout: 20000, maximumAge: 60000 });
  };
  if (retry) { retry.addEventListener("click", locate); }
  locate();

  // 当场处置: the result and after-photos only when ticked.
  var onSpot = document.getElementById("id_on_spot");
  var onSpotFields = document.getElementById("on-spot-fields");
  if (onSpot && onSpotFields) {
    var sync = function () { onSpotFields.hidden = !onSpot.checked; };
    onSpot.addEventListener("change", sync);
    sync();
  }

  // "Photos chosen: n" under each photo button.
  Array.prototype.forEach.call(form.querySelectorAll("input[type=file]"), function (input) {
    var out = document.getElementById(input.id + "-count");
    if (!out) { return; }
    input.addEventListener("change", function () {
      var n = input.files ? input.files.length : 0;
      out.textContent = n ? out.getAttribute("data-template").replace("{n}", n) : "";
    });
  });

  // One tap sends once (the idempotency key guards the server side too).
  form.addEventListener("submit", function () {
    var button = form.querySelector("button[type=submit]");
    if (button) {
      window.setTimeout(function () {
        button.disabled = true;
        button.textContent = button.getAttribute("data-busy");
      }, 0);
    }
  });
}());
