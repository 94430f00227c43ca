"""The survey data file and the firms drawn from it."""

from __future__ import annotations

import math

import numpy as np
import pytest

from iursim.agents.sme import MOTIVATIONS, classify_strength, draw_smes
from iursim.model import IURModel
from iursim.scenario import BehaviourConfig, load_scenario
from iursim.survey import SECTORS, load_survey

DRAWN = 20_000


def sampling_tolerance(share: float, count: int = DRAWN) -> float:
    """Half-width of 4.5 binomial standard errors around ``share``.

    With n = 20,000 the standard error of a share near 0.66 is sqrt(0.66 * 0.34 / 20000),
    about 0.0033. A seeded draw falls outside 4.5 standard errors with probability under 1e-5,
    so the check fails only if a share is encoded or drawn wrongly, yet an error of 1.5
    percentage points in a share near 0.66 still shows.
    """
    return 4.5 * math.sqrt(share * (1.0 - share) / count)


@pytest.fixture(scope="module")
def drawn() -> dict[str, np.ndarray]:
    scenario = load_scenario(None, ["population.smes=0", "population.universities=30"],
                             seed=11)
    model = IURModel(scenario)
    region = model._split(DRAWN, [region.sme_share for region in scenario.regions])
    return draw_smes(model, DRAWN, region, model.region_types)


def test_survey_figures_match_source():
    survey = load_survey()
    assert survey.source["respondents"] == 527
    assert "Chen Jianan" in survey.source["authors"]
    assert survey.max_staff == 500
    assert survey.high_tech_share == 0.6622
    assert survey.industrial_park_share == 0.7173
    assert survey.location_tier_share == {"provincial_capital": 0.68, "other_city": 0.20,
                                          "county": 0.12}
    assert survey.targets["ever_collaborated_share"] == 0.7097
    assert survey.targets["commissioner_coverage"] == 0.6565
    assert survey.targets["continuing_or_planning_share"] == 0.9108
    assert survey.channels == {"industry_association": 0.7647, "government_event": 0.6453,
                               "direct_contact": 0.6414}


def test_sector_shares_follow_survey():
    shares = load_survey().sector_share
    assert math.isclose(sum(shares.values()), 1.0, abs_tol=1e-9)
    assert shares["information_technology"] == pytest.approx(1 / 3, abs=1e-4)
    assert shares["manufacturing"] == 0.25
    others = [share for name, share in shares.items()
              if name not in ("information_technology", "manufacturing")]
    assert max(others) <= 0.10
    assert tuple(shares) == SECTORS


def test_motivation_shares_listed():
    motivations = load_survey().motivations
    assert len(motivations) == 6
    assert motivations["market_competition"] == 0.6376
    assert motivations["government_funding"] == 0.3890
    assert tuple(motivations) == MOTIVATIONS


def test_drawn_staff_within_survey_bound(drawn):
    staff = drawn["staff"]
    assert staff.max() <= 500
    assert staff.min() >= 5
    # Truncation by inverse CDF puts no spike at the bound.
    assert (staff == 500).mean() < 0.01


def test_drawn_high_tech_and_park_shares(drawn):
    survey = load_survey()
    high_tech = drawn["high_tech"].mean()
    in_park = drawn["in_park"].mean()
    assert abs(high_tech - survey.high_tech_share) < sampling_tolerance(survey.high_tech_share)
    assert abs(in_park - survey.industrial_park_share) < sampling_tolerance(
        survey.industrial_park_share)


def test_drawn_sector_shares(drawn):
    counts = np.bincount(drawn["sector"], minlength=len(SECTORS)) / DRAWN
    for index, name in enumerate(SECTORS):
        expected = load_survey().sector_share[name]
        assert abs(counts[index] - expected) < sampling_tolerance(expected), name


def test_drawn_motivation_shares(drawn):
    shares = drawn["motivations"].mean(axis=0)
    for index, name in enumerate(MOTIVATIONS):
        expected = load_survey().motivations[name]
        assert abs(shares[index] - expected) < sampling_tolerance(expected), name
    assert (drawn["motivation_count"] == drawn["motivations"].sum(axis=1)).all()


def test_drawn_association_membership(drawn):
    # Membership chance is association_membership times 1.1 inside a park and 0.85
    # outside; with the calibrated default 0.7628: 0.7628 * (0.7173 * 1.1 + 0.2827 * 0.85)
    # = 0.7852 expected.
    membership = BehaviourConfig().association_membership
    expected = membership * (0.7173 * 1.1 + 0.2827 * 0.85)
    share = drawn["association_member"].mean()
    # The park share is itself sampled, so allow the two errors added together.
    assert abs(share - expected) < 2 * sampling_tolerance(expected)


def test_drawn_attributes_in_unit_range(drawn):
    for name in ("capability", "absorptive", "articulation", "bargaining"):
        values = drawn[name]
        assert values.min() >= 0.0, name
        assert values.max() <= 1.0, name
    assert drawn["capability"].min() >= 0.01
    assert drawn["capability"].max() <= 0.99


def test_drawn_funds_and_paths_consistent(drawn):
    # Funds are rd_funds_months (12) months of R&D spending, and the path follows from
    # capability and that fund capacity.
    np.testing.assert_allclose(drawn["funds"], 12.0 * drawn["monthly_rd"])
    expected = classify_strength(drawn["capability"], drawn["funds"])
    np.testing.assert_array_equal(drawn["path"], expected)
    # Most firms are weak (back end), the fewest strong (front end).
    counts = np.bincount(drawn["path"], minlength=3)
    assert counts[2] > counts[1] > counts[0] > 0


def test_drawn_contacts_are_valid_universities(drawn):
    contacts = drawn["contacts"]
    assert contacts.min() >= -1
    assert contacts.max() < 30
    # A firm with contacts fills its slots from the first one.
    has_second = contacts[:, 1] >= 0
    assert (contacts[has_second, 0] >= 0).all()
