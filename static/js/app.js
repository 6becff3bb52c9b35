// Small behaviours of every page, by data attribute, so no page needs inline script (the
// content security policy allows scripts from this site only). Delegated from the document,
// so parts swapped in by HTMX work too; without JavaScript each page still works.
document.addEventListener("click", function (event) {
  var copy = event.target.closest("[data-copy]");
  if (copy && navigator.clipboard) {
    navigator.clipboard.writeText(copy.dataset.copy).then(function () {
      var label = copy.textContent;
      copy.textContent = "Copied";
      setTimeout(function () { copy.textContent = label; }, 1500);
    });
  }
  var print = event.target.closest("[data-print]");
  if (print) window.print();
  var trigger = event.target.closest("[data-trigger-event]");
  if (trigger && window.htmx) window.htmx.trigger(document.body, trigger.dataset.triggerEvent);
  var all = event.target.closest("input[data-select-all]");
  if (all) {
    all.closest("form").querySelectorAll('input[name="' + all.dataset.selectAll + '"]').forEach(function (box) {
      box.checked = all.checked;
    });
  }
});
