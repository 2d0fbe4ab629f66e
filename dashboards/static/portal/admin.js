// Repairs to Django admin's own scripts for screen readers (and axe-core).
// Deferred, so its "load" handler runs after the admin's widgets have been built.
(function () {
  "use strict";
  window.addEventListener("load", function () {
    // The two-list pickers' search icons carry a name but no role to carry it.
    document.querySelectorAll(".help-tooltip[aria-label]:not([role])").forEach(function (icon) {
      icon.setAttribute("role", "img");
    });
  });
})();
