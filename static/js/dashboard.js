// The dashboard (templates/dashboard/): after each live message (static/js/live.js swaps it),
// the "All your groups" totals add up the per-group counts the relay just replaced.
(function () {
  "use strict";

  function total(el) {
    const prefix = el.getAttribute("data-sum");
    let sum = 0;
    let known = true;
    document.querySelectorAll("[id^='" + prefix + "g']").forEach((part) => {
      const count = part.getAttribute("data-count");
      if (count === null || count === "") known = false;
      else sum += parseInt(count, 10);
    });
    el.textContent = known ? String(sum) : "—";
  }

  document.addEventListener("htmx:wsAfterMessage", () => {
    document.querySelectorAll("[data-sum]").forEach(total);
  });
})();
