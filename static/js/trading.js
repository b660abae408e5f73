// Trading lists: rows pushed by the relay carry their times in the server's zone; shown in
// the member's zone (the list's data-time-zone), as the page renders its own rows.
(function () {
  "use strict";

  function zoned(root) {
    const list = root.querySelector("#trading-rows[data-time-zone]");
    if (!list) return;
    let format;
    try {
      format = new Intl.DateTimeFormat("sv-SE", {
        timeZone: list.getAttribute("data-time-zone"), year: "numeric", month: "2-digit",
        day: "2-digit", hour: "2-digit", minute: "2-digit", second: "2-digit", hour12: false});
    } catch (error) {
      return;  // a zone this browser does not know: the server's text stays
    }
    list.querySelectorAll("td[data-at]:not([data-zoned])").forEach((cell) => {
      const when = new Date(cell.getAttribute("data-at"));
      if (!isNaN(when)) cell.textContent = format.format(when);
      cell.setAttribute("data-zoned", "");
    });
  }

  document.addEventListener("htmx:wsAfterMessage", () => zoned(document));
})();
