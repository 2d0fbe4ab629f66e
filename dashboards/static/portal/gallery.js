// The gallery: search as you type, forgiving a typo, and stars that save without a
// reload. Without this script the search form and the stars are plain forms.
(function () {
  "use strict";

  var announce = document.getElementById("gallery-announce");

  function say(text) {
    if (announce) announce.textContent = text;
  }

  // ---- Search: the same rule as selectors.search_matches on the server ----------

  var WORD = /[\p{L}\p{N}_]+/gu;

  function typosAllowed(term) {
    // A short term with a typo matches almost anything: only longer ones are forgiven.
    return term.length < 4 ? 0 : term.length < 9 ? 1 : 2;
  }

  // The fewest edits (insert, delete, replace, swap two neighbours) that turn `term`
  // into some beginning of `word`; anything over `limit` is `limit + 1`.
  function prefixDistance(term, word, limit) {
    var previous = null;
    var row = [];
    var i, j;
    for (j = 0; j <= word.length; j++) row.push(j);
    for (i = 1; i <= term.length; i++) {
      var current = [i];
      var best = i;
      for (j = 1; j <= word.length; j++) {
        var cost = term[i - 1] === word[j - 1] ? 0 : 1;
        var value = Math.min(row[j] + 1, current[j - 1] + 1, row[j - 1] + cost);
        if (previous && j > 1 && term[i - 1] === word[j - 2] && term[i - 2] === word[j - 1]) {
          value = Math.min(value, previous[j - 2] + 1);
        }
        current.push(value);
        if (value < best) best = value;
      }
      if (best > limit) return limit + 1;
      previous = row;
      row = current;
    }
    return Math.min(Math.min.apply(null, row), limit + 1);
  }

  function matches(item, terms) {
    return terms.every(function (term) {
      if (item.text.indexOf(term) !== -1) return true;
      var allowed = typosAllowed(term);
      return allowed > 0 && item.words.some(function (word) {
        return prefixDistance(term, word, allowed) <= allowed;
      });
    });
  }

  var form = document.getElementById("gallery-search");
  var input = document.getElementById("gallery-q");
  var count = document.getElementById("gallery-count");
  var empty = document.getElementById("gallery-empty");
  var emptyQuery = document.getElementById("gallery-empty-query");
  var items = Array.prototype.map.call(document.querySelectorAll(".card-item"), function (li) {
    var text = li.querySelector("[data-search]").getAttribute("data-search");
    var unique = {};
    (text.match(WORD) || []).forEach(function (word) { unique[word] = true; });
    return { li: li, text: text, words: Object.keys(unique), mine: !!li.closest("#gallery-stars") };
  });
  var shelves = document.querySelectorAll(".shelf:not(#gallery-reports)");
  var timer = null;
  // Saved reports the search finds too (by their name or their dashboard's); none for an empty search.
  var reportShelf = document.getElementById("gallery-reports");
  var reportCount = document.getElementById("reports-count");
  var reports = Array.prototype.map.call(document.querySelectorAll(".report-hit"), function (li) {
    var text = li.getAttribute("data-search");
    var unique = {};
    (text.match(WORD) || []).forEach(function (word) { unique[word] = true; });
    return { li: li, text: text, words: Object.keys(unique) };
  });

  function filter() {
    var query = input.value.trim().toLowerCase();
    var terms = query.split(/\s+/).filter(Boolean);
    var shown = 0;
    items.forEach(function (item) {
      var match = matches(item, terms);
      item.li.hidden = !match;
      if (match && item.mine) shown += 1;
    });
    Array.prototype.forEach.call(shelves, function (shelf) {
      shelf.hidden = !shelf.querySelector(".card-item:not([hidden])");
    });
    var found = 0;
    reports.forEach(function (item) {
      var match = terms.length > 0 && matches(item, terms);
      item.li.hidden = !match;
      if (match) found += 1;
    });
    if (reportShelf) {
      reportShelf.hidden = found === 0;
      reportCount.textContent = found + " saved report" + (found === 1 ? "" : "s") + " found";
    }
    var mine = items.some(function (item) { return item.mine; });
    if (empty) {
      empty.hidden = !mine || shown > 0;
      if (emptyQuery) emptyQuery.textContent = input.value.trim();
    }
    var filtered = query || count.getAttribute("data-filtered");
    count.textContent = shown + " dashboard" + (shown === 1 ? "" : "s") + (filtered ? " found" : "");
    // The address follows, so that a reload or a shared link shows the same.
    var url = new URL(window.location.href);
    if (query) url.searchParams.set("q", input.value.trim());
    else url.searchParams.delete("q");
    window.history.replaceState(null, "", url.pathname + url.search + url.hash);
  }

  if (form && input && count) {
    form.classList.add("search-live");
    input.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(filter, 120);
    });
    form.addEventListener("submit", function (event) {
      event.preventDefault(); // the cards already follow what is typed
      clearTimeout(timer);
      filter();
    });
  }

  // ---- Stars: saved with fetch; on any failure the form posts as without script ----

  var stars = document.getElementById("gallery-stars");
  if (!stars || !window.fetch) return;
  var token = stars.querySelector("input[name=csrfmiddlewaretoken]").value;

  function show(button, starred) {
    button.setAttribute("aria-pressed", starred ? "true" : "false");
    button.value = starred ? "0" : "1";
    button.title = starred ? "Remove from favourites" : "Add to favourites";
  }

  stars.addEventListener("submit", function (event) {
    var button = event.submitter;
    if (!button || !button.classList.contains("star") || stars.dataset.plain) return;
    event.preventDefault();
    var starred = button.value === "1";
    var title = button.closest(".card").querySelector(".card-link").textContent;
    show(button, starred); // at once; put back if the server says otherwise
    fetch(button.formAction, {
      method: "POST",
      credentials: "same-origin",
      headers: { Accept: "application/json", "X-CSRFToken": token },
      body: new URLSearchParams({ starred: starred ? "1" : "0" }),
    })
      .then(function (response) {
        // A session that ended is redirected to the login page: not an answer.
        if (!response.ok || response.redirected) throw new Error("HTTP " + response.status);
        return response.json();
      })
      .then(function (answer) {
        show(button, answer.starred);
        say(answer.starred ? title + " added to favourites." : title + " removed from favourites.");
      })
      .catch(function () {
        show(button, !starred);
        stars.dataset.plain = "1"; // post the form itself: the server decides and answers with a page
        button.click();
      });
  });
})();
