// Live blameless-language checks under every field marked data-lint.
// Findings arrive with offsets in UTF-16 units, which is how JavaScript strings count,
// so a click on a finding selects exactly the flagged words.
(() => {
  const PAUSE_MS = 250;

  function csrfToken() {
    const headers = document.body.getAttribute("hx-headers");
    return headers ? JSON.parse(headers)["X-CSRFToken"] : "";
  }

  function panelFor(field) {
    let panel = field.lintPanel;
    if (!panel) {
      panel = document.createElement("div");
      panel.className = "lint-panel small mt-1";
      panel.setAttribute("aria-live", "polite");
      panel.dataset.lintFor = field.name;
      field.insertAdjacentElement("afterend", panel);
      field.lintPanel = panel;
    }
    return panel;
  }

  function render(field, findings) {
    const panel = panelFor(field);
    panel.replaceChildren();
    field.classList.toggle("lint-has-warning", findings.some((f) => f.severity === "warning"));
    for (const finding of findings) {
      const row = document.createElement("div");
      row.className = `lint-item lint-${finding.severity}`;
      const words = document.createElement("button");
      words.type = "button";
      words.className = "btn btn-link btn-sm p-0 align-baseline lint-words";
      words.textContent = `“${field.value.slice(finding.start, finding.end)}”`;
      words.title = "Select these words in the text";
      words.addEventListener("click", () => {
        field.focus();
        field.setSelectionRange(finding.start, finding.end);
      });
      const message = document.createElement("span");
      message.textContent = ` ${finding.category}: ${finding.message}`;
      row.append(words, message);
      if (finding.suggestion) {
        const suggestion = document.createElement("div");
        suggestion.className = "lint-suggestion text-body-secondary";
        suggestion.textContent = `Try: ${finding.suggestion}`;
        row.append(suggestion);
      }
      panel.append(row);
    }
  }

  async function check(field) {
    const url = document.body.dataset.lintUrl;
    if (!url) return;
    const sequence = (field.lintSequence = (field.lintSequence || 0) + 1);
    const body = new FormData();
    body.append("text", field.value);
    body.append("kind", field.dataset.lintKind || "");
    try {
      const response = await fetch(url, {
        method: "POST",
        body,
        headers: { "X-CSRFToken": csrfToken() },
        credentials: "same-origin",
      });
      if (!response.ok || sequence !== field.lintSequence) return;
      const data = await response.json();
      render(field, data.findings || []);
    } catch (error) {
      // Offline or the server restarting: keep typing; the next pause tries again.
    }
  }

  function attach(root) {
    const fields = root.matches?.("[data-lint]") ? [root] : root.querySelectorAll("[data-lint]");
    for (const field of fields) {
      if (field.lintAttached) continue;
      field.lintAttached = true;
      let timer;
      field.addEventListener("input", () => {
        clearTimeout(timer);
        timer = setTimeout(() => check(field), PAUSE_MS);
      });
      if (field.value) check(field);
    }
  }

  document.addEventListener("DOMContentLoaded", () => attach(document));
  document.addEventListener("htmx:load", (event) => attach(event.detail.elt));
})();
