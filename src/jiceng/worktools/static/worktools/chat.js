/* A conversation page: htmx polls for new messages every 2 s; while the live socket is open (live.js)
   the timed polls pause (one every 30 s stays as a safety net) and a pushed message is fetched at once.
   This keeps each message once even when two fetches cross, keeps one poller, scrolls down, and
   fetches at once after sending. A fetch asked for while one is in flight (htmx would drop it) runs
   when that one is done: the one in flight may have read the database before the new message. */
(function () {
  "use strict";
  var chat = document.getElementById("chat");
  var form = document.getElementById("chat-form");
  if (!chat || !form) { return; }
  var conversation = Number(chat.getAttribute("data-conversation"));
  var live = false;
  var lastFetch = Date.now();
  var SAFETY_MS = 30000;
  var tidy = function () {
    var seen = {};
    Array.prototype.forEach.call(chat.querySelectorAll(".msg[data-id]"), function (m) {
      var id = m.getAttribute("data-id");
      if (seen[id]) { m.remove(); } else { seen[id] = true; }
    });
    var pollers = chat.querySelectorAll(".poll");
    var newest = null;
    Array.prototype.forEach.call(pollers, function (p) {
      if (!newest || Number(p.getAttribute("data-last")) >= Number(newest.getAttribute("data-last"))) { newest = p; }
    });
    Array.prototype.forEach.call(pollers, function (p) { if (p !== newest) { p.remove(); } });
    chat.scrollTop = chat.scrollHeight;
  };
  var inFlight = 0; // when the poller's request started (0: none); an abort may never report back
  var again = false;
  var isPoller = function (elt) { return elt && elt.classList && elt.classList.contains("poll"); };
  var fetchNow = function () {
    if (inFlight && Date.now() - inFlight < 10000) { again = true; return; }
    var poller = chat.querySelector(".poll");
    if (poller && window.htmx) { window.htmx.trigger(poller, "poll-now"); }
  };
  document.body.addEventListener("htmx:confirm", function (e) {
    var elt = e.detail.elt;
    if (!elt.classList || !elt.classList.contains("poll")) { return; }
    // A timed poll has no triggering event; skip it while the socket tells us what is new.
    if (live && !e.detail.triggeringEvent && Date.now() - lastFetch < SAFETY_MS) {
      e.preventDefault();
      return;
    }
    lastFetch = Date.now();
  });
  var done = function () {
    inFlight = 0;
    if (again) { again = false; fetchNow(); }
  };
  document.body.addEventListener("htmx:beforeRequest", function (e) {
    if (isPoller(e.detail.elt)) { inFlight = Date.now(); }
  });
  // A fetch that swapped in a new poller reports nothing from the old one (it left the page): the new
  // one's load says it is done and ready to fetch again.
  document.body.addEventListener("htmx:load", function (e) {
    if (isPoller(e.detail.elt)) { done(); }
  });
  document.body.addEventListener("htmx:afterSwap", tidy);
  document.body.addEventListener("htmx:afterRequest", function (e) {
    if (isPoller(e.detail.elt)) {
      if (!e.detail.successful) { done(); }
      return;
    }
    if (e.detail.elt === form && e.detail.successful) {
      form.reset();
      fetchNow();
    }
  });
  document.addEventListener("jiceng:live-open", function () { live = true; fetchNow(); });
  document.addEventListener("jiceng:live-closed", function () { live = false; });
  document.addEventListener("jiceng:live", function (e) {
    if (e.detail.type === "message" && e.detail.conversation === conversation) { fetchNow(); }
  });
  tidy();
})();
