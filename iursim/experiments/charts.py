"""Plotly charts of sweep summaries and sensitivity indices, labelled in Chinese or English.

Sweep charts, each for one output at the final month:

- lines over the first numeric axis with 95 % confidence bands, one line per level of the next
  factor, one panel per level of a third factor;
- heatmaps of the mean over the first two numeric axes, one panel per level of a third factor;
- bars with confidence intervals when the design has only labelled points or categorical axes;
- main effects: the pooled mean and interval at each level of each axis;
- time series of the mean with bands over the months, when the design has at most ten points.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from iursim.experiments.summarize import display_name
from iursim.i18n import Lang, catalogue, t

__all__ = ["sensitivity_figure", "sweep_figures", "write_html"]

FONT = "'Noto Sans CJK SC', 'WenQuanYi Micro Hei', 'Microsoft YaHei', 'PingFang SC', sans-serif"
COLOURS = ("#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2",
           "#7f7f7f", "#bcbd22", "#17becf")
GRID = "#e5e5e5"
MAX_TIME_SERIES_POINTS = 10
MAX_FACETS = 6

# Category name tables of the report catalogue, by the last part of an enum design key.
_ENUM_KINDS = {"role": "role", "type": "region_type", "scope": "scope",
               "ownership": "ownership"}


def _value_text(column: str, value: Any, lang: Lang) -> str:
    kind = _ENUM_KINDS.get(column.rpartition(".")[2])
    if kind is not None and isinstance(value, str):
        return catalogue(lang).get(f"name.{kind}.{value}", value)
    if column == "label" and isinstance(value, str):
        return catalogue(lang).get(f"experiments.point.{value}", value)
    if isinstance(value, bool):
        return t("experiments.chart.on" if value else "experiments.chart.off", lang)
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def _rgba(colour: str, alpha: float) -> str:
    red, green, blue = (int(colour[i:i + 2], 16) for i in (1, 3, 5))
    return f"rgba({red},{green},{blue},{alpha})"


def _layout(figure: go.Figure, title: str, height: int = 420) -> go.Figure:
    # Styled by hand rather than with a named template: applying a template deep-copies it,
    # which made each chart several times slower to build.
    figure.update_layout(title={"text": title, "x": 0.01, "xanchor": "left", "font": {"size": 15}},
                         height=height, font={"family": FONT}, plot_bgcolor="white",
                         margin={"l": 70, "r": 20, "t": 70, "b": 60},
                         legend={"orientation": "h", "y": -0.18})
    figure.update_xaxes(gridcolor=GRID, linecolor=GRID, zeroline=False)
    figure.update_yaxes(gridcolor=GRID, linecolor=GRID, zeroline=False)
    return figure


def _is_numeric(frame: pd.DataFrame, column: str) -> bool:
    return (pd.api.types.is_numeric_dtype(frame[column])
            and not pd.api.types.is_bool_dtype(frame[column]))


def _add_band(figure: go.Figure, x: Sequence[Any], low: Sequence[float],
              high: Sequence[float], colour: str, row: int, col: int) -> None:
    figure.add_trace(go.Scatter(x=list(x) + list(x)[::-1], y=list(high) + list(low)[::-1],
                                fill="toself", fillcolor=_rgba(colour, 0.18),
                                line={"width": 0}, hoverinfo="skip", showlegend=False),
                     row=row, col=col)


def sweep_figures(table: pd.DataFrame, effects: pd.DataFrame | None, meta: dict[str, Any],
                  axes: Sequence[str], outputs: Sequence[str], lang: Lang) -> dict[str, go.Figure]:
    """Build every chart of a sweep summary, keyed by a file-safe name.

    Args:
        table: The summary table from :func:`summarize_runs`.
        effects: The main-effects table from :func:`main_effects`, None without axes.
        meta: The sweep's ``sweep.json``.
        axes: The factorial axes present in the runs table.
        outputs: Outputs to chart.
        lang: Language of titles and labels.
    """
    final = table[table["step"] == table["step"].max()]
    factors = (["label"] if meta.get("labelled") else []) + list(axes)
    if not factors:
        factors = [key for key in meta["design_keys"]
                   if key in final.columns and final[key].nunique() > 1]
    numeric = [factor for factor in factors if _is_numeric(final, factor)]
    others = [factor for factor in factors if factor not in numeric[:1]]
    figures: dict[str, go.Figure] = {}
    for output in outputs:
        rows = final[final["output"] == output]
        if rows.empty:
            continue
        if numeric and len(factors) <= 3:
            figures[f"lines-{output}"] = _lines(rows, numeric[0], others, output, lang)
        if len(numeric) >= 2 and len(factors) <= 3:
            facet = next((factor for factor in factors if factor not in numeric[:2]), None)
            figures[f"heatmap-{output}"] = _heatmap(rows, numeric[0], numeric[1], facet,
                                                    output, lang)
        if not numeric and factors:
            figures[f"bars-{output}"] = _bars(rows, factors, output, lang)
        if len(axes) >= 2 and effects is not None:
            figures[f"effects-{output}"] = _main_effects(effects, axes, output, lang)
        if final["point_id"].nunique() <= MAX_TIME_SERIES_POINTS and table["step"].nunique() > 2:
            figures[f"months-{output}"] = _time_series(table[table["output"] == output], factors,
                                                      output, lang)
    return figures


def _point_name(row: pd.Series, factors: Sequence[str], lang: Lang) -> str:
    if not factors:
        return str(row["point_id"])
    return " · ".join(_value_text(factor, row[factor], lang) for factor in factors)


def _lines(rows: pd.DataFrame, x: str, others: Sequence[str], output: str,
           lang: Lang) -> go.Figure:
    colour_by = others[0] if others else None
    facet_by = others[1] if len(others) > 1 else None
    facets = list(dict.fromkeys(rows[facet_by]))[:MAX_FACETS] if facet_by else [None]
    titles = [f"{display_name(facet_by, lang)} = {_value_text(facet_by, level, lang)}"
              for level in facets] if facet_by else None
    figure = make_subplots(rows=1, cols=len(facets), shared_yaxes=True, subplot_titles=titles)
    for col, facet in enumerate(facets, start=1):
        panel = rows if facet_by is None else rows[rows[facet_by] == facet]
        series = list(dict.fromkeys(panel[colour_by])) if colour_by else [None]
        for index, level in enumerate(series):
            line = panel if colour_by is None else panel[panel[colour_by] == level]
            line = line.sort_values(x)
            colour = COLOURS[index % len(COLOURS)]
            _add_band(figure, line[x], line["ci_low"], line["ci_high"], colour, 1, col)
            name = (f"{display_name(colour_by, lang)} = {_value_text(colour_by, level, lang)}"
                    if colour_by else display_name(output, lang))
            figure.add_trace(go.Scatter(x=line[x], y=line["mean"], mode="lines+markers",
                                        line={"color": colour}, name=name, legendgroup=name,
                                        showlegend=col == 1), row=1, col=col)
        figure.update_xaxes(title_text=display_name(x, lang), row=1, col=col)
    figure.update_yaxes(title_text=display_name(output, lang), row=1, col=1)
    title = t("experiments.chart.lines", lang, output=display_name(output, lang),
              axis=display_name(x, lang))
    return _layout(figure, title)


def _heatmap(rows: pd.DataFrame, x: str, y: str, facet_by: str | None, output: str,
             lang: Lang) -> go.Figure:
    facets = list(dict.fromkeys(rows[facet_by]))[:MAX_FACETS] if facet_by else [None]
    titles = [f"{display_name(facet_by, lang)} = {_value_text(facet_by, level, lang)}"
              for level in facets] if facet_by else None
    figure = make_subplots(rows=1, cols=len(facets), shared_yaxes=True, subplot_titles=titles)
    low, high = rows["mean"].min(), rows["mean"].max()
    for col, facet in enumerate(facets, start=1):
        panel = rows if facet_by is None else rows[rows[facet_by] == facet]
        grid = panel.pivot_table(index=y, columns=x, values="mean", aggfunc="mean")
        figure.add_trace(go.Heatmap(z=grid.to_numpy(), x=[f"{v:g}" for v in grid.columns],
                                    y=[f"{v:g}" for v in grid.index], zmin=low, zmax=high,
                                    colorscale="Viridis", showscale=col == len(facets),
                                    colorbar={"title": {"text": display_name(output, lang)}},
                                    texttemplate="%{z:.3g}"), row=1, col=col)
        figure.update_xaxes(title_text=display_name(x, lang), type="category", row=1, col=col)
    figure.update_yaxes(title_text=display_name(y, lang), type="category", row=1, col=1)
    title = t("experiments.chart.heatmap", lang, output=display_name(output, lang))
    return _layout(figure, title, height=440)


def _bars(rows: pd.DataFrame, factors: Sequence[str], output: str, lang: Lang) -> go.Figure:
    rows = rows.sort_values("point_id")
    names = [_point_name(row, factors, lang) for _, row in rows.iterrows()]
    figure = go.Figure(go.Bar(
        x=names, y=rows["mean"], marker_color=COLOURS[0],
        error_y={"type": "data", "symmetric": False,
                 "array": (rows["ci_high"] - rows["mean"]).fillna(0),
                 "arrayminus": (rows["mean"] - rows["ci_low"]).fillna(0)}))
    figure.update_yaxes(title_text=display_name(output, lang))
    title = t("experiments.chart.bars", lang, output=display_name(output, lang))
    return _layout(figure, title)


def _main_effects(effects: pd.DataFrame, axes: Sequence[str], output: str,
                  lang: Lang) -> go.Figure:
    titles = [display_name(axis, lang) for axis in axes]
    figure = make_subplots(rows=1, cols=len(axes), shared_yaxes=True, subplot_titles=titles)
    for col, axis in enumerate(axes, start=1):
        stats = effects[(effects["axis"] == axis) & (effects["output"] == output)]
        x = [_value_text(axis, value, lang) for value in stats["level"]]
        _add_band(figure, x, stats["ci_low"], stats["ci_high"], COLOURS[0], 1, col)
        figure.add_trace(go.Scatter(x=x, y=stats["mean"], mode="lines+markers",
                                    line={"color": COLOURS[0]}, showlegend=False,
                                    error_y={"type": "data", "symmetric": False,
                                             "array": stats["ci_high"] - stats["mean"],
                                             "arrayminus": stats["mean"] - stats["ci_low"]}),
                         row=1, col=col)
        figure.update_xaxes(type="category", row=1, col=col)
    figure.update_yaxes(title_text=display_name(output, lang), row=1, col=1)
    title = t("experiments.chart.effects", lang, output=display_name(output, lang))
    return _layout(figure, title, height=380)


def _time_series(rows: pd.DataFrame, factors: Sequence[str], output: str,
                 lang: Lang) -> go.Figure:
    figure = make_subplots(rows=1, cols=1)
    for index, (_, point) in enumerate(rows.groupby("point_id", sort=True)):
        point = point.sort_values("step")
        colour = COLOURS[index % len(COLOURS)]
        _add_band(figure, point["step"], point["ci_low"], point["ci_high"], colour, 1, 1)
        figure.add_trace(go.Scatter(x=point["step"], y=point["mean"], mode="lines",
                                    line={"color": colour},
                                    name=_point_name(point.iloc[0], factors, lang)), row=1, col=1)
    figure.update_xaxes(title_text=t("experiments.chart.month", lang))
    figure.update_yaxes(title_text=display_name(output, lang))
    title = t("experiments.chart.months", lang, output=display_name(output, lang))
    return _layout(figure, title)


def sensitivity_figure(indices: pd.DataFrame, output: str, method: str,
                       lang: Lang) -> go.Figure:
    """Build a horizontal bar chart of one output's indices with 95 % confidence intervals.

    Morris charts mu* (the mean absolute elementary effect); Sobol charts S1 and ST side by side.
    """
    rows = indices[indices["output"] == output]
    measures = ("mu_star",) if method == "morris" else ("S1", "ST")
    order = rows.sort_values(measures[-1], ascending=True)
    names = [display_name(parameter, lang) for parameter in order["parameter"]]
    figure = go.Figure()
    for index, measure in enumerate(measures):
        figure.add_trace(go.Bar(
            y=names, x=order[measure], orientation="h", marker_color=COLOURS[index],
            name=t(f"experiments.sensitivity.measure.{measure}", lang),
            error_x={"type": "data", "array": order[f"{measure}_conf"].fillna(0)}))
    figure.update_xaxes(title_text=t(f"experiments.sensitivity.axis.{method}", lang))
    title = t(f"experiments.sensitivity.title.{method}", lang, output=display_name(output, lang))
    return _layout(figure, title, height=max(360, 26 * len(names) + 140))


def write_html(figures: Sequence[go.Figure], path: Path, title: str) -> None:
    """Write the figures to one self-contained HTML page that works offline."""
    parts = [f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{title}</title></head>",
             f"<body style='font-family:{FONT}'><h1 style='font-size:20px'>{title}</h1>"]
    for index, figure in enumerate(figures):
        parts.append(figure.to_html(full_html=False, include_plotlyjs=index == 0,
                                    default_width="100%"))
    parts.append("</body></html>")
    path.write_text("\n".join(parts), encoding="utf-8")
