"""Checks of a composed configuration before any work: declared ranges, then the scenario's
internal consistency. Each raises :class:`~sim.errors.ConfigError` on the first problem, with one
line naming the key, the value and what is allowed.
"""

from __future__ import annotations

import math
import re

from sim.config.options import policy_names
from sim.config.params import check_fields
from sim.config.schema import PolicyConfig, RunConfig, ScenarioConfig
from sim.core.events import check_event
from sim.errors import ConfigError

__all__ = ["check_config", "check_policy", "check_scenario", "check_params", "month_index",
           "event_step", "check_name", "step_of", "admin_step"]

_DATE = re.compile(r"^(\d{4})-(\d{2})$")
RULE_GROUPS = ("trust", "decision", "operations", "capacity", "grievance", "mechanisms")


def check_name(value, key: str) -> None:
    """A name that is joined to an output folder: not empty, no path separator, no ``..``."""
    text = str(value)
    if not text.strip() or any(c in text for c in "/\\\0") or ".." in text or text == ".":
        raise ConfigError(f"{key}={text!r}: a name becomes part of an output folder's path; "
                          "allowed: a non-empty name without '/', '\\' or '..' (letters, digits, "
                          "'_', '-', '.')")


def check_params(prefix: str, obj) -> None:
    """Every declared parameter of ``obj`` within its range (see :mod:`sim.config.params`)."""
    check_fields(prefix, obj)


def month_index(date: str, path: str) -> int:
    """Months since year 0 of a ``YYYY-MM`` date."""
    m = _DATE.match(str(date))
    if not m or not 1 <= int(m.group(2)) <= 12:
        raise ConfigError(f"{path}={date!r} is not a calendar month: write YYYY-MM, e.g. 2004-04")
    return int(m.group(1)) * 12 + int(m.group(2)) - 1


def event_step(scenario: ScenarioConfig, event, path: str) -> int:
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


def step_of(scenario: ScenarioConfig, value, path: str) -> int:
    """A scenario time given as a step (a whole number) or a ``YYYY-MM`` date (counted from
    ``scenario.start``: the start month is step 1)."""
    if isinstance(value, bool):
        raise ConfigError(f"{path}={value!r} must be a step (a whole number) or a date YYYY-MM")
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value == int(value):
        return int(value)
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value)
    if not isinstance(value, str):
        raise ConfigError(f"{path}={value!r} must be a step (a whole number) or a date YYYY-MM")
    if scenario.start is None:
        raise ConfigError(f"{path}={value!r} is a date and needs scenario.start (YYYY-MM) to count "
                          "months from")
    return month_index(value, path) - month_index(scenario.start, "scenario.start") + 1


def check_config(cfg: RunConfig) -> None:
    """Check ranges and the scenario's consistency."""
    for group in RULE_GROUPS:
        check_params(group, getattr(cfg, group))
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
    check_policy(cfg.policy, "policy")
    check_scenario(cfg.scenario)


def check_policy(p: PolicyConfig, path: str) -> None:
    check_params(path, p)
    if p.name not in policy_names():
        raise ConfigError(f"{path}.name={p.name!r} is not a registered policy "
                          f"(known: {', '.join(policy_names())})")


def check_scenario(s: ScenarioConfig) -> None:
    """The scenario's consistency: sizes, names, ranges, the network, administrations, events."""
    if s.name in ("???", ""):
        raise ConfigError("scenario.name is missing")
    check_name(s.name, "scenario.name")
    if not 1 <= s.horizon <= 12000:
        raise ConfigError(f"scenario.horizon={s.horizon} is out of range: allowed [1, 12000] months")
    if s.start is not None:
        month_index(s.start, "scenario.start")
    _check_allies(s)
    _check_missions(s)
    _check_network(s)
    _check_administrations(s)
    _check_events(s)


def ally_names(s: ScenarioConfig) -> list[str]:
    """The roster's names, then the generated allies' (``ally_0``, ``ally_1``, ...)."""
    return list(s.allies.roster) + [f"ally_{i}" for i in range(s.allies.n)]


def _check_allies(s: ScenarioConfig) -> None:
    a = s.allies
    check_params("scenario.allies", a)
    for lo in ("capacity", "threat", "cost_sensitivity", "exit_threshold", "opposition",
               "election_period", "horizon", "trust_prior", "sensitivity", "memory", "exposure",
               "cooperation_slope", "fear", "substitution"):
        low, high = getattr(a, f"{lo}_min"), getattr(a, f"{lo}_max")
        if low > high:
            raise ConfigError(f"scenario.allies.{lo}_min={low} exceeds "
                              f"scenario.allies.{lo}_max={high}")
    if len(a.roster) + a.n < 1:
        raise ConfigError("scenario.allies: the coalition is empty (allies.n=0 and no roster): "
                          "a scenario needs at least one ally")
    generated = {f"ally_{i}" for i in range(a.n)}
    prev = 0
    for k, arr in enumerate(a.arrivals):
        ap = f"scenario.allies.arrivals[{k}]"
        if isinstance(arr.n, bool) or not isinstance(arr.n, int) or arr.n < 1:
            raise ConfigError(f"{ap}.n={arr.n!r}: a number of generated allies >= 1")
        if arr.until is None:
            raise ConfigError(f"{ap}.until is missing (the date, YYYY-MM, or step by which they "
                              "have arrived)")
        until = step_of(s, arr.until, f"{ap}.until")
        if not prev < until <= s.horizon:
            raise ConfigError(f"{ap}.until={arr.until!r} (step {until}) must be after the previous "
                              f"arrival (step {prev}) and within the horizon [1, {s.horizon}]")
        prev = until
    if sum(arr.n for arr in a.arrivals) > a.n:
        raise ConfigError(f"scenario.allies.arrivals: {sum(arr.n for arr in a.arrivals)} late "
                          f"arrivals, but only allies.n={a.n} generated allies")
    missions = list(s.missions)
    for name, r in a.roster.items():
        rp = f"scenario.allies.roster.{name}"
        if name in generated:
            raise ConfigError(f"{rp}: the name {name!r} is taken by a generated ally")
        if r.force is None and not r.troops:
            raise ConfigError(f"{rp}: give its force (deployable personnel) or its troops per "
                              "mission (known contingents)")
        for mname, v in r.troops.items():
            if mname not in missions:
                raise ConfigError(f"{rp}.troops: unknown mission {mname!r} "
                                  f"(known: {', '.join(missions)})")
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not (0 <= v <= 1e7):
                raise ConfigError(f"{rp}.troops.{mname}={v!r} is out of range: allowed a number of "
                                  "personnel in [0, 1e7]")
        if r.troops and r.capacity == 0:
            raise ConfigError(f"{rp}.capacity=0 cannot send the troops it is given: capacity must "
                              "be > 0 where troops are listed")
        if r.available_from is not None:
            step = step_of(s, r.available_from, f"{rp}.available_from")
            if not 1 <= step <= s.horizon:
                raise ConfigError(f"{rp}.available_from={r.available_from!r} is outside the "
                                  f"horizon [1, {s.horizon}]")
        if r.capacity < 0:
            raise ConfigError(f"{rp}.capacity is missing (military capacity in [0, 1], required)")
        check_params(rp, r)
        if r.election_phase is not None and r.election_period is not None \
                and r.election_phase >= r.election_period:
            raise ConfigError(f"{rp}.election_phase={r.election_phase} must be below its "
                              f"election_period={r.election_period}")
        for key in ("threat_by_mission", "interest"):
            for mname, v in getattr(r, key).items():
                if mname not in missions:
                    raise ConfigError(f"{rp}.{key}: unknown mission {mname!r} "
                                      f"(known: {', '.join(missions)})")
                if not 0.0 <= v <= 1.0:
                    raise ConfigError(f"{rp}.{key}.{mname}={v} is out of range: allowed [0, 1]")


def _check_missions(s: ScenarioConfig) -> None:
    if not s.missions:
        raise ConfigError("scenario.missions is empty: a scenario needs at least one mission")
    for name, m in s.missions.items():
        mp = f"scenario.missions.{name}"
        if m.kind not in ("stabilisation", "core"):
            raise ConfigError(f"{mp}.kind={m.kind!r}: allowed 'stabilisation' or 'core'")
        check_params(mp, m)
        for key in ("mandate_end", "renewal"):
            value = getattr(m, key)
            if value is not None and not 1 <= step_of(s, value, f"{mp}.{key}") <= s.horizon:
                raise ConfigError(f"{mp}.{key}={value!r} is outside the horizon [1, {s.horizon}]"
                                  + (f" (step {step_of(s, value, mp)})"
                                     if isinstance(value, str) else ""))
        if m.successor is not None:
            if m.successor not in s.missions or m.successor == name:
                raise ConfigError(f"{mp}.successor={m.successor!r} is not another mission of the "
                                  f"scenario (known: {', '.join(s.missions)})")
            if m.mandate_end is None:
                raise ConfigError(f"{mp}.successor={m.successor!r} needs a mandate_end (the date "
                                  "the successor takes over)")
        if m.support is not None and (m.support not in s.missions or m.support == name):
            raise ConfigError(f"{mp}.support={m.support!r} is not another mission of the "
                              f"scenario (known: {', '.join(s.missions)})")
        if m.support is None and m.support_risk > 0.0:
            raise ConfigError(f"{mp}.support_risk={m.support_risk!r} needs a support (the mission "
                              "whose end adds it)")
        if m.renewal is not None and m.mandate_end is not None and \
                step_of(s, m.renewal, mp) >= step_of(s, m.mandate_end, mp):
            raise ConfigError(f"{mp}.renewal={m.renewal!r} is not before its "
                              f"mandate_end={m.mandate_end!r}")
        if m.framework is not None and m.framework not in s.allies.roster:
            raise ConfigError(f"{mp}.framework={m.framework!r} is not in the roster "
                              f"(known: {', '.join(s.allies.roster) or 'none'})")


def _check_network(s: ScenarioConfig) -> None:
    net = s.network
    if net.kind not in ("small_world", "complete", "ring", "empty", "edges"):
        raise ConfigError(f"scenario.network.kind={net.kind!r}: allowed small_world, complete, "
                          "ring, empty, edges")
    if net.k < 0 or not 0.0 <= net.p_rewire <= 1.0:
        raise ConfigError(f"scenario.network: k={net.k} must be >= 0 and p_rewire={net.p_rewire} "
                          "in [0, 1]")
    names = set(ally_names(s))
    for bloc, members in net.blocs.items():
        for name in members:
            if name not in names:
                raise ConfigError(f"scenario.network.blocs.{bloc}: unknown ally {name!r}")
    for j, edge in enumerate(net.edges):
        if len(edge) != 2:
            raise ConfigError(f"scenario.network.edges[{j}]={list(edge)}: an edge is two ally names")
        for name in edge:
            if name not in names:
                raise ConfigError(f"scenario.network.edges[{j}]: unknown ally {name!r}")
    if s.lead.election_period < 1 or s.lead.election_phase < 0:
        raise ConfigError("scenario.lead: election_period must be >= 1 and election_phase >= 0")
    c = s.lead.country_trust
    if not (isinstance(c, (int, float)) and not isinstance(c, bool) and math.isfinite(c)
            and (c == -1.0 or 0.0 < c < 1.0)):
        raise ConfigError(f"scenario.lead.country_trust={c!r} is out of range: allowed (0, 1), or "
                          "-1 (from the administration's stance)")


def _check_administrations(s: ScenarioConfig) -> None:
    adm = s.administrations
    known = policy_names()
    if adm.mode not in ("none", "fixed", "alternate"):
        raise ConfigError(f"scenario.administrations.mode={adm.mode!r}: allowed none, fixed, "
                          "alternate")
    for j, change in enumerate(adm.schedule):
        cp = f"scenario.administrations.schedule[{j}]"
        step = admin_step(s, change, cp)
        if not 1 <= step <= s.horizon:
            raise ConfigError(f"{cp}: step {step} is outside the horizon [1, {s.horizon}]"
                              + (f" (date {change.date})" if change.date else ""))
        if change.policy not in known:
            raise ConfigError(f"{cp}.policy={change.policy!r} is not a registered policy "
                              f"(known: {', '.join(known)})")
    for j, name in enumerate(adm.cycle):
        if name not in known:
            raise ConfigError(f"scenario.administrations.cycle[{j}]={name!r} is not a registered "
                              f"policy (known: {', '.join(known)})")
    if adm.mode == "fixed" and not adm.schedule:
        raise ConfigError("scenario.administrations.mode=fixed needs a schedule of {step, policy}")
    if adm.mode == "alternate" and len(adm.cycle) < 2:
        raise ConfigError("scenario.administrations.mode=alternate needs a cycle of at least two "
                          "policies")
    if not 0.0 <= adm.p_change <= 1.0:
        raise ConfigError(f"scenario.administrations.p_change={adm.p_change}: allowed [0, 1]")


def admin_step(s: ScenarioConfig, change, path: str) -> int:
    """The step at which a scheduled administration takes office (``step`` or ``date``)."""
    return event_step(s, change, path)


def _check_events(s: ScenarioConfig) -> None:
    missions, allies, policies = list(s.missions), ally_names(s), policy_names()
    steps = []
    for j, ev in enumerate(s.events):
        path = f"scenario.events[{j}]"
        check_event(ev, path, missions=missions, allies=allies, policies=policies)
        step = event_step(s, ev, f"{path} ({ev.kind})")
        if not 1 <= step <= s.horizon:
            raise ConfigError(f"{path} ({ev.kind}): step {step} is outside the horizon "
                              f"[1, {s.horizon}]" + (f" (date {ev.date})" if ev.date else ""))
        steps.append(step)
    starts = {}
    for j, ev in enumerate(s.events):
        if ev.kind == "mission_start":
            if ev.mission in starts:
                raise ConfigError(f"scenario.events[{j}] (mission_start): mission {ev.mission!r} "
                                  "already has a mission_start event")
            starts[ev.mission] = steps[j]
    for j, ev in enumerate(s.events):
        if ev.kind != "mission_start" and ev.mission in starts and steps[j] < starts[ev.mission]:
            raise ConfigError(f"scenario.events[{j}] ({ev.kind}) at step {steps[j]} concerns "
                              f"mission {ev.mission!r} before it starts (step "
                              f"{starts[ev.mission]})")
    opens = {m.successor: step_of(s, m.mandate_end, name) for name, m in s.missions.items()
             if m.successor is not None}
    for j, ev in enumerate(s.events):
        if ev.kind != "ally_entry":
            continue
        m = s.missions[ev.mission]
        start = starts.get(ev.mission, opens.get(ev.mission, 1))
        end = step_of(s, m.mandate_end, ev.mission) if m.mandate_end is not None else s.horizon + 1
        if not start <= steps[j] < end:
            raise ConfigError(f"scenario.events[{j}] (ally_entry) at step {steps[j]}: mission "
                              f"{ev.mission!r} is not open then (open from step {start} to "
                              f"{end - 1})")
    for name, m in s.missions.items():
        if name in starts and m.mandate_end is not None and \
                step_of(s, m.mandate_end, name) <= starts[name]:
            raise ConfigError(f"scenario.missions.{name}.mandate_end={m.mandate_end} is not after "
                              f"its mission_start (step {starts[name]})")
