"""Scenario declaration: presets, bounds, unknown keys, types, cross-checks, TOML round trip."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from iursim.chain import GovernmentRole, PlatformOwnership, RegionType, ServiceScope
from iursim.scenario import (
    Scenario,
    ScenarioError,
    iter_parameters,
    load_scenario,
    parameter_spec,
    parse_override,
    scenario_to_toml,
)

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"
PRESETS = sorted(SCENARIOS.glob("*.toml"))


def load_error(*overrides: str) -> ScenarioError:
    with pytest.raises(ScenarioError) as caught:
        load_scenario(None, list(overrides))
    return caught.value


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "scenario.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_presets_exist():
    names = {path.stem for path in PRESETS}
    assert "baseline" in names
    assert {"region_county", "region_industrial_city", "region_metropolis"} <= names
    assert sum(name.startswith("package_") for name in names) == 4


@pytest.mark.parametrize("path", PRESETS, ids=[path.stem for path in PRESETS])
def test_preset_loads(path: Path):
    scenario = load_scenario(path)
    assert scenario.name == path.stem
    assert scenario.run.steps > 0


def test_baseline_matches_described_system():
    scenario = load_scenario(SCENARIOS / "baseline.toml")
    assert scenario.run.steps == 120
    assert scenario.population.smes == 3000
    assert scenario.population.universities == 60
    assert scenario.population.intermediaries == 15
    shares = {region.type: region.sme_share for region in scenario.regions}
    assert shares == {RegionType.METROPOLIS: 0.68, RegionType.INDUSTRIAL_CITY: 0.20,
                      RegionType.COUNTY: 0.12}
    kinds = sorted((p.ownership.value, p.scope.value) for p in scenario.platforms)
    assert kinds == [("private", "matchmaker"), ("private", "matchmaker"),
                     ("private", "whole_process"), ("public", "matchmaker")]


@pytest.mark.parametrize("region_type", list(RegionType), ids=lambda kind: kind.value)
def test_region_preset_uses_recommended_role(region_type: RegionType):
    scenario = load_scenario(SCENARIOS / f"region_{region_type.value}.toml")
    focal = max(scenario.regions, key=lambda region: region.sme_share)
    expected = {RegionType.COUNTY: GovernmentRole.LEADER,
                RegionType.INDUSTRIAL_CITY: GovernmentRole.SERVICE_PROVIDER,
                RegionType.METROPOLIS: GovernmentRole.GUIDE}[region_type]
    assert focal.type is region_type
    assert focal.effective_role is expected


def test_overrides_seed_and_steps_apply():
    scenario = load_scenario(None, ["population.smes=50", "policy.subsidy_rate=0.5",
                                    "regions.0.role=leader"], seed=7, steps=3)
    assert scenario.population.smes == 50
    assert scenario.policy.subsidy_rate == 0.5
    assert scenario.regions[0].role is GovernmentRole.LEADER
    assert scenario.run.seed == 7
    assert scenario.run.steps == 3


def test_negative_smes_out_of_range():
    error = load_error("population.smes=-5")
    assert error.kind == "out_of_range"
    assert error.key == "population.smes"
    assert error.value == -5
    assert error.allowed == "0 <= value <= 1e+06 (int)"
    message = error.message("en")
    assert "population.smes" in message
    assert "-5" in message


def test_subsidy_rate_above_one_out_of_range():
    error = load_error("policy.subsidy_rate=1.5")
    assert error.kind == "out_of_range"
    assert error.key == "policy.subsidy_rate"
    assert error.value == 1.5
    assert error.allowed == "0 <= value <= 1 (float)"


def test_out_of_range_in_file_names_file(tmp_path: Path):
    path = write(tmp_path, "[population]\nsmes = -5\n")
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    assert caught.value.kind == "out_of_range"
    assert caught.value.source == str(path)
    assert str(path) in caught.value.message("zh")


def test_unknown_override_key_suggests_fix():
    error = load_error("policy.subsidy_rat=0.3")
    assert error.kind == "unknown_key"
    assert error.key == "policy.subsidy_rat"
    assert error.detail == "policy.subsidy_rate"
    assert "policy.subsidy_rate" in error.message("en")


def test_unknown_file_key_suggests_fix(tmp_path: Path):
    path = write(tmp_path, "[policy]\nsubsidy_rat = 0.3\n")
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    assert caught.value.kind == "unknown_key"
    assert caught.value.key == "policy.subsidy_rat"
    assert caught.value.detail == "policy.subsidy_rate"
    assert caught.value.source == str(path)


def test_unknown_table_rejected(tmp_path: Path):
    path = write(tmp_path, "[polcy]\nsubsidy_rate = 0.3\n")
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    assert caught.value.kind == "unknown_key"
    assert caught.value.detail == "policy"


@pytest.mark.parametrize("override", [
    "population.smes='many'",
    "population.smes=3.5",
    "policy.subsidy_rate='0.3'",
    "population.entry_exit=1",
    "policy.talent_zone='yes'",
])
def test_wrong_type_rejected(override: str):
    error = load_error(override)
    assert error.kind == "wrong_type"
    assert error.key == override.partition("=")[0]


def test_enum_value_outside_choices_rejected():
    error = load_error("regions.0.type='moon'")
    assert error.kind == "out_of_range"
    assert error.allowed == "county | industrial_city | metropolis"


def test_region_shares_must_sum_to_one():
    # 0.5 + 0.20 + 0.12 = 0.82 after the override of the capital's 0.68.
    error = load_error("regions.0.sme_share=0.5")
    assert error.kind == "shares_sum"
    assert error.key == "regions.*.sme_share"
    assert error.allowed == "0.82"
    assert "0.82" in error.message("zh")


def test_unknown_enclave_host_rejected():
    error = load_error("regions.2.enclave_host='nowhere'")
    assert error.kind == "unknown_host"
    assert error.key == "regions.2.enclave_host"
    assert error.value == "nowhere"
    assert error.allowed == "capital, city, county"


def test_duplicate_region_name_rejected():
    error = load_error("regions.1.name='capital'")
    assert error.kind == "duplicate_name"
    assert error.key == "regions.1.name"


def test_table_given_a_value_rejected():
    error = load_error("population=5")
    assert error.kind == "not_a_table"
    assert "population.smes" in error.allowed


def test_empty_and_directory_files_rejected(tmp_path: Path):
    empty = write(tmp_path, "")
    with pytest.raises(ScenarioError) as caught:
        load_scenario(empty)
    assert caught.value.kind == "empty_file"
    with pytest.raises(ScenarioError) as caught:
        load_scenario(tmp_path)
    assert caught.value.kind == "is_directory"


def test_seed_error_names_seed_option():
    with pytest.raises(ScenarioError) as caught:
        load_scenario(None, seed=-1)
    assert caught.value.source == "--seed"
    assert caught.value.key == "run.seed"


def test_region_index_out_of_range_rejected():
    error = load_error("regions.9.role=guide")
    assert error.kind == "unknown_key"


def test_missing_file_rejected(tmp_path: Path):
    with pytest.raises(ScenarioError) as caught:
        load_scenario(tmp_path / "absent.toml")
    assert caught.value.kind == "missing_file"
    assert "absent.toml" in caught.value.message("en")


def test_syntax_error_rejected(tmp_path: Path):
    path = write(tmp_path, "[population\nsmes = 10\n")
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    assert caught.value.kind == "syntax"
    assert caught.value.source == str(path)


def test_override_without_equals_rejected():
    with pytest.raises(ScenarioError) as caught:
        parse_override("population.smes")
    assert caught.value.kind == "bad_override"


def test_parse_override_reads_toml_values():
    assert parse_override("population.smes=200") == ("population.smes", 200)
    assert parse_override("policy.subsidy_rate = 0.25") == ("policy.subsidy_rate", 0.25)
    assert parse_override("policy.talent_zone=true") == ("policy.talent_zone", True)
    # A bare word is not TOML; it is kept as text so an enum value needs no quotes.
    assert parse_override("regions.0.role=guide") == ("regions.0.role", "guide")


def test_zh_and_en_messages_differ():
    error = load_error("policy.subsidy_rate=1.5")
    assert error.message("zh") != error.message("en")
    assert "policy.subsidy_rate" in error.message("zh")


@pytest.mark.parametrize("path", [None, *PRESETS],
                         ids=["defaults", *[path.stem for path in PRESETS]])
def test_toml_round_trip(path: Path | None, tmp_path: Path):
    scenario = load_scenario(path, ["policy.subsidy_rate=0.123", "run.seed=99"])
    target = tmp_path / "round_trip.toml"
    target.write_text(scenario_to_toml(scenario), encoding="utf-8")
    assert load_scenario(target) == scenario


def test_round_trip_keeps_description_quotes(tmp_path: Path):
    scenario = Scenario.model_validate({"name": "quoted", "description": 'a "b" \\ c'})
    target = tmp_path / "quoted.toml"
    target.write_text(scenario_to_toml(scenario), encoding="utf-8")
    assert load_scenario(target).description == 'a "b" \\ c'


def test_every_default_is_inside_its_bounds():
    specs = list(iter_parameters())
    assert len(specs) > 50
    for spec in specs:
        spec.check(spec.default)
        if spec.kind in ("int", "float"):
            assert spec.low is not None, spec.key
            assert spec.high is not None, spec.key
            assert spec.low <= spec.default <= spec.high, spec.key


def test_spec_check_rejects_bad_values():
    spec = parameter_spec("policy.subsidy_rate")
    for bad in (1.5, -0.1, math.nan, "0.3", True):
        with pytest.raises(ValueError):
            spec.check(bad)
    spec.check(0)
    spec.check(1.0)


def test_required_keys_declared():
    keys = {spec.key for spec in iter_parameters()}
    assert {"run.steps", "run.seed", "population.smes", "policy.subsidy_rate",
            "policy.platform_commission_rate", "policy.commissioners_per_100_smes"} <= keys


def test_indexed_spec_lists_enum_choices():
    role = parameter_spec("regions.0.role")
    assert role.kind == "enum"
    assert set(role.choices) == {role_.value for role_ in GovernmentRole}
    scope = parameter_spec("platforms.0.scope")
    assert set(scope.choices) == {scope_.value for scope_ in ServiceScope}
    ownership = parameter_spec("platforms.3.ownership")
    assert ownership.default == PlatformOwnership.PUBLIC.value


def test_parameter_spec_unknown_key():
    with pytest.raises(KeyError):
        parameter_spec("policy.subsidy_rat")
    with pytest.raises(KeyError):
        parameter_spec("policy")
