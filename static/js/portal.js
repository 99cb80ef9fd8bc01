/* Small progressive enhancements used on every page (the portal works without them). */
(function () {
  "use strict";
  document.documentElement.classList.add("js");

  // Print buttons on the preview and the blank template.
  document.querySelectorAll("[data-print]").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () { window.print(); });
  });

  // Navigation shown open without JavaScript; on narrow screens it starts folded.
  document.querySelectorAll("details[data-fold-below]").forEach(function (details) {
    if (window.innerWidth < parseInt(details.dataset.foldBelow, 10)) { details.open = false; }
  });
})();
