// Live blameless-language checks under every field marked data-lint.
// Findings arrive with offsets in UTF-16 units, which is how JavaScript strings count,
// so a click on a finding selects exactly the flagged words, and "Apply rewrite" replaces
// exactly the sentence the server rewrote.
(() => {
  // Findings must show within 600 ms of the last keystroke: this pause plus the request.
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

  function applyRewrite(field, finding, checkedText) {
    // Only rewrite the text the server saw; if the writer typed since, check again first.
    if (field.value !== checkedText) {
      check(field);
      return;
    }
    const before = field.value.slice(0, finding.rewrite_start);
    const after = field.value.slice(finding.rewrite_end);
    field.value = before + finding.rewrite + after;
    field.focus();
    field.setSelectionRange(before.length, before.length + finding.rewrite.length);
    field.dispatchEvent(new Event("input", { bubbles: true }));
  }

  function render(field, findings, checkedText) {
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
      if (finding.rewrite) {
        const rewrite = document.createElement("div");
        rewrite.className = "lint-rewrite";
        const apply = document.createElement("button");
        apply.type = "button";
        apply.className = "btn btn-outline-secondary btn-sm py-0 me-1";
        apply.textContent = "Apply rewrite";
        apply.addEventListener("click", () => applyRewrite(field, finding, checkedText));
        const text = document.createElement("span");
        text.className = "lint-rewrite-text";
        text.textContent = finding.rewrite;
        rewrite.append(apply, text);
        row.append(rewrite);
      }
      panel.append(row);
    }
  }

  async function check(field) {
    const url = document.body.dataset.lintUrl;
    if (!url) return;
    const sequence = (field.lintSequence = (field.lintSequence || 0) + 1);
    const checkedText = field.value;
    const body = new FormData();
    body.append("text", checkedText);
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
      render(field, data.findings || [], checkedText);
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
