// Live panels (templates/live/): what the htmx ws extension leaves to the page.
// - answer every message with "ack" (the server sends at most a few unanswered messages);
// - swap each message's fragments in one pass (see swap below); a row whose id is not on the
//   page yet goes into the container its data-live-into names;
// - a brief highlight on rows that changed; times shown in the browser's time zone;
// - the connection indicator: reconnecting (socket down) / what the server says;
// - a list that takes pushed rows (the trading lists) says which ones on its container:
//   data-live-match-<name>="v" keeps out a row whose data-<name> is not v (the page's
//   filters), data-live-hold="#note" counts the rows in that notice instead of showing them
//   (an order or filter a pushed row cannot be placed in), data-live-keep="n" keeps n rows;
// - a list read over REST says when (data-live-read-at, seconds) and what to reload
//   (data-live-reload-target): a snapshot resends the rows changed since (each with
//   data-live-at, the relay's clock), and a row changed well before the read is skipped; a
//   reload marker (data-live-reload: the relay cannot tell what the page missed before that
//   time) reloads a list read before it. The clocks may differ by CLOCK_MARGIN: skip only
//   what the read certainly has, reload whatever it may lack. A list read again sends
//   "reread <its read time>" on the socket, which answers with what changed since.
(function () {
  "use strict";
  const FEED_ROWS = 50;
  const CLOCK_MARGIN = 1;  // seconds, as the server's (crmportal/live/consumers.py)
  const counted = new WeakMap();  // a "changes" notice -> the row ids it counted
  const reloadedFor = new Map();  // a list's reload target -> the newest marker time it obeyed
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

  // The message's fragments are swapped here, in one pass, instead of by the ws extension:
  // it swaps them one at a time and after each fires htmx:oobAfterSwap for every element
  // swapped so far in the message, so a market step of 450 rows took Chromium 4.6 s.
  // Every top-level element replaces the element with its id; hx-swap-oob="delete" removes
  // it; a row not on the page yet (a new position, a feed entry) goes to the top of the
  // container its data-live-into names. New rows, changed rows and changed cells flash.
  function matches(container, fresh) {
    for (const attr of Array.from(container.attributes)) {
      if (!attr.name.startsWith("data-live-match-")) continue;
      if (fresh.getAttribute("data-" + attr.name.slice(16)) !== attr.value) return false;
    }
    return true;
  }

  // Counts rows, not messages: a row a snapshot resends is counted once.
  function hold(container, fresh) {
    const note = document.querySelector(container.getAttribute("data-live-hold"));
    if (!note) return;
    const ids = counted.get(note) || new Set();
    counted.set(note, ids);
    ids.add(fresh.id);
    const count = ids.size;
    note.setAttribute("data-changes", String(count));
    const link = document.createElement("a");
    link.href = window.location.href;
    link.textContent = "refresh";
    note.replaceChildren(count + (count === 1 ? " change" : " changes") +
      " since this list was read: ", link, " to see them.");
    note.hidden = false;
  }

  function readAt(container) {
    return Number(container.getAttribute("data-live-read-at") || NaN);
  }

  // A pushed row for a list container: false when it is not for this page, is older than
  // the page's read of the list, or was counted.
  function admitted(container, fresh, current) {
    const at = Number(fresh.getAttribute("data-live-at") || NaN);
    if (at < readAt(container) - CLOCK_MARGIN) return false;
    if (!matches(container, fresh)) {
      if (current && !container.hasAttribute("data-live-hold")) current.remove();
      return false;
    }
    if (container.hasAttribute("data-live-hold")) {
      hold(container, fresh);
      return false;
    }
    return true;
  }

  function keep(container) {
    const most = Number(container.getAttribute("data-live-keep") || 0);
    if (most > 0) while (container.rows.length > most) container.deleteRow(-1);
  }

  // Every list read before `at` (or within the clock margin of it) reads its table again,
  // once per marker time: a list read again after a marker was read after its time (the
  // socket comes back with its first address, so the same marker comes again).
  function reload(at) {
    document.querySelectorAll("[data-live-read-at][data-live-reload-target]").forEach((list) => {
      const target = list.getAttribute("data-live-reload-target");
      if (!(readAt(list) < at + CLOCK_MARGIN) || reloadedFor.get(target) >= at) return;
      reloadedFor.set(target, at);
      htmx.ajax("GET", window.location.pathname + window.location.search,
        {target: target, swap: "outerHTML"});
    });
  }

  function swap(message) {
    const template = document.createElement("template");
    template.innerHTML = message;
    for (const fresh of Array.from(template.content.children)) {
      if (fresh.hasAttribute("data-live-reload")) {
        reload(Number(fresh.getAttribute("data-live-reload")));
        continue;
      }
      const current = fresh.id ? document.getElementById(fresh.id) : null;
      const into = fresh.getAttribute("data-live-into");
      const list = into ? document.querySelector(into) : null;
      if (list && !admitted(list, fresh, current)) continue;
      if (fresh.getAttribute("hx-swap-oob") === "delete") {
        if (current) current.remove();
        continue;
      }
      if (fresh.tagName === "TD" || (into && fresh.tagName === "TR")) fresh.classList.add("flash");
      if (current) {
        current.replaceWith(fresh);
      } else if (list) {
        list.querySelectorAll(".empty-row").forEach((el) => el.remove());
        list.prepend(fresh);
        keep(list);
      }
    }
  }

  document.addEventListener("htmx:wsBeforeMessage", (event) => {
    const message = event.detail.message;
    if (typeof message !== "string") return;
    event.preventDefault();
    swap(message);
    htmx.trigger(event.target, "htmx:wsAfterMessage", event.detail);
  });

  document.addEventListener("htmx:wsAfterMessage", (event) => {
    tidy();
    if (downSince === null) {
      const status = document.getElementById("live-status");
      if (status) status.removeAttribute("data-socket");
    }
    event.detail.socketWrapper.send("ack");
  });

  // A list read again (filters, another page, a reload marker) tells its socket when: rows
  // pushed while that read was out reached the table it replaced, and come again.
  let socket = null;
  let reread = null;

  function listReadAt() {
    const list = document.querySelector("[data-live-read-at]");
    return list ? list.getAttribute("data-live-read-at") : null;
  }

  document.addEventListener("htmx:afterSettle", () => {
    const at = listReadAt();
    if (!socket || !at || at === reread) return;
    reread = at;
    socket.send("reread " + at);
  });

  document.addEventListener("htmx:wsOpen", (event) => {
    downSince = null;
    socket = event.detail.socketWrapper;
  });

  document.addEventListener("htmx:wsClose", () => {
    const status = document.getElementById("live-status");
    // "ended": the server closed for good (signed out) and said why; it does not come back.
    if (!status || status.getAttribute("data-state") === "ended") return;
    if (downSince === null) {
      const since = status.querySelector("time");
      downSince = status.getAttribute("data-state") === "stale" && since ?
        new Date(since.getAttribute("datetime")) : new Date();
    }
    status.setAttribute("data-state", "reconnecting");
    status.setAttribute("data-socket", "down");
    status.textContent = "Reconnecting… stale since " + clock(downSince);
  });

  document.addEventListener("DOMContentLoaded", () => {
    localTimes(document);
    reread = listReadAt();  // the page's own read: its socket's address says it already
  });
})();
