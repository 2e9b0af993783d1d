"""The model's typed state: arrays for R runs at once, laid out ``(run, mission, ally)``.

Every field is a numpy array whose shape is one of

* ``A = (R, 1, N)``: one value per run and ally;
* ``AM = (R, M, N)``: per run, mission and ally;
* ``M = (R, M, 1)``: per run and mission (the lead's and the missions' values);
* ``RUN = (R, 1, 1)``: per run;

so that every rule broadcasts over runs, missions and allies alike. The ensemble holds a state with
R runs; the Mesa model holds one with R = 1 and its agents read and write their own slice of it.
Each field's metadata gives its shape, unit and meaning (:func:`describe` lists them, and
``docs/ODD.md`` renders that list).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

import numpy as np

__all__ = ["Allies", "Lead", "Missions", "Month", "State", "describe"]


def var(shape: str, unit: str, doc: str):
    """A state variable: its shape (``A``, ``AM``, ``M``, ``RUN``, ``R``), unit and meaning."""
    return field(metadata={"shape": shape, "unit": unit, "doc": doc})


@dataclass(eq=False)
class Allies:
    """The allies: attributes drawn at the start, trust stocks, and their place in each mission."""

    force: np.ndarray = var("A", "personnel", "deployable force")
    weight: np.ndarray = var("A", "share", "force as a share of the coalition's total force")
    capacity: np.ndarray = var("A", "[0, 1]", "military capacity: ability to fight without the "
                               "lead's enablers")
    cost_sensitivity: np.ndarray = var("A", "1", "weight of the cost of contributing")
    exit_threshold: np.ndarray = var("A", "[0, 1]", "departed share above which it leaves "
                                     "(Granovetter)")
    opposition: np.ndarray = var("A", "[0, 1]", "domestic opposition to the missions")
    slope: np.ndarray = var("A", "1", "conditional-cooperation slope (0: free rider)")
    substitution: np.ndarray = var("A", "1", "substitution: effort added per unit of the gap the "
                                   "others leave, at full threat perception (0: none)")
    fear: np.ndarray = var("A", "[-1, 1]", "fear of abandonment (> 0) or entrapment (< 0)")
    election_period: np.ndarray = var("A", "months", "months between national elections (int)")
    election_phase: np.ndarray = var("A", "months", "month of the first election (int)")
    horizon: np.ndarray = var("A", "months", "decision horizon: months over which it weighs the "
                              "lead's expected presence (int)")
    trust_prior: np.ndarray = var("A", "(0, 1)", "prior trust in the lead before any evidence")
    sensitivity: np.ndarray = var("A", ">= 0", "weight it gives the evidence it sees")
    memory: np.ndarray = var("A", "> 0", "memory: its forgetting factors are lambda ** (1 / memory) "
                             "(2: evidence lasts twice as long)")
    exposure: np.ndarray = var("A", ">= 0", "exposure to what the administration says")
    perception: np.ndarray = var("AM", "[0, 1]", "perceived threat of each mission's adversary")
    baseline: np.ndarray = var("AM", "[0, 1]", "initial threat perception (drift anchor)")
    interest: np.ndarray = var("AM", "[0, 1]", "private interest in each mission")
    reach: np.ndarray = var("AM", "personnel", "deployable force for each mission (its force, or "
                            "what its known contingent implies; 0: it cannot serve there)")
    mission_weight: np.ndarray = var("AM", "share", "its contingent in each mission (its reach "
                                     "where none is given) as a share of all allies' (its weight "
                                     "in that mission's departed share)")
    taste: np.ndarray = var("AM", "utility", "lasting taste for each mission (drawn once)")
    left_at: np.ndarray = var("AM", "step", "step it last left each mission (-1: never)")
    absent_until: np.ndarray = var("AM", "step", "last step it stays out of each mission by its "
                                   "own commitment (a minimum absence, a term; -1: free to join)")
    held_until: np.ndarray = var("AM", "step", "last step the scenario holds it out of each mission "
                                 "(a late arrival, a scripted exit; -1: free to join)")
    joined_at: np.ndarray = var("AM", "step", "step it last joined each mission (-1: never)")
    below: np.ndarray = var("AM", "months", "consecutive months its utility has been below what "
                            "staying needs")
    left_forced: np.ndarray = var("AM", "bool", "its last exit from each mission was scripted")
    r_leader: np.ndarray = var("A", "evidence", "good evidence about the current administration")
    s_leader: np.ndarray = var("A", "evidence", "bad evidence about the current administration")
    r_country: np.ndarray = var("A", "evidence", "good evidence about the lead country")
    s_country: np.ndarray = var("A", "evidence", "bad evidence about the lead country")
    r_honesty: np.ndarray = var("A", "evidence", "kept promises")
    s_honesty: np.ndarray = var("A", "evidence", "broken promises and reversals")
    damage: np.ndarray = var("A", "[0, 1]", "reputation damage (caps combined trust)")
    trust_leader: np.ndarray = var("A", "[0, 1]", "trust in the current administration")
    trust_country: np.ndarray = var("A", "[0, 1]", "trust in the lead country")
    honesty: np.ndarray = var("A", "[0, 1]", "belief that the lead's promises are kept")
    trust: np.ndarray = var("A", "[0, 1]", "combined trust in the lead")
    grievance: np.ndarray = var("A", ">= 0", "grievance about burden sharing")
    stress: np.ndarray = var("A", ">= 0", "casualty stress")
    consulted: np.ndarray = var("A", "0/1", "consulted by the lead this month")
    expected: np.ndarray = var("AM", "[0, 1]", "expected presence of the lead in each mission "
                               "over its horizon")
    member: np.ndarray = var("AM", "bool", "member of each mission")
    was_member: np.ndarray = var("AM", "bool", "ever a member of each mission")
    effort: np.ndarray = var("AM", "[0, 1]", "share of its maximum contribution it sends")
    contribution: np.ndarray = var("AM", "personnel", "troops sent to each mission")


@dataclass(eq=False)
class Lead:
    """The lead nation: its forces and enablers per mission, pledges, plans and administration."""

    troops0: np.ndarray = var("M", "personnel", "troops at the start (the plan's reference)")
    enablers0: np.ndarray = var("M", "coverage", "enabler coverage at the start")
    troops: np.ndarray = var("M", "personnel", "troops deployed")
    enablers: np.ndarray = var("M", "[0, 1]", "enabler coverage (share of the mission's need)")
    level: np.ndarray = var("M", "[0, 1]", "action level: weighted troops and enablers against "
                            "the start")
    level_ref: np.ndarray = var("M", "[0, 1]", "action level at full strength")
    cut_troops: np.ndarray = var("M", "share", "troops withdrawn by scenario events")
    cut_enablers: np.ndarray = var("M", "share", "enablers withdrawn by scenario events")
    prev_cut_troops: np.ndarray = var("M", "share", "cut_troops before the last withdrawal")
    prev_cut_enablers: np.ndarray = var("M", "share", "cut_enablers before the last withdrawal")
    started: np.ndarray = var("M", "bool", "the handover (planned cuts) has begun")
    open_step: np.ndarray = var("M", "step", "step the handover began (-1: not begun)")
    pending: np.ndarray = var("M", "step", "step an announced impulsive withdrawal is due (-1)")
    impulse_out: np.ndarray = var("M", "0/1", "out after an impulsive withdrawal")
    pledge_level: np.ndarray = var("M", "[0, 1]", "action level pledged (0: no pledge)")
    pledge_until: np.ndarray = var("M", "step", "last step the pledge covers (-1: none)")
    cost_building: np.ndarray = var("M", "troop-eq.", "this month's cost of capacity building")
    cost_consulting: np.ndarray = var("RUN", "troop-eq.", "this month's cost of consultation")
    cost_pledges: np.ndarray = var("M", "troop-eq.", "this month's cost of the pledge in force")
    plan_due: np.ndarray = var("M", "step", "step an announced withdrawal takes effect (-1: none)")
    plan_fraction: np.ndarray = var("M", "share", "share of what is left it will withdraw")
    plan_troops: np.ndarray = var("M", "bool", "the announced withdrawal concerns troops")
    plan_enablers: np.ndarray = var("M", "bool", "the announced withdrawal concerns enablers")
    plan_consulted: np.ndarray = var("M", "bool", "allies were consulted about it")
    troop_scale: np.ndarray = var("M", "ratio", "troops the scenario sets, as a multiple of the "
                                  "starting troops (surges above 1, drawdowns below)")
    partner_support: np.ndarray = var("M", "[0, 1]", "the lead's support for the local partner "
                                      "(capacity building and enabler cover; 1: full)")
    admin_start: np.ndarray = var("RUN", "step", "step the administration took office")
    policy_index: np.ndarray = var("RUN", "index", "policy in force (row of the policy table)")
    reversals: np.ndarray = var("R", "count", "reversals so far")


@dataclass(eq=False)
class Missions:
    """The missions: their data, threat, effectiveness and local partner."""

    is_core: np.ndarray = var("M", "bool", "a core task (intelligence sharing), not stabilisation")
    required_force: np.ndarray = var("M", "personnel", "force the mission needs")
    risk: np.ndarray = var("M", "[0, 1]", "casualty risk")
    partner_force: np.ndarray = var("M", "personnel", "the local partner's nominal force")
    threat0: np.ndarray = var("M", "[0, 1]", "threat at the start")
    active: np.ndarray = var("M", "bool", "the mission is running")
    threat: np.ndarray = var("M", "[0, 1]", "threat level")
    partner_capacity: np.ndarray = var("M", "[0, 1]", "local partner capacity")
    partner_dependence: np.ndarray = var("M", "[0, 1]", "local partner's dependence on the lead's "
                                         "enablers")
    effectiveness: np.ndarray = var("M", "[0, 1]", "mission effectiveness")
    eff_without_lead: np.ndarray = var("M", "[0, 1]", "effectiveness were the lead to leave")
    troop_fraction: np.ndarray = var("M", "[0, 1]", "troops in place as a share of the need")
    enabler_fraction: np.ndarray = var("M", "[0, 1]", "enablers in place as a share of the need")
    ally_enablers: np.ndarray = var("M", ">= 0", "allies' own enabler supply (share of the need)")
    support_risk: np.ndarray = var("M", "[0, 1]", "casualty risk added when the mission backing it "
                                   "ends")


@dataclass(eq=False)
class Month:
    """What scenario events said about the coming month (cleared after every step)."""

    ended: np.ndarray = var("M", "bool", "the mission ended this month")
    reversed: np.ndarray = var("M", "bool", "a scenario reversal")
    abandoned: np.ndarray = var("M", "[0, 1]", "share of its support for the local partner the "
                                "lead cut this month")
    focal: np.ndarray = var("M", "bool", "a renewal decision: members decide afresh to extend")
    forced_in: np.ndarray = var("AM", "bool", "a scripted entry of an ally into a mission")
    forced_out: np.ndarray = var("AM", "bool", "a scripted exit of an ally from a mission")
    unconsulted: np.ndarray = var("M", "bool", "a withdrawal without consultation")
    no_notice: np.ndarray = var("M", "bool", "a withdrawal without notice")
    pledged: np.ndarray = var("M", "[0, 1]", "level of a scenario pledge announced")
    announced: np.ndarray = var("M", "[0, 1]", "size of a withdrawal announced for later (share "
                                "of the lead's presence)")
    shock: np.ndarray = var("RUN", ">= 0", "domestic shock to the lead's image")
    attack: np.ndarray = var("AM", "bool", "a scripted attack on an ally in a mission")
    election: np.ndarray = var("A", "bool", "a scripted election in an ally")
    lead_election: np.ndarray = var("RUN", "bool", "a scripted election of the lead")
    admin_policy: np.ndarray = var("RUN", "index", "policy a scripted administration brings "
                                   "(-1: none)")

    @classmethod
    def empty(cls, r: int, m: int, n: int) -> "Month":
        return cls(
            ended=np.zeros((r, m, 1), dtype=bool), reversed=np.zeros((r, m, 1), dtype=bool),
            abandoned=np.zeros((r, m, 1)), unconsulted=np.zeros((r, m, 1), dtype=bool),
            no_notice=np.zeros((r, m, 1), dtype=bool), pledged=np.zeros((r, m, 1)),
            announced=np.zeros((r, m, 1)), focal=np.zeros((r, m, 1), dtype=bool),
            forced_in=np.zeros((r, m, n), dtype=bool), forced_out=np.zeros((r, m, n), dtype=bool),
            shock=np.zeros((r, 1, 1)), attack=np.zeros((r, m, n), dtype=bool),
            election=np.zeros((r, 1, n), dtype=bool),
            lead_election=np.zeros((r, 1, 1), dtype=bool),
            admin_policy=np.full((r, 1, 1), -1, dtype=np.int64))


@dataclass(eq=False)
class State:
    """Everything that changes during a run, for R runs: ``step`` months have passed."""

    allies: Allies
    lead: Lead
    missions: Missions
    month: Month
    step: int = 0

    @property
    def shape(self) -> tuple[int, int, int]:
        """``(R, M, N)``."""
        return self.allies.member.shape

    def arrays(self) -> dict[str, np.ndarray]:
        """Every array, keyed ``group.field`` (for tests and inspection)."""
        out = {}
        for group in ("allies", "lead", "missions", "month"):
            obj = getattr(self, group)
            for f in dataclasses.fields(obj):
                out[f"{group}.{f.name}"] = getattr(obj, f.name)
        return out

    def run(self, k: int) -> "State":
        """Run ``k`` alone, as a state with R = 1 (copies)."""
        def take(obj):
            return type(obj)(**{f.name: np.array(getattr(obj, f.name)[k:k + 1])
                                for f in dataclasses.fields(obj)})
        return State(take(self.allies), take(self.lead), take(self.missions), take(self.month),
                     self.step)


def describe() -> list[dict[str, str]]:
    """Every state variable: group, name, shape, unit, meaning."""
    rows = []
    for cls in (Allies, Lead, Missions, Month):
        for f in dataclasses.fields(cls):
            rows.append({"group": cls.__name__, "name": f.name, **f.metadata})
    return rows
