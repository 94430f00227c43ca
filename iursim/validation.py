"""Validation of the calibrated baseline against the survey (``iursim validate``).

Two parts, both over replications with seeds derived from one seed:

- Targets: every calibration target's replication mean with its 95 % confidence interval
  (Student's t over replications) against the survey share. A target passes when the mean is
  within :data:`MAX_ERROR` of the survey share and the survey share lies inside the interval
  widened by :data:`CI_SLACK` on each side.
- Patterns (pattern-oriented modelling, Grimm et al. 2005): each qualitative finding of the
  survey becomes a statistic per replication and a stated criterion, usually that the lower
  end of the 95 % interval of a difference is above zero.

The command writes docs/validation.md and docs/validation.zh-CN.md (the text comes from the
message catalogue) and the raw figures as JSON.

References:
    Grimm, V. et al. (2005). Pattern-oriented modeling of agent-based complex systems: lessons
    from ecology. Science 310(5750), 987-991. https://doi.org/10.1126/science.1116681
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from scipy import stats

from iursim.calibration import (
    DEFAULT_SCENARIO,
    FITTED_PARAMETERS,
    TARGETS,
    YEARLY_MEASURES,
    measure,
    replicate,
)
from iursim.chain import FORMS, BarrierSide, CooperationForm, PlatformOwnership, ServiceScope
from iursim.i18n import Lang, t
from iursim.scenario import Scenario, load_scenario

__all__ = [
    "CI_SLACK",
    "MAX_ERROR",
    "PatternResult",
    "TargetResult",
    "ValidationResult",
    "check_patterns",
    "check_targets",
    "mean_interval",
    "register",
    "render_document",
    "validate",
]

# Acceptance of a target: mean within 3 percentage points of the survey share, and the survey
# share inside the 95 % interval or at most 1 point outside it.
MAX_ERROR = 0.03
CI_SLACK = 0.01
CONFIDENCE = 0.95
# A barrier side "arises" when the lower end of the interval of the share of firms that met
# one of its barriers exceeds this share.
BARRIER_SIDE_FLOOR = 0.05
DEFAULT_REPLICATIONS = 30
DEFAULT_SEED = 7


def mean_interval(values: Sequence[float], confidence: float = CONFIDENCE
                  ) -> tuple[float, float, float]:
    """Return the mean and the two-sided Student's t confidence interval of ``values``.

    With one value, or no spread at all, the interval is the mean itself.
    """
    array = np.asarray(values, dtype=float)
    mean = float(array.mean())
    if len(array) < 2:
        return mean, mean, mean
    half = float(stats.t.ppf(0.5 + confidence / 2, len(array) - 1)
                 * array.std(ddof=1) / math.sqrt(len(array)))
    return mean, mean - half, mean + half


@dataclass(frozen=True)
class TargetResult:
    """Replication statistics of one calibration target.

    Attributes:
        key: Summary key of the measure.
        survey: Survey share.
        mean: Replication mean.
        low: Lower end of the 95 % interval.
        high: Upper end of the 95 % interval.
        error: Mean minus survey share.
        passed: Whether both acceptance conditions hold.
    """

    key: str
    survey: float
    mean: float
    low: float
    high: float
    error: float
    passed: bool


def check_targets(summaries: Sequence[Mapping[str, Any]]) -> list[TargetResult]:
    """Compare every target's replication mean and interval with the survey share."""
    results = []
    for target in TARGETS:
        mean, low, high = mean_interval([measure(s, target.key) for s in summaries])
        close = abs(mean - target.survey) <= MAX_ERROR
        covered = low - CI_SLACK <= target.survey <= high + CI_SLACK
        results.append(TargetResult(target.key, target.survey, mean, low, high,
                                    mean - target.survey, close and covered))
    return results


@dataclass(frozen=True)
class PatternResult:
    """One qualitative pattern, its statistic and whether it holds.

    Attributes:
        key: Pattern name, also its message catalogue key.
        statistic: Replication mean of the statistic the criterion tests.
        low: Lower end of the statistic's 95 % interval (or the p-value for a test).
        high: Upper end of the statistic's 95 % interval (or the p-value for a test).
        holds: Whether the criterion holds.
        detail: Figures shown beside the verdict, keyed by name.
    """

    key: str
    statistic: float
    low: float
    high: float
    holds: bool
    detail: dict[str, float]


def _difference_pattern(key: str, differences: Sequence[float],
                        detail: dict[str, float]) -> PatternResult:
    mean, low, high = mean_interval(differences)
    return PatternResult(key, mean, low, high, low > 0.0, detail)


def _mean(summaries: Sequence[Mapping[str, Any]], key: str) -> float:
    return float(np.mean([measure(s, key) for s in summaries]))


def check_patterns(summaries: Sequence[Mapping[str, Any]], scenario: Scenario
                   ) -> list[PatternResult]:
    """Test the survey's qualitative findings on replicated runs.

    Args:
        summaries: Summaries of replicated runs of ``scenario``.
        scenario: The scenario, for the platforms' ownership and scope.
    """
    results = []

    # Loose forms more common than tight ones, as shares of all projects started.
    differences = [s["loose_form_share"] - s["tight_form_share"] for s in summaries]
    results.append(_difference_pattern("loose_over_tight", differences, {
        "loose": _mean(summaries, "loose_form_share"),
        "tight": _mean(summaries, "tight_form_share")}))

    # Joint development the most common form, as shares of firms that used each form.
    joint = CooperationForm.JOINT_DEVELOPMENT.value
    others = [form.value for form in FORMS if form is not CooperationForm.JOINT_DEVELOPMENT]
    differences = [s["form_share"][joint] - max(s["form_share"][f] for f in others)
                   for s in summaries]
    runner_up = max(others, key=lambda f: _mean(summaries, f"form_share.{f}"))
    results.append(_difference_pattern("joint_development_most_common", differences, {
        joint: _mean(summaries, f"form_share.{joint}"),
        runner_up: _mean(summaries, f"form_share.{runner_up}")}))

    # Back-end the most common path and front-end the rarest, as shares of firms.
    paths = {name: _mean(summaries, f"path_share.{name}")
             for name in ("front_end", "mid_stream", "back_end")}
    differences = [s["path_share"]["back_end"] - max(s["path_share"]["mid_stream"],
                                                     s["path_share"]["front_end"])
                   for s in summaries]
    results.append(_difference_pattern("back_end_most_common", differences, paths))
    differences = [min(s["path_share"]["mid_stream"], s["path_share"]["back_end"])
                   - s["path_share"]["front_end"] for s in summaries]
    results.append(_difference_pattern("front_end_rarest", differences, paths))

    results.append(_survival_pattern(summaries, scenario))

    # Barriers on both sides: each side's share of firms with one of its barriers.
    for side in BarrierSide:
        mean, low, high = mean_interval([s["barrier_side_share"][side.value]
                                         for s in summaries])
        results.append(PatternResult(f"barriers_{side.value}_side", mean, low, high,
                                     low > BARRIER_SIDE_FLOOR, {"share": mean}))
    return results


def _survival_pattern(summaries: Sequence[Mapping[str, Any]],
                      scenario: Scenario) -> PatternResult:
    """Private matchmakers survive less often than whole-process or public platforms.

    Survival is being alive at the end of the run, pooled over replications. The criterion is
    a one-sided Fisher exact test at the 5 % level.
    """
    steps = scenario.run.steps
    matchmakers = [p.name for p in scenario.platforms
                   if p.ownership is PlatformOwnership.PRIVATE
                   and p.scope is ServiceScope.MATCHMAKER]
    others = [p.name for p in scenario.platforms if p.name not in matchmakers]
    if not matchmakers or not others:
        return PatternResult("matchmakers_survive_less", math.nan, math.nan, math.nan, False,
                             {})

    def survivors(names: list[str]) -> tuple[int, int]:
        alive = sum(int(s["platform_lifespans"][name] >= steps)
                    for s in summaries for name in names)
        return alive, len(summaries) * len(names)

    alive_m, total_m = survivors(matchmakers)
    alive_o, total_o = survivors(others)
    table = [[alive_m, total_m - alive_m], [alive_o, total_o - alive_o]]
    p_value = float(stats.fisher_exact(table, alternative="less").pvalue)
    life_m = float(np.mean([s["platform_lifespans"][n] for s in summaries for n in matchmakers]))
    life_o = float(np.mean([s["platform_lifespans"][n] for s in summaries for n in others]))
    share_m, share_o = alive_m / total_m, alive_o / total_o
    return PatternResult("matchmakers_survive_less", share_o - share_m, p_value, p_value,
                         p_value < 1.0 - CONFIDENCE,
                         {"matchmaker_survival": share_m, "other_survival": share_o,
                          "matchmaker_lifespan": life_m, "other_lifespan": life_o})


@dataclass
class ValidationResult:
    """Targets and patterns of one validation.

    Attributes:
        scenario: Scenario file validated.
        replications: Number of runs.
        seed: Seed the replication seeds derive from.
        steps: Months per run.
        smes: Firms per run.
        fitted: Values of the calibrated parameters in the scenario.
        targets: One entry per calibration target.
        patterns: One entry per qualitative pattern.
        by_year: Replication mean of each cumulative measure at the end of each year.
    """

    scenario: str
    replications: int
    seed: int
    steps: int
    smes: int
    fitted: dict[str, float]
    targets: list[TargetResult]
    patterns: list[PatternResult]
    by_year: dict[str, list[float]] = field(default_factory=dict)

    @property
    def passed(self) -> bool:
        """True when every target and every pattern passed."""
        return all(r.passed for r in self.targets) and all(p.holds for p in self.patterns)

    def to_json(self) -> str:
        """Serialise as indented JSON text."""
        return json.dumps(asdict(self), indent=2, ensure_ascii=False)


def validate(scenario: Scenario, *, replications: int = DEFAULT_REPLICATIONS,
             seed: int = DEFAULT_SEED, workers: int = 1, source: str = "") -> ValidationResult:
    """Run the replications and check every target and pattern."""
    summaries = replicate(scenario, replications, seed, workers)
    fitted = {r.key: float(getattr(scenario.behaviour, r.key.split(".")[1]))
              for r in FITTED_PARAMETERS}
    return ValidationResult(
        scenario=source, replications=replications, seed=seed, steps=scenario.run.steps,
        smes=scenario.population.smes, fitted=fitted, targets=check_targets(summaries),
        patterns=check_patterns(summaries, scenario),
        by_year={name: np.mean([s["by_year"][name] for s in summaries], axis=0).tolist()
                 for name in YEARLY_MEASURES})


# --------------------------------------------------------------------------------------------
# The validation document


def _pct(value: float) -> str:
    return f"{100 * value:.2f}"


def _window_table(result: ValidationResult, lang: Lang) -> list[str]:
    """Lines of the table of cumulative measures by length of history, empty without data."""
    if not result.by_year or not all(result.by_year.values()):
        return []
    lines = [t("validation.doc.window", lang), "",
             "| " + " | ".join([t("validation.doc.window_months", lang)]
                               + [t(f"calibration.target.{name}", lang)
                                  for name in YEARLY_MEASURES]) + " |",
             "| ---: |" + " ---: |" * len(YEARLY_MEASURES)]
    years = len(next(iter(result.by_year.values())))
    for year in range(1, years + 1):
        values = [_pct(result.by_year[name][year - 1]) for name in YEARLY_MEASURES]
        lines.append(f"| {12 * year} | " + " | ".join(values) + " |")
    return lines + [""]


def render_document(result: ValidationResult, lang: Lang, command: str) -> str:
    """Render docs/validation.md (or its Chinese version) from a validation result."""
    def text(key: str, **values: Any) -> str:
        return t(f"validation.doc.{key}", lang, **values)

    yes, no = text("yes"), text("no")
    lines = [f"# {text('title')}", "", text("regenerate", command=f"`{command}`"), "",
             text("intro", replications=result.replications, seed=result.seed,
                  steps=result.steps, smes=result.smes, scenario=result.scenario), "",
             f"## {text('mapping_title')}", "", text("mapping"), ""]
    lines += _window_table(result, lang)
    lines += [f"## {text('targets_title')}", "", text("targets_intro"), "",
              text("targets_header"), "| --- | ---: | ---: | ---: | ---: | --- |"]
    for row in result.targets:
        label = t(f"calibration.target.{row.key}", lang)
        lines.append(f"| {label} | {_pct(row.survey)} | {_pct(row.mean)} | "
                     f"[{_pct(row.low)}, {_pct(row.high)}] | {100 * row.error:+.2f} | "
                     f"{yes if row.passed else no} |")
    lines += ["", f"## {text('parameters_title')}", "", text("parameters_intro"), "",
              text("parameters_header"), "| --- | ---: | --- | --- | --- |"]
    for search_range in FITTED_PARAMETERS:
        value = result.fitted[search_range.key]
        width = search_range.high - search_range.low
        edge = min(value - search_range.low, search_range.high - value) < 0.02 * width
        note = text("at_edge") if edge else ""
        lines.append(f"| `{search_range.key}` | {value:.4f} | "
                     f"[{search_range.low:g}, {search_range.high:g}] | "
                     f"{text('drives.' + search_range.key.split('.')[1])} | {note} |")
    lines += ["", text("fixed_parameters"), "",
              f"## {text('patterns_title')}", "", text("patterns_intro"), "",
              text("patterns_header"), "| --- | --- | --- | --- |"]
    for pattern in result.patterns:
        figures = ", ".join(f"{name} {value:.3g}" for name, value in pattern.detail.items())
        if pattern.key == "matchmakers_survive_less":
            statistic = f"p = {pattern.low:.3g}; {figures}"
        else:
            statistic = (f"{pattern.statistic:.3f} [{pattern.low:.3f}, {pattern.high:.3f}]; "
                         f"{figures}")
        lines.append(f"| {text('pattern.' + pattern.key)} | "
                     f"{text('criterion.' + pattern.key)} | {statistic} | "
                     f"{yes if pattern.holds else no} |")
    failed = [row for row in result.targets if not row.passed]
    broken = [pattern for pattern in result.patterns if not pattern.holds]
    lines += ["", f"## {text('limits_title')}", ""]
    for row in failed:
        lines.append("- " + text("failed_target", target=t(f"calibration.target.{row.key}",
                                                             lang)))
    for pattern in broken:
        lines.append("- " + text("failed_pattern", pattern=text("pattern." + pattern.key)))
    lines += [text("limits"), ""]
    return "\n".join(lines)


# --------------------------------------------------------------------------------------------
# Command line


def register(subparsers: Any) -> None:
    """Add ``iursim validate`` to the command line."""
    from iursim.cli import add_command

    parser = add_command(subparsers, "validate", "validation.cli.help",
                         "validation.cli.description")
    lang = parser.lang
    parser.add_argument("--scenario", default=DEFAULT_SCENARIO, metavar="FILE",
                        help=t("validation.cli.scenario", lang))
    parser.add_argument("--replications", type=int, default=DEFAULT_REPLICATIONS, metavar="R",
                        help=t("validation.cli.replications", lang))
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, metavar="S",
                        help=t("validation.cli.seed", lang))
    parser.add_argument("--workers", type=int, default=1, metavar="N",
                        help=t("calibration.cli.workers", lang))
    parser.add_argument("--docs", default="docs", metavar="DIR",
                        help=t("validation.cli.docs", lang))
    parser.add_argument("--json", default="calibration/validation.json", metavar="FILE",
                        help=t("validation.cli.json", lang))
    parser.set_defaults(handler=validate_command)


def validate_command(args: Any) -> int:
    """Run ``iursim validate``; exit status 1 when a target or pattern fails."""
    from iursim.cli import CliError

    lang: Lang = args.lang
    for name in ("replications", "workers"):
        if getattr(args, name) < 1:
            raise CliError("calibration.error.positive", option=f"--{name}",
                           value=getattr(args, name))
    scenario = load_scenario(args.scenario)
    print(t("validation.start", lang, replications=args.replications, seed=args.seed,
            scenario=args.scenario), flush=True)
    result = validate(scenario, replications=args.replications, seed=args.seed,
                      workers=args.workers, source=args.scenario)
    command = (f"iursim validate --scenario {args.scenario} --replications "
               f"{args.replications} --seed {args.seed}")
    docs = Path(args.docs)
    json_path = Path(args.json)
    try:
        docs.mkdir(parents=True, exist_ok=True)
        json_path.parent.mkdir(parents=True, exist_ok=True)
        (docs / "validation.md").write_text(render_document(result, "en", command),
                                            encoding="utf-8")
        (docs / "validation.zh-CN.md").write_text(render_document(result, "zh", command),
                                                  encoding="utf-8")
        json_path.write_text(result.to_json() + "\n", encoding="utf-8")
    except OSError as exc:
        raise CliError("calibration.error.unwritable", path=str(exc.filename or docs),
                       detail=str(exc)) from None
    for row in result.targets:
        print(t("validation.target_line", lang, target=t(f"calibration.target.{row.key}", lang),
                survey=_pct(row.survey), mean=_pct(row.mean), low=_pct(row.low),
                high=_pct(row.high), verdict=t("validation.doc.yes" if row.passed
                                               else "validation.doc.no", lang)))
    for pattern in result.patterns:
        print(t("validation.pattern_line", lang,
                pattern=t(f"validation.doc.pattern.{pattern.key}", lang),
                verdict=t("validation.doc.yes" if pattern.holds else "validation.doc.no",
                          lang)))
    print(t("validation.done" if result.passed else "validation.failed", lang,
            path=str(docs)))
    return 0 if result.passed else 1
