"""The self-contained HTML report of one run, and the survey comparison shared with the CLI.

The report inlines plotly.js, so it opens offline from a single file. Every title, axis label
and category name comes from the message catalogue in the chosen language. The display names
of categories and metrics are the ``name.*`` keys of ``i18n/report.LANG.toml``, which the CLI
and the dashboard read too.
"""

from __future__ import annotations

import html
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import Enum
from importlib import metadata
from numbers import Real
from typing import Any

import pandas as pd
import plotly.graph_objects as go
from plotly.offline import get_plotlyjs

from iursim.chain import FORM_TABLE, Barrier, Channel, CooperationForm, Path, Tightness
from iursim.i18n import Lang, catalogue, t
from iursim.runner import RunResult
from iursim.survey import load_survey

__all__ = [
    "HeadlineFigure",
    "SurveyRow",
    "format_share",
    "format_value",
    "headline_figures",
    "label",
    "render_report",
    "survey_comparison",
]

TIGHTNESS_COLOURS: dict[Tightness, str] = {
    Tightness.LOOSE: "#9ecae1",
    Tightness.MEDIUM: "#4292c6",
    Tightness.TIGHT: "#08306b",
}
SIDE_COLOURS: dict[str, str] = {"supply": "#e6550d", "firm": "#756bb1"}
MODEL_COLOUR = "#3182bd"
SURVEY_COLOUR = "#d62728"

# A small template of our own: plotly deep-copies a named template such as "plotly_white" into
# every figure, which took a large share of the report's rendering time.
_TEMPLATE = {"layout": {"paper_bgcolor": "white", "plot_bgcolor": "white",
                        "xaxis": {"gridcolor": "#eceff4", "linecolor": "#9aa5b1",
                                  "zeroline": False},
                        "yaxis": {"gridcolor": "#eceff4", "linecolor": "#9aa5b1",
                                  "zeroline": False}}}

# Figures shown after the survey comparison. Those in _STATE_METRICS describe the state in a
# month, so the last row of the metrics table replaces them when the summary lacks them. Flows
# such as projects started are taken from the summary only, where they are run totals.
HEADLINE_KEYS: tuple[str, ...] = (
    "active_collaboration_share",
    "tight_form_share",
    "collaboration_density",
    "projects_started",
    "projects_succeeded",
    "platform_survival_share",
    "bypass_rate",
    "mean_sme_capability",
    "government_spending",
    "cost_per_successful_project",
)
_STATE_METRICS = frozenset({
    "active_collaboration_share",
    "tight_form_share",
    "collaboration_density",
    "mean_sme_capability",
})


def label(kind: str, value: str | Enum, lang: Lang) -> str:
    """Return the display name of a category or metric, e.g. ``label("form", ...)``.

    Falls back to the snake_case name itself when the catalogue has no entry, so a category
    added to the model shows up under its output name until it is translated.
    """
    name = value.value if isinstance(value, Enum) else value
    return catalogue(lang).get(f"name.{kind}.{name}", str(name))


def _is_number(value: Any) -> bool:
    return isinstance(value, Real) and not isinstance(value, bool)


def _finite(value: Any) -> float | None:
    if not _is_number(value):
        return None
    number = float(value)
    return number if math.isfinite(number) else None


def format_share(value: float | None, lang: Lang) -> str:
    """Format a share in [0, 1] as a percentage with two decimals."""
    return t("report.none", lang) if value is None else f"{value:.2%}"


def format_value(key: str, value: float | None, lang: Lang) -> str:
    """Format the figure ``key``: shares as percentages, counts as integers."""
    if value is None:
        return t("report.none", lang)
    if key.endswith(("_share", "_rate")) or key == "commissioner_coverage":
        return format_share(value, lang)
    if key == "collaboration_density":
        return f"{value:.4f}"
    if float(value).is_integer() and abs(value) < 1e12:
        return f"{int(value):,}"
    return f"{value:,.2f}"


@dataclass(frozen=True)
class SurveyRow:
    """One measure the model shares with the survey.

    Attributes:
        key: Display-name key under ``name.metric``.
        model: The model's value, or None when the run did not produce it.
        survey: The survey's share of its 527 respondents.
    """

    key: str
    model: float | None
    survey: float

    @property
    def gap_points(self) -> float | None:
        """Model minus survey, in percentage points."""
        return None if self.model is None else 100.0 * (self.model - self.survey)


def survey_comparison(summary: Mapping[str, Any]) -> list[SurveyRow]:
    """Pair the run's summary with the survey figures for the same measures.

    The calibration targets of the survey data file are matched by key against the summary
    (for example ``ever_collaborated_share`` and ``commissioner_coverage``), and the survey's
    channel shares against ``summary["channel_share"]``. Targets without a model counterpart
    are left out.
    """
    survey = load_survey()
    rows = [
        SurveyRow(key, _finite(summary[key]), float(share))
        for key, share in survey.targets.items()
        if key in summary
    ]
    channel_share = summary.get("channel_share") or {}
    rows.extend(
        SurveyRow(f"channel_{channel}", _finite(channel_share.get(channel)), float(share))
        for channel, share in survey.channels.items()
    )
    return rows


@dataclass(frozen=True)
class HeadlineFigure:
    """One headline figure of a run, keyed by its ``name.metric`` key."""

    key: str
    value: float | None


def headline_figures(result: RunResult) -> list[HeadlineFigure]:
    """Return the run's headline figures that have no survey counterpart."""
    last_row = result.metrics.iloc[-1] if len(result.metrics) else None
    figures = []
    for key in HEADLINE_KEYS:
        if key in result.summary:
            figures.append(HeadlineFigure(key, _finite(result.summary[key])))
        elif key in _STATE_METRICS and last_row is not None and key in last_row.index:
            figures.append(HeadlineFigure(key, _finite(last_row[key])))
    return figures


# --------------------------------------------------------------------------------------------
# Charts


def _layout(figure: go.Figure, title: str, *, height: int = 340) -> go.Figure:
    figure.update_layout(
        title={"text": title, "x": 0.01, "xanchor": "left", "font": {"size": 15}},
        height=height,
        margin={"l": 60, "r": 20, "t": 50, "b": 45},
        template=_TEMPLATE,
        legend={"orientation": "h", "y": -0.2},
        font={"family": "'Noto Sans CJK SC', 'Microsoft YaHei', 'PingFang SC', sans-serif"},
    )
    return figure


def _line_chart(metrics: pd.DataFrame, columns: Iterable[str], title: str, y_title: str,
                lang: Lang, *, share: bool = False,
                survey: Mapping[str, float] | None = None) -> go.Figure | None:
    present = [column for column in columns if column in metrics.columns]
    if not present or "step" not in metrics.columns:
        return None
    figure = go.Figure()
    for column in present:
        figure.add_trace(go.Scatter(x=metrics["step"], y=metrics[column], mode="lines",
                                    name=label("metric", column, lang)))
    for key, value in (survey or {}).items():
        figure.add_hline(y=value, line_dash="dot", line_color=SURVEY_COLOUR,
                         annotation_text=f"{t('report.survey_marker', lang)}: "
                                         f"{label('metric', key, lang)} {value:.2%}",
                         annotation_position="top left")
    figure.update_xaxes(title_text=t("report.axis.month", lang))
    figure.update_yaxes(title_text=y_title)
    if share:
        figure.update_yaxes(range=[0, 1], tickformat=".0%")
    return _layout(figure, title)


def _share_values(mapping: Mapping[str, Any], keys: Iterable[str]) -> list[float | None]:
    return [_finite(mapping.get(key)) for key in keys]


def _bar_chart(groups: list[tuple[str, list[str], list[str], str]], title: str,
               lang: Lang) -> go.Figure:
    """Horizontal bars of shares; each group is (legend name, labels, keys' values, colour)."""
    figure = go.Figure()
    for name, labels, values, colour in groups:
        figure.add_trace(go.Bar(
            y=labels, x=values, orientation="h", name=name, marker_color=colour,
            text=[t("report.empty", lang) if value is None else f"{value:.1%}"
                  for value in values],
            textposition="outside", cliponaxis=False,
        ))
    figure.update_xaxes(range=[0, 1.1], tickformat=".0%", title_text=t("report.axis.share", lang))
    figure.update_yaxes(autorange="reversed", automargin=True)
    bar_count = sum(len(group[1]) for group in groups)
    return _layout(figure, title, height=140 + 32 * bar_count)


def _form_chart(form_share: Mapping[str, Any], lang: Lang) -> go.Figure:
    groups = []
    for tightness in Tightness:
        forms = [form for form in CooperationForm if FORM_TABLE[form].tightness is tightness]
        groups.append((
            label("tightness", tightness.key, lang),
            [label("form", form, lang) for form in forms],
            _share_values(form_share, [form.value for form in forms]),
            TIGHTNESS_COLOURS[tightness],
        ))
    return _bar_chart(groups, t("report.chart.forms", lang), lang)


def _barrier_chart(barrier_share: Mapping[str, Any], lang: Lang) -> go.Figure:
    groups = []
    for side, colour in SIDE_COLOURS.items():
        barriers = [barrier for barrier in Barrier if barrier.side.value == side]
        groups.append((
            label("side", side, lang),
            [label("barrier", barrier, lang) for barrier in barriers],
            _share_values(barrier_share, [barrier.value for barrier in barriers]),
            colour,
        ))
    return _bar_chart(groups, t("report.chart.barriers", lang), lang)


def _path_chart(path_share: Mapping[str, Any], lang: Lang) -> go.Figure:
    paths = list(Path)
    group = (t("report.model_series", lang), [label("path", path, lang) for path in paths],
             _share_values(path_share, [path.value for path in paths]), MODEL_COLOUR)
    return _bar_chart([group], t("report.chart.paths", lang), lang)


def _channel_chart(channel_share: Mapping[str, Any], lang: Lang) -> go.Figure:
    channels = list(Channel)
    labels = [label("channel", channel, lang) for channel in channels]
    figure = _bar_chart([(t("report.model_series", lang), labels,
                          _share_values(channel_share, [channel.value for channel in channels]),
                          MODEL_COLOUR)],
                        t("report.chart.channels", lang), lang)
    survey = load_survey().channels
    surveyed = [channel for channel in channels if channel.value in survey]
    figure.add_trace(go.Scatter(
        y=[label("channel", channel, lang) for channel in surveyed],
        x=[survey[channel.value] for channel in surveyed],
        mode="markers", name=t("report.survey_marker", lang),
        marker={"symbol": "diamond", "size": 12, "color": SURVEY_COLOUR},
    ))
    return figure


def _time_series_charts(result: RunResult, lang: Lang) -> list[go.Figure]:
    metrics = result.metrics
    targets = load_survey().targets
    survey_lines = {key: targets[key] for key in ("ever_collaborated_share",) if key in targets}
    charts = [
        _line_chart(metrics, ("active_collaboration_share", "ever_collaborated_share",
                              "tight_form_share"),
                    t("report.chart.shares", lang), t("report.axis.share", lang), lang,
                    share=True, survey=survey_lines),
        _line_chart(metrics, ("collaboration_density",), t("report.chart.density", lang),
                    t("report.axis.value", lang), lang),
        _line_chart(metrics, ("projects_started", "projects_succeeded"),
                    t("report.chart.projects", lang), t("report.axis.count", lang), lang),
        _line_chart(metrics, ("platforms_alive",), t("report.chart.platforms", lang),
                    t("report.axis.count", lang), lang),
        _line_chart(metrics, ("mean_sme_capability",), t("report.chart.capability", lang),
                    t("report.axis.value", lang), lang),
        _line_chart(metrics, ("government_spending",), t("report.chart.spending", lang),
                    t("report.axis.value", lang), lang),
    ]
    return [chart for chart in charts if chart is not None]


# --------------------------------------------------------------------------------------------
# Tables and page


def _chart_html(figure: go.Figure, div_id: str) -> str:
    # Fixed div ids keep the report's markup stable between runs of the same scenario.
    return figure.to_html(full_html=False, include_plotlyjs=False, div_id=div_id,
                          config={"displaylogo": False, "responsive": True})


def _overview_table(result: RunResult, lang: Lang) -> str:
    head = "".join(f"<th>{html.escape(t(key, lang))}</th>" for key in (
        "report.table.measure", "report.table.model", "report.table.survey", "report.table.gap"))
    none = t("report.none", lang)
    rows = []
    for row in survey_comparison(result.summary):
        gap = none if row.gap_points is None else f"{row.gap_points:+.1f}"
        rows.append(
            f"<tr><td>{html.escape(label('metric', row.key, lang))}</td>"
            f"<td>{format_share(row.model, lang)}</td>"
            f"<td>{format_share(row.survey, lang)}</td><td>{gap}</td></tr>"
        )
    for figure in headline_figures(result):
        rows.append(
            f"<tr><td>{html.escape(label('metric', figure.key, lang))}</td>"
            f"<td>{format_value(figure.key, figure.value, lang)}</td>"
            f"<td>{none}</td><td>{none}</td></tr>"
        )
    return (f"<table class='figures'><thead><tr>{head}</tr></thead>"
            f"<tbody>{''.join(rows)}</tbody></table>"
            f"<p class='note'>{html.escape(t('report.table.source', lang))}</p>")


# Columns whose values are category names with a display name of their own.
_CATEGORY_COLUMNS: dict[str, str] = {
    "ownership": "ownership",
    "scope": "scope",
    "region_type": "region_type",
    "type": "region_type",
    "role": "role",
}


def _cell(column: str, value: Any, lang: Lang) -> str:
    if isinstance(value, Enum):
        value = value.value
    if column == "exit_step" and _is_number(value) and value < 0:
        return t("report.none", lang)  # -1 marks a platform that has not exited
    if column == "commission_rate" and _is_number(value):
        return format_share(float(value), lang)
    if column in _CATEGORY_COLUMNS and isinstance(value, str):
        return html.escape(label(_CATEGORY_COLUMNS[column], value, lang))
    if isinstance(value, bool):
        return "✓" if value else "–"
    if _is_number(value):
        number = float(value)
        if not math.isfinite(number):
            return t("report.none", lang)
        return f"{int(number):,}" if number.is_integer() else f"{number:,.2f}"
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return t("report.none", lang)
    return html.escape(str(value))


def _platform_table(platforms: pd.DataFrame, lang: Lang) -> str:
    if platforms.empty:
        return f"<p>{html.escape(t('report.empty', lang))}</p>"
    names = catalogue(lang)
    # Numbers align right, names and categories left.
    classes = ["num" if pd.api.types.is_numeric_dtype(platforms[column])
               and not pd.api.types.is_bool_dtype(platforms[column]) else "text"
               for column in platforms.columns]
    head = "".join(
        f"<th class='{css}'>{html.escape(names.get(f'name.platform.{column}', str(column)))}</th>"
        for column, css in zip(platforms.columns, classes, strict=True)
    )
    body = "".join(
        "<tr>" + "".join(f"<td class='{css}'>{_cell(str(column), value, lang)}</td>"
                         for column, css, value in zip(platforms.columns, classes, row,
                                                       strict=True)) + "</tr>"
        for row in platforms.itertuples(index=False, name=None)
    )
    return (f"<div class='scroll'><table><thead><tr>{head}</tr></thead>"
            f"<tbody>{body}</tbody></table></div>")


_STYLE = """
body { font-family: 'Noto Sans CJK SC', 'Microsoft YaHei', 'PingFang SC', sans-serif;
       margin: 0 auto; max-width: 1200px; padding: 1.5em; color: #222; }
h1 { font-size: 1.6em; margin-bottom: 0.2em; }
h2 { font-size: 1.25em; border-bottom: 1px solid #ddd; padding-bottom: 0.2em; margin-top: 1.6em; }
.subtitle, .note, footer { color: #555; font-size: 0.9em; }
.grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(480px, 1fr)); gap: 1em; }
.grid > div { min-width: 0; }
table { border-collapse: collapse; font-size: 0.92em; margin: 0.5em 0; }
th, td { border: 1px solid #ddd; padding: 0.3em 0.7em; text-align: left; }
.num, .figures td + td, .figures th + th { text-align: right; }
th { background: #f3f6fa; }
td { white-space: nowrap; }
.scroll { overflow-x: auto; }
"""


def render_report(result: RunResult, lang: Lang = "zh") -> str:
    """Render the HTML report of ``result`` in ``lang`` as one self-contained page."""
    scenario = result.scenario
    summary = result.summary
    title = t("report.title", lang, name=scenario.name)
    subtitle = t("report.subtitle", lang, name=scenario.name, seed=scenario.run.seed,
                 steps=scenario.run.steps, smes=scenario.population.smes,
                 started=result.started, finished=result.finished)
    try:
        version = metadata.version("iursim")
    except metadata.PackageNotFoundError:
        version = "?"

    sections = [
        ("overview", _overview_table(result, lang)),
        ("time_series", "<div class='grid'>" + "".join(
            _chart_html(chart, f"chart-time-{index}")
            for index, chart in enumerate(_time_series_charts(result, lang))) + "</div>"),
    ]
    categorical = (
        ("forms", "form_share", _form_chart),
        ("barriers", "barrier_share", _barrier_chart),
        ("paths", "path_share", _path_chart),
        ("channels", "channel_share", _channel_chart),
    )
    for section, key, build in categorical:
        shares = summary.get(key)
        if isinstance(shares, Mapping):
            body = _chart_html(build(shares, lang), f"chart-{section}")
        else:
            body = f"<p>{html.escape(t('report.empty', lang))}</p>"
        sections.append((section, body))
    sections.append(("platforms", _platform_table(result.platforms, lang)))

    body = "".join(
        f"<section id='{name}'><h2>{html.escape(t(f'report.section.{name}', lang))}</h2>"
        f"{content}</section>"
        for name, content in sections
    )
    html_lang = "zh-CN" if lang == "zh" else "en"
    return (
        f"<!DOCTYPE html>\n<html lang='{html_lang}'>\n<head>\n<meta charset='utf-8'>\n"
        f"<meta name='viewport' content='width=device-width, initial-scale=1'>\n"
        f"<title>{html.escape(title)}</title>\n<style>{_STYLE}</style>\n"
        f"<script type='text/javascript'>{get_plotlyjs()}</script>\n</head>\n<body>\n"
        f"<header><h1>{html.escape(title)}</h1>"
        f"<p class='subtitle'>{html.escape(subtitle)}</p></header>\n{body}\n"
        f"<footer><p>{html.escape(t('report.generated', lang, version=version))}</p></footer>\n"
        f"</body>\n</html>\n"
    )
