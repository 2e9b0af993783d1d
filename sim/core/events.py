"""The event-kind registry: per kind, its fields, its validation and its effect on the state.

A scenario's timeline is a list of events (``configs/scenario/*.yaml``, ``events:``). Each kind is
declared once here, with the fields it requires and allows and a function that applies it to a
:class:`~sim.core.state.State` (all runs alike). Scenario validation (:mod:`sim.config.checks`),
both drivers, the explorer's injected events and the docs read this one registry.

Effects act in phase 1 of the month they are dated: they change the lead's withdrawn shares or
pledges, open or close missions, and set the month's flags (:class:`~sim.core.state.Month`) that
the later phases read (evidence, elections, administrations, attacks).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

import numpy as np

from sim.errors import ConfigError
from sim.rules import events as evr

__all__ = ["Event", "EventKind", "EVENT_KINDS", "EVENT_FIELDS", "apply_event", "check_event",
           "execute_due_withdrawals"]


@dataclass(frozen=True)
class Event:
    """A compiled scenario event: indices instead of names, every field filled."""

    step: int
    kind: str
    mission: int = -1
    ally: int = -1
    fraction: float = 1.0
    level: float = 0.0
    horizon: int = 0
    consulted: bool = False
    notice: bool = False
    enablers: bool = True
    troops: bool = True
    size: float = 0.0
    policy: int = -1
    after: int = 0
    personnel: float = 0.0
    months: int = -1
    threat: float = 0.0
    opposition: float = 0.0
    cost: float = 0.0
    leave: bool = True
    risk: float = 0.0
    label: str = ""


# Fields an event may carry: (type, allowed range or None, meaning). Names and dates are checked
# against the scenario.
EVENT_FIELDS: dict[str, tuple[type, tuple[float, float] | None, str]] = {
    "mission": (str, None, "the mission's name"),
    "ally": (str, None, "the ally's name"),
    "fraction": (float, (0.0, 1.0), "share of what is left that is withdrawn or redeployed"),
    "level": (float, (0.0, 1.0), "action level pledged"),
    "horizon": (int, (1, 1200), "months the pledge covers"),
    "consulted": (bool, None, "allies were consulted"),
    "notice": (bool, None, "allies had advance notice"),
    "enablers": (bool, None, "the move concerns the lead's enablers"),
    "troops": (bool, None, "the move concerns the lead's troops"),
    "size": (float, (0.0, 100.0), "size of the domestic shock (bad evidence, before w-)"),
    "policy": (str, None, "the policy the new administration brings"),
    "after": (int, (1, 1200), "months from the announcement to the withdrawal"),
    "personnel": (float, (0.0, 1e8), "the lead's troops in the mission from now on (personnel; "
                  "above the start: a surge)"),
    "months": (int, (0, 1200), "months the ally stays out at least (default: "
               "decision.min_absence)"),
    "threat": (float, (-1.0, 1.0), "change in the ally's threat perception (every mission)"),
    "opposition": (float, (-1.0, 1.0), "change in the ally's domestic opposition"),
    "cost": (float, (-10.0, 10.0), "change in the ally's cost sensitivity"),
    "leave": (bool, None, "the lead also leaves the theatre (troops and enablers withdrawn)"),
    "risk": (float, (-1.0, 1.0), "change in the mission's casualty risk"),
}


def _withdrawal(s, ev, step):
    j, lead, mo = ev.mission, s.lead, s.month
    lead.prev_cut_troops[:, j] = lead.cut_troops[:, j]
    lead.prev_cut_enablers[:, j] = lead.cut_enablers[:, j]
    if ev.troops:
        lead.cut_troops[:, j] = evr.withdraw(lead.cut_troops[:, j], ev.fraction)
    if ev.enablers:
        lead.cut_enablers[:, j] = evr.withdraw(lead.cut_enablers[:, j], ev.fraction)
    mo.unconsulted[:, j] |= not ev.consulted
    mo.no_notice[:, j] |= not ev.notice


def _announce_withdrawal(s, ev, step):
    """A withdrawal announced now, to take effect ``after`` months on (phase 1 of that month)."""
    j, lead = ev.mission, s.lead
    lead.plan_due[:, j] = step + ev.after
    lead.plan_fraction[:, j] = ev.fraction
    lead.plan_troops[:, j] = ev.troops
    lead.plan_enablers[:, j] = ev.enablers
    lead.plan_consulted[:, j] = ev.consulted
    s.month.announced[:, j] += ev.fraction


def _cancel_withdrawal(s, ev, step):
    """An announced withdrawal called off before its date: a reversal of the lead's word."""
    j, lead = ev.mission, s.lead
    pending = lead.plan_due[:, j] > step
    lead.plan_due[:, j] = np.where(pending, -1, lead.plan_due[:, j])
    s.month.reversed[:, j] |= pending


def execute_due_withdrawals(state, step: int) -> None:
    """Phase 1: announced withdrawals whose date has come take effect (with notice; consulted as
    announced)."""
    lead, mo = state.lead, state.month
    due = lead.plan_due == step
    if not due.any():
        return
    lead.prev_cut_troops = np.where(due, lead.cut_troops, lead.prev_cut_troops)
    lead.prev_cut_enablers = np.where(due, lead.cut_enablers, lead.prev_cut_enablers)
    lead.cut_troops = np.where(due & lead.plan_troops,
                               evr.withdraw(lead.cut_troops, lead.plan_fraction), lead.cut_troops)
    lead.cut_enablers = np.where(due & lead.plan_enablers,
                                 evr.withdraw(lead.cut_enablers, lead.plan_fraction),
                                 lead.cut_enablers)
    mo.unconsulted |= due & np.logical_not(lead.plan_consulted)
    lead.plan_due = np.where(due, -1, lead.plan_due)
    # an act announced in advance supersedes the pledge in force: it breaks no pledge
    lead.pledge_level = np.where(due, 0.0, lead.pledge_level)
    lead.pledge_until = np.where(due, -1, lead.pledge_until)


def _deployment(s, ev, step):
    j, lead = ev.mission, s.lead
    if ev.troops:
        lead.cut_troops[:, j] = evr.deploy(lead.cut_troops[:, j], ev.fraction)
    if ev.enablers:
        lead.cut_enablers[:, j] = evr.deploy(lead.cut_enablers[:, j], ev.fraction)


def _reversal(s, ev, step):
    j, lead = ev.mission, s.lead
    lead.cut_troops[:, j] = lead.prev_cut_troops[:, j]
    lead.cut_enablers[:, j] = lead.prev_cut_enablers[:, j]
    s.month.reversed[:, j] = True


def _abandon_partner(s, ev, step):
    """The lead cuts a share ``fraction`` of its support for the local partner (capacity building
    and enabler cover); with ``leave`` it also leaves the theatre. Unconsulted and without notice
    unless the event says otherwise."""
    j, lead, mo = ev.mission, s.lead, s.month
    cut = ev.fraction * lead.partner_support[:, j]
    lead.partner_support[:, j] = lead.partner_support[:, j] - cut
    mo.abandoned[:, j] += cut
    if ev.leave:
        lead.prev_cut_troops[:, j] = lead.cut_troops[:, j]
        lead.prev_cut_enablers[:, j] = lead.cut_enablers[:, j]
        lead.cut_troops[:, j] = 1.0
        lead.cut_enablers[:, j] = 1.0
        mo.unconsulted[:, j] |= not ev.consulted
        mo.no_notice[:, j] |= not ev.notice


def _support_partner(s, ev, step):
    """The lead restores a share ``fraction`` of the support for the local partner it had cut."""
    j, lead = ev.mission, s.lead
    lead.partner_support[:, j] = lead.partner_support[:, j] + ev.fraction * (
        1.0 - lead.partner_support[:, j])


def _lead_troops(s, ev, step):
    """The lead sets its troops in a mission to ``personnel`` (a surge above the start, or a
    drawdown below it); a drawdown is observed like a withdrawal (consulted, notice as given)."""
    j, lead, mo = ev.mission, s.lead, s.month
    t0 = lead.troops0[:, j]
    had = t0 > 0.0
    lead.troops0[:, j] = np.where(had, t0, ev.personnel)   # a mission the lead had no troops in
    lead.prev_cut_troops[:, j] = lead.cut_troops[:, j]
    lead.cut_troops[:, j] = 0.0
    lead.troop_scale[:, j] = np.where(had, ev.personnel / np.where(had, t0, 1.0), 1.0)
    mo.unconsulted[:, j] |= not ev.consulted
    mo.no_notice[:, j] |= not ev.notice


def _missions_of(s, ev):
    return slice(None) if ev.mission < 0 else slice(ev.mission, ev.mission + 1)


def _ally_exit(s, ev, step):
    """A scripted exit of an ally (from one mission, or every mission): it stays out ``months``
    (default: ``decision.min_absence``, applied by the decide phase)."""
    js, i, a = _missions_of(s, ev), ev.ally, s.allies
    s.month.forced_out[:, js, i] = True
    if ev.months >= 0:
        a.held_until[:, js, i] = np.maximum(a.held_until[:, js, i], step + ev.months)


def _ally_entry(s, ev, step):
    """A scripted entry (or late arrival) of an ally into a mission: it joins this month, whatever
    its utility, and decides for itself from then on."""
    s.month.forced_in[:, ev.mission, ev.ally] = True
    s.allies.absent_until[:, ev.mission, ev.ally] = -1
    s.allies.held_until[:, ev.mission, ev.ally] = -1


def _home_attack(s, ev, step):
    """An attack at home on an ally: its threat perception rises by ``threat`` of the way to 1 in
    every mission, and so does the outlook it drifts back to (the attack changes its view of the
    threat, not only this month's)."""
    i, a = ev.ally, s.allies
    jump = ev.threat
    a.perception[:, :, i] = a.perception[:, :, i] + jump * (1.0 - a.perception[:, :, i])
    a.baseline[:, :, i] = a.baseline[:, :, i] + jump * (1.0 - a.baseline[:, :, i])


def _mission_shock(s, ev, step):
    """A change in a mission's conditions: its casualty risk (a hostile host, an adversary's
    surge) and its threat, clipped to [0, 1]."""
    j, ms = ev.mission, s.missions
    ms.risk[:, j] = np.clip(ms.risk[:, j] + ev.risk, 0.0, 1.0)
    ms.threat[:, j] = np.clip(ms.threat[:, j] + ev.threat, 0.0, 1.0)


def _ally_shock(s, ev, step):
    """A shock to one ally: changes in its threat perception (and outlook), domestic opposition and
    cost sensitivity, clipped to their ranges."""
    i, a = ev.ally, s.allies
    a.perception[:, :, i] = np.clip(a.perception[:, :, i] + ev.threat, 0.0, 1.0)
    a.baseline[:, :, i] = np.clip(a.baseline[:, :, i] + ev.threat, 0.0, 1.0)
    a.opposition[:, :, i] = np.clip(a.opposition[:, :, i] + ev.opposition, 0.0, 1.0)
    a.cost_sensitivity[:, :, i] = np.maximum(a.cost_sensitivity[:, :, i] + ev.cost, 0.0)


def _announcement(s, ev, step):
    j = ev.mission
    s.lead.pledge_level[:, j] = ev.level
    s.lead.pledge_until[:, j] = step + ev.horizon - 1
    s.month.pledged[:, j] += ev.level


def _mandate_expiry(s, ev, step):
    j = ev.mission
    s.month.ended[:, j] |= s.missions.active[:, j]
    s.missions.active[:, j] = False


def _mission_start(s, ev, step):
    s.missions.active[:, ev.mission] = True


def _domestic_shock(s, ev, step):
    s.month.shock += ev.size


def _attack(s, ev, step):
    s.month.attack[:, ev.mission, ev.ally] = True


def _election(s, ev, step):
    if ev.ally >= 0:
        s.month.election[:, 0, ev.ally] = True
    else:
        s.month.lead_election[...] = True


def _administration(s, ev, step):
    s.month.admin_policy[...] = ev.policy


@dataclass(frozen=True)
class EventKind:
    """One kind of scenario event."""

    name: str
    doc: str
    required: tuple[str, ...]
    optional: tuple[str, ...]
    effect: Callable[..., None]
    defaults: tuple[tuple[str, object], ...] = ()


EVENT_KINDS: dict[str, EventKind] = {k.name: k for k in (
    EventKind("announcement", "the lead pledges an action level for a number of months",
              ("mission", "level", "horizon"), (), _announcement),
    EventKind("withdrawal", "the lead withdraws a share of its troops and/or enablers",
              ("mission",), ("fraction", "consulted", "notice", "enablers", "troops"),
              _withdrawal),
    EventKind("announce_withdrawal", "the lead announces a withdrawal of a share of its troops "
              "and/or enablers, to take effect `after` months on",
              ("mission", "after"), ("fraction", "consulted", "enablers", "troops"),
              _announce_withdrawal),
    EventKind("cancel_withdrawal", "the lead calls off an announced withdrawal before its date "
              "(a reversal of its word)", ("mission",), (), _cancel_withdrawal),
    EventKind("deployment", "the lead redeploys a share of what it had withdrawn",
              ("mission",), ("fraction", "enablers", "troops"), _deployment),
    EventKind("reversal", "the lead undoes its last withdrawal (a broken word)",
              ("mission",), (), _reversal),
    EventKind("abandon_partner", "the lead cuts a share (`fraction`, default all) of its "
              "support for the local partner (bad evidence for every ally); with `leave` "
              "(default true) it also leaves the theatre, unconsulted and without notice unless "
              "said", ("mission",), ("fraction", "leave", "consulted", "notice"),
              _abandon_partner),
    EventKind("support_partner", "the lead restores a share (`fraction`) of the support for the "
              "local partner it had cut", ("mission",), ("fraction",), _support_partner),
    EventKind("lead_troops", "the lead sets its troops in a mission to `personnel` (a surge "
              "above the start or a drawdown below it)", ("mission", "personnel"),
              ("consulted", "notice"), _lead_troops, (("consulted", True), ("notice", True))),
    EventKind("ally_exit", "a named ally leaves a mission (every mission if none given) and stays "
              "out at least `months`", ("ally",), ("mission", "months"), _ally_exit),
    EventKind("ally_entry", "a named ally joins a mission now (an entry or a late arrival)",
              ("ally", "mission"), (), _ally_entry),
    EventKind("home_attack", "an attack at home on a named ally: its threat perception rises by "
              "`threat` of the way to 1 (default 0.3) in every mission", ("ally",), ("threat",),
              _home_attack, (("threat", 0.3),)),
    EventKind("mission_shock", "a change in a mission's casualty risk (a hostile host, an "
              "adversary's surge) and threat", ("mission",), ("risk", "threat"), _mission_shock),
    EventKind("ally_shock", "a shock to a named ally's threat perception, domestic opposition or "
              "cost sensitivity (changes, clipped to their ranges)", ("ally",),
              ("threat", "opposition", "cost"), _ally_shock),
    EventKind("election", "an election in an ally (ally given) or in the lead", (), ("ally",),
              _election),
    EventKind("administration", "a new administration takes office with the given policy",
              ("policy",), (), _administration),
    EventKind("domestic_shock", "a shock to the lead country's image (country trust only)",
              ("size",), (), _domestic_shock),
    EventKind("attack", "an attack on an ally in a mission", ("ally", "mission"), (), _attack),
    EventKind("mandate_expiry", "the mission's mandate ends for everyone", ("mission",), (),
              _mandate_expiry),
    EventKind("mission_start", "the mission opens (it is closed until then)", ("mission",), (),
              _mission_start),
)}


def apply_event(state, ev: Event, step: int) -> None:
    """Apply one compiled event to every run of ``state`` (phase 1 of month ``step``)."""
    EVENT_KINDS[ev.kind].effect(state, ev, step)


def check_event(ev, path: str, *, missions, allies, policies) -> None:
    """Check one scenario event's fields (kind, required and allowed fields, types, ranges, names).

    ``ev`` is a scenario ``EventSpec``; ``missions``/``allies``/``policies`` the known names.
    Raises :class:`~sim.errors.ConfigError` naming the event, the field and what is allowed.
    """
    if ev.kind not in EVENT_KINDS:
        raise ConfigError(f"{path}.kind={ev.kind!r} is not an event kind "
                          f"(known: {', '.join(EVENT_KINDS)})")
    kind = EVENT_KINDS[ev.kind]
    path = f"{path} ({ev.kind})"
    takes = kind.required + kind.optional
    for name, (typ, bounds, doc) in EVENT_FIELDS.items():
        value = getattr(ev, name)
        if value is None:
            if name in kind.required:
                raise ConfigError(f"{path}: '{name}' is required for a {ev.kind} event ({doc})")
            continue
        if name not in takes:
            raise ConfigError(f"{path}: '{name}' does not apply to a {ev.kind} event "
                              f"(it takes {', '.join(takes) or 'nothing'})")
        if typ is bool and not isinstance(value, bool):
            raise ConfigError(f"{path}.{name}={value!r} must be true or false ({doc})")
        if typ in (int, float):
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise ConfigError(f"{path}.{name}={value!r} must be a number ({doc})")
            if typ is int and value != int(value):
                raise ConfigError(f"{path}.{name}={value!r} must be a whole number ({doc})")
            lo, hi = bounds
            if not (math.isfinite(value) and lo <= value <= hi):
                raise ConfigError(f"{path}.{name}={value!r} is out of range: allowed "
                                  f"[{lo:g}, {hi:g}] ({doc})")
    if ev.kind == "domestic_shock" and ev.size == 0:
        raise ConfigError(f"{path}.size=0: a domestic shock needs a size > 0")
    if ev.kind == "ally_shock" and not any(getattr(ev, k) for k in ("threat", "opposition",
                                                                     "cost")):
        raise ConfigError(f"{path}: an ally_shock needs a nonzero threat, opposition or cost")
    if ev.kind == "mission_shock" and not any(getattr(ev, k) for k in ("risk", "threat")):
        raise ConfigError(f"{path}: a mission_shock needs a nonzero risk or threat")
    for name, known in (("mission", missions), ("ally", allies), ("policy", policies)):
        value = getattr(ev, name)
        if value is not None and value not in known:
            listed = ", ".join(list(known)[:12]) + (", ..." if len(known) > 12 else "")
            raise ConfigError(f"{path}: unknown {name} {value!r} (known: {listed})")


def event_defaults(kind: str | None = None) -> dict[str, object]:
    """The value each field takes when an event (of ``kind``) leaves it out."""
    out = {"fraction": 1.0, "consulted": False, "notice": False, "enablers": True,
           "troops": True, "size": 0.0, "level": 0.0, "horizon": 0, "after": 0,
           "personnel": 0.0, "months": -1, "threat": 0.0, "opposition": 0.0, "cost": 0.0,
           "leave": True, "risk": 0.0}
    if kind in EVENT_KINDS:
        out.update(dict(EVENT_KINDS[kind].defaults))
    return out
