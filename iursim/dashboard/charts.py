"""Plotly figures of one run: time series, platforms and category shares, in either language."""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from iursim.chain import FORM_TABLE, CooperationForm, Tightness
from iursim.i18n import Lang, t

__all__ = ["PATH_COLOURS", "TIGHTNESS_COLOURS", "collaboration_figure", "form_figure",
           "platforms_figure", "share_figure", "style_figure"]

TIGHTNESS_COLOURS: dict[Tightness, str] = {
    Tightness.LOOSE: "#74a9cf",
    Tightness.MEDIUM: "#fd8d3c",
    Tightness.TIGHT: "#b2182b",
}
PATH_COLOURS: dict[str, str] = {
    "front_end": "#1b9e77",
    "mid_stream": "#7570b3",
    "back_end": "#d95f02",
}
# Fonts with CJK glyphs first, so plotly's SVG text never falls back to a font without them.
FONT_FAMILY = '"WenQuanYi Micro Hei", "Noto Sans CJK SC", "Microsoft YaHei", sans-serif'


def style_figure(figure: go.Figure, title: str, height: int = 360) -> go.Figure:
    """Apply the dashboard's common title, font, size and margins to ``figure``."""
    figure.update_layout(title={"text": title, "x": 0.01, "font": {"size": 15}},
                         font={"family": FONT_FAMILY, "size": 12}, height=height,
                         margin={"l": 60, "r": 30, "t": 60, "b": 50},
                         legend={"orientation": "h", "y": -0.2}, template="plotly_white")
    return figure


def collaboration_figure(metrics: pd.DataFrame, lang: Lang) -> go.Figure:
    """Active and ever-collaborated shares (left axis) and network density (right axis)."""
    figure = make_subplots(specs=[[{"secondary_y": True}]])
    month = metrics["step"] if "step" in metrics else metrics.index
    for column, colour, dash in (("active_collaboration_share", "#08519c", "solid"),
                                 ("ever_collaborated_share", "#6baed6", "dot"),
                                 ("tight_form_share", TIGHTNESS_COLOURS[Tightness.TIGHT], "dash")):
        if column in metrics:
            figure.add_trace(go.Scatter(x=month, y=metrics[column], mode="lines",
                                        name=t(f"name.metric.{column}", lang),
                                        line={"color": colour, "dash": dash}),
                             secondary_y=False)
    if "collaboration_density" in metrics:
        figure.add_trace(go.Scatter(x=month, y=metrics["collaboration_density"], mode="lines",
                                    name=t("name.metric.collaboration_density", lang),
                                    line={"color": "#238b45", "width": 3}),
                         secondary_y=True)
    figure.update_xaxes(title_text=t("dash.chart.month", lang))
    figure.update_yaxes(title_text=t("dash.chart.share", lang), tickformat=".0%",
                        rangemode="tozero", secondary_y=False)
    figure.update_yaxes(title_text=t("dash.chart.density", lang), rangemode="tozero",
                        tickformat=".2~%", showgrid=False, secondary_y=True)
    return style_figure(figure, t("dash.chart.collaboration", lang))


def _member_counts(platforms: pd.DataFrame) -> pd.Series:
    if "members" in platforms:
        return platforms["members"]
    parts = [column for column in ("sme_members", "university_members") if column in platforms]
    if parts:
        return platforms[parts].sum(axis=1)
    return pd.Series(0, index=platforms.index)


def platforms_figure(metrics: pd.DataFrame, platforms: pd.DataFrame, lang: Lang) -> go.Figure:
    """Platforms alive over time, and each platform's cash and members now."""
    figure = make_subplots(rows=1, cols=3, column_widths=[0.4, 0.3, 0.3],
                           subplot_titles=(t("dash.chart.platforms_alive", lang),
                                           t("dash.chart.platform_cash", lang),
                                           t("dash.chart.platform_members", lang)))
    month = metrics["step"] if "step" in metrics else metrics.index
    if "platforms_alive" in metrics:
        figure.add_trace(go.Scatter(x=month, y=metrics["platforms_alive"], mode="lines",
                                    line={"shape": "hv", "color": "#54278f"},
                                    name=t("name.metric.platforms_alive", lang),
                                    showlegend=False), row=1, col=1)
    if not platforms.empty:
        name_column = "platform" if "platform" in platforms else "name"
        names = (platforms[name_column].astype(str) if name_column in platforms
                 else platforms.index.astype(str))
        if "alive" in platforms:
            alive = platforms["alive"].astype(bool)
            exited = t("dash.chart.exited", lang)
            names = [name if ok else f"{name} ({exited})" for name, ok in zip(names, alive,
                                                                             strict=True)]
            colours = ["#54278f" if ok else "#bdbdbd" for ok in alive]
        else:
            colours = ["#54278f"] * len(platforms)
        if "cash" in platforms:
            figure.add_trace(go.Bar(x=list(names), y=platforms["cash"], marker_color=colours,
                                    showlegend=False), row=1, col=2)
        figure.add_trace(go.Bar(x=list(names), y=_member_counts(platforms),
                                marker_color=colours, showlegend=False), row=1, col=3)
    figure.update_xaxes(title_text=t("dash.chart.month", lang), row=1, col=1)
    figure.update_yaxes(rangemode="tozero", row=1, col=1)
    return style_figure(figure, t("dash.chart.platforms", lang))


def form_figure(form_share: Mapping[str, float], lang: Lang) -> go.Figure:
    """Share of SMEs that used each cooperation form, coloured loose, medium or tight."""
    figure = go.Figure()
    for tightness in Tightness:
        forms = [form for form in CooperationForm if FORM_TABLE[form].tightness is tightness]
        figure.add_trace(go.Bar(
            x=[t(f"name.form.{form.value}", lang) for form in forms],
            y=[float(form_share.get(form.value, 0.0)) for form in forms],
            name=t(f"name.tightness.{tightness.key}", lang),
            marker_color=TIGHTNESS_COLOURS[tightness]))
    figure.update_yaxes(title_text=t("dash.chart.share", lang), tickformat=".0%",
                        rangemode="tozero")
    return style_figure(figure, t("dash.chart.forms", lang), height=380)


def share_figure(shares: Mapping[str, float], category: str, title_key: str, lang: Lang,
                 colours: Mapping[str, str] | None = None) -> go.Figure:
    """Horizontal bars of the share of SMEs in each value of ``category`` (barrier, path, ...)."""
    keys = list(shares)
    labels = [t(f"name.{category}.{key}", lang) for key in keys]
    values = [float(shares[key]) for key in keys]
    marker = [colours.get(key, "#4292c6") for key in keys] if colours else "#4292c6"
    figure = go.Figure(go.Bar(x=values, y=labels, orientation="h", marker_color=marker,
                              text=[f"{value:.1%}" for value in values],
                              textposition="auto"))
    figure.update_xaxes(title_text=t("dash.chart.share", lang), tickformat=".0%",
                        rangemode="tozero")
    figure.update_yaxes(autorange="reversed", automargin=True)
    height = max(260, 60 + 32 * len(keys))
    return style_figure(figure, t(title_key, lang), height=height)
