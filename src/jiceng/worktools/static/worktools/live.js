/* The live socket of the message pages (worktools/live.py). It announces what the server pushes as
   "jiceng:live" events on the document, keeps unread counts on the page ([data-conversation] items of
   the conversation list, [data-live-unread-total] elements) and reconnects with a growing delay.
   Without it (no WebSocket, live delivery off, the socket refused or down) the pages poll as before. */
(function () {
  "use strict";
  var host = document.querySelector("[data-live-url]");
  var url = host && host.getAttribute("data-live-url");
  if (!url || !window.WebSocket) { return; }
  if (url.charAt(0) === "/") {
    url = (window.location.protocol === "https:" ? "wss://" : "ws://") + window.location.host + url;
  }
  var delay = 1000;
  var announce = function (name, detail) {
    document.dispatchEvent(new CustomEvent(name, { detail: detail }));
  };
  var showCount = function (data) {
    if (typeof data.unread_total === "number") {
      Array.prototype.forEach.call(document.querySelectorAll("[data-live-unread-total]"), function (el) {
        el.textContent = String(data.unread_total);
      });
    }
    if (!data.conversation) { return; }
    var item = document.querySelector('#conversation-list [data-conversation="' + data.conversation + '"]');
    if (!item) { return; }
    var tag = item.querySelector(".tag");
    if (data.unread > 0) {
      if (!tag) {
        tag = document.createElement("span");
        tag.className = "tag bad";
        item.appendChild(document.createTextNode(" "));
        item.appendChild(tag);
      }
      tag.textContent = String(data.unread);
    } else if (tag) {
      tag.remove();
    }
    if (data.type === "message" && item.parentNode.firstElementChild !== item) {
      item.parentNode.insertBefore(item, item.parentNode.firstElementChild);
    }
  };
  var connect = function () {
    var socket;
    try { socket = new WebSocket(url); } catch (err) { return; }
    socket.onopen = function () {
      delay = 1000;
      host.setAttribute("data-live", "on");
      announce("jiceng:live-open", {});
    };
    socket.onmessage = function (e) {
      var data;
      try { data = JSON.parse(e.data); } catch (err) { return; }
      showCount(data);
      announce("jiceng:live", data);
    };
    socket.onclose = function () {
      host.setAttribute("data-live", "off");
      announce("jiceng:live-closed", {});
      window.setTimeout(connect, delay);
      delay = Math.min(delay * 2, 60000);
    };
  };
  connect();
})();
