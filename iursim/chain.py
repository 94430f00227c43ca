"""The innovation chain: stages, entry paths, cooperation forms and their tightness.

Every category of the model is an Enum whose value is the snake_case name used in outputs
(``summary.json`` keys, Parquet columns, message catalogue keys). Numeric properties of the
cooperation forms live in one table, ``FORM_TABLE``, so the form choice, the project lifecycle
and the documentation read the same numbers.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum, IntEnum

__all__ = [
    "Barrier",
    "BarrierSide",
    "Channel",
    "CooperationForm",
    "FORM_TABLE",
    "FormSpec",
    "GovernmentRole",
    "IntermediaryKind",
    "Path",
    "PlatformOwnership",
    "RECOMMENDED_ROLE",
    "RegionType",
    "ServiceScope",
    "Stage",
    "Strength",
    "Tightness",
    "PATH_ENTRY_STAGE",
    "PATH_FORMS",
]


class Stage(IntEnum):
    """Stages of the innovation chain, in order; the first five are R&D."""

    INNOVATION_DEMAND = 0
    BASIC_RESEARCH = 1
    APPLIED_RESEARCH = 2
    DESIGN_DEVELOPMENT = 3
    TRIAL_PRODUCTION = 4
    PRODUCTION_SALES = 5
    INDUSTRIAL_DIFFUSION = 6

    @property
    def key(self) -> str:
        """Snake_case name used in outputs and message keys."""
        return self.name.lower()


class Strength(Enum):
    """An SME's combined technology and financial strength, which sets its path."""

    STRONG = "strong"
    MIDDLING = "middling"
    WEAK = "weak"


class Path(Enum):
    """The three points at which an SME joins the IUR network."""

    FRONT_END = "front_end"  # 前端贯穿式: enters at basic research
    MID_STREAM = "mid_stream"  # 中端嵌入式: enters at applied research / design and development
    BACK_END = "back_end"  # 后端承接式: enters at trial production and improvement


PATH_BY_STRENGTH: dict[Strength, Path] = {
    Strength.STRONG: Path.FRONT_END,
    Strength.MIDDLING: Path.MID_STREAM,
    Strength.WEAK: Path.BACK_END,
}

PATH_ENTRY_STAGE: dict[Path, Stage] = {
    Path.FRONT_END: Stage.BASIC_RESEARCH,
    Path.MID_STREAM: Stage.APPLIED_RESEARCH,
    Path.BACK_END: Stage.TRIAL_PRODUCTION,
}


class Tightness(IntEnum):
    """Degree to which a cooperation form binds the partners."""

    LOOSE = 0
    MEDIUM = 1
    TIGHT = 2

    @property
    def key(self) -> str:
        """Snake_case name used in outputs and message keys."""
        return self.name.lower()


class CooperationForm(Enum):
    """The ten cooperation forms of the survey; each project has exactly one."""

    TALENT_TRAINING = "talent_training"
    TECHNICAL_SERVICES = "technical_services"
    SHARED_INSTRUMENTS = "shared_instruments"
    TECHNOLOGY_TRANSFER = "technology_transfer"
    JOINT_DEVELOPMENT = "joint_development"
    COMMISSIONED_DEVELOPMENT = "commissioned_development"
    TECHNOLOGY_EQUITY = "technology_equity"
    CO_BUILT_INSTITUTION = "co_built_institution"
    JOINT_VENTURE = "joint_venture"
    POSTDOCTORAL_STATION = "postdoctoral_station"


@dataclass(frozen=True)
class FormSpec:
    """Numeric properties of one cooperation form.

    Attributes:
        tightness: Loose, medium or tight.
        cost: Contract value in 10,000 CNY (万元) before any subsidy.
        duration: Months from contract to completion.
        depth: Knowledge exchanged, 0-1; scales learning, output and tie strengthening.
        commitment: Share of control the firm cedes, 0-1; firms with little bargaining
            power fear it (the "little say" barrier).
        absorption_need: Absorptive capacity the firm needs to take the result over, 0-1.
        equipment_need: Whether the firm must run the result on its own talent and equipment.
    """

    tightness: Tightness
    cost: float
    duration: int
    depth: float
    commitment: float
    absorption_need: float
    equipment_need: bool


# Costs and durations are assumptions documented in docs/ODD.md (section "Cooperation forms"):
# loose forms are small service contracts of a few months, tight forms are multi-year
# institutional commitments whose contract value is an order of magnitude larger.
FORM_TABLE: dict[CooperationForm, FormSpec] = {
    CooperationForm.TALENT_TRAINING: FormSpec(Tightness.LOOSE, 8.0, 3, 0.20, 0.05, 0.10, False),
    CooperationForm.TECHNICAL_SERVICES: FormSpec(Tightness.LOOSE, 10.0, 3, 0.25, 0.05, 0.20, False),
    CooperationForm.SHARED_INSTRUMENTS: FormSpec(Tightness.LOOSE, 6.0, 2, 0.15, 0.05, 0.30, True),
    CooperationForm.TECHNOLOGY_TRANSFER: FormSpec(Tightness.LOOSE, 25.0, 4, 0.35, 0.10, 0.40, True),
    CooperationForm.JOINT_DEVELOPMENT: FormSpec(Tightness.MEDIUM, 30.0, 9, 0.55, 0.30, 0.30, False),
    CooperationForm.COMMISSIONED_DEVELOPMENT: FormSpec(
        Tightness.MEDIUM, 45.0, 8, 0.45, 0.25, 0.35, True
    ),
    CooperationForm.TECHNOLOGY_EQUITY: FormSpec(Tightness.TIGHT, 120.0, 24, 0.80, 0.60, 0.45, True),
    CooperationForm.CO_BUILT_INSTITUTION: FormSpec(
        Tightness.TIGHT, 200.0, 36, 0.90, 0.70, 0.50, False
    ),
    CooperationForm.JOINT_VENTURE: FormSpec(Tightness.TIGHT, 80.0, 24, 0.80, 0.60, 0.30, True),
    CooperationForm.POSTDOCTORAL_STATION: FormSpec(
        Tightness.TIGHT, 90.0, 24, 0.70, 0.50, 0.40, False
    ),
}

FORMS: tuple[CooperationForm, ...] = tuple(CooperationForm)

# Forms open on each path, following the path's modes of cooperation. Loose service forms are
# open on every path. The tight forms follow the modes: co-built institutes and postdoctoral
# stations on the mid-stream, joint ventures run by industrial research institutes at the back
# end, and technology equity for the front end's integrated cycle (一体循环).
PATH_FORMS: dict[Path, tuple[CooperationForm, ...]] = {
    Path.FRONT_END: (
        CooperationForm.TALENT_TRAINING,
        CooperationForm.TECHNICAL_SERVICES,
        CooperationForm.SHARED_INSTRUMENTS,
        CooperationForm.JOINT_DEVELOPMENT,
        CooperationForm.COMMISSIONED_DEVELOPMENT,
        CooperationForm.TECHNOLOGY_EQUITY,
        CooperationForm.CO_BUILT_INSTITUTION,
    ),
    Path.MID_STREAM: (
        CooperationForm.TALENT_TRAINING,
        CooperationForm.TECHNICAL_SERVICES,
        CooperationForm.SHARED_INSTRUMENTS,
        CooperationForm.JOINT_DEVELOPMENT,
        CooperationForm.COMMISSIONED_DEVELOPMENT,
        CooperationForm.CO_BUILT_INSTITUTION,
        CooperationForm.POSTDOCTORAL_STATION,
    ),
    Path.BACK_END: (
        CooperationForm.TALENT_TRAINING,
        CooperationForm.TECHNICAL_SERVICES,
        CooperationForm.SHARED_INSTRUMENTS,
        CooperationForm.TECHNOLOGY_TRANSFER,
        CooperationForm.JOINT_DEVELOPMENT,
        CooperationForm.JOINT_VENTURE,
    ),
}


class Channel(Enum):
    """Ways an SME can hear of a partner."""

    INDUSTRY_ASSOCIATION = "industry_association"
    GOVERNMENT_EVENT = "government_event"
    DIRECT_CONTACT = "direct_contact"
    COMMISSIONER = "commissioner"
    INTERMEDIARY = "intermediary"
    PLATFORM = "platform"
    OPEN_CHALLENGE = "open_challenge"


CHANNELS: tuple[Channel, ...] = tuple(Channel)


class BarrierSide(Enum):
    """Side of the cooperation a barrier comes from."""

    SUPPLY = "supply"
    FIRM = "firm"


class Barrier(Enum):
    """The eleven barriers that stop an SME's attempt, each checked at a named point."""

    ACTIVITY_NEED_MISMATCH = "activity_need_mismatch"
    RESULTS_NOT_INDUSTRIALISABLE = "results_not_industrialisable"
    FEW_INFORMATION_CHANNELS = "few_information_channels"
    PARTNER_CAPACITY_INSUFFICIENT = "partner_capacity_insufficient"
    PARTNER_LACKS_INTEGRITY = "partner_lacks_integrity"
    BENEFIT_SHARING_DISPUTE = "benefit_sharing_dispute"
    LACKS_TALENT_EQUIPMENT = "lacks_talent_equipment"
    LACKS_FUNDS = "lacks_funds"
    LITTLE_SAY = "little_say"
    CANNOT_ARTICULATE_NEED = "cannot_articulate_need"
    WEAK_ABSORPTION = "weak_absorption"

    @property
    def side(self) -> BarrierSide:
        """Supply side (universities, institutes) or firm side."""
        return BarrierSide.SUPPLY if self in _SUPPLY_BARRIERS else BarrierSide.FIRM


_SUPPLY_BARRIERS = frozenset(
    {
        Barrier.ACTIVITY_NEED_MISMATCH,
        Barrier.RESULTS_NOT_INDUSTRIALISABLE,
        Barrier.FEW_INFORMATION_CHANNELS,
        Barrier.PARTNER_CAPACITY_INSUFFICIENT,
        Barrier.PARTNER_LACKS_INTEGRITY,
        Barrier.BENEFIT_SHARING_DISPUTE,
    }
)

BARRIERS: tuple[Barrier, ...] = tuple(Barrier)


class RegionType(Enum):
    """Kinds of region, by industrial base and local innovation resources."""

    COUNTY = "county"  # weak industrial base, few local innovation resources
    INDUSTRIAL_CITY = "industrial_city"  # good industrial base, few high-end resources
    METROPOLIS = "metropolis"  # resource-rich big city, e.g. a provincial capital


class GovernmentRole(Enum):
    """The role a local government plays in IUR cooperation."""

    LEADER = "leader"  # 主导者: runs an enclave innovation park in a resource-rich city
    SERVICE_PROVIDER = "service_provider"  # 服务者: industrial research institute, intermediaries
    GUIDE = "guide"  # 引导者: special IUR fund and open-competition challenges (揭榜挂帅)


RECOMMENDED_ROLE: dict[RegionType, GovernmentRole] = {
    RegionType.COUNTY: GovernmentRole.LEADER,
    RegionType.INDUSTRIAL_CITY: GovernmentRole.SERVICE_PROVIDER,
    RegionType.METROPOLIS: GovernmentRole.GUIDE,
}


class IntermediaryKind(Enum):
    """Kinds of technology intermediary (科技中介)."""

    INDUSTRY_ASSOCIATION = "industry_association"
    TRANSFER_AGENCY = "transfer_agency"
    INDUSTRIAL_RESEARCH_INSTITUTE = "industrial_research_institute"


class ServiceScope(Enum):
    """How far an intermediary's or platform's service reaches."""

    MATCHMAKER = "matchmaker"  # 红娘: display, recommendation, introductions
    WHOLE_PROCESS = "whole_process"  # 店小二: need refinement to project acceptance


class PlatformOwnership(Enum):
    """Funder of a platform: government or private owners."""

    PUBLIC = "public"
    PRIVATE = "private"
