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
document.addEventListener("htmx:load", (event) => {
  const root = event.detail.elt;
  if (root === document.body || !root.querySelector) return;
  if (root.matches("form") || root.querySelector("form")) firstField(root)?.focus();
});
document.addEventListener("toggle", (event) => {
  if (event.target.matches("details") && event.target.open) firstField(event.target)?.focus();
}, true);
