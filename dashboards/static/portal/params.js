// The dashboard page's address follows the filters (the parameters the Dash app
// in the frame posts once the view shows them), so that reloading, bookmarking or
// sharing the address shows what is on screen; the same values are remembered for
// this user's next visit (`last-filters/`). Reset puts every filter back to the
// dashboard's defaults. A link whose bad parts were dropped is replaced by the
// address of what opened.
(function () {
  "use strict";
  var root = document.getElementById("dashboard-tools");
  if (!root) return;
  var slug = root.dataset.slug;
  var names = JSON.parse(root.dataset.paramNames);
  // The same query strings as the toolbar's (dashboard.js runs first).
  var toQuery = window.dashEngine.toQuery;
  var pagePath = new URL(root.dataset.pageUrl, window.location.href).pathname;
  // On a saved report (see dashboard.js), its own address while its parameters are on screen.
  var reportPath = root.dataset.reportUrl ? new URL(root.dataset.reportUrl, window.location.href).pathname : "";
  var reportQuery = reportPath ? toQuery(JSON.parse(root.dataset.reportParams)) : null;
  var frame = document.getElementById("dash-app");
  var reset = document.getElementById("reset-params");
  var status = document.getElementById("tool-status");
  // The query of the values on screen: at first, those the page opened with (the address
  // shows them already, or the defaults, or a report); then each good view the app posts.
  var shown = root.dataset.openedParams ? toQuery(JSON.parse(root.dataset.openedParams)) : null;
  var lastFiltersUrl = root.dataset.lastFiltersUrl || "";
  var saveTimer = null;

  // A link opened without its bad parts: the address shows what is on screen instead.
  if (root.dataset.dropped === "true") {
    var opened = new URL(root.dataset.viewUrl);
    window.history.replaceState(window.history.state, "", opened.pathname + opened.search);
  }

  function csrfToken() {
    var field = document.querySelector("input[name=csrfmiddlewaretoken]");
    return field ? field.value : "";
  }

  // Kept for the next visit, a moment after the view settles (one request per pause),
  // or at once when the page is left (a report saved, a link followed).
  var pending = null;

  function send() {
    window.clearTimeout(saveTimer);
    if (pending === null) return;
    var body = JSON.stringify({ params: pending });
    pending = null;
    window.fetch(lastFiltersUrl, {
      method: "POST",
      credentials: "same-origin",
      keepalive: true,
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken() },
      body: body,
    }).catch(function () { /* remembering is a convenience: the view itself is unaffected */ });
  }

  function remember(params, now) {
    if (!lastFiltersUrl || !window.fetch) return;
    pending = params;
    window.clearTimeout(saveTimer);
    if (now) send();
    else saveTimer = window.setTimeout(send, 600);
  }
  window.addEventListener("pagehide", send);

  window.addEventListener("message", function (event) {
    if (event.origin !== window.location.origin || !event.data || event.data.type !== "dashengine:params") return;
    if (event.data.slug !== slug || !window.dashEngine.isGood(event.data) || !event.data.params) return;
    var query = toQuery(event.data.params);
    // The values the page opened with: the address already shows them (or the defaults, or a report).
    if (query === shown) return;
    if (shown === null) { shown = query; return; }
    shown = query;
    remember(event.data.params);
    var address = reportPath && query === reportQuery ? reportPath : pagePath + query;
    // Replaced, not pushed: Back leaves the dashboard rather than stepping through every change.
    window.history.replaceState(window.history.state, "", address);
  });

  // The notes above the dashboard: Dismiss hides one; the remembered-filters note has its own Reset.
  document.querySelectorAll("[data-dismiss]").forEach(function (button) {
    button.addEventListener("click", function () {
      var note = document.getElementById(button.dataset.dismiss);
      if (note) note.hidden = true;
    });
  });
  var noticeReset = document.getElementById("notice-reset");
  if (noticeReset && reset) {
    noticeReset.addEventListener("click", function () {
      reset.click();
      var note = document.getElementById("remembered-notice");
      if (note) note.hidden = true;
    });
  }

  if (!reset) return;
  reset.addEventListener("click", function () {
    var defaults = JSON.parse(reset.dataset.defaults); // {id: {property: value}}
    var starting = {};
    names.forEach(function (name) {
      var props = defaults[name];
      starting[name] = props[Object.keys(props)[0]];
    });
    // The remembered filters go with Reset, whichever way the defaults come back below.
    remember(starting, true);
    var app = frame && frame.contentWindow;
    var clientside = app && app.dash_clientside;
    var ready = app && app.document && app.document.documentElement.getAttribute("data-frame") === "ready";
    if (ready && clientside && clientside.set_props) {
      try {
        names.forEach(function (name) {
          // Built in the frame's own window, as if the app had made the value itself.
          clientside.set_props(name, app.JSON.parse(JSON.stringify(defaults[name])));
        });
        status.textContent = "Filters reset.";
        status.className = "tool-status tool-status-ok";
        // On a phone the button sits in a panel over the dashboard: close it to show the result.
        var panel = reset.closest("[popover]");
        if (panel && panel.hidePopover && panel.matches(":popover-open")) panel.hidePopover();
        return;
      } catch (error) {
        // Fall through: open the dashboard afresh with its defaults.
      }
    }
    var values = {};
    names.forEach(function (name) {
      var props = defaults[name];
      values[name] = props[Object.keys(props)[0]];
    });
    window.location.assign(pagePath + toQuery(values));
  });
})();
