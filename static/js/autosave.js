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

  // Saving the form supersedes its autosave: a draft stored after the save would hold the
  // old version, and reopening would offer it back as unsaved text in conflict with itself.
  function guard(form) {
    form.autosaveTimers = new Map();
    form.autosaveSending = new Set();
    const cancel = () => {
      form.autosaveTimers.forEach((timer) => clearTimeout(timer));
      form.autosaveTimers.clear();
    };
    form.addEventListener("submit", cancel);
    form.addEventListener("htmx:confirm", (event) => {
      if (event.detail.elt !== form) return;
      cancel();
      // An autosave already sent must reach the server before the save that follows it.
      if (!form.autosaveSending.size) return;
      event.preventDefault();
      Promise.allSettled([...form.autosaveSending]).then(() => event.detail.issueRequest(true));
    });
  }

  function attach(root) {
    const forms = root.matches?.("form[data-draft-url]") ? [root] : root.querySelectorAll("form[data-draft-url]");
    for (const form of forms) {
      if (!form.autosaveTimers) guard(form);
      for (const field of form.querySelectorAll("textarea[data-autosave]")) {
        if (field.autosaveAttached) continue;
        field.autosaveAttached = true;
        field.addEventListener("input", () => {
          clearTimeout(form.autosaveTimers.get(field));
          form.autosaveTimers.set(field, setTimeout(() => {
            form.autosaveTimers.delete(field);
            const sent = save(field, form).finally(() => form.autosaveSending.delete(sent));
            form.autosaveSending.add(sent);
          }, IDLE_MS));
        });
      }
    }
  }

  document.addEventListener("DOMContentLoaded", () => attach(document));
  document.addEventListener("htmx:load", (event) => attach(event.detail.elt));
})();
