"""Needs, candidate sampling, fit scoring and the search through channels."""

from __future__ import annotations

import numpy as np
import pytest

from iursim.agents.commissioner import Commissioner
from iursim.chain import Barrier, Channel, Stage
from iursim.matching import (
    CHANNEL_INDEX,
    STAGE_REQUIREMENT,
    _sample,
    _sample_groups,
    draw_needs,
    fit_components,
    search_partners,
)
from iursim.model import IURModel
from iursim.scenario import load_scenario


def make_model(*overrides: str, smes: int = 0, universities: int = 3) -> IURModel:
    scenario = load_scenario(None, [f"population.smes={smes}",
                                    f"population.universities={universities}",
                                    "population.intermediaries=2", *overrides], seed=5)
    return IURModel(scenario)


def craft_universities(model: IURModel) -> None:
    """Three universities with known fields, maturity, capacity and load.

    u0: field 2, maturity 0.75, capacity 0.6, load 0 of 5 slots.
    u1: field 4, maturity 0.45, capacity 0.33, load 1 of 5 slots.
    u2: field 2, maturity 0.30, capacity 0.9, load 5 of 5 slots (full).
    """
    unis = model.universities
    unis.fields[:] = False
    unis.fields[0, 2] = True
    unis.fields[1, 4] = True
    unis.fields[2, 2] = True
    unis.maturity[:] = [0.75, 0.45, 0.30]
    unis.capacity[:] = [0.6, 0.33, 0.9]
    unis.load[:] = [0, 1, 5]
    unis.slots[:] = [5, 5, 5]


def test_stage_requirements():
    assert STAGE_REQUIREMENT[Stage.BASIC_RESEARCH] == (0.25, 0.55)
    assert STAGE_REQUIREMENT[Stage.TRIAL_PRODUCTION] == (0.65, 0.3)


def test_fit_components_hand_values():
    model = make_model()
    craft_universities(model)
    field = np.array([2, 4, 2])
    stage = np.array([Stage.TRIAL_PRODUCTION, Stage.BASIC_RESEARCH, Stage.APPLIED_RESEARCH])
    candidates = np.array([[0, 1, 2, -1],
                           [1, 0, -1, -1],
                           [2, -1, -1, -1]])
    field_fit, maturity_fit, capacity_fit = fit_components(model, field, stage, candidates)
    # Field: 1 in the need's field, 0.15 outside, 0 for an empty slot.
    np.testing.assert_allclose(field_fit, [[1.0, 0.15, 1.0, 0.0],
                                           [1.0, 0.15, 0.0, 0.0],
                                           [1.0, 0.0, 0.0, 0.0]])
    # Maturity gap g = maturity - need: 1 - 0.5 g when over-mature, 1 + 2 g when immature.
    # Trial (need 0.65): u0 g=+0.10 -> 0.95; u1 g=-0.20 -> 0.60; u2 g=-0.35 -> 0.30.
    # Basic (need 0.25): u1 g=+0.20 -> 0.90; u0 g=+0.50 -> 0.75.
    # Applied (need 0.40): u2 g=-0.10 -> 0.80.
    np.testing.assert_allclose(maturity_fit, [[0.95, 0.60, 0.30, 0.0],
                                              [0.90, 0.75, 0.0, 0.0],
                                              [0.80, 0.0, 0.0, 0.0]])
    # Capacity: min(1, capacity / need), 0 when every slot is taken.
    # Trial (need 0.3): u0 0.6/0.3 -> 1; u1 0.33/0.3 -> 1; u2 full -> 0.
    # Basic (need 0.55): u1 0.33/0.55 = 0.6; u0 0.6/0.55 -> 1.
    np.testing.assert_allclose(capacity_fit, [[1.0, 1.0, 0.0, 0.0],
                                              [0.6, 1.0, 0.0, 0.0],
                                              [0.0, 0.0, 0.0, 0.0]])


def test_fit_maturity_clips_at_zero():
    model = make_model()
    craft_universities(model)
    model.universities.maturity[1] = 0.1
    # Trial need 0.65, gap -0.55: 1 + 2 * (-0.55) = -0.1, clipped to 0.
    _, maturity_fit, _ = fit_components(model, np.array([4]),
                                        np.array([Stage.TRIAL_PRODUCTION]), np.array([[1]]))
    assert maturity_fit[0, 0] == 0.0


def test_sample_uses_precision():
    rng = np.random.default_rng(0)
    whole = np.arange(10)
    in_field = np.array([3, 7])
    targeted = _sample(rng, whole, in_field, np.ones(50), 4)
    assert set(targeted.ravel().tolist()) <= {3, 7}
    untargeted = _sample(rng, whole, in_field, np.zeros(50), 4)
    assert set(untargeted.ravel().tolist()) <= set(whole.tolist())
    assert len(set(untargeted.ravel().tolist())) > 2


def test_sample_falls_back_without_field_pool():
    rng = np.random.default_rng(0)
    picks = _sample(rng, np.arange(5), np.zeros(0, dtype=np.int64), np.ones(20), 3)
    assert picks.min() >= 0
    assert picks.max() < 5


def test_sample_empty_pool_gives_empty_slots():
    rng = np.random.default_rng(0)
    picks = _sample(rng, np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64),
                    np.ones(4), 3)
    assert (picks == -1).all()
    assert picks.shape == (4, 3)


def test_sample_groups_keep_pools_apart():
    rng = np.random.default_rng(1)
    group = np.array([0, 0, 1, 1, 2])
    whole = [np.arange(3), np.array([10, 11]), np.zeros(0, dtype=np.int64)]
    in_field = [np.array([2]), np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)]
    picks = _sample_groups(rng, group, whole, in_field, np.ones(5), 6)
    # Group 0 is fully targeted at its one in-field university; group 1 has no in-field pool
    # and falls back to its whole pool; group 2 has no pool at all.
    assert (picks[:2] == 2).all()
    assert set(picks[2:4].ravel().tolist()) <= {10, 11}
    assert (picks[4] == -1).all()


def prepare_seekers(model: IURModel) -> None:
    """Make every firm form a need this month: need_rate 1 and six motivations each.

    Need chance = need_rate * (0.4 + 0.2 * 6) / mean weight, and the mean weight
    0.4 + 0.2 * (sum of survey motivation shares, 3.2) = 1.04 < 1.6, so the chance clips to 1.
    """
    model.smes.motivation_count[:] = 6


def test_draw_needs_only_idle_firms():
    model = make_model("behaviour.need_rate=1.0", smes=40)
    prepare_seekers(model)
    smes = model.smes
    smes.running_projects[0:5] = 1
    smes.cooldown_until[5:10] = model.steps + 3
    smes.alive[10:12] = False
    smes.path[:] = 2
    smes.path[12:20] = 0
    smes.path[20:30] = 1
    firms, field, stage = draw_needs(model)
    assert firms.tolist() == list(range(12, 40))
    assert field.min() >= 0
    assert field.max() < model.n_fields
    # Entry stage by path: front end basic research, mid-stream applied research or design
    # and development, back end trial production.
    by_firm = dict(zip(firms.tolist(), stage.tolist(), strict=True))
    assert {by_firm[row] for row in range(12, 20)} == {int(Stage.BASIC_RESEARCH)}
    assert {by_firm[row] for row in range(20, 30)} <= {int(Stage.APPLIED_RESEARCH),
                                                        int(Stage.DESIGN_DEVELOPMENT)}
    assert {by_firm[row] for row in range(30, 40)} == {int(Stage.TRIAL_PRODUCTION)}
    assert (smes.last_need[firms] == model.steps).all()
    assert (smes.last_need[:12] < model.steps).all()


def test_commissioner_keeps_needs_in_sector():
    model = make_model("behaviour.need_rate=1.0", smes=200)
    prepare_seekers(model)
    smes = model.smes
    smes.commissioner[:100] = 0
    firms, field, _ = draw_needs(model)
    sector = smes.sector[firms]
    served = firms < 100
    assert served.sum() == 100
    assert (field[served] == sector[served]).all()
    # Unserved firms leave their sector with chance 0.15 * 6 / 7 (a random other field),
    # about 13 of 100.
    assert (field[~served] != sector[~served]).any()


def test_draw_needs_zero_rate():
    model = make_model("behaviour.need_rate=0.0", smes=30)
    prepare_seekers(model)
    firms, _, _ = draw_needs(model)
    assert len(firms) == 0


def isolate_firms(model: IURModel) -> None:
    """Close every channel: no association, no events, contacts, platforms or challenges."""
    smes = model.smes
    smes.association_member[:] = False
    smes.contacts[:] = -1
    smes.platform_member[:] = False
    model.recent_events[:] = 0
    model.challenges_now[:] = 0


def test_unarticulated_needs_stop_before_search():
    model = make_model("behaviour.need_rate=1.0", smes=20)
    prepare_seekers(model)
    isolate_firms(model)
    model.smes.articulation[:] = 0.0
    search, stopped = search_partners(model)
    # With articulation 0, no commissioner and no whole-process membership, the chance to
    # articulate is 0, so every need stops here.
    assert sorted(stopped[Barrier.CANNOT_ARTICULATE_NEED].tolist()) == list(range(20))
    assert len(search.firms) == 0
    assert model.month.searches == 0


def test_no_universities_means_few_channels():
    model = make_model("behaviour.need_rate=1.0", smes=20, universities=0)
    prepare_seekers(model)
    model.smes.articulation[:] = 1.0
    search, stopped = search_partners(model)
    assert sorted(stopped[Barrier.FEW_INFORMATION_CHANNELS].tolist()) == list(range(20))
    assert len(search.firms) == 0


def test_isolated_firm_meets_few_channels():
    model = make_model("behaviour.need_rate=1.0", "behaviour.intermediary_use=0.0", smes=10)
    prepare_seekers(model)
    isolate_firms(model)
    model.smes.articulation[:] = 1.0
    search, stopped = search_partners(model)
    assert sorted(stopped[Barrier.FEW_INFORMATION_CHANNELS].tolist()) == list(range(10))
    assert len(search.firms) == 0
    assert not model.smes.channel_used.any()


def test_commissioner_opens_line_to_home_university():
    model = make_model("behaviour.need_rate=1.0", "behaviour.intermediary_use=0.0", smes=10)
    prepare_seekers(model)
    isolate_firms(model)
    craft_universities(model)
    unis = model.universities
    unis.fields[0, :] = True  # u0 works in every field, so field fit is 1 for any need
    smes = model.smes
    smes.articulation[:] = 1.0
    smes.path[:] = 2  # back end: trial production needs maturity 0.65, capacity 0.3
    model.add_commissioner(Commissioner(model, int(smes.region[3]), 0, np.array([3]), 100))
    search, stopped = search_partners(model)
    # Only firm 3 has a channel. Its fit with u0 is 1 * 0.95 * 1 = 0.95 >= 0.25.
    assert search.firms.tolist() == [3]
    assert search.partner.tolist() == [0]
    assert search.channel.tolist() == [CHANNEL_INDEX[Channel.COMMISSIONER]]
    assert search.fit[0] == pytest.approx(0.95)
    assert 3 not in stopped[Barrier.FEW_INFORMATION_CHANNELS].tolist()
    assert smes.channel_used[3, CHANNEL_INDEX[Channel.COMMISSIONER]]
    assert model.month.channel_searches[CHANNEL_INDEX[Channel.COMMISSIONER]] == 1


def test_commissioner_partner_below_threshold_is_refused():
    model = make_model("behaviour.need_rate=1.0", "behaviour.intermediary_use=0.0",
                       "behaviour.fit_threshold=0.99", smes=10)
    prepare_seekers(model)
    isolate_firms(model)
    craft_universities(model)
    model.universities.fields[0, :] = True
    smes = model.smes
    smes.articulation[:] = 1.0
    smes.path[:] = 2
    model.add_commissioner(Commissioner(model, int(smes.region[3]), 0, np.array([3]), 100))
    search, stopped = search_partners(model)
    # Fit 0.95 < 0.99. The in-field candidate's maturity fit (0.95) is below its capacity
    # fit (1), so the failure is put down to immature results.
    assert len(search.firms) == 0
    assert stopped[Barrier.RESULTS_NOT_INDUSTRIALISABLE].tolist() == [3]
    assert len(stopped[Barrier.PARTNER_CAPACITY_INSUFFICIENT]) == 0


def test_found_searches_meet_threshold():
    model = make_model("behaviour.need_rate=0.5", smes=300, universities=20)
    prepare_seekers(model)
    found = 0
    for _ in range(3):
        model.step()
        search, stopped = search_partners(model)
        threshold = model.config.behaviour.fit_threshold
        assert (search.fit >= threshold).all()
        assert (search.partner >= 0).all()
        assert (search.partner < len(model.universities)).all()
        assert (search.channel >= 0).all()
        stopped_firms = np.concatenate(list(stopped.values()))
        assert not np.isin(search.firms, stopped_firms).any()
        found += len(search.firms)
    assert found > 0
