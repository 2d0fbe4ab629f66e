// Every chart of a hosted dashboard: no "Share chart" upload to Plotly's cloud and no
// Plotly logo (plotly.js offers both by default). plotly.js sets `window.Plotly` when
// it loads, whenever that is; its defaults are set at that moment, and a chart's own
// `config` can still turn anything back on.
(function () {
  var defaults = { showSendToCloud: false, showEditInChartStudio: false, displaylogo: false };
  function withDefaults(plotly) {
    if (plotly && plotly.setPlotConfig) plotly.setPlotConfig(defaults);
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
