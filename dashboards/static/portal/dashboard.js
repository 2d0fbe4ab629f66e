// The dashboard page's toolbar: it follows the Dash app's parameters (posted by
// the app inside the iframe) so that "Copy link", "Download CSV" and
// "Save report" always act on what the user sees. On a saved report, while its
// parameters are on screen, Copy link copies the report's own link and Download
// CSV exports the report; once the user changes them, both follow the changes.
(function () {
  "use strict";
  var root = document.getElementById("dashboard-tools");
  if (!root) return;
  var slug = root.dataset.slug;
  var pageUrl = root.dataset.pageUrl;
  var names = JSON.parse(root.dataset.paramNames);
  // Values a link leaves out, as the server's links do: a custom period (its dates say it).
  var omits = JSON.parse(root.dataset.linkOmits || "{}");
  var reportUrl = root.dataset.reportUrl || "";
  var reportPrivate = root.dataset.reportPrivate === "true";
  var status = document.getElementById("tool-status");
  var permalink = document.getElementById("permalink");
  var copyButton = document.getElementById("copy-link");
  // Every download (CSV, Excel, PDF, PNG, raw CSV) follows the view as the CSV does.
  var downloadLinks = Array.prototype.slice.call(document.querySelectorAll(".download-link"));
  var paramsField = document.getElementById("report-params");
  var viewUrl = root.dataset.viewUrl;
  var query = new URL(viewUrl).search;
  // A Dash Pages app: the page on screen ("" for the first), part of every link made here.
  var pages = root.dataset.pages === "true";
  var page = root.dataset.page || "";
  var reportPage = root.dataset.reportPage || "";
  var pageField = document.getElementById("report-page");

  function say(text, kind) {
    status.textContent = text;
    status.className = "tool-status" + (kind ? " tool-status-" + kind : "");
  }

  function toQuery(params) {
    var search = new URLSearchParams();
    names.forEach(function (name) {
      var value = params[name];
      if (omits[name] !== undefined && omits[name] === value) return;
      (Array.isArray(value) ? value : [value]).forEach(function (v) {
        // A number field holding nothing usable gives NaN: never part of a link.
        if (v === null || v === undefined || (typeof v === "number" && !isFinite(v))) return;
        search.append(name, String(v));
      });
    });
    return "?" + search.toString();
  }
  // Whether a message from the frame describes what the view shows. The frame
  // (portal/frame.js) says "good" once every update for these values has been drawn;
  // values the view refused, or an update that failed, leave the link, the CSV and the
  // report form describing the last good view.
  function isGood(data) {
    return !data.state || data.state === "good";
  }
  window.dashEngine = { toQuery: toQuery, isGood: isGood };

  // The report's parameters in the same form as those the app posts, to tell when they changed.
  var reportQuery = reportUrl ? toQuery(JSON.parse(root.dataset.reportParams)) : null;
  var onReport = Boolean(reportUrl) && page === reportPage;

  function follow() {
    permalink.value = onReport ? reportUrl : viewUrl;
    permalink.setAttribute("aria-label", onReport ? "Link to this report" : "Link to this view");
    copyButton.textContent = onReport ? "Copy report link" : "Copy link";
    copyButton.title = onReport
      ? "Copies the saved report's own link"
      : reportUrl
        ? "Copies a link to the view with your changes; the saved report stays as it was"
        : "Copies a link to the view as you see it now";
    // Download CSV and Save report exist only where the dashboard declares data and parameters.
    downloadLinks.forEach(function (link) {
      link.href = onReport ? link.dataset.reportExportUrl : link.dataset.exportUrl + query;
    });
  }

  window.addEventListener("message", function (event) {
    if (event.origin !== window.location.origin || !event.data || event.data.type !== "dashengine:params") return;
    if (event.data.slug !== slug || !isGood(event.data) || !event.data.params) return;
    query = toQuery(event.data.params);
    viewUrl = pageUrl + query;
    onReport = Boolean(reportUrl) && query === reportQuery && page === reportPage;
    follow();
    if (paramsField) paramsField.value = JSON.stringify(event.data.params);
  });

  // A Dash Pages app moved to another page (the script below): links and reports keep it.
  if (pages) {
    var dashboardUrl = new URL(root.dataset.dashboardUrl, pageUrl).href;
    window.addEventListener("dashengine:page", function (event) {
      page = event.detail;
      pageUrl = dashboardUrl + page;
      viewUrl = pageUrl + query;
      onReport = Boolean(reportUrl) && query === reportQuery && page === reportPage;
      if (pageField) pageField.value = page;
      follow();
    });
    if (!onReport && reportUrl) follow(); // a default report opened at another page
  }

  copyButton.addEventListener("click", function () {
    // Short enough for the toolbar's one line; the whole story in the tooltip.
    var text, detail;
    if (onReport && reportPrivate) {
      text = "Copied. Only you can open this report.";
      detail = "To share it, choose Share in the Reports menu: name people or groups, or everyone who can open the dashboard.";
    } else if (onReport) {
      text = "Report link copied.";
      detail = "Whoever the report is shared with can open it.";
    } else if (reportUrl) {
      text = "Copied: the view with your changes.";
      detail = "The link opens the dashboard as you see it now, not the saved report.";
    } else {
      text = "Link copied: it opens this dashboard as you see it now.";
      detail = "";
    }
    var done = function () { say(text, "ok"); status.title = detail; };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(permalink.value).then(done, function () { permalink.select(); done(); });
    } else {
      permalink.select();
      document.execCommand("copy");
      done();
    }
  });

  // RFC 6266: `filename*` when present, else the plain `filename`.
  function filenameOf(header) {
    var extended = /filename\*=UTF-8''([^;]+)/i.exec(header);
    if (extended) {
      try { return decodeURIComponent(extended[1]); } catch (error) { /* fall through */ }
    }
    var plain = /filename="([^"]+)"/.exec(header);
    return plain ? plain[1] : "";
  }

  // Download with a visible progress count; errors are shown, never saved as a file.
  var WHAT = { csv: "CSV", raw: "raw CSV", xlsx: "Excel workbook", pdf: "PDF", png: "image" };
  downloadLinks.forEach(function (link) { link.addEventListener("click", function (event) {
    if (!window.fetch || !window.ReadableStream) return; // plain link as a fallback
    event.preventDefault();
    var what = WHAT[link.dataset.kind] || "file";
    var menu = document.getElementById("download-menu");
    if (menu) menu.open = false;
    link.setAttribute("aria-busy", "true");
    say(link.dataset.kind === "pdf" || link.dataset.kind === "png" ? "Drawing the " + what + "…" : "Preparing " + what + "…", "busy");
    fetch(link.href, { credentials: "same-origin" }).then(function (response) {
      if (!response.ok) {
        return response.text().then(function (text) { throw new Error(text || response.statusText); });
      }
      var name = filenameOf(response.headers.get("Content-Disposition") || "");
      var rows = response.headers.get("X-Row-Count");
      var type = response.headers.get("Content-Type") || "application/octet-stream";
      var reader = response.body.getReader();
      var parts = [];
      var received = 0;
      function pump() {
        return reader.read().then(function (step) {
          if (step.done) return;
          parts.push(step.value);
          received += step.value.length;
          say("Downloading " + what + "… " + (received / 1048576).toFixed(1) + " MB", "busy");
          return pump();
        });
      }
      return pump().then(function () {
        var url = URL.createObjectURL(new Blob(parts, { type: type }));
        var a = document.createElement("a");
        a.href = url;
        a.download = name || slug;
        document.body.appendChild(a);
        a.click();
        a.remove();
        setTimeout(function () { URL.revokeObjectURL(url); }, 10000);
        var tabular = link.dataset.kind === "csv" || link.dataset.kind === "raw" || link.dataset.kind === "xlsx";
        say("Downloaded " + (tabular && rows ? Number(rows).toLocaleString() + " rows" : "the " + what) + ".", "ok");
      });
    }).catch(function (error) {
      say("Download failed: " + error.message, "error");
    }).finally(function () {
      link.removeAttribute("aria-busy");
    });
  }); });

  // Close one menu when another opens.
  var menus = root.querySelectorAll("details.menu");
  menus.forEach(function (menu) {
    menu.addEventListener("toggle", function () {
      if (menu.open) menus.forEach(function (other) { if (other !== menu) other.open = false; });
      if (menu.open) { var first = menu.querySelector("input[type=text]"); if (first) first.focus(); }
    });
  });
})();

// Dash Pages inside the portal: the address bar and the tab's title follow the page
// on screen in the frame, and back/forward move the frame between pages. The frame
// (portal/frame.js) keeps no history of its own here: where the app would push an
// entry it replaces its address and tells this page, which pushes the portal's
// address of that page (`/dashboards/<slug>/<page>`), one entry per page visited.
(function () {
  "use strict";
  var root = document.getElementById("dashboard-tools");
  var frame = document.getElementById("dash-app");
  if (!root || !frame || root.dataset.pages !== "true") return;
  var dashboardUrl = root.dataset.dashboardUrl; // "/dashboards/<slug>/"
  var appUrl = root.dataset.appUrl; // the frame's address of the app's first page
  var appPrefix = "/django_plotly_dash/app/" + root.dataset.slug + "/";
  var portalTitle = document.title;
  var page = root.dataset.page || "";
  // As dashboards/inputs.py `validate_page_path`: unreserved characters between single
  // slashes, no `.` or `..` segment, not one of Dash's own `_` routes or its assets.
  var SEGMENT = /^[A-Za-z0-9._~-]+$/;

  function isPage(path) {
    if (path === "") return true;
    if (path.length > 300) return false;
    var segments = path.split("/");
    if (segments[0].charAt(0) === "_" || segments[0] === "assets") return false;
    return segments.every(function (s) { return SEGMENT.test(s) && s !== "." && s !== ".."; });
  }

  // The page of a frame address: what follows the app's own address; null for anything else.
  function pageOf(path) {
    var base = path.indexOf(appUrl) === 0 ? appUrl : path.indexOf(appPrefix) === 0 ? appPrefix : null;
    if (base === null) return null;
    var rest = path.slice(base.length);
    return isPage(rest) ? rest : null;
  }

  function show(next) {
    page = next;
    window.dispatchEvent(new CustomEvent("dashengine:page", { detail: page }));
  }

  window.addEventListener("message", function (event) {
    if (event.origin !== window.location.origin || event.source !== frame.contentWindow) return;
    var data = event.data;
    if (!data || data.type !== "dashengine:page" || typeof data.path !== "string") return;
    if (typeof data.title === "string" && data.title) document.title = data.title.slice(0, 200) + " · " + portalTitle;
    var next = pageOf(data.path);
    if (next === null || next === page) return;
    // The query is the dashboard's parameters (or nothing): it stays as it is.
    window.history.pushState({ page: next }, "", dashboardUrl + next + window.location.search);
    show(next);
  });

  window.addEventListener("popstate", function () {
    var path = window.location.pathname;
    if (path.indexOf(dashboardUrl) !== 0) return;
    var next = path.slice(dashboardUrl.length);
    if (!isPage(next) || next === page) return;
    show(next);
    // Dash Pages names its pages below the app's own prefix.
    frame.contentWindow.postMessage({ type: "dashengine:go", path: appPrefix + next }, window.location.origin);
  });
})();
