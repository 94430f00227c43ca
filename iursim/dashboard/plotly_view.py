"""Plotly figures in the page, with plotly.js loaded once per page instead of once per figure.

``solara.FigurePlotly`` builds a plotly ``FigureWidget``, an anywidget whose front-end module
(about 5 MB, plotly.js included) travels and is evaluated once per figure. On a 2-core machine
that took about 5 s per figure. Here one :func:`PlotlyLoader` per page sends the plotly.js of
the installed ``plotly`` package and runs it, and each :func:`PlotlyChart` only sends its
figure's JSON and draws it with ``Plotly.react``. No file is fetched from a network.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

import ipyvuetify as v
import plotly.graph_objects as go
import solara
import traitlets

__all__ = ["PlotlyChart", "PlotlyLoader", "figure_json"]

# Runs plotly.js once per page. Solara's page has RequireJS, and plotly.min.js is a UMD bundle
# that registers itself as an anonymous AMD module when `define` exists. So `define` is hidden
# while the bundle runs, and plotly sets window.Plotly instead. Charts mounted earlier wait in a
# queue until then.
_LOADER_TEMPLATE = """
<template><span class="iursim-plotly-loader" style="display: none"></span></template>
<script>
module.exports = {
  mounted() {
    if (!window.Plotly) {
      const savedDefine = window.define;
      window.define = undefined;
      try {
        (0, eval)(this.source);
      } finally {
        window.define = savedDefine;
      }
    }
    const waiting = window.iursimPlotlyQueue || [];
    window.iursimPlotlyQueue = [];
    waiting.forEach((draw) => draw());
  },
};
</script>
"""

_FIGURE_TEMPLATE = """
<template><div ref="plot" class="iursim-chart" style="width: 100%"></div></template>
<script>
module.exports = {
  mounted() {
    this.draw();
    // Plotly's own "responsive" option follows only window resizes; a tab or column that
    // changes width needs an observer on the element itself.
    this.observer = new ResizeObserver(() => {
      if (window.Plotly && this.$refs.plot && this.$refs.plot.data) {
        window.Plotly.Plots.resize(this.$refs.plot);
      }
    });
    this.observer.observe(this.$refs.plot);
  },
  destroyed() {
    if (this.observer) {
      this.observer.disconnect();
    }
  },
  watch: { figure() { this.draw(); } },
  methods: {
    draw() {
      const render = () => {
        // Plotly writes computed values into the objects it is given; a plain copy keeps it
        // from touching Vue's reactive properties.
        const figure = JSON.parse(JSON.stringify(this.figure || {}));
        window.Plotly.react(this.$refs.plot, figure.data || [], figure.layout || {},
                            {responsive: true, displaylogo: false});
      };
      if (window.Plotly) {
        render();
      } else {
        (window.iursimPlotlyQueue = window.iursimPlotlyQueue || []).push(render);
      }
    },
  },
};
</script>
"""


class _LoaderWidget(v.VuetifyTemplate):
    template = traitlets.Unicode(_LOADER_TEMPLATE).tag(sync=True)
    source = traitlets.Unicode("").tag(sync=True)


class _FigureWidget(v.VuetifyTemplate):
    template = traitlets.Unicode(_FIGURE_TEMPLATE).tag(sync=True)
    figure = traitlets.Dict({}).tag(sync=True)


@cache
def _plotly_source() -> str:
    """Return the plotly.js bundle shipped with the installed plotly package."""
    return (resources.files("plotly") / "package_data" / "plotly.min.js").read_text("utf-8")


def figure_json(figure: go.Figure) -> dict[str, Any]:
    """Return ``figure`` as plain JSON data (``data`` and ``layout``) for the front end."""
    return json.loads(figure.to_json())


@solara.component
def PlotlyLoader() -> None:
    """Send and run plotly.js once; render exactly one per page, before or after the charts."""
    _LoaderWidget.element(source=_plotly_source())


@solara.component
def PlotlyChart(figure: go.Figure, show_title: bool = False) -> None:
    """Draw one plotly figure; it updates in place when ``figure`` changes.

    The figure's own title is dropped unless ``show_title`` is set, because the page puts a
    heading above each chart; exported HTML keeps the titles.
    """
    data = figure_json(figure)
    if not show_title:
        layout = data.setdefault("layout", {})
        layout.pop("title", None)
        layout.setdefault("margin", {})["t"] = 30
    _FigureWidget.element(figure=data)
