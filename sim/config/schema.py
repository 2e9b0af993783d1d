"""The typed configuration schema: frozen dataclasses, one per config group.

Every parameter is declared once, with :func:`param`: its default, allowed range, unit and meaning.
Validation (:mod:`sim.config.checks`), the parameter registry and its name grammar
(:mod:`sim.config.params`), sweeps, calibration and the ODD's parameter tables all read these
declarations. The YAML files under ``configs/`` are options of the config groups; Hydra checks
types and unknown keys against these schemas while composing (:mod:`sim.config.compose`).

A scenario is data: allies (generated, or a roster keyed by name), missions keyed by name, the
network, administrations and a timeline of events. Keying by name lets any value be overridden from
the command line like any other, e.g. ``scenario.missions.barkhane.lead_troops=500`` or
``scenario.allies.roster.France.exit_threshold=0.7``.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any, Optional

from omegaconf import OmegaConf

from sim.errors import ConfigError

__all__ = [
    "param", "TrustConfig", "DecisionConfig", "OperationsConfig", "CapacityConfig",
    "GrievanceConfig", "MechanismsConfig", "PolicyConfig", "AllySpec", "AlliesConfig", "MissionSpec", "NetworkConfig",
    "LeadConfig", "AdministrationChange", "AdministrationsConfig", "EventSpec", "ScenarioConfig",
    "OutputConfig", "RunConfig", "ParameterRange", "SweepConfig", "SweepRootConfig", "ChunkConfig",
    "PARAMETER_GROUPS", "parameter_range",
]


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
    asymmetry: float = param(1.5, 0.1, 10.0, "w_minus / w_plus: extra weight of bad evidence on top "
                             "of surprise, consultation and the beta curvature (calibrated to "
                             "pattern 1; sweep 1 to 5)")
    forgetting_leader: float = param(0.92, 0.0, 1.0, "lambda of the leader stock per month",
                                     lo_open=True)
    forgetting_country: float = param(0.99, 0.0, 1.0, "lambda of the country stock per month",
                                      lo_open=True)
    forgetting_country_bad: float = param(0.992, 0.0, 1.0, "lambda of the country stock's bad "
                                          "evidence per month (structural doubt fades slower)",
                                          lo_open=True)
    forgetting_honesty: float = param(0.98, 0.0, 1.0, "lambda of the honesty stock per month",
                                      lo_open=True)
    country_weight: float = param(0.36, 0.0, 1.0, "share of action evidence that also reaches the "
                                  "country stock")
    keep_weight: float = param(0.001, 0.0, 1.0, "good evidence per month of a fully held effort")
    pledge_bonus: float = param(5.0, 0.0, 10.0, "extra weight of an action backed by a kept pledge")
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
    damage_rate: float = param(0.02, 0.0, 10.0, "reputation damage per unit of bad evidence")
    heal_rate: float = param(0.02, 0.0, 1.0, "share of reputation damage healed per month")
    leader_weight: float = param(0.5, 0.0, 1.0, "weight of the leader stock in combined trust")
    press_weight: float = param(0.0, 0.0, 1.0, "Press (2005) 'current calculus': weight of the "
                                "lead's current capability in decision trust")
    leader_carry: float = param(0.0, 0.0, 1.0, "share of country evidence a new administration's "
                                "leader stock starts with")
    stance_weight: float = param(20.0, 0.0, 50.0, "pseudo-evidence an administration's declared "
                                 "stance toward allies is worth when it takes office (its "
                                 "campaign and first statements; Pew 2017, 2021)")
    stance_rate: float = param(0.39, 0.0, 10.0, "evidence per month from what the administration "
                               "keeps saying about its allies (its stance, heard by every ally)")
    troop_weight: float = param(0.4, 0.0, 1.0, "weight of troops (against enablers) in the lead's "
                                "action level")
    pledge_tolerance: float = param(0.02, 0.0, 1.0, "slack in the action level before a pledge "
                                    "counts as broken", hi_open=True)
    prior_good: float = param(0.6, 0.0, 100.0, "prior pseudo-count of good evidence in each stock "
                              "(does not fade; with prior_bad, at most a year of evidence)",
                              lo_open=True)
    prior_bad: float = param(0.4, 0.0, 100.0, "prior pseudo-count of bad evidence in each stock "
                             "(does not fade)", lo_open=True)


@dataclass(frozen=True)
class DecisionConfig:
    """The ally decision (sim/rules/decisions.py)."""

    value: float = param(1.0, 0.0, 10.0, "value of a working mission at full perceived threat")
    member_cost: float = param(0.02, 0.0, 1.0, "cost of membership alone (before cost sensitivity)")
    grievance_weight: float = param(0.5, 0.0, 10.0, "weight of grievance in the membership utility")
    peer_weight: float = param(0.1, 0.0, 10.0, "pull of network neighbours that are members")
    noise_scale: float = param(0.02, 0.0, 1.0, "scale of the month-to-month logistic noise in the "
                               "utility (news, a debate, a cabinet's mood)")
    taste_scale: float = param(0.05, 0.0, 1.0, "scale of each ally's lasting taste for each mission "
                               "(logistic, drawn once): heterogeneity that does not flicker")
    publicness: float = param(0.4, 0.0, 1.0, "share of a working mission's value an ally gets "
                              "whether or not it takes part (0: a club good; 1: a pure public good, "
                              "Olson & Zeckhauser 1966); declared, swept")
    reentry_cost: float = param(0.1, 0.0, 10.0, "extra utility a former member needs to rejoin a "
                                "mission it left (redeployment, political cost); declared, swept")
    min_absence: int = param(6, 0, 120, "months a government that left a mission stays out at "
                             "least (force generation and a new mandate); declared, swept",
                             unit="months")
    min_tenure: int = param(6, 0, 120, "months a government that joins a mission stays at least "
                            "(a rotation), unless an election, a scripted exit or the mission's end "
                            "takes it out; declared, swept", unit="months")
    exit_delay: int = param(3, 1, 24, "consecutive months its utility must stay below what staying "
                            "needs before a government leaves (a lasting cause, not one month's "
                            "mood); declared, swept", unit="months")
    renewal_hurdle: float = param(0.5, 0.0, 1.0, "at a mandate's renewal, how far what a member "
                                  "needs to extend moves from the leave threshold (0) to the join "
                                  "threshold (1); declared, swept")
    tie_weight: float = param(0.5, 0.0, 1.0, "weight of tied partners' exits (network neighbours: "
                              "bilateral ties, shared units, blocs) in the departed share an ally "
                              "reads, against the coalition-wide share")
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
    trust_weight: float = param(0.3, 0.0, 1.0, "how far doubt about the lead's record (1 - trust) "
                                "becomes expected absence (not identified by data yet: swept)")
    reversal_risk: float = param(0.5, 0.0, 1.0, "chance that a new administration reverses a "
                                 "commitment, discounted by country trust (durability)")
    success_weight: float = param(1.0, 0.0, 1.0, "weight of the lead's expected presence in the "
                                  "mission's expected success (0: allies expect the "
                                  "success the mission would have without the lead)")


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
    building_cost: float = param(0.05, 0.0, 1.0, "cost of capacity building: troop-equivalents per "
                                 "month at full effort, as a share of each stabilisation mission's "
                                 "required force (declared, not sourced: swept)")
    consult_cost: float = param(2.0, 0.0, 1000.0, "cost of consulting one ally for a month, in "
                                "troop-equivalents (declared, not sourced: swept)")
    pledge_cost: float = param(0.01, 0.0, 1.0, "cost of a pledge in force for a month (options "
                                "forgone), as a share of the mission's required force in "
                                "troop-equivalents (declared, not sourced: swept)")
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
class MechanismsConfig:
    """Ablation switches: 1 keeps a mechanism, 0 removes it (values in between scale it).

    Each multiplies one term of the rules, so a sweep can switch mechanisms per run and measure
    what each does (the ablation table of ``python -m sim.validate``)."""

    trust: float = param(1.0, 0.0, 1.0, "trust updating: 0 freezes every ally's trust, leader and "
                         "country, at its initial value (no evidence, no stance at a change)")
    honesty: float = param(1.0, 0.0, 1.0, "the honesty belief pricing announcements: 0 makes "
                           "every announcement worth nothing and reversals cost no honesty")
    cascade: float = param(1.0, 0.0, 1.0, "Granovetter exit cascades on the departed share")
    elections: float = param(1.0, 0.0, 1.0, "election exits (Tago 2009)")
    consultation: float = param(1.0, 0.0, 1.0, "consultation: its good evidence, the extra bad "
                                "evidence of an unconsulted cut, and converging threat perceptions")
    spillover: float = param(1.0, 0.0, 1.0, "what allies learn from missions they are not in "
                             "(outsiders' observation, neighbours, abandoned partners)")
    peers: float = param(1.0, 0.0, 1.0, "the pull of network neighbours that are members")
    expectations: float = param(1.0, 0.0, 1.0, "expectations that look ahead: 0 is myopic "
                                "(allies read only the lead's current action)")
    plan: float = param(1.0, 0.0, 1.0, "the policy's own schedule (a handover's cuts) read by "
                        "allies as announced: 0 hides it (they see each cut when it comes)")
    commitment: float = param(1.0, 0.0, 1.0, "decisions as commitments: the re-entry cost, the "
                              "minimum absence and election exits that last a term (0: an ally "
                              "may rejoin the next month at no cost)")
    public_good: float = param(1.0, 0.0, 1.0, "success as a public good (decision.publicness): 0 "
                               "makes it a club good for members only")
    substitution: float = param(1.0, 0.0, 1.0, "substituters who fill the gap others leave (0: "
                                "every reaction function slopes upward or is flat)")
    ties: float = param(1.0, 0.0, 1.0, "exits of tied partners weigh more than strangers' (0: "
                        "only the coalition-wide departed share)")
    support: float = param(1.0, 0.0, 1.0, "a mission backed by another gets riskier when that one "
                           "ends (missions.<m>.support_risk; 0: no mission backs another)")


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
    conditionality: float = param(0.0, 0.0, 1.0, "how far the lead ties its own presence to "
                                  "allies meeting its demand (leverage): a demand then moves even "
                                  "allies that doubt the lead")
    pledge_horizon: int = param(12, 0, 1200, "months covered by the pledges it announces "
                                "(0: no pledges)")
    p_impulse: float = param(0.0, 0.0, 1.0, "probability per month and mission of announcing an "
                             "abrupt withdrawal")
    impulse_notice: int = param(1, 0, 120, "months between an impulsive announcement and its "
                                "execution")
    p_carry_out: float = param(0.5, 0.0, 1.0, "probability an impulsive announcement is carried out")
    p_return: float = param(0.05, 0.0, 1.0, "probability per month of coming back after an "
                            "impulsive withdrawal")
    stance: float = param(0.8, 0.0, 1.0, "the administration's declared stance toward its allies "
                          "when it takes office (1: 'America is back'; 0: 'America First')")


# --------------------------------------------------------------------------------------------------
# Scenario (data)
# --------------------------------------------------------------------------------------------------

@dataclass  # not frozen: OmegaConf makes dict values of frozen classes read-only
class AllySpec:
    """A named ally in a scenario roster (keyed by its name). ``capacity`` and one of ``force`` or
    ``troops`` are required; any other attribute left out (None) is drawn from the scenario's
    distributions.

    ``troops`` gives known contingents per mission (personnel): the ally can then serve only in
    those missions, and the model derives its deployable force in each from the contingent (the
    contingent is what it sends at ``allies.contingent_effort``). ``available_from`` (``YYYY-MM``
    or a step) holds the ally out of every mission until then (a late arrival)."""

    force: Optional[float] = param(None, 0.0, 1e8, "deployable personnel (required unless troops "
                                   "are given)", unit="personnel")
    capacity: float = param(-1.0, 0.0, 1.0, "military capacity (required)")
    threat: Optional[float] = param(None, 0.0, 1.0, "threat perception in every mission")
    threat_by_mission: dict[str, float] = field(default_factory=dict)
    interest: dict[str, float] = field(default_factory=dict)
    cost_sensitivity: Optional[float] = param(None, 0.0, 100.0, "cost sensitivity")
    exit_threshold: Optional[float] = param(None, 0.0, 1.0, "Granovetter exit threshold")
    opposition: Optional[float] = param(None, 0.0, 1.0, "domestic opposition")
    election_period: Optional[int] = param(None, 1, 1200, "months between national elections",
                                           unit="months")
    election_phase: Optional[int] = param(None, 0, 1199, "month of the first election",
                                          unit="months")
    cooperation_slope: Optional[float] = param(None, 0.0, 1.5, "conditional-cooperation slope")
    substitution: Optional[float] = param(None, 0.0, 2.0, "substitution: effort added per unit of "
                                          "the gap the others leave, at full threat perception")
    troops: dict[str, float] = field(default_factory=dict)
    available_from: Any = None
    fear: Optional[float] = param(None, -1.0, 1.0, "fear of abandonment (> 0) or entrapment (< 0)")
    horizon: Optional[int] = param(None, 1, 120, "decision horizon (months)", unit="months")
    trust_prior: Optional[float] = param(None, 0.0, 1.0, "prior trust in the lead",
                                         lo_open=True, hi_open=True)
    sensitivity: Optional[float] = param(None, 0.0, 10.0, "weight it gives the evidence it sees")
    memory: Optional[float] = param(None, 0.1, 10.0, "memory (1: the trust rates; 2: evidence "
                                    "lasts twice as long)")
    exposure: Optional[float] = param(None, 0.0, 10.0, "exposure to what the administration says")


@dataclass(frozen=True)
class Arrival:
    """``n`` generated allies that become available (may join) evenly over the months up to
    ``until`` (a step or ``YYYY-MM``), after the previous arrival's ``until`` (or the start)."""

    until: Any = None
    n: int = 0


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
    horizon_min: int = param(12, 1, 120, "shortest decision horizon: months over which an ally "
                             "weighs the lead's expected presence", unit="months")
    horizon_max: int = param(36, 1, 120, "longest decision horizon", unit="months")
    trust_prior_min: float = param(0.5, 0.0, 1.0, "lowest prior trust in the lead (before any "
                                   "evidence)", lo_open=True, hi_open=True)
    trust_prior_max: float = param(0.7, 0.0, 1.0, "highest prior trust in the lead",
                                   lo_open=True, hi_open=True)
    sensitivity_min: float = param(0.5, 0.0, 10.0, "lowest sensitivity: weight an ally gives "
                                   "the evidence it sees")
    sensitivity_max: float = param(1.5, 0.0, 10.0, "highest sensitivity")
    memory_min: float = param(0.5, 0.1, 10.0, "shortest memory: forgetting factors lambda ** (1 / "
                              "memory); 1: the trust rates, 2: evidence lasts twice as long")
    memory_max: float = param(1.5, 0.1, 10.0, "longest memory")
    exposure_min: float = param(0.5, 0.0, 10.0, "least exposure to what the administration says "
                                "(its stance)")
    exposure_max: float = param(1.5, 0.0, 10.0, "most exposure to what the administration says")
    p_free_rider: float = param(0.3, 0.0, 1.0, "share of free riders (Fischbacher et al. 2001)")
    p_substituter: float = param(0.15, 0.0, 1.0, "share of substituters among the rest: allies "
                                 "that fill the gap others leave (Olson & Zeckhauser 1966; "
                                 "declared, swept)")
    substitution_min: float = param(0.3, 0.0, 2.0, "lowest substitution of a substituter")
    substitution_max: float = param(0.8, 0.0, 2.0, "highest substitution of a substituter")
    contingent_effort: float = param(0.6, 0.0, 1.0, "effort at which a roster ally sends the "
                                     "contingent its 'troops' give", lo_open=True)
    cooperation_slope_min: float = param(0.6, 0.0, 1.5, "lowest slope of a conditional cooperator")
    cooperation_slope_max: float = param(0.95, 0.0, 1.5, "highest slope of a conditional cooperator")
    fear_min: float = param(-0.5, -1.0, 1.0, "lowest fear (< 0 fears entrapment)")
    fear_max: float = param(0.5, -1.0, 1.0, "highest fear (> 0 fears abandonment)")
    roster: dict[str, AllySpec] = field(default_factory=dict)
    arrivals: list[Arrival] = field(default_factory=list)


@dataclass  # not frozen: OmegaConf makes dict values of frozen classes read-only
class MissionSpec:
    """A mission (keyed by its name): its kind, needs, the lead's initial forces and the local
    partner. The numeric fields can vary per run in a sweep as ``missions.<mission>.<field>``."""

    kind: str = "stabilisation"
    required_force: float = param(20000.0, 0.0, 1e8, "personnel the mission needs",
                                  unit="personnel", lo_open=True)
    lead_troops: float = param(5000.0, 0.0, 1e8, "the lead's initial troops", unit="personnel")
    lead_enablers: float = param(1.0, 0.0, 1.0, "the lead's initial enabler coverage")
    risk: float = param(0.05, 0.0, 1.0, "casualty risk")
    threat: float = param(0.6, 0.0, 1.0, "initial threat")
    partner_force: float = param(10000.0, 0.0, 1e8, "the local partner's nominal force",
                                 unit="personnel")
    partner_capacity: float = param(0.3, 0.0, 1.0, "initial local partner capacity")
    partner_dependence: float = param(0.7, 0.0, 1.0, "initial dependence on the lead's enablers")
    mandate_end: Any = None
    renewal: Any = None
    renewal_period: int = param(0, 0, 1200, "months between renewal decisions after the first "
                                "(0: one renewal decision)", unit="months")
    successor: Optional[str] = None
    framework: Optional[str] = None
    # another mission whose forces back this one up (air cover, quick reaction, medical
    # evacuation); when it ends, this mission's casualty risk rises by support_risk
    support: Optional[str] = None
    support_risk: float = param(0.0, 0.0, 1.0, "casualty risk added when the mission backing this "
                                "one (support) ends")


@dataclass(frozen=True)
class NetworkConfig:
    """The alliance network: who watches whom."""

    kind: str = "small_world"
    k: int = 4
    p_rewire: float = 0.1
    seed: int = 0
    edges: list[list[str]] = field(default_factory=list)
    blocs: dict[str, list[str]] = field(default_factory=dict)


@dataclass(frozen=True)
class LeadConfig:
    """The lead nation's election calendar, and what allies think of the country at the start."""

    election_period: int = 48
    election_phase: int = 46
    # allies' trust in the lead country at the start, for a history that starts in mid-course
    # (a survey's favourable view of the country); -1: from the administration's stance alone
    country_trust: float = -1.0


@dataclass(frozen=True)
class AdministrationChange:
    step: Optional[int] = None
    date: Optional[str] = None
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
    """A scheduled event: ``kind``, then ``step`` (1..horizon) or ``date`` (``YYYY-MM``, needs
    ``scenario.start``), then the fields its kind takes (:data:`sim.core.events.EVENT_KINDS`).

    The fields after ``ally`` are typed ``Any`` on purpose: the event registry checks their types
    strictly (``troops: 30000`` is an error, not ``True``)."""

    kind: str = "???"
    step: Optional[int] = None
    date: Optional[str] = None
    mission: Optional[str] = None
    ally: Optional[str] = None
    fraction: Any = None
    level: Any = None
    horizon: Any = None
    consulted: Any = None
    notice: Any = None
    enablers: Any = None
    troops: Any = None
    size: Any = None
    policy: Optional[str] = None
    after: Any = None
    personnel: Any = None
    months: Any = None
    threat: Any = None
    opposition: Any = None
    cost: Any = None
    leave: Any = None
    risk: Any = None


@dataclass(frozen=True)
class ScenarioConfig:
    """A scenario is data: allies, missions, network, administrations and a timeline of events."""

    name: str = "???"
    description: str = ""
    horizon: int = 120
    start: Optional[str] = None
    allies: AlliesConfig = field(default_factory=AlliesConfig)
    missions: dict[str, MissionSpec] = field(default_factory=dict)
    network: NetworkConfig = field(default_factory=NetworkConfig)
    lead: LeadConfig = field(default_factory=LeadConfig)
    administrations: AdministrationsConfig = field(default_factory=AdministrationsConfig)
    events: list[EventSpec] = field(default_factory=list)
    add_events: list[EventSpec] = field(default_factory=list)


@dataclass(frozen=True)
class OutputConfig:
    """What a run writes."""

    trajectories: bool = True
    allies: bool = True
    # memberships.parquet (one row per step, mission and ally: member, troops, entry, exit,
    # expected presence of the lead, trust) and spells.parquet (one row per membership spell)
    memberships: bool = False
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
    mechanisms: MechanismsConfig = field(default_factory=MechanismsConfig)
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
    # false: submit the chunks and return (hydra/launcher=slurm only; docs/cluster.md)
    wait: bool = True


@dataclass(frozen=True)
class SweepRootConfig(RunConfig):
    """A sweep's configuration: the base run configuration plus ``sweep`` (see sim.experiments.design)."""

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
    "mechanisms": MechanismsConfig,
    "policy": PolicyConfig,
    "scenario.allies": AlliesConfig,
}


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


