// Action items: reason fields that appear when needed, due dates that follow the priority,
// select-all and the bulk form's fields, copying the calendar address. Wired by delegation,
// so content swapped in by htmx works too; the guard keeps a second <script> from re-wiring.
(() => {
  if (window.debriefActions) return;
  window.debriefActions = true;

  const reasonStatuses = (select) => (select.dataset.reasonStatuses || "").split(" ");

  function showReason(select) {
    const field = select.form.querySelector(".reason-field");
    if (!field) return;
    const needed = reasonStatuses(select).includes(select.value);
    const textarea = field.querySelector("textarea");
    field.hidden = !needed && !textarea.value && !textarea.classList.contains("is-invalid");
    textarea.required = needed;
  }

  function showBulkFields(form) {
    const action = form.querySelector("[name=action]").value;
    form.querySelectorAll("[data-bulk-field]").forEach((field) => {
      field.hidden = !field.dataset.bulkField.split(" ").includes(action);
    });
  }

  function countSelected() {
    const label = document.querySelector("[data-selected-count]");
    if (!label) return;
    const n = document.querySelectorAll("input[name=items][form=bulk-form]:checked").length;
    label.textContent = n ? `With the ${n} ticked item${n === 1 ? "" : "s"}:` : "With the ticked items:";
  }

  function setUp(root) {
    root.querySelectorAll("select[data-reason-statuses]").forEach(showReason);
    root.querySelectorAll("form.bulk-form").forEach(showBulkFields);
  }

  document.addEventListener("change", (event) => {
    const target = event.target;
    if (target.matches("select[data-reason-statuses]")) showReason(target);
    if (target.matches("form.bulk-form [name=action]")) showBulkFields(target.form);
    if (target.matches("[data-select-all]")) {
      document.querySelectorAll("input[name=items][form=bulk-form]").forEach((box) => {
        box.checked = target.checked;
      });
    }
    if (target.matches("input[name=items], [data-select-all]")) countSelected();
    if (target.matches("select[data-default-due]")) {
      const due = target.form.querySelector("input[name=due_date]");
      const defaults = JSON.parse(target.dataset.defaultDue);
      if (due && (!due.value || due.dataset.auto === due.value || Object.values(defaults).includes(due.value))) {
        due.value = defaults[target.value] || due.value;
        due.dataset.auto = due.value;
      }
    }
  });

  document.addEventListener("click", (event) => {
    const confirmed = event.target.closest("button[data-confirm]");
    if (confirmed && !window.confirm(confirmed.dataset.confirm)) event.preventDefault();
    const button = event.target.closest("[data-copy]");
    if (!button) return;
    const input = document.querySelector(button.dataset.copy);
    input.select();
    navigator.clipboard?.writeText(input.value).then(
      () => { button.textContent = "Copied"; },
      () => {},
    );
  });

  const start = () => {
    setUp(document);
    if (window.htmx) window.htmx.onLoad((element) => setUp(element));
  };
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
