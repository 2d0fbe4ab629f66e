// Every chart of a hosted dashboard:
// - no "Share chart" upload to Plotly's cloud and no Plotly logo (plotly.js offers
//   both by default), the toolbar only while the pointer is on the chart; a
//   chart's own `config` can still turn anything back on;
// - the toolbar clear of the chart's legend and title: where plotly.js puts it
//   (the top right corner) if that is free, else inside the plotting area;
// - on a page styled with the dashboard kit (<html data-dashkit>), the colours of
//   the portal's theme (<html data-theme>, kept by portal/frame.js): the theme's
//   template from #dashkit-chart-templates goes on each figure before plotly.js
//   draws it, and on every chart when the theme changes.
// plotly.js sets `window.Plotly` when it loads, whenever that is; all this is set
// up at that moment.
(function () {
  "use strict";
  var root = document.documentElement;
  var defaults = { showSendToCloud: false, showEditInChartStudio: false, displaylogo: false, displayModeBar: "hover" };
  var templates;

  function themeTemplate() {
    if (!root.hasAttribute("data-dashkit")) return null;
    if (templates === undefined) {
      var data = document.getElementById("dashkit-chart-templates");
      try {
        templates = data ? JSON.parse(data.textContent) : null;
      } catch (error) {
        templates = null;
      }
    }
    if (!templates) return null;
    return templates[root.getAttribute("data-theme") === "light" ? "light" : "dark"] || null;
  }

  function themed(layout) {
    var template = themeTemplate();
    if (!template) return layout;
    var copy = {};
    for (var key in layout || {}) copy[key] = layout[key];
    copy.template = template;
    return copy;
  }

  // ---- The toolbar clear of the legend and the title ---------------------------
  // Places tried in turn (frame.css): plotly.js's own, then the top right, bottom
  // right and top left corners of the plotting area.
  var PLACES = [null, "plot-top", "plot-bottom", "plot-left"];

  function overlap(a, b) {
    var width = Math.min(a.right, b.right) - Math.max(a.left, b.left);
    var height = Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top);
    return width > 0 && height > 0 ? width * height : 0;
  }

  function placeToolbar(gd) {
    var bar = gd.querySelector(".modebar");
    var size = gd._fullLayout && gd._fullLayout._size;
    if (!bar || !size) return;
    gd.style.setProperty("--pf-plot-top", size.t + "px");
    gd.style.setProperty("--pf-plot-right", size.r + "px");
    gd.style.setProperty("--pf-plot-left", size.l + "px");
    gd.style.setProperty("--pf-plot-height", size.h + "px");
    var keepClear = [];
    gd.querySelectorAll(".legend, .g-gtitle").forEach(function (element) {
      var box = element.getBoundingClientRect();
      if (box.width && box.height) keepClear.push(box);
    });
    var best = null;
    var least = Infinity;
    for (var i = 0; i < PLACES.length; i++) {
      if (PLACES[i]) gd.setAttribute("data-modebar", PLACES[i]);
      else gd.removeAttribute("data-modebar");
      var box = bar.getBoundingClientRect();
      var covered = keepClear.reduce(function (sum, other) { return sum + overlap(box, other); }, 0);
      if (!covered) return;
      if (covered < least) {
        least = covered;
        best = PLACES[i];
      }
    }
    if (best) gd.setAttribute("data-modebar", best);
    else gd.removeAttribute("data-modebar");
  }

  function afterDraw(gd) {
    if (!gd || !gd.on) return;
    if (!gd.__dashenginePlace) gd.__dashenginePlace = function () { placeToolbar(gd); };
    // dash's Graph may drop every listener of a chart it redraws: bound again each time.
    gd.removeListener("plotly_afterplot", gd.__dashenginePlace);
    gd.on("plotly_afterplot", gd.__dashenginePlace);
    placeToolbar(gd);
  }

  // ---- Every draw goes through here --------------------------------------------
  function wrapDraw(plotly, name) {
    var draw = plotly[name];
    if (typeof draw !== "function" || draw.__dashengine) return;
    var wrapped = function (gd, data, layout, config) {
      var args = Array.prototype.slice.call(arguments);
      var element = typeof gd === "string" ? document.getElementById(gd) : gd;
      if (data && typeof data === "object" && !Array.isArray(data)) {
        // The one-object form, as dash's Graph calls it: {data, layout, config, frames}.
        var figure = {};
        for (var key in data) figure[key] = data[key];
        figure.layout = themed(figure.layout);
        args[1] = figure;
        config = figure.config;
      } else {
        args[2] = themed(layout);
      }
      if (element) element.__dashengineConfig = config;
      var drawing = draw.apply(this, args);
      if (drawing && drawing.then) {
        drawing.then(function (gd) {
          afterDraw(gd);
          // portal/frame.js lifts the loading skeleton as soon as every chart is drawn.
          window.dispatchEvent(new Event("dashengine:drawn"));
        });
      }
      return drawing;
    };
    wrapped.__dashengine = true;
    plotly[name] = wrapped;
  }

  // A new theme: every chart drawn again in it, as the user left it (zoom included).
  window.addEventListener("dashengine:theme", function () {
    if (!window.Plotly || !themeTemplate()) return;
    document.querySelectorAll(".js-plotly-plot").forEach(function (gd) {
      if (gd.data && gd.layout) window.Plotly.react(gd, gd.data, gd.layout, gd.__dashengineConfig);
    });
  });

  function withDefaults(plotly) {
    if (plotly && plotly.setPlotConfig) {
      plotly.setPlotConfig(defaults);
      wrapDraw(plotly, "react");
      wrapDraw(plotly, "newPlot");
    }
    return plotly;
  }
  if (window.Plotly) {
    withDefaults(window.Plotly);
    return;
  }
  var loaded;
  Object.defineProperty(window, "Plotly", {
    configurable: true,
    get: function () { return loaded; },
    set: function (plotly) { loaded = withDefaults(plotly); },
  });
})();
