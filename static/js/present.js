// Meeting mode: one slide at a time, ←/→ (or the buttons) to move, the URL remembers where.
(() => {
  function start() {
    const slides = [...document.querySelectorAll("#slides > .slide")];
    if (!slides.length) return;
    const position = document.getElementById("slide-position");
    let current = Math.min(Number(location.hash.replace("#slide-", "")) || 0, slides.length - 1);

    function show(index) {
      current = Math.max(0, Math.min(index, slides.length - 1));
      slides.forEach((slide, i) => slide.classList.toggle("active", i === current));
      position.textContent = `${current + 1} / ${slides.length}`;
      history.replaceState(null, "", `#slide-${current}`);
      window.scrollTo(0, 0);
    }

    function typing(target) {
      return target.closest("input, textarea, select, [contenteditable]") !== null;
    }

    document.addEventListener("keydown", (event) => {
      if (typing(event.target) || event.altKey || event.ctrlKey || event.metaKey) return;
      if (event.key === "ArrowRight" || event.key === "PageDown") show(current + 1);
      else if (event.key === "ArrowLeft" || event.key === "PageUp") show(current - 1);
      else return;
      event.preventDefault();
    });
    document.querySelector("[data-present-next]").addEventListener("click", () => show(current + 1));
    document.querySelector("[data-present-prev]").addEventListener("click", () => show(current - 1));
    show(current);
  }
  document.addEventListener("DOMContentLoaded", start);

  // Notes save as they are typed; after a conflict, "Keep mine" saves them over the other
  // window's with the version the conflict showed. Sent by the form itself, it waits for
  // any autosave still on its way instead of racing it.
  document.addEventListener("click", (event) => {
    const button = event.target.closest("[data-keep-mine]");
    if (!button) return;
    const form = button.closest("form");
    form.querySelector(`input[name="${button.dataset.versionField}"]`).value = button.dataset.version;
    htmx.trigger(form, "change");
  });
})();
