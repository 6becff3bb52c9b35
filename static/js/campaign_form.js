// The create/edit form's cost preview: what funding will cost, as the advertiser types. Integer
// cents only, with the server's rules: budget = floor(rate x views / 100), fee rounded half up.
(function () {
  function cents(text) {
    var match = /^\s*\$?(\d{1,9})(?:\.(\d{1,2}))?\s*$/.exec(text || "");
    if (!match) return null;
    return Number(match[1]) * 100 + Number((match[2] || "0").padEnd(2, "0"));
  }
  function whole(text) {
    return /^\s*\d{1,9}\s*$/.test(text || "") ? Number(text) : null;
  }
  function dollars(amount) {
    return "$" + (amount / 100).toLocaleString("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 });
  }
  function value(form, name) {
    var input = form.querySelector("[name=" + name + "]");
    return input ? input.value : "";
  }
  function fee(budget, percent) {
    return Math.floor((budget * percent + 50) / 100);
  }

  function update(form) {
    var preview = form.querySelector("#cost-preview");
    if (!preview) return;
    var percent = Number(preview.dataset.feePercent);
    var type = preview.dataset.type;
    if (type === "visibility") {
      var rate = cents(value(form, "cpv_dollars"));
      var views = whole(value(form, "max_views"));
      if (rate === null || views === null) return;
      var budget = Math.floor(rate * views / 100);
      preview.textContent = "Funding: " + dollars(budget) + " for " + views.toLocaleString("en-US") + " views at " +
        dollars(rate) + " per 100, plus a " + dollars(fee(budget, percent)) + " platform fee = " +
        dollars(budget + fee(budget, percent)) + ". Unused budget and its fee are refunded when the campaign ends.";
    } else if (type === "consultant" || type === "seller") {
      var low = cents(value(form, "min_budget_dollars"));
      var high = cents(value(form, "max_budget_dollars"));
      if (low === null || high === null || low > high) return;
      preview.textContent = "You fund the amount you agree with the promoter you accept: between " +
        dollars(low + fee(low, percent)) + " and " + dollars(high + fee(high, percent)) +
        " with the " + percent + "% platform fee.";
    } else if (type === "salesman") {
      var rateText = value(form, "commission_per_sale");
      if (!/^\s*\d{1,3}(\.\d{1,2})?\s*$/.test(rateText)) return;
      var perHundred = Math.round(Number(rateText) * 100);  // cents on a $100 sale (2 decimals: exact)
      preview.textContent = "A $100.00 sale pays the promoter " + dollars(perHundred) +
        ". You choose the commission budget when you fund, plus a " + percent + "% platform fee.";
    }
  }

  document.addEventListener("input", function (event) {
    var form = event.target.closest("form");
    if (form && form.querySelector("#cost-preview")) update(form);
  });
  document.addEventListener("htmx:afterSettle", function () {
    var preview = document.getElementById("cost-preview");
    if (preview) update(preview.closest("form"));
  });
  var preview = document.getElementById("cost-preview");
  if (preview) update(preview.closest("form"));
})();
