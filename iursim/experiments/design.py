"""Experiment files: their TOML schema, validation, design points and per-run seeds.

An experiment file names a base scenario and the overrides shared by every run (``[set]``).
Its design is a full-factorial ``[axes]`` table, explicit ``[[points]]``, both crossed, or a
SALib sample from ``[sensitivity]``. It also sets the replications per design point, the
experiment seed and the outputs to keep. Everything is validated against the scenario
declaration before any run starts, so a typo or an out-of-range value costs nothing.

Example::

    [experiment]
    scenario = "../scenarios/baseline.toml"   # relative to this file; omit for the defaults
    replications = 10
    seed = 20260101

    [set]
    "population.smes" = 1000

    [axes]
    "policy.subsidy_rate" = [0.0, 0.3, 0.6]

    [[points]]                # optional; crossed with the axes
    label = "talent zone"
    scenario = "../scenarios/package_talent_zone.toml"   # optional own base scenario
    "policy.talent_zone" = true

    [outputs]
    metrics = ["collaboration_density"]
    summary = ["platform_survival_share"]
    every = 12            # keep months 0, 12, 24, ... and the last; "final" keeps the last only
"""

from __future__ import annotations

import hashlib
import itertools
import json
import math
import tomllib
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from iursim.i18n import Lang, t
from iursim.scenario import (
    ParameterSpec,
    Scenario,
    ScenarioError,
    apply_overrides,
    parameter_spec,
    read_scenario_file,
    scenario_from_dict,
    suggest_key,
)

__all__ = [
    "Experiment",
    "ExperimentError",
    "OutputSpec",
    "RunSpec",
    "SensitivitySpec",
    "load_experiment",
    "parse_experiment",
    "run_seed",
]

TABLES = ("experiment", "set", "axes", "points", "sensitivity", "outputs")
EXPERIMENT_FIELDS = ("name", "description", "scenario", "replications", "seed")
SENSITIVITY_FIELDS = ("method", "samples", "levels", "second_order", "parameters")
OUTPUT_FIELDS = ("metrics", "summary", "every", "charts")
METHODS = ("morris", "sobol")
MAX_SEED = 2**63 - 1  # run.seed's declared upper bound


@dataclass
class ExperimentError(Exception):
    """Invalid experiment file, with the key, value and allowed range a user needs to fix it.

    Attributes:
        kind: Message key suffix under ``error.experiment``.
        source: The experiment file.
        key: Table or dotted key of the offending entry.
        value: The offending value as written.
        allowed: Allowed range, type or names.
        detail: Extra detail, e.g. a close key name or a parser message.
        cause: The scenario error behind this one, rendered in the message's language.
    """

    kind: str
    source: str
    key: str = ""
    value: Any = None
    allowed: str = ""
    detail: str = ""
    cause: ScenarioError | None = None

    def message(self, lang: Lang = "en") -> str:
        """Render the error as one message in ``lang``."""
        detail = self.cause.message(lang) if self.cause is not None else self.detail
        return t(f"error.experiment.{self.kind}", lang, source=self.source, key=self.key,
                 value=_show(self.value), allowed=self.allowed, detail=detail)

    def __str__(self) -> str:
        return self.message("en")


def _show(value: Any) -> str:
    if isinstance(value, str):
        return repr(value)
    if isinstance(value, Mapping):
        return "{…}"
    return json.dumps(value, ensure_ascii=False) if isinstance(value, list) else str(value)


@dataclass(frozen=True)
class OutputSpec:
    """Outputs and months that each run keeps.

    Attributes:
        metrics: Columns of the run's monthly metrics table; empty keeps all of them.
        summary: Keys of the run's end-of-run summary; a mapping such as ``form_share`` becomes
            one column per entry (``form_share.joint_development``). Empty keeps all of them.
        every: Keep every ``every``-th month from month 0, plus the last month. 0 keeps the
            last month only.
        charts: Outputs that ``iursim summarize`` charts; empty charts the headline measures.
    """

    metrics: tuple[str, ...] = ()
    summary: tuple[str, ...] = ()
    every: int = 1
    charts: tuple[str, ...] = ()


@dataclass(frozen=True)
class SensitivitySpec:
    """A SALib design over parameter ranges.

    Attributes:
        method: ``morris`` (elementary effects screening) or ``sobol`` (variance indices).
        parameters: Dotted key to (low, high), inside the declared range of the parameter.
        samples: Morris trajectories, or the Sobol base sample size N.
        levels: Morris grid levels.
        second_order: Whether the Sobol design also estimates second-order indices.
    """

    method: str
    parameters: dict[str, tuple[float, float]]
    samples: int
    levels: int = 4
    second_order: bool = False

    def problem(self) -> dict[str, Any]:
        """Return the SALib problem dictionary."""
        return {"num_vars": len(self.parameters), "names": list(self.parameters),
                "bounds": [list(bounds) for bounds in self.parameters.values()]}

    def sample(self, seed: int) -> np.ndarray:
        """Draw the design matrix, one row per sample point, reproducibly from ``seed``."""
        # Imported here because SALib pulls in matplotlib, which sweeps do not need.
        from SALib.sample import morris as morris_sample
        from SALib.sample import sobol as sobol_sample

        if self.method == "morris":
            return morris_sample.sample(self.problem(), self.samples, num_levels=self.levels,
                                        seed=seed)
        return sobol_sample.sample(self.problem(), self.samples,
                                   calc_second_order=self.second_order, seed=seed)

    def count_points(self) -> int:
        """Return the number of sample points the design has."""
        k = len(self.parameters)
        if self.method == "morris":
            return self.samples * (k + 1)
        return self.samples * (2 * k + 2 if self.second_order else k + 2)


@dataclass(frozen=True)
class RunSpec:
    """One run of a sweep: a design point, a replication and its own seed.

    Attributes:
        run_id: Position in the sweep, ``point_id * replications + replication``.
        point_id: Index of the design point.
        replication: Index of the replication within the design point, from 0.
        seed: The run's ``run.seed``, derived from the experiment seed.
        overrides: Dotted key to value for this design point (the axis columns).
        label: The design point's label, empty when it has none.
    """

    run_id: int
    point_id: int
    replication: int
    seed: int
    overrides: dict[str, Any]
    label: str = ""


@dataclass
class Experiment:
    """A validated experiment.

    Attributes:
        name: Experiment name, by default the file's stem.
        description: Free text.
        source: The experiment file, or a placeholder for experiments built in code.
        scenario_path: Base scenario file, None for the declared defaults.
        base: The base scenario with ``[set]`` applied, as plain data.
        replications: Runs per design point.
        seed: The experiment seed; every run's seed derives from it.
        axes: Dotted key to its values, crossed in a full factorial.
        points: Explicit design points (dotted key to value); crossed with the axes.
        labels: One label per explicit point (empty strings when unlabelled).
        point_bases: Per explicit point, its own base scenario with ``[set]`` applied, or
            None where the point uses ``base``.
        sensitivity: A SALib design, exclusive with axes and points.
        outputs: What each run keeps.
    """

    name: str
    description: str
    source: str
    scenario_path: Path | None
    base: dict[str, Any]
    replications: int
    seed: int
    axes: dict[str, list[Any]] = field(default_factory=dict)
    points: list[dict[str, Any]] = field(default_factory=list)
    labels: list[str] = field(default_factory=list)
    point_bases: list[dict[str, Any] | None] = field(default_factory=list)
    sensitivity: SensitivitySpec | None = None
    outputs: OutputSpec = OutputSpec()

    def design_points(self) -> list[tuple[str, dict[str, Any]]]:
        """Return (label, overrides) for every design point, in run order.

        Explicit points vary slowest, then the axes in file order. A key that one explicit
        point sets and another does not takes the base scenario's value in the other, so
        every point carries every design column.
        """
        if self.sensitivity is not None:
            return [("", overrides) for overrides in self._sample_points()]
        explicit = list(zip(self.labels, self.points, strict=True)) or [("", {})]
        point_keys = _ordered_union(point for _, point in explicit)
        axis_keys = list(self.axes)
        result = []
        for index, (label, point) in enumerate(explicit):
            base = self._explicit_base(index)
            filled = {key: point[key] if key in point else _base_value(base, key)
                      for key in point_keys}
            for combination in itertools.product(*(self.axes[key] for key in axis_keys)):
                overrides = dict(filled)
                overrides.update(zip(axis_keys, combination, strict=True))
                result.append((label, overrides))
        return result

    def design_keys(self) -> list[str]:
        """Return the dotted keys that vary over the design, i.e. the axis columns."""
        if self.sensitivity is not None:
            return list(self.sensitivity.parameters)
        return _ordered_union(self.points) + [key for key in self.axes
                                              if key not in _ordered_union(self.points)]

    def base_for(self, point_id: int) -> dict[str, Any]:
        """Return the base scenario data of one design point."""
        if self.sensitivity is not None:
            return self.base
        combinations = math.prod(len(values) for values in self.axes.values())
        return self._explicit_base(point_id // combinations)

    def _explicit_base(self, index: int) -> dict[str, Any]:
        own = self.point_bases[index] if index < len(self.point_bases) else None
        return own if own is not None else self.base

    def has_labels(self) -> bool:
        """Return whether the design points carry labels."""
        return any(self.labels)

    def runs(self) -> list[RunSpec]:
        """Return every run of the experiment, ordered by run id."""
        specs = []
        for point_id, (label, overrides) in enumerate(self.design_points()):
            for replication in range(self.replications):
                run_id = point_id * self.replications + replication
                specs.append(RunSpec(run_id, point_id, replication,
                                     run_seed(self.seed, run_id), overrides, label))
        return specs

    def scenario_for(self, spec: RunSpec) -> Scenario:
        """Build and validate the scenario of one run."""
        data = apply_overrides(self.base_for(spec.point_id),
                               {**spec.overrides, "run.seed": spec.seed},
                               source=self.source)
        return scenario_from_dict(data, self.source)

    def fingerprint(self) -> str:
        """Return a hash of everything that determines the runs' results.

        A resumed sweep compares it with the stored one, so an edited experiment file
        cannot silently mix old and new runs in one folder.
        """
        payload = {"base": self.base, "point_bases": self.point_bases, "runs": [
            [spec.run_id, spec.seed, spec.overrides] for spec in self.runs()
        ], "outputs": [list(self.outputs.metrics), list(self.outputs.summary),
                       self.outputs.every]}
        text = json.dumps(payload, sort_keys=True, default=str)
        return hashlib.sha256(text.encode("utf-8")).hexdigest()

    def _sample_points(self) -> list[dict[str, Any]]:
        assert self.sensitivity is not None
        matrix = self.sensitivity.sample(self.seed)
        specs = [parameter_spec(key, Scenario()) for key in self.sensitivity.parameters]
        return [{spec.key: _from_sample(spec, value) for spec, value in zip(specs, row,
                                                                            strict=True)}
                for row in matrix]


def run_seed(experiment_seed: int, run_id: int) -> int:
    """Return the seed of run ``run_id``: the run's child of the experiment's SeedSequence.

    ``SeedSequence(seed, spawn_key=(i,))`` is the i-th child that ``SeedSequence(seed).spawn``
    returns, so seeds do not depend on how many runs the sweep has. The value is cut to
    63 bits because ``run.seed`` is declared as a non-negative int64.
    """
    child = np.random.SeedSequence(experiment_seed, spawn_key=(run_id,))
    return int(child.generate_state(1, np.uint64)[0] >> np.uint64(1))


def _from_sample(spec: ParameterSpec, value: float) -> Any:
    # SALib samples floats; ints round to the nearest allowed value, bools split at 0.5.
    if spec.kind == "bool":
        return bool(value >= 0.5)
    if spec.kind == "int":
        return int(round(value))
    return float(value)


def _ordered_union(mappings: Iterator[Mapping[str, Any]] | Sequence[Mapping[str, Any]]
                   ) -> list[str]:
    keys: dict[str, None] = {}
    for mapping in mappings:
        keys.update(dict.fromkeys(mapping))
    return list(keys)


def _base_value(base: Mapping[str, Any], key: str) -> Any:
    node: Any = base
    for part in key.split("."):
        node = node[int(part)] if isinstance(node, list) else node[part]
    return node


# --------------------------------------------------------------------------------------------
# Loading and validation


def load_experiment(path: str | Path) -> Experiment:
    """Read and validate an experiment file.

    Raises:
        ExperimentError: For the first problem found, naming its key, value and allowed range.
    """
    path = Path(path)
    source = str(path)
    if not path.is_file():
        raise ExperimentError("missing_file", source)
    try:
        with path.open("rb") as handle:
            data = tomllib.load(handle)
    except tomllib.TOMLDecodeError as exc:
        raise ExperimentError("syntax", source, detail=str(exc)) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ExperimentError("unreadable", source, detail=str(exc)) from None
    return parse_experiment(data, source, path.parent, default_name=path.stem)


def parse_experiment(data: Mapping[str, Any], source: str, folder: Path,
                     default_name: str = "experiment") -> Experiment:
    """Validate experiment data already read from TOML.

    Args:
        data: The parsed TOML document.
        source: File name used in messages.
        folder: Folder that a relative ``scenario`` path is resolved against.
        default_name: Name used when ``[experiment]`` has none.

    Raises:
        ExperimentError: For the first problem found.
    """
    _check_names(data, TABLES, source, "", "unknown_table")
    header = _table(data, "experiment", source, required=True)
    _check_names(header, EXPERIMENT_FIELDS, source, "experiment.", "unknown_field")
    name = _text(header.get("name", default_name), source, "experiment.name")
    description = _text(header.get("description", ""), source, "experiment.description")
    replications = _integer(header, "experiment.replications", source, low=1, required=True)
    seed = _integer(header, "experiment.seed", source, low=0, high=MAX_SEED, required=True)

    scenario_path, scenario_data = _base_scenario(header, source, folder)
    overrides = _table(data, "set", source)
    for key, value in overrides.items():
        _check_value(key, value, source, f"set.{key}")
    base = _validated(scenario_data, overrides, source)

    axes = _axes(_table(data, "axes", source), source)
    labels, points, point_files = _points(data.get("points", []), source)
    point_bases = [None if file is None else
                   _validated(_read_point_scenario(file, index, source, folder), overrides,
                              source)
                   for index, file in enumerate(point_files)]
    sensitivity = _sensitivity(data, source)
    if sensitivity is not None and (axes or points):
        raise ExperimentError("design_conflict", source, "sensitivity")
    outputs = _outputs(_table(data, "outputs", source), source)

    experiment = Experiment(name=name, description=description, source=source,
                            scenario_path=scenario_path, base=base,
                            replications=replications, seed=seed, axes=axes, points=points,
                            labels=labels, point_bases=point_bases, sensitivity=sensitivity,
                            outputs=outputs)
    for point_id, (_, point) in enumerate(experiment.design_points()):
        _validated(experiment.base_for(point_id), point, source)
    return experiment


def _check_names(table: Mapping[str, Any], allowed: Sequence[str], source: str, prefix: str,
                 kind: str) -> None:
    for name in table:
        if name not in allowed:
            raise ExperimentError(kind, source, prefix + name, table[name], ", ".join(allowed))


def _table(data: Mapping[str, Any], name: str, source: str,
           required: bool = False) -> dict[str, Any]:
    if name not in data:
        if required:
            raise ExperimentError("missing_table", source, name)
        return {}
    value = data[name]
    if not isinstance(value, Mapping):
        raise ExperimentError("not_a_table", source, name, value)
    return dict(value)


def _text(value: Any, source: str, key: str) -> str:
    if not isinstance(value, str):
        raise ExperimentError("wrong_type", source, key, value, "text")
    return value


def _integer(table: Mapping[str, Any], key: str, source: str, *, low: int,
             high: int | None = None, required: bool = False, default: int = 0) -> int:
    """Read the int ``key`` (dotted, e.g. ``experiment.seed``) from its table."""
    name = key.rpartition(".")[2]
    if name not in table:
        if required:
            raise ExperimentError("missing_field", source, key)
        return default
    value = table[name]
    allowed = f"{low} <= value <= {high} (int)" if high is not None else f"value >= {low} (int)"
    if isinstance(value, bool) or not isinstance(value, int):
        raise ExperimentError("wrong_type", source, key, value, allowed)
    if value < low or (high is not None and value > high):
        raise ExperimentError("out_of_range", source, key, value, allowed)
    return value


def _base_scenario(header: Mapping[str, Any], source: str, folder: Path,
                   key: str = "experiment.scenario") -> tuple[Path | None, dict[str, Any]]:
    if "scenario" not in header:
        return None, {}
    raw = _text(header["scenario"], source, key)
    path = (folder / raw).resolve() if not Path(raw).is_absolute() else Path(raw)
    if not path.is_file():
        raise ExperimentError("missing_scenario", source, key, raw,
                              detail=str(path))
    try:
        data = read_scenario_file(path)
        scenario_from_dict(data, str(path))
    except ScenarioError as exc:
        raise ExperimentError("bad_scenario", source, key, raw,
                              cause=exc) from None
    return path, data


def _validated(data: Mapping[str, Any], overrides: Mapping[str, Any],
               source: str) -> dict[str, Any]:
    """Apply overrides, validate the whole scenario and return it as plain data."""
    try:
        merged = apply_overrides(scenario_from_dict(data, source).model_dump(mode="json"),
                                 overrides, source=source)
        return scenario_from_dict(merged, source).model_dump(mode="json")
    except ScenarioError as exc:
        raise ExperimentError("scenario", source, exc.key, exc.value, exc.allowed,
                              cause=exc) from None


def _spec(key: str, source: str, value: Any, table_key: str) -> ParameterSpec:
    try:
        return parameter_spec(key, Scenario())
    except KeyError:
        raise ExperimentError("unknown_key", source, table_key, value,
                              detail=suggest_key(key) or "-") from None


def _check_value(key: str, value: Any, source: str, table_key: str) -> Any:
    """Check one value against the parameter's declaration and return it in canonical form."""
    spec = _spec(key, source, value, table_key)
    try:
        spec.check(value)
    except ValueError as exc:
        kind = str(exc) if str(exc) in ("wrong_type", "out_of_range") else "wrong_type"
        raise ExperimentError(kind, source, table_key, value, spec.describe_allowed()) from None
    if spec.kind == "float":
        return float(value)
    if spec.kind == "int":
        return int(value)
    return value


def _axes(table: Mapping[str, Any], source: str) -> dict[str, list[Any]]:
    axes: dict[str, list[Any]] = {}
    for key, values in table.items():
        table_key = f"axes.{key}"
        spec = _spec(key, source, values, table_key)
        if not isinstance(values, list):
            raise ExperimentError("not_a_list", source, table_key, values,
                                  spec.describe_allowed())
        if not values:
            raise ExperimentError("empty_values", source, table_key, values,
                                  spec.describe_allowed())
        checked = [_check_value(key, value, source, table_key) for value in values]
        duplicates = [value for value in checked if checked.count(value) > 1]
        if duplicates:
            raise ExperimentError("duplicate_value", source, table_key, duplicates[0])
        axes[key] = checked
    return axes


def _points(raw: Any, source: str
            ) -> tuple[list[str], list[dict[str, Any]], list[str | None]]:
    """Read ``[[points]]``: labels, overrides, and each point's own scenario file if any."""
    if not isinstance(raw, list) or not all(isinstance(item, Mapping) for item in raw):
        raise ExperimentError("not_a_table_list", source, "points", raw)
    labels: list[str] = []
    points: list[dict[str, Any]] = []
    files: list[str | None] = []
    for index, item in enumerate(raw):
        label = _text(item.get("label", ""), source, f"points.{index}.label")
        file = item.get("scenario")
        if file is not None:
            file = _text(file, source, f"points.{index}.scenario")
        point = {key: _check_value(key, value, source, f"points.{index}.{key}")
                 for key, value in item.items() if key not in ("label", "scenario")}
        labels.append(label)
        points.append(point)
        files.append(file)
    if any(labels) and len(set(labels)) != len(labels):
        duplicate = next(label for label in labels if labels.count(label) > 1)
        raise ExperimentError("duplicate_label", source, "points.label", duplicate)
    return labels, points, files


def _read_point_scenario(raw: str, index: int, source: str, folder: Path) -> dict[str, Any]:
    _, data = _base_scenario({"scenario": raw}, source, folder, f"points.{index}.scenario")
    return data


def _sensitivity(data: Mapping[str, Any], source: str) -> SensitivitySpec | None:
    table = _table(data, "sensitivity", source)
    if not table:
        return None
    _check_names(table, SENSITIVITY_FIELDS, source, "sensitivity.", "unknown_field")
    method = table.get("method")
    if method not in METHODS:
        raise ExperimentError("out_of_range", source, "sensitivity.method", method,
                              " | ".join(METHODS))
    samples = _integer(table, "sensitivity.samples", source, low=1, required=True)
    levels = _integer(table, "sensitivity.levels", source, low=2, default=4)
    second_order = table.get("second_order", False)
    if not isinstance(second_order, bool):
        raise ExperimentError("wrong_type", source, "sensitivity.second_order", second_order,
                              "true or false")
    raw = _table(table, "parameters", source)
    if len(raw) < 2:
        raise ExperimentError("too_few_parameters", source, "sensitivity.parameters",
                              len(raw), "2")
    parameters = {key: _range(key, bounds, source) for key, bounds in raw.items()}
    return SensitivitySpec(method=method, parameters=parameters, samples=samples,
                           levels=levels, second_order=second_order)


def _range(key: str, bounds: Any, source: str) -> tuple[float, float]:
    """Check a sensitivity range: "declared" or [low, high] inside the declared range."""
    table_key = f"sensitivity.parameters.{key}"
    spec = _spec(key, source, bounds, table_key)
    if spec.kind == "bool":
        declared: tuple[float | None, float | None] = (0.0, 1.0)
    elif spec.kind in ("int", "float"):
        declared = (spec.low, spec.high)
    else:
        raise ExperimentError("not_numeric", source, table_key, bounds, spec.describe_allowed())
    if bounds == "declared":
        if declared[0] is None or declared[1] is None:
            raise ExperimentError("unbounded", source, table_key, bounds,
                                  spec.describe_allowed())
        return float(declared[0]), float(declared[1])
    allowed = spec.describe_allowed() if spec.kind != "bool" else "0 <= value <= 1"
    if (not isinstance(bounds, list) or len(bounds) != 2
            or any(isinstance(b, bool) or not isinstance(b, int | float) for b in bounds)):
        raise ExperimentError("bad_range", source, table_key, bounds, allowed)
    low, high = float(bounds[0]), float(bounds[1])
    if not (math.isfinite(low) and math.isfinite(high)) or low >= high:
        raise ExperimentError("bad_range", source, table_key, bounds, allowed)
    if (declared[0] is not None and low < declared[0]) or (
            declared[1] is not None and high > declared[1]):
        raise ExperimentError("out_of_range", source, table_key, bounds, allowed)
    return low, high


def _outputs(table: Mapping[str, Any], source: str) -> OutputSpec:
    _check_names(table, OUTPUT_FIELDS, source, "outputs.", "unknown_field")
    names: dict[str, tuple[str, ...]] = {}
    for name in ("metrics", "summary", "charts"):
        value = table.get(name, [])
        if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
            raise ExperimentError("wrong_type", source, f"outputs.{name}", value,
                                  "list of names")
        names[name] = tuple(value)
    every = table.get("every", 1)
    if every == "final":
        every = 0
    elif isinstance(every, bool) or not isinstance(every, int) or every < 1:
        raise ExperimentError("out_of_range", source, "outputs.every", every,
                              '"final" or an int >= 1')
    return OutputSpec(metrics=names["metrics"], summary=names["summary"], every=every,
                      charts=names["charts"])
