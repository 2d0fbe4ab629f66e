// A dashboard's first screen on a phone (portal/frame-phone.css has the looks): its
// filters fold behind one "Filters" button so that a chart shows without scrolling.
// The button opens and closes them (aria-expanded); a filter's own error note stays
// visible while they are closed. Only pages styled with the dashboard kit
// (`.de-root > .de-controls`) get it; the open state lives on <html>, outside what
// Dash redraws.
(function () {
  "use strict";
  var root = document.documentElement;
  var phone = window.matchMedia ? window.matchMedia("(max-width: 640px)") : null;
  var button = null;

  function controls() {
    return document.querySelector(".de-root > .de-controls");
  }

  function sync() {
    if (!button) return;
    var open = root.classList.contains("de-filters-open");
    button.setAttribute("aria-expanded", open ? "true" : "false");
  }

  function place() {
    var box = controls();
    if (!box) return;
    root.classList.add("de-phone-filters");
    if (!box.id) box.id = "de-controls";
    if (!button) {
      button = document.createElement("button");
      button.type = "button";
      button.className = "de-filters-toggle";
      button.textContent = "Filters";
      button.addEventListener("click", function () {
        root.classList.toggle("de-filters-open");
        sync();
        if (root.classList.contains("de-filters-open")) {
          var first = box.querySelector("input, button, [tabindex]");
          if (first && phone && phone.matches) first.focus();
        }
      });
    }
    button.setAttribute("aria-controls", box.id);
    // Dash may redraw the layout: put the button back before the filters.
    if (button.nextElementSibling !== box) box.parentNode.insertBefore(button, box);
    sync();
  }

  function start() {
    place();
    new MutationObserver(function () {
      if (!button || !button.isConnected || button.nextElementSibling !== controls()) place();
    }).observe(document.body, { childList: true, subtree: true });
  }

  if (document.body) start();
  else document.addEventListener("DOMContentLoaded", start);
})();
