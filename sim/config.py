"""Typed configuration: frozen dataclass schemas, registered with Hydra's ConfigStore, and validation.

The YAML files under ``configs/`` are options of the config groups (``scenario/``, ``policy/``,
``trust/``, ``decision/``, ``operations/``, ``capacity/``, ``grievance/``). Every value they set is
checked twice: by Hydra against these schemas (types, unknown keys, unknown options) while
composing, and by :func:`validate` against the ranges declared here (and the scenario's internal
consistency) before a run starts. Each parameter's default, range and meaning live in one place:
the ``param(...)`` declaration below; ``docs/ODD.md`` is checked against them by a test.

Library use (notebooks, tests)::

    from sim.config import compose
    cfg = compose(["scenario=baseline", "policy=steady", "trust.asymmetry=4"])
"""

from __future__ import annotations

import dataclasses
import functools
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional

from omegaconf import DictConfig, ListConfig, OmegaConf

__all__ = [
    "CONFIG_DIR",
    "ConfigError",
    "RunConfig",
    "ScenarioConfig",
    "PolicyConfig",
    "TrustConfig",
    "DecisionConfig",
    "OperationsConfig",
    "CapacityConfig",
    "GrievanceConfig",
    "EVENT_KINDS",
    "compose",
    "to_config",
    "validate",
    "register_configs",
    "parameter_table",
    "policy_names",
    "load_policy",
    "scenario_names",
    "config_hash",
]

CONFIG_DIR = Path(__file__).resolve().parent.parent / "configs"


class ConfigError(ValueError):
    """A configuration that cannot run. The message names the key, the value and what is allowed."""


def param(default, lo=None, hi=None, doc="", *, unit="", lo_open=False, hi_open=False):
    """A model parameter: default, allowed range and meaning, in one place."""
    return field(default=default, metadata={
        "range": (lo, hi), "doc": doc, "unit": unit, "lo_open": lo_open, "hi_open": hi_open})


# --------------------------------------------------------------------------------------------------
# Parameter groups (the rules' parameters)
# --------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class TrustConfig:
    """Trust, honesty and reputation damage (sim/rules/trust.py)."""

    w_plus: float = param(1.0, 0.0, 10.0, "weight of one unit of good evidence", lo_open=True)
    asymmetry: float = param(1.0, 0.1, 10.0, "w_minus / w_plus: extra weight of bad evidence on top "
                             "of surprise, consultation and the beta curvature (calibrated to "
                             "pattern 1; sweep 1 to 5)")
    forgetting_leader: float = param(0.95, 0.0, 1.0, "lambda of the leader stock per month",
                                     lo_open=True)
    forgetting_country: float = param(0.99, 0.0, 1.0, "lambda of the country stock per month",
                                      lo_open=True)
    forgetting_country_bad: float = param(0.997, 0.0, 1.0, "lambda of the country stock's bad "
                                          "evidence per month (structural doubt fades slower)",
                                          lo_open=True)
    forgetting_honesty: float = param(0.98, 0.0, 1.0, "lambda of the honesty stock per month",
                                      lo_open=True)
    country_weight: float = param(0.35, 0.0, 1.0, "share of action evidence that also reaches the "
                                  "country stock")
    keep_weight: float = param(0.08, 0.0, 1.0, "good evidence per month of a fully held effort")
    pledge_bonus: float = param(1.0, 0.0, 5.0, "extra weight of an action backed by a kept pledge")
    promise_weight: float = param(0.1, 0.0, 1.0, "weight of an announcement relative to an action")
    friction: float = param(0.02, 0.0, 1.0, "cut in action level absorbed without bad evidence",
                            hi_open=True)
    surprise_gain: float = param(1.0, 0.0, 10.0, "extra bad evidence per unit of prior trust "
                                 "(Donahue & Crescenzi 2023)")
    unconsulted_penalty: float = param(0.5, 0.0, 10.0, "extra bad evidence when a cut was not "
                                       "consulted")
    notice_relief: float = param(0.5, 0.0, 1.0, "share of bad evidence spared by advance notice")
    consult_evidence: float = param(0.03, 0.0, 1.0, "good evidence from being consulted in a month")
    reversal_penalty: float = param(0.5, 0.0, 10.0, "bad evidence from a reversal (before w_minus)")
    abandon_evidence: float = param(1.0, 0.0, 10.0, "bad evidence for every ally when the lead "
                                    "abandons a local partner (Weisiger & Yarhi-Milo 2015)")
    outsider_weight: float = param(0.3, 0.0, 1.0, "how much a non-member observes of a mission")
    spillover_weight: float = param(0.5, 0.0, 1.0, "extra observation per share of network "
                                    "neighbours in the mission")
    damage_rate: float = param(0.1, 0.0, 10.0, "reputation damage per unit of bad evidence")
    heal_rate: float = param(0.02, 0.0, 1.0, "share of reputation damage healed per month")
    leader_weight: float = param(0.5, 0.0, 1.0, "weight of the leader stock in combined trust")
    press_weight: float = param(0.0, 0.0, 1.0, "Press (2005) 'current calculus': weight of the "
                                "lead's current capability in decision trust")
    leader_carry: float = param(1.0, 0.0, 1.0, "share of country evidence a new administration's "
                                "leader stock starts with")
    troop_weight: float = param(0.4, 0.0, 1.0, "weight of troops (against enablers) in the lead's "
                                "action level")
    pledge_tolerance: float = param(0.02, 0.0, 1.0, "slack in the action level before a pledge "
                                    "counts as broken", hi_open=True)
    prior_good: float = param(8.0, 0.0, 100.0, "prior pseudo-count of good evidence in each stock "
                              "(does not fade)", lo_open=True)
    prior_bad: float = param(4.0, 0.0, 100.0, "prior pseudo-count of bad evidence in each stock "
                             "(does not fade)", lo_open=True)


@dataclass(frozen=True)
class DecisionConfig:
    """The ally decision (sim/rules/decisions.py)."""

    value: float = param(1.0, 0.0, 10.0, "value of a working mission at full perceived threat")
    member_cost: float = param(0.02, 0.0, 1.0, "cost of membership alone (before cost sensitivity)")
    grievance_weight: float = param(0.5, 0.0, 10.0, "weight of grievance in the membership utility")
    peer_weight: float = param(0.1, 0.0, 10.0, "pull of network neighbours that are members")
    noise_scale: float = param(0.05, 0.0, 1.0, "scale of the logistic noise in the utility")
    join_threshold: float = param(0.12, -10.0, 10.0, "utility above which a non-member joins")
    leave_threshold: float = param(0.0, -10.0, 10.0, "utility below which a member leaves "
                                   "(<= join_threshold: hysteresis)")
    lead_exit_weight: float = param(0.6, 0.0, 1.0, "weight of the lead's exit in the departed share "
                                    "(Granovetter cascades)")
    election_hazard: float = param(0.2, 0.0, 1.0, "exit probability in an election month at full "
                                   "opposition (Tago 2009)")
    lead_example_weight: float = param(0.5, 0.0, 1.0, "weight of the lead's own effort in what "
                                       "'the others' put in (conditional cooperation)")
    threat_gain: float = param(0.3, 0.0, 10.0, "effort per unit of threat perception (before the "
                               "cooperation slope)")
    risk_cost: float = param(3.0, 0.0, 100.0, "cost per unit of mission risk times effort")
    casualty_cost: float = param(0.2, 0.0, 10.0, "cost per unit of casualty stress")
    fear_gain: float = param(0.15, 0.0, 1.0, "response of contribution to abandonment/entrapment "
                             "fear (Snyder 1984)")
    demand_response: float = param(0.1, 0.0, 1.0, "response of contribution to the lead's demand")
    max_share: float = param(0.3, 0.0, 1.0, "most of its capable force an ally sends to one "
                             "mission", lo_open=True)
    consult_rate: float = param(0.2, 0.0, 1.0, "convergence of consulted allies' threat "
                                "perceptions per month")


@dataclass(frozen=True)
class OperationsConfig:
    """Mission effectiveness, threat and attacks (sim/rules/missions.py)."""

    ces_alpha: float = param(0.5, 0.0, 1.0, "weight of troops in mission effectiveness",
                             lo_open=True, hi_open=True)
    ces_rho: float = param(-2.0, -20.0, 0.0, "CES substitution parameter (< 0: complements)",
                           hi_open=True)
    ally_enabler_yield: float = param(1.0, 0.0, 10.0, "enabler coverage allies bring per unit of "
                                      "capacity-weighted troops (relative to the need)")
    enabler_troop_value: float = param(0.5, 0.0, 10.0, "burden accounting: full enabler coverage "
                                       "counts as this share of the mission's required force in "
                                       "troop-equivalents")
    threat_growth: float = param(0.05, 0.0, 1.0, "logistic growth of an unaddressed threat per month")
    threat_suppression: float = param(0.06, 0.0, 1.0, "threat reduction per month at full "
                                      "effectiveness")
    threat_resurgence: float = param(0.1, 0.0, 1.0, "resurgence: keeps a suppressed threat from "
                                     "dying out")
    attack_rate: float = param(0.01, 0.0, 1.0, "attacks per ally per month at full threat")
    contributor_exposure: float = param(1.0, 0.0, 10.0, "extra attack exposure of contributors")
    attack_jump: float = param(0.2, 0.0, 1.0, "jump of threat perception toward 1 after an attack")
    perception_rate: float = param(0.05, 0.0, 1.0, "drift of threat perception toward the threat "
                                   "per month")


@dataclass(frozen=True)
class CapacityConfig:
    """Ally and local partner capacity (sim/rules/capacity.py, sim/rules/missions.py)."""

    ally_growth: float = param(0.02, 0.0, 1.0, "ally capacity growth per month at full capacity "
                               "building")
    ally_experience: float = param(0.004, 0.0, 1.0, "ally capacity growth per month of deployment")
    ally_decay: float = param(0.002, 0.0, 1.0, "ally capacity decay per month")
    partner_growth: float = param(0.03, 0.0, 1.0, "partner capacity growth per month at full "
                                  "capacity building (Biddle et al. 2018: modest)")
    partner_decay: float = param(0.002, 0.0, 1.0, "partner capacity decay per month")
    collapse_rate: float = param(0.45, 0.0, 1.0, "partner capacity lost per month per unit of "
                                 "uncovered dependence (SIGAR 2021)")
    dependence_rate: float = param(0.05, 0.0, 1.0, "relaxation of dependence toward 1 - capacity "
                                   "per month")
    stress_retention: float = param(0.8, 0.0, 1.0, "share of casualty stress kept each month")


@dataclass(frozen=True)
class GrievanceConfig:
    """Grievance about burden sharing (sim/rules/capacity.py)."""

    retention: float = param(0.95, 0.0, 1.0, "share of grievance kept each month")
    burden_gain: float = param(0.2, 0.0, 10.0, "grievance per unit of excess burden")
    demand_gain: float = param(0.1, 0.0, 10.0, "grievance per unit of demand above capacity")


@dataclass(frozen=True)
class PolicyConfig:
    """A lead policy: a point in the parameters of sim/rules/policies.py."""

    name: str = "steady"
    description: str = ""
    building: float = param(0.4, 0.0, 1.0, "capacity-building effort toward partners and allies")
    handover_threshold: float = param(2.0, 0.0, 2.0, "receiver capacity that opens the handover "
                                      "(> 1: never)")
    cut_start: int = param(-1, -1, 1200, "months after taking office when scheduled cuts begin "
                           "(-1: never)")
    troop_cut_rate: float = param(0.0, 0.0, 1.0, "share of initial troops cut per month once the "
                                  "handover is open")
    troop_floor: float = param(1.0, 0.0, 1.0, "share of initial troops kept in the end")
    enabler_cut_rate: float = param(0.0, 0.0, 1.0, "share of initial enablers cut per month once "
                                    "the handover is open")
    enabler_floor: float = param(1.0, 0.0, 1.0, "share of initial enablers kept in the end")
    p_consult: float = param(1.0, 0.0, 1.0, "probability an ally is consulted in a month")
    demand: float = param(0.0, 0.0, 1.0, "burden-sharing demand on allies")
    pledge_horizon: int = param(12, 0, 1200, "months covered by the pledges it announces "
                                "(0: no pledges)")
    p_impulse: float = param(0.0, 0.0, 1.0, "probability per month and mission of announcing an "
                             "abrupt withdrawal")
    impulse_notice: int = param(1, 0, 120, "months between an impulsive announcement and its "
                                "execution")
    p_carry_out: float = param(0.5, 0.0, 1.0, "probability an impulsive announcement is carried out")
    p_return: float = param(0.05, 0.0, 1.0, "probability per month of coming back after an "
                            "impulsive withdrawal")


# The policy parameters that are numbers (varied per run, stacked into arrays by the drivers).
POLICY_PARAMETERS = tuple(f.name for f in dataclasses.fields(PolicyConfig)
                          if f.name not in ("name", "description"))


# --------------------------------------------------------------------------------------------------
# Scenario (data)
# --------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class AllySpec:
    """A named ally in a scenario roster. ``name``, ``force`` and ``capacity`` are required; any
    other attribute left out is drawn from the scenario's distributions."""

    name: str = "???"
    force: float = -1.0
    capacity: float = -1.0
    threat: Optional[float] = None
    threat_by_mission: dict[str, float] = field(default_factory=dict)
    interest: dict[str, float] = field(default_factory=dict)
    cost_sensitivity: Optional[float] = None
    exit_threshold: Optional[float] = None
    opposition: Optional[float] = None
    election_period: Optional[int] = None
    election_phase: Optional[int] = None
    cooperation_slope: Optional[float] = None
    fear: Optional[float] = None


@dataclass(frozen=True)
class AlliesConfig:
    """How allies are made: generated from distributions, listed by name, or both."""

    n: int = param(30, 0, 100000, "allies generated from the distributions below (added after the "
                   "roster)")
    force_median: float = param(2000.0, 1.0, 1e7, "median deployable force of a generated ally",
                                unit="personnel")
    force_sigma: float = param(1.0, 0.0, 5.0, "log-sd of the deployable force (heavy-tailed size)")
    capacity_min: float = param(0.2, 0.0, 1.0, "lowest initial military capacity")
    capacity_max: float = param(0.7, 0.0, 1.0, "highest initial military capacity")
    threat_min: float = param(0.2, 0.0, 1.0, "lowest initial threat perception")
    threat_max: float = param(0.8, 0.0, 1.0, "highest initial threat perception")
    interest_max: float = param(0.05, 0.0, 1.0, "highest private interest in a mission")
    cost_sensitivity_min: float = param(0.5, 0.0, 100.0, "lowest cost sensitivity")
    cost_sensitivity_max: float = param(1.5, 0.0, 100.0, "highest cost sensitivity")
    exit_threshold_min: float = param(0.3, 0.0, 1.0, "lowest Granovetter exit threshold")
    exit_threshold_max: float = param(0.9, 0.0, 1.0, "highest Granovetter exit threshold")
    opposition_min: float = param(0.1, 0.0, 1.0, "lowest domestic opposition")
    opposition_max: float = param(0.6, 0.0, 1.0, "highest domestic opposition")
    election_period_min: int = param(48, 1, 1200, "shortest months between national elections")
    election_period_max: int = param(60, 1, 1200, "longest months between national elections")
    p_free_rider: float = param(0.3, 0.0, 1.0, "share of free riders (Fischbacher et al. 2001)")
    cooperation_slope_min: float = param(0.6, 0.0, 1.5, "lowest slope of a conditional cooperator")
    cooperation_slope_max: float = param(0.95, 0.0, 1.5, "highest slope of a conditional cooperator")
    fear_min: float = param(-0.5, -1.0, 1.0, "lowest fear (< 0 fears entrapment)")
    fear_max: float = param(0.5, -1.0, 1.0, "highest fear (> 0 fears abandonment)")
    roster: list[AllySpec] = field(default_factory=list)


@dataclass(frozen=True)
class MissionSpec:
    """A mission: its kind, needs, the lead's initial forces and the local partner."""

    name: str = "???"
    kind: str = "stabilisation"
    required_force: float = 20000.0
    lead_troops: float = 5000.0
    lead_enablers: float = 1.0
    risk: float = 0.05
    threat: float = 0.6
    partner_force: float = 10000.0
    partner_capacity: float = 0.3
    partner_dependence: float = 0.7
    mandate_end: Optional[int] = None
    framework: Optional[str] = None


MISSION_FIELDS = {
    "required_force": (0.0, None, True, "personnel the mission needs (> 0)"),
    "lead_troops": (0.0, None, False, "the lead's initial troops (>= 0)"),
    "lead_enablers": (0.0, 1.0, False, "the lead's initial enabler coverage"),
    "risk": (0.0, 1.0, False, "casualty risk"),
    "threat": (0.0, 1.0, False, "initial threat"),
    "partner_force": (0.0, None, False, "the local partner's nominal force (>= 0)"),
    "partner_capacity": (0.0, 1.0, False, "initial local partner capacity"),
    "partner_dependence": (0.0, 1.0, False, "initial dependence on the lead's enablers"),
}


@dataclass(frozen=True)
class NetworkConfig:
    """The alliance network: who watches whom."""

    kind: str = "small_world"
    k: int = 4
    p_rewire: float = 0.1
    seed: int = 0
    edges: list[list[str]] = field(default_factory=list)


@dataclass(frozen=True)
class LeadConfig:
    """The lead nation's election calendar."""

    election_period: int = 48
    election_phase: int = 46


@dataclass(frozen=True)
class AdministrationChange:
    step: int = -1
    policy: str = "???"


@dataclass(frozen=True)
class AdministrationsConfig:
    """How the lead's policy changes: never, on a fixed schedule, or alternating at elections."""

    mode: str = "none"
    schedule: list[AdministrationChange] = field(default_factory=list)
    cycle: list[str] = field(default_factory=list)
    p_change: float = 0.5


@dataclass(frozen=True)
class EventSpec:
    """A scheduled event. ``step`` (1..horizon) or ``date`` (``YYYY-MM``, needs ``scenario.start``)."""

    kind: str = "???"
    step: Optional[int] = None
    date: Optional[str] = None
    mission: Optional[str] = None
    ally: Optional[str] = None
    fraction: float = 1.0
    level: Optional[float] = None
    horizon: Optional[int] = None
    consulted: bool = False
    notice: bool = False
    enablers: bool = True
    troops: bool = True
    size: float = 0.0
    policy: Optional[str] = None


# kind -> (required fields, allowed optional fields)
EVENT_KINDS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "announcement": (("mission", "level", "horizon"), ()),
    "withdrawal": (("mission",), ("fraction", "consulted", "notice", "enablers", "troops")),
    "deployment": (("mission",), ("fraction", "enablers", "troops")),
    "reversal": (("mission",), ()),
    "abandon_partner": (("mission",), ()),
    "election": ((), ("ally",)),
    "administration": (("policy",), ()),
    "domestic_shock": (("size",), ()),
    "attack": (("ally", "mission"), ()),
    "mandate_expiry": (("mission",), ()),
    "mission_start": (("mission",), ()),
}


@dataclass(frozen=True)
class ScenarioConfig:
    """A scenario is data: allies, missions, network, administrations and a timeline of events."""

    name: str = "???"
    description: str = ""
    horizon: int = 120
    start: Optional[str] = None
    allies: AlliesConfig = field(default_factory=AlliesConfig)
    missions: list[MissionSpec] = field(default_factory=list)
    network: NetworkConfig = field(default_factory=NetworkConfig)
    lead: LeadConfig = field(default_factory=LeadConfig)
    administrations: AdministrationsConfig = field(default_factory=AdministrationsConfig)
    events: list[EventSpec] = field(default_factory=list)


@dataclass(frozen=True)
class OutputConfig:
    """What a run writes."""

    trajectories: bool = True
    allies: bool = True
    quiet: bool = False


@dataclass(frozen=True)
class RunConfig:
    """Everything one run needs. ``seed`` and ``run`` key its random numbers."""

    scenario: ScenarioConfig = field(default_factory=ScenarioConfig)
    policy: PolicyConfig = field(default_factory=PolicyConfig)
    trust: TrustConfig = field(default_factory=TrustConfig)
    decision: DecisionConfig = field(default_factory=DecisionConfig)
    operations: OperationsConfig = field(default_factory=OperationsConfig)
    capacity: CapacityConfig = field(default_factory=CapacityConfig)
    grievance: GrievanceConfig = field(default_factory=GrievanceConfig)
    seed: int = 1
    run: int = 0
    driver: str = "ensemble"
    output: OutputConfig = field(default_factory=OutputConfig)


@dataclass(frozen=True)
class ParameterRange:
    """A varied parameter: a range (``low``, ``high``) with a distribution, or explicit ``values``.

    ``dist``: ``uniform`` on [low, high]; ``normal`` with mean ``(low + high) / 2`` and sd
    ``(high - low) / 4``, truncated to [low, high]; ``triangular`` with its peak at ``mode``.
    ``values`` (grid sampler only) lists the levels to use.
    """

    low: Optional[float] = None
    high: Optional[float] = None
    dist: str = "uniform"
    mode: Optional[float] = None
    values: list[float] = field(default_factory=list)


@dataclass(frozen=True)
class SweepConfig:
    """A sweep: which scenarios and policies, which parameters vary and how, how many replicates."""

    name: str = "sweep"
    dir: Optional[str] = None
    description: str = ""
    scenarios: list[str] = field(default_factory=list)
    policies: list[str] = field(default_factory=list)
    levers: dict[str, Any] = field(default_factory=dict)          # name -> ParameterRange fields
    uncertainties: dict[str, Any] = field(default_factory=dict)   # name -> ParameterRange fields
    sampler: str = "grid"
    samples: int = 1
    levels: int = 3
    second_order: bool = False
    replicates: int = 1
    seed: int = 1
    run_seed: Optional[int] = None
    crn: str = "all"
    chunk_size: int = 1000
    trajectories: bool = False
    progress: str = "auto"
    max_failures: int = 0


def parameter_range(path: str, spec) -> ParameterRange:
    """A sweep's varied-parameter spec (a mapping from YAML) as a checked :class:`ParameterRange`."""
    if isinstance(spec, ParameterRange):
        return spec
    if OmegaConf.is_config(spec):
        spec = OmegaConf.to_container(spec)
    if not isinstance(spec, dict):
        raise ConfigError(f"{path}: expected a mapping such as {{low: 1.0, high: 5.0}} or "
                          f"{{values: [1, 2, 3]}}, got {spec!r}")
    allowed = {f.name for f in dataclasses.fields(ParameterRange)}
    unknown = sorted(set(spec) - allowed)
    if unknown:
        raise ConfigError(f"{path}: unknown key(s) {unknown} (allowed: {', '.join(sorted(allowed))})")
    try:
        return ParameterRange(**{k: (list(v) if k == "values" else v) for k, v in spec.items()})
    except TypeError as exc:
        raise ConfigError(f"{path}: {exc}") from None


@dataclass(frozen=True)
class SweepRootConfig(RunConfig):
    """A sweep's configuration: the base run configuration plus ``sweep`` (see sim.design)."""

    sweep: SweepConfig = field(default_factory=SweepConfig)


@dataclass(frozen=True)
class ChunkConfig:
    """One Hydra job of a sweep: which sweep folder, which chunk."""

    sweep_dir: str = "???"
    chunk: int = -1


PARAMETER_GROUPS: dict[str, type] = {
    "trust": TrustConfig,
    "decision": DecisionConfig,
    "operations": OperationsConfig,
    "capacity": CapacityConfig,
    "grievance": GrievanceConfig,
    "policy": PolicyConfig,
    "scenario.allies": AlliesConfig,
}


# --------------------------------------------------------------------------------------------------
# Hydra registration and composition
# --------------------------------------------------------------------------------------------------

def _writable(node):
    """Frozen dataclasses make read-only nodes; Hydra must merge YAML onto them, so lift the flag.
    The objects built by :func:`to_config` are frozen again."""
    node._set_flag("readonly", None)
    if isinstance(node, DictConfig):
        for key in node.keys():
            _writable(node._get_node(key))
    elif isinstance(node, ListConfig):
        for i in range(len(node)):
            _writable(node._get_node(i))
    return node


@functools.cache
def register_configs() -> None:
    """Register the schemas with Hydra's ConfigStore (idempotent)."""
    from hydra.core.config_store import ConfigStore

    cs = ConfigStore.instance()
    cs.store(name="run_schema", node=_writable(OmegaConf.structured(RunConfig)))
    cs.store(name="sweep_schema", node=_writable(OmegaConf.structured(SweepRootConfig)))
    cs.store(name="chunk_schema", node=_writable(OmegaConf.structured(ChunkConfig)))


def _hydra_message(exc: BaseException) -> str:
    parts = []
    while exc is not None:
        text = str(exc).strip()
        if text and text not in parts:
            parts.append(text)
        exc = exc.__cause__ or exc.__context__
    return "\n".join(parts)


def compose(overrides: list[str] | tuple[str, ...] = (), *, validate_config: bool = True) -> RunConfig:
    """Compose a run's configuration with Hydra's compose API and return the validated, typed object.

    Args:
        overrides: Hydra overrides, e.g. ``["scenario=baseline", "trust.asymmetry=4", "seed=3"]``.
        validate_config: run :func:`validate` (ranges and scenario consistency).

    Raises:
        ConfigError: naming the key, the value and what is allowed.
    """
    return _compose_cached(tuple(overrides), validate_config)


@functools.lru_cache(maxsize=256)
def _compose_cached(overrides: tuple[str, ...], validate_config: bool) -> RunConfig:
    return to_config(compose_raw("config", overrides), validate_config=validate_config)


def compose_raw(config_name: str, overrides=()) -> DictConfig:
    """Compose ``configs/<config_name>.yaml`` with Hydra's compose API (no validation)."""
    from hydra import compose as hydra_compose
    from hydra import initialize_config_dir
    from hydra.core.global_hydra import GlobalHydra

    register_configs()
    was_initialized = GlobalHydra.instance().is_initialized()
    if was_initialized:  # e.g. inside a running Hydra app: compose against our own config dir
        saved = GlobalHydra.instance().hydra
        GlobalHydra.instance().clear()
    try:
        with initialize_config_dir(config_dir=str(CONFIG_DIR), version_base="1.3"):
            try:
                return hydra_compose(config_name=config_name, overrides=list(overrides))
            except Exception as exc:  # Hydra/OmegaConf errors: re-raise with the whole chain
                raise ConfigError(_hydra_message(exc)) from None
    finally:
        if was_initialized:
            GlobalHydra.instance().initialize(saved)


def to_config(cfg: DictConfig | RunConfig, *, validate_config: bool = True) -> RunConfig:
    """Turn a composed ``DictConfig`` (e.g. the one a Hydra app receives) into a validated
    :class:`RunConfig`."""
    if isinstance(cfg, RunConfig):
        obj = cfg
    else:
        node = cfg
        if not OmegaConf.is_config(node):
            node = OmegaConf.create(node)
        schema = OmegaConf.structured(RunConfig)
        _writable(schema)
        known = {f.name for f in dataclasses.fields(RunConfig)} | {"hydra"}
        unknown = [str(k) for k in node.keys() if str(k) not in known]
        if unknown:
            raise ConfigError(f"unknown configuration key(s) {', '.join(map(repr, unknown))} "
                              f"(known: {', '.join(sorted(known - {'hydra'}))})")
        try:
            merged = OmegaConf.merge(schema, node)
            obj = OmegaConf.to_object(merged)
        except Exception as exc:
            raise ConfigError(_hydra_message(exc)) from None
    if validate_config:
        validate(obj)
    return obj


def config_hash(cfg: RunConfig, *, exclude=("output",)) -> str:
    """A short, stable hash of the resolved configuration (without output options)."""
    import hashlib
    import json

    data = dataclasses.asdict(cfg)
    for key in exclude:
        data.pop(key, None)
    text = json.dumps(data, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


# --------------------------------------------------------------------------------------------------
# Validation
# --------------------------------------------------------------------------------------------------

def _fmt_range(meta) -> str:
    lo, hi = meta["range"]
    left = "(" if meta.get("lo_open") else "["
    right = ")" if meta.get("hi_open") else "]"
    lo_s = "-inf" if lo is None else f"{lo:g}"
    hi_s = "inf" if hi is None else f"{hi:g}"
    return f"{left}{lo_s}, {hi_s}{right}"


def _check_range(path: str, value, meta) -> None:
    lo, hi = meta["range"]
    bad = False
    if lo is not None and (value < lo or (meta.get("lo_open") and value == lo)):
        bad = True
    if hi is not None and (value > hi or (meta.get("hi_open") and value == hi)):
        bad = True
    if value != value:  # NaN
        bad = True
    if bad:
        raise ConfigError(f"{path}={value!r} is out of range: allowed {_fmt_range(meta)} "
                          f"({meta['doc']})")


def _check_params(prefix: str, obj) -> None:
    for f in dataclasses.fields(obj):
        if "range" in f.metadata:
            _check_range(f"{prefix}.{f.name}", getattr(obj, f.name), f.metadata)


_DATE = re.compile(r"^(\d{4})-(\d{2})$")


def month_index(date: str, path: str) -> int:
    m = _DATE.match(str(date))
    if not m or not 1 <= int(m.group(2)) <= 12:
        raise ConfigError(f"{path}={date!r} is not a calendar month: write YYYY-MM, e.g. 2004-04")
    return int(m.group(1)) * 12 + int(m.group(2)) - 1


def event_step(scenario: ScenarioConfig, event: EventSpec, path: str) -> int:
    """The step at which an event fires (its ``step``, or its ``date`` counted from the start)."""
    if (event.step is None) == (event.date is None):
        raise ConfigError(f"{path}: give exactly one of 'step' or 'date' (got step={event.step!r}, "
                          f"date={event.date!r})")
    if event.step is not None:
        return int(event.step)
    if scenario.start is None:
        raise ConfigError(f"{path}.date={event.date!r} needs scenario.start (YYYY-MM) to count "
                          "months from")
    return month_index(event.date, f"{path}.date") - month_index(scenario.start,
                                                                 "scenario.start") + 1


def validate(cfg: RunConfig) -> None:
    """Check ranges and the scenario's consistency. Raises :class:`ConfigError` on the first problem."""
    for group in ("trust", "decision", "operations", "capacity", "grievance", "policy"):
        _check_params(group, getattr(cfg, group))
    if cfg.seed < 0 or cfg.seed >= 2**63:
        raise ConfigError(f"seed={cfg.seed} is out of range: allowed [0, 2**63)")
    if cfg.run < 0:
        raise ConfigError(f"run={cfg.run} is out of range: allowed >= 0 (the replicate number)")
    if cfg.driver not in ("ensemble", "mesa"):
        raise ConfigError(f"driver={cfg.driver!r}: allowed 'ensemble' (vectorised) or 'mesa' "
                          "(agent by agent); both give the same numbers")
    if cfg.decision.leave_threshold > cfg.decision.join_threshold:
        raise ConfigError(f"decision.leave_threshold={cfg.decision.leave_threshold} must not exceed "
                          f"decision.join_threshold={cfg.decision.join_threshold} (hysteresis)")
    validate_policy(cfg.policy, "policy")
    validate_scenario(cfg.scenario)


def validate_policy(p: PolicyConfig, path: str) -> None:
    _check_params(path, p)
    if p.name not in policy_names():
        raise ConfigError(f"{path}.name={p.name!r} is not a registered policy "
                          f"(known: {', '.join(policy_names())})")


def _check_min_max(path, lo, hi, lo_name, hi_name):
    if lo > hi:
        raise ConfigError(f"{path}.{lo_name}={lo} exceeds {path}.{hi_name}={hi}")


def validate_scenario(s: ScenarioConfig) -> None:
    p = "scenario"
    if s.name in ("???", ""):
        raise ConfigError("scenario.name is missing")
    if not 1 <= s.horizon <= 12000:
        raise ConfigError(f"scenario.horizon={s.horizon} is out of range: allowed [1, 12000] months")
    if s.start is not None:
        month_index(s.start, "scenario.start")
    a = s.allies
    _check_params(f"{p}.allies", a)
    for lo, hi in (("capacity_min", "capacity_max"), ("threat_min", "threat_max"),
                   ("cost_sensitivity_min", "cost_sensitivity_max"),
                   ("exit_threshold_min", "exit_threshold_max"),
                   ("opposition_min", "opposition_max"),
                   ("election_period_min", "election_period_max"),
                   ("cooperation_slope_min", "cooperation_slope_max"), ("fear_min", "fear_max")):
        _check_min_max(f"{p}.allies", getattr(a, lo), getattr(a, hi), lo, hi)
    n_allies = len(a.roster) + a.n
    if n_allies < 1:
        raise ConfigError("scenario.allies: the coalition is empty (allies.n=0 and no roster): "
                          "a scenario needs at least one ally")
    if not s.missions:
        raise ConfigError("scenario.missions is empty: a scenario needs at least one mission")

    mission_names = [m.name for m in s.missions]
    for i, m in enumerate(s.missions):
        mp = f"{p}.missions[{i}]"
        if m.name in ("???", ""):
            raise ConfigError(f"{mp}.name is missing")
        if mission_names.count(m.name) > 1:
            raise ConfigError(f"{mp}.name={m.name!r} is used by more than one mission")
        if m.kind not in ("stabilisation", "core"):
            raise ConfigError(f"{mp}.kind={m.kind!r}: allowed 'stabilisation' or 'core'")
        for key, (lo, hi, lo_open, doc) in MISSION_FIELDS.items():
            value = getattr(m, key)
            if value < lo or (lo_open and value == lo) or (hi is not None and value > hi):
                rng = f"{'(' if lo_open else '['}{lo:g}, {'inf' if hi is None else f'{hi:g}'}]"
                raise ConfigError(f"{mp}.{key}={value!r} is out of range: allowed {rng} ({doc})")
        if m.mandate_end is not None and not 1 <= m.mandate_end <= s.horizon:
            raise ConfigError(f"{mp}.mandate_end={m.mandate_end} is outside the horizon "
                              f"[1, {s.horizon}]")

    roster_names = [r.name for r in a.roster]
    for i, r in enumerate(a.roster):
        rp = f"{p}.allies.roster[{i}]"
        if r.name in ("???", ""):
            raise ConfigError(f"{rp}.name is missing (a roster entry needs name, force, capacity)")
        if roster_names.count(r.name) > 1:
            raise ConfigError(f"{rp}.name={r.name!r} appears more than once in the roster")
        if r.force < 0:
            raise ConfigError(f"{rp} ({r.name}): 'force' is missing or negative (deployable "
                              "personnel, required)")
        if not 0.0 <= r.capacity <= 1.0:
            raise ConfigError(f"{rp} ({r.name}): 'capacity' is missing or outside [0, 1] (required)")
        for key in ("threat", "exit_threshold", "opposition"):
            v = getattr(r, key)
            if v is not None and not 0.0 <= v <= 1.0:
                raise ConfigError(f"{rp}.{key}={v} is out of range: allowed [0, 1]")
        if r.fear is not None and not -1.0 <= r.fear <= 1.0:
            raise ConfigError(f"{rp}.fear={r.fear} is out of range: allowed [-1, 1]")
        if r.cost_sensitivity is not None and r.cost_sensitivity < 0:
            raise ConfigError(f"{rp}.cost_sensitivity={r.cost_sensitivity} must be >= 0")
        if r.cooperation_slope is not None and not 0.0 <= r.cooperation_slope <= 1.5:
            raise ConfigError(f"{rp}.cooperation_slope={r.cooperation_slope}: allowed [0, 1.5]")
        if r.election_period is not None and r.election_period < 1:
            raise ConfigError(f"{rp}.election_period={r.election_period} must be >= 1 month")
        for key in ("threat_by_mission", "interest"):
            for mname, v in getattr(r, key).items():
                if mname not in mission_names:
                    raise ConfigError(f"{rp}.{key}: unknown mission {mname!r} "
                                      f"(known: {', '.join(mission_names)})")
                if not 0.0 <= v <= 1.0:
                    raise ConfigError(f"{rp}.{key}.{mname}={v} is out of range: allowed [0, 1]")
    all_names = roster_names + [f"ally_{i}" for i in range(a.n)]
    for i, m in enumerate(s.missions):
        if m.framework is not None and m.framework not in roster_names:
            raise ConfigError(f"{p}.missions[{i}].framework={m.framework!r} is not in the roster "
                              f"(known: {', '.join(roster_names) or 'none'})")

    net = s.network
    if net.kind not in ("small_world", "complete", "ring", "empty", "edges"):
        raise ConfigError(f"scenario.network.kind={net.kind!r}: allowed small_world, complete, "
                          "ring, empty, edges")
    if net.k < 0 or not 0.0 <= net.p_rewire <= 1.0:
        raise ConfigError(f"scenario.network: k={net.k} must be >= 0 and p_rewire={net.p_rewire} "
                          "in [0, 1]")
    for j, edge in enumerate(net.edges):
        if len(edge) != 2:
            raise ConfigError(f"scenario.network.edges[{j}]={list(edge)}: an edge is two ally names")
        for name in edge:
            if name not in all_names:
                raise ConfigError(f"scenario.network.edges[{j}]: unknown ally {name!r}")

    if s.lead.election_period < 1 or s.lead.election_phase < 0:
        raise ConfigError("scenario.lead: election_period must be >= 1 and election_phase >= 0")

    adm = s.administrations
    if adm.mode not in ("none", "fixed", "alternate"):
        raise ConfigError(f"scenario.administrations.mode={adm.mode!r}: allowed none, fixed, "
                          "alternate")
    for j, change in enumerate(adm.schedule):
        cp = f"scenario.administrations.schedule[{j}]"
        if not 1 <= change.step <= s.horizon:
            raise ConfigError(f"{cp}.step={change.step} is outside the horizon [1, {s.horizon}]")
        if change.policy not in policy_names():
            raise ConfigError(f"{cp}.policy={change.policy!r} is not a registered policy "
                              f"(known: {', '.join(policy_names())})")
    for j, name in enumerate(adm.cycle):
        if name not in policy_names():
            raise ConfigError(f"scenario.administrations.cycle[{j}]={name!r} is not a registered "
                              f"policy (known: {', '.join(policy_names())})")
    if adm.mode == "fixed" and not adm.schedule:
        raise ConfigError("scenario.administrations.mode=fixed needs a schedule of {step, policy}")
    if adm.mode == "alternate" and len(adm.cycle) < 2:
        raise ConfigError("scenario.administrations.mode=alternate needs a cycle of at least two "
                          "policies")
    if not 0.0 <= adm.p_change <= 1.0:
        raise ConfigError(f"scenario.administrations.p_change={adm.p_change}: allowed [0, 1]")

    for j, ev in enumerate(s.events):
        ep = f"scenario.events[{j}]"
        if ev.kind not in EVENT_KINDS:
            raise ConfigError(f"{ep}.kind={ev.kind!r} is not an event kind "
                              f"(known: {', '.join(EVENT_KINDS)})")
        ep = f"{ep} ({ev.kind})"
        step = event_step(s, ev, ep)
        if not 1 <= step <= s.horizon:
            raise ConfigError(f"{ep}: step {step} is outside the horizon [1, {s.horizon}]"
                              + (f" (date {ev.date})" if ev.date else ""))
        required, optional = EVENT_KINDS[ev.kind]
        defaults = EventSpec()
        for key in required:
            if getattr(ev, key) in (None, "???") or (key == "size" and ev.size == 0.0):
                raise ConfigError(f"{ep}: '{key}' is required for a {ev.kind} event")
        for key in ("mission", "ally", "level", "horizon", "policy", "fraction", "consulted",
                    "notice", "enablers", "troops", "size"):
            if key not in required and key not in optional \
                    and getattr(ev, key) != getattr(defaults, key):
                raise ConfigError(f"{ep}: '{key}' does not apply to a {ev.kind} event "
                                  f"(it takes {', '.join(required + optional) or 'nothing'})")
        if ev.mission is not None and ev.mission not in mission_names:
            raise ConfigError(f"{ep}: unknown mission {ev.mission!r} "
                              f"(known: {', '.join(mission_names)})")
        if ev.ally is not None and ev.ally not in all_names:
            raise ConfigError(f"{ep}: unknown ally {ev.ally!r} (known: "
                              f"{', '.join(all_names[:12])}{', ...' if len(all_names) > 12 else ''})")
        if ev.policy is not None and ev.policy not in policy_names():
            raise ConfigError(f"{ep}: unknown policy {ev.policy!r} "
                              f"(known: {', '.join(policy_names())})")
        if not 0.0 <= ev.fraction <= 1.0:
            raise ConfigError(f"{ep}.fraction={ev.fraction} is out of range: allowed [0, 1]")
        if ev.level is not None and not 0.0 <= ev.level <= 1.0:
            raise ConfigError(f"{ep}.level={ev.level} is out of range: allowed [0, 1]")
        if ev.horizon is not None and ev.horizon < 1:
            raise ConfigError(f"{ep}.horizon={ev.horizon} must be >= 1 month")
        if ev.size < 0:
            raise ConfigError(f"{ep}.size={ev.size} must be >= 0")
    starts = {}
    for j, ev in enumerate(s.events):
        if ev.kind == "mission_start":
            if ev.mission in starts:
                raise ConfigError(f"scenario.events[{j}] (mission_start): mission {ev.mission!r} "
                                  "already has a mission_start event")
            starts[ev.mission] = event_step(s, ev, f"scenario.events[{j}]")
    for j, ev in enumerate(s.events):
        if ev.kind != "mission_start" and ev.mission in starts:
            step = event_step(s, ev, f"scenario.events[{j}]")
            if step < starts[ev.mission]:
                raise ConfigError(f"scenario.events[{j}] ({ev.kind}) at step {step} concerns "
                                  f"mission {ev.mission!r} before it starts (step "
                                  f"{starts[ev.mission]})")
    for i, m in enumerate(s.missions):
        if m.name in starts and m.mandate_end is not None and m.mandate_end <= starts[m.name]:
            raise ConfigError(f"scenario.missions[{i}].mandate_end={m.mandate_end} is not after "
                              f"its mission_start (step {starts[m.name]})")


# --------------------------------------------------------------------------------------------------
# Registries: policies and scenarios are the YAML options of their config groups
# --------------------------------------------------------------------------------------------------

def _options(group: str) -> list[str]:
    return sorted(p.stem for p in (CONFIG_DIR / group).glob("*.yaml"))


@functools.cache
def policy_names() -> tuple[str, ...]:
    """The registered lead policies (``configs/policy/*.yaml``)."""
    return tuple(_options("policy"))


def scenario_names() -> tuple[str, ...]:
    """The shipped scenarios (``configs/scenario/*.yaml``)."""
    return tuple(_options("scenario"))


@functools.cache
def load_policy(name: str) -> PolicyConfig:
    """A registered policy's parameters, read from its YAML option and checked by the schema."""
    if name not in policy_names():
        raise ConfigError(f"unknown policy {name!r} (known: {', '.join(policy_names())})")
    schema = _writable(OmegaConf.structured(PolicyConfig))
    try:
        node = OmegaConf.merge(schema, OmegaConf.load(CONFIG_DIR / "policy" / f"{name}.yaml"))
    except Exception as exc:
        raise ConfigError(f"configs/policy/{name}.yaml: {_hydra_message(exc)}") from None
    policy = OmegaConf.to_object(node)
    _check_params(f"policy[{name}]", policy)
    return policy


def parameter_table() -> list[dict[str, Any]]:
    """Every declared parameter: group, name, default, range, unit, meaning (for docs and tests)."""
    rows = []
    for group, cls in PARAMETER_GROUPS.items():
        for f in dataclasses.fields(cls):
            if "range" not in f.metadata:
                continue
            rows.append({"group": group, "name": f.name, "default": f.default,
                         "range": _fmt_range(f.metadata), "unit": f.metadata["unit"],
                         "doc": f.metadata["doc"]})
    return rows
