"""Calibration of the behavioural parameters to the survey's targets (``iursim calibrate``).

The survey's shares describe firms' whole history; the model starts with none. Each target is
measured on the firms alive at the end of a run of ``run.steps`` months (120 in the baseline),
so the run stands for ten years of history. docs/validation.md gives the mapping of every target
and the reasons.

The fit uses Bayesian optimisation with optuna's tree-structured Parzen estimator (TPE), seeded
and run one trial at a time, so the same seed and budget give the same fitted values. Every
candidate is run with the same replication seeds (common random numbers), which keeps the
comparison between candidates free of seed noise. The loss is the sum of squared errors of the
replication means, in percentage points.

Only parameters of :class:`~iursim.scenario.BehaviourConfig` are fitted. Commissioner coverage
depends on policy levers alone (commissioners per 100 SMEs, firms per commissioner, term), so
it is a target the fit reports but cannot move.

References:
    Bergstra, J., Bardenet, R., Bengio, Y. and Kégl, B. (2011). Algorithms for
    hyper-parameter optimization. Advances in Neural Information Processing Systems 24.
"""

from __future__ import annotations

import json
import logging
import multiprocessing
import re
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from iursim.i18n import Lang, t
from iursim.scenario import (
    Scenario,
    load_scenario,
    parameter_spec,
    scenario_from_dict,
    scenario_to_toml,
)
from iursim.survey import load_survey

__all__ = [
    "FITTED_PARAMETERS",
    "TARGETS",
    "CalibrationResult",
    "SearchRange",
    "Target",
    "calibrate",
    "measure",
    "register",
    "replicate",
    "replication_seeds",
    "write_behaviour",
]

logger = logging.getLogger(__name__)

DEFAULT_SCENARIO = "scenarios/baseline.toml"
DEFAULT_OUT = "calibration"
# Monthly reporters whose value at the end of each year every run returns in "by_year".
YEARLY_MEASURES = ("ever_collaborated_share", "commissioner_coverage")
# A fitted value closer than this share of its range to a bound is reported as at an edge.
EDGE_SHARE = 0.02


@dataclass(frozen=True)
class Target:
    """One survey share and the summary entry that measures it in the model.

    Attributes:
        key: Dotted path into :meth:`IURModel.summary`, e.g. ``channel_share.direct_contact``.
        survey: The survey's share of the 527 respondents, 0-1.
    """

    key: str
    survey: float


def _targets() -> tuple[Target, ...]:
    survey = load_survey()
    return (
        Target("ever_collaborated_share", survey.targets["ever_collaborated_share"]),
        Target("continuing_or_planning_share", survey.targets["continuing_or_planning_share"]),
        Target("commissioner_coverage", survey.targets["commissioner_coverage"]),
        Target("channel_share.industry_association", survey.channels["industry_association"]),
        Target("channel_share.government_event", survey.channels["government_event"]),
        Target("channel_share.direct_contact", survey.channels["direct_contact"]),
    )


TARGETS: tuple[Target, ...] = _targets()


@dataclass(frozen=True)
class SearchRange:
    """The interval a behavioural parameter is searched in, inside its declared bounds.

    Attributes:
        key: Dotted key, e.g. ``behaviour.need_rate``.
        low: Inclusive lower end of the search.
        high: Inclusive upper end of the search.
    """

    key: str
    low: float
    high: float

    def check(self) -> None:
        """Raise ValueError unless the range is a behavioural one inside the declaration."""
        if not self.key.startswith("behaviour."):
            raise ValueError(f"{self.key} is not a behavioural parameter; only behaviour.* "
                             "keys may be calibrated")
        spec = parameter_spec(self.key)
        if spec.kind != "float":
            raise ValueError(f"{self.key} is a {spec.kind} parameter; only float parameters "
                             "are calibrated")
        if not self.low < self.high:
            raise ValueError(f"{self.key}: invalid search range [{self.low}, {self.high}]")
        if (spec.low is not None and self.low < spec.low) or (
                spec.high is not None and self.high > spec.high):
            raise ValueError(f"{self.key}: search range [{self.low}, {self.high}] leaves the "
                             f"declared range {spec.describe_allowed()}")


# Search ranges lie inside the declared bounds. Each parameter mainly moves one target:
# need_rate the continuing-or-planning share, university_willingness the ever-collaborated
# share, and the three channel parameters their channel's share.
# association_reach is left at its default because, over many searches, the share of firms that
# ever used the association channel approaches the membership share, so reach and membership
# cannot both be identified from that one target.
FITTED_PARAMETERS: tuple[SearchRange, ...] = (
    SearchRange("behaviour.need_rate", 0.05, 0.35),
    SearchRange("behaviour.university_willingness", 0.15, 0.6),
    SearchRange("behaviour.association_membership", 0.6, 0.9),
    SearchRange("behaviour.event_attendance", 0.03, 0.3),
    SearchRange("behaviour.direct_network_share", 0.45, 0.9),
)


def measure(summary: Mapping[str, Any], key: str) -> float:
    """Return the summary value at a dotted key such as ``channel_share.direct_contact``."""
    node: Any = summary
    for part in key.split("."):
        node = node[part]
    return float(node)


def replication_seeds(seed: int, replications: int) -> list[int]:
    """Derive independent run seeds from one seed by numpy SeedSequence spawning."""
    children = np.random.SeedSequence(seed).spawn(replications)
    return [int(child.generate_state(1, dtype=np.uint64)[0] >> 1) for child in children]


def _run_summary(data: dict[str, Any]) -> dict[str, Any]:
    """Run one scenario given as plain data and return its summary; picklable for workers."""
    from iursim.model import IURModel

    model = IURModel(scenario_from_dict(data))
    model.run()
    summary = model.summary()
    # The cumulative target measures at the end of every year show how the window matters.
    frame = model.metrics_frame()
    summary["by_year"] = {column: frame[column].iloc[12::12].tolist()
                          for column in YEARLY_MEASURES}
    return summary


def _with_seed(scenario: Scenario, seed: int) -> dict[str, Any]:
    data = scenario.model_dump(mode="json")
    data["run"]["seed"] = seed
    return data


@contextmanager
def _runner(workers: int) -> Iterator[Callable[[list[dict[str, Any]]], list[dict[str, Any]]]]:
    """Yield a function that runs scenarios in order, in ``workers`` spawned processes."""
    if workers <= 1:
        yield lambda batch: [_run_summary(data) for data in batch]
        return
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        yield lambda batch: list(pool.map(_run_summary, batch))


def replicate(scenario: Scenario, replications: int, seed: int,
              workers: int = 1) -> list[dict[str, Any]]:
    """Run ``replications`` copies of a scenario with seeds derived from ``seed``.

    Returns:
        The summaries in replication order, whatever the number of workers.
    """
    seeds = replication_seeds(seed, replications)
    with _runner(workers) as run_batch:
        return run_batch([_with_seed(scenario, s) for s in seeds])


def _apply(scenario: Scenario, values: Mapping[str, float]) -> Scenario:
    data = scenario.model_dump(mode="json")
    for key, value in values.items():
        table, name = key.split(".")
        data[table][name] = value
    return scenario_from_dict(data, "calibration")


def target_means(summaries: Sequence[Mapping[str, Any]]) -> dict[str, float]:
    """Mean of every target's measure over replications."""
    return {target.key: float(np.mean([measure(s, target.key) for s in summaries]))
            for target in TARGETS}


def loss(means: Mapping[str, float]) -> float:
    """Sum of squared errors of the target means, in percentage points squared."""
    return float(sum((100.0 * (means[target.key] - target.survey)) ** 2 for target in TARGETS))


@dataclass
class CalibrationResult:
    """Outcome of one calibration, serialisable to JSON.

    Attributes:
        scenario: The base scenario file.
        budget: Number of candidates evaluated.
        replications: Replications per candidate.
        seed: Seed of the samplers and of the replication seeds.
        rounds: Search rounds, each with narrower ranges around the best so far.
        steps: Months per run.
        smes: Firms per run.
        ranges: Search range of every fitted key, ``[low, high]``.
        fitted: Best value of every fitted key.
        edges: Fitted keys whose value lies within 2 % of the range width of a bound.
        means: Target means of the best candidate.
        best_loss: Loss of the best candidate.
        trials: Every candidate's values, means and loss, in evaluation order.
        seconds: Wall time of the calibration.
    """

    scenario: str
    budget: int
    replications: int
    seed: int
    rounds: int
    steps: int
    smes: int
    ranges: dict[str, list[float]]
    fitted: dict[str, float]
    edges: list[str]
    means: dict[str, float]
    best_loss: float
    trials: list[dict[str, Any]] = field(default_factory=list)
    seconds: float = 0.0

    def to_json(self) -> str:
        """Serialise as indented JSON text."""
        return json.dumps(asdict(self), indent=2, ensure_ascii=False)


def _shrink(ranges: Sequence[SearchRange], best: Mapping[str, float],
            factor: float) -> list[SearchRange]:
    """Return ranges ``factor`` times as wide, centred on ``best`` and kept inside ``ranges``."""
    shrunk = []
    for r in ranges:
        half = factor * (r.high - r.low) / 2.0
        low = max(r.low, best[r.key] - half)
        high = min(r.high, best[r.key] + half)
        shrunk.append(SearchRange(r.key, low, high))
    return shrunk


def _round_budgets(budget: int, rounds: int) -> list[int]:
    """Split the budget evenly over rounds, the remainder to the first; no round is empty."""
    rounds = min(rounds, budget)
    share, remainder = divmod(budget, rounds)
    return [share + (1 if i < remainder else 0) for i in range(rounds)]


def calibrate(scenario: Scenario, *, budget: int, replications: int, seed: int,
              rounds: int = 1, workers: int = 1,
              ranges: Sequence[SearchRange] = FITTED_PARAMETERS,
              progress: Callable[[int, int, float, float], None] | None = None,
              source: str = "") -> CalibrationResult:
    """Fit behavioural parameters to the survey targets with seeded TPE.

    The budget is split over ``rounds``, and round 1 searches ``ranges``. Each later round
    searches ranges half as wide as the previous round's, centred on the best candidate so
    far and clipped to ``ranges``. It starts from the earlier candidates inside them.
    Round ``k`` uses a TPE sampler seeded with ``seed + k``. The result is the best candidate
    of all rounds.

    Args:
        scenario: Base scenario; its other parameters stay as they are.
        budget: Number of candidates to evaluate, over all rounds.
        replications: Runs per candidate.
        seed: Seeds the TPE samplers and the replication seeds.
        rounds: Number of search rounds.
        workers: Processes that run a candidate's replications.
        ranges: Parameters and their search ranges.
        progress: Called after each candidate with ``(done, budget, loss, best loss)``.
        source: Name of the base scenario, for the report.

    Raises:
        ValueError: For a budget, replication or round count below 1, or an invalid range.
    """
    import optuna

    for name, count in (("budget", budget), ("replications", replications),
                        ("rounds", rounds)):
        if count < 1:
            raise ValueError(f"invalid {name} {count}: use at least 1")
    for search_range in ranges:
        search_range.check()
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    seeds = replication_seeds(seed, replications)
    trials: list[dict[str, Any]] = []
    best: dict[str, Any] | None = None
    round_ranges = list(ranges)
    started = time.perf_counter()

    with _runner(workers) as run_batch:
        def objective(trial: optuna.Trial, searched: Sequence[SearchRange],
                      round_number: int) -> float:
            nonlocal best
            values = {r.key: trial.suggest_float(r.key, r.low, r.high) for r in searched}
            candidate = _apply(scenario, values)
            summaries = run_batch([_with_seed(candidate, s) for s in seeds])
            means = target_means(summaries)
            record = {"round": round_number, "values": values, "means": means,
                      "loss": loss(means)}
            trials.append(record)
            if best is None or record["loss"] < best["loss"]:
                best = record
            if progress is not None:
                progress(len(trials), budget, record["loss"], best["loss"])
            logger.info("candidate %d of %d: loss %.2f", len(trials), budget, record["loss"])
            return record["loss"]

        for number, count in enumerate(_round_budgets(budget, rounds), start=1):
            if best is not None:
                round_ranges = _shrink(ranges, best["values"], 0.5 ** (number - 1))
            # Random candidates map the round's space before TPE takes over: ten, or a third
            # of a small round.
            sampler = optuna.samplers.TPESampler(
                seed=seed + number, n_startup_trials=min(10, max(count // 3, 1)))
            study = optuna.create_study(direction="minimize", sampler=sampler)
            searched = list(round_ranges)
            # Earlier candidates inside this round's ranges inform TPE without being rerun.
            distributions = {r.key: optuna.distributions.FloatDistribution(r.low, r.high)
                             for r in searched}
            for record in trials:
                if all(r.low <= record["values"][r.key] <= r.high for r in searched):
                    study.add_trial(optuna.trial.create_trial(
                        params=record["values"], distributions=distributions,
                        value=record["loss"]))
            study.optimize(lambda trial, r=searched, n=number: objective(trial, r, n),
                           n_trials=count)

    assert best is not None
    fitted = {r.key: float(best["values"][r.key]) for r in ranges}
    edges = [r.key for r in ranges
             if min(fitted[r.key] - r.low, r.high - fitted[r.key]) < EDGE_SHARE * (r.high - r.low)]
    return CalibrationResult(
        scenario=source, budget=budget, replications=replications, seed=seed, rounds=rounds,
        steps=scenario.run.steps, smes=scenario.population.smes,
        ranges={r.key: [r.low, r.high] for r in ranges}, fitted=fitted, edges=edges,
        means=best["means"], best_loss=float(best["loss"]), trials=trials,
        seconds=time.perf_counter() - started)


_BEHAVIOUR_LINE = re.compile(r"^(?P<name>[a-z_]+)\s*=\s*(?P<value>[^#\n]*?)(?P<rest>\s*#.*)?$")


def write_behaviour(path: Path, base: Scenario, fitted: Mapping[str, float],
                    digits: int = 4) -> Scenario:
    """Write fitted behavioural values into a scenario file and return the new scenario.

    An existing file keeps its layout and comments: only the fitted keys' lines of its
    ``[behaviour]`` table change. A new file gets the whole scenario. Values are rounded to
    ``digits`` decimals, which is also what the returned scenario holds.

    Raises:
        ValueError: If an existing file has no ``[behaviour]`` line for a fitted key.
    """
    rounded = {key: round(value, digits) for key, value in fitted.items()}
    scenario = _apply(base, rounded)
    if not path.exists():
        path.write_text(scenario_to_toml(scenario), encoding="utf-8")
        return scenario
    names = {key.split(".", 1)[1]: value for key, value in rounded.items()}
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    table = ""
    written: set[str] = set()
    for index, line in enumerate(lines):
        stripped = line.strip()
        if stripped.startswith("["):
            table = stripped
            continue
        match = _BEHAVIOUR_LINE.match(stripped)
        if table != "[behaviour]" or match is None or match["name"] not in names:
            continue
        name = match["name"]
        lines[index] = f"{name} = {names[name]!r}{match['rest'] or ''}\n"
        written.add(name)
    missing = sorted(names.keys() - written)
    if missing:
        raise ValueError(f"{path}: no line for behaviour.{missing[0]} in its [behaviour] table; "
                         "add the key or write to a new file")
    path.write_text("".join(lines), encoding="utf-8")
    return load_scenario(path)


def render_report(result: CalibrationResult, lang: Lang) -> str:
    """Render the calibration report as Markdown in ``lang``."""
    lines = [f"# {t('calibration.report.title', lang)}", "",
             t("calibration.report.settings", lang, scenario=result.scenario,
               budget=result.budget, rounds=result.rounds, replications=result.replications,
               seed=result.seed,
               steps=result.steps, smes=result.smes, seconds=f"{result.seconds:.0f}"), "",
             t("calibration.report.method", lang), "",
             f"## {t('calibration.report.parameters', lang)}", "",
             t("calibration.report.parameter_header", lang), "| --- | ---: | --- | --- |"]
    for key, value in result.fitted.items():
        low, high = result.ranges[key]
        note = t("calibration.report.at_edge", lang) if key in result.edges else ""
        lines.append(f"| `{key}` | {value:.4f} | [{low:g}, {high:g}] | {note} |")
    lines += ["", f"## {t('calibration.report.targets', lang)}", "",
              t("calibration.report.target_header", lang), "| --- | ---: | ---: | ---: |"]
    for target in TARGETS:
        mean = result.means[target.key]
        lines.append(f"| {t('calibration.target.' + target.key, lang)} | "
                     f"{100 * target.survey:.2f} | {100 * mean:.2f} | "
                     f"{100 * (mean - target.survey):+.2f} |")
    lines += ["", t("calibration.report.loss", lang, loss=f"{result.best_loss:.2f}"), "",
              t("calibration.report.validate", lang), ""]
    return "\n".join(lines)


# --------------------------------------------------------------------------------------------
# Command line


def register(subparsers: Any) -> None:
    """Add ``iursim calibrate`` to the command line."""
    from iursim.cli import add_command

    parser = add_command(subparsers, "calibrate", "calibration.cli.help",
                         "calibration.cli.description")
    lang = parser.lang
    parser.add_argument("--scenario", default=DEFAULT_SCENARIO, metavar="FILE",
                        help=t("calibration.cli.scenario", lang))
    parser.add_argument("--budget", type=int, default=60, metavar="N",
                        help=t("calibration.cli.budget", lang))
    parser.add_argument("--replications", type=int, default=4, metavar="R",
                        help=t("calibration.cli.replications", lang))
    parser.add_argument("--seed", type=int, default=2024, metavar="S",
                        help=t("calibration.cli.seed", lang))
    parser.add_argument("--rounds", type=int, default=3, metavar="K",
                        help=t("calibration.cli.rounds", lang))
    parser.add_argument("--steps", type=int, metavar="N", help=t("calibration.cli.steps", lang))
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                        dest="overrides", help=t("calibration.cli.set", lang))
    parser.add_argument("--workers", type=int, default=1, metavar="N",
                        help=t("calibration.cli.workers", lang))
    parser.add_argument("--out", default=DEFAULT_OUT, metavar="DIR",
                        help=t("calibration.cli.out", lang))
    parser.add_argument("--write-scenario", metavar="FILE",
                        help=t("calibration.cli.write_scenario", lang))
    parser.set_defaults(handler=calibrate_command)


def calibrate_command(args: Any) -> int:
    """Run ``iursim calibrate``: fit, write the report, optionally write the scenario."""
    from iursim.cli import CliError

    lang: Lang = args.lang
    for name in ("budget", "replications", "rounds", "workers"):
        if getattr(args, name) < 1:
            raise CliError("calibration.error.positive", option=f"--{name.replace('_', '-')}",
                           value=getattr(args, name))
    try:
        import optuna  # noqa: F401
    except ImportError:
        raise CliError("calibration.error.no_optuna") from None
    base = load_scenario(args.scenario, args.overrides, steps=args.steps)
    out = Path(args.out)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise CliError("calibration.error.unwritable", path=str(out), detail=str(exc)) from None

    def show(done: int, total: int, value: float, best: float) -> None:
        print(t("calibration.progress", lang, done=done, total=total, loss=f"{value:.2f}",
                best=f"{best:.2f}"), flush=True)

    print(t("calibration.start", lang, budget=args.budget, replications=args.replications,
            seed=args.seed, count=len(FITTED_PARAMETERS)), flush=True)
    result = calibrate(base, budget=args.budget, replications=args.replications,
                       seed=args.seed, rounds=args.rounds, workers=args.workers,
                       progress=show,
                       source=args.scenario)
    (out / "calibration.json").write_text(result.to_json() + "\n", encoding="utf-8")
    for report_lang in ("zh", "en"):
        name = "calibration.md" if report_lang == "en" else "calibration.zh-CN.md"
        (out / name).write_text(render_report(result, report_lang), encoding="utf-8")
    for key, value in result.fitted.items():
        print(f"  {key} = {value:.4f}")
    for key in result.edges:
        print(t("calibration.edge_warning", lang, key=key))
    if args.write_scenario:
        target = Path(args.write_scenario)
        try:
            write_behaviour(target, base, result.fitted)
        except (OSError, ValueError) as exc:
            raise CliError("calibration.error.unwritable", path=str(target),
                           detail=str(exc)) from None
        print(t("calibration.wrote_scenario", lang, path=str(target)))
    print(t("calibration.done", lang, path=str(out), loss=f"{result.best_loss:.2f}"))
    return 0
