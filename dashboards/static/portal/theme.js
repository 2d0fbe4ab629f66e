// Light and dark. The server renders the user's choice on <html data-theme>;
// "Same as my device" is resolved here, in <head> before the page is drawn, and
// follows the device when it changes. On portal pages <html data-theme> always
// holds "light" or "dark" once this has run: the dashboards in their frames
// read it. In the Django admin (data-admin on this script) it holds the admin's
// own values, "auto", "light" or "dark", and the admin's styles do the rest.
(function () {
  "use strict";
  var script = document.currentScript;
  var root = document.documentElement;
  var admin = script.hasAttribute("data-admin");
  var saveUrl = script.getAttribute("data-url"); // absent for visitors who are not signed in
  var choice = script.getAttribute("data-choice") || "system";
  var device = window.matchMedia ? window.matchMedia("(prefers-color-scheme: dark)") : null;
  var BAR = { light: "#f4f6fa", dark: "#0b1220" }; // the browser's own bar, as the page's background

  function resolved() {
    if (choice === "light" || choice === "dark") return choice;
    return device && !device.matches ? "light" : "dark";
  }

  function apply() {
    var theme = admin ? (choice === "system" ? "auto" : choice) : resolved();
    // Set only on a change: the dashboards' frames observe this attribute.
    if (root.getAttribute("data-theme") !== theme) root.setAttribute("data-theme", theme);
    if (admin) return;
    var bar = document.querySelector('meta[name="theme-color"]');
    if (bar) bar.setAttribute("content", BAR[theme]);
    var scheme = document.querySelector('meta[name="color-scheme"]');
    if (scheme) scheme.setAttribute("content", theme);
    var buttons = document.querySelectorAll('#theme-form button[name="theme"]');
    for (var i = 0; i < buttons.length; i++) {
      buttons[i].setAttribute("aria-pressed", buttons[i].value === choice ? "true" : "false");
    }
  }

  apply();
  if (device) {
    if (device.addEventListener) device.addEventListener("change", apply);
    else if (device.addListener) device.addListener(apply);
  }

  function say(text) {
    var status = document.getElementById("theme-status");
    if (status) status.textContent = text;
  }

  // Shown at once, stored in the background; put back if it could not be stored.
  function choose(next) {
    var before = choice;
    choice = next;
    apply();
    say("");
    var token = document.querySelector('input[name="csrfmiddlewaretoken"]');
    var body = new URLSearchParams();
    body.set("theme", next);
    return fetch(saveUrl, {
      method: "POST",
      credentials: "same-origin",
      headers: { Accept: "application/json", "X-CSRFToken": token ? token.value : "" },
      body: body,
    }).then(function (response) {
      // A session that ended is redirected to the login page: nothing was stored.
      if (!response.ok || response.redirected) throw new Error("HTTP " + response.status);
    }).catch(function () {
      choice = before;
      apply();
      say("Your choice could not be saved. Please try again.");
    });
  }

  // The admin's own button cycles like Django's: each press changes what is seen.
  function nextInCycle() {
    var order = device && device.matches ? ["system", "light", "dark"] : ["system", "dark", "light"];
    return order[(order.indexOf(choice) + 1) % order.length];
  }

  // The account menu in the navigation closes like a menu: a click elsewhere, or Escape.
  function bindAccountMenu() {
    var menu = document.getElementById("account-menu");
    if (!menu) return;
    document.addEventListener("click", function (event) {
      if (menu.open && !menu.contains(event.target)) menu.open = false;
    });
    menu.addEventListener("keydown", function (event) {
      if (event.key !== "Escape" || !menu.open) return;
      menu.open = false;
      menu.querySelector("summary").focus();
    });
  }

  // The time zone this browser is in. Temporal answers at once; Intl.DateTimeFormat
  // first loads the locale's data, 20 to 80 ms on the main thread that a dashboard's
  // frame shares with this page while it starts.
  function browserZone() {
    if (window.Temporal && Temporal.Now && Temporal.Now.timeZoneId) return Temporal.Now.timeZoneId();
    return window.Intl && Intl.DateTimeFormat().resolvedOptions().timeZone;
  }

  // The time zone, kept with the account when it differs: e-mails scheduled "at 08:00
  // in each recipient's time zone" go out at 08:00 where the person is.
  function keepTimeZone() {
    var url = script.getAttribute("data-time-zone-url");
    var zone = browserZone();
    var token = document.querySelector('input[name="csrfmiddlewaretoken"]');
    if (!url || !zone || !token || zone === script.getAttribute("data-time-zone")) return;
    var body = new URLSearchParams();
    body.set("time_zone", zone);
    fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { Accept: "application/json", "X-CSRFToken": token.value },
      body: body,
    }).catch(function () { /* kept next time */ });
  }

  function bind() {
    apply();
    bindAccountMenu();
    if (!saveUrl || !window.fetch) return; // the form posts as it is
    keepTimeZone();
    var form = document.getElementById("theme-form");
    if (form) {
      form.addEventListener("submit", function (event) {
        var button = event.submitter;
        if (!button || button.name !== "theme") return;
        event.preventDefault();
        choose(button.value);
      });
    }
    var toggles = document.querySelectorAll(".theme-toggle");
    for (var i = 0; i < toggles.length; i++) {
      toggles[i].addEventListener("click", function () { choose(nextInCycle()); });
    }
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", bind);
  else bind();
})();
