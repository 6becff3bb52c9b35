// Confirmation for destructive actions: a form (or its submit button) with data-confirm="what
// happens" opens the page's <dialog> first; the form is sent only on "yes". The native dialog
// keeps focus inside, closes on Escape and returns focus to the button. Without JavaScript the
// form is simply sent.
(function () {
  var dialog = document.getElementById("confirm-dialog");
  if (!dialog || typeof dialog.showModal !== "function") return;
  var text = document.getElementById("confirm-text");
  var yes = document.getElementById("confirm-yes");
  var pending = null;

  // Capture phase: runs before htmx's own submit listener on the form.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var submitter = event.submitter || null;
    var source = submitter && submitter.dataset.confirm ? submitter : form;
    if (!source.dataset || !source.dataset.confirm || form.dataset.confirmed === "true") return;
    if (!form.checkValidity()) return;  // let the browser point at the missing reason first
    event.preventDefault();
    event.stopImmediatePropagation();
    pending = { form: form, submitter: submitter };
    text.textContent = source.dataset.confirm;
    yes.textContent = source.dataset.confirmYes || "Yes, go ahead";
    dialog.returnValue = "";
    dialog.showModal();
  }, true);

  dialog.addEventListener("close", function () {
    var chosen = pending;
    pending = null;
    if (!chosen || dialog.returnValue !== "confirm") return;
    chosen.form.dataset.confirmed = "true";
    if (chosen.form.requestSubmit) {
      chosen.form.requestSubmit(chosen.submitter);
    } else {
      chosen.form.submit();
    }
    delete chosen.form.dataset.confirmed;
  });
})();
