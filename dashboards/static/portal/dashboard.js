// The dashboard page's toolbar: it follows the Dash app's parameters (posted by
// the app inside the iframe) so that "Copy link", "Download CSV" and
// "Save report" always act on what the user sees.
(function () {
  "use strict";
  var root = document.getElementById("dashboard-tools");
  if (!root) return;
  var slug = root.dataset.slug;
  var pageUrl = root.dataset.pageUrl;
  var exportBase = root.dataset.exportUrl;
  var names = JSON.parse(root.dataset.paramNames);
  var status = document.getElementById("tool-status");
  var permalink = document.getElementById("permalink");
  var exportLink = document.getElementById("export-csv");
  var paramsField = document.getElementById("report-params");
  var query = new URL(permalink.value).search;

  function say(text, kind) {
    status.textContent = text;
    status.className = "tool-status" + (kind ? " tool-status-" + kind : "");
  }

  function toQuery(params) {
    var search = new URLSearchParams();
    names.forEach(function (name) {
      var value = params[name];
      (Array.isArray(value) ? value : [value]).forEach(function (v) {
        if (v !== null && v !== undefined) search.append(name, String(v));
      });
    });
    return "?" + search.toString();
  }

  window.addEventListener("message", function (event) {
    if (event.origin !== window.location.origin || !event.data || event.data.type !== "dashengine:params") return;
    if (event.data.slug !== slug) return;
    query = toQuery(event.data.params);
    permalink.value = pageUrl + query;
    // Download CSV and Save report exist only where the dashboard declares data and parameters.
    if (exportLink) exportLink.href = exportBase + query;
    if (paramsField) paramsField.value = JSON.stringify(event.data.params);
  });

  document.getElementById("copy-link").addEventListener("click", function () {
    var done = function () { say("Link copied: it opens this dashboard as you see it now.", "ok"); };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(permalink.value).then(done, function () { permalink.select(); done(); });
    } else {
      permalink.select();
      document.execCommand("copy");
      done();
    }
  });

  // Download with a visible progress count; errors are shown, never saved as a file.
  if (exportLink) exportLink.addEventListener("click", function (event) {
    if (!window.fetch || !window.ReadableStream) return; // plain link as a fallback
    event.preventDefault();
    exportLink.setAttribute("aria-busy", "true");
    say("Preparing CSV…", "busy");
    fetch(exportLink.href, { credentials: "same-origin" }).then(function (response) {
      if (!response.ok) {
        return response.text().then(function (text) { throw new Error(text || response.statusText); });
      }
      var name = (response.headers.get("Content-Disposition") || "").replace(/.*filename="([^"]+)".*/, "$1");
      var rows = response.headers.get("X-Row-Count");
      var reader = response.body.getReader();
      var parts = [];
      var received = 0;
      function pump() {
        return reader.read().then(function (step) {
          if (step.done) return;
          parts.push(step.value);
          received += step.value.length;
          say("Downloading CSV… " + (received / 1048576).toFixed(1) + " MB", "busy");
          return pump();
        });
      }
      return pump().then(function () {
        var url = URL.createObjectURL(new Blob(parts, { type: "text/csv" }));
        var a = document.createElement("a");
        a.href = url;
        a.download = name || slug + ".csv";
        document.body.appendChild(a);
        a.click();
        a.remove();
        setTimeout(function () { URL.revokeObjectURL(url); }, 10000);
        say("Downloaded " + (rows ? Number(rows).toLocaleString() + " rows" : "the CSV") + ".", "ok");
      });
    }).catch(function (error) {
      say("Export failed: " + error.message, "error");
    }).finally(function () {
      exportLink.removeAttribute("aria-busy");
    });
  });

  // Close one menu when another opens.
  var menus = root.querySelectorAll("details.menu");
  menus.forEach(function (menu) {
    menu.addEventListener("toggle", function () {
      if (menu.open) menus.forEach(function (other) { if (other !== menu) other.open = false; });
      if (menu.open) { var first = menu.querySelector("input[type=text]"); if (first) first.focus(); }
    });
  });
})();
