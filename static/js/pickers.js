// Searchable selects (Tom Select, vendored) for every <select data-picker>. A select with
// data-picker-url also searches the server: the URL answers [{value, text}] for ?q=.
(() => {
  const setUp = (select) => {
    if (select.tomselect) return;
    // Tom Select moves the label to its own input, which stands for the select it hides:
    // assistive technology meets one control, not two of the same name.
    const name = labelOf(select);
    const options = {
      plugins: select.multiple ? ["remove_button"] : [],
      maxOptions: 200,
      hidePlaceholder: true,
      // The select's own label names the control; Tom Select's input takes it over.
      onInitialize() { this.control_input.setAttribute("aria-label", name); },
    };
    const url = select.dataset.pickerUrl;
    if (url) {
      // What the server found for each query: it may match on more than the option's text
      // (a person's email, a postmortem's summary), so those stay listed for that query.
      const found = new Map();
      options.load = (query, callback) => {
        fetch(`${url}?q=${encodeURIComponent(query)}`, { headers: { Accept: "application/json" } })
          .then((response) => response.json())
          .then((answer) => {
            found.set(query, new Set(answer.map((option) => String(option.value))));
            callback(answer);
          })
          .catch(() => callback());
      };
      options.shouldLoad = (query) => query.length > 0;
      options.score = function (query) {
        const score = this.getScoreFunction(query);
        return (option) => score(option) || (found.get(query)?.has(String(option.value)) ? 1 : 0);
      };
    }
    new TomSelect(select, options);
    select.setAttribute("aria-hidden", "true");
  };
  const labelOf = (select) => {
    const label = select.id && document.querySelector(`label[for="${select.id}"]`);
    return (label ? label.textContent : select.getAttribute("aria-label") || select.name).trim();
  };
  const setUpAll = (root) => root.querySelectorAll("select[data-picker]").forEach(setUp);
  document.addEventListener("DOMContentLoaded", () => setUpAll(document));
  document.addEventListener("htmx:load", (event) => setUpAll(event.detail.elt));
})();
