"""Reporters, the end-of-run summary and the per-agent tables.

Reporters are module-level functions (picklable for worker processes). Rates whose
denominator is zero (no live firms, no universities, no projects yet) are NaN, never an error:
a population of zero SMEs or zero universities runs to the end and reports NaN rates and zero
counts.

Shares of firms are taken over the firms alive at the time of measurement, each with its whole
history (firms created by spin-offs or entry included).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from iursim.agents.sme import PATHS
from iursim.chain import BARRIERS, CHANNELS, FORMS, BarrierSide, Tightness
from iursim.projects import FORM, ProjectStatus, project_stage
from iursim.survey import SECTORS

if TYPE_CHECKING:
    from iursim.model import IURModel

__all__ = ["MODEL_REPORTERS", "platform_frame", "project_frame", "sme_frame", "summarize"]

NAN = float("nan")
# Months before the measurement in which a need or a finished project counts as continuing or
# planning cooperation: one yearly planning and budget cycle.
PLANNING_WINDOW_MONTHS = 12


def _ratio(numerator: float, denominator: float) -> float:
    return float(numerator) / float(denominator) if denominator else NAN


def _alive_count(model: IURModel) -> int:
    return int(model.smes.alive.sum())


def collaboration_density(model: IURModel) -> float:
    """Live firm-university ties over possible pairs (live firms x universities)."""
    return _ratio(model.ties.alive_count if hasattr(model, "ties") else 0,
                  _alive_count(model) * len(model.universities))


def active_collaboration_share(model: IURModel) -> float:
    """Share of live firms with a running project."""
    smes = model.smes
    return _ratio((smes.alive & (smes.running_projects > 0)).sum(), _alive_count(model))


def ever_collaborated_share(model: IURModel) -> float:
    """Share of live firms that ever started a project."""
    smes = model.smes
    return _ratio((smes.alive & smes.ever_collaborated).sum(), _alive_count(model))


def _tightness_share(model: IURModel, level: Tightness) -> float:
    counts = model.form_counts
    return _ratio(counts[FORM["tightness"] == level].sum(), counts.sum())


def tight_form_share(model: IURModel) -> float:
    """Share of projects started so far in tight forms."""
    return _tightness_share(model, Tightness.TIGHT)


def medium_form_share(model: IURModel) -> float:
    """Share of projects started so far in medium forms."""
    return _tightness_share(model, Tightness.MEDIUM)


def loose_form_share(model: IURModel) -> float:
    """Share of projects started so far in loose forms."""
    return _tightness_share(model, Tightness.LOOSE)


def repeat_tie_share(model: IURModel) -> float:
    """Share of live ties that carried two or more projects."""
    if not hasattr(model, "ties"):
        return NAN
    ties = model.ties
    return _ratio((ties.alive & (ties.count >= 2)).sum(), ties.alive_count)


def mean_tie_strength(model: IURModel) -> float:
    """Mean strength of live ties."""
    if not hasattr(model, "ties") or not model.ties.alive_count:
        return NAN
    return float(model.ties.strength[model.ties.alive].mean())


def projects_running(model: IURModel) -> int:
    """Projects running at the end of the month."""
    return int(len(model.projects.running_rows)) if hasattr(model, "projects") else 0


def projects_started(model: IURModel) -> int:
    """Projects started this month."""
    return model.month.started


def projects_completed(model: IURModel) -> int:
    """Projects finished this month."""
    return model.month.completed


def projects_succeeded(model: IURModel) -> int:
    """Projects finished with success this month."""
    return model.month.succeeded


def searches(model: IURModel) -> int:
    """Firms that searched for a partner this month (needs articulated)."""
    return model.month.searches


def failed_attempts(model: IURModel) -> int:
    """Firms whose attempt a barrier stopped this month."""
    return model.month.failed_attempts


def innovation_output(model: IURModel) -> float:
    """Cumulative innovation output of live firms (sum over successful projects)."""
    smes = model.smes
    return float(smes.output[smes.alive].sum())


def mean_sme_capability(model: IURModel) -> float:
    """Mean technology capability of live firms, 0-1."""
    smes = model.smes
    return float(smes.capability[smes.alive].mean()) if smes.alive.any() else NAN


def smes_alive(model: IURModel) -> int:
    """Live firms."""
    return _alive_count(model)


def platforms_alive(model: IURModel) -> int:
    """Platforms still operating."""
    return sum(1 for platform in model.platforms if platform.alive)


def platform_members(model: IURModel) -> int:
    """SME memberships of live platforms (a firm in two platforms counts twice)."""
    return int(model.smes.platform_member[model.smes.alive].sum())


def platform_cash(model: IURModel) -> float:
    """Cash of live platforms, 10k CNY."""
    return float(sum(platform.cash for platform in model.platforms if platform.alive))


def platform_revenue(model: IURModel) -> float:
    """Cumulative revenue of all platforms (fees, commission, subsidy), 10k CNY."""
    return float(sum(sum(platform.revenue.values()) for platform in model.platforms))


def bypass_rate(model: IURModel) -> float:
    """Share of platform-originated deals so far whose pair bypassed the commission."""
    return _ratio(model.totals["platform_bypassed"], model.totals["platform_deals"])


def continuing_or_planning_share(model: IURModel) -> float:
    """Share of live firms that continue or plan IUR cooperation.

    A firm counts when it has a running project, finished one in the last
    ``PLANNING_WINDOW_MONTHS`` months (it continues), or formed a technology need in that
    window (it plans). This is the model's reading of the survey question "continues, or
    plans to start, IUR cooperation in future".
    """
    smes = model.smes
    since = model.steps - PLANNING_WINDOW_MONTHS
    recent = (smes.last_need >= since) | (smes.running_projects > 0)
    projects = getattr(model, "projects", None)
    if projects is not None and len(projects):
        ended = (projects.status != ProjectStatus.RUNNING) & (projects.end >= since)
        recent[projects.sme[ended]] = True
    return _ratio((smes.alive & recent).sum(), _alive_count(model))


def commissioner_coverage(model: IURModel) -> float:
    """Share of live firms ever served by a technology commissioner."""
    smes = model.smes
    return _ratio((smes.alive & smes.ever_commissioner).sum(), _alive_count(model))


def commissioners_active(model: IURModel) -> int:
    """Commissioners assigned now."""
    return len(model.commissioners) if hasattr(model, "commissioners") else 0


def government_spending(model: IURModel) -> float:
    """Government spending this month, all regions and programmes, 10k CNY."""
    return float(sum(government.spent_this_month for government in model.governments))


def government_spending_total(model: IURModel) -> float:
    """Cumulative government spending, 10k CNY."""
    return float(sum(sum(government.spent.values()) for government in model.governments))


def subsidies_paid(model: IURModel) -> float:
    """Project subsidies paid this month, 10k CNY."""
    return model.month.subsidy


MODEL_REPORTERS = {
    "collaboration_density": collaboration_density,
    "active_collaboration_share": active_collaboration_share,
    "ever_collaborated_share": ever_collaborated_share,
    "tight_form_share": tight_form_share,
    "medium_form_share": medium_form_share,
    "loose_form_share": loose_form_share,
    "repeat_tie_share": repeat_tie_share,
    "mean_tie_strength": mean_tie_strength,
    "projects_running": projects_running,
    "projects_started": projects_started,
    "projects_completed": projects_completed,
    "projects_succeeded": projects_succeeded,
    "searches": searches,
    "failed_attempts": failed_attempts,
    "innovation_output": innovation_output,
    "mean_sme_capability": mean_sme_capability,
    "smes_alive": smes_alive,
    "platforms_alive": platforms_alive,
    "platform_members": platform_members,
    "platform_cash": platform_cash,
    "platform_revenue": platform_revenue,
    "bypass_rate": bypass_rate,
    "commissioner_coverage": commissioner_coverage,
    "commissioners_active": commissioners_active,
    "government_spending": government_spending,
    "government_spending_total": government_spending_total,
    "subsidies_paid": subsidies_paid,
}


def _shares(matrix: np.ndarray, alive: np.ndarray, names: list[str]) -> dict[str, float]:
    count = int(alive.sum())
    sums = matrix[alive].sum(axis=0) if count else np.zeros(len(names))
    return {name: _ratio(value, count) for name, value in zip(names, sums.tolist(), strict=True)}


def summarize(model: IURModel) -> dict[str, Any]:
    """End-of-run figures: scalar outputs and the share mappings keyed by snake_case names.

    ``channel_share``, ``form_share`` and ``barrier_share`` are shares of live firms that
    ever used the channel, used the form, or met the barrier; ``path_share`` is the share of
    live firms on each path now. ``platform_survival_share`` is the share of platforms still
    alive; ``platform_lifespans`` gives each platform's months of operation.
    """
    smes = model.smes
    alive = smes.alive
    n_alive = int(alive.sum())
    paths = np.zeros((len(smes), len(PATHS)), dtype=bool)
    paths[np.arange(len(smes)), smes.path] = True
    barrier_share = _shares(smes.barrier_met, alive, [b.value for b in BARRIERS])
    sides = {side.value: _ratio(
        smes.barrier_met[alive][:, [i for i, b in enumerate(BARRIERS) if b.side is side]]
        .any(axis=1).sum(), n_alive) for side in BarrierSide}
    totals = model.totals
    spending = government_spending_total(model)
    platforms = model.platforms
    platform_count = len(platforms)
    summary: dict[str, Any] = {
        "steps": int(model.steps),
        "smes_alive": n_alive,
        "smes_created": len(smes),
        "universities": len(model.universities),
        "collaboration_density": collaboration_density(model),
        "active_collaboration_share": active_collaboration_share(model),
        "ever_collaborated_share": ever_collaborated_share(model),
        "continuing_or_planning_share": continuing_or_planning_share(model),
        "commissioner_coverage": commissioner_coverage(model),
        "tight_form_share": tight_form_share(model),
        "medium_form_share": medium_form_share(model),
        "loose_form_share": loose_form_share(model),
        "repeat_tie_share": repeat_tie_share(model),
        "mean_tie_strength": mean_tie_strength(model),
        "projects_started": int(totals["started"]),
        "projects_completed": int(totals["completed"]),
        "projects_succeeded": int(totals["succeeded"]),
        "project_success_rate": _ratio(totals["succeeded"], totals["completed"]),
        "spinoffs": int(totals["spinoffs"]),
        "innovation_output": innovation_output(model),
        "mean_sme_capability": mean_sme_capability(model),
        "platforms_alive": platforms_alive(model),
        "platform_survival_share": _ratio(platforms_alive(model), platform_count),
        "platform_lifespans": {p.name: int(p.exit_step if p.exit_step is not None
                                           else model.steps) for p in platforms},
        "platform_revenue": platform_revenue(model),
        "bypass_rate": bypass_rate(model),
        "government_spending": spending,
        "subsidies_paid": float(totals["subsidy"]),
        "cost_per_successful_project": _ratio(spending, totals["succeeded"]),
        "channel_share": _shares(smes.channel_used, alive, [c.value for c in CHANNELS]),
        "form_share": _shares(smes.form_used, alive, [f.value for f in FORMS]),
        "barrier_share": barrier_share,
        "barrier_side_share": sides,
        "path_share": _shares(paths, alive, [p.value for p in PATHS]),
        "project_form_share": {form.value: _ratio(count, model.form_counts.sum())
                               for form, count in zip(FORMS, model.form_counts.tolist(),
                                                      strict=True)},
    }
    return summary


def sme_frame(model: IURModel) -> pd.DataFrame:
    """Return one row per firm ever created, with its attributes and history."""
    smes = model.smes
    data = smes.frame_dict()
    frame = pd.DataFrame(data)
    frame.insert(0, "sme", np.arange(len(smes), dtype=np.int64))
    frame["region"] = pd.Categorical.from_codes(smes.region, model.region_names) \
        if len(model.region_names) else frame["region"]
    frame["sector"] = [SECTORS[i] for i in smes.sector.tolist()]
    frame["path"] = [PATHS[i].value for i in smes.path.tolist()]
    for i, channel in enumerate(CHANNELS):
        frame[f"channel_{channel.value}"] = smes.channel_used[:, i]
    for i, barrier in enumerate(BARRIERS):
        frame[f"barrier_{barrier.value}"] = smes.barrier_met[:, i]
    for i, form in enumerate(FORMS):
        frame[f"form_{form.value}"] = smes.form_used[:, i]
    for platform in model.platforms:
        frame[f"member_{platform.name}"] = smes.platform_member[:, platform.index]
    return frame


def platform_frame(model: IURModel) -> pd.DataFrame:
    """Return one row per platform with its economics."""
    rows = []
    for platform in model.platforms:
        rows.append({
            "platform": platform.name,
            "ownership": platform.ownership.value,
            "scope": platform.scope.value,
            "commission_rate": platform.commission_rate,
            "membership_fee": platform.membership_fee,
            "alive": platform.alive,
            "exit_step": platform.exit_step if platform.exit_step is not None else -1,
            "cash": platform.cash,
            "sme_members": platform.sme_members,
            "university_members": platform.university_members,
            "precision": platform.precision(),
            "deals": platform.deals,
            "deals_bypassed": platform.deals_bypassed,
            "revenue_fees": platform.revenue["fees"],
            "revenue_commission": platform.revenue["commission"],
            "revenue_subsidy": platform.revenue["subsidy"],
            "costs": platform.costs,
        })
    columns = ["platform", "ownership", "scope", "commission_rate", "membership_fee", "alive",
               "exit_step", "cash", "sme_members", "university_members", "precision", "deals",
               "deals_bypassed", "revenue_fees", "revenue_commission", "revenue_subsidy",
               "costs"]
    return pd.DataFrame(rows, columns=columns)


def project_frame(model: IURModel) -> pd.DataFrame:
    """Return one row per project with its form, path, channel, parties, money and outcome."""
    projects = model.projects
    frame = pd.DataFrame(projects.frame_dict())
    frame.insert(0, "project", np.arange(len(projects), dtype=np.int64))
    frame["form"] = [FORMS[i].value for i in projects.form.tolist()]
    frame["tightness"] = [Tightness(int(FORM["tightness"][i])).key
                          for i in projects.form.tolist()]
    frame["path"] = [PATHS[i].value for i in projects.path.tolist()]
    frame["channel"] = [CHANNELS[i].value if i >= 0 else "" for i in projects.channel.tolist()]
    frame["status"] = [ProjectStatus.NAMES[i] for i in projects.status.tolist()]
    frame["barrier"] = [BARRIERS[i].value if i >= 0 else "" for i in projects.barrier.tolist()]
    frame["platform"] = [model.platforms[i].name if i >= 0 else ""
                         for i in projects.platform.tolist()]
    if len(projects.running_rows):
        current = np.full(len(projects), -1, dtype=np.int64)
        current[projects.running_rows] = project_stage(model, projects.running_rows)
        frame["current_stage"] = current
    else:
        frame["current_stage"] = np.full(len(projects), -1, dtype=np.int64)
    return frame


def is_share(value: float) -> bool:
    """True for a share in [0, 1] or NaN (an undefined rate)."""
    return math.isnan(value) or 0.0 <= value <= 1.0
