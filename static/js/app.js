// Keyboard shortcuts shared by every page: "?" lists them, "/" focuses search.
// Pages add their own by putting data-shortcut="KEY" on a link or button.
// The account page's in-page actions (htmx) get focus and show/hide help here too.
(function () {
  function typing(target) {
    return target.closest("input, textarea, select, [contenteditable=true]");
  }

  // The first field of the open action form (the outcome on a call), or the error to fix.
  function focusActionForm() {
    const panel = document.getElementById("action-panel");
    if (!panel) return false;
    const field =
      panel.querySelector(".has-error input:not([type=hidden]), .has-error select, .has-error textarea") ||
      panel.querySelector("[data-first]") ||
      panel.querySelector(".action-form select, .action-form textarea, .action-form input:not([type=hidden]):not([type=radio])");
    if (field) { field.focus(); return true; }
    return false;
  }

  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey || typing(event.target)) return;
    const dialog = document.getElementById("shortcuts");
    if (dialog && dialog.open) return;
    if (event.key === "?") {
      if (dialog) dialog.showModal();
      event.preventDefault();
      return;
    }
    if (event.key === "/") {
      const search = document.querySelector("[data-global-search]");
      if (search) { search.focus(); event.preventDefault(); }
      return;
    }
    const target = document.querySelector('[data-shortcut="' + CSS.escape(event.key) + '"]');
    if (!target) return;
    event.preventDefault();
    // The form is open already: go to it rather than reloading it (and losing what was typed).
    if (target.getAttribute("aria-current") === "true" && focusActionForm()) return;
    target.click();
  });

  // Fields that matter only for one answer of another field: data-show-when="outcome=promise_to_pay".
  function fieldValue(form, name) {
    const checked = form.querySelector('[name="' + name + '"]:checked');
    if (checked) return checked.value;
    const field = form.querySelector('select[name="' + name + '"], input[name="' + name + '"]:not([type=radio])');
    return field ? field.value : "";
  }
  function applyConditions(root) {
    (root || document).querySelectorAll("[data-show-when], [data-hide-when]").forEach(function (el) {
      const form = el.closest("form");
      if (!form) return;
      const rule = el.getAttribute("data-show-when") || el.getAttribute("data-hide-when");
      const parts = rule.split("=");
      const matches = fieldValue(form, parts[0]) === parts[1];
      el.hidden = el.hasAttribute("data-show-when") ? !matches : matches;
    });
  }
  document.addEventListener("change", function (event) {
    if (event.target.form) applyConditions(event.target.form);
  });
  document.addEventListener("DOMContentLoaded", function () { applyConditions(document); });

  // After htmx swapped the workspace or the action panel: conditions, then focus where the eye goes.
  document.addEventListener("htmx:afterSettle", function (event) {
    applyConditions(document);
    const swapped = event.detail.target;
    if (!swapped || !swapped.id) return;
    if (swapped.id === "arrangement-preview") return;
    // Someone already typing in the new form keeps their place (settling ends ~20 ms after the swap).
    const active = document.activeElement;
    if (active && swapped.contains(active) && typing(active)) return;
    const flagged = document.querySelector("#workspace [data-autofocus]");
    if (flagged) { flagged.focus(); return; }
    if (swapped.id === "action-panel" || swapped.id === "workspace") focusActionForm();
  });

  // In place of inline handlers and styles, which the Content Security Policy forbids:
  // meter bars take their width from data-percent (set through the CSSOM, which CSP allows),
  // data-autosubmit submits its form on change, data-confirm asks before a button submits.
  function applyMeters(root) {
    (root || document).querySelectorAll("[data-percent]").forEach(function (bar) {
      const percent = Math.max(0, Math.min(100, parseFloat(bar.getAttribute("data-percent")) || 0));
      bar.style.width = percent + "%";
    });
  }
  document.addEventListener("DOMContentLoaded", function () { applyMeters(document); });
  document.addEventListener("htmx:load", function (event) { applyMeters(event.detail.elt); });
  document.addEventListener("change", function (event) {
    if (event.target.matches("[data-autosubmit]") && event.target.form) event.target.form.requestSubmit();
  });
  document.addEventListener("click", function (event) {
    const button = event.target.closest("[data-confirm]");
    if (button && !window.confirm(button.getAttribute("data-confirm"))) event.preventDefault();
  });
})();
