// Phone navigation: the links fold under a "Menu" button (aria-expanded) on narrow screens.
// Without JavaScript the button stays hidden and the links show as a wrapping row.
(function () {
  var toggle = document.querySelector(".menu-toggle");
  var nav = document.getElementById("main-nav");
  if (!toggle || !nav) return;
  document.documentElement.classList.add("has-menu");
  toggle.hidden = false;

  function setOpen(open) {
    toggle.setAttribute("aria-expanded", open ? "true" : "false");
    nav.classList.toggle("open", open);
  }

  toggle.addEventListener("click", function () {
    setOpen(toggle.getAttribute("aria-expanded") !== "true");
  });
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && toggle.getAttribute("aria-expanded") === "true") {
      setOpen(false);
      toggle.focus();
    }
  });
})();

// A table wider than its card scrolls inside it (app.css); make such a table reachable with the
// keyboard (arrow keys scroll it once focused) and name it after its card's heading.
(function () {
  function markScrollableTables() {
    document.querySelectorAll("main table").forEach(function (table) {
      var scrolls = table.scrollWidth > table.clientWidth + 1;
      if (scrolls && !table.hasAttribute("tabindex")) {
        table.setAttribute("tabindex", "0");
        table.dataset.scrollMarked = "true";
        var heading = table.closest("section, .card") && table.closest("section, .card").querySelector("h2, h3");
        if (!table.getAttribute("aria-label") && heading) table.setAttribute("aria-label", heading.textContent.trim());
      } else if (!scrolls && table.dataset.scrollMarked) {
        table.removeAttribute("tabindex");
        delete table.dataset.scrollMarked;
      }
    });
  }
  markScrollableTables();
  window.addEventListener("resize", markScrollableTables);
  document.addEventListener("htmx:afterSettle", markScrollableTables);
})();
