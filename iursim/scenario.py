"""The one declaration of every model parameter, and scenario loading and validation.

A scenario is a TOML file whose tables mirror the classes below. The CLI, the sweep axes, the
dashboard sliders and the calibration all read bounds and defaults from these classes, so they
cannot drift apart. Values outside a bound raise :class:`ScenarioError`; nothing is clamped.

Money is in 10,000 CNY (万元) throughout; time is in months.
"""

from __future__ import annotations

import difflib
import math
import tomllib
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path as FilePath
from typing import Any, Literal, get_args, get_origin

import annotated_types
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator
from pydantic.fields import FieldInfo
from pydantic_core import PydanticCustomError

from iursim.chain import (
    RECOMMENDED_ROLE,
    GovernmentRole,
    PlatformOwnership,
    RegionType,
    ServiceScope,
)
from iursim.i18n import Lang, t

__all__ = [
    "ParameterSpec",
    "Scenario",
    "ScenarioError",
    "apply_overrides",
    "iter_parameters",
    "load_scenario",
    "parameter_spec",
    "parse_override",
    "scenario_from_dict",
]

Group = Literal["run", "population", "policy", "platforms", "behaviour", "structure"]


def _param(default: Any, *, ge: float | None = None, le: float | None = None, unit: str = "",
           group: Group = "behaviour", **kwargs: Any) -> Any:
    """Declare a bounded parameter with its unit and dashboard group."""
    return Field(default, ge=ge, le=le, json_schema_extra={"unit": unit, "group": group},
                 **kwargs)


class _Strict(BaseModel):
    """Base for every table: unknown keys are errors and no value is coerced from a string."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True,
                              validate_default=True, use_enum_values=False)


class RunConfig(_Strict):
    """Length of the run and its random seed."""

    steps: int = _param(120, ge=0, le=1200, unit="months", group="run")
    seed: int = _param(42, ge=0, le=2**63 - 1, group="run")


class PopulationConfig(_Strict):
    """Sizes of the agent populations, split over regions by the region shares."""

    smes: int = _param(3000, ge=0, le=1_000_000, group="population")
    universities: int = _param(60, ge=0, le=20_000, group="population")
    intermediaries: int = _param(15, ge=0, le=10_000, group="population")
    entry_exit: bool = _param(False, group="population")
    exit_rate: float = _param(0.04, ge=0.0, le=1.0, unit="per year", group="population")


class RegionConfig(_Strict):
    """One region (地区) and its government."""

    name: str = Field(min_length=1, max_length=40)
    type: RegionType
    role: GovernmentRole | None = None
    sme_share: float = _param(0.0, ge=0.0, le=1.0, group="structure")
    university_share: float = _param(0.0, ge=0.0, le=1.0, group="structure")
    intermediary_share: float = _param(0.0, ge=0.0, le=1.0, group="structure")
    annual_budget: float = _param(600.0, ge=0.0, le=1e7, unit="10k CNY / year",
                                  group="structure")
    enclave_host: str | None = None

    model_config = ConfigDict(extra="forbid", strict=False, frozen=True)

    @property
    def effective_role(self) -> GovernmentRole:
        """The role in force: the configured one, or the recommended role of the type."""
        return self.role if self.role is not None else RECOMMENDED_ROLE[self.type]


class PlatformConfig(_Strict):
    """One IUR matchmaking platform (产学研合作智能服务平台)."""

    name: str = Field(min_length=1, max_length=40)
    ownership: PlatformOwnership
    scope: ServiceScope
    commission_rate: float | None = _param(None, ge=0.0, le=0.5, group="platforms")
    membership_fee: float | None = _param(None, ge=0.0, le=50.0, unit="10k CNY / month",
                                          group="platforms")

    model_config = ConfigDict(extra="forbid", strict=False, frozen=True)


class PolicyConfig(_Strict):
    """Policy levers of local governments; every one is sweepable."""

    subsidy_rate: float = _param(0.3, ge=0.0, le=1.0, group="policy")
    platform_commission_rate: float = _param(0.08, ge=0.0, le=0.5, group="policy")
    platform_membership_fee: float = _param(0.05, ge=0.0, le=50.0, unit="10k CNY / month",
                                            group="policy")
    commissioners_per_100_smes: float = _param(4.0, ge=0.0, le=50.0, group="policy")
    smes_per_commissioner: int = _param(4, ge=1, le=20, group="policy")
    commissioner_term: int = _param(24, ge=1, le=120, unit="months", group="policy")
    events_per_year: float = _param(4.0, ge=0.0, le=52.0, unit="per region per year",
                                    group="policy")
    public_platform_subsidy: float = _param(20.0, ge=0.0, le=1000.0, unit="10k CNY / month",
                                            group="policy")
    special_fund_rate: float = _param(0.2, ge=0.0, le=1.0, group="policy")
    open_challenges_per_year: float = _param(6.0, ge=0.0, le=100.0, unit="per region per year",
                                             group="policy")
    enclave_reach: float = _param(0.6, ge=0.0, le=1.0, group="policy")
    research_institute_capacity: int = _param(20, ge=0, le=10_000, unit="projects",
                                              group="policy")
    digital_intermediaries: bool = _param(False, group="policy")
    talent_zone: bool = _param(False, group="policy")
    shared_labs: bool = _param(False, group="policy")


class PlatformEconomics(_Strict):
    """Costs, cash and behaviour shared by all platforms."""

    initial_cash: float = _param(120.0, ge=0.0, le=1e6, unit="10k CNY", group="platforms")
    fixed_cost: float = _param(6.0, ge=0.0, le=1e4, unit="10k CNY / month", group="platforms")
    cost_per_member: float = _param(0.01, ge=0.0, le=100.0, unit="10k CNY / month",
                                    group="platforms")
    cost_per_project: float = _param(0.3, ge=0.0, le=100.0, unit="10k CNY / month",
                                     group="platforms")
    whole_process_cost_factor: float = _param(2.0, ge=1.0, le=10.0, group="platforms")
    university_fee_share: float = _param(0.0, ge=0.0, le=1.0, group="platforms")
    bypass_base: float = _param(0.6, ge=0.0, le=1.0, group="platforms")
    bypass_half_rate: float = _param(0.05, ge=0.001, le=1.0, group="platforms")
    matchmaker_retention: float = _param(0.15, ge=0.0, le=1.0, group="platforms")
    whole_process_retention: float = _param(0.7, ge=0.0, le=1.0, group="platforms")
    precision_base: float = _param(0.35, ge=0.0, le=1.0, group="platforms")
    precision_gain: float = _param(0.4, ge=0.0, le=1.0, group="platforms")
    precision_half_members: float = _param(400.0, ge=1.0, le=1e6, unit="members",
                                           group="platforms")
    join_rate: float = _param(0.02, ge=0.0, le=1.0, unit="per month", group="platforms")
    leave_rate: float = _param(0.5, ge=0.0, le=1.0, group="platforms")


class BehaviourConfig(_Strict):
    """Behavioural parameters of SMEs and universities; the calibration fits these."""

    need_rate: float = _param(0.2065, ge=0.0, le=1.0, unit="per month")
    articulation_boost: float = _param(0.35, ge=0.0, le=1.0)
    association_membership: float = _param(0.7628, ge=0.0, le=1.0)
    association_reach: float = _param(0.6, ge=0.0, le=1.0)
    event_attendance: float = _param(0.0904, ge=0.0, le=1.0)
    direct_network_share: float = _param(0.7058, ge=0.0, le=1.0)
    university_willingness: float = _param(0.3099, ge=0.0, le=1.0)
    university_integrity: float = _param(0.95, ge=0.0, le=1.0)
    fit_threshold: float = _param(0.25, ge=0.0, le=1.0)
    candidates_per_channel: int = _param(4, ge=1, le=50)
    cost_sensitivity: float = _param(1.2, ge=0.0, le=20.0)
    depth_preference: float = _param(2.5, ge=0.0, le=20.0)
    commitment_aversion: float = _param(2.0, ge=0.0, le=20.0)
    choice_temperature: float = _param(0.5, ge=0.01, le=10.0)
    dispute_rate: float = _param(0.15, ge=0.0, le=1.0)
    learning_rate: float = _param(0.15, ge=0.0, le=1.0)
    capability_decay: float = _param(0.002, ge=0.0, le=0.1, unit="per month")
    tie_decay: float = _param(0.03, ge=0.0, le=0.5, unit="per month")
    trust_memory: float = _param(0.9, ge=0.0, le=1.0)
    spinoff_rate: float = _param(0.05, ge=0.0, le=5.0, unit="per university per year")
    retry_cooldown: int = _param(6, ge=0, le=120, unit="months")
    intermediary_use: float = _param(0.3, ge=0.0, le=1.0)
    rd_funds_months: float = _param(12.0, ge=0.0, le=120.0, unit="months")


def _default_regions() -> tuple[RegionConfig, ...]:
    return (
        RegionConfig(name="capital", type=RegionType.METROPOLIS, sme_share=0.68,
                     university_share=0.75, intermediary_share=0.6, annual_budget=2400.0),
        RegionConfig(name="city", type=RegionType.INDUSTRIAL_CITY, sme_share=0.20,
                     university_share=0.2, intermediary_share=0.27, annual_budget=800.0),
        RegionConfig(name="county", type=RegionType.COUNTY, sme_share=0.12,
                     university_share=0.05, intermediary_share=0.13, annual_budget=360.0,
                     enclave_host="capital"),
    )


def _default_platforms() -> tuple[PlatformConfig, ...]:
    return (
        PlatformConfig(name="matchmaker_a", ownership=PlatformOwnership.PRIVATE,
                       scope=ServiceScope.MATCHMAKER),
        PlatformConfig(name="matchmaker_b", ownership=PlatformOwnership.PRIVATE,
                       scope=ServiceScope.MATCHMAKER),
        PlatformConfig(name="whole_process", ownership=PlatformOwnership.PRIVATE,
                       scope=ServiceScope.WHOLE_PROCESS),
        PlatformConfig(name="public", ownership=PlatformOwnership.PUBLIC,
                       scope=ServiceScope.MATCHMAKER, commission_rate=0.0, membership_fee=0.0),
    )


class Scenario(_Strict):
    """A whole scenario: every parameter of one model run."""

    name: str = Field("baseline", min_length=1, max_length=80)
    description: str = ""
    run: RunConfig = RunConfig()
    population: PopulationConfig = PopulationConfig()
    policy: PolicyConfig = PolicyConfig()
    platform_economics: PlatformEconomics = PlatformEconomics()
    behaviour: BehaviourConfig = BehaviourConfig()
    regions: tuple[RegionConfig, ...] = Field(default_factory=_default_regions, min_length=1,
                                              max_length=50)
    platforms: tuple[PlatformConfig, ...] = Field(default_factory=_default_platforms,
                                                  max_length=100)

    model_config = ConfigDict(extra="forbid", strict=False, frozen=True)

    @model_validator(mode="after")
    def _check_regions(self) -> Scenario:
        # Each error type has a message catalogue entry (error.scenario.<type>); the context
        # carries the dotted key, the value and what is allowed.
        names = [region.name for region in self.regions]
        for index, name in enumerate(names):
            if names.index(name) != index:
                raise PydanticCustomError("duplicate_name", "duplicate name", {
                    "key": f"regions.{index}.name", "value": name,
                    "allowed": ""})
        for share in ("sme_share", "university_share", "intermediary_share"):
            values = [getattr(region, share) for region in self.regions]
            total = sum(values)
            if not math.isclose(total, 1.0, abs_tol=1e-6):
                raise PydanticCustomError("shares_sum", "shares do not sum to 1", {
                    "key": f"regions.*.{share}", "value": " + ".join(f"{v:g}" for v in values),
                    "allowed": f"{total:.4g}"})
        for index, region in enumerate(self.regions):
            if region.enclave_host is not None and region.enclave_host not in names:
                raise PydanticCustomError("unknown_host", "unknown enclave host", {
                    "key": f"regions.{index}.enclave_host", "value": region.enclave_host,
                    "allowed": ", ".join(names)})
        platform_names = [platform.name for platform in self.platforms]
        for index, name in enumerate(platform_names):
            if platform_names.index(name) != index:
                raise PydanticCustomError("duplicate_name", "duplicate name", {
                    "key": f"platforms.{index}.name", "value": name,
                    "allowed": ""})
        return self


# --------------------------------------------------------------------------------------------
# Errors


@dataclass
class ScenarioError(Exception):
    """Invalid scenario input, with everything a user needs to fix it.

    Attributes:
        kind: Message catalogue key suffix: ``missing_file``, ``syntax``, ``unknown_key``,
            ``wrong_type``, ``out_of_range``, ``invalid``.
        source: File name, or ``--set`` for command-line overrides.
        key: Dotted key of the offending value, empty when the whole file is at fault.
        value: The offending value as written.
        allowed: Human-readable allowed range or type.
        detail: Extra detail (a close key name, a parser message).
    """

    kind: str
    source: str
    key: str = ""
    value: Any = None
    allowed: str = ""
    detail: str = ""

    def message(self, lang: Lang = "en") -> str:
        """Render the error as one message in ``lang``."""
        kind = self.kind
        if kind == "unknown_key" and not self.detail:
            kind = "unknown_key_no_match"
        return t(f"error.scenario.{kind}", lang, source=self.source, key=self.key,
                 value=_show(self.value), allowed=self.allowed, detail=self.detail)

    def __str__(self) -> str:
        return self.message("en")


def _show(value: Any) -> str:
    if isinstance(value, str):
        return repr(value)
    if isinstance(value, Mapping):
        return "{…}"
    return str(value)


# --------------------------------------------------------------------------------------------
# Parameter introspection, shared by the CLI, sweeps, calibration and the dashboard


@dataclass(frozen=True)
class ParameterSpec:
    """Type, bounds, default and unit of one scalar parameter.

    Attributes:
        key: Dotted key, e.g. ``policy.subsidy_rate``.
        kind: ``int``, ``float``, ``bool``, ``str`` or ``enum``.
        default: Default value in the declaration.
        low: Inclusive lower bound, or None.
        high: Inclusive upper bound, or None.
        unit: Unit text, empty if dimensionless.
        group: Dashboard group.
        choices: Allowed values of an enum parameter.
    """

    key: str
    kind: str
    default: Any
    low: float | None
    high: float | None
    unit: str
    group: str
    choices: tuple[str, ...] = ()

    def describe_allowed(self) -> str:
        """Allowed range or type as text, e.g. ``0 <= value <= 1 (float)``."""
        if self.kind == "bool":
            return "true or false"
        if self.choices:
            return " | ".join(self.choices)
        if self.low is not None and self.high is not None:
            return f"{_fmt(self.low)} <= value <= {_fmt(self.high)} ({self.kind})"
        if self.low is not None:
            return f"value >= {_fmt(self.low)} ({self.kind})"
        return self.kind

    def check(self, value: Any) -> None:
        """Raise ValueError if ``value`` has the wrong type or lies outside the bounds."""
        if self.kind == "bool":
            if not isinstance(value, bool):
                raise ValueError("wrong_type")
            return
        if self.choices:
            if value not in self.choices:
                raise ValueError("out_of_range")
            return
        if self.kind in ("int", "float"):
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise ValueError("wrong_type")
            if self.kind == "int" and not float(value).is_integer():
                raise ValueError("wrong_type")
            if not math.isfinite(value):
                raise ValueError("out_of_range")
            if (self.low is not None and value < self.low) or (
                self.high is not None and value > self.high
            ):
                raise ValueError("out_of_range")


def _fmt(number: float) -> str:
    return f"{number:g}" if abs(number) < 1e15 else f"{number:.3e}"


def _bounds(info: FieldInfo) -> tuple[float | None, float | None]:
    low = high = None
    for item in info.metadata:
        if isinstance(item, annotated_types.Ge):
            low = float(item.ge)
        elif isinstance(item, annotated_types.Le):
            high = float(item.le)
    return low, high


def _field_spec(key: str, info: FieldInfo, default: Any) -> ParameterSpec:
    annotation = info.annotation
    args = [arg for arg in get_args(annotation) if arg is not type(None)]
    base = args[0] if get_origin(annotation) is not None and args else annotation
    extra = info.json_schema_extra if isinstance(info.json_schema_extra, dict) else {}
    low, high = _bounds(info)
    choices: tuple[str, ...] = ()
    if isinstance(base, type) and issubclass(base, bool):
        kind = "bool"
    elif isinstance(base, type) and issubclass(base, int):
        kind = "int"
    elif isinstance(base, type) and issubclass(base, float):
        kind = "float"
    elif isinstance(base, type) and hasattr(base, "__members__"):
        kind = "enum"
        choices = tuple(member.value for member in base)  # type: ignore[attr-defined]
    else:
        kind = "str"
    if hasattr(default, "value"):
        default = default.value
    return ParameterSpec(key=key, kind=kind, default=default, low=low, high=high,
                         unit=str(extra.get("unit", "")), group=str(extra.get("group", "")),
                         choices=choices)


def iter_parameters(scenario: Scenario | None = None) -> Iterator[ParameterSpec]:
    """Yield a spec for every scalar parameter of the fixed tables.

    Defaults come from ``scenario`` when given (e.g. a loaded preset), otherwise from the
    declaration. Per-region and per-platform entries are reached with indexed keys such as
    ``regions.0.role`` through :func:`parameter_spec`.
    """
    scenario = scenario or Scenario()
    for table in ("run", "population", "policy", "platform_economics", "behaviour"):
        model = getattr(scenario, table)
        for name, info in type(model).model_fields.items():
            yield _field_spec(f"{table}.{name}", info, getattr(model, name))


def parameter_spec(key: str, scenario: Scenario | None = None) -> ParameterSpec:
    """Return the spec of one dotted key, including indexed list entries.

    Raises:
        KeyError: If the key names no parameter; the message suggests a close key.
    """
    scenario = scenario or Scenario()
    node: Any = scenario
    parts = key.split(".")
    for position, part in enumerate(parts):
        last = position == len(parts) - 1
        if isinstance(node, tuple):
            if not part.isdigit() or int(part) >= len(node):
                raise KeyError(key)
            node = node[int(part)]
            continue
        if not isinstance(node, BaseModel) or part not in type(node).model_fields:
            raise KeyError(key)
        info = type(node).model_fields[part]
        value = getattr(node, part)
        if last:
            if isinstance(value, BaseModel | tuple):
                raise KeyError(key)
            return _field_spec(key, info, value)
        node = value
    raise KeyError(key)


def suggest_key(key: str) -> str:
    """Return the closest known dotted key to ``key``, or an empty string."""
    known = [spec.key for spec in iter_parameters()] + ["run", "population", "policy",
                                                        "platform_economics", "behaviour",
                                                        "regions", "platforms", "name",
                                                        "description"]
    leaf_matches = difflib.get_close_matches(key, known, n=1, cutoff=0.6)
    return leaf_matches[0] if leaf_matches else ""


# --------------------------------------------------------------------------------------------
# Loading


def _loc_to_key(loc: Sequence[int | str]) -> str:
    return ".".join(str(part) for part in loc)


def _translate(error: Mapping[str, Any], source: str, data: Mapping[str, Any]) -> ScenarioError:
    if error["type"] in ("duplicate_name", "shares_sum", "unknown_host"):
        context = error.get("ctx", {})
        return ScenarioError(error["type"], source, str(context.get("key", "")),
                             context.get("value"), str(context.get("allowed", "")))
    loc = tuple(part for part in error["loc"] if not str(part).startswith("function-"))
    key = _loc_to_key(loc) or "regions/platforms"
    value = error.get("input")
    kind = error["type"]
    if kind == "extra_forbidden":
        parent = _loc_to_key(loc[:-1])
        suggestion = suggest_key(key) or suggest_key(str(loc[-1]))
        allowed = ""
        try:
            node: Any = Scenario()
            for part in loc[:-1]:
                node = node[int(part)] if isinstance(node, tuple) else getattr(node, str(part))
            if isinstance(node, BaseModel):
                allowed = ", ".join(type(node).model_fields)
        except (AttributeError, IndexError, ValueError):
            allowed = ""
        return ScenarioError("unknown_key", source, key, value, allowed or parent,
                             detail=suggestion)
    table = getattr(Scenario(), str(loc[0]), None) if len(loc) == 1 else None
    if isinstance(table, BaseModel):
        fields = ", ".join(f"{loc[0]}.{name}" for name in type(table).model_fields)
        return ScenarioError("not_a_table", source, key, value, fields)
    try:
        spec = parameter_spec(key, Scenario())
        allowed = spec.describe_allowed()
    except KeyError:
        spec = None
        allowed = str(error.get("ctx", {}).get("expected", "")) or error.get("msg", "")
    if kind in ("greater_than_equal", "less_than_equal", "greater_than", "less_than",
                "finite_number", "too_short", "too_long", "enum", "literal_error"):
        return ScenarioError("out_of_range", source, key, value, allowed)
    if kind == "missing":
        return ScenarioError("missing_key", source, key, None, allowed)
    if kind == "value_error" or kind == "assertion_error":
        return ScenarioError("invalid", source, key, value, allowed,
                             detail=str(error.get("msg", "")).removeprefix("Value error, "))
    return ScenarioError("wrong_type", source, key, value, allowed)


def scenario_from_dict(data: Mapping[str, Any], source: str = "<dict>") -> Scenario:
    """Validate a nested mapping as a scenario.

    Raises:
        ScenarioError: For the first invalid value, naming its key, value and allowed range.
    """
    try:
        return Scenario.model_validate(dict(data))
    except ValidationError as exc:
        raise _translate(exc.errors()[0], source, data) from None


def parse_override(text: str) -> tuple[str, Any]:
    """Split ``dotted.key=value`` and parse the value as a TOML value (bare words as text).

    Raises:
        ScenarioError: If there is no ``=`` or no key.
    """
    key, sep, raw = text.partition("=")
    key = key.strip()
    if not sep or not key:
        raise ScenarioError("bad_override", "--set", text, text, "dotted.key=value")
    raw = raw.strip()
    try:
        value = tomllib.loads(f"v = {raw}")["v"]
    except tomllib.TOMLDecodeError:
        value = raw
    return key, value


def apply_overrides(data: Mapping[str, Any], overrides: Mapping[str, Any],
                    source: str = "--set") -> dict[str, Any]:
    """Return a deep copy of ``data`` with dotted-key overrides applied.

    List entries are addressed by index (``regions.2.role``). A key that names no parameter
    raises before anything is changed.

    Raises:
        ScenarioError: For an unknown key, with the closest known key as the suggested fix.
    """
    result = _deep_copy(data)
    defaults = Scenario().model_dump(mode="json")
    for key, value in overrides.items():
        parts = key.split(".")
        node: Any = result
        template: Any = defaults
        for position, part in enumerate(parts):
            last = position == len(parts) - 1
            if isinstance(template, list):
                index = int(part) if part.isdigit() else -1
                container = node if isinstance(node, list) else None
                if container is None:
                    raise ScenarioError("unknown_key", source, key, value, "",
                                        suggest_key(key))
                if not 0 <= index < len(container):
                    raise ScenarioError("unknown_key", source, key, value,
                                        f"0 <= index < {len(container)}")
                template = template[0] if template else {}
                if last:
                    container[index] = value
                else:
                    node = container[index]
                continue
            if not isinstance(template, dict) or part not in template and not (
                isinstance(node, dict) and part in node
            ):
                allowed = ", ".join(template) if isinstance(template, dict) else ""
                raise ScenarioError("unknown_key", source, key, value, allowed,
                                    suggest_key(key))
            if last:
                node[part] = value
            else:
                if part not in node:
                    node[part] = _deep_copy(template[part])
                node = node[part]
                template = template.get(part, {})
    return result


def _deep_copy(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {key: _deep_copy(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_deep_copy(item) for item in value]
    return value


def read_scenario_file(path: str | FilePath) -> dict[str, Any]:
    """Read a scenario TOML file as data; nothing in it is executed.

    Raises:
        ScenarioError: If the file is missing, unreadable or not valid TOML.
    """
    path = FilePath(path)
    if path.is_dir():
        raise ScenarioError("is_directory", str(path))
    if not path.is_file():
        raise ScenarioError("missing_file", str(path))
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError("syntax", str(path), detail=str(exc)) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ScenarioError("unreadable", str(path), detail=str(exc)) from None


def load_scenario(path: str | FilePath | None = None, overrides: Sequence[str] = (),
                  *, seed: int | None = None, steps: int | None = None) -> Scenario:
    """Load a scenario file (or the defaults), apply overrides, validate the result.

    Args:
        path: TOML scenario file; None starts from the declared defaults.
        overrides: ``dotted.key=value`` strings, applied in order after the file.
        seed: Replaces ``run.seed`` when given.
        steps: Replaces ``run.steps`` when given.

    Raises:
        ScenarioError: For a missing file, a syntax error or any invalid value.
    """
    data = read_scenario_file(path) if path is not None else {}
    if path is not None and not data:
        raise ScenarioError("empty_file", str(path))
    source = str(path) if path is not None else "<defaults>"
    scenario = scenario_from_dict(data, source)  # report file errors against the file first
    for text in overrides:
        key, value = parse_override(text)
        merged = apply_overrides(scenario.model_dump(mode="json"), {key: value})
        scenario = scenario_from_dict(merged, "--set")
    for option, key, value in (("--seed", "run.seed", seed), ("--steps", "run.steps", steps)):
        if value is not None:
            merged = apply_overrides(scenario.model_dump(mode="json"), {key: value}, option)
            scenario = scenario_from_dict(merged, option)
    return scenario


def scenario_to_toml(scenario: Scenario) -> str:
    """Render a scenario as TOML text that :func:`load_scenario` reads back unchanged."""
    data = scenario.model_dump(mode="json")
    lines = [f"name = {_toml_value(data.pop('name'))}",
             f"description = {_toml_value(data.pop('description'))}", ""]
    for table in ("run", "population", "policy", "platform_economics", "behaviour"):
        lines.append(f"[{table}]")
        lines.extend(f"{key} = {_toml_value(value)}" for key, value in data.pop(table).items())
        lines.append("")
    for array in ("regions", "platforms"):
        for entry in data.pop(array):
            lines.append(f"[[{array}]]")
            lines.extend(f"{key} = {_toml_value(value)}" for key, value in entry.items()
                         if value is not None)
            lines.append("")
    return "\n".join(lines)


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    text = str(value).replace("\\", "\\\\").replace('"', '\\"')
    return f'"{text}"'
