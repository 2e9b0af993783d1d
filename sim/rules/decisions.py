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
    "stay_hurdle",
    "decide_membership",
    "EXIT_CAUSES",
    "exit_cause",
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
                       fear_gain, demand_response, substitution=0.0, conditionality=0.0):
    """Effort a member puts in: the share of its ``max_share`` of capable force it sends.

    One reaction function for conditional cooperation, free riding and substitution::

        f = clip(beta * (o + g * tau) + sigma * tau * (1 - o) + delta * d * max(T, c)
                 + phi * (a+ * (1 - l) + a- * l), 0, 1)

    The slope of effort in what the others put in is ``df/do = beta - sigma * tau``: conditional
    cooperators (``beta`` near 0.8, ``sigma = 0``) put in in proportion to what the others put in,
    slightly less, and more when they perceive a threat (the lead's part of ``o`` is what the ally
    expects of it, which already carries its trust: :mod:`sim.rules.expectations`); free riders
    (``beta = sigma = 0``) respond only to demands and fears; substituters (``sigma > 0``) fill the
    gap the others leave, the more so the more they perceive the threat (negative slope: allies as
    substitutes, Olson & Zeckhauser 1966). A demand ``d`` moves effort in proportion to the trust
    that prices it, or to the lead's conditionality ``c`` (leverage: the lead ties its own presence
    to the demand being met), whichever is larger. Allies that fear abandonment (``a > 0``) put in
    more when the lead's effort falls, to keep it in; allies that fear entrapment (``a < 0``) hold
    back when the lead's effort is high. The troops sent are ``f * max_share * K * F``.

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
        substitution: sigma in [0, 2], the ally's substitution.
        conditionality: c in [0, 1], the lead's leverage behind its demand.

    Sources: Fischbacher, Gächter & Fehr (2001); Fischbacher & Gächter (2010) "Social preferences,
    beliefs, and the dynamics of free riding"; Olson & Zeckhauser (1966) "An economic theory of
    alliances"; Snyder (1984) "The security dilemma in alliance politics" (abandonment and
    entrapment).
    """
    fear_term = fear_gain * (np.maximum(fear, 0.0) * (1.0 - lead_level)
                             + np.minimum(fear, 0.0) * lead_level)
    gap = substitution * perception * (1.0 - np.minimum(others, 1.0))
    raw = (slope * (others + threat_gain * perception) + gap
           + demand_response * demand * np.maximum(trust, conditionality) + fear_term)
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
                       casualty_cost, grievance_weight, peer_weight, noise_scale, pivotality=1.0,
                       publicness=0.0):
    """The ally's net value of being in the mission this month.

    Equation::

        U = v * tau * q * ((1 - psi) + psi * z) + pi
            - kappa * (m + c_r * risk * f + c_s * s) - w_G * G + w_P * p + eps

    A working mission is partly a public good: with publicness ``psi`` every ally that perceives
    the threat gets ``psi`` of its value whether it takes part or not, so what membership adds is
    the club part ``(1 - psi)`` plus the ally's own weight in the outcome, its pivotality ``z`` (its
    contribution as a share of what the mission needs). Small allies free-ride on large ones, and
    the large bear the burden (the exploitation of the great by the small: Olson & Zeckhauser 1966).
    ``eps`` is the ally's lasting taste for the mission plus this month's noise, already scaled.

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
        noise: eps, taste plus noise (utility units).
        value: v >= 0, value of a working mission against a perceived threat.
        member_cost: m >= 0, the cost of membership alone (membership is cheap).
        risk_cost: c_r >= 0, cost per unit of risk times effort.
        casualty_cost: c_s >= 0, cost per unit of casualty stress.
        grievance_weight: w_G >= 0.
        peer_weight: w_P >= 0.
        noise_scale: sigma >= 0, multiplies ``noise`` (1 when the caller has scaled it).
        pivotality: z in [0, 1].
        publicness: psi in [0, 1].

    Sources: MODEL.md (ally decision); Olson & Zeckhauser (1966); Tago (2009); Mello (2020).
    """
    worth = value * threat_perception * success * ((1.0 - publicness) + publicness * pivotality)
    return (worth + interest
            - cost_sensitivity * (member_cost + risk_cost * risk * effort + casualty_cost * stress)
            - grievance_weight * grievance + peer_weight * peer_share + noise_scale * noise)


def departed_share(lead_level, lead_reference, left_weight, peak_weight, *, lead_exit_weight,
                   tied_left=0.0, tied_peak=0.0, tie_weight=0.0):
    """Share of the coalition that has left, with the lead's exit weighing heavily and tied
    partners' exits more than strangers'.

    Equation::

        Q = w_L * (1 - min(1, l / l_ref)) + (1 - w_L) * ((1 - w_T') * W_left / W_peak
                                                         + w_T' * n_left / (n_peak + 1))

    ``W_left`` is the size-weight of the other allies that were members and left, ``W_peak`` the
    weight of every ally that has been a member, the deciding ally included (the share of the
    coalition's weight that has left: MODEL.md); ``n_left / (n_peak + 1)`` the same count in the
    ally's tied group, itself and its tied partners (network neighbours: bilateral ties, shared
    units, regional blocs), and
    ``w_T' = w_T`` where the ally has a tied partner that has been a member (else 0). "Other
    important countries are withdrawing ... no reason for us to stay"; "we will not stay without
    the Americans": ``w_L`` is large.

    Args:
        lead_level: l in [0, 1].
        lead_reference: l_ref in [0, 1], the lead's initial level in the mission (0: the lead was
            never in it, and its absence counts for nothing).
        left_weight: W_left >= 0.
        peak_weight: W_peak >= 0.
        lead_exit_weight: w_L in [0, 1].
        tied_left: n_left >= 0, tied partners that were members and left.
        tied_peak: n_peak >= 0, tied partners that have been members.
        tie_weight: w_T in [0, 1].

    Sources: Granovetter (1978) "Threshold models of collective behavior"; Côte d'Ivoire on
    MINUSMA, Nov 2022 (docs/scenarios.md).
    """
    present_at_start = lead_reference > 0.0
    lead_gone = np.where(present_at_start, 1.0 - np.minimum(
        lead_level / np.where(present_at_start, lead_reference, 1.0), 1.0), 0.0)
    allies_gone = left_weight / np.maximum(peak_weight, 1e-12)
    has_ties = tied_peak > 0.0
    w_t = np.where(has_ties, tie_weight, 0.0)
    tied_gone = np.where(has_ties, tied_left / (tied_peak + 1.0), 0.0)
    return (lead_exit_weight * lead_gone
            + (1.0 - lead_exit_weight) * ((1.0 - w_t) * allies_gone + w_t * tied_gone))


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


def stay_hurdle(focal, *, join_threshold, leave_threshold, renewal_hurdle):
    """Utility a member needs to stay: ``u_leave``, or at a renewal (a focal date)
    ``u_leave + r * (u_join - u_leave)`` with ``r = renewal_hurdle`` (0: a renewal changes
    nothing; 1: a member must clear the join threshold to extend)."""
    return np.where(focal, leave_threshold + renewal_hurdle * (join_threshold - leave_threshold),
                    leave_threshold)


def decide_membership(member, utility, departed, exit_threshold, election_exit, active, *,
                      join_threshold, leave_threshold, absent=False, returning=False,
                      reentry_cost=0.0, focal=False, forced_in=False, forced_out=False,
                      renewal_hurdle=1.0, lasting=None, tenure=False):
    """Join and leave as a government's commitments: hysteresis, cascades, election exits, a
    minimum tenure, a lasting cause for leaving, a minimum absence and a re-entry cost.

    Rule::

        u_stay = stay_hurdle(focal)          (u_leave; higher at a renewal)
        low    = U < u_stay, for exit_delay months in a row (``lasting``; this month alone if None)
        stay   = member and (not low or tenure) and Q <= theta and not election_exit
        join   = not member and not absent and U > u_join + c_re * returning and Q <= theta
        member' = active and not forced_out and (stay or join or forced_in)

    ``u_join > u_leave`` (hysteresis): once in, an ally tolerates more before it leaves, and it
    leaves for a lasting cause, not one month's mood; within its tenure (a rotation after joining)
    only a cascade, an election, a scripted exit or the mission's end takes it out. At a focal date
    (a mandate's renewal) each member decides afresh whether to extend. A government that left
    stays out while ``absent`` (a minimum absence, the rest of the term of a government elected on
    leaving, a scripted absence, a late arrival) and returns only when conditions have changed by
    the re-entry cost ``c_re``.

    Args:
        member: bool, member now.
        utility: U from :func:`membership_utility`.
        departed: Q from :func:`departed_share`.
        exit_threshold: theta in [0, 1], the ally's Granovetter threshold.
        election_exit: bool, the election draw says leave.
        active: bool, the mission is active.
        join_threshold: u_join.
        leave_threshold: u_leave <= u_join.
        absent: bool, the ally may not join yet.
        returning: bool, the ally was a member and left.
        reentry_cost: c_re >= 0.
        focal: bool, a renewal decision this month.
        forced_in, forced_out: bool, a scripted entry or exit (scenario events).
        renewal_hurdle: r in [0, 1] (:func:`stay_hurdle`).
        lasting: bool, the utility has been below ``u_stay`` for the exit delay (None: this month).
        tenure: bool, the member is within its minimum tenure.

    Sources: Tago (2009); Mello (2020); Granovetter (1978).
    """
    cascade_ok = departed <= exit_threshold
    u_stay = stay_hurdle(focal, join_threshold=join_threshold, leave_threshold=leave_threshold,
                         renewal_hurdle=renewal_hurdle)
    low = (utility < u_stay) if lasting is None else lasting
    stay = (member & (np.logical_not(low) | tenure) & cascade_ok
            & np.logical_not(election_exit))
    hurdle = join_threshold + reentry_cost * np.where(returning, 1.0, 0.0)
    join = (np.logical_not(member) & np.logical_not(absent) & (utility > hurdle) & cascade_ok)
    return active & np.logical_not(forced_out) & (stay | join | forced_in)


#: codes of :func:`exit_cause`: index = code (0: not an exit of the ally's own or a script's)
EXIT_CAUSES = ("", "scripted", "election", "cascade", "renewal", "utility")


def exit_cause(exits, forced_out, election_exit, cascade, low, focal):
    """Why each exit happened, as a code into :data:`EXIT_CAUSES` (int8; 0 where no exit).

    Rule (the first that applies)::

        scripted  the scenario took the ally out (an expulsion, a planned end)
        election  the election draw said leave
        cascade   the departed share passed the ally's exit threshold (Q > theta)
        renewal   at a mandate's renewal, the utility below what extending needs
        utility   the utility below what staying needs, for the exit delay

    :func:`decide_membership` keeps a member that is not forced out only when none of the last
    four holds, so every exit gets exactly one code. An attribution, not a counterfactual: an exit
    with two causes (an election in a cascade) is counted under the first.

    Args:
        exits: bool, members that left an active mission this month.
        forced_out: bool, a scripted exit.
        election_exit: bool, the election draw.
        cascade: bool, ``Q > theta``.
        low: bool, below the stay hurdle for long enough (outside the minimum tenure).
        focal: bool, a renewal decision this month.
    """
    conds = np.broadcast_arrays(exits, forced_out, election_exit, cascade, low & focal, low)
    code = np.select(conds[1:], [1, 2, 3, 4, 5], default=0)
    return np.where(conds[0], code, 0).astype(np.int8)
