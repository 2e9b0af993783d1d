"""The step's phases as compositions of the elementary rules.

Both drivers call these with their own shapes: the ensemble with arrays laid out
``(run, mission, ally)`` (ally values ``(R, 1, N)``, mission values ``(R, M, 1)``, run values
``(R, 1, 1)``); an agent of the Mesa model with its own values (an ally: ``(1, 1)`` and ``(M, 1)``;
the lead: ``(M, 1)``). Every operation is elementwise or one of the fixed-order reductions of
:mod:`sim.rules.aggregate`, so both drivers produce the same bits.

Parameter arguments (``trust``, ``decision``, ...) are namespaces whose attributes are numbers or
arrays that broadcast against the run axis (a sweep varies them per run).
"""

from __future__ import annotations

import numpy as np

from sim.rules import capacity as cap_rules
from sim.rules import decisions as dec
from sim.rules import missions as mis
from sim.rules import policies as pol
from sim.rules import trust as tr
from sim.rules.aggregate import sum_missions

__all__ = [
    "lead_plan",
    "pledge_update",
    "observe",
    "update_trust",
    "decide",
    "mission_outcome",
    "attack_and_perceive",
    "ally_capacity_and_grievance",
]


def lead_plan(step, months_in_office, started, open_step, receiver_capacity, troops0, enablers0,
              cut_troops, cut_enablers, pending, impulse_out, u_announce, u_carry, u_return,
              active, policy, *, troop_weight):
    """Phase 2, the lead acts: its troops, enablers and impulsive moves in each mission.

    Troops ``T = T_0 * f_T(months open) * (1 - w_T) * (1 - out) * active`` and likewise enablers,
    where ``f`` is :func:`sim.rules.policies.planned_fraction`, ``w`` the share withdrawn by scenario
    events and ``out`` an impulsive withdrawal in force.

    Returns:
        dict with ``troops``, ``enablers``, ``level``, ``started``, ``open_step``, ``pending``,
        ``impulse_out``, ``announced``, ``carried``, ``reversed`` and ``handover_possible``.
    """
    started_new = active & pol.handover_opens(started, months_in_office, receiver_capacity,
                                              cut_start=policy.cut_start,
                                              threshold=policy.handover_threshold)
    open_step_new = np.where(started_new & np.logical_not(started), step, open_step)
    months_open = np.where(started_new, step - open_step_new, -1)
    frac_t = pol.planned_fraction(months_open, cut_rate=policy.troop_cut_rate,
                                  floor=policy.troop_floor)
    frac_e = pol.planned_fraction(months_open, cut_rate=policy.enabler_cut_rate,
                                  floor=policy.enabler_floor)
    pending_new, out_new, announced, carried, reversed_ = pol.impulse_step(
        pending, impulse_out, step, u_announce, u_carry, u_return, active,
        p_impulse=policy.p_impulse, notice=policy.impulse_notice,
        p_carry_out=policy.p_carry_out, p_return=policy.p_return)
    present = np.where(active, 1.0, 0.0) * (1.0 - out_new)
    troops = troops0 * frac_t * (1.0 - cut_troops) * present
    enablers = enablers0 * frac_e * (1.0 - cut_enablers) * present
    level = pol.action_level(troops, enablers, troops0, troop_weight=troop_weight)
    handover_possible = (policy.cut_start >= 0) | (policy.handover_threshold <= 1.0)
    return {
        "troops": troops, "enablers": enablers, "level": level, "started": started_new,
        "open_step": open_step_new, "pending": pending_new, "impulse_out": out_new,
        "announced": announced, "carried": carried, "reversed": reversed_,
        "months_open": months_open, "handover_possible": handover_possible,
    }


def pledge_update(step, level, troops, enablers, troops0, months_open, handover_possible,
                  pledge_level, pledge_until, active, policy, *, troop_weight, tolerance):
    """Phase 2, the lead's pledges: check the pledge in force, then announce a new one if due.

    A pledge in force is kept while the action level stays within ``tolerance`` of it; falling
    short breaks it (a reversal). A policy with ``pledge_horizon > 0`` then announces a new pledge
    when none is in force: "promise only what it does", so it pledges the level its plan will still
    hold at the end of the horizon (the plan's floor if a handover may start meanwhile).

    Returns:
        dict with ``kept``, ``broken``, ``fulfilled``, ``announced`` (the new pledge's level, 0 if
        none), ``pledge_level`` and ``pledge_until``.
    """
    kept, broken, fulfilled = pol.pledge_status(level, pledge_level, pledge_until, step,
                                                tolerance=tolerance)
    in_force = kept & np.logical_not(fulfilled)
    horizon = policy.pledge_horizon
    months_future = np.where(months_open >= 0, months_open + horizon, -1)
    ratio_t = np.where(
        months_open >= 0,
        pol.planned_fraction(months_future, cut_rate=policy.troop_cut_rate, floor=policy.troop_floor)
        / pol.planned_fraction(months_open, cut_rate=policy.troop_cut_rate, floor=policy.troop_floor),
        np.where(handover_possible, policy.troop_floor, 1.0))
    ratio_e = np.where(
        months_open >= 0,
        pol.planned_fraction(months_future, cut_rate=policy.enabler_cut_rate,
                             floor=policy.enabler_floor)
        / pol.planned_fraction(months_open, cut_rate=policy.enabler_cut_rate,
                               floor=policy.enabler_floor),
        np.where(handover_possible, policy.enabler_floor, 1.0))
    promised = pol.action_level(troops * ratio_t, enablers * ratio_e, troops0,
                                troop_weight=troop_weight)
    new = active & np.logical_not(in_force) & (horizon > 0) & (level > 0.0)
    return {
        "kept": kept, "broken": broken, "fulfilled": fulfilled,
        "announced": np.where(new, promised, 0.0),
        "pledge_level": np.where(new, promised, np.where(in_force, pledge_level, 0.0)),
        "pledge_until": np.where(new, step + horizon - 1, np.where(in_force, pledge_until, -1)),
    }


def observe(level_prev, level, ended, kept, fulfilled, reversed_, announced_withdrawal,
            announced_pledge, abandoned, notice, cut_unconsulted, consulted, member, neighbour_share,
            trust_prev, honesty, active, trust):
    """Phase 3, observe: turn what each ally saw this month into evidence about the lead.

    Per mission, weighted by how much the ally observes it (``1`` for members, else
    ``outsider_weight + spillover_weight * share of neighbours in``)::

        bad  = e-(drop) + w- * (r * reversed + m * H * announced_withdrawal)
        good = e+(level, rise, kept) + promise(announced_pledge, H)

    then summed over missions; being consulted adds mild good evidence; abandoning a local partner
    is bad evidence for every ally (spillover). See :mod:`sim.rules.trust` for ``e-``, ``e+``.

    Returns:
        dict of per-ally evidence: ``good``, ``bad``, ``honesty_good``, ``honesty_bad``.
    """
    w_minus = trust.asymmetry * trust.w_plus
    drop = np.where(ended, 0.0, np.maximum(level_prev - level, 0.0))
    rise = np.maximum(level - level_prev, 0.0)
    observed = np.maximum(member, np.minimum(
        trust.outsider_weight + trust.spillover_weight * neighbour_share, 1.0))
    unconsulted = np.where(cut_unconsulted, 1.0, 1.0 - consulted)
    bad = tr.bad_action_evidence(
        drop, trust_prev, w_minus=w_minus, friction=trust.friction,
        surprise_gain=trust.surprise_gain, unconsulted=unconsulted, notice=notice,
        unconsulted_penalty=trust.unconsulted_penalty, notice_relief=trust.notice_relief)
    bad = bad + w_minus * (trust.reversal_penalty * reversed_
                           + trust.promise_weight * honesty * announced_withdrawal)
    good = np.where(active, tr.good_action_evidence(
        level, rise, kept, w_plus=trust.w_plus, keep_weight=trust.keep_weight,
        pledge_bonus=trust.pledge_bonus), 0.0)
    good = good + tr.promise_evidence(announced_pledge, honesty, w_plus=trust.w_plus,
                                      promise_weight=trust.promise_weight)
    spill = w_minus * trust.abandon_evidence * abandoned
    return {
        "good": sum_missions(observed * good) + trust.w_plus * trust.consult_evidence * consulted,
        "bad": sum_missions(observed * bad + spill),
        "honesty_good": sum_missions(observed * fulfilled),
        "honesty_bad": sum_missions(observed * reversed_),
    }


def update_trust(r_leader, s_leader, r_country, s_country, r_honesty, s_honesty, damage, evidence,
                 shock, trust):
    """Phase 4, update trust: both stocks, honesty and reputation damage.

    Leader stock: all evidence. Country stock: ``country_weight`` of it plus domestic shocks
    (``w- * shock``), which touch the country stock only; its bad evidence fades more slowly than
    its good evidence (``forgetting_country_bad``): structural doubt about the lead's durability
    outlasts the administration that caused it (ECFR 2021; Pew 2021).

    Returns:
        dict with the new stocks, ``damage``, ``trust_leader``, ``trust_country``, ``honesty`` and
        the combined ``trust``.
    """
    w_minus = trust.asymmetry * trust.w_plus
    shock_bad = w_minus * shock
    r_l = tr.forget_and_add(r_leader, evidence["good"], trust.forgetting_leader)
    s_l = tr.forget_and_add(s_leader, evidence["bad"], trust.forgetting_leader)
    r_c = tr.forget_and_add(r_country, trust.country_weight * evidence["good"],
                            trust.forgetting_country)
    s_c = tr.forget_and_add(s_country, trust.country_weight * evidence["bad"] + shock_bad,
                            trust.forgetting_country_bad)
    r_h = tr.forget_and_add(r_honesty, evidence["honesty_good"], trust.forgetting_honesty)
    s_h = tr.forget_and_add(s_honesty, evidence["honesty_bad"], trust.forgetting_honesty)
    dmg = tr.update_damage(damage, evidence["bad"] + shock_bad, damage_rate=trust.damage_rate,
                           heal_rate=trust.heal_rate)
    a, b = trust.prior_good, trust.prior_bad
    t_l = tr.beta_trust(r_l, s_l, a, b)
    t_c = tr.beta_trust(r_c, s_c, a, b)
    return {
        "r_leader": r_l, "s_leader": s_l, "r_country": r_c, "s_country": s_c,
        "r_honesty": r_h, "s_honesty": s_h, "damage": dmg,
        "trust_leader": t_l, "trust_country": t_c, "honesty": tr.beta_trust(r_h, s_h, a, b),
        "trust": tr.combined_trust(t_l, t_c, dmg, leader_weight=trust.leader_weight),
    }


def decide(member, effort, was_member, perception, interest, cost_sensitivity, exit_threshold,
           opposition, slope, fear, grievance, stress, trust_now, enablers, level, level_ref,
           effectiveness, eff_without_lead, risk, is_core, active, demand, effort_sum, n_members,
           left_weight, peak_weight, neighbour_share, noise, u_election, election, decision,
           trust_params):
    """Phase 6, decide: each ally joins, stays, sets its effort or leaves each mission.

    Simultaneous: the aggregates (``effort_sum``, ``n_members``, ``left_weight``, ``peak_weight``,
    ``neighbour_share``) describe the state before anyone decides this month. Effort is the share of
    its ``max_share`` of capable force an ally sends (0 on a core task: membership without troops).

    Returns:
        dict with the new ``member``, ``effort`` and ``was_member``, ``exits``/``joins`` (bool) and
        ``others`` (what the others put in, for grievance).
    """
    t_dec = tr.decision_trust(trust_now, enablers, press_weight=trust_params.press_weight)
    own = np.where(member, effort, 0.0)
    m_i = np.where(member, 1.0, 0.0)
    n_others = n_members - m_i
    mean_others = (effort_sum - own) / np.maximum(n_others, 1.0)
    others = np.where(n_others > 0.0,
                      decision.lead_example_weight * level
                      + (1.0 - decision.lead_example_weight) * mean_others,
                      level)
    success = dec.expected_success(t_dec, effectiveness, eff_without_lead)
    target = dec.contribution_share(
        others, t_dec, fear, level, demand, perception, slope=slope,
        threat_gain=decision.threat_gain, fear_gain=decision.fear_gain,
        demand_response=decision.demand_response)
    target = np.where(is_core, 0.0, target)
    utility = dec.membership_utility(
        perception, success, interest, cost_sensitivity, risk, target, stress, grievance,
        neighbour_share, noise, value=decision.value, member_cost=decision.member_cost,
        risk_cost=decision.risk_cost, casualty_cost=decision.casualty_cost,
        grievance_weight=decision.grievance_weight, peer_weight=decision.peer_weight,
        noise_scale=decision.noise_scale)
    departed = dec.departed_share(level, level_ref, left_weight, peak_weight,
                                  lead_exit_weight=decision.lead_exit_weight)
    p_exit = dec.election_exit_probability(opposition, election, hazard=decision.election_hazard)
    election_exit = u_election < p_exit
    new_member = dec.decide_membership(member, utility, departed, exit_threshold, election_exit,
                                       active, join_threshold=decision.join_threshold,
                                       leave_threshold=decision.leave_threshold)
    return {
        "member": new_member,
        "effort": np.where(new_member, target, 0.0),
        "was_member": was_member | new_member,
        "exits": member & np.logical_not(new_member) & active,
        "joins": new_member & np.logical_not(member),
        "others": others,
    }


def mission_outcome(lead_troops, lead_enablers, ally_troops, ally_capable_troops, coverage,
                    partner_force, partner_capacity, required_force, is_core, active, operations):
    """Phase 7, effectiveness of each mission with the lead and (counterfactually) without it.

    Stabilisation: troops (lead + allies + capable partner) and enablers (the lead's plus what
    capable allies bring) as complements, :func:`sim.rules.missions.ces_effectiveness`.
    Core task: the allies' coverage (size-weighted share of allies that are members) and the
    intelligence enablers as complements.

    Returns:
        dict with ``effectiveness``, ``eff_without_lead``, ``troop_fraction``, ``enabler_fraction``
        and ``ally_enablers`` (the allies' enabler supply as a fraction of the need, uncapped; 0 on
        a core task).
    """
    x_t = np.where(is_core, coverage, mis.troop_fraction(
        lead_troops, ally_troops, partner_force, partner_capacity, required_force))
    ally_e = mis.enabler_fraction(0.0, ally_capable_troops, required_force,
                                  ally_enabler_yield=operations.ally_enabler_yield)
    ally_e = np.where(is_core, np.minimum(operations.ally_enabler_yield * coverage, 1.0), ally_e)
    x_e = np.minimum(lead_enablers + ally_e, 1.0)
    x_t0 = np.where(is_core, coverage, mis.troop_fraction(
        0.0, ally_troops, partner_force, partner_capacity, required_force))
    on = np.where(active, 1.0, 0.0)
    eff = mis.ces_effectiveness(x_t, x_e, alpha=operations.ces_alpha, rho=operations.ces_rho) * on
    eff0 = mis.ces_effectiveness(x_t0, ally_e, alpha=operations.ces_alpha,
                                 rho=operations.ces_rho) * on
    supply = np.where(is_core, 0.0, operations.ally_enabler_yield * ally_capable_troops
                      / required_force) * on
    return {"effectiveness": eff, "eff_without_lead": eff0, "troop_fraction": x_t * on,
            "enabler_fraction": x_e * on, "ally_enablers": supply}


def attack_and_perceive(perception, baseline, threat, threat_initial, contributing, u_attack,
                        forced, active, stress, operations, capacity):
    """Phase 7, attacks: random attacks (rate rising with threat), perception and casualty stress.

    Returns:
        dict with ``attacked`` (bool per ally and mission), ``perception``, ``stress`` and
        ``casualties`` (per ally: attacks suffered while contributing).
    """
    p = mis.attack_probability(threat, contributing, rate_per_step=operations.attack_rate,
                               exposure=operations.contributor_exposure)
    attacked = ((u_attack < p) & active) | forced
    hit = np.where(attacked, 1.0, 0.0)
    casualties = sum_missions(hit * contributing)
    return {
        "attacked": attacked,
        "perception": cap_rules.update_perception(perception, baseline, threat, threat_initial, hit,
                                                  rate=operations.perception_rate,
                                                  attack_jump=operations.attack_jump),
        "stress": cap_rules.update_stress(stress, casualties, retention=capacity.stress_retention),
        "casualties": casualties,
    }


def ally_capacity_and_grievance(capacity, grievance, member, effort, others_effort, is_core,
                                building, demand, capacity_params, grievance_params):
    """Phase 8, capacity and grievance.

    Capacity grows with the lead's capacity building (directed at allies in some mission) and with
    deployment experience. Grievance grows with effort above the others' and with demands above
    capacity, summed over stabilisation missions.

    Returns:
        dict with ``capacity`` and ``grievance``.
    """
    stab_member = np.where(member & np.logical_not(is_core), 1.0, 0.0)
    in_any = sum_missions(np.where(member, 1.0, 0.0)) > 0.0
    deployed = sum_missions(stab_member * effort) > 0.0
    b = np.where(in_any, building, 0.0)
    new_cap = cap_rules.update_ally_capacity(
        capacity, b, np.where(deployed, 1.0, 0.0), growth=capacity_params.ally_growth,
        experience=capacity_params.ally_experience, decay=capacity_params.ally_decay)
    excess = sum_missions(stab_member * np.maximum(effort - others_effort, 0.0))
    overdemand = sum_missions(stab_member * np.maximum(demand - capacity, 0.0))
    new_g = cap_rules.update_grievance(grievance, excess, overdemand,
                                       retention=grievance_params.retention,
                                       burden_gain=grievance_params.burden_gain,
                                       demand_gain=grievance_params.demand_gain)
    return {"capacity": new_cap, "grievance": new_g}
