"""Global sensitivity analysis with SALib: Morris screening and Sobol indices.

The experiment's ``[sensitivity]`` table declares the method and the parameter ranges. The
sample points run as an ordinary sweep (so they resume and run on Dask like any other), each
point with the experiment's replications. Each output's final-month value is averaged over a
point's replications before SALib analyses it, which removes part of the model's stochastic
noise from the indices.

References:
    Morris, M. D. (1991). Factorial sampling plans for preliminary computational experiments.
    Technometrics 33(2), 161-174. https://doi.org/10.1080/00401706.1991.10484804

    Campolongo, F., Cariboni, J., Saltelli, A. (2007). An effective screening design for
    sensitivity analysis of large models. Environmental Modelling & Software 22(10),
    1509-1518. https://www.sciencedirect.com/science/article/pii/S1364815206002805

    Saltelli, A. et al. (2010). Variance based sensitivity analysis of model output. Computer
    Physics Communications 181(2), 259-270.
    https://www.sciencedirect.com/science/article/pii/S0010465509003087
"""

from __future__ import annotations

import logging
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from iursim.experiments.design import Experiment
from iursim.experiments.storage import SweepStore
from iursim.experiments.summarize import MAIN_OUTPUTS, output_columns
from iursim.i18n import Lang, t

__all__ = [
    "IncompleteSweepError",
    "SensitivityFiles",
    "analyze",
    "analyze_folder",
    "count_runs",
    "point_means",
]

logger = logging.getLogger(__name__)

RESAMPLES = 1000  # bootstrap resamples for the confidence intervals of the indices


class IncompleteSweepError(Exception):
    """Some sample points have no finished run, so the indices cannot be computed.

    Attributes:
        missing: Number of sample points without any finished replication.
    """

    def __init__(self, missing: int) -> None:
        super().__init__(f"{missing} sample points have no finished run")
        self.missing = missing


@dataclass
class SensitivityFiles:
    """Files written by :func:`analyze_folder`.

    Attributes:
        table: The indices as Parquet, one row per output and parameter.
        csv: The same table as CSV.
        charts: The HTML page with one bar chart per output.
        indices: The indices table itself.
    """

    table: Path
    csv: Path
    charts: Path | None
    indices: pd.DataFrame


def count_runs(experiment: Experiment) -> int:
    """Return the number of model runs the experiment's sensitivity design takes."""
    assert experiment.sensitivity is not None
    return experiment.sensitivity.count_points() * experiment.replications


def point_means(runs: pd.DataFrame, outputs: list[str], points: int) -> pd.DataFrame:
    """Return each sample point's final-month outputs averaged over its replications.

    Raises:
        IncompleteSweepError: If any of the ``points`` sample points has no finished run.
    """
    final = runs[runs["step"] == runs.groupby("run_id")["step"].transform("max")]
    means = final.groupby("point_id")[outputs].mean().reindex(range(points))
    missing = int(means.isna().all(axis=1).sum())
    if missing:
        raise IncompleteSweepError(missing)
    return means


def analyze(experiment: Experiment, means: pd.DataFrame, outputs: list[str]) -> pd.DataFrame:
    """Compute the indices of every output with SALib.

    Returns:
        One row per output and parameter. Morris columns: ``mu``, ``mu_star``,
        ``mu_star_conf``, ``sigma``; Sobol columns: ``S1``, ``S1_conf``, ``ST``, ``ST_conf``.
    """
    from SALib.analyze import morris as morris_analyze
    from SALib.analyze import sobol as sobol_analyze

    spec = experiment.sensitivity
    assert spec is not None
    problem = spec.problem()
    sample = spec.sample(experiment.seed)
    frames = []
    for output in outputs:
        values = means[output].to_numpy(dtype="float64")
        if np.isnan(values).any() or np.ptp(values) == 0:
            # Constant or undefined outputs make every index 0/0; SALib would only warn.
            logger.warning("output %s is constant or has NaN values; no indices", output)
            continue
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            if spec.method == "morris":
                result = morris_analyze.analyze(problem, sample, values, num_levels=spec.levels,
                                                num_resamples=RESAMPLES, conf_level=0.95,
                                                seed=experiment.seed)
                columns = ("mu", "mu_star", "mu_star_conf", "sigma")
            else:
                result = sobol_analyze.analyze(problem, values,
                                               calc_second_order=spec.second_order,
                                               num_resamples=RESAMPLES, conf_level=0.95,
                                               seed=experiment.seed)
                columns = ("S1", "S1_conf", "ST", "ST_conf")
        frame = pd.DataFrame({column: np.asarray(result[column], dtype="float64")
                              for column in columns})
        frame.insert(0, "parameter", problem["names"])
        frame.insert(0, "output", output)
        frames.append(frame)
    if not frames:
        return pd.DataFrame(columns=["output", "parameter"])
    return pd.concat(frames, ignore_index=True)


def analyze_folder(experiment: Experiment, folder: str | Path, *, lang: Lang = "zh",
                   charts: bool = True) -> SensitivityFiles:
    """Analyse a finished sensitivity sweep and write the indices and their charts.

    Raises:
        IncompleteSweepError: If a sample point has no finished run.
        FileNotFoundError: If no run has finished.
    """
    store = SweepStore(folder)
    meta = store.meta()
    if not store.finished_ids():
        raise FileNotFoundError(store.runs_dir)
    runs = store.read_runs()
    outputs = _analysed_outputs(meta, output_columns(runs, meta["design_keys"]))
    assert experiment.sensitivity is not None
    means = point_means(runs, outputs, experiment.sensitivity.count_points())
    indices = analyze(experiment, means, outputs)

    out_dir = store.folder / "sensitivity"
    out_dir.mkdir(exist_ok=True)
    table_path = out_dir / "indices.parquet"
    csv_path = out_dir / "indices.csv"
    indices.to_parquet(table_path, index=False)
    indices.to_csv(csv_path, index=False)
    charts_path = None
    if charts and not indices.empty:
        from iursim.experiments.charts import sensitivity_figure, write_html

        method = experiment.sensitivity.method
        figures = [sensitivity_figure(indices, output, method, lang)
                   for output in dict.fromkeys(indices["output"])]
        charts_path = out_dir / f"charts.{lang}.html"
        write_html(figures, charts_path,
                   t("experiments.chart.page_title", lang, name=meta["name"]))
    return SensitivityFiles(table_path, csv_path, charts_path, indices)


def _analysed_outputs(meta: dict[str, Any], outputs: list[str]) -> list[str]:
    wanted = [*meta["outputs"]["metrics"], *meta["outputs"]["summary"]]
    if wanted:
        return [name for name in outputs
                if any(name == item or name.startswith(item + ".") for item in wanted)]
    return [name for name in MAIN_OUTPUTS if name in outputs] or outputs
