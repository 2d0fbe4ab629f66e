// The Reports menu's search: the list follows what is typed. Without this script
// the same form opens the full list of reports, filtered the same way.
(function () {
  "use strict";
  var form = document.getElementById("report-search");
  var results = document.getElementById("report-menu-results");
  var status = document.getElementById("report-search-status");
  if (!form || !results || !window.fetch || !window.AbortController) return;
  var input = form.elements.q;
  var WAIT_MS = 250; // one request once typing pauses, not one per key
  var timer = null;
  var pending = null;
  var shown = ""; // the page arrives with the list for an empty search

  function menuUrl(query) {
    var params = new URLSearchParams(new FormData(form));
    params.set("q", query);
    params.set("partial", "menu");
    params.set("next", form.dataset.next);
    return form.action + "?" + params.toString();
  }

  function fail() {
    var note = document.createElement("p");
    note.className = "hint";
    note.textContent = "Search is not available right now. Press Enter to search the full list.";
    results.replaceChildren(note);
    status.textContent = note.textContent;
    shown = null; // the next keystroke tries again
  }

  function search() {
    var query = input.value.trim();
    if (query === shown) return;
    if (pending) pending.abort();
    pending = new AbortController();
    results.setAttribute("aria-busy", "true");
    fetch(menuUrl(query), { credentials: "same-origin", signal: pending.signal })
      .then(function (response) {
        // A session that ended is redirected to the login page: that is no list to show.
        if (!response.ok || response.redirected) throw new Error("HTTP " + response.status);
        return response.text();
      })
      .then(function (html) {
        results.innerHTML = html; // rendered by this site for this user, like the page itself
        shown = query;
        var count = results.querySelector(".report-menu-count");
        status.textContent = count ? count.textContent : "";
        results.removeAttribute("aria-busy");
      })
      .catch(function (error) {
        if (error.name === "AbortError") return; // a newer search replaced this one
        results.removeAttribute("aria-busy");
        fail();
      });
  }

  input.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(search, WAIT_MS);
  });
})();
