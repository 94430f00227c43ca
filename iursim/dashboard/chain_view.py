"""The teaching view of the innovation chain.

It shows the running projects per stage, the three entry paths, and a plain-language account of
the month.
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from iursim.chain import PATH_ENTRY_STAGE, Path, Stage
from iursim.dashboard.charts import PATH_COLOURS, style_figure
from iursim.dashboard.text import format_share
from iursim.i18n import Lang, t

__all__ = ["chain_explanation", "chain_figure"]

# The first five stages, up to trial production, are R&D.
_RD_STAGES = frozenset(stage for stage in Stage if stage <= Stage.TRIAL_PRODUCTION)


def chain_figure(stage_counts: Mapping[str, int], path_share: Mapping[str, float],
                 lang: Lang, flows: Mapping[str, int] | None = None) -> go.Figure:
    """Draw the chain left to right: running projects per stage above, entry paths below.

    ``flows`` gives, per stage key, the projects that moved on from that stage this month;
    each arrow between two stages is labelled with it.
    """
    stages = list(Stage)
    names = [t(f"name.stage.{stage.key}", lang) for stage in stages]
    counts = [int(stage_counts.get(stage.key, 0)) for stage in stages]
    figure = make_subplots(rows=2, cols=1, shared_xaxes=True, row_heights=[0.55, 0.45],
                           vertical_spacing=0.04)
    figure.add_trace(go.Bar(
        x=list(range(len(stages))), y=counts,
        marker_color=["#4292c6" if stage in _RD_STAGES else "#41ab5d" for stage in stages],
        text=[t("dash.chain.needs" if stage is Stage.INNOVATION_DEMAND else "dash.chain.projects",
                lang, count=count) for stage, count in zip(stages, counts, strict=True)],
        textposition="outside", hovertext=names, hoverinfo="text+y", showlegend=False),
        row=1, col=1)
    top = max(counts + [1]) * 1.3
    figure.add_vrect(x0=-0.5, x1=float(Stage.TRIAL_PRODUCTION) + 0.5, fillcolor="#deebf7",
                     opacity=0.5, line_width=0, row=1, col=1)
    figure.add_annotation(x=float(Stage.TRIAL_PRODUCTION) / 2, y=top * 0.95,
                          text=t("dash.chain.rd_span", lang), showarrow=False,
                          font={"color": "#08519c"}, row=1, col=1)
    figure.update_yaxes(range=[0, top], title_text=t("dash.chart.count", lang), row=1, col=1)

    # The chain itself: arrows from each stage to the next, on the lower panel's top line.
    flows = flows or {}
    for index in range(len(stages) - 1):
        moved = int(flows.get(stages[index].key, 0))
        figure.add_annotation(x=index + 0.8, y=3.5, ax=index + 0.2, ay=3.5, xref="x2",
                              yref="y2", axref="x2", ayref="y2", text="", showarrow=True,
                              arrowhead=3, arrowsize=1.2, arrowwidth=1 + min(moved, 40) / 8,
                              arrowcolor="#525252")
        if moved:
            figure.add_annotation(x=index + 0.5, y=3.78, xref="x2", yref="y2",
                                  text=t("dash.chain.moved", lang, count=moved),
                                  showarrow=False, font={"size": 10})
    for level, path in enumerate(Path):
        entry = int(PATH_ENTRY_STAGE[path])
        y = 2.5 - level
        label = t("dash.chain.path_share", lang, path=t(f"name.path.{path.value}", lang),
                  share=format_share(float(path_share.get(path.value, 0.0))))
        figure.add_trace(go.Scatter(
            x=[entry, len(stages) - 1], y=[y, y], mode="lines+markers",
            line={"color": PATH_COLOURS[path.value], "width": 4},
            marker={"size": [16, 6], "symbol": ["triangle-right", "circle"]},
            name=label, hovertext=[label, ""], hoverinfo="text", showlegend=False),
            row=2, col=1)
        figure.add_annotation(x=entry, y=y + 0.38, text=f"{label} · {t('dash.chain.entry', lang)}",
                              showarrow=False, xanchor="left", font={"size": 11},
                              row=2, col=1)
    figure.update_yaxes(visible=False, range=[0, 4], row=2, col=1)
    figure.update_xaxes(tickvals=list(range(len(stages))), ticktext=names, row=2, col=1)
    figure.update_xaxes(range=[-0.5, len(stages) - 0.5])
    return style_figure(figure, t("dash.chart.chain", lang), height=520)


def chain_explanation(metrics: pd.DataFrame, stage_counts: Mapping[str, int],
                      lang: Lang, flows: Mapping[str, int] | None = None) -> list[str]:
    """Return a short account of the current month in ``lang``, one paragraph per item."""
    month = int(metrics["step"].iloc[-1]) if "step" in metrics and len(metrics) else 0
    if month == 0:
        return [t("dash.chain.month_zero", lang), t("dash.chain.paths", lang)]
    last = metrics.iloc[-1]
    # The model counts this month's new needs at the demand stage and running projects at the
    # later stages, so the two are reported separately.
    needs = int(stage_counts.get(Stage.INNOVATION_DEMAND.key, 0))
    project_stages = [stage for stage in Stage if stage is not Stage.INNOVATION_DEMAND]
    running = sum(int(stage_counts.get(stage.key, 0)) for stage in project_stages)
    lines = [t("dash.chain.month", lang, month=month,
               started=int(last.get("projects_started", 0)),
               succeeded=int(last.get("projects_succeeded", 0)), running=running),
             t("dash.chain.needs_line", lang, count=needs)]
    if running:
        busiest = max(project_stages, key=lambda stage: (stage_counts.get(stage.key, 0), -stage))
        lines.append(t("dash.chain.busiest", lang, count=stage_counts.get(busiest.key, 0),
                       stage=t(f"name.stage.{busiest.key}", lang)))
    else:
        lines.append(t("dash.chain.idle", lang))
    moved = sum((flows or {}).values())
    if moved:
        lines.append(t("dash.chain.moved_line", lang, count=moved))
    lines.append(t("dash.chain.paths", lang))
    lines.append(t("dash.chain.flow", lang))
    return lines
