// Debrief's small behaviours. No inline scripts: everything is wired from here.
document.addEventListener("htmx:responseError", (event) => {
  const status = event.detail.xhr.status;
  const message = status === 403
    ? "You don't have permission to change this."
    : `The server answered ${status}; nothing was changed. Reload the page and try again.`;
  window.alert(message);
});

// An editor that opens puts the keyboard in its first field (its first invalid one after a
// refused save), so keyboard and screen-reader users land where they will type.
const firstField = (root) => {
  const fields = [...root.querySelectorAll("input:not([type=hidden]), select, textarea")];
  const usable = fields.filter((field) => field.tabIndex >= 0 && field.offsetParent !== null);
  return usable.find((field) => field.classList.contains("is-invalid")) || usable[0];
};
// Only an editor the person asked for (their click, key or submit): a panel that refreshes
// itself after their save, such as the blameless check with its reason fields, must not pull
// them up the page. And only if they have not moved on: htmx readies new content 20 ms or
// more after showing it, and a field picked meanwhile keeps the keyboard, or their typing
// would land in another field.
document.addEventListener("htmx:afterSwap", (event) => {
  event.detail.elt.focusAtSwap = document.activeElement;
});
document.addEventListener("htmx:afterSettle", (event) => {
  const root = event.detail.elt;
  if (!event.detail.requestConfig?.triggeringEvent?.isTrusted) return;
  if (document.activeElement !== root.focusAtSwap) return;
  if (root.matches("form") || root.querySelector("form")) firstField(root)?.focus();
});
// Likewise a <details> the person opens (a click, or a key on its summary), not one that
// arrives open in new content: the browser reports both as a toggle.
let clickedSummary = null;
document.addEventListener("click", (event) => {
  clickedSummary = event.target.closest?.("summary") ?? null;
}, true);
document.addEventListener("toggle", (event) => {
  const details = event.target;
  if (!details.matches("details") || !details.open) return;
  if (clickedSummary?.parentElement !== details) return;
  clickedSummary = null;
  firstField(details)?.focus();
}, true);
