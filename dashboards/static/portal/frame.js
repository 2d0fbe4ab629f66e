// What the portal adds to every dashboard's page inside its frame, whatever the
// dashboard (portal/frame.css has the looks):
// - the portal's theme: <html data-theme> of this page follows the page around
//   it (same origin), or the device's setting when there is none;
// - a skeleton until the first draw, instead of empty panels;
// - a plain, themed message when an update fails (an answer that is an error or
//   never comes, or a callback that raises), with Retry and Dismiss; "still working"
//   when an update takes a few seconds;
// - each declared parameter checked at its control, the charts marked when they
//   no longer match the controls, and the page around told only of good views;
// - typed dates read in the reader's own order.
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

  // ---- Notes: failures, slow updates, a view that no longer matches its controls ----
  // They sit in the page's flow above the charts of a dashboard-kit page (`.de-charts`),
  // so the charts shrink rather than lose their x-axis under a note; on other apps,
  // at the bottom of the window. Each is themed and has a way out.
  var MESSAGES = {
    offline: "The connection was lost, so this view was not updated: the charts still show the earlier result.",
    signedOut: "You are signed out, or this dashboard is no longer shared with you. Reload the page to continue.",
    busy: "The service is busy right now, so this view was not updated: the charts still show the earlier result.",
    refused: "This change could not be applied. Reload the page and try again.",
    failed: "Something went wrong on our side, so this view was not updated: the charts still show the earlier result.",
    notLoaded: "This dashboard could not be loaded. Try again in a moment; if it keeps failing, tell the people who run the portal.",
  };
  // What each problem offers: Retry sends the failed update again (or loads the app
  // again); Reload reloads the whole page, for a sign-in or a page that is out of date.
  var RELOAD = { signedOut: true, refused: true };
  var box, notes, slowNote, staleNote;

  function noteArea() {
    if (notes && notes.isConnected) return notes;
    notes = document.createElement("div");
    notes.className = "pf-notes";
    var charts = document.querySelector(".de-root > .de-charts");
    if (charts) {
      charts.parentNode.insertBefore(notes, charts);
    } else {
      notes.className += " pf-notes-floating";
      document.body.appendChild(notes);
    }
    return notes;
  }

  function button(text, className, onClick) {
    var b = document.createElement("button");
    b.type = "button";
    b.className = className;
    b.textContent = text;
    b.addEventListener("click", onClick);
    return b;
  }

  function say(kind, text) {
    if (!document.body) {
      document.addEventListener("DOMContentLoaded", function () { say(kind, text); });
      return;
    }
    if (!box) {
      box = document.createElement("div");
      box.className = "pf-problem";
      box.setAttribute("role", "alert");
      box.appendChild(document.createElement("p"));
      box.appendChild(button("Retry", "pf-retry", function () { clear(); retry(); }));
      box.appendChild(button("Back to the earlier choices", "pf-restore", function () { clear(); restore(); }));
      box.appendChild(button("Reload", "pf-reload", function () { window.top.location.reload(); }));
      box.appendChild(button("Dismiss", "pf-dismiss", clear));
    }
    if (root.getAttribute("data-frame") === "failed" || kind === "notLoaded") {
      // Nothing else on the page: the note is the page.
      box.classList.add("pf-problem-page");
      document.body.appendChild(box);
    } else {
      box.classList.remove("pf-problem-page");
      noteArea().insertBefore(box, noteArea().firstChild);
    }
    box.firstChild.textContent = text || MESSAGES[kind];
    box.querySelector(".pf-reload").hidden = !RELOAD[kind];
    box.querySelector(".pf-retry").hidden = Boolean(RELOAD[kind]);
    box.querySelector(".pf-restore").hidden = !(kind !== "notLoaded" && view.good && view.changed());
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

  // "Still working…" once an update has taken a few seconds: the veil alone could be a hang.
  var SLOW_AFTER = 3000;
  var slowTimer = null;

  function slow(on) {
    window.clearTimeout(slowTimer);
    slowTimer = null;
    if (!on) {
      if (slowNote) slowNote.hidden = true;
      return;
    }
    slowTimer = window.setTimeout(function () {
      if (root.getAttribute("data-frame") !== "ready") return; // the skeleton says it already
      if (!slowNote) {
        slowNote = document.createElement("p");
        slowNote.className = "pf-slow";
        slowNote.setAttribute("role", "status");
        slowNote.textContent = "Still working on your change… The charts will update when it is done.";
      }
      noteArea().appendChild(slowNote);
      slowNote.hidden = false;
    }, SLOW_AFTER);
  }

  // dash-renderer asks for everything with fetch: the page's layout and callbacks
  // first, then each update. In production it shows nothing when one fails.
  // Updates are numbered as they are sent: one that works takes the message away only
  // if it was sent after the one that failed (one click may send several at once).
  // A callback that raises is answered 200 with the portal's note in `sideUpdate`
  // (dashboards/hosting/loader.py): that is a failure too.
  var nativeFetch = window.fetch;
  var sent = 0;
  var lastFailed = 0;
  var inflight = 0;
  var failedChange = null; // the inputs of the last update that failed: what Retry sends again
  var ERROR_NOTE = "_portal_error";
  if (nativeFetch) {
    window.fetch = function (input, init) {
      var url = typeof input === "string" ? input : (input && input.url) || String(input);
      var kind = /_dash-update-component(\?|$)/.test(url) ? "update" : /_dash-(layout|dependencies)(\?|$)/.test(url) ? "start" : null;
      var answer = nativeFetch.apply(this, arguments);
      if (!kind) return answer;
      var number = ++sent;
      var changed = kind === "update" ? changedOf(init) : null;
      if (kind === "update" && ++inflight === 1) slow(true);
      function done() {
        if (kind === "update" && --inflight === 0) slow(false);
      }
      return answer.then(
        function (response) {
          done();
          if (!response.ok) {
            lastFailed = number;
            failedChange = changed;
            failed(kind, response.status);
          } else if (kind === "update") {
            response.clone().json().then(function (body) {
              var note = body && body.sideUpdate && body.sideUpdate[ERROR_NOTE];
              if (note && note.children) {
                lastFailed = number;
                failedChange = changed;
                view.failed = true;
                say("failed", String(note.children));
              } else if (number > lastFailed) {
                clear();
              }
            }, function () {
              if (number > lastFailed) clear(); // 204: nothing to update
            });
          }
          return response;
        },
        function (error) {
          done();
          if (!error || error.name !== "AbortError") {
            lastFailed = number;
            failedChange = changed;
            failed(kind, 0);
          }
          throw error;
        }
      );
    };
  }

  function changedOf(init) {
    try {
      var body = JSON.parse(init && init.body);
      return Array.isArray(body.changedPropIds) ? body.changedPropIds : [];
    } catch (error) {
      return [];
    }
  }

  function failed(kind, status) {
    if (kind === "start") {
      if (status === 401 || status === 403) {
        say("signedOut");
      } else {
        // dash-renderer writes "Error loading layout" in the page: the note replaces it.
        ready();
        root.setAttribute("data-frame", "failed");
        say("notLoaded");
      }
      ready();
    } else {
      view.failed = true;
      say(problem(status));
    }
  }

  // ---- Dash's own state: read a prop, set one as if the user had --------------------
  function propOf(id, prop) {
    var state = window.store && window.store.getState && window.store.getState();
    var path = state && state.paths && state.paths.strs && state.paths.strs[id];
    if (!path) return undefined;
    var node = state.layout;
    for (var i = 0; i < path.length && node; i++) node = node[path[i]];
    return node && node.props ? node.props[prop] : undefined;
  }

  function setProp(id, prop, value) {
    var clientside = window.dash_clientside;
    if (!clientside || !clientside.set_props) return false;
    var props = {};
    props[prop] = value;
    clientside.set_props(id, props);
    return true;
  }

  // Retry: the inputs of the update that failed, set again to what they hold, so
  // their callbacks run again; a failure with no input to name loads the app again.
  function retry() {
    var again = (failedChange || []).filter(function (key) { return key.indexOf(".") > 0 && key.charAt(0) !== "{"; });
    if (!again.length || root.getAttribute("data-frame") === "failed") {
      window.location.reload();
      return;
    }
    view.failed = false;
    again.forEach(function (key) {
      var dot = key.lastIndexOf(".");
      var id = key.slice(0, dot), prop = key.slice(dot + 1);
      setProp(id, prop, propOf(id, prop));
    });
  }

  // ---- The view's parameters ------------------------------------------------------
  // Each declared parameter is checked at its control when it changes (the rules come
  // from the dashboard's declaration, dashkit.spec `checks`): a value the view cannot use
  // is marked there, in business words, and the charts keep the last good result, marked
  // as not matching the controls. The page around the frame hears of the values only
  // once the view shows them (every update answered, none failed, no refusal on screen):
  // its link, CSV and saved filters describe the last good view, never a half-applied one.
  var view = {
    slug: null,
    checks: null,
    good: null, // the last values the view showed
    asked: null, // the values on the controls
    failed: false,
    changed: function () { return JSON.stringify(view.asked) !== JSON.stringify(view.good); },
  };

  function capital(text) {
    return text.charAt(0).toUpperCase() + text.slice(1);
  }

  function problemsOf(params, checks) {
    var found = {};
    checks.params.forEach(function (p) {
      var v = params[p.name];
      var bad = false;
      if (p.kind === "number") {
        bad = typeof v !== "number" || !isFinite(v) || v < p.min || v > p.max || (p.integer && Math.floor(v) !== v);
      } else if (p.kind === "choice") {
        bad = p.choices.indexOf(v) < 0;
      } else if (p.kind === "multi") {
        var list = Array.isArray(v) ? v : v === null || v === undefined ? [] : [v];
        bad = list.length < p.min_items || list.length > p.max_items ||
          list.some(function (item) { return p.choices.indexOf(item) < 0; });
      } else if (p.kind === "date") {
        var day = typeof v === "string" ? v.slice(0, 10) : "";
        bad = !/^\d{4}-\d{2}-\d{2}$/.test(day) || day < p.min || day > p.max;
      }
      if (bad) found[p.name] = { text: p.label + ": " + p.hint, field: capital(p.hint) + "." };
    });
    checks.rules.forEach(function (rule) {
      if (found[rule.first] || found[rule.last]) return;
      var first = params[rule.first], last = params[rule.last];
      if (typeof first === "string") { first = first.slice(0, 10); last = String(last).slice(0, 10); }
      if (first > last) {
        var hint = rule.text.slice(rule.text.indexOf(": ") + 2);
        found[rule.first] = { text: rule.text, field: capital(hint) + "." };
      }
    });
    return found;
  }

  // The element a person fills in: the field itself, or the button of a dropdown.
  function fieldOf(id) {
    var element = document.getElementById(id);
    if (!element) return null;
    if (element.matches("input, select, textarea, button")) return element;
    return element.querySelector("input:not([type=hidden]), button, select, textarea") || element;
  }

  function mark(checks, found) {
    checks.params.forEach(function (p) {
      var element = document.getElementById(p.name);
      var field = fieldOf(p.name);
      var noteId = "pf-field-problem-" + p.name;
      var note = document.getElementById(noteId);
      if (!element || !field) return;
      var described = (field.getAttribute("aria-describedby") || "").split(" ").filter(function (d) { return d && d !== noteId; });
      if (!found[p.name]) {
        if (note) note.remove();
        unset(field, "aria-invalid");
        if (described.length) set(field, "aria-describedby", described.join(" "));
        else unset(field, "aria-describedby");
        var quiet = element.closest(".de-control");
        if (quiet) quiet.classList.remove("pf-invalid");
        return;
      }
      if (!note) {
        note = document.createElement("p");
        note.id = noteId;
        note.className = "pf-field-problem";
        var control = element.closest(".de-control");
        (control || element.parentNode).appendChild(note);
      }
      note.textContent = found[p.name].field;
      set(field, "aria-invalid", "true");
      set(field, "aria-describedby", described.concat([noteId]).join(" "));
      var holder = element.closest(".de-control");
      if (holder) holder.classList.add("pf-invalid");
    });
  }

  function showStale(texts) {
    if (!staleNote) {
      staleNote = document.createElement("div");
      staleNote.className = "pf-stale";
      staleNote.setAttribute("role", "status");
      staleNote.appendChild(document.createElement("p"));
      staleNote.appendChild(button("Back to the last good choices", "pf-restore", restore));
    }
    var words = "The charts still show your last good choices, not what the controls say now. ";
    staleNote.firstChild.textContent = words + texts.map(function (t) { return t + "."; }).join(" ");
    staleNote.lastChild.hidden = !view.good;
    noteArea().appendChild(staleNote);
    staleNote.hidden = false;
    root.setAttribute("data-pf-stale", "invalid");
  }

  function hideStale() {
    if (staleNote) staleNote.hidden = true;
    if (root.getAttribute("data-pf-stale") === "invalid") root.removeAttribute("data-pf-stale");
  }

  // The controls back to the values the view last showed (their callbacks run again).
  function restore() {
    if (!view.good || !view.checks) return;
    view.failed = false;
    view.checks.params.forEach(function (p) {
      if (JSON.stringify(view.asked && view.asked[p.name]) !== JSON.stringify(view.good[p.name])) {
        setProp(p.name, p.prop, view.good[p.name]);
      }
    });
  }

  function tell(state, params, texts) {
    if (window.parent === window) return;
    window.parent.postMessage(
      { type: "dashengine:params", slug: view.slug, params: params, state: state, problems: texts || [] },
      window.location.origin
    );
  }

  // Whether the dashboard itself refused what it was given (a kit page's `.de-error` note).
  function refusedOnScreen() {
    var notes = document.querySelectorAll(".de-error");
    for (var i = 0; i < notes.length; i++) if (notes[i].textContent.trim()) return true;
    return false;
  }

  var settleTimer = null;
  function settle() {
    window.clearTimeout(settleTimer);
    var calmTimes = 0;
    (function wait() {
      var state = window.store && window.store.getState && window.store.getState();
      var busy = inflight > 0 || (state && state.isLoading) || root.getAttribute("data-frame") === "starting";
      calmTimes = busy ? 0 : calmTimes + 1;
      if (calmTimes < 3) {
        settleTimer = window.setTimeout(wait, 60);
        return;
      }
      if (view.failed) {
        root.setAttribute("data-pf-stale", "failed");
        tell("failed", view.good);
      } else if (refusedOnScreen()) {
        root.setAttribute("data-pf-stale", "refused");
        tell("refused", view.good);
      } else {
        view.good = view.asked;
        root.removeAttribute("data-pf-stale");
        tell("good", view.good);
      }
    })();
  }

  window.dashEngineFrame = {
    params: function (slug, params, checks) {
      view.slug = slug;
      view.checks = checks;
      view.asked = params;
      view.failed = false;
      var found = problemsOf(params, checks);
      var texts = Object.keys(found).map(function (name) { return found[name].text; });
      var apply = function () { mark(checks, found); };
      if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", apply);
      else window.requestAnimationFrame(apply);
      if (texts.length) {
        window.clearTimeout(settleTimer);
        root.setAttribute("data-pf-problems", "true");
        showStale(texts);
        tell("invalid", view.good, texts);
        return;
      }
      root.removeAttribute("data-pf-problems");
      hideStale();
      settle();
    },
  };

  // ---- Typed dates ------------------------------------------------------------------
  // Dash's date fields read only their display format (YYYY-MM-DD here) and silently
  // keep the old day for anything else. Here a day typed in the reader's own order
  // (31/12/2010 in Britain, 12/31/2010 in the US; 2010-12-31 anywhere) is taken; one
  // that cannot be read, or lies outside the dates offered, is said so at the field.
  function localeOrder() {
    try {
      var parts = new Intl.DateTimeFormat(navigator.language || "en-GB").formatToParts(new Date(2010, 11, 31));
      return parts.filter(function (p) { return p.type === "day" || p.type === "month" || p.type === "year"; })
        .map(function (p) { return p.type; });
    } catch (error) {
      return ["day", "month", "year"];
    }
  }

  function pad(n) { return (n < 10 ? "0" : "") + n; }

  function readDay(text) {
    text = text.trim();
    var iso = /^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})$/.exec(text);
    var y, m, d;
    if (iso) {
      y = +iso[1]; m = +iso[2]; d = +iso[3];
    } else {
      var bits = /^(\d{1,2})[-/. ](\d{1,2})[-/. ](\d{4})$/.exec(text);
      if (!bits) return null;
      var a = +bits[1], b = +bits[2];
      y = +bits[3];
      var monthFirst = localeOrder()[0] === "month";
      if (a > 12 && b <= 12) monthFirst = false;
      else if (b > 12 && a <= 12) monthFirst = true;
      m = monthFirst ? a : b;
      d = monthFirst ? b : a;
    }
    var day = new Date(Date.UTC(y, m - 1, d));
    if (day.getUTCFullYear() !== y || day.getUTCMonth() !== m - 1 || day.getUTCDate() !== d) return null;
    return y + "-" + pad(m) + "-" + pad(d);
  }

  function dateBounds(id) {
    var check = view.checks && view.checks.params.filter(function (p) { return p.name === id && p.kind === "date"; })[0];
    if (check) return { min: check.min, max: check.max };
    var min = propOf(id, "min_date_allowed"), max = propOf(id, "max_date_allowed");
    return { min: min ? String(min).slice(0, 10) : "0000-00-00", max: max ? String(max).slice(0, 10) : "9999-99-99" };
  }

  var refusedAt = {};

  function takeTypedDay(input) {
    var text = input.value;
    var id = input.id;
    if (!id || !text.trim() || propOf(id, "date") === undefined) return;
    var day = readDay(text);
    var current = String(propOf(id, "date") || "").slice(0, 10);
    // Dash puts the old day back in the field after a refusal: that is not a new choice.
    if (day === current && Date.now() - (refusedAt[id] || 0) < 1500) return;
    var noteId = "pf-date-problem-" + id;
    var note = document.getElementById(noteId);
    var bounds = dateBounds(id);
    var problemText = null;
    if (!day) problemText = "“" + text.trim().slice(0, 30) + "” is not a day we can read: type it like " + example() + ".";
    else if (day < bounds.min || day > bounds.max) problemText = "Pick a day from " + bounds.min + " to " + bounds.max + ".";
    if (problemText) {
      if (!note) {
        note = document.createElement("p");
        note.id = noteId;
        note.className = "pf-field-problem";
        var control = input.closest(".de-control") || input.closest(".dash-datepicker") || input.parentNode;
        control.appendChild(note);
      }
      note.textContent = problemText;
      refusedAt[id] = Date.now();
      set(input, "aria-invalid", "true");
      set(input, "aria-describedby", noteId);
      return;
    }
    if (note) note.remove();
    unset(input, "aria-invalid");
    if (input.getAttribute("aria-describedby") === noteId) unset(input, "aria-describedby");
    if (day !== current) setProp(id, "date", day);
  }

  function example() {
    var order = localeOrder();
    var parts = { day: "31", month: "12", year: "2010" };
    return order.map(function (p) { return parts[p]; }).join("/") + " or 2010-12-31";
  }

  document.addEventListener("keydown", function (event) {
    var input = event.target;
    if (!input.matches || !input.matches("input.dash-datepicker-input")) return;
    if (event.key === "Enter" || event.key === "Tab") takeTypedDay(input);
  }, true);
  document.addEventListener("focusout", function (event) {
    var input = event.target;
    if (input.matches && input.matches("input.dash-datepicker-input")) takeTypedDay(input);
  }, true);

  // ---- Until the first draw ---------------------------------------------------
  // Drawn: the renderer has put the layout on the page, no callback is pending
  // (those the layout starts, and those they start in turn) and every chart has
  // finished drawing, twice in a row so that a callback starting next is seen:
  // looked at every 20 ms, and at once when a chart is drawn.
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

  // A chart was just drawn (portal/plotly-defaults.js): looked at at once, and again
  // right after (a callback its answer started shows by then), not at the next tick.
  window.addEventListener("dashengine:drawn", function () {
    if (root.getAttribute("data-frame") !== "starting" || !drawn()) return;
    window.setTimeout(function () {
      if (drawn()) ready();
    }, 0);
  });

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
