"""A/B comparison: the current settings against changed policy levers, on the same seed."""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

import plotly.graph_objects as go
import solara
from plotly.subplots import make_subplots

from iursim.dashboard.charts import style_figure
from iursim.dashboard.controls import ParameterControl
from iursim.dashboard.plotly_view import PlotlyChart
from iursim.dashboard.simulation import (
    COMPARISON_METRICS,
    Comparison,
    build_scenario,
    run_comparison,
)
from iursim.i18n import Lang, t
from iursim.scenario import ScenarioError, iter_parameters, parameter_spec

__all__ = ["ComparePanel", "comparison_figure"]

logger = logging.getLogger(__name__)

_COLOUR_A = "#2171b5"
_COLOUR_B = "#e6550d"
_SHARE_METRICS = frozenset({"active_collaboration_share", "ever_collaborated_share",
                            "tight_form_share"})


def comparison_figure(comparison: Comparison, lang: Lang) -> go.Figure:
    """Draw A and B on shared axes per metric, shading the gap between them.

    The shading is green where B lies above A and red where it lies below, so the sign of the
    difference is visible without reading numbers.
    """
    metrics = [name for name in COMPARISON_METRICS if name in comparison.a]
    columns = 3
    rows = (len(metrics) + columns - 1) // columns
    figure = make_subplots(rows=rows, cols=columns, shared_xaxes=True,
                           subplot_titles=[t(f"name.metric.{name}", lang) for name in metrics],
                           vertical_spacing=0.14)
    label_a = t("dash.compare.label_a", lang)
    label_b = t("dash.compare.label_b", lang)
    for index, name in enumerate(metrics):
        row, col = index // columns + 1, index % columns + 1
        month_a = comparison.a["step"] if "step" in comparison.a else comparison.a.index
        month_b = comparison.b["step"] if "step" in comparison.b else comparison.b.index
        values_a = comparison.a[name].astype(float)
        values_b = comparison.b[name].astype(float)
        gap = float(values_b.iloc[-1] - values_a.iloc[-1])
        shade = "rgba(49,163,84,0.25)" if gap >= 0 else "rgba(222,45,38,0.25)"
        figure.add_trace(go.Scatter(x=month_a, y=values_a, name=label_a, legendgroup="a",
                                    showlegend=index == 0, line={"color": _COLOUR_A}),
                         row=row, col=col)
        figure.add_trace(go.Scatter(x=month_b, y=values_b, name=label_b, legendgroup="b",
                                    showlegend=index == 0, line={"color": _COLOUR_B},
                                    fill="tonexty", fillcolor=shade), row=row, col=col)
        if name in _SHARE_METRICS:
            figure.update_yaxes(tickformat=".0%", row=row, col=col)
        elif name == "collaboration_density":
            figure.update_yaxes(tickformat=".2~%", row=row, col=col)
    figure.update_xaxes(title_text=t("dash.chart.month", lang), row=rows)
    return style_figure(figure, t("dash.compare.chart", lang), height=280 * rows + 80)


def _format(name: str, value: float) -> str:
    if name in _SHARE_METRICS:
        return f"{value:.1%}"
    if name == "collaboration_density":
        return f"{value:.4%}"
    return f"{value:.3g}"


@solara.component
def _ResultTable(comparison: Comparison, lang: Lang) -> None:
    table = comparison.final_table()
    header = [t("dash.compare.measure", lang), "A", "B", t("dash.compare.difference", lang)]
    rows = []
    for record in table.itertuples(index=False):
        colour = "#31a354" if record.difference > 0 else "#de2d26" if record.difference < 0 \
            else "#555"
        sign = "+" if record.difference > 0 else ""
        difference = solara.v.Html(tag="td", children=[sign + _format(record.metric,
                                                                      record.difference)],
                                   style_=f"color: {colour}; font-weight: 600;")
        rows.append(solara.v.Html(tag="tr", children=[
            solara.v.Html(tag="td", children=[t(f"name.metric.{record.metric}", lang)]),
            solara.v.Html(tag="td", children=[_format(record.metric, record.a)]),
            solara.v.Html(tag="td", children=[_format(record.metric, record.b)]),
            difference]))
    solara.v.Html(tag="table", class_="iursim-compare-table",
                  style_="border-collapse: collapse; margin: 8px 0;",
                  children=[solara.v.Html(tag="tr", children=[
                      solara.v.Html(tag="th", children=[text], style_="text-align: left; "
                                    "padding-right: 16px;") for text in header]), *rows])


@solara.component
def ComparePanel(base: dict[str, Any], values: dict[str, Any], errors: dict[str, str],
                 lang: Lang) -> None:
    """Render the policy levers of run B, a Run button, and the two runs on shared axes.

    Args:
        base: Data of the current preset.
        values: The session's current settings; run A uses them as they are.
        errors: Invalid inputs of the session's controls; A cannot run while there are any.
        lang: Display language.
    """
    policy = [spec for spec in iter_parameters() if spec.group == "policy"]
    # B starts from A's policy once; later changes of A leave B's edits alone.
    values_b = solara.use_reactive(
        solara.use_memo(lambda: {spec.key: values[spec.key] for spec in policy}, []))
    errors_b = solara.use_reactive({})
    months = solara.use_reactive(solara.use_memo(lambda: {"run.steps": values["run.steps"]}, []))
    request = solara.use_reactive(0)
    progress = solara.use_reactive(0)
    result = solara.use_reactive(None)
    message = solara.use_reactive(None)

    def run(cancel: threading.Event) -> None:
        if request.value == 0:
            return
        if errors or errors_b.value:
            message.set(lambda lang: t("dash.error.fix_first", lang))
            return
        try:
            scenario_a = build_scenario(base, values)
            scenario_b = build_scenario(base, {**values, **values_b.value})
        except ScenarioError as error:
            message.set(lambda lang, error=error: error.message(lang))
            return
        message.set(None)
        result.set(None)
        last_report = [time.perf_counter()]

        def report(month: int) -> None:
            now = time.perf_counter()
            if now - last_report[0] > 0.5:
                last_report[0] = now
                progress.set(month)

        try:
            comparison = run_comparison(scenario_a, scenario_b, months.value["run.steps"],
                                        progress=report, cancel=cancel)
        except Exception as error:  # noqa: BLE001 - shown on the page instead of a traceback
            logger.exception("A/B comparison failed")
            text = f"{type(error).__name__}: {error}"
            message.set(lambda lang: t("dash.error.model_failed", lang, error=text))
            return
        progress.set(0)
        if comparison is not None:
            result.set(comparison)

    running = solara.use_thread(run, dependencies=[request.value], intrusive_cancel=False)

    def set_b(key: str, new: Any) -> None:
        values_b.set({**values_b.value, key: new})

    def set_error(key: str, text: str) -> None:
        current = {name: old for name, old in errors_b.value.items() if name != key}
        if text:
            current[key] = text
        errors_b.set(current)

    solara.v.Html(tag="h2", children=[t("dash.compare.heading", lang)],
                  style_="margin: 0.6em 0 0.3em 0; font-weight: 500;")
    solara.Text(t("dash.compare.intro", lang))
    with solara.Columns([1, 2]):
        with solara.Column(classes=["iursim-compare-controls"]):
            ParameterControl(parameter_spec("run.steps"), months.value["run.steps"],
                             on_value=lambda new: months.set({"run.steps": new}),
                             on_error=set_error, lang=lang)
            for spec in policy:
                ParameterControl(spec, values_b.value[spec.key],
                                 on_value=lambda new, key=spec.key: set_b(key, new),
                                 on_error=set_error, lang=lang)
        with solara.Column():
            busy = running.state == solara.ResultState.RUNNING
            solara.Button(t("dash.compare.run", lang), icon_name="mdi-compare-horizontal",
                          color="primary", on_click=lambda: request.set(request.value + 1),
                          disabled=busy, classes=["iursim-compare-run"])
            if message.value is not None:
                solara.Error(message.value(lang), classes=["iursim-message"])
            if busy:
                solara.ProgressLinear(True)
                solara.Text(t("dash.compare.running", lang, month=progress.value,
                              months=months.value["run.steps"]))
            elif result.value is None:
                solara.Text(t("dash.compare.empty", lang))
            if result.value is not None:
                if all(values_b.value[spec.key] == values[spec.key] for spec in policy):
                    solara.Info(t("dash.compare.same", lang), dense=True)
                _ResultTable(result.value, lang)
                PlotlyChart(comparison_figure(result.value, lang), show_title=True)
