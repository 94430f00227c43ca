"""Reporters and the summary on a hand-built model state.

The state: 10 firms of which 8 are alive (rows 8 and 9 exited), 4 universities, three live
ties, six projects started (two loose, three medium, one tight), four platforms with one dead.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from iursim import metrics
from iursim.barriers import BARRIER_INDEX
from iursim.chain import Barrier, Channel, CooperationForm
from iursim.matching import CHANNEL_INDEX
from iursim.model import IURModel
from iursim.projects import FORM_INDEX
from iursim.scenario import load_scenario


def make_model(smes: int = 10, universities: int = 4) -> IURModel:
    scenario = load_scenario(None, [f"population.smes={smes}",
                                    f"population.universities={universities}",
                                    "population.intermediaries=2"], seed=4)
    return IURModel(scenario)


@pytest.fixture
def model() -> IURModel:
    model = make_model()
    smes = model.smes
    smes.alive[:] = True
    smes.alive[8:] = False
    smes.running_projects[:] = 0
    smes.running_projects[[0, 1, 8]] = 1
    smes.ever_collaborated[:] = False
    smes.ever_collaborated[[0, 1, 2, 9]] = True
    smes.ever_commissioner[:] = False
    smes.ever_commissioner[[0, 9]] = True
    smes.capability[:8] = np.linspace(0.1, 0.8, 8)
    smes.capability[8:] = 0.99
    smes.output[:8] = 1.0
    smes.output[8:] = 5.0
    smes.path[:] = [0, 0, 1, 1, 2, 2, 2, 2, 0, 0]
    smes.platform_member[:] = False
    smes.platform_member[0, [0, 2]] = True
    smes.platform_member[9, 0] = True
    smes.channel_used[:] = False
    smes.channel_used[[0, 1, 9], CHANNEL_INDEX[Channel.INDUSTRY_ASSOCIATION]] = True
    smes.barrier_met[:] = False
    smes.barrier_met[[0, 9], BARRIER_INDEX[Barrier.LACKS_FUNDS]] = True
    smes.barrier_met[1, BARRIER_INDEX[Barrier.ACTIVITY_NEED_MISMATCH]] = True
    smes.form_used[:] = False
    smes.form_used[[0, 2], FORM_INDEX[CooperationForm.JOINT_DEVELOPMENT]] = True

    ties = model.ties
    ties.open(np.array([0, 0, 1]), np.array([0, 1, 2]), np.array([0, 4, 4]), step=0)
    ties.open(np.array([0]), np.array([0]), np.array([4]), step=0)
    ties.strength[:] = [0.2, 0.4, 0.6]

    model.form_counts[:] = 0
    model.form_counts[FORM_INDEX[CooperationForm.TALENT_TRAINING]] = 2
    model.form_counts[FORM_INDEX[CooperationForm.JOINT_DEVELOPMENT]] = 3
    model.form_counts[FORM_INDEX[CooperationForm.TECHNOLOGY_EQUITY]] = 1

    for platform, cash in zip(model.platforms, [10.0, 0.0, 20.0, 30.0], strict=True):
        platform.cash = cash
    model.platforms[1].alive = False
    model.platforms[1].exit_step = 0
    for government, spent in zip(model.governments, [1.0, 2.0, 3.0], strict=True):
        government.spent_this_month = spent
    return model


def test_collaboration_density(model):
    # Three live ties over 8 live firms x 4 universities = 3 / 32.
    assert metrics.collaboration_density(model) == pytest.approx(3 / 32)


def test_firm_shares_count_live_firms_only(model):
    # Running projects: rows 0 and 1 of 8 live firms (row 8 has exited).
    assert metrics.active_collaboration_share(model) == pytest.approx(2 / 8)
    # Ever collaborated: rows 0, 1, 2 of the live ones.
    assert metrics.ever_collaborated_share(model) == pytest.approx(3 / 8)
    assert metrics.commissioner_coverage(model) == pytest.approx(1 / 8)
    assert metrics.smes_alive(model) == 8


def test_form_tightness_shares(model):
    # Form counts: 2 loose, 3 medium, 1 tight out of 6.
    assert metrics.loose_form_share(model) == pytest.approx(2 / 6)
    assert metrics.medium_form_share(model) == pytest.approx(3 / 6)
    assert metrics.tight_form_share(model) == pytest.approx(1 / 6)


def test_tie_depth(model):
    # The pair (0, 0) carried two projects; strengths 0.2, 0.4, 0.6.
    assert metrics.repeat_tie_share(model) == pytest.approx(1 / 3)
    assert metrics.mean_tie_strength(model) == pytest.approx(0.4)


def test_capability_and_output_of_live_firms(model):
    assert metrics.mean_sme_capability(model) == pytest.approx(0.45)
    assert metrics.innovation_output(model) == pytest.approx(8.0)


def test_platform_reporters(model):
    assert metrics.platforms_alive(model) == 3
    # Cash of live platforms only: 10 + 20 + 30.
    assert metrics.platform_cash(model) == pytest.approx(60.0)
    # Row 9's membership does not count: it has exited.
    assert metrics.platform_members(model) == 2


def test_bypass_rate(model):
    assert math.isnan(metrics.bypass_rate(model))
    model.totals["platform_deals"] = 4
    model.totals["platform_bypassed"] = 1
    assert metrics.bypass_rate(model) == pytest.approx(0.25)


def test_government_spending(model):
    assert metrics.government_spending(model) == pytest.approx(6.0)
    for government in model.governments:
        government.spent = dict.fromkeys(government.spent, 0.0)
    model.governments[0].spent["subsidy"] = 10.0
    model.governments[2].spent["events"] = 5.0
    assert metrics.government_spending_total(model) == pytest.approx(15.0)


def test_summary_mappings(model):
    summary = model.summary()
    assert summary["channel_share"]["industry_association"] == pytest.approx(2 / 8)
    assert summary["channel_share"]["platform"] == 0.0
    assert set(summary["channel_share"]) == {channel.value for channel in Channel}
    assert summary["barrier_share"]["lacks_funds"] == pytest.approx(1 / 8)
    assert summary["barrier_share"]["activity_need_mismatch"] == pytest.approx(1 / 8)
    assert len(summary["barrier_share"]) == 11
    assert summary["barrier_side_share"]["firm"] == pytest.approx(1 / 8)
    assert summary["barrier_side_share"]["supply"] == pytest.approx(1 / 8)
    assert summary["form_share"]["joint_development"] == pytest.approx(2 / 8)
    # Live paths: rows 0-1 front end, 2-3 mid-stream, 4-7 back end.
    assert summary["path_share"] == pytest.approx({"front_end": 0.25, "mid_stream": 0.25,
                                                   "back_end": 0.5})
    assert summary["project_form_share"]["joint_development"] == pytest.approx(0.5)


def test_summary_scalars(model):
    summary = model.summary()
    assert summary["platform_survival_share"] == pytest.approx(3 / 4)
    assert summary["platform_lifespans"]["matchmaker_b"] == 0
    assert summary["smes_alive"] == 8
    assert summary["smes_created"] == 10
    assert summary["universities"] == 4
    assert summary["ever_collaborated_share"] == pytest.approx(3 / 8)
    # No project has succeeded, so the cost per success is undefined.
    assert math.isnan(summary["cost_per_successful_project"])
    assert math.isnan(summary["project_success_rate"])


def test_rates_nan_without_live_firms(model):
    model.smes.alive[:] = False
    for reporter in (metrics.collaboration_density, metrics.active_collaboration_share,
                     metrics.ever_collaborated_share, metrics.commissioner_coverage,
                     metrics.mean_sme_capability):
        assert math.isnan(reporter(model)), reporter.__name__
    assert metrics.smes_alive(model) == 0
    assert metrics.innovation_output(model) == 0.0
    summary = model.summary()
    assert all(math.isnan(value) for value in summary["channel_share"].values())
    assert all(math.isnan(value) for value in summary["path_share"].values())


def test_reporters_recorded_each_collect(model):
    model.datacollector.collect(model)
    frame = model.metrics_frame()
    assert list(frame["step"]) == [0, 1]
    assert set(metrics.MODEL_REPORTERS) <= set(frame.columns)
    assert frame["collaboration_density"].iloc[-1] == pytest.approx(3 / 32)


def test_frames_have_one_row_per_agent(model):
    assert len(model.sme_frame()) == 10
    assert list(model.platform_frame()["platform"]) == ["matchmaker_a", "matchmaker_b",
                                                        "whole_process", "public"]
    assert len(model.project_frame()) == 0
    sme_frame = model.sme_frame()
    assert sme_frame["barrier_lacks_funds"].sum() == 2
    assert sme_frame["member_matchmaker_a"].sum() == 2


def test_is_share():
    assert metrics.is_share(0.0)
    assert metrics.is_share(1.0)
    assert metrics.is_share(float("nan"))
    assert not metrics.is_share(1.0000001)
    assert not metrics.is_share(-0.1)
