"""The month's schedule, written once: every phase is a function over the typed state.

``advance(state, setup, events)`` runs one month for every run held in ``state``, in the order of
MODEL.md:

1. :func:`apply_events`: scenario events, mandate expiry, administrations;
2. :func:`lead_acts`: the lead's deployments, enablers, impulsive moves, pledges, consultation;
3. :func:`observe`: each ally turns what it saw into evidence about the lead;
4. :func:`update_trust`: both trust stocks, honesty and reputation damage;
5. :func:`consult`: consulted allies' threat perceptions converge;
   :func:`expect`: each ally's expected presence of the lead over its horizon;
6. :func:`decide`: each ally joins, stays, sets its contribution or leaves each mission;
7. :func:`resolve_missions`: effectiveness, threat, the local partner, attacks;
8. :func:`update_capacity`: allies' capacity and grievance;

and recording (9) is the driver's :class:`~sim.core.recording.Recorder`. Each phase takes the state
and keyword-only arguments, changes the state in place and returns a small frozen result that later
phases (and the explorer) read. The ensemble calls :func:`advance` on R runs; the Mesa model on its
own state with R = 1; so the two give the same bits by construction.

The arithmetic is the rules' (:mod:`sim.rules`); every operation is elementwise or one of the
fixed-order reductions of :mod:`sim.rules.aggregate`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Iterable

import numpy as np

from sim.core import rng
from sim.core.events import Event, apply_event, execute_due_withdrawals
from sim.core.state import Month, State
from sim.rules import capacity as cap
from sim.rules import decisions as dec
from sim.rules import events as evr
from sim.rules import expectations as ex
from sim.rules import missions as mis
from sim.rules import policies as pol
from sim.rules import trust as tr
from sim.rules.aggregate import neighbour_count, neighbour_share, sum_allies, sum_missions

if TYPE_CHECKING:
    from sim.core.setup import Setup

__all__ = ["Administrations", "LeadMoves", "Evidence", "Decisions", "Attacks", "MonthReport",
           "apply_events", "lead_acts", "observe", "update_trust", "consult", "expect", "decide",
           "resolve_missions", "assess_missions", "update_capacity", "advance"]

P = rng.Purpose


@dataclass(frozen=True)
class Administrations:
    """Phase 1's result: where a new administration took office (``(R, 1, 1)`` bool)."""

    changed: np.ndarray


@dataclass(frozen=True)
class LeadMoves:
    """Phase 2's result: what the lead did this month, as allies can observe it (``(R, M, 1)``)."""

    level_prev: np.ndarray       # action level before this month's moves
    announced: np.ndarray        # bool: an impulsive withdrawal announced
    carried: np.ndarray          # bool: an impulsive withdrawal carried out (unconsulted)
    reversed: np.ndarray         # bool: a reversal (impulsive return, scenario, or broken pledge)
    kept: np.ndarray             # bool: a pledge in force was kept
    broken: np.ndarray           # bool: a pledge in force was broken
    fulfilled: np.ndarray        # bool: a pledge ran to its end, kept
    pledged: np.ndarray          # level of a pledge the policy announced (0: none)


@dataclass(frozen=True)
class Evidence:
    """Phase 3's result: each ally's evidence about the lead this month (``(R, 1, N)``)."""

    good: np.ndarray
    bad: np.ndarray
    honesty_good: np.ndarray
    honesty_bad: np.ndarray


@dataclass(frozen=True)
class Decisions:
    """Phase 6's result (``(R, M, N)``): exits, joins, and what the others put in.

    ``exits`` are every member's exits from an active mission (scripted ones included);
    ``voluntary`` those the ally chose; ``rejoined`` the joins of allies that had left the mission
    within the last 12 months (an exit reversed); ``cause`` each exit's code into
    :data:`sim.rules.decisions.EXIT_CAUSES` (int8, 0 where no exit)."""

    exits: np.ndarray
    joins: np.ndarray
    others: np.ndarray
    voluntary: np.ndarray
    rejoined: np.ndarray
    cause: np.ndarray


@dataclass(frozen=True)
class Attacks:
    """Phase 7's result: attacks this month (``(R, M, N)`` bool) and their count per run."""

    attacked: np.ndarray
    count: np.ndarray


@dataclass(frozen=True)
class MonthReport:
    """Everything the phases of one month returned."""

    step: int
    administrations: Administrations
    moves: LeadMoves
    evidence: Evidence
    decisions: Decisions
    attacks: Attacks


# ------------------------------------------------------------------------------------- phase 1

def apply_events(state: State, *, setup: Setup, events: Iterable[Event] = ()) -> Administrations:
    """Phase 1: scenario events, mandate expiry, and a change of administration.

    ``events`` are the month's compiled events; the Mesa model passes none because Mesa's own event
    list has already applied them (:func:`sim.core.events.apply_event`) before the step.
    Administrations change by a scripted event, a fixed schedule, or random alternation at the
    lead's elections (probability ``p_change`` of the next policy in the cycle). A new
    administration restarts the leader stock from part of the country's record plus its declared
    stance (:func:`sim.rules.trust.reset_leader_stock`, :func:`sim.rules.trust.stance_evidence`);
    the stance is also evidence about the country (``country_weight`` of it). Its plan starts from
    scratch.
    """
    t = state.step + 1
    w, s, mo, lead = setup.world, state, state.month, state.lead
    for ev in events:
        apply_event(s, ev, t)
    execute_due_withdrawals(s, t)
    expiring = (w.mandate_end == t).reshape(1, -1, 1)
    mo.ended |= expiring & s.missions.active
    s.missions.active = s.missions.active & ~expiring
    # a mission backed by another (air cover, quick reaction, medical evacuation) gets riskier
    # when that one ends
    backed = w.support_index >= 0
    if backed.any():
        lost = mo.ended[:, np.maximum(w.support_index, 0), :] & backed.reshape(1, -1, 1)
        ms = s.missions
        ms.risk = np.clip(ms.risk + np.where(lost, setup.params.mechanisms.support
                                             * ms.support_risk, 0.0), 0.0, 1.0)
    # a successor arrangement opens as its predecessor's mandate ends; renewal dates are focal:
    # every member decides afresh whether to extend
    s.missions.active = s.missions.active | (w.opens == t).reshape(1, -1, 1)
    since = t - w.renewal
    renewing = (since == 0) | ((w.renewal_period > 0) & (since > 0)
                               & (np.remainder(since, np.maximum(w.renewal_period, 1)) == 0))
    mo.focal |= renewing.reshape(1, -1, 1) & s.missions.active

    changed = mo.admin_policy >= 0
    new_index = np.where(changed, mo.admin_policy, lead.policy_index)
    if w.admin_mode == "fixed":
        for step, idx in w.admin_schedule:
            if step == t:
                changed = np.ones_like(changed)
                new_index = np.full_like(new_index, idx)
    elif w.admin_mode == "alternate":
        calendar = bool(evr.is_lead_election(t, period=w.lead_election_period,
                                             phase=w.lead_election_phase))
        if calendar or mo.lead_election.any():
            u = rng.uniform(setup.seed, setup.run, t, setup.ent_lead, P.ADMINISTRATION)
            idx, ch = evr.next_administration(new_index, u, next_policy=setup.next_policy,
                                              p_change=w.admin_p_change)
            ch = ch & (calendar | mo.lead_election)
            new_index = np.where(ch, idx, new_index)
            changed = changed | ch
    if changed.any():
        a, tp, mech = s.allies, setup.params.trust, setup.params.mechanisms
        stance = setup.policy_value(new_index, "stance")
        good, bad = tr.stance_evidence(stance, stance_weight=tp.stance_weight * a.exposure)
        r_l, s_l = tr.reset_leader_stock(a.r_country, a.s_country, good, bad,
                                         carry=tp.leader_carry)
        on = np.where(changed, mech.trust * a.sensitivity, 0.0)  # trust off: nothing moves
        reset = np.minimum(on, 1.0)                 # a less sensitive ally resets in part
        a.r_leader = a.r_leader + reset * (r_l - a.r_leader)
        a.s_leader = a.s_leader + reset * (s_l - a.s_leader)
        # the electorate's choice is evidence about the country too
        a.r_country = a.r_country + on * tp.country_weight * good
        a.s_country = a.s_country + on * tp.country_weight * bad
        refresh_trust(s, setup=setup)
        lead.admin_start = np.where(changed, t, lead.admin_start)
        lead.started = np.where(changed, False, lead.started)
        lead.open_step = np.where(changed, -1, lead.open_step)
        lead.policy_index = np.where(changed, new_index, lead.policy_index)
    return Administrations(changed=changed)


# ------------------------------------------------------------------------------------- phase 2

def lead_acts(state: State, *, setup: Setup, policy) -> LeadMoves:
    """Phase 2: the policy in force sets the lead's troops, enablers, pledges and consultation.

    Troops ``T = T_0 * T_s * f_T(months open) * (1 - w_T) * (1 - out) * active`` (``T_s`` the troop
    scale a ``lead_troops`` event sets: surges above the start, drawdowns below) and likewise
    enablers (without ``T_s``),
    where ``f`` is :func:`sim.rules.policies.planned_fraction` (the plan, once the handover has
    opened: :func:`sim.rules.policies.handover_opens` on the receivers' capacity, the mean of the
    local partner's and the member allies'), ``w`` the share withdrawn by scenario events and
    ``out`` an impulsive withdrawal in force.

    Pledges: a pledge in force is kept while the action level stays within ``pledge_tolerance`` of
    it; falling short breaks it (a reversal), except where the mission has ended (a planned
    mandate end) or an announced withdrawal superseded the pledge. A policy with ``pledge_horizon > 0`` then announces a
    new pledge when none is in force: "promise only what it does", so it pledges the level its plan
    will still hold at the end of the horizon (the plan's floor if a handover may start meanwhile).

    Consultation: each ally is consulted this month with probability ``p_consult``.

    Costs: the instruments cost the lead troop-equivalents this month: capacity building
    ``building_cost * building * required_force`` per active stabilisation mission, consultation
    ``consult_cost`` per ally consulted, a pledge in force ``pledge_cost * required_force``.
    """
    t = state.step + 1
    a, lead, ms, mo = state.allies, state.lead, state.missions, state.month
    tp = setup.params.trust
    member_f = np.where(a.member, 1.0, 0.0)
    n_members = sum_allies(member_f)
    mean_cap = sum_allies(member_f * a.capacity) / np.maximum(n_members, 1.0)
    receiver = 0.5 * ms.partner_capacity + 0.5 * mean_cap
    active = ms.active

    started = active & pol.handover_opens(lead.started, t - lead.admin_start, receiver,
                                          cut_start=policy.cut_start,
                                          threshold=policy.handover_threshold)
    open_step = np.where(started & np.logical_not(lead.started), t, lead.open_step)
    months_open = np.where(started, t - open_step, -1)
    frac_t = pol.planned_fraction(months_open, cut_rate=policy.troop_cut_rate,
                                  floor=policy.troop_floor)
    frac_e = pol.planned_fraction(months_open, cut_rate=policy.enabler_cut_rate,
                                  floor=policy.enabler_floor)
    pending, out, announced, carried, returned = pol.impulse_step(
        lead.pending, lead.impulse_out, t,
        rng.uniform(setup.seed, setup.run, t, setup.ent_m, P.IMPULSE_ANNOUNCE),
        rng.uniform(setup.seed, setup.run, t, setup.ent_m, P.IMPULSE_CARRY_OUT),
        rng.uniform(setup.seed, setup.run, t, setup.ent_m, P.IMPULSE_RETURN), active,
        p_impulse=policy.p_impulse, notice=policy.impulse_notice,
        p_carry_out=policy.p_carry_out, p_return=policy.p_return)
    present = np.where(active, 1.0, 0.0) * (1.0 - out)
    troops = lead.troops0 * lead.troop_scale * frac_t * (1.0 - lead.cut_troops) * present
    enablers = lead.enablers0 * frac_e * (1.0 - lead.cut_enablers) * present
    level = pol.action_level(troops, enablers, lead.troops0, troop_weight=tp.troop_weight)
    # the lead's full strength, should a lead_troops event have put troops where it had none
    lead.level_ref = pol.action_level(lead.troops0, lead.enablers0, lead.troops0,
                                      troop_weight=tp.troop_weight)
    handover_possible = (policy.cut_start >= 0) | (policy.handover_threshold <= 1.0)

    # the pledge in force, then a new one if due
    kept, broken, fulfilled = pol.pledge_status(level, lead.pledge_level, lead.pledge_until, t,
                                                tolerance=tp.pledge_tolerance)
    broken = broken & active            # a mandate's planned end breaks no pledge
    in_force = kept & np.logical_not(fulfilled)
    horizon = policy.pledge_horizon
    months_future = np.where(months_open >= 0, months_open + horizon, -1)
    ratio_t = _plan_ratio(months_open, months_future, handover_possible,
                          cut_rate=policy.troop_cut_rate, floor=policy.troop_floor)
    ratio_e = _plan_ratio(months_open, months_future, handover_possible,
                          cut_rate=policy.enabler_cut_rate, floor=policy.enabler_floor)
    promised = pol.action_level(troops * ratio_t, enablers * ratio_e, lead.troops0,
                                troop_weight=tp.troop_weight)
    new = active & np.logical_not(in_force) & (horizon > 0) & (level > 0.0)

    level_prev = lead.level
    lead.troops, lead.enablers, lead.level = troops, enablers, level
    lead.started, lead.open_step, lead.pending, lead.impulse_out = started, open_step, pending, out
    lead.pledge_level = np.where(new, promised, np.where(in_force, lead.pledge_level, 0.0))
    lead.pledge_until = np.where(new, t + horizon - 1, np.where(in_force, lead.pledge_until, -1))
    a.consulted = np.where(rng.uniform(setup.seed, setup.run, t, setup.ent_a, P.CONSULT)
                           < policy.p_consult, 1.0, 0.0)
    reversed_ = returned | mo.reversed | broken
    lead.reversals = lead.reversals + np.sum(reversed_, axis=(1, 2))
    # what the instruments cost this month, in troop-equivalents (stabilisation missions)
    ops = setup.params.operations
    stab = np.where(active & np.logical_not(ms.is_core), 1.0, 0.0)
    lead.cost_building = (ops.building_cost * policy.building * lead.partner_support
                          * ms.required_force * stab)
    lead.cost_consulting = ops.consult_cost * sum_allies(a.consulted)
    lead.cost_pledges = ops.pledge_cost * ms.required_force * stab * np.where(
        lead.pledge_until >= t, 1.0, 0.0)
    return LeadMoves(level_prev=level_prev, announced=announced, carried=carried,
                     reversed=reversed_, kept=kept, broken=broken, fulfilled=fulfilled,
                     pledged=np.where(new, promised, 0.0))


def _plan_ratio(months_open, months_future, handover_possible, *, cut_rate, floor):
    """What the plan will hold ``horizon`` months on, as a share of what it holds now.

    A plan already at zero (``floor = 0`` reached) holds zero later too: ratio 0, not 0/0.
    """
    now = pol.planned_fraction(months_open, cut_rate=cut_rate, floor=floor)
    later = pol.planned_fraction(months_future, cut_rate=cut_rate, floor=floor)
    ratio = np.where(now > 0.0, later / np.where(now > 0.0, now, 1.0), 0.0)
    return np.where(months_open >= 0, ratio, np.where(handover_possible, floor, 1.0))


# ------------------------------------------------------------------------------------- phase 3

def observe(state: State, *, setup: Setup, policy, moves: LeadMoves,
            peers: np.ndarray) -> Evidence:
    """Phase 3: what each ally saw this month, as evidence about the lead.

    Per mission, weighted by how much the ally observes it (``1`` for members, else
    ``outsider_weight + spillover_weight * peers``, ``peers`` being the share of its network
    neighbours in the mission)::

        bad  = e-(drop) + w- * (r * reversed + m * H * announced_withdrawal)
        good = e+(level, rise, kept) + promise(announced pledge, H)

    then summed over missions; being consulted adds mild good evidence; abandoning a local partner
    is bad evidence for every ally (spillover); and what the administration keeps saying about its
    allies, its stance sigma, is ``stance_rate * (sigma, 1 - sigma)`` of good and bad evidence
    every month, heard by every ally. See :mod:`sim.rules.trust` for ``e-`` and ``e+``.
    """
    a, lead, ms, mo = state.allies, state.lead, state.missions, state.month
    tp, mech = setup.params.trust, setup.params.mechanisms
    w_minus = tp.asymmetry * tp.w_plus
    level, level_prev = lead.level, moves.level_prev
    honesty = mech.honesty * a.honesty
    stance = policy.stance
    drop = np.where(mo.ended, 0.0, np.maximum(level_prev - level, 0.0))
    rise = np.maximum(level - level_prev, 0.0)
    observed = np.maximum(np.where(a.member, 1.0, 0.0), mech.spillover * np.minimum(
        tp.outsider_weight + tp.spillover_weight * peers, 1.0))
    unconsulted = np.where(moves.carried | mo.unconsulted, 1.0, 1.0 - a.consulted)
    notice = np.where(moves.carried | mo.no_notice, 0.0, 1.0)
    bad = tr.bad_action_evidence(
        drop, a.trust, w_minus=w_minus, friction=tp.friction, surprise_gain=tp.surprise_gain,
        unconsulted=unconsulted, notice=notice,
        unconsulted_penalty=mech.consultation * tp.unconsulted_penalty,
        notice_relief=tp.notice_relief)
    reversed_f = np.where(moves.reversed, 1.0, 0.0)
    bad = bad + w_minus * (tp.reversal_penalty * reversed_f
                           + tp.promise_weight * honesty
                           * (np.where(moves.announced, 1.0, 0.0) + mo.announced))
    good = np.where(ms.active, tr.good_action_evidence(
        level, rise, moves.kept, w_plus=tp.w_plus, keep_weight=tp.keep_weight,
        pledge_bonus=tp.pledge_bonus), 0.0)
    good = good + tr.promise_evidence(moves.pledged + mo.pledged, honesty, w_plus=tp.w_plus,
                                      promise_weight=tp.promise_weight)
    spill = mech.spillover * w_minus * tp.abandon_evidence * mo.abandoned
    talk_good, talk_bad = tr.stance_evidence(stance, stance_weight=tp.stance_rate * a.exposure)
    on = mech.trust * a.sensitivity          # how much of what it sees an ally takes in
    return Evidence(
        good=on * (sum_missions(observed * good) + talk_good
                   + mech.consultation * tp.w_plus * tp.consult_evidence * a.consulted),
        bad=on * (sum_missions(observed * bad + spill) + talk_bad),
        honesty_good=on * mech.honesty * sum_missions(observed * moves.fulfilled),
        honesty_bad=on * mech.honesty * sum_missions(observed * reversed_f))


# ------------------------------------------------------------------------------------- phase 4

def update_trust(state: State, *, setup: Setup, evidence: Evidence) -> None:
    """Phase 4: both trust stocks, honesty and reputation damage.

    Leader stock: all evidence. Country stock: ``country_weight`` of it plus domestic shocks
    (``w- * shock``), which touch the country stock only; its bad evidence fades more slowly than
    its good evidence (``forgetting_country_bad``): structural doubt about the lead's durability
    outlasts the administration that caused it (ECFR 2021; Pew 2021). Combined trust
    ``T = min(w_L T_L + (1 - w_L) T_C, 1 - damage)`` (:func:`sim.rules.trust.combined_trust`).
    """
    a, tp, on = state.allies, setup.params.trust, setup.params.mechanisms.trust
    w_minus = tp.asymmetry * tp.w_plus
    shock_bad = on * w_minus * state.month.shock

    def keep(forgetting):           # per-ally memory; trust switched off: nothing is forgotten
        return 1.0 - on * (1.0 - np.power(forgetting, 1.0 / a.memory))

    a.r_leader = tr.forget_and_add(a.r_leader, evidence.good, keep(tp.forgetting_leader))
    a.s_leader = tr.forget_and_add(a.s_leader, evidence.bad, keep(tp.forgetting_leader))
    a.r_country = tr.forget_and_add(a.r_country, tp.country_weight * evidence.good,
                                    keep(tp.forgetting_country))
    a.s_country = tr.forget_and_add(a.s_country, tp.country_weight * evidence.bad + shock_bad,
                                    keep(tp.forgetting_country_bad))
    a.r_honesty = tr.forget_and_add(a.r_honesty, evidence.honesty_good,
                                    keep(tp.forgetting_honesty))
    a.s_honesty = tr.forget_and_add(a.s_honesty, evidence.honesty_bad,
                                    keep(tp.forgetting_honesty))
    a.damage = tr.update_damage(a.damage, evidence.bad + shock_bad, damage_rate=tp.damage_rate,
                                heal_rate=on * tp.heal_rate)
    refresh_trust(state, setup=setup)


def refresh_trust(state: State, *, setup: Setup) -> None:
    """Trust, honesty and combined trust from the evidence stocks (beta reputation)."""
    a, tp = state.allies, setup.params.trust
    # each ally's prior: the same weight (prior_good + prior_bad), its own prior trust
    size = tp.prior_good + tp.prior_bad
    pg, pb = size * a.trust_prior, size * (1.0 - a.trust_prior)
    a.trust_leader = tr.beta_trust(a.r_leader, a.s_leader, pg, pb)
    a.trust_country = tr.beta_trust(a.r_country, a.s_country, pg, pb)
    a.honesty = tr.beta_trust(a.r_honesty, a.s_honesty, pg, pb)
    a.trust = tr.combined_trust(a.trust_leader, a.trust_country, a.damage,
                                leader_weight=tp.leader_weight)


# ------------------------------------------------------------------------------------- phase 5

def consult(state: State, *, setup: Setup) -> None:
    """Phase 5: consulted allies' threat perceptions move toward the mean of the consulted and
    the mission's threat (:func:`sim.rules.capacity.consult_perception`)."""
    a, ms = state.allies, state.missions
    mean = (ms.threat + sum_allies(a.consulted * a.perception)) / (1.0 + sum_allies(a.consulted))
    a.perception = cap.consult_perception(
        a.perception, mean, a.consulted,
        rate=setup.params.mechanisms.consultation * setup.params.decision.consult_rate)


# ------------------------------------------------------------------------------------- phase 5b

def expect(state: State, *, setup: Setup, policy) -> None:
    """Phase 5b: each ally's expected presence of the lead in each mission over its horizon
    (:func:`sim.rules.expectations.expected_presence`), from the lead's current action, an
    announced withdrawal (scenario or impulsive), the policy's own schedule (a handover's cuts, read
    as announced: :func:`_announced_plan`), a pledge in force, honesty, trust and the lead's
    electoral calendar. With ``mechanisms.expectations = 0`` allies are myopic: they expect the
    current action to last."""
    t = state.step + 1
    a, lead, w = state.allies, state.lead, setup.world
    tp, dp, mech = setup.params.trust, setup.params.decision, setup.params.mechanisms
    ref = lead.level_ref
    has_ref = ref > 0.0
    safe = np.where(has_ref, ref, 1.0)
    current = np.where(has_ref, np.minimum(lead.level / safe, 1.0), 0.0)
    keep = 1.0 - lead.plan_fraction
    after_cut = pol.action_level(lead.troops * np.where(lead.plan_troops, keep, 1.0),
                                 lead.enablers * np.where(lead.plan_enablers, keep, 1.0),
                                 lead.troops0, troop_weight=tp.troop_weight)
    planned = lead.plan_due > t - 1
    impulsive = lead.pending >= t
    announced = np.where(planned, np.where(has_ref, np.minimum(after_cut / safe, 1.0), 0.0),
                         0.0)
    never = setup.max_horizon + 1
    to_effect = np.where(planned, lead.plan_due - t + 1,
                         np.where(impulsive, lead.pending - t + 1, never))
    in_force = lead.pledge_until >= t
    pledged = np.where(in_force & has_ref, np.minimum(lead.pledge_level / safe, 1.0), 0.0)
    plan = _announced_plan(state, setup=setup, policy=policy, ref=safe, has_ref=has_ref,
                           current=current, honesty=mech.honesty * a.honesty)
    months_pledged = np.where(in_force, lead.pledge_until - t + 1, 0)
    t_dec = tr.decision_trust(a.trust, lead.enablers, press_weight=tp.press_weight)
    e = ex.months_to_next_election(t, period=w.lead_election_period,
                                   phase=w.lead_election_phase)
    full = ex.expected_presence(
        current, announced, to_effect, pledged, months_pledged, mech.honesty * a.honesty, t_dec,
        a.trust_country, e, a.horizon, trust_weight=dp.trust_weight,
        reversal_risk=dp.reversal_risk, max_horizon=setup.max_horizon, plan=plan)
    a.expected = mech.expectations * full + (1.0 - mech.expectations) * current


def _announced_plan(state: State, *, setup: Setup, policy, ref, has_ref, current, honesty):
    """The policy's own schedule as allies read it: two parts of the lead's presence, its troops
    and its enablers, each following :func:`sim.rules.policies.planned_fraction` from where the
    handover stands (open: ``t - open_step`` months in; scheduled by ``cut_start``: opening that
    many months from now; opened by a capacity threshold not yet reached: not in sight). A third
    part is the current presence held constant: the schedule weighs as far as the lead's word is
    believed (``honesty``, as for any announcement) times ``mechanisms.plan`` (0: allies read no
    schedule, only the current presence and what is announced or pledged)."""
    t = state.step + 1
    lead, tp = state.lead, setup.params.trust
    share = setup.params.mechanisms.plan * honesty
    months_in = t - lead.admin_start
    scheduled = (policy.cut_start >= 0) & np.logical_not(lead.started) & state.missions.active
    start = np.where(lead.started, t - lead.open_step,
                     np.where(scheduled, months_in - policy.cut_start, ex.NO_HANDOVER))
    start = start.astype(np.float64)
    now = np.where(lead.started, start, -1.0)
    f_t = pol.planned_fraction(now, cut_rate=policy.troop_cut_rate, floor=policy.troop_floor)
    f_e = pol.planned_fraction(now, cut_rate=policy.enabler_cut_rate,
                               floor=policy.enabler_floor)
    has_troops = lead.troops0 > 0.0
    alpha = np.where(has_troops, tp.troop_weight, 0.0)
    troop_now = alpha * np.where(has_troops, lead.troops / np.where(has_troops, lead.troops0,
                                                                      1.0), 0.0)
    enabler_now = (1.0 - alpha) * lead.enablers
    raw = lead.level / ref                       # troop_now + enabler_now (action_level)
    cap = np.where(raw > 1.0, 1.0 / np.where(raw > 1.0, raw, 1.0), 1.0)   # current = min(raw, 1)
    scale = np.where(has_ref, cap / ref, 0.0)
    w_t = scale * np.where(f_t > 0.0, troop_now / np.where(f_t > 0.0, f_t, 1.0), 0.0)
    w_e = scale * np.where(f_e > 0.0, enabler_now / np.where(f_e > 0.0, f_e, 1.0), 0.0)
    return ((share * w_t, start, policy.troop_cut_rate, policy.troop_floor),
            (share * w_e, start, policy.enabler_cut_rate, policy.enabler_floor),
            ((1.0 - share) * current, ex.NO_HANDOVER, 0.0, 1.0))


# ------------------------------------------------------------------------------------- phase 6

def decide(state: State, *, setup: Setup, policy, peers: np.ndarray) -> Decisions:
    """Phase 6: each ally joins, stays, sets its effort or leaves each mission.

    Simultaneous: every aggregate (what the others contribute, the departed share, the peers)
    describes the state before anyone decides this month. Effort is the share of its ``max_share``
    of capable force an ally sends (0 on a core task: membership without troops). The membership
    utility, the Granovetter cascade on the departed share, election exits and hysteresis are
    :mod:`sim.rules.decisions`.
    """
    t = state.step + 1
    a, lead, ms, mo = state.allies, state.lead, state.missions, state.month
    dp, tp, mech = setup.params.decision, setup.params.trust, setup.params.mechanisms
    member, was = a.member, a.was_member
    member_f = np.where(member, 1.0, 0.0)
    n_members = sum_allies(member_f)
    effort_sum = sum_allies(member_f * a.effort)
    # each ally weighs in a mission's departed share by what it brings to that mission (its
    # contingent where the scenario gives one, else its deployable force there: mission_weight)
    weight = a.mission_weight
    # the departed share an ally reads leaves out its own exit (so it can come back) ...
    own_left = weight * np.where(was & ~member, 1.0, 0.0)
    own_was = weight * np.where(was, 1.0, 0.0)
    left_weight = sum_allies(own_left) - own_left
    # ... but the coalition whose departed share it reads includes itself
    peak_weight = sum_allies(own_was) - own_was + weight
    election = dec.is_election_month(t, a.election_period, a.election_phase) | mo.election
    # tied partners (network neighbours) that have been members, and those of them that left
    was_f = np.where(was, 1.0, 0.0)
    tied_peak = neighbour_count(was_f, setup.world.neighbours)
    tied_left = neighbour_count(was_f * (1.0 - member_f), setup.world.neighbours)

    t_dec = tr.decision_trust(a.trust, lead.enablers, press_weight=tp.press_weight)
    # the lead as the ally expects it over its horizon (phase 5b), in action-level units
    lead_expected = a.expected * lead.level_ref
    own = np.where(member, a.effort, 0.0)
    n_others = n_members - member_f
    mean_others = (effort_sum - own) / np.maximum(n_others, 1.0)
    # the lead's example counts only in missions it is part of (l_ref > 0): in a mission without
    # it (a UN mission, say) "the others" are the other members
    w_ex = np.where(lead.level_ref > 0.0, dp.lead_example_weight, 0.0)
    others = np.where(n_others > 0.0, w_ex * lead_expected + (1.0 - w_ex) * mean_others,
                      lead_expected)
    success = dec.expected_success(dp.success_weight * a.expected, ms.effectiveness,
                                   ms.eff_without_lead)
    target = dec.contribution_share(
        others, t_dec, a.fear, lead_expected, policy.demand, a.perception, slope=a.slope,
        threat_gain=dp.threat_gain, fear_gain=dp.fear_gain, demand_response=dp.demand_response,
        substitution=mech.substitution * a.substitution, conditionality=policy.conditionality)
    target = np.where(ms.is_core, 0.0, target)
    # the ally's weight in the outcome: its troops as a share of the need (its coverage on a core
    # task)
    would_send = dec.contribution(target, a.capacity, a.reach, max_share=dp.max_share)
    pivotality = np.where(ms.is_core, a.weight,
                          np.minimum(would_send / np.maximum(ms.required_force, 1e-12), 1.0))
    noise = a.taste + dp.noise_scale * rng.logistic(setup.seed, setup.run, t, setup.ent_am,
                                                    P.DECISION_NOISE)
    utility = dec.membership_utility(
        a.perception, success, a.interest, a.cost_sensitivity, ms.risk, target, a.stress,
        a.grievance, peers, noise, value=dp.value, member_cost=dp.member_cost,
        risk_cost=dp.risk_cost, casualty_cost=dp.casualty_cost,
        grievance_weight=dp.grievance_weight, peer_weight=mech.peers * dp.peer_weight,
        noise_scale=1.0, pivotality=pivotality, publicness=mech.public_good * dp.publicness)
    departed = mech.cascade * dec.departed_share(
        lead_expected, lead.level_ref, left_weight, peak_weight,
        lead_exit_weight=dp.lead_exit_weight, tied_left=tied_left, tied_peak=tied_peak,
        tie_weight=mech.ties * dp.tie_weight)
    p_exit = dec.election_exit_probability(a.opposition, np.where(election, 1.0, 0.0),
                                           hazard=mech.elections * dp.election_hazard)
    election_exit = rng.uniform(setup.seed, setup.run, t, setup.ent_a, P.ELECTION_EXIT) < p_exit
    commit = mech.commitment > 0.0
    # an ally with no deployable force for a stabilisation mission (a roster ally without a
    # contingent there) cannot be in it; the scenario holds some out (late arrivals, scripted
    # exits) whatever the commitment switch; commitments hold others out for a while
    cannot_serve = np.logical_not(ms.is_core) & (a.reach <= 0.0)
    absent = (t <= a.held_until) | (commit & (t <= a.absent_until)) | cannot_serve
    returning = was & np.logical_not(member) & (a.left_at >= 0)
    u_stay = dec.stay_hurdle(mo.focal, join_threshold=dp.join_threshold,
                             leave_threshold=dp.leave_threshold, renewal_hurdle=dp.renewal_hurdle)
    # a lasting cause: below what staying needs for exit_delay months in a row; at a renewal the
    # member decides that month
    below = np.where(member & (utility < u_stay), a.below + 1, 0)
    delay = np.where(commit, dp.exit_delay, 1)
    tenure = commit & member & (t - a.joined_at < dp.min_tenure)
    lasting = (below >= delay) | (mo.focal & (below > 0))
    new_member = dec.decide_membership(member, utility, departed, a.exit_threshold,
                                       election_exit, ms.active,
                                       join_threshold=dp.join_threshold,
                                       leave_threshold=dp.leave_threshold, absent=absent,
                                       returning=returning,
                                       reentry_cost=mech.commitment * dp.reentry_cost,
                                       focal=mo.focal, forced_in=mo.forced_in & ms.active,
                                       forced_out=mo.forced_out,
                                       renewal_hurdle=dp.renewal_hurdle,
                                       lasting=lasting, tenure=tenure)
    exits = member & np.logical_not(new_member) & ms.active
    cause = dec.exit_cause(exits, mo.forced_out, election_exit, departed > a.exit_threshold,
                           lasting & np.logical_not(tenure), mo.focal)
    joins = new_member & np.logical_not(member)
    # a government that leaves stays out a while; one elected on leaving, for its term
    absence = np.round(mech.commitment * dp.min_absence).astype(np.int64)
    term = np.where(commit, a.election_period, 0)
    stay_out = np.where(election_exit & exits, np.maximum(term, absence), absence)
    a.absent_until = np.where(exits, np.maximum(a.absent_until, t + stay_out), a.absent_until)
    rejoined = joins & returning & np.logical_not(a.left_forced) & (t - a.left_at <= 12)
    a.left_at = np.where(exits, t, a.left_at)
    a.left_forced = np.where(exits, mo.forced_out, a.left_forced)
    a.joined_at = np.where(joins, t, a.joined_at)
    a.below = np.where(new_member, below, 0)
    a.member = new_member
    a.effort = np.where(new_member, target, 0.0)
    a.was_member = was | new_member
    a.contribution = dec.contribution(a.effort, a.capacity, a.reach, max_share=dp.max_share)
    return Decisions(exits=exits, joins=joins, others=others,
                     voluntary=exits & np.logical_not(mo.forced_out), rejoined=rejoined,
                     cause=cause)


# ------------------------------------------------------------------------------------- phase 7

def assess_missions(state: State, *, setup: Setup) -> None:
    """Effectiveness of each mission with the lead and (counterfactually) without it.

    Stabilisation: troops (lead + allies + capable partner) and enablers (the lead's plus what
    capable allies bring) as complements, :func:`sim.rules.missions.ces_effectiveness`.
    Core task: the allies' coverage (size-weighted share of allies that are members) and the
    intelligence enablers as complements.
    """
    a, lead, ms = state.allies, state.lead, state.missions
    ops = setup.params.operations
    ally_troops = sum_allies(a.contribution)
    capable = sum_allies(a.capacity * a.contribution)
    coverage = sum_allies(a.weight * np.where(a.member, 1.0, 0.0))
    core = ms.is_core
    x_t = np.where(core, coverage, mis.troop_fraction(
        lead.troops, ally_troops, ms.partner_force, ms.partner_capacity, ms.required_force))
    ally_e = mis.enabler_fraction(0.0, capable, ms.required_force,
                                  ally_enabler_yield=ops.ally_enabler_yield)
    ally_e = np.where(core, np.minimum(ops.ally_enabler_yield * coverage, 1.0), ally_e)
    x_e = np.minimum(lead.enablers + ally_e, 1.0)
    x_t0 = np.where(core, coverage, mis.troop_fraction(
        0.0, ally_troops, ms.partner_force, ms.partner_capacity, ms.required_force))
    on = np.where(ms.active, 1.0, 0.0)
    ms.effectiveness = mis.ces_effectiveness(x_t, x_e, alpha=ops.ces_alpha, rho=ops.ces_rho) * on
    ms.eff_without_lead = mis.ces_effectiveness(x_t0, ally_e, alpha=ops.ces_alpha,
                                                rho=ops.ces_rho) * on
    ms.troop_fraction = x_t * on
    ms.enabler_fraction = x_e * on
    ms.ally_enablers = np.where(core, 0.0, ops.ally_enabler_yield * capable
                                / ms.required_force) * on


def resolve_missions(state: State, *, setup: Setup, policy) -> Attacks:
    """Phase 7: effectiveness, threat, the local partner, and attacks on allies.

    Threat grows when unaddressed and shrinks with effectiveness; the partner's capacity grows with
    capacity building and collapses when its dependence on the lead's enablers is uncovered;
    attacks arrive with a rate rising with threat (contributors more exposed) and raise the struck
    ally's threat perception and casualty stress.
    """
    t = state.step + 1
    a, ms = state.allies, state.missions
    ops, capp = setup.params.operations, setup.params.capacity
    assess_missions(state, setup=setup)
    ms.threat = mis.update_threat(ms.threat, ms.effectiveness, growth=ops.threat_growth,
                                  suppression=ops.threat_suppression,
                                  resurgence=ops.threat_resurgence)
    # the lead's support for the partner (capacity building, its enablers' cover) can be cut
    # without leaving the theatre; allies' own enablers still cover the partner
    lead = state.lead
    cover = np.minimum(lead.enablers * lead.partner_support + ms.ally_enablers, 1.0)
    ms.partner_capacity = mis.update_partner_capacity(
        ms.partner_capacity, ms.partner_dependence, cover, policy.building * lead.partner_support,
        np.where(ms.active, 1.0, 0.0), growth=capp.partner_growth, decay=capp.partner_decay,
        collapse_rate=capp.collapse_rate)
    ms.partner_dependence = mis.update_dependence(ms.partner_dependence, ms.partner_capacity,
                                                  rate=capp.dependence_rate)
    contributing = np.where(a.member & (a.contribution > 0.0), 1.0, 0.0)
    p = mis.attack_probability(ms.threat, contributing, rate_per_step=ops.attack_rate,
                               exposure=ops.contributor_exposure)
    u = rng.uniform(setup.seed, setup.run, t, setup.ent_am, P.ATTACK)
    attacked = ((u < p) & ms.active) | state.month.attack
    hit = np.where(attacked, 1.0, 0.0)
    a.perception = cap.update_perception(a.perception, a.baseline, ms.threat, ms.threat0, hit,
                                         rate=ops.perception_rate, attack_jump=ops.attack_jump)
    a.stress = cap.update_stress(a.stress, sum_missions(hit * contributing),
                                 retention=capp.stress_retention)
    return Attacks(attacked=attacked,
                   count=np.sum(attacked, axis=(1, 2)).astype(np.float64))


# ------------------------------------------------------------------------------------- phase 8

def update_capacity(state: State, *, setup: Setup, policy, decisions: Decisions) -> None:
    """Phase 8: allies' capacity and grievance.

    Capacity grows with the lead's capacity building (directed at allies in some mission) and with
    deployment experience. Grievance grows with effort above the others' and with demands above
    capacity, summed over stabilisation missions.
    """
    a, ms = state.allies, state.missions
    capp, gp = setup.params.capacity, setup.params.grievance
    stab_member = np.where(a.member & np.logical_not(ms.is_core), 1.0, 0.0)
    in_any = sum_missions(np.where(a.member, 1.0, 0.0)) > 0.0
    deployed = sum_missions(stab_member * a.effort) > 0.0
    building = np.where(in_any, policy.building, 0.0)
    excess = sum_missions(stab_member * np.maximum(a.effort - decisions.others, 0.0))
    overdemand = sum_missions(stab_member * np.maximum(policy.demand - a.capacity, 0.0))
    a.capacity = cap.update_ally_capacity(
        a.capacity, building, np.where(deployed, 1.0, 0.0), growth=capp.ally_growth,
        experience=capp.ally_experience, decay=capp.ally_decay)
    a.grievance = cap.update_grievance(a.grievance, excess, overdemand, retention=gp.retention,
                                       burden_gain=gp.burden_gain, demand_gain=gp.demand_gain)


# ------------------------------------------------------------------------------------- the month

def advance(state: State, setup: Setup, events: Iterable[Event] = ()) -> MonthReport:
    """One month for every run in ``state``: phases 1-8 in order; ``state.step`` moves on by one.

    The month's flags (set by ``events``, or beforehand by the Mesa model's event list) are cleared
    at the end, ready for the next month's events.
    """
    admin = apply_events(state, setup=setup, events=events)
    policy = setup.policy(state)
    moves = lead_acts(state, setup=setup, policy=policy)
    peers = neighbour_share(state.allies.member, setup.world.neighbours, setup.world.degree)
    evidence = observe(state, setup=setup, policy=policy, moves=moves, peers=peers)
    update_trust(state, setup=setup, evidence=evidence)
    consult(state, setup=setup)
    expect(state, setup=setup, policy=policy)
    decisions = decide(state, setup=setup, policy=policy, peers=peers)
    attacks = resolve_missions(state, setup=setup, policy=policy)
    update_capacity(state, setup=setup, policy=policy, decisions=decisions)
    state.step += 1
    state.month = Month.empty(*state.shape)
    return MonthReport(step=state.step, administrations=admin, moves=moves, evidence=evidence,
                       decisions=decisions, attacks=attacks)
