// Keyboard shortcuts shared by every page: "?" lists them, "/" focuses search.
// Pages add their own by putting data-shortcut="KEY" on a link or button.
(function () {
  function typing(target) {
    return target.closest("input, textarea, select, [contenteditable=true]");
  }
  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey || typing(event.target)) return;
    if (event.key === "?") {
      const dialog = document.getElementById("shortcuts");
      if (dialog && !dialog.open) dialog.showModal();
      event.preventDefault();
      return;
    }
    if (event.key === "/") {
      const search = document.querySelector("[data-global-search]");
      if (search) { search.focus(); event.preventDefault(); }
      return;
    }
    const target = document.querySelector('[data-shortcut="' + CSS.escape(event.key) + '"]');
    if (target) { target.click(); event.preventDefault(); }
  });
})();
