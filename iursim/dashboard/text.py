"""Labels, units and number formats of the dashboard in both user languages."""

from __future__ import annotations

import re

from iursim.i18n import Lang, t
from iursim.scenario import ParameterSpec

__all__ = ["format_number", "format_share", "param_help", "param_label", "unit_key",
           "unit_text"]


def unit_key(unit: str) -> str:
    """Return the catalogue key of a unit: ``10k CNY / month`` -> ``unit.10k_cny_month``."""
    return "unit." + re.sub(r"[^a-z0-9]+", "_", unit.lower()).strip("_")


def unit_text(unit: str, lang: Lang) -> str:
    """Return a declared unit in ``lang``, or an empty string for dimensionless values."""
    return t(unit_key(unit), lang) if unit else ""


def param_label(spec: ParameterSpec, lang: Lang) -> str:
    """Return the label of a parameter in ``lang``."""
    return t(f"param.{spec.key}", lang)


def param_help(spec: ParameterSpec, lang: Lang) -> str:
    """Return the help text of a parameter in ``lang``, with its unit and allowed range."""
    text = t(f"param_help.{spec.key}", lang)
    unit = unit_text(spec.unit, lang)
    if spec.low is not None and spec.high is not None and spec.kind in ("int", "float"):
        text += f" [{format_number(spec.low)} – {format_number(spec.high)}"
        text += f" {unit}]" if unit else "]"
    return text


def format_number(value: float) -> str:
    """Format a number compactly: integers without decimals, others with up to 4 digits."""
    if float(value).is_integer() and abs(value) < 1e15:
        return f"{int(value):,}"
    return f"{value:.4g}"


def format_share(value: float) -> str:
    """Format a share 0-1 as a percentage with one decimal."""
    return f"{100.0 * value:.1f}%"
