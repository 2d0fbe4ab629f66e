// The share page: the lists of people and groups matter only for "People and groups I
// choose", and a long list of people gets a filter. Without this script the whole form
// still works; it only shows everything.
(function () {
  "use strict";
  var form = document.getElementById("share-form");
  if (!form) return;
  var named = document.getElementById("share-named");
  function update() {
    var choice = form.querySelector("input[name=visibility]:checked");
    named.hidden = !choice || choice.value !== "named";
  }
  form.querySelectorAll("input[name=visibility]").forEach(function (radio) {
    radio.addEventListener("change", update);
  });
  update();

  var filter = document.getElementById("share-filter");
  if (filter) {
    filter.hidden = false;
    filter.addEventListener("input", function () {
      var words = filter.value.toLowerCase().trim();
      form.querySelectorAll(".share-people-list .share-option").forEach(function (option) {
        var checked = option.querySelector("input").checked;
        option.hidden = words !== "" && !checked && option.dataset.name.indexOf(words) === -1;
      });
    });
  }
})();
