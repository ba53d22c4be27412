// Debrief's small behaviours. No inline scripts: everything is wired from here.
document.addEventListener("htmx:responseError", (event) => {
  const status = event.detail.xhr.status;
  const message = status === 403
    ? "You don't have permission to change this."
    : `The server answered ${status}; nothing was changed. Reload the page and try again.`;
  window.alert(message);
});
