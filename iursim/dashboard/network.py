"""Plotly view of the collaboration network, sampled so that it stays readable at scale.

Nodes sit on concentric rings by kind: platforms in the centre, then intermediaries, then
universities, with SMEs on the outer ring grouped by path or region. A fixed layout costs O(n)
per month, whereas a force layout of a few hundred nodes takes longer than a month's step.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Iterable
from dataclasses import dataclass
from typing import Any

import networkx as nx
import plotly.graph_objects as go

from iursim.chain import FORM_TABLE, CooperationForm, Tightness
from iursim.dashboard.charts import PATH_COLOURS, TIGHTNESS_COLOURS, style_figure
from iursim.i18n import Lang, t

__all__ = ["MAX_SMES_SHOWN", "NetworkSample", "network_figure", "sample_network"]

# Most SMEs drawn; beyond this the outer ring is too dense to see single ties.
MAX_SMES_SHOWN = 300

_RING_RADIUS = {"platform": 0.12, "intermediary": 0.35, "university": 0.62, "sme": 1.0}
_REGION_COLOURS = ("#1f78b4", "#33a02c", "#e31a1c", "#ff7f00", "#6a3d9a", "#b15928",
                   "#a6cee3", "#b2df8a")


@dataclass
class NetworkSample:
    """The nodes of one drawing and how they were chosen.

    Attributes:
        smes: SME nodes drawn, in graph order.
        others: Universities, intermediaries and platforms, all drawn.
        total_smes: SMEs in the whole network.
        every: Sampling interval: every ``every``-th SME in graph order is drawn.
    """

    smes: list[Hashable]
    others: list[Hashable]
    total_smes: int
    every: int

    @property
    def sampled(self) -> bool:
        """True when some SMEs are left out."""
        return len(self.smes) < self.total_smes


def sample_network(graph: nx.Graph, limit: int = MAX_SMES_SHOWN) -> NetworkSample:
    """Choose the SMEs to draw: a systematic sample of every k-th SME in graph order.

    A systematic sample keeps the same SMEs from month to month (so the picture changes only
    where ties change) and needs no random numbers, so the model's stream stays untouched.
    """
    smes = [node for node, kind in graph.nodes(data="kind") if kind == "sme"]
    others = [node for node, kind in graph.nodes(data="kind") if kind != "sme"]
    every = max(1, math.ceil(len(smes) / limit)) if limit > 0 else 1
    return NetworkSample(smes=smes[::every], others=others, total_smes=len(smes), every=every)


def _enum_value(value: Any) -> str:
    return str(getattr(value, "value", value))


def _ring(nodes: list[Hashable], radius: float, offset: float = 0.0) -> dict[Hashable, tuple]:
    count = max(len(nodes), 1)
    return {node: (radius * math.cos(2 * math.pi * (i / count) + offset),
                   radius * math.sin(2 * math.pi * (i / count) + offset))
            for i, node in enumerate(nodes)}


def _tightness(form: Any) -> Tightness | None:
    try:
        return FORM_TABLE[CooperationForm(_enum_value(form))].tightness
    except ValueError:
        return None


def _line_trace(segments: Iterable[tuple[tuple, tuple]], name: str, colour: str,
                width: float, opacity: float = 1.0) -> go.Scatter:
    xs: list[float | None] = []
    ys: list[float | None] = []
    for (x0, y0), (x1, y1) in segments:
        xs += [x0, x1, None]
        ys += [y0, y1, None]
    return go.Scatter(x=xs, y=ys, mode="lines", name=name, hoverinfo="skip", opacity=opacity,
                      line={"color": colour, "width": width})


def network_figure(graph: nx.Graph, lang: Lang, colour_by: str = "path",
                   limit: int = MAX_SMES_SHOWN) -> tuple[go.Figure, str]:
    """Draw the network and return the figure with a sentence that describes what is drawn.

    Args:
        graph: The model's network; nodes carry ``kind``, SMEs ``path`` and ``region``,
            SME-university edges ``form``.
        lang: Display language.
        colour_by: ``path`` or ``region``: the SME attribute that sets the node colour.
        limit: Most SMEs drawn.
    """
    sample = sample_network(graph, limit)
    kinds = {node: graph.nodes[node].get("kind", "") for node in sample.others}
    attribute = "region" if colour_by == "region" else "path"
    order = {node: index for index, node in enumerate(sample.smes)}
    smes = sorted(sample.smes, key=lambda node: (_enum_value(graph.nodes[node].get(attribute)),
                                                  order[node]))
    position: dict[Hashable, tuple] = {}
    position.update(_ring(smes, _RING_RADIUS["sme"]))
    for kind in ("university", "intermediary", "platform"):
        position.update(_ring([node for node in sample.others if kinds[node] == kind],
                              _RING_RADIUS[kind], offset=0.3))

    by_tightness: dict[Tightness, list] = {level: [] for level in Tightness}
    memberships: list = []
    others: list = []
    drawn = set(position)
    for sme in sample.smes:
        for neighbour, data in graph[sme].items():
            if neighbour not in drawn:
                continue
            segment = (position[sme], position[neighbour])
            level = _tightness(data["form"]) if "form" in data else None
            if level is not None:
                by_tightness[level].append(segment)
            elif kinds.get(neighbour) == "platform":
                memberships.append(segment)
            else:
                others.append(segment)

    figure = go.Figure()
    figure.add_trace(_line_trace(memberships, t("dash.network.membership", lang), "#bdbdbd",
                                 0.5, opacity=0.5))
    figure.add_trace(_line_trace(others, t("dash.network.other_tie", lang), "#969696", 0.7,
                                 opacity=0.6))
    for level in Tightness:
        figure.add_trace(_line_trace(by_tightness[level],
                                     t(f"name.tightness.{level.key}", lang),
                                     TIGHTNESS_COLOURS[level], 1.0 + level))

    groups: dict[str, list[Hashable]] = {}
    for sme in smes:
        groups.setdefault(_enum_value(graph.nodes[sme].get(attribute, "")), []).append(sme)
    for index, (group, members) in enumerate(sorted(groups.items())):
        if attribute == "path":
            colour = PATH_COLOURS.get(group, "#737373")
            name = t(f"name.path.{group}", lang) if group in PATH_COLOURS else t(
                "dash.network.unknown_path", lang)
        else:
            colour = _REGION_COLOURS[index % len(_REGION_COLOURS)]
            name = group
        figure.add_trace(go.Scatter(
            x=[position[node][0] for node in members], y=[position[node][1] for node in members],
            mode="markers", name=name, marker={"size": 6, "color": colour},
            hovertext=[f"{t('dash.network.kind_sme', lang)} {node}" for node in members],
            hoverinfo="text"))
    for kind, symbol, colour, size in (("university", "square", "#08306b", 10),
                                       ("intermediary", "diamond", "#737373", 10),
                                       ("platform", "star", "#54278f", 18)):
        members = [node for node in sample.others if kinds[node] == kind]
        label = t(f"dash.network.kind_{kind}", lang)
        figure.add_trace(go.Scatter(
            x=[position[node][0] for node in members], y=[position[node][1] for node in members],
            mode="markers", name=label, marker={"size": size, "symbol": symbol, "color": colour},
            hovertext=[f"{label} {graph.nodes[node].get('name', node)}" for node in members],
            hoverinfo="text"))

    figure.update_xaxes(visible=False)
    figure.update_yaxes(visible=False, scaleanchor="x", scaleratio=1)
    style_figure(figure, t("dash.chart.network", lang), height=640)
    if sample.sampled:
        note = t("dash.network.sampled", lang, shown=len(sample.smes), total=sample.total_smes,
                 every=sample.every)
    else:
        note = t("dash.network.complete", lang, total=sample.total_smes)
    return figure, note
