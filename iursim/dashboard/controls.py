"""Input controls generated from the parameter declaration (`iter_parameters`).

A parameter gets a checkbox (bool), a select (enum), a slider when its declared range spans at
most a thousand steps, and otherwise a text field whose input is checked against the
declared bounds. Labels, help texts and units come from the message catalogue in both
languages; bounds and defaults come only from the declaration.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from typing import Any

import solara

from iursim.dashboard.text import format_number, param_help, param_label, unit_text
from iursim.i18n import Lang, t
from iursim.scenario import ParameterSpec

__all__ = ["GROUPS", "ParameterControl", "ParameterGroups", "control_kind", "css_class",
           "format_input", "parse_input", "slider_step"]

# Display order of the parameter groups; the run group is shown in the run controls instead.
GROUPS: tuple[str, ...] = ("policy", "platforms", "population", "behaviour")

# A slider is offered when the range spans at most this many steps of its natural step.
# Wider ranges (populations, money in the millions) get a text field.
_MAX_SLIDER_POSITIONS = 1000


def css_class(key: str) -> str:
    """Return the CSS class that marks the control of ``key`` (used by tests and styling)."""
    return "iursim-param-" + key.replace(".", "-").replace("_", "-")


def slider_step(spec: ParameterSpec, value: float) -> float:
    """Return a step of about 1/100 of the range that lands exactly on ``value``.

    Integers step by 1. For floats the step is a power of ten near (high - low) / 100, divided
    by ten until ``value`` lies on the grid, so a preset's value is never rounded away.
    """
    if spec.kind == "int":
        return 1
    assert spec.low is not None and spec.high is not None
    width = spec.high - spec.low
    step = 10.0 ** math.floor(math.log10(width / 100.0)) if width > 0 else 1.0
    for _ in range(12):
        ratio = (value - spec.low) / step
        if abs(ratio - round(ratio)) < 1e-6:
            return step
        step /= 10.0
    return step


def control_kind(spec: ParameterSpec, value: Any = None) -> str:
    """Return ``checkbox``, ``select``, ``slider`` or ``text`` for a parameter."""
    if spec.kind == "bool":
        return "checkbox"
    if spec.choices:
        return "select"
    if spec.kind in ("int", "float") and spec.low is not None and spec.high is not None:
        step = slider_step(spec, spec.default if value is None else value)
        if (spec.high - spec.low) / step <= _MAX_SLIDER_POSITIONS:
            return "slider"
    return "text"


def format_input(value: Any) -> str:
    """Format a number for a text field so that parsing the text returns the same value."""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        short = f"{value:g}"
        return short if float(short) == value else repr(value)
    return str(value)


def parse_input(text: str, spec: ParameterSpec, label: str, lang: Lang) -> tuple[Any, str]:
    """Parse a text field's input for ``spec``.

    Returns:
        ``(value, "")`` for valid input, ``(None, message)`` otherwise; the message names the
        field, the input and what to enter instead, in ``lang``.
    """
    raw = text.strip()
    if not raw:
        return None, t("dash.error.empty", lang, label=label)
    value: int | float
    if spec.kind == "int":
        try:
            value = int(raw.replace(",", "").replace("_", ""))
        except ValueError:
            return None, t("dash.error.not_integer", lang, label=label, text=raw)
    else:
        try:
            value = float(raw.replace(",", ""))
        except ValueError:
            return None, t("dash.error.not_number", lang, label=label, text=raw)
        if not math.isfinite(value):
            return None, t("dash.error.not_number", lang, label=label, text=raw)
    too_low = spec.low is not None and value < spec.low
    too_high = spec.high is not None and value > spec.high
    if too_low or too_high:
        low = format_number(spec.low) if spec.low is not None else "-∞"
        high = format_number(spec.high) if spec.high is not None else "∞"
        return None, t("dash.error.out_of_range", lang, label=label, text=raw, low=low,
                       high=high)
    return value, ""


@solara.component
def _Label(spec: ParameterSpec, value: Any, lang: Lang, show_value: bool) -> None:
    label = param_label(spec, lang)
    unit = unit_text(spec.unit, lang)
    text = label
    if show_value:
        text += f": {format_number(value)}"
        if unit:
            text += f" {unit}"
    elif unit:
        text += f" ({unit})"
    with solara.Tooltip(param_help(spec, lang)):
        solara.Text(text, style={"font-size": "0.9rem"})


@solara.component
def ParameterControl(spec: ParameterSpec, value: Any, on_value: Callable[[Any], None],
                     on_error: Callable[[str, str], None], lang: Lang,
                     disabled: bool = False) -> None:
    """Render the control of one parameter and report invalid text through ``on_error``.

    Args:
        spec: The parameter's declaration.
        value: Current value in the session's settings.
        on_value: Called with a valid new value.
        on_error: Called with ``(key, message)``; an empty message clears the error.
        lang: Display language.
        disabled: Greys the control out.
    """
    kind = control_kind(spec, value)
    label = param_label(spec, lang)
    text = solara.use_reactive(format_input(value))
    # Recomputed on every render so the message follows the language switch.
    error = parse_input(text.value, spec, label, lang)[1] if kind == "text" else ""

    def on_text(new_text: str | None) -> None:
        text.set(new_text or "")
        parsed, message = parse_input(new_text or "", spec, label, lang)
        on_error(spec.key, message)
        if not message:
            on_value(parsed)

    with solara.Column(gap="0px", classes=[css_class(spec.key), "iursim-param"]):
        if kind == "checkbox":
            with solara.Tooltip(param_help(spec, lang)):
                solara.Checkbox(label=label, value=bool(value), on_value=on_value,
                                disabled=disabled)
        elif kind == "select":
            _Label(spec, value, lang, show_value=False)
            solara.Select(label="", values=list(spec.choices), value=value,
                          on_value=on_value, disabled=disabled)
        elif kind == "slider":
            _Label(spec, value, lang, show_value=True)
            cast = int if spec.kind == "int" else float
            solara.v.Slider(v_model=value, on_v_model=lambda new: on_value(cast(new)),
                            min=spec.low, max=spec.high, step=slider_step(spec, value),
                            thumb_label=True, hide_details=True, dense=True,
                            disabled=disabled)
        else:
            _Label(spec, value, lang, show_value=False)
            # Continuous updates travel as value changes of the widget, which arrive even when
            # typing starts before the field's key and focus handlers are attached.
            solara.InputText(label="", value=text.value, on_value=on_text,
                             error=error or False, disabled=disabled, dense=True,
                             continuous_update=True)


@solara.component
def ParameterGroups(specs: Iterable[ParameterSpec], values: solara.Reactive[dict[str, Any]],
                    errors: solara.Reactive[dict[str, str]], lang: Lang,
                    disabled: bool = False) -> None:
    """Render one button per group of :data:`GROUPS` and the controls of the chosen group.

    Only the chosen group's controls exist, because every control is a handful of widgets
    that the browser must create when the page opens. The policy levers are shown first.
    """
    chosen = solara.use_reactive(GROUPS[0])

    def set_value(key: str, new: Any) -> None:
        values.set({**values.value, key: new})

    def set_error(key: str, message: str) -> None:
        current = {name: text for name, text in errors.value.items() if name != key}
        if message:
            current[key] = message
        errors.set(current)

    by_group: dict[str, list[ParameterSpec]] = {}
    for spec in specs:
        by_group.setdefault(spec.group, []).append(spec)
    groups = [group for group in GROUPS if by_group.get(group)]
    with solara.Row(style={"flex-wrap": "wrap", "gap": "4px"}, classes=["iursim-groups"]):
        for group in groups:
            solara.Button(t(f"dash.group.{group}", lang), small=True,
                          on_click=lambda group=group: chosen.set(group),
                          color="primary" if group == chosen.value else None,
                          outlined=group != chosen.value,
                          classes=[f"iursim-group-{group}"])
    with solara.Column(gap="6px", style={"padding": "6px 4px"}):
        for spec in by_group.get(chosen.value, []):
            # Keyed by parameter, so a control's typed text never moves to another parameter.
            ParameterControl(spec, values.value.get(spec.key, spec.default),
                             on_value=lambda new, key=spec.key: set_value(key, new),
                             on_error=set_error, lang=lang, disabled=disabled).key(spec.key)
