"""The dashboard page: run controls, parameter panels, live views, A/B comparison and export.

All state is created by hooks inside :func:`Dashboard`, so every browser session (every Solara
kernel) gets its own settings and its own model.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path as FilePath
from typing import Any

import solara

from iursim.chain import Path
from iursim.dashboard.chain_view import chain_explanation, chain_figure
from iursim.dashboard.charts import (
    PATH_COLOURS,
    collaboration_figure,
    form_figure,
    platforms_figure,
    share_figure,
)
from iursim.dashboard.compare import ComparePanel
from iursim.dashboard.controls import ParameterControl, ParameterGroups, format_input
from iursim.dashboard.export import charts_html, metrics_csv, metrics_parquet
from iursim.dashboard.network import network_figure
from iursim.dashboard.plotly_view import PlotlyChart, PlotlyLoader
from iursim.dashboard.simulation import (
    Simulation,
    build_scenario,
    list_presets,
    load_preset,
    parameter_values,
)
from iursim.dashboard.text import format_number, format_share, param_label
from iursim.i18n import Lang, t
from iursim.scenario import ScenarioError, iter_parameters, parameter_spec, scenario_from_dict

__all__ = ["Dashboard", "SPEEDS"]

logger = logging.getLogger(__name__)

# Play speeds in months per second; "max" steps as fast as the model allows.
SPEEDS: tuple[str, ...] = ("1", "4", "12", "max")
DEFAULT_PRESET = "baseline"

# Pending messages are stored as functions of the language, so a switch re-renders them.
Message = Callable[[Lang], str]


def _heading(text: str, level: int = 2) -> None:
    solara.v.Html(tag=f"h{level}", children=[text],
                  style_="margin: 0.6em 0 0.3em 0; font-weight: 500;")


def _show_failure(error: Exception, lang: Lang) -> None:
    """Log a failed view with its traceback and show a one-line message in its place."""
    logger.exception("dashboard view failed")
    solara.Error(t("dash.error.model_failed", lang, error=f"{type(error).__name__}: {error}"),
                 classes=["iursim-message"])


def _initial_state(scenario_dir: FilePath) -> dict[str, Any]:
    """Load the default preset (or the declared defaults) and build its first model."""
    presets = {path.stem: path for path in list_presets(scenario_dir)}
    name = DEFAULT_PRESET if DEFAULT_PRESET in presets else ""
    message: Message | None = None
    try:
        base, scenario = load_preset(presets.get(name))
    except ScenarioError as error:
        logger.warning("default preset %s is invalid: %s", name, error)
        message = lambda lang, error=error: t("dash.error.preset_failed", lang,  # noqa: E731
                                               error=error.message(lang))
        name, (base, scenario) = "", load_preset(None)
    return {"presets": presets, "preset": name, "base": base,
            "values": parameter_values(scenario), "simulation": Simulation(scenario),
            "message": message}


@solara.component
def Dashboard(scenario_dir: FilePath) -> None:
    """Render the whole page for one browser session.

    Args:
        scenario_dir: Folder whose ``*.toml`` files the preset picker offers.
    """
    initial = solara.use_memo(lambda: _initial_state(scenario_dir), [])
    lang = solara.use_reactive("zh")
    preset = solara.use_reactive(initial["preset"])
    base = solara.use_reactive(initial["base"])
    values = solara.use_reactive(initial["values"])
    errors = solara.use_reactive({})
    simulation = solara.use_reactive(initial["simulation"])
    version = solara.use_reactive(0)
    playing = solara.use_reactive(False)
    speed = solara.use_reactive("max")
    message = solara.use_reactive(initial["message"])
    tab = solara.use_reactive(0)
    language: Lang = "en" if lang.value == "en" else "zh"
    sim: Simulation = simulation.value

    def fail(error: Exception) -> None:
        logger.exception("dashboard action failed")
        text = f"{type(error).__name__}: {error}"
        message.set(lambda lang: t("dash.error.model_failed", lang, error=text))
        playing.set(False)

    def rebuild(new_base: dict[str, Any], new_values: dict[str, Any]) -> bool:
        playing.set(False)
        if errors.value:
            message.set(lambda lang: t("dash.error.fix_first", lang))
            return False
        try:
            scenario = build_scenario(new_base, new_values)
            simulation.set(Simulation(scenario))
        except ScenarioError as error:
            message.set(lambda lang, error=error: error.message(lang))
            return False
        except Exception as error:  # noqa: BLE001 - shown on the page instead of a traceback
            fail(error)
            return False
        message.set(None)
        version.set(version.value + 1)
        return True

    def choose_preset(name: str | None) -> None:
        path = initial["presets"].get(name or "")
        try:
            new_base, scenario = load_preset(path)
        except ScenarioError as error:
            message.set(lambda lang, error=error: t("dash.error.preset_failed", lang,
                                                     error=error.message(lang)))
            return
        preset.set(name or "")
        base.set(new_base)
        errors.set({})
        values.set(parameter_values(scenario))
        rebuild(new_base, values.value)

    def step_once() -> None:
        try:
            sim.step(1)
        except Exception as error:  # noqa: BLE001 - shown on the page instead of a traceback
            fail(error)
        version.set(version.value + 1)

    def play_loop(cancel: threading.Event) -> None:
        if not playing.value:
            return
        render_seconds = 0.1
        try:
            while not cancel.is_set() and not sim.finished:
                started = time.perf_counter()
                if speed.value == "max":
                    # Step for at least three times the last render's cost, so drawing takes at
                    # most a quarter of the wall time even on a slow machine.
                    sim.advance(max(0.5, 3.0 * render_seconds), sim.last_month, cancel)
                else:
                    rate = float(speed.value)
                    batch = max(1, round(rate * 0.25))
                    sim.step(batch)
                rendered = time.perf_counter()
                version.set(version.value + 1)
                render_seconds = time.perf_counter() - rendered
                if speed.value != "max":
                    pause = batch / rate - (time.perf_counter() - started)
                    if pause > 0:
                        cancel.wait(pause)
        except Exception as error:  # noqa: BLE001 - shown on the page instead of a traceback
            fail(error)
            return
        if not cancel.is_set():
            playing.set(False)

    solara.use_thread(play_loop, dependencies=[playing.value, id(sim), speed.value],
                      intrusive_cancel=False)

    solara.Title(t("dash.title", language))
    with solara.Column(classes=["iursim-dashboard"], style={"padding": "12px 20px"}):
        PlotlyLoader()
        with solara.Row(justify="space-between", style={"align-items": "center"}):
            with solara.Column(gap="0px"):
                _heading(t("dash.title", language), 1)
                solara.Text(t("dash.subtitle", language))
            with solara.Row(classes=["iursim-language"], style={"align-items": "center"}):
                solara.Text(t("dash.language", language) + ":")
                solara.Button("中文", on_click=lambda: lang.set("zh"),
                              color="primary" if language == "zh" else None,
                              classes=["iursim-lang-zh"])
                solara.Button("English", on_click=lambda: lang.set("en"),
                              color="primary" if language == "en" else None,
                              classes=["iursim-lang-en"])
        with solara.Columns([1, 3], gutters_dense=True):
            with solara.Column(style={"max-width": "430px"}):
                _RunPanel(sim, version.value, language, initial["presets"], preset.value,
                          choose_preset, values, errors, base, playing, speed, message, rebuild,
                          step_once)
                _heading(t("dash.control.parameters", language), 3)
                solara.Text(t("dash.control.parameters_note", language),
                            style={"font-size": "0.85rem", "color": "#555"})
                ParameterGroups([spec for spec in iter_parameters() if spec.group != "run"],
                                values, errors, language)
            with solara.Column():
                _KeyFigures(sim, language, version.value)
                with solara.lab.Tabs(value=tab, lazy=True):
                    with solara.lab.Tab(t("dash.tab.overview", language)):
                        _Overview(sim, language, version.value)
                    with solara.lab.Tab(t("dash.tab.shares", language)):
                        _Shares(sim, language, version.value)
                    with solara.lab.Tab(t("dash.tab.network", language)):
                        _Network(sim, language, version.value)
                    with solara.lab.Tab(t("dash.tab.chain", language)):
                        _Chain(sim, language, version.value)
                    with solara.lab.Tab(t("dash.tab.compare", language)):
                        ComparePanel(base.value, values.value, errors.value, language)
                    with solara.lab.Tab(t("dash.tab.export", language)):
                        _Export(sim, language, version.value, preset.value)


@solara.component
def _RunPanel(sim: Simulation, version: int, lang: Lang, presets: dict[str, FilePath], preset: str,
              choose_preset: Callable[[str | None], None],
              values: solara.Reactive[dict[str, Any]], errors: solara.Reactive[dict[str, str]],
              base: solara.Reactive[dict[str, Any]], playing: solara.Reactive[bool],
              speed: solara.Reactive[str], message: solara.Reactive[Message | None],
              rebuild: Callable[[dict[str, Any], dict[str, Any]], bool],
              step_once: Callable[[], None]) -> None:
    _heading(t("dash.control.heading", lang), 3)
    defaults_label = t("dash.control.preset_defaults", lang)
    choices = [*presets, defaults_label]
    solara.Select(label=t("dash.control.preset", lang), values=choices,
                  value=preset or defaults_label, classes=["iursim-preset"],
                  on_value=lambda name: choose_preset("" if name == defaults_label else name))

    def set_value(key: str, new: Any) -> None:
        values.set({**values.value, key: new})

    def set_error(key: str, text: str) -> None:
        current = {name: old for name, old in errors.value.items() if name != key}
        if text:
            current[key] = text
        errors.set(current)

    for key in ("run.seed", "run.steps"):
        spec = parameter_spec(key)
        ParameterControl(spec, values.value.get(key, spec.default),
                         on_value=lambda new, key=key: set_value(key, new),
                         on_error=set_error, lang=lang)

    with solara.Row(style={"flex-wrap": "wrap"}):
        with solara.Tooltip(t("dash.control.reset_help", lang)):
            solara.Button(t("dash.control.reset", lang), icon_name="mdi-restart",
                          on_click=lambda: rebuild(base.value, values.value),
                          classes=["iursim-reset"])
        with solara.Tooltip(t("dash.control.step_help", lang)):
            solara.Button(t("dash.control.step", lang), icon_name="mdi-step-forward",
                          on_click=step_once, disabled=playing.value or sim.finished,
                          classes=["iursim-step"])
        if playing.value:
            solara.Button(t("dash.control.pause", lang), icon_name="mdi-pause",
                          on_click=lambda: playing.set(False), color="warning",
                          classes=["iursim-pause"])
        else:
            solara.Button(t("dash.control.play", lang), icon_name="mdi-play",
                          on_click=lambda: playing.set(True), color="primary",
                          disabled=sim.finished, classes=["iursim-play"])
    speed_labels = {key: t(f"dash.control.speed_{key}", lang) for key in SPEEDS}
    by_label = {label: key for key, label in speed_labels.items()}
    solara.Select(label=t("dash.control.speed", lang), values=list(speed_labels.values()),
                  value=speed_labels[speed.value], classes=["iursim-speed"],
                  on_value=lambda label: speed.set(by_label.get(label or "", "max")))
    solara.v.Html(tag="div", class_="iursim-month", style_="font-size: 1.2rem; margin: 6px 0;",
                  children=[t("dash.control.month", lang, month=sim.month,
                              steps=sim.last_month)],
                  attributes={"data-month": str(sim.month)})
    _RunInfo(sim, base.value, lang)
    if sim.finished:
        solara.Info(t("dash.control.finished", lang, steps=sim.last_month), dense=True)
    if message.value is not None:
        solara.Error(message.value(lang), classes=["iursim-message"])
    elif values.value != parameter_values(sim.config):
        solara.Warning(t("dash.control.pending", lang), dense=True)


@solara.component
def _RunInfo(sim: Simulation, base: dict[str, Any], lang: Lang) -> None:
    """Size and seed of the running model, and the parameters that differ from the preset."""
    config = sim.config
    solara.v.Html(tag="div", class_="iursim-run-info", style_="font-size: 0.9rem;",
                  children=[t("dash.control.run_info", lang, smes=config.population.smes,
                              universities=config.population.universities,
                              seed=config.run.seed)])
    try:
        preset_values = parameter_values(scenario_from_dict(base, "preset"))
    except ScenarioError:
        return
    running = parameter_values(config)
    changed = [spec for spec in iter_parameters(config)
               if running[spec.key] != preset_values.get(spec.key)]
    if changed:
        items = ", ".join(f"{param_label(spec, lang)} = {format_input(running[spec.key])}"
                          for spec in changed)
        solara.v.Html(tag="div", class_="iursim-changed", style_="font-size: 0.85rem;",
                      children=[t("dash.control.changed", lang, items=items)])


def _or_dash(value: Any, formatter: Callable[[float], str]) -> str:
    """Format a number, or return a dash when it is missing or NaN (no SME to divide by)."""
    if value is None or value != value:
        return "–"
    return formatter(float(value))


@solara.component
def _KeyFigures(sim: Simulation, lang: Lang, version: int) -> None:
    metrics = sim.metrics()
    if metrics.empty:
        return
    last = metrics.iloc[-1]
    shares = ("active_collaboration_share", "ever_collaborated_share", "tight_form_share")
    counts = ("platforms_alive", "projects_started", "projects_succeeded")
    _heading(t("dash.key.heading", lang), 3)
    with solara.Row(style={"flex-wrap": "wrap", "gap": "10px"}, classes=["iursim-key"]):
        items = [("collaboration_density",
                  _or_dash(last.get("collaboration_density"), lambda value: f"{value:.4%}"))]
        items += [(name, _or_dash(last[name], format_share)) for name in shares if name in last]
        items += [(name, _or_dash(last[name], format_number)) for name in counts
                  if name in last]
        for name, text in items:
            with solara.Card(style={"min-width": "150px", "padding": "6px 10px",
                                    "margin": "0"}):
                solara.Text(t(f"name.metric.{name}", lang), style={"font-size": "0.8rem"})
                solara.v.Html(tag="div", children=[text], class_=f"iursim-key-{name}",
                              style_="font-size: 1.3rem; font-weight: 500;")


def _current_figures(sim: Simulation, lang: Lang) -> dict[str, Any]:
    summary = sim.summary()
    metrics = sim.metrics()
    return {
        "collaboration": collaboration_figure(metrics, lang),
        "platforms": platforms_figure(metrics, sim.platforms(), lang),
        "forms": form_figure(summary.get("form_share", {}), lang),
        "barriers": share_figure(summary.get("barrier_share", {}), "barrier",
                                 "dash.chart.barriers", lang),
        "paths": share_figure(summary.get("path_share", {}), "path", "dash.chart.paths", lang,
                              colours=PATH_COLOURS),
        "channels": share_figure(summary.get("channel_share", {}), "channel",
                                 "dash.chart.channels", lang),
    }


@solara.component
def _Overview(sim: Simulation, lang: Lang, version: int) -> None:
    try:
        metrics = sim.metrics()
        collaboration = collaboration_figure(metrics, lang)
        platforms = platforms_figure(metrics, sim.platforms(), lang)
    except Exception as error:  # noqa: BLE001 - shown on the page instead of a traceback
        _show_failure(error, lang)
        return
    _heading(t("dash.chart.collaboration", lang))
    PlotlyChart(collaboration)
    _heading(t("dash.chart.platforms", lang))
    PlotlyChart(platforms)


@solara.component
def _Shares(sim: Simulation, lang: Lang, version: int) -> None:
    try:
        figures = _current_figures(sim, lang)
    except Exception as error:  # noqa: BLE001 - shown on the page instead of a traceback
        _show_failure(error, lang)
        return
    _heading(t("dash.chart.forms", lang))
    PlotlyChart(figures["forms"])
    with solara.Columns([1, 1]):
        with solara.Column():
            _heading(t("dash.chart.barriers", lang))
            PlotlyChart(figures["barriers"])
        with solara.Column():
            _heading(t("dash.chart.paths", lang))
            PlotlyChart(figures["paths"])
            _heading(t("dash.chart.channels", lang))
            PlotlyChart(figures["channels"])


@solara.component
def _Network(sim: Simulation, lang: Lang, version: int) -> None:
    colour_by = solara.use_reactive("path")
    _heading(t("dash.chart.network", lang))
    labels = {"path": t("dash.network.by_path", lang), "region": t("dash.network.by_region", lang)}
    by_label = {label: key for key, label in labels.items()}
    solara.Select(label=t("dash.network.colour_by", lang), values=list(labels.values()),
                  value=labels[colour_by.value],
                  on_value=lambda label: colour_by.set(by_label.get(label or "", "path")))
    try:
        with sim.lock:
            figure, note = network_figure(sim.graph(), lang, colour_by.value)
    except Exception as error:  # noqa: BLE001 - shown on the page instead of a traceback
        _show_failure(error, lang)
        return
    solara.Text(note, classes=["iursim-network-note"])
    PlotlyChart(figure)


@solara.component
def _Chain(sim: Simulation, lang: Lang, version: int) -> None:
    _heading(t("dash.chain.heading", lang))
    try:
        path_share = sim.summary().get("path_share", {path.value: 0.0 for path in Path})
        paragraphs = chain_explanation(sim.metrics(), sim.stage_counts(), lang, sim.flows)
        figure = chain_figure(sim.stage_counts(), path_share, lang, sim.flows)
    except Exception as error:  # noqa: BLE001 - shown on the page instead of a traceback
        _show_failure(error, lang)
        return
    for paragraph in paragraphs:
        solara.v.Html(tag="p", children=[paragraph], class_="iursim-chain-text")
    PlotlyChart(figure)


@solara.component
def _Export(sim: Simulation, lang: Lang, version: int, preset: str) -> None:
    _heading(t("dash.export.heading", lang))
    solara.Text(t("dash.export.intro", lang, month=sim.month))
    stem = f"iursim-{preset or 'defaults'}-seed{sim.config.run.seed}-month{sim.month}"
    with solara.Row():
        solara.FileDownload(lambda: metrics_csv(sim.metrics()), filename=f"{stem}.csv",
                            label=t("dash.export.csv", lang), mime_type="text/csv")
        solara.FileDownload(lambda: metrics_parquet(sim.metrics()), filename=f"{stem}.parquet",
                            label=t("dash.export.parquet", lang))
        solara.FileDownload(
            lambda: charts_html(list(_current_figures(sim, lang).values()), t("dash.title", lang),
                                lang),
            filename=f"{stem}-charts.html", label=t("dash.export.html", lang),
            mime_type="text/html")
