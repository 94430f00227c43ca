"""The innovation chain's categories and the cooperation-form table."""

from __future__ import annotations

import re

from iursim.chain import (
    FORM_TABLE,
    PATH_ENTRY_STAGE,
    PATH_FORMS,
    RECOMMENDED_ROLE,
    Barrier,
    BarrierSide,
    Channel,
    CooperationForm,
    GovernmentRole,
    Path,
    RegionType,
    Stage,
    Tightness,
)

SNAKE_CASE = re.compile(r"^[a-z]+(_[a-z]+)*$")


def test_enum_values_are_snake_case_names():
    for enum in (Path, CooperationForm, Channel, Barrier, RegionType, GovernmentRole):
        for member in enum:
            assert SNAKE_CASE.match(member.value), member
            assert member.value == member.name.lower()


def test_stage_keys_follow_chain_order():
    assert [stage.key for stage in Stage] == [
        "innovation_demand", "basic_research", "applied_research", "design_development",
        "trial_production", "production_sales", "industrial_diffusion"]
    # The first five stages are R&D; trial production is the last of them.
    assert [stage for stage in Stage if stage <= Stage.TRIAL_PRODUCTION] == list(Stage)[:5]


def test_form_table_tightness_matches_survey():
    # The survey names four loose, two medium and four tight forms.
    by_level = {level: {form for form, spec in FORM_TABLE.items() if spec.tightness is level}
                for level in Tightness}
    assert set(FORM_TABLE) == set(CooperationForm)
    assert by_level[Tightness.LOOSE] == {
        CooperationForm.TALENT_TRAINING, CooperationForm.TECHNICAL_SERVICES,
        CooperationForm.SHARED_INSTRUMENTS, CooperationForm.TECHNOLOGY_TRANSFER}
    assert by_level[Tightness.MEDIUM] == {
        CooperationForm.JOINT_DEVELOPMENT, CooperationForm.COMMISSIONED_DEVELOPMENT}
    assert by_level[Tightness.TIGHT] == {
        CooperationForm.TECHNOLOGY_EQUITY, CooperationForm.CO_BUILT_INSTITUTION,
        CooperationForm.JOINT_VENTURE, CooperationForm.POSTDOCTORAL_STATION}


def test_tighter_forms_cost_and_bind_more():
    # Looseness must be able to emerge from cost and commitment: every tight form costs more,
    # lasts longer and binds more than every loose form.
    loose = [spec for spec in FORM_TABLE.values() if spec.tightness is Tightness.LOOSE]
    tight = [spec for spec in FORM_TABLE.values() if spec.tightness is Tightness.TIGHT]
    assert max(spec.cost for spec in loose) < min(spec.cost for spec in tight)
    assert max(spec.duration for spec in loose) < min(spec.duration for spec in tight)
    assert max(spec.commitment for spec in loose) < min(spec.commitment for spec in tight)
    assert max(spec.depth for spec in loose) < min(spec.depth for spec in tight)


def test_form_numbers_are_in_range():
    for form, spec in FORM_TABLE.items():
        assert spec.cost > 0, form
        assert spec.duration >= 1, form
        for value in (spec.depth, spec.commitment, spec.absorption_need):
            assert 0.0 <= value <= 1.0, form


def test_path_entry_stages():
    assert PATH_ENTRY_STAGE == {Path.FRONT_END: Stage.BASIC_RESEARCH,
                                Path.MID_STREAM: Stage.APPLIED_RESEARCH,
                                Path.BACK_END: Stage.TRIAL_PRODUCTION}


def test_path_forms_follow_modes():
    loose = {form for form, spec in FORM_TABLE.items() if spec.tightness is Tightness.LOOSE}
    service = loose - {CooperationForm.TECHNOLOGY_TRANSFER}
    for path, forms in PATH_FORMS.items():
        assert service <= set(forms), path
        assert CooperationForm.JOINT_DEVELOPMENT in forms, path
    # Each tight mode belongs to one path: equity to the integrated cycle of the front end,
    # postdoctoral stations to the mid-stream, joint ventures to the back end.
    assert [p for p, f in PATH_FORMS.items() if CooperationForm.TECHNOLOGY_EQUITY in f] == [
        Path.FRONT_END]
    assert [p for p, f in PATH_FORMS.items() if CooperationForm.POSTDOCTORAL_STATION in f] == [
        Path.MID_STREAM]
    assert [p for p, f in PATH_FORMS.items() if CooperationForm.JOINT_VENTURE in f] == [
        Path.BACK_END]
    assert CooperationForm.TECHNOLOGY_TRANSFER in PATH_FORMS[Path.BACK_END]


def test_barrier_sides():
    supply = {barrier for barrier in Barrier if barrier.side is BarrierSide.SUPPLY}
    firm = {barrier for barrier in Barrier if barrier.side is BarrierSide.FIRM}
    assert len(Barrier) == 11
    assert supply == {Barrier.ACTIVITY_NEED_MISMATCH, Barrier.RESULTS_NOT_INDUSTRIALISABLE,
                      Barrier.FEW_INFORMATION_CHANNELS, Barrier.PARTNER_CAPACITY_INSUFFICIENT,
                      Barrier.PARTNER_LACKS_INTEGRITY, Barrier.BENEFIT_SHARING_DISPUTE}
    assert firm == {Barrier.LACKS_TALENT_EQUIPMENT, Barrier.LACKS_FUNDS, Barrier.LITTLE_SAY,
                    Barrier.CANNOT_ARTICULATE_NEED, Barrier.WEAK_ABSORPTION}


def test_recommended_roles():
    assert RECOMMENDED_ROLE == {RegionType.COUNTY: GovernmentRole.LEADER,
                                RegionType.INDUSTRIAL_CITY: GovernmentRole.SERVICE_PROVIDER,
                                RegionType.METROPOLIS: GovernmentRole.GUIDE}
