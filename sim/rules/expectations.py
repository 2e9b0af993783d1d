"""What an ally expects of the lead: its presence in a mission over the ally's decision horizon.

Allies decide on what they expect the lead to do over the months their decision commits them to,
not on what it does this month. The expectation combines the lead's current action, what it has
announced (a withdrawal due on a later date; a pledge), how far its word is believed (honesty), its
track record (trust) and its electoral calendar (a commitment that outlives the lead's next election
may be reversed by a new administration: durability).
"""

from __future__ import annotations

import numpy as np

__all__ = ["expected_presence", "months_to_next_election", "plan_sum", "NO_HANDOVER"]

NO_HANDOVER = -1e9           # months into a handover that is not in sight (a plan's start)


def months_to_next_election(step, *, period, phase):
    """Months from ``step`` to the lead's next election month (1 if it is next month)."""
    return np.remainder(phase - step - 1, period) + 1


def plan_sum(lo, hi, horizon, start, *, rate, floor):
    """Sum over the months ``k`` in ``[lo, hi]`` and in ``[1, H]`` of a handover plan's fraction.

    The plan keeps ``f(x) = max(F, 1 - c * max(x, 0))`` of its effort ``x`` months into the
    handover (:func:`sim.rules.policies.planned_fraction`); month ``k`` of the ally's horizon is
    ``x = s + k`` months into it (``s < 0``: the handover opens ``-s`` months from now). The sum
    has a closed form: ``f`` is 1 up to ``x = 0``, linear to ``x_F = floor((1 - F) / c)``, then
    ``F``.
    """
    h = np.asarray(horizon, dtype=np.float64)
    k1, k2 = np.maximum(lo, 1.0), np.minimum(hi, h)
    count = np.maximum(k2 - k1 + 1.0, 0.0)
    x1, x2 = start + k1, start + k2
    rate = np.asarray(rate, dtype=np.float64)
    steep = rate > 0.0
    x_floor = np.where(steep, np.floor((1.0 - floor) / np.where(steep, rate, 1.0)), 1e12)
    n_full = np.clip(np.minimum(x2, 0.0) - x1 + 1.0, 0.0, count)
    b1, b2 = np.maximum(x1, 1.0), np.minimum(x2, x_floor)
    n_lin = np.clip(b2 - b1 + 1.0, 0.0, count - n_full)
    lin = n_lin - rate * np.where(n_lin > 0.0, (b1 + b2) * n_lin / 2.0, 0.0)
    return n_full + lin + floor * (count - n_full - n_lin)


def expected_presence(current, announced, months_to_effect, pledged, months_pledged, honesty,
                      trust, trust_country, months_to_election, horizon, *, trust_weight,
                      reversal_risk, max_horizon, plan=()):
    """Expected presence of the lead in a mission over the ally's horizon, in [0, 1].

    Equation, for the months ``k = 1..H`` of the ally's horizon::

        p_k = sum_i w_i * f_i(s_i + k)        the lead's own plan (c, the current presence, if none)
        planned_k = p_k * (1 - H_o * (1 - A / c))  if k >= a (a level A announced from month a)
                  = p_k                            otherwise
        doubted_k = (1 - w_T * (1 - T)) * planned_k
        E_k = H_o * P + (1 - H_o) * doubted_k         if k <= u (a pledge P for u more months)
            = doubted_k                               otherwise
        durable_k = 1 - rho * (1 - T_C)                if k > e (after the lead's next election)
                  = 1                                  otherwise
        E = mean_k(E_k * durable_k)

    Presences are shares of the lead's full action level. The lead's plan is its policy's declared
    schedule (a handover's cuts of troops and enablers, ``f_i`` as in
    :func:`sim.rules.policies.planned_fraction`): a policy says what it will do, so allies read its
    schedule as announced (issue 11: "a scheduled handover" is a planned, announced act). Words
    count as far as the lead's honesty ``H_o`` is believed (Sartori 2002): an announced withdrawal
    lowers the expectation by ``H_o`` times what it says (a lead that has cried wolf is believed
    less), and a pledge replaces doubt about the lead's record only as far as it is believed, so
    after a reversal the same pledge raises the expectation by less. Durability: whatever the lead
    is expected to do or has promised for after its next election is discounted by the chance
    ``rho`` that a new administration reverses it, less so the more the ally trusts the country
    ``T_C`` (structural belief in the lead's durability). MODEL.md speaks of "a pledge that
    outlives the lead's next election"; the discount covers the presence and the plan too,
    because pledges in the model are short (12 months) and seldom outlive an election: on pledges
    alone, ``rho`` barely moved any outcome (a referee's measurement, CHANGELOG.md). ``w_T`` is
    how far doubt about the lead's record (``1 - T``) becomes expected absence.

    Args:
        current: c in [0, 1], the lead's presence now.
        announced: A in [0, 1], the presence after an announced withdrawal (ignored if none).
        months_to_effect: a >= 1, months until it takes effect (``> max_horizon``: none).
        pledged: P in [0, 1], the pledged presence (0: none).
        months_pledged: u >= 0, months the pledge still covers.
        honesty: H_o in [0, 1].
        trust: T in [0, 1], decision trust.
        trust_country: T_C in [0, 1].
        months_to_election: e >= 1, months to the lead's next election.
        horizon: H >= 1, the ally's decision horizon (months, int).
        trust_weight: w_T in [0, 1].
        reversal_risk: rho in [0, 1].
        max_horizon: the largest horizon of any ally (int; kept for the brute-force form).
        plan: the lead's schedule as parts ``(w_i, s_i, c_i, F_i)``: weight (presence at full
            strength of the part), months into the handover now (``s_i``; ``NO_HANDOVER``: no
            handover in sight), cut per month and floor. Empty: the current presence holds. The
            parts should give ``c`` at ``k = 0``.

    Sources: the essay ("raise questions about the durability of some of our actions"); Sartori
    (2002) on the value of a reputation for honesty; Tago (2009) and the Pew series on
    administrations (docs/references.md).
    """
    # The sum over k has a closed form: every weight is piecewise constant in k and the plan is
    # piecewise linear, so it is a sum over ranges of months (``tests/test_schedule.py`` checks it
    # against the sum itself).
    h = np.asarray(horizon, dtype=np.float64)
    e = np.asarray(months_to_election, dtype=np.float64)
    u = np.asarray(months_pledged, dtype=np.float64)
    a = np.minimum(np.asarray(months_to_effect, dtype=np.float64), h + 1.0)
    q = reversal_risk * (1.0 - trust_country)             # the discount after the election
    w = 1.0 - trust_weight * (1.0 - trust)                # doubt about the lead's record
    current = np.asarray(current, dtype=np.float64)

    def n(lo, hi):                                         # months k in [lo, hi] and in [1, H]
        return np.maximum(np.minimum(hi, h) - np.maximum(lo, 1.0) + 1.0, 0.0)

    # a part with no cut anywhere, or no handover in sight anywhere, holds its weight
    parts = [(wi, si, ci, fi, not np.any(ci) or np.all(si <= NO_HANDOVER))
             for wi, si, ci, fi in plan] if plan else [(current, NO_HANDOVER, 0.0, 1.0, True)]

    def cum(x):                  # sum of p_k over k = 1..min(x, H) (0 for x < 1)
        return sum(wi * (n(1.0, x) if flat else plan_sum(1.0, x, h, si, rate=ci, floor=fi))
                   for wi, si, ci, fi, flat in parts)

    # the sums over ranges of months are differences of five cumulative sums (p_k >= 0, so a
    # range that is empty gives a difference <= 0, clipped)
    cum_h, cum_u, cum_e = cum(h), cum(np.minimum(u, h)), cum(e)

    def doubted_from(cum_before, cum_late):
        """Sum over k = lo..H of durable_k * (1 - H_o * pledged_k) * p_k, from the cumulative
        sums up to lo - 1 and up to max(lo, e + 1) - 1."""
        return ((cum_h - cum_before) - q * (cum_h - cum_late)
                - honesty * (np.maximum(cum_u - cum_before, 0.0)
                             - q * np.maximum(cum_u - cum_late, 0.0)))

    said = np.where(current > 0.0, announced / np.where(current > 0.0, current, 1.0), 1.0)
    ratio = 1.0 - honesty * (1.0 - said)                 # an announcement, as far as believed
    pledge_part = honesty * pledged * (n(1.0, u) - q * n(e + 1.0, u))
    from_now = doubted_from(0.0, cum_e)
    from_effect = doubted_from(cum(a - 1.0), cum(np.maximum(a - 1.0, e)))
    total = pledge_part + w * (from_now + (ratio - 1.0) * from_effect)
    return total / np.maximum(h, 1.0)
