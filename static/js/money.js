// Money: a confirm form is sent once from this page. The button is disabled after the first
// submit, so a double click makes one request; the server's one-time token refuses any second
// one anyway (a browser retry, the same page in another tab).
document.addEventListener("submit", (event) => {
  const form = event.target;
  if (!(form instanceof HTMLFormElement) || !("submitOnce" in form.dataset)) return;
  if (form.dataset.sent) {
    event.preventDefault();
    return;
  }
  form.dataset.sent = "yes";
  for (const button of form.querySelectorAll("button[type=submit]")) {
    button.setAttribute("aria-disabled", "true");
    button.textContent = "Sending…";
  }
});

// Coming back to a confirm page from the browser's history shows it as it was: enable it
// again, so the member sees the server's "already submitted" answer instead of a dead button.
window.addEventListener("pageshow", () => {
  for (const form of document.querySelectorAll("form[data-submit-once]")) delete form.dataset.sent;
});
