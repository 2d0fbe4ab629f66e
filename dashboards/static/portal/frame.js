// What the portal adds to every dashboard's page inside its frame, whatever the
// dashboard (portal/frame.css has the looks):
// - the portal's theme: <html data-theme> of this page follows the page around
//   it (same origin), or the device's setting when there is none;
// - a skeleton until the first draw, instead of empty panels;
// - a plain message when an update fails: the dashboard's own note covers a
//   callback that raises; this one covers an answer that is an error or never comes.
// Loaded in <head> before Dash's own scripts, so that it sees every request.
(function () {
  "use strict";
  var root = document.documentElement;

  // ---- Theme ----------------------------------------------------------------
  var device = window.matchMedia ? window.matchMedia("(prefers-color-scheme: dark)") : null;

  function portalTheme() {
    try {
      if (window.parent === window) return null;
      var theme = window.parent.document.documentElement.getAttribute("data-theme");
      return theme === "light" || theme === "dark" ? theme : null;
    } catch (error) {
      return null; // a page of another site around this one: it has no say
    }
  }

  function applyTheme() {
    var theme = portalTheme() || (device && device.matches ? "dark" : "light");
    if (root.getAttribute("data-theme") === theme) return;
    root.setAttribute("data-theme", theme);
    // The charts (portal/plotly-defaults.js) follow.
    window.dispatchEvent(new CustomEvent("dashengine:theme", { detail: theme }));
  }

  applyTheme();
  if (portalTheme()) {
    new MutationObserver(applyTheme).observe(window.parent.document.documentElement, {
      attributes: true,
      attributeFilter: ["data-theme"],
    });
  }
  if (device && device.addEventListener) device.addEventListener("change", applyTheme);

  // ---- Messages ---------------------------------------------------------------
  var MESSAGES = {
    offline:
      "The connection was lost, so this view was not updated. Check your connection, then change a filter to try again.",
    signedOut: "You are signed out, or this dashboard is no longer shared with you. Reload the page to continue.",
    busy: "The service is busy right now, so this view was not updated. Try again in a moment.",
    refused: "This change could not be applied. Reload the page and try again.",
    failed: "Something went wrong on our side, so this view was not updated. Try again in a moment.",
    notLoaded: "This dashboard could not be loaded. Reload the page to try again.",
  };
  var RELOAD = { signedOut: true, refused: true, notLoaded: true };
  var box;

  function say(kind) {
    if (!document.body) {
      document.addEventListener("DOMContentLoaded", function () { say(kind); });
      return;
    }
    if (!box) {
      box = document.createElement("div");
      box.className = "pf-problem";
      box.setAttribute("role", "alert");
      box.appendChild(document.createElement("p"));
      var reload = document.createElement("button");
      reload.type = "button";
      reload.className = "pf-reload";
      reload.textContent = "Reload";
      reload.addEventListener("click", function () { window.top.location.reload(); });
      var dismiss = document.createElement("button");
      dismiss.type = "button";
      dismiss.textContent = "Dismiss";
      dismiss.addEventListener("click", clear);
      box.appendChild(reload);
      box.appendChild(dismiss);
      document.body.appendChild(box);
    }
    box.firstChild.textContent = MESSAGES[kind];
    box.querySelector(".pf-reload").hidden = !RELOAD[kind];
    box.hidden = false;
  }

  function clear() {
    if (box) box.hidden = true;
  }

  function problem(status) {
    if (status === 0) return "offline";
    if (status === 401 || status === 403) return "signedOut";
    if (status === 503 || status === 429) return "busy";
    if (status >= 400 && status < 500) return "refused";
    return "failed";
  }

  // dash-renderer asks for everything with fetch: the page's layout and callbacks
  // first, then each update. In production it shows nothing when one fails.
  // Updates are numbered as they are sent: one that works takes the message away only
  // if it was sent after the one that failed (one click may send several at once).
  var nativeFetch = window.fetch;
  var sent = 0;
  var lastFailed = 0;
  if (nativeFetch) {
    window.fetch = function (input) {
      var url = typeof input === "string" ? input : (input && input.url) || String(input);
      var kind = /_dash-update-component(\?|$)/.test(url) ? "update" : /_dash-(layout|dependencies)(\?|$)/.test(url) ? "start" : null;
      var answer = nativeFetch.apply(this, arguments);
      if (!kind) return answer;
      var number = ++sent;
      return answer.then(
        function (response) {
          if (response.ok) {
            if (kind === "update" && number > lastFailed) clear();
          } else {
            lastFailed = number;
            failed(kind, response.status);
          }
          return response;
        },
        function (error) {
          if (!error || error.name !== "AbortError") {
            lastFailed = number;
            failed(kind, 0);
          }
          throw error;
        }
      );
    };
  }

  function failed(kind, status) {
    if (kind === "start") {
      say(status === 401 || status === 403 ? "signedOut" : "notLoaded");
      ready();
    } else {
      say(problem(status));
    }
  }

  // ---- Until the first draw ---------------------------------------------------
  // Drawn: the renderer has put the layout on the page, no callback is pending
  // (those the layout starts, and those they start in turn) and every chart has
  // finished drawing, twice in a row so that a callback starting next is seen.
  root.setAttribute("data-frame", "starting");
  var skeleton;
  var calm = 0;

  function drawn() {
    var app = document.getElementById("react-entry-point");
    if (!app || !app.firstElementChild || app.querySelector("._dash-loading")) return false;
    var store = window.store;
    if (store && store.getState) {
      var state = store.getState();
      if (state.appLifecycle !== "HYDRATED" || state.isLoading) return false;
    }
    // A graph stays "pending" for a while after plotly.js has drawn it (js-plotly-plot):
    // drawn is enough.
    return !document.querySelector(
      "._dash-loading-callback, .dash-graph--pending:not(.js-plotly-plot), [data-dash-is-loading='true']"
    );
  }

  function ready() {
    if (root.getAttribute("data-frame") !== "starting") return;
    root.setAttribute("data-frame", "ready");
    if (skeleton) skeleton.remove();
  }

  function watch() {
    if (root.getAttribute("data-frame") !== "starting") return;
    calm = drawn() ? calm + 1 : 0;
    if (calm >= 2) ready();
    else window.setTimeout(watch, 20);
  }

  function showSkeleton() {
    skeleton = document.createElement("div");
    skeleton.className = "pf-skeleton";
    skeleton.setAttribute("role", "status");
    var words = document.createElement("span");
    words.className = "pf-visually-hidden";
    words.textContent = "Loading the dashboard…";
    skeleton.appendChild(words);
    [["pf-skeleton-row", 4], ["pf-skeleton-row pf-skeleton-pills", 2], ["pf-skeleton-panels", 2]].forEach(function (spec) {
      var row = document.createElement("div");
      row.className = spec[0];
      row.setAttribute("aria-hidden", "true");
      for (var i = 0; i < spec[1]; i++) row.appendChild(document.createElement("i"));
      skeleton.appendChild(row);
    });
    document.body.appendChild(skeleton);
    watch();
  }

  // As soon as the page has a body, before the renderer's scripts below it load.
  if (document.body) {
    showSkeleton();
  } else {
    new MutationObserver(function (records, observer) {
      if (!document.body) return;
      observer.disconnect();
      showSkeleton();
    }).observe(root, { childList: true });
  }
  // A callback that never answers must not hide the page for good: its outputs
  // then show the busy veil instead.
  window.setTimeout(ready, 30000);

  // ---- Accessibility of Dash's own components ---------------------------------
  // Dash 4's components leave gaps that screen readers (and axe-core) trip on.
  // Each repair is keyed on Dash's class names, so an app's own markup is left
  // alone; React does not undo them, as it only writes attributes whose props change.
  var made = 0;

  function idOf(element) {
    if (!element.id) element.id = "pf-a11y-" + ++made;
    return element.id;
  }

  function labelOf(id) {
    return id ? document.querySelector('label[for="' + CSS.escape(id) + '"]') : null;
  }

  function set(element, name, value) {
    if (element.getAttribute(name) !== value) element.setAttribute(name, value);
  }

  function unset(element, name) {
    if (element.hasAttribute(name)) element.removeAttribute(name);
  }

  function repair() {
    // Dropdown: Tab reaches the button itself rather than a hidden input that
    // hands focus on; the button is named by its label, then by what it shows.
    document.querySelectorAll(".dash-dropdown-focus-target").forEach(function (relay) {
      var button = relay.nextElementSibling;
      if (!button || button.tagName !== "BUTTON") return;
      set(relay, "tabindex", "-1");
      if (!button.disabled) set(button, "tabindex", "0");
      var label = labelOf(button.id);
      set(button, "aria-labelledby", (label ? idOf(label) + " " : "") + button.id);
      set(button, "aria-haspopup", "dialog"); // see the list below
    });
    // Checklist, RadioItems and an open dropdown's list: each option is a native
    // checkbox or radio with its own label, and the one that takes focus; so the
    // list is a group of them, named by the control's label, not a listbox.
    document.querySelectorAll(".dash-options-list").forEach(function (list) {
      set(list, "role", list.querySelector("input[type=radio]") ? "radiogroup" : "group");
      var label = labelOf(list.id);
      if (label) set(list, "aria-labelledby", idOf(label));
      list.querySelectorAll(".dash-options-list-option").forEach(function (option) {
        unset(option, "role");
        unset(option, "aria-selected");
      });
    });
    // Date pickers: the box around the field is what opens the calendar; the
    // field is named by its label, not by the placeholder every picker shares.
    document.querySelectorAll(".dash-datepicker-input-wrapper").forEach(function (box) {
      set(box, "role", "group");
      box.querySelectorAll("input.dash-datepicker-input").forEach(function (input) {
        if (labelOf(input.id) && input.getAttribute("aria-label") === input.getAttribute("placeholder")) {
          unset(input, "aria-label");
        }
      });
    });
    document.querySelectorAll(".dash-datepicker-controls input[type=number]:not([aria-label])").forEach(function (year) {
      year.setAttribute("aria-label", "Year");
    });
    // Number fields' + and - buttons say which field they change.
    document.querySelectorAll(".dash-input-stepper[aria-controls]").forEach(function (button) {
      var field = document.getElementById(button.getAttribute("aria-controls"));
      var label = labelOf(field && field.id);
      var name = label ? label.textContent.trim() : field && field.getAttribute("aria-label");
      if (!name) return;
      var verb = button.classList.contains("dash-stepper-decrement") ? "Decrease " : "Increase ";
      set(button, "aria-label", verb + name);
    });
    // Each chart's toolbar says which chart it acts on.
    document.querySelectorAll(".js-plotly-plot").forEach(function (plot, index) {
      var title = plot.querySelector(".gtitle");
      var chart = (title && title.textContent.trim()) || "chart " + (index + 1);
      plot.querySelectorAll(".modebar-btn[data-title]").forEach(function (button) {
        set(button, "aria-label", button.getAttribute("data-title") + ", " + chart);
      });
    });
    // An open dropdown or calendar, and a dropdown's list, are named by the label
    // of the control that opened them.
    document.querySelectorAll("[role=dialog]:not([aria-label])").forEach(function (popup) {
      var opener = popup.id && document.querySelector('[aria-controls="' + CSS.escape(popup.id) + '"]');
      if (!opener) return;
      var field = opener.matches("input, button") ? opener : opener.querySelector("input, button");
      var label = labelOf(opener.id) || labelOf(field && field.id);
      var name = label ? idOf(label) : idOf(opener);
      set(popup, "aria-labelledby", name);
      popup.querySelectorAll(".dash-options-list").forEach(function (list) {
        set(list, "aria-labelledby", name);
      });
    });
  }

  var pending = false;
  function soon() {
    if (pending) return;
    pending = true;
    window.requestAnimationFrame(function () {
      pending = false;
      repair();
    });
  }

  new MutationObserver(soon).observe(root, {
    childList: true,
    subtree: true,
    attributes: true,
    attributeFilter: ["tabindex", "role", "aria-selected", "aria-labelledby", "aria-label"],
  });

  // ---- Dash Pages inside the portal -------------------------------------------
  // The page around a Pages app's frame (portal/dashboard.js, `data-pages` on the
  // iframe) owns the history: one entry per page, with the portal's address of the
  // page. So here a page change (dcc.Link, dcc.Location) replaces this frame's
  // address instead of adding an entry, and the page around is told the address and
  // the title; back/forward there come back as `dashengine:go`, which moves this
  // frame the way the browser's own back does (a popstate that dcc.Location follows).
  var portalFrame = null;
  try {
    portalFrame = window.frameElement;
  } catch (error) {
    portalFrame = null; // framed by another site: nothing to tell it
  }
  if (portalFrame && portalFrame.dataset && portalFrame.dataset.pages === "true") followPages();

  function followPages() {
    var replaceState = window.history.replaceState;
    var told = "";

    function tell() {
      var now = window.location.pathname + "\n" + document.title;
      if (now === told) return;
      told = now;
      window.parent.postMessage(
        { type: "dashengine:page", path: window.location.pathname, title: document.title },
        window.location.origin
      );
    }

    window.history.pushState = function (state, unused, url) {
      replaceState.call(window.history, state, unused, url);
      tell();
    };
    // Dash Pages sets document.title once the page is drawn (the page's own <title> is the app's).
    new MutationObserver(tell).observe(document.head, { childList: true, subtree: true, characterData: true });

    // Only a path on this site, of URL path characters, without `..`: the page around
    // can move this frame between the app's pages, nowhere else.
    var PATH = /^\/[A-Za-z0-9._~\/-]*$/;
    function appPrefix() {
      var config = document.getElementById("_dash-config");
      try {
        return JSON.parse(config.textContent).requests_pathname_prefix || "/\u0000";
      } catch (error) {
        return "/\u0000"; // no config, no move
      }
    }
    window.addEventListener("message", function (event) {
      if (event.origin !== window.location.origin || event.source !== window.parent) return;
      var data = event.data;
      if (!data || data.type !== "dashengine:go" || typeof data.path !== "string") return;
      if (!PATH.test(data.path) || /\/\.\.?(\/|$)|\/\//.test(data.path)) return;
      if (data.path.indexOf(appPrefix()) !== 0) return; // this app's own pages only
      if (data.path === window.location.pathname) return;
      replaceState.call(window.history, {}, "", data.path);
      window.dispatchEvent(new PopStateEvent("popstate", { state: {} }));
      tell();
    });
  }
})();
