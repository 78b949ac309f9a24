// "Add another measure" (or need) in the page: copies the formset's empty row, kept
// in a <template>, and counts it in the management form's TOTAL_FORMS, as Django's
// formsets expect. Without this script the same button saves the draft and the page
// comes back with one more empty row.
(function () {
  "use strict";

  function start(root) {
    var prefix = root.getAttribute("data-formset");
    var total = root.querySelector("#id_" + prefix + "-TOTAL_FORMS");
    var max = parseInt(root.getAttribute("data-formset-max"), 10);
    var rows = root.querySelector("[data-formset-rows]");
    var template = root.querySelector("template[data-formset-empty]");
    var button = root.querySelector("[data-formset-add]");
    if (!total || !rows || !template || !button) {
      return;
    }

    function full() {
      return parseInt(total.value, 10) >= max;
    }

    function refresh() {
      // The paragraph, not the button: the button's own style sets its display.
      button.parentElement.hidden = full();
    }

    button.addEventListener("click", function (event) {
      event.preventDefault();
      if (full()) {
        return;
      }
      var index = parseInt(total.value, 10);
      var html = template.innerHTML
        .replace(/__prefix__/g, String(index))
        .replace(/__number__/g, String(index + 1));
      rows.insertAdjacentHTML("beforeend", html);
      total.value = String(index + 1);
      var added = rows.lastElementChild;
      var first = added && added.querySelector("input, select, textarea");
      if (first) {
        first.focus();
      }
      refresh();
    });
    refresh();
  }

  function init() {
    var formsets = document.querySelectorAll("[data-formset]");
    for (var i = 0; i < formsets.length; i += 1) {
      start(formsets[i]);
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
