// Autosave: a few seconds after someone stops typing in a narrative field, its text is kept
// on the server as their draft, so closing the tab or losing the connection loses nothing.
(() => {
  const IDLE_MS = 2000;

  function csrfToken() {
    const headers = document.body.getAttribute("hx-headers");
    return headers ? JSON.parse(headers)["X-CSRFToken"] : "";
  }

  async function save(field, form) {
    const status = form.querySelector(".draft-status");
    const body = new FormData();
    body.append("field", field.name);
    body.append("text", field.value);
    body.append("base_version", form.querySelector("input[name=version]")?.value || "");
    try {
      const response = await fetch(form.dataset.draftUrl, {
        method: "POST", body, headers: { "X-CSRFToken": csrfToken() }, credentials: "same-origin",
      });
      const data = await response.json();
      if (status) status.textContent = data.saved ? `Draft kept at ${data.at}` : "Draft not kept";
    } catch (error) {
      if (status) status.textContent = "Offline: the draft will be kept when the connection returns";
    }
  }

  function attach(root) {
    const forms = root.matches?.("form[data-draft-url]") ? [root] : root.querySelectorAll("form[data-draft-url]");
    for (const form of forms) {
      for (const field of form.querySelectorAll("textarea[data-autosave]")) {
        if (field.autosaveAttached) continue;
        field.autosaveAttached = true;
        let timer;
        field.addEventListener("input", () => {
          clearTimeout(timer);
          timer = setTimeout(() => save(field, form), IDLE_MS);
        });
      }
    }
  }

  document.addEventListener("DOMContentLoaded", () => attach(document));
  document.addEventListener("htmx:load", (event) => attach(event.detail.elt));
})();
