"""The collaboration network as a networkx graph.

Nodes: ``s<i>`` firms, ``u<j>`` universities and institutes, ``m<k>`` intermediaries,
``p<k>`` platforms. Edges: live firm-university ties (``kind="tie"`` with strength, count,
trust, last form, running projects), platform memberships (``kind="member"``) and commissioner
assignments from the home university (``kind="commissioner"``). The graph is built on demand
from the model's columns, which the monthly phases update; density and tie metrics are
computed from the same columns.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import networkx as nx
import numpy as np

from iursim.agents.sme import PATHS
from iursim.chain import FORMS
from iursim.survey import SECTORS

if TYPE_CHECKING:
    from iursim.model import IURModel

__all__ = ["build_graph"]


def build_graph(model: IURModel, include_memberships: bool = True) -> nx.Graph:
    """Return the current network; attribute values are str, int, float or bool (GraphML)."""
    graph = nx.Graph()
    smes = model.smes
    alive = np.flatnonzero(smes.alive)
    region_names = model.region_names
    graph.add_nodes_from(
        (f"s{row}", {"kind": "sme", "path": PATHS[int(smes.path[row])].value,
                     "region": region_names[int(smes.region[row])],
                     "sector": SECTORS[int(smes.sector[row])],
                     "capability": float(smes.capability[row]),
                     "spinoff": bool(smes.spinoff[row])})
        for row in alive.tolist())
    unis = model.universities
    graph.add_nodes_from(
        (f"u{row}", {"kind": "university", "institute": bool(unis.institute[row]),
                     "region": region_names[int(unis.region[row])],
                     "capacity": float(unis.capacity[row])})
        for row in range(len(unis)))
    for index, intermediary in enumerate(model.intermediaries):
        graph.add_node(f"m{index}", kind="intermediary", intermediary_kind=intermediary.kind.value,
                       scope=intermediary.scope.value, region=region_names[intermediary.region])
    for platform in model.platforms:
        graph.add_node(f"p{platform.index}", kind="platform", ownership=platform.ownership.value,
                       scope=platform.scope.value, alive=platform.alive, name=platform.name)

    ties = model.ties
    live = np.flatnonzero(ties.alive)
    graph.add_edges_from(
        (f"s{sme}", f"u{university}",
         {"kind": "tie", "strength": float(strength), "count": int(count), "trust": float(trust),
          "form": FORMS[int(form)].value, "running": int(running)})
        for sme, university, strength, count, trust, form, running in zip(
            ties.sme[live].tolist(), ties.university[live].tolist(),
            ties.strength[live].tolist(), ties.count[live].tolist(), ties.trust[live].tolist(),
            ties.last_form[live].tolist(), ties.running[live].tolist(), strict=True))
    for commissioner in model.commissioners:
        for sme in commissioner.smes.tolist():
            if graph.has_edge(f"s{sme}", f"u{commissioner.home}"):
                graph.edges[f"s{sme}", f"u{commissioner.home}"]["commissioner"] = True
            else:
                graph.add_edge(f"s{sme}", f"u{commissioner.home}", kind="commissioner")
    if include_memberships:
        for platform in model.platforms:
            members = np.flatnonzero(smes.platform_member[:, platform.index] & smes.alive)
            graph.add_edges_from((f"s{row}", f"p{platform.index}", {"kind": "member"})
                                 for row in members.tolist())
            graph.add_edges_from((f"u{row}", f"p{platform.index}", {"kind": "member"})
                                 for row in np.flatnonzero(platform.university_member).tolist())
    return graph
