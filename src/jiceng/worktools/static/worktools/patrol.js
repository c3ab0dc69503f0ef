/* The phone's patrol page. Positions from the browser are numbered (seq) and queued in localStorage, then
   sent in batches; a batch is removed from the queue only once the server stored it, and the server keeps
   each seq once, so a lost answer or a dropped connection loses and duplicates nothing. */
(function () {
  "use strict";
  var root = document.getElementById("patrol");
  // No patrol controls (a role that does not patrol): nothing to track, no location to ask for.
  if (!root || !document.getElementById("patrol-status")) { return; }
  var csrf = (root.querySelector("[name=csrfmiddlewaretoken]") || {}).value || "";
  var text = function (name, values) {
    var s = root.getAttribute("data-text-" + name) || "";
    Object.keys(values || {}).forEach(function (k) { s = s.replace("{" + k + "}", values[k]); });
    return s;
  };
  var el = function (id) { return document.getElementById(id); };
  var patrolId = root.getAttribute("data-patrol-id");
  var BATCH = 100;
  var SEND_EVERY_MS = 3000;
  var last = null; // the latest position {lng, lat, accuracy}
  var sending = false;
  var watchId = null;

  var key = function (name) { return "jiceng.patrol." + patrolId + "." + name; };
  var load = function (name, fallback) {
    try { var v = JSON.parse(localStorage.getItem(key(name))); return v === null ? fallback : v; } catch (e) { return fallback; }
  };
  var save = function (name, value) { localStorage.setItem(key(name), JSON.stringify(value)); };
  var queue = function () { return load("queue", []); };

  var api = function (method, url, body, isForm) {
    var headers = { "X-CSRFToken": csrf, "Accept": "application/json" };
    if (!isForm) { headers["Content-Type"] = "application/json"; }
    return fetch(url, { method: method, headers: headers, credentials: "same-origin", body: isForm ? body : JSON.stringify(body || {}) })
      .then(function (r) { return r.json().catch(function () { return {}; }).then(function (data) { return { status: r.status, data: data }; }); });
  };

  // A refusal names the fields it is about ("标题：内容过短。"), not only "部分字段填写有误".
  var failure = function (res, form) {
    var details = res.data.details || {};
    var parts = Object.keys(details).map(function (k) {
      var input = form && form.elements.namedItem(k);
      var label = input && input.id ? document.querySelector('label[for="' + input.id + '"]') : null;
      var msg = [].concat(details[k]).join(" ");
      return label ? text("field", { label: label.textContent, msg: msg }) : msg;
    });
    var msg = res.data.message || res.status;
    return text("failed", { msg: parts.length ? msg + " " + parts.join(" ") : msg });
  };

  var showQueue = function () {
    var n = queue().length;
    el("patrol-queue").textContent = n ? text("queued", { n: n }) : "";
  };

  // The latest position queued (kept across reloads), to skip the same fix reported twice.
  var record = function (pos) {
    last = { lng: pos.coords.longitude, lat: pos.coords.latitude, accuracy: pos.coords.accuracy };
    if (!patrolId) { return; }
    var now = pos.timestamp || Date.now();
    var kept = load("last", null);
    if (kept) {
      // Keep a point every 5 s at most unless the worker moved 20 m (a phone reports every second).
      var dx = (last.lng - kept.lng) * 111320 * Math.cos(last.lat * Math.PI / 180);
      var dy = (last.lat - kept.lat) * 110540;
      var moved = Math.sqrt(dx * dx + dy * dy);
      if (moved === 0 && now - kept.at < 30000) { return; }
      if (moved < 20 && now - kept.at < 5000) { return; }
    }
    save("last", { lng: last.lng, lat: last.lat, at: now });
    var seq = load("next", Number(root.getAttribute("data-max-seq")) + 1);
    var items = queue();
    items.push({ seq: seq, lng: last.lng, lat: last.lat, accuracy: last.accuracy, at: new Date(pos.timestamp || Date.now()).toISOString() });
    save("queue", items);
    save("next", seq + 1);
    root.setAttribute("data-recorded", String(seq + 1));
    showQueue();
  };

  var flush = function () {
    if (!patrolId || sending) { return Promise.resolve(queue().length === 0); }
    var items = queue();
    if (!items.length) { return Promise.resolve(true); }
    sending = true;
    var batch = items.slice(0, BATCH);
    return api("POST", "/api/v1/worktools/patrols/" + patrolId + "/points", { points: batch })
      .then(function (res) {
        sending = false;
        if (res.status === 200 || res.status === 422) {
          // Stored (or refused for good): drop exactly these seqs, keep what was queued meanwhile.
          var done = {};
          batch.forEach(function (p) { done[p.seq] = true; });
          save("queue", queue().filter(function (p) { return !done[p.seq]; }));
          if (res.status === 200) {
            el("patrol-status").textContent = text("sent", { n: res.data.point_count, km: (res.data.distance_m / 1000).toFixed(2) });
          }
          showQueue();
          return queue().length ? flush() : true;
        }
        showQueue();
        return false;
      }, function () {
        sending = false;
        el("patrol-status").textContent = text("offline");
        showQueue();
        return false;
      });
  };

  var startWatching = function () {
    if (!navigator.geolocation) { el("patrol-status").textContent = text("no-geo"); return; }
    watchId = navigator.geolocation.watchPosition(record, function () {
      el("patrol-status").textContent = text("no-geo");
    }, { enableHighAccuracy: true, maximumAge: 5000, timeout: 20000 });
  };

  var clock = function () {
    var started = root.getAttribute("data-started-at");
    if (!patrolId || !started) { return; }
    var s = Math.max(0, Math.floor((Date.now() - Date.parse(started)) / 1000));
    var pad = function (n) { return (n < 10 ? "0" : "") + n; };
    el("patrol-clock").textContent = pad(Math.floor(s / 3600)) + ":" + pad(Math.floor(s / 60) % 60) + ":" + pad(s % 60);
  };

  var startButton = el("patrol-start");
  var stopButton = el("patrol-stop");
  if (startButton) {
    startButton.addEventListener("click", function () {
      startButton.disabled = true;
      api("POST", root.getAttribute("data-start-url")).then(function (res) {
        if (res.status === 200 || res.status === 201) { window.location.reload(); return; }
        startButton.disabled = false;
        el("patrol-status").textContent = text("failed", { msg: res.data.message || res.status });
      }, function () { startButton.disabled = false; el("patrol-status").textContent = text("offline"); });
    });
  }
  if (stopButton) {
    stopButton.addEventListener("click", function () {
      stopButton.disabled = true;
      Promise.all([flush(), sendReports()]).then(function (done) {
        var empty = done[0] && done[1];
        if (!empty) { stopButton.disabled = false; el("patrol-status").textContent = text("cannot-stop"); return; }
        api("POST", "/api/v1/worktools/patrols/" + patrolId + "/stop", {}).then(function (res) {
          if (res.status === 200 || res.status === 409) {
            localStorage.removeItem(key("queue"));
            localStorage.removeItem(key("next"));
            localStorage.removeItem(key("reports"));
            localStorage.removeItem(key("last"));
            window.location.href = "/worktools/patrols/" + patrolId + "/";
            return;
          }
          stopButton.disabled = false;
          el("patrol-status").textContent = text("failed", { msg: res.data.message || res.status });
        }, function () { stopButton.disabled = false; el("patrol-status").textContent = text("cannot-stop"); });
      });
    });
  }

  var checkin = el("checkin-form");
  if (checkin) {
    checkin.addEventListener("submit", function (e) {
      e.preventDefault();
      var result = el("checkin-result");
      if (!last) { result.textContent = text("no-geo"); return; }
      var data = new FormData(checkin);
      data.append("lng", last.lng);
      data.append("lat", last.lat);
      data.append("client_id", "ci-" + Date.now() + "-" + Math.random().toString(36).slice(2));
      if (!data.get("photo") || !data.get("photo").size) { data.delete("photo"); }
      api("POST", root.getAttribute("data-checkin-url"), data, true).then(function (res) {
        if (res.status === 200 || res.status === 201) {
          if (res.data.distance_m === null) {
            result.textContent = text("checked-in-unplaced");
          } else {
            result.textContent = text(res.data.far ? "checked-in-far" : "checked-in", { m: Math.round(res.data.distance_m) });
          }
          result.className = res.data.far ? "warn" : "ok";
          checkin.reset();
        } else {
          result.textContent = failure(res, checkin);
          result.className = "error";
        }
      }, function () { result.textContent = text("offline"); });
    });
  }

  // Reports made on patrol are queued like the points (each with its Idempotency-Key), so one made
  // without a connection is sent when the phone is back online, and a resend makes no second event.
  var report = el("patrol-report-form");
  var reporting = false;
  var sendReports = function () {
    var items = load("reports", []);
    if (!patrolId || reporting || !items.length) { return Promise.resolve(!items.length); }
    var item = items[0];
    var result = el("report-result");
    reporting = true;
    var headers = { "X-CSRFToken": csrf, "Accept": "application/json", "Content-Type": "application/json", "Idempotency-Key": item.key };
    return fetch("/api/v1/worktools/patrols/" + patrolId + "/events", { method: "POST", headers: headers, credentials: "same-origin", body: JSON.stringify(item.body) })
      .then(function (r) { return r.json().catch(function () { return {}; }).then(function (data) { return { status: r.status, data: data }; }); })
      .then(function (res) {
        reporting = false;
        if (res.status >= 500) { return false; }
        save("reports", load("reports", []).filter(function (i) { return i.key !== item.key; }));
        if (res.status === 200 || res.status === 201) {
          result.textContent = text("reported", { ref: res.data.ref });
          result.className = "ok";
        } else {
          result.textContent = failure(res, report);
          result.className = "error";
        }
        return sendReports();
      }, function () {
        reporting = false;
        result.textContent = text("offline");
        return false;
      });
  };
  if (report) {
    report.addEventListener("submit", function (e) {
      e.preventDefault();
      // Checked before it is queued and the form cleared: a report the server refuses later (perhaps
      // hours later, when the phone is back online) would have lost what the worker typed.
      if (!report.checkValidity()) { report.reportValidity(); return; }
      var field = function (n) { return report.elements.namedItem(n).value; };
      var body = { category: field("category"), title: field("title"), description: field("description") };
      if (last) { body.lng = last.lng; body.lat = last.lat; }
      var items = load("reports", []);
      items.push({ key: "pr-" + Date.now() + "-" + Math.random().toString(36).slice(2), body: body });
      save("reports", items);
      report.reset();
      sendReports();
    });
  }

  startWatching();
  if (patrolId) {
    showQueue();
    clock();
    setInterval(clock, 1000);
    var both = function () { flush(); sendReports(); };
    setInterval(both, SEND_EVERY_MS);
    window.addEventListener("online", both);
    both();
  }
})();
