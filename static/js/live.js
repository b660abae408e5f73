// Live panels (templates/live/): what the htmx ws extension leaves to the page.
// - answer every message with "ack" (the server sends at most a few unanswered messages);
// - a row whose id is not on the page yet goes into the container its data-live-into names;
// - a brief highlight on rows that changed; times shown in the browser's time zone;
// - the connection indicator: reconnecting (socket down) / what the server says.
(function () {
  "use strict";
  const FEED_ROWS = 50;
  let downSince = null;

  function clock(date) {
    return date.toLocaleTimeString([], {hour: "2-digit", minute: "2-digit", second: "2-digit", hour12: false});
  }

  function localTimes(root) {
    root.querySelectorAll("time[data-local]:not([data-localized])").forEach((el) => {
      const when = new Date(el.getAttribute("datetime"));
      if (!isNaN(when)) { el.textContent = clock(when); el.title = when.toString(); }
      el.setAttribute("data-localized", "");
    });
  }

  function tidy() {
    const feed = document.getElementById("live-feed");
    if (feed) {
      while (feed.rows.length > FEED_ROWS) feed.deleteRow(feed.rows.length - 1);
    }
    document.querySelectorAll("[data-live-count]").forEach((el) => {
      const body = document.querySelector(el.getAttribute("data-live-count"));
      const rows = body ? body.querySelectorAll("tr[id]").length : 0;
      el.textContent = "(" + rows + ")";
    });
    localTimes(document);
  }

  function flash(el) {
    el.classList.remove("flash");
    void el.offsetWidth; // restart the animation
    el.classList.add("flash");
  }

  // Rows not on the page yet (a new position, a feed entry): an empty row with their id goes
  // to the top of the container they name, so htmx swaps them in like any update.
  const NEW_ROW = /<tr id="([^"]+)" data-live-into="([^"]+)"/g;
  document.addEventListener("htmx:wsBeforeMessage", (event) => {
    const message = event.detail.message;
    if (typeof message !== "string" || message.indexOf("data-live-into") < 0) return;
    if (message.startsWith("<tbody")) return; // a snapshot: whole bodies, nothing to make room for
    for (const match of message.matchAll(NEW_ROW)) {
      if (document.getElementById(match[1])) continue;
      const container = document.querySelector(match[2]);
      if (!container) continue;
      container.querySelectorAll(".empty-row").forEach((el) => el.remove());
      const row = document.createElement("tr");
      row.id = match[1];
      container.prepend(row);
    }
  });

  // Fallback for a row the message above did not announce.
  document.addEventListener("htmx:oobErrorNoTarget", (event) => {
    const row = event.detail && event.detail.content;
    const into = row && row.getAttribute && row.getAttribute("data-live-into");
    const container = into && document.querySelector(into);
    if (!container) return;
    container.querySelectorAll(".empty-row").forEach((el) => el.remove());
    container.prepend(row);
    flash(row);
  });

  document.addEventListener("htmx:oobAfterSwap", (event) => {
    const el = event.target;
    if (el instanceof HTMLElement && el.matches("tr[data-live-into]") && !el.dataset.flashed) {
      el.dataset.flashed = "1";
      flash(el);
    }
  });

  document.addEventListener("htmx:wsAfterMessage", (event) => {
    tidy();
    if (downSince === null) {
      const status = document.getElementById("live-status");
      if (status) status.removeAttribute("data-socket");
    }
    event.detail.socketWrapper.send("ack");
  });

  document.addEventListener("htmx:wsOpen", () => { downSince = null; });

  document.addEventListener("htmx:wsClose", () => {
    const status = document.getElementById("live-status");
    if (!status) return;
    if (downSince === null) {
      const since = status.querySelector("time");
      downSince = status.getAttribute("data-state") === "stale" && since ?
        new Date(since.getAttribute("datetime")) : new Date();
    }
    status.setAttribute("data-state", "reconnecting");
    status.setAttribute("data-socket", "down");
    status.textContent = "Reconnecting… stale since " + clock(downSince);
  });

  document.addEventListener("DOMContentLoaded", () => localTimes(document));
})();
