"""The ally's decision: join, stay, contribute or leave, per mission.

Decisions are simultaneous: every ally decides on the state at the start of the decide phase.
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "expected_success",
    "contribution_share",
    "contribution",
    "membership_utility",
    "departed_share",
    "is_election_month",
    "election_exit_probability",
    "decide_membership",
]


def expected_success(trust, eff_with_lead, eff_without_lead):
    """How well the ally expects the mission to work: it needs the lead to stay.

    Equation: ``q = T_dec * e_with + (1 - T_dec) * e_without``.

    Args:
        trust: T_dec in [0, 1], the ally's belief that the lead stays.
        eff_with_lead: effectiveness with the lead's current forces, in [0, 1].
        eff_without_lead: effectiveness if the lead left, in [0, 1].
    """
    return trust * eff_with_lead + (1.0 - trust) * eff_without_lead


def contribution_share(others, trust, fear, lead_level, demand, perception, *, slope, threat_gain,
                       fear_gain, demand_response):
    """Effort a member puts in: the share of its ``max_share`` of capable force it sends.

    Equation::

        f = clip(beta * (o + g * tau) + delta * d * T + phi * (a+ * (1 - l) + a- * l), 0, 1)

    Conditional cooperators (``beta`` near 0.8) put in in proportion to what the others put in,
    slightly less, and more when they perceive a threat (the lead's part of ``o`` is what the ally
    expects of it, which already carries its trust: :mod:`sim.rules.expectations`); free riders
    (``beta = 0``) respond only to demands and fears. Allies that fear abandonment (``a > 0``) put in
    more when the lead's effort falls, to keep it in; allies that fear entrapment (``a < 0``) hold
    back when the lead's effort is high. The troops sent are ``f * max_share * K * F``: scaled by
    capacity.

    Args:
        others: o in [0, 1], what the others put in (the lead as expected, and other members).
        trust: T_dec in [0, 1], pricing the lead's demand.
        fear: a in [-1, 1]; positive fears abandonment, negative fears entrapment.
        lead_level: l in [0, 1], the lead's expected level.
        demand: d in [0, 1], the lead's burden-sharing demand.
        perception: tau in [0, 1], the ally's threat perception.
        slope: beta in [0, 1.5], the ally's conditional-cooperation slope.
        threat_gain: g >= 0.
        fear_gain: phi >= 0.
        demand_response: delta >= 0.

    Sources: Fischbacher, Gächter & Fehr (2001); Fischbacher & Gächter (2010) "Social preferences,
    beliefs, and the dynamics of free riding"; Snyder (1984) "The security dilemma in alliance
    politics" (abandonment and entrapment).
    """
    fear_term = fear_gain * (np.maximum(fear, 0.0) * (1.0 - lead_level)
                             + np.minimum(fear, 0.0) * lead_level)
    raw = slope * (others + threat_gain * perception) + demand_response * demand * trust + fear_term
    return np.clip(raw, 0.0, 1.0)


def contribution(effort, capacity, force, *, max_share):
    """Troops an ally sends: ``c = f * s_max * K * F`` (personnel).

    Args:
        effort: f in [0, 1].
        capacity: K in [0, 1].
        force: F >= 0, deployable personnel.
        max_share: s_max in (0, 1], the most of its capable force an ally sends to one mission.
    """
    return effort * max_share * capacity * force


def membership_utility(threat_perception, success, interest, cost_sensitivity, risk, effort, stress,
                       grievance, peer_share, noise, *, value, member_cost, risk_cost,
                       casualty_cost, grievance_weight, peer_weight, noise_scale):
    """The ally's net value of being in the mission this month.

    Equation::

        U = v * tau * q + pi - kappa * (m + c_r * risk * f + c_s * s) - w_G * G + w_P * p
            + sigma * eps

    Args:
        threat_perception: tau in [0, 1].
        success: q in [0, 1], from :func:`expected_success`.
        interest: pi in [0, 1], private interest in the mission (e.g. France in the Sahel).
        cost_sensitivity: kappa >= 0.
        risk: the mission's casualty risk in [0, 1].
        effort: f in [0, 1], the effort it would put in.
        stress: s >= 0, domestic cost of recent casualties.
        grievance: G >= 0.
        peer_share: p in [0, 1], share of the ally's network neighbours that are in.
        noise: eps, a standard logistic draw.
        value: v >= 0, value of a working mission against a perceived threat.
        member_cost: m >= 0, the cost of membership alone (membership is cheap).
        risk_cost: c_r >= 0, cost per unit of risk times effort.
        casualty_cost: c_s >= 0, cost per unit of casualty stress.
        grievance_weight: w_G >= 0.
        peer_weight: w_P >= 0.
        noise_scale: sigma >= 0.

    Sources: MODEL.md (ally decision); Tago (2009); Mello (2020).
    """
    return (value * threat_perception * success + interest
            - cost_sensitivity * (member_cost + risk_cost * risk * effort + casualty_cost * stress)
            - grievance_weight * grievance + peer_weight * peer_share + noise_scale * noise)


def departed_share(lead_level, lead_reference, left_weight, peak_weight, *, lead_exit_weight):
    """Share of the coalition that has left, with the lead's exit weighing heavily.

    Equation::

        Q = w_L * (1 - min(1, l / l_ref)) + (1 - w_L) * W_left / W_peak

    ``W_left`` is the size-weight of allies that were members and left, ``W_peak`` the weight of
    every ally that has been a member. "We will not stay without the Americans": ``w_L`` is large.

    Args:
        lead_level: l in [0, 1].
        lead_reference: l_ref in [0, 1], the lead's initial level in the mission (0: the lead was
            never in it, and its absence counts for nothing).
        left_weight: W_left >= 0.
        peak_weight: W_peak >= 0.
        lead_exit_weight: w_L in [0, 1].

    Source: Granovetter (1978) "Threshold models of collective behavior".
    """
    present_at_start = lead_reference > 0.0
    lead_gone = np.where(present_at_start, 1.0 - np.minimum(
        lead_level / np.where(present_at_start, lead_reference, 1.0), 1.0), 0.0)
    allies_gone = left_weight / np.maximum(peak_weight, 1e-12)
    return lead_exit_weight * lead_gone + (1.0 - lead_exit_weight) * allies_gone


def is_election_month(step, period, phase):
    """True in an ally's national election month: ``(step - phase) mod period == 0``.

    Args:
        step: the model step (int).
        period: months between elections (int > 0).
        phase: month of the first election (int in [0, period)).
    """
    return np.remainder(step - phase, period) == 0


def election_exit_probability(opposition, election, *, hazard):
    """Exit hazard from a national election, scaled by domestic opposition to the mission.

    Equation: ``p = h * o`` in election months, else 0. A change of leader alone does not drive exit:
    the hazard is the opposition's.

    Args:
        opposition: o in [0, 1].
        election: 1 in an election month, else 0.
        hazard: h in [0, 1].

    Sources: Tago (2009) "When are democratic friends unreliable?"; Mello (2020) on elections and
    coalition defection.
    """
    return hazard * opposition * election


def decide_membership(member, utility, departed, exit_threshold, election_exit, active, *,
                      join_threshold, leave_threshold):
    """Join and leave with hysteresis, cascades and election exits.

    Rule::

        stay  = member and U >= u_leave and Q <= theta and not election_exit
        join  = not member and U > u_join and Q <= theta
        member' = active and (stay or join)

    ``u_join > u_leave`` (hysteresis): once in, an ally tolerates more before it leaves.

    Args:
        member: bool, member now.
        utility: U from :func:`membership_utility`.
        departed: Q from :func:`departed_share`.
        exit_threshold: theta in [0, 1], the ally's Granovetter threshold.
        election_exit: bool, the election draw says leave.
        active: bool, the mission is active.
        join_threshold: u_join.
        leave_threshold: u_leave <= u_join.
    """
    cascade_ok = departed <= exit_threshold
    stay = member & (utility >= leave_threshold) & cascade_ok & np.logical_not(election_exit)
    join = np.logical_not(member) & (utility > join_threshold) & cascade_ok
    return active & (stay | join)
