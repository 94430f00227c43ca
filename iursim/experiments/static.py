"""Static PNG figures of sweep summaries and sensitivity indices, for papers and the docs.

The HTML charts of :mod:`iursim.experiments.charts` need a browser; these PNGs draw the same
final-month statistics with matplotlib, which is installed with SALib. Chinese labels need a
CJK font; the first one found among :data:`CJK_FONTS` is used.
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from iursim.experiments.summarize import display_name
from iursim.i18n import Lang, catalogue, t

__all__ = ["save_bars", "save_effects", "save_lines", "save_sensitivity"]

CJK_FONTS = ("Noto Sans CJK SC", "WenQuanYi Micro Hei", "Microsoft YaHei", "PingFang SC",
             "SimHei")
COLOURS = ("#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b")
_ENUM_KINDS = {"role": "role", "type": "region_type", "scope": "scope"}


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib import font_manager

    installed = {font.name for font in font_manager.fontManager.ttflist}
    fonts = [name for name in CJK_FONTS if name in installed]
    plt.rcParams["font.sans-serif"] = [*fonts, "DejaVu Sans"]
    plt.rcParams["axes.unicode_minus"] = False
    return plt


def _level_text(column: str, value: object, lang: Lang) -> str:
    kind = _ENUM_KINDS.get(column.rpartition(".")[2])
    if kind is not None and isinstance(value, str):
        return catalogue(lang).get(f"name.{kind}.{value}", value)
    if column == "label" and isinstance(value, str):
        return catalogue(lang).get(f"experiments.point.{value}", value)
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def save_lines(final: pd.DataFrame, output: str, x: str, colour_by: str | None,
               facet_by: str | None, path: Path, lang: Lang) -> None:
    """Draw the output's mean with its 95 % CI band over ``x`` and save it as PNG.

    Each ``colour_by`` level gets one line and each ``facet_by`` level one panel.

    Args:
        final: Final-month rows of the summary table.
        output: The output to draw.
        x: Numeric design column on the horizontal axis.
        colour_by: Design column whose levels get one line each, or None.
        facet_by: Design column whose levels get one panel each, or None.
        path: PNG file to write.
        lang: Language of labels.
    """
    plt = _pyplot()
    rows = final[final["output"] == output]
    facets = list(dict.fromkeys(rows[facet_by])) if facet_by else [None]
    figure, axes = plt.subplots(1, len(facets), figsize=(max(7.0, 4.2 * len(facets) + 1), 3.8),
                                sharey=True, squeeze=False)
    for panel_axes, facet in zip(axes[0], facets, strict=True):
        panel = rows if facet_by is None else rows[rows[facet_by] == facet]
        levels = list(dict.fromkeys(panel[colour_by])) if colour_by else [None]
        for index, level in enumerate(levels):
            line = panel if colour_by is None else panel[panel[colour_by] == level]
            line = line.sort_values(x)
            colour = COLOURS[index % len(COLOURS)]
            name = _level_text(colour_by, level, lang) if colour_by else None
            panel_axes.plot(line[x], line["mean"], marker="o", color=colour, label=name)
            panel_axes.fill_between(line[x], line["ci_low"], line["ci_high"], color=colour,
                                    alpha=0.18, linewidth=0)
        if facet_by:
            panel_axes.set_title(f"{display_name(facet_by, lang)} = "
                                 f"{_level_text(facet_by, facet, lang)}", fontsize=10)
        panel_axes.set_xlabel(display_name(x, lang))
        panel_axes.grid(alpha=0.3)
    axes[0][0].set_ylabel(display_name(output, lang))
    if colour_by:
        axes[0][-1].legend(title=display_name(colour_by, lang), fontsize=8, title_fontsize=8)
    title = t("experiments.chart.lines", lang, output=display_name(output, lang),
              axis=display_name(x, lang))
    figure.suptitle(textwrap.fill(title, 90 if lang == "en" else 50), fontsize=11)
    figure.tight_layout()
    figure.savefig(path, dpi=130)
    plt.close(figure)


def save_effects(effects: pd.DataFrame, outputs: Sequence[str], axes_keys: Sequence[str],
                 path: Path, lang: Lang) -> None:
    """Draw the main effect of each axis on each output, one row of panels per output.

    Args:
        effects: The main-effects table (axis, level, output and the statistics).
        outputs: Outputs to draw, one row each.
        axes_keys: Axes to draw, one column each.
        path: PNG file to write.
        lang: Language of labels.
    """
    plt = _pyplot()
    figure, axes = plt.subplots(len(outputs), len(axes_keys),
                                figsize=(3.6 * len(axes_keys) + 0.8, 2.6 * len(outputs) + 0.6),
                                sharey="row", squeeze=False)
    for row, output in enumerate(outputs):
        for col, axis in enumerate(axes_keys):
            stats = effects[(effects["axis"] == axis) & (effects["output"] == output)]
            panel_axes = axes[row][col]
            x = list(range(len(stats)))
            errors = [stats["mean"] - stats["ci_low"], stats["ci_high"] - stats["mean"]]
            panel_axes.errorbar(x, stats["mean"], yerr=errors, marker="o", capsize=3,
                                color=COLOURS[0])
            panel_axes.set_xticks(x)
            panel_axes.set_xticklabels([_level_text(axis, level, lang)
                                        for level in stats["level"]], fontsize=8)
            panel_axes.grid(alpha=0.3)
            if row == len(outputs) - 1:
                panel_axes.set_xlabel(display_name(axis, lang), fontsize=9)
            if col == 0:
                panel_axes.set_ylabel(display_name(output, lang), fontsize=9)
    figure.suptitle(t("experiments.chart.effects_all", lang), fontsize=11)
    figure.tight_layout()
    figure.savefig(path, dpi=130)
    plt.close(figure)


def save_bars(final: pd.DataFrame, output: str, group_by: str, colour_by: str | None,
              path: Path, lang: Lang) -> None:
    """Draw the output's mean with 95 % CI error bars per design point and save it as PNG.

    Bars are grouped by ``group_by`` levels; ``colour_by`` levels, if given, sit side by side
    within each group.
    """
    plt = _pyplot()
    rows = final[final["output"] == output]
    groups = list(dict.fromkeys(rows[group_by]))
    levels = list(dict.fromkeys(rows[colour_by])) if colour_by else [None]
    width = 0.8 / len(levels)
    figure, axes = plt.subplots(figsize=(max(5.0, 1.4 * len(groups) * max(1, len(levels) / 2)),
                                         3.8))
    for index, level in enumerate(levels):
        subset = rows if colour_by is None else rows[rows[colour_by] == level]
        subset = subset.set_index(group_by).reindex(groups)
        positions = [group + index * width - 0.4 + width / 2 for group in range(len(groups))]
        errors = [(subset["mean"] - subset["ci_low"]).fillna(0),
                  (subset["ci_high"] - subset["mean"]).fillna(0)]
        axes.bar(positions, subset["mean"], width=width * 0.95, yerr=errors, capsize=3,
                 color=COLOURS[index % len(COLOURS)],
                 label=_level_text(colour_by, level, lang) if colour_by else None)
    axes.set_xticks(range(len(groups)))
    axes.set_xticklabels([_level_text(group_by, group, lang) for group in groups], fontsize=9)
    axes.set_ylabel(display_name(output, lang))
    axes.grid(axis="y", alpha=0.3)
    if colour_by:
        axes.legend(title=display_name(colour_by, lang), fontsize=8, title_fontsize=8)
    axes.set_title(t("experiments.chart.bars", lang, output=display_name(output, lang)),
                   fontsize=11)
    figure.tight_layout()
    figure.savefig(path, dpi=130)
    plt.close(figure)


def save_sensitivity(indices: pd.DataFrame, outputs: Sequence[str], method: str, path: Path,
                     lang: Lang, top: int = 15) -> None:
    """Draw the ``top`` parameters by μ* (Morris) or ST (Sobol) for each output, with CIs."""
    plt = _pyplot()
    measure = "mu_star" if method == "morris" else "ST"
    columns = min(2, len(outputs))
    rows_count = -(-len(outputs) // columns)
    figure, axes = plt.subplots(rows_count, columns,
                                figsize=(6.4 * columns, (0.3 * top + 1.4) * rows_count),
                                squeeze=False)
    panels = axes.flatten()
    for extra in panels[len(outputs):]:
        extra.set_visible(False)
    for panel_axes, output in zip(panels, outputs, strict=False):
        rows = indices[indices["output"] == output].nlargest(top, measure).iloc[::-1]
        panel_axes.barh([display_name(name, lang) for name in rows["parameter"]], rows[measure],
                        xerr=rows[f"{measure}_conf"].fillna(0), color=COLOURS[0], capsize=2)
        panel_axes.set_title(t(f"experiments.sensitivity.title.{method}", lang,
                               output=display_name(output, lang)), fontsize=10)
        panel_axes.set_xlabel(t(f"experiments.sensitivity.measure.{measure}", lang), fontsize=9)
        panel_axes.tick_params(axis="y", labelsize=8)
        panel_axes.grid(axis="x", alpha=0.3)
    figure.tight_layout()
    figure.savefig(path, dpi=130)
    plt.close(figure)
