// Small keyboard helpers for the whole portal.
document.addEventListener("keydown", (event) => {
  const target = event.target;
  const typing = target instanceof HTMLInputElement || target instanceof HTMLTextAreaElement ||
    target instanceof HTMLSelectElement || (target && target.isContentEditable);
  if (event.key === "/" && !typing && !event.ctrlKey && !event.metaKey && !event.altKey) {
    const search = document.querySelector("[data-search]");
    if (search) {
      event.preventDefault();
      search.focus();
      search.select();
    }
  }
});

// GET requests made by htmx carry only what is set: empty parameters, and those equal to the
// form's defaults (data-defaults='{"size": "50"}'), are left out, so addresses stay short.
document.addEventListener("htmx:configRequest", (event) => {
  if (event.detail.verb !== "get") return;
  const form = event.detail.elt.closest("form");
  const defaults = form && form.dataset.defaults ? JSON.parse(form.dataset.defaults) : {};
  const params = event.detail.formData || event.detail.parameters;
  for (const name of [...new Set(params.keys())]) {
    const values = params.getAll(name);
    if (values.every((value) => value === "" || defaults[name] === value)) params.delete(name);
  }
});

// A list's rows obey its address. When htmx restores a page from its history snapshot (Back,
// Forward), the snapshot's controls may show what was chosen later, so a form marked
// data-url-state takes its controls' values from the address again (absent: the default).
function showAddressInForms() {
  const params = new URLSearchParams(window.location.search);
  for (const form of document.querySelectorAll("form[data-url-state]")) {
    const defaults = form.dataset.defaults ? JSON.parse(form.dataset.defaults) : {};
    for (const control of form.elements) {
      if (!control.name || control.type === "submit") continue;
      control.value = params.get(control.name) ?? defaults[control.name] ?? "";
    }
  }
}
document.addEventListener("htmx:historyRestore", showAddressInForms);
window.addEventListener("pageshow", showAddressInForms);

// <select data-autosubmit>: a change submits its form (no inline handlers: CSP script-src 'self').
document.addEventListener("change", (event) => {
  const field = event.target;
  if (field instanceof HTMLElement && field.matches("[data-autosubmit]") && field.form) {
    field.form.requestSubmit();
  }
});

// Errors met by htmx requests. The server swaps its error panels into #alerts (crmportal/htmx.py);
// the next successful swap elsewhere clears them. A request that got no answer at all shows the
// page's own notice. The alert takes the focus, so keyboard and screen-reader users meet it.
const alerts = () => document.getElementById("alerts");
// With DEBUG on, django-htmx's script shows 4xx/5xx answers as the whole document (for Django's
// debug pages); the portal's own panels, sent to #alerts, must not reach its document listener.
document.documentElement.addEventListener("htmx:beforeOnLoad", (event) => {
  if (event.detail.xhr.getResponseHeader("HX-Retarget")) event.stopPropagation();
});
document.addEventListener("htmx:beforeSwap", (event) => {
  const region = alerts();
  if (region && !event.detail.isError && event.detail.target !== region) region.replaceChildren();
});
document.addEventListener("htmx:sendError", () => {
  const region = alerts();
  const notice = document.getElementById("alert-no-answer");
  if (region && notice) region.replaceChildren(notice.content.cloneNode(true));
  if (region) region.focus();
});

// After a swap: the focus stays in the part that changed when it was in the part replaced (a
// page link that was replaced leaves it nowhere otherwise; a part that loads by itself, such as
// a list's footer, leaves it where it was), and the persistent status line reads out the new
// summary ([data-announce] in the swapped part), since the replaced sections cannot be live
// regions.
const heldFocus = new WeakSet();  // swap targets that held the focus as the swap began
document.addEventListener("htmx:beforeSwap", (event) => {
  const target = event.detail.target;
  if (target && target.contains(document.activeElement)) heldFocus.add(target);
});
document.addEventListener("htmx:afterSettle", (event) => {
  const target = event.detail.target;
  const region = alerts();
  if (region && target === region) {
    if (region.childElementCount) region.focus();
    return;
  }
  const swapped = target && target.id ? document.getElementById(target.id) : target;
  if (!swapped || !swapped.isConnected) return;
  const lost = document.activeElement === document.body || !document.activeElement;
  if (lost && heldFocus.has(target)) {
    if (!swapped.hasAttribute("tabindex")) swapped.setAttribute("tabindex", "-1");
    swapped.focus({ preventScroll: true });
  }
  const status = document.getElementById("swap-status");
  const summary = [...swapped.querySelectorAll("[data-announce]")].map((el) => el.textContent.trim());
  if (status && summary.length) status.textContent = summary.join(". ");
});
