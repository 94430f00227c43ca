"""Statistics per design point and charts of a finished (or partly finished) sweep.

For each design point, kept month and output the summary gives n, mean, standard deviation and
the 95 % confidence interval of the mean, ``mean ± t(0.975, n-1) · sd / sqrt(n)`` over the
point's replications. Main effects pool every run at one level of an axis, which is an
unweighted average over the other axes because a full factorial is balanced.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from iursim.experiments.storage import SweepStore
from iursim.i18n import Lang, catalogue, t

__all__ = [
    "ID_COLUMNS",
    "MAIN_OUTPUTS",
    "SummaryFiles",
    "describe",
    "display_name",
    "output_columns",
    "summarize_folder",
    "summarize_runs",
]

logger = logging.getLogger(__name__)

ID_COLUMNS = ("run_id", "point_id", "seed", "replication", "step", "label")
STAT_COLUMNS = ("n", "mean", "sd", "ci_low", "ci_high")
CONFIDENCE = 0.95

# Outputs charted when the experiment keeps every output: the project's headline measures.
MAIN_OUTPUTS = ("collaboration_density", "active_collaboration_share", "tight_form_share",
                "platform_survival_share", "ever_collaborated_share", "platforms_alive")


@dataclass
class SummaryFiles:
    """Files written by :func:`summarize_folder`.

    Attributes:
        table: The summary as Parquet.
        csv: The same table as CSV.
        effects: Main effects per axis level as CSV, None without axes.
        charts: The HTML page with every chart, None if charts were not asked for.
        figures: Plotly figures by name, for callers that export them.
    """

    table: Path
    csv: Path
    effects: Path | None
    charts: Path | None
    figures: dict[str, Any]


def display_name(column: str, lang: Lang) -> str:
    """Return the display name of a design key or output column, or the column itself."""
    names = catalogue(lang)
    if column == "label":
        return t("experiments.summary.point", lang)
    for key in (f"param.{column}", f"name.metric.{column}", f"experiments.key.{column}"):
        if key in names:
            return names[key]
    table, _, entry = column.partition(".")
    kinds = {"form_share": "form", "barrier_share": "barrier", "path_share": "path",
             "channel_share": "channel"}
    if table in kinds and f"name.{kinds[table]}.{entry}" in names:
        group = names.get(f"name.metric.{table}", table)
        return f"{group}: {names[f'name.{kinds[table]}.{entry}']}"
    return column


def output_columns(runs: pd.DataFrame, design_keys: Sequence[str]) -> list[str]:
    """Return the output columns of a runs table: everything but ids and design keys."""
    skip = set(ID_COLUMNS) | set(design_keys)
    return [column for column in runs.columns if column not in skip]


def describe(values: pd.Series) -> dict[str, float]:
    """Return n, mean, sd and the 95 % confidence interval of the mean of ``values``.

    NaN values are left out. With n = 1 the standard deviation and interval are NaN.
    """
    from scipy import stats

    clean = values.dropna().to_numpy(dtype="float64")
    n = len(clean)
    if n == 0:
        return {"n": 0, "mean": np.nan, "sd": np.nan, "ci_low": np.nan, "ci_high": np.nan}
    mean = float(clean.mean())
    if n == 1:
        return {"n": 1, "mean": mean, "sd": np.nan, "ci_low": np.nan, "ci_high": np.nan}
    sd = float(clean.std(ddof=1))
    half = float(stats.t.ppf(0.5 + CONFIDENCE / 2, n - 1)) * sd / np.sqrt(n)
    return {"n": n, "mean": mean, "sd": sd, "ci_low": mean - half, "ci_high": mean + half}


def summarize_runs(runs: pd.DataFrame, group_columns: Sequence[str],
                   outputs: Sequence[str]) -> pd.DataFrame:
    """Return one row per group, kept month and output with the statistics of :func:`describe`.

    Args:
        runs: Rows of the runs table.
        group_columns: Columns that define a group besides ``step``, e.g. the point id and the
            design keys (constant within a point, kept for readability).
        outputs: Output columns to describe.
    """
    keys = [*group_columns, "step"]
    long = runs.melt(id_vars=keys, value_vars=list(outputs), var_name="output",
                     value_name="value")
    grouped = long.groupby([*keys, "output"], sort=True, dropna=False)["value"]
    n = grouped.count()
    mean = grouped.mean()
    sd = grouped.std(ddof=1)
    from scipy import stats

    with np.errstate(invalid="ignore", divide="ignore"):
        quantile = stats.t.ppf(0.5 + CONFIDENCE / 2, (n - 1).where(n > 1))
        half = quantile * sd / np.sqrt(n)
    table = pd.DataFrame({"n": n, "mean": mean, "sd": sd, "ci_low": mean - half,
                          "ci_high": mean + half}).reset_index()
    table["n"] = table["n"].astype("int64")
    return table


def summarize_folder(folder: str | Path, out: str | Path | None = None, *, lang: Lang = "zh",
                     charts: bool = True, png: bool = False) -> SummaryFiles:
    """Summarise a sweep folder and write the tables and charts.

    Args:
        folder: The sweep folder (``runs/`` and ``sweep.json``).
        out: Where to write; ``folder / "summary"`` by default.
        lang: Language of chart titles and labels.
        charts: Whether to write the HTML charts.
        png: Whether to also write static PNG figures to ``out/png.LANG``.

    Raises:
        SweepFolderError: If the folder contains no sweep.
        FileNotFoundError: If no run has finished yet.
    """
    store = SweepStore(folder)
    meta = store.meta()
    if not store.finished_ids():
        raise FileNotFoundError(store.runs_dir)
    runs = store.read_runs()
    design_keys = [key for key in meta["design_keys"] if key in runs.columns]
    outputs = output_columns(runs, design_keys)
    group_columns = ["point_id", *(["label"] if "label" in runs.columns else []), *design_keys]
    table = summarize_runs(runs, group_columns, outputs)

    out_dir = Path(out) if out is not None else store.folder / "summary"
    out_dir.mkdir(parents=True, exist_ok=True)
    table_path = out_dir / "summary.parquet"
    csv_path = out_dir / "summary.csv"
    table.to_parquet(table_path, index=False)
    table.to_csv(csv_path, index=False)

    final = runs[runs["step"] == runs.groupby("run_id")["step"].transform("max")]
    axes = [key for key in meta.get("axes") or {} if key in runs.columns]
    effects_path = None
    effects = None
    if axes:
        effects = main_effects(final, axes, outputs)
        effects_path = out_dir / "main_effects.csv"
        effects.to_csv(effects_path, index=False)

    figures: dict[str, Any] = {}
    charts_path = None
    if charts and meta.get("sensitivity") is None:
        from iursim.experiments.charts import sweep_figures, write_html

        chart_outputs = _chart_outputs(meta, outputs)
        figures = sweep_figures(table, effects, meta, axes, chart_outputs, lang)
        if figures:
            charts_path = out_dir / f"charts.{lang}.html"
            write_html(list(figures.values()), charts_path,
                       t("experiments.chart.page_title", lang, name=meta["name"]))
    if png and meta.get("sensitivity") is None:
        _write_png(table, effects, meta, axes, _chart_outputs(meta, outputs),
                   out_dir / f"png.{lang}", lang)
    return SummaryFiles(table_path, csv_path, effects_path, charts_path, figures)


def _write_png(table: pd.DataFrame, effects: pd.DataFrame | None, meta: dict[str, Any],
               axes: Sequence[str], outputs: Sequence[str], folder: Path, lang: Lang) -> None:
    """Write the static figures of the charted outputs.

    Each output gets lines over a numeric axis, or grouped bars without one. With two or more
    axes one more figure shows the main effects.
    """
    from iursim.experiments.static import save_bars, save_effects, save_lines

    folder.mkdir(parents=True, exist_ok=True)
    if effects is not None and len(axes) >= 2:
        save_effects(effects, outputs, axes, folder / "main_effects.png", lang)
    final = table[table["step"] == table["step"].max()]
    factors = (["label"] if meta.get("labelled") else []) + list(axes)
    numeric = [factor for factor in factors
               if pd.api.types.is_numeric_dtype(final[factor])
               and not pd.api.types.is_bool_dtype(final[factor])]
    for output in outputs:
        if numeric:
            others = [factor for factor in factors if factor != numeric[0]]
            save_lines(final, output, numeric[0], others[0] if others else None,
                       others[1] if len(others) > 1 else None,
                       folder / f"lines-{output}.png", lang)
        elif factors:
            save_bars(final, output, factors[0], factors[1] if len(factors) > 1 else None,
                      folder / f"bars-{output}.png", lang)


def main_effects(final: pd.DataFrame, axes: Sequence[str],
                 outputs: Sequence[str]) -> pd.DataFrame:
    """Return, per axis, level and output, the statistics of every final-month run value.

    Levels keep their type (numbers sort as numbers) in an object column.
    """
    frames = []
    for axis in axes:
        summary = summarize_runs(final.assign(step=0), [axis], outputs)
        summary = summary.drop(columns="step").rename(columns={axis: "level"})
        summary.insert(0, "axis", axis)
        summary["level"] = summary["level"].astype(object)
        frames.append(summary)
    return pd.concat(frames, ignore_index=True)


def _chart_outputs(meta: dict[str, Any], outputs: Sequence[str]) -> list[str]:
    """Return the outputs to chart: ``[outputs] charts``, else the headline measures kept."""
    wanted = meta["outputs"].get("charts") or []
    chosen = [name for name in outputs
              if any(name == item or name.startswith(item + ".") for item in wanted)]
    return chosen or [name for name in MAIN_OUTPUTS if name in outputs] or list(outputs)[:4]
