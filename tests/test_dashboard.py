"""The dashboard's logic without a browser: labels, controls, runs, figures and exports."""

from __future__ import annotations

import io
import math
import re
import subprocess
import sys
from pathlib import Path

import networkx as nx
import pandas as pd
import pytest

from iursim.chain import FORM_TABLE, Barrier, Channel, CooperationForm, Stage, Tightness
from iursim.chain import Path as EntryPath
from iursim.dashboard.chain_view import chain_explanation, chain_figure
from iursim.dashboard.charts import (
    TIGHTNESS_COLOURS,
    collaboration_figure,
    form_figure,
    platforms_figure,
    share_figure,
)
from iursim.dashboard.controls import control_kind, format_input, parse_input, slider_step
from iursim.dashboard.export import charts_html, metrics_csv, metrics_parquet
from iursim.dashboard.network import network_figure, sample_network
from iursim.dashboard.simulation import (
    Simulation,
    build_scenario,
    list_presets,
    load_preset,
    parameter_values,
    run_comparison,
)
from iursim.dashboard.text import format_number, unit_key
from iursim.i18n import LANGS, catalogue, t
from iursim.scenario import ScenarioError, iter_parameters, load_scenario, parameter_spec

REPO = Path(__file__).resolve().parents[1]
SCENARIOS = REPO / "scenarios"
DASHBOARD = REPO / "iursim" / "dashboard"


def small_scenario(steps: int = 6, seed: int = 3):
    return load_scenario(SCENARIOS / "baseline.toml", ["population.smes=120"], seed=seed,
                         steps=steps)


@pytest.mark.parametrize("lang", LANGS)
def test_every_parameter_has_label_and_help(lang: str) -> None:
    messages = catalogue(lang)
    for spec in iter_parameters():
        assert messages.get(f"param.{spec.key}"), (lang, spec.key)
        assert messages.get(f"param_help.{spec.key}"), (lang, spec.key)


@pytest.mark.parametrize("lang", LANGS)
def test_every_unit_is_translated(lang: str) -> None:
    units = {spec.unit for spec in iter_parameters() if spec.unit}
    for unit in units:
        assert unit_key(unit) in catalogue(lang), (lang, unit)


def test_english_labels_have_no_chinese() -> None:
    english = catalogue("en")
    cjk = re.compile(r"[\u3400-\u9fff]")
    leaked = [key for key, text in english.items()
              if key.startswith(("dash.", "param", "unit.")) and cjk.search(text)]
    assert leaked == []


def test_message_keys_used_in_code_exist() -> None:
    used = set()
    for source in DASHBOARD.glob("*.py"):
        used |= set(re.findall(r"""t\(\s*f?["']((?:dash|unit|param)\.[a-z0-9_.]+)["']""",
                               source.read_text(encoding="utf-8")))
    assert used, "no message keys found in the dashboard sources"
    for lang in LANGS:
        missing = sorted(key for key in used if key not in catalogue(lang))
        assert missing == [], lang


@pytest.mark.parametrize("lang", LANGS)
def test_category_names_exist_for_views(lang: str) -> None:
    messages = catalogue(lang)
    names = ([f"name.form.{form.value}" for form in CooperationForm]
             + [f"name.barrier.{barrier.value}" for barrier in Barrier]
             + [f"name.channel.{channel.value}" for channel in Channel]
             + [f"name.path.{path.value}" for path in EntryPath]
             + [f"name.stage.{stage.key}" for stage in Stage]
             + [f"name.tightness.{level.key}" for level in Tightness])
    assert [name for name in names if name not in messages] == []


def test_slider_step_lands_on_every_default() -> None:
    for spec in iter_parameters():
        if control_kind(spec) != "slider":
            continue
        step = slider_step(spec, spec.default)
        positions = (spec.default - spec.low) / step
        assert math.isclose(positions, round(positions), abs_tol=1e-6), spec.key


def test_control_kinds_follow_the_declaration() -> None:
    assert control_kind(parameter_spec("policy.talent_zone")) == "checkbox"
    # subsidy_rate spans 0-1; a step of 0.01 gives 100 positions, so a slider.
    assert control_kind(parameter_spec("policy.subsidy_rate")) == "slider"
    assert slider_step(parameter_spec("policy.subsidy_rate"), 0.3) == pytest.approx(0.01)
    # 0-1,000,000 SMEs in steps of 1 is far more than 1000 positions, so a text field.
    assert control_kind(parameter_spec("population.smes")) == "text"
    assert control_kind(parameter_spec("run.seed")) == "text"
    # A value off the 0.1 grid of 0-20 refines the step: 1.25 needs 0.01.
    spec = parameter_spec("behaviour.cost_sensitivity")
    assert slider_step(spec, 1.25) == pytest.approx(0.01)


@pytest.mark.parametrize(
    ("key", "text", "value"),
    [("run.seed", "42", 42), ("run.seed", " 1,000 ", 1000), ("policy.subsidy_rate", "0.25", 0.25),
     ("population.smes", "0", 0)],
)
def test_parse_input_accepts_valid_text(key: str, text: str, value: float) -> None:
    spec = parameter_spec(key)
    assert parse_input(text, spec, "x", "en") == (value, "")


@pytest.mark.parametrize(
    ("key", "text", "message_key"),
    [("run.seed", "abc", "dash.error.not_integer"), ("run.seed", "4.5", "dash.error.not_integer"),
     ("run.seed", "", "dash.error.empty"), ("run.seed", "-1", "dash.error.out_of_range"),
     ("policy.subsidy_rate", "1.5", "dash.error.out_of_range"),
     ("policy.subsidy_rate", "nan", "dash.error.not_number"),
     ("population.smes", "2000000", "dash.error.out_of_range")],
)
def test_parse_input_rejects_with_message(key: str, text: str, message_key: str) -> None:
    spec = parameter_spec(key)
    for lang in LANGS:
        value, message = parse_input(text, spec, "LABEL", lang)
        assert value is None
        assert message == t(message_key, lang, label="LABEL", text=text.strip(),
                            low=format_number(spec.low), high=format_number(spec.high))


def test_format_input_round_trips() -> None:
    for value in (0, 42, 0.3, 0.002, 1e6, 2**63 - 1, 0.1 + 0.2):
        spec = parameter_spec("run.seed" if isinstance(value, int) else "policy.subsidy_rate")
        text = format_input(value)
        assert (int(text) if spec.kind == "int" else float(text)) == value


def test_presets_load_and_match_their_files() -> None:
    presets = list_presets(SCENARIOS)
    assert SCENARIOS / "baseline.toml" in presets
    for path in presets:
        data, scenario = load_preset(path)
        rebuilt = build_scenario(data, parameter_values(scenario))
        assert rebuilt == scenario, path.name
    assert list_presets(REPO / "no-such-folder") == []


def test_build_scenario_rejects_out_of_range_value() -> None:
    data, scenario = load_preset(SCENARIOS / "baseline.toml")
    values = {**parameter_values(scenario), "policy.subsidy_rate": 1.5}
    with pytest.raises(ScenarioError) as raised:
        build_scenario(data, values)
    assert raised.value.key == "policy.subsidy_rate"
    assert "1.5" in raised.value.message("zh")


def test_simulation_steps_to_last_month_and_stops() -> None:
    simulation = Simulation(small_scenario(steps=4))
    assert simulation.month == 0
    assert simulation.step(2) == 2
    assert simulation.advance(seconds=60.0, max_months=10) == 2
    assert simulation.finished
    assert simulation.step(1) == 0
    metrics = simulation.metrics()
    assert list(metrics["step"]) == [0, 1, 2, 3, 4]
    assert simulation.metrics() is metrics  # cached while the month stays the same


def test_same_seed_gives_same_metrics() -> None:
    runs = []
    for _ in range(2):
        simulation = Simulation(small_scenario(steps=5))
        simulation.step(5)
        runs.append(simulation.metrics())
    pd.testing.assert_frame_equal(runs[0], runs[1])


def test_comparison_of_equal_settings_has_no_difference() -> None:
    scenario = small_scenario(steps=3)
    comparison = run_comparison(scenario, scenario, months=3)
    assert comparison is not None
    table = comparison.final_table()
    assert len(table) >= 4
    assert (table["difference"] == 0).all()


def test_figures_build_in_both_languages() -> None:
    simulation = Simulation(small_scenario(steps=3))
    simulation.step(3)
    summary = simulation.summary()
    for lang in LANGS:
        collaboration = collaboration_figure(simulation.metrics(), lang)
        assert len(collaboration.data) == 4
        assert len(collaboration.data[0].x) == 4
        platforms_figure(simulation.metrics(), simulation.platforms(), lang)
        share_figure(summary["barrier_share"], "barrier", "dash.chart.barriers", lang)
        chain_figure(simulation.stage_counts(), summary["path_share"], lang)


def test_form_figure_colours_by_tightness() -> None:
    shares = {form.value: 0.1 for form in CooperationForm}
    figure = form_figure(shares, "en")
    assert [trace.name for trace in figure.data] == [t(f"name.tightness.{level.key}", "en")
                                                     for level in Tightness]
    for trace, level in zip(figure.data, Tightness, strict=True):
        assert trace.marker.color == TIGHTNESS_COLOURS[level]
        count = sum(1 for spec in FORM_TABLE.values() if spec.tightness is level)
        assert len(trace.x) == count


def test_network_sample_is_systematic() -> None:
    graph = nx.Graph()
    for index in range(3010):
        graph.add_node(f"s{index}", kind="sme", path="back_end", region="capital")
    graph.add_node("u0", kind="university")
    graph.add_edge("s0", "u0", kind="tie", form="joint_development")
    # 3010 SMEs with at most 300 drawn: every ceil(3010 / 300) = 11th SME, starting with the
    # first, which gives ceil(3010 / 11) = 274 SMEs.
    sample = sample_network(graph, limit=300)
    assert sample.every == 11
    assert len(sample.smes) == 274
    assert sample.smes[:2] == ["s0", "s11"]
    figure, note = network_figure(graph, "en", limit=300)
    assert "274 of 3010" in note
    medium = [trace for trace in figure.data if trace.name == t("name.tightness.medium", "en")]
    assert len(medium[0].x) == 3  # one segment: two ends and the gap marker


def test_network_view_of_real_model() -> None:
    simulation = Simulation(small_scenario(steps=6))
    simulation.step(6)
    graph = simulation.graph()
    smes = sum(1 for _, kind in graph.nodes(data="kind") if kind == "sme")
    figure, note = network_figure(graph, "zh", colour_by="region")
    assert f"全部 {smes} 家中小企业" in note
    assert len(figure.data) > 5


def test_chain_explanation_names_the_month() -> None:
    simulation = Simulation(small_scenario(steps=3))
    assert chain_explanation(simulation.metrics(), {}, "en")[0] == t("dash.chain.month_zero",
                                                                     "en")
    simulation.step(3)
    lines = chain_explanation(simulation.metrics(), simulation.stage_counts(), "zh")
    assert lines[0].startswith("第 3 个月")


def test_exports_round_trip() -> None:
    simulation = Simulation(small_scenario(steps=3))
    simulation.step(3)
    metrics = simulation.metrics()
    from_csv = pd.read_csv(io.BytesIO(metrics_csv(metrics)))
    pd.testing.assert_frame_equal(from_csv, metrics, check_dtype=False)
    from_parquet = pd.read_parquet(io.BytesIO(metrics_parquet(metrics)))
    pd.testing.assert_frame_equal(from_parquet, metrics)
    html = charts_html([collaboration_figure(metrics, "zh")], "标题", "zh")
    assert html.startswith("<!DOCTYPE html>")
    assert 'lang="zh-CN"' in html
    assert '<script src="http' not in html  # plotly.js is embedded, so the file opens offline


def test_importing_app_builds_no_model() -> None:
    code = ("import gc, app\n"
            "from iursim.model import IURModel\n"
            "print(sum(isinstance(item, IURModel) for item in gc.get_objects()))\n")
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True,
                            text=True, timeout=120, check=True)
    assert result.stdout.strip() == "0"


def test_stage_flows_count_moves_forward() -> None:
    from iursim.dashboard.simulation import _stage_flows

    # Rows 1 and 2 leave basic research (1) for applied research (2), and row 3 stays at
    # design (3). Row 4 ends and row 5 starts, so neither is a flow.
    before = {1: 1, 2: 1, 3: 3, 4: 4}
    after = {1: 2, 2: 2, 3: 3, 5: 1}
    assert _stage_flows(before, after) == {"basic_research": 2}
    assert _stage_flows(None, after) == {}


def test_simulation_records_flows_of_last_month() -> None:
    simulation = Simulation(small_scenario(steps=12))
    simulation.step(12)
    assert all(key in {stage.key for stage in Stage} for key in simulation.flows)
    assert all(count > 0 for count in simulation.flows.values())
    figure = chain_figure(simulation.stage_counts(), simulation.summary()["path_share"], "en",
                          simulation.flows)
    labels = [note.text for note in figure.layout.annotations if "moved on" in (note.text or "")]
    assert len(labels) == len(simulation.flows)
