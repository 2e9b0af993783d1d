"""What an ally expects of the lead: its presence in a mission over the ally's decision horizon.

Allies decide on what they expect the lead to do over the months their decision commits them to,
not on what it does this month. The expectation combines the lead's current action, what it has
announced (a withdrawal due on a later date; a pledge), how far its word is believed (honesty), its
track record (trust) and its electoral calendar (a commitment that outlives the lead's next election
may be reversed by a new administration: durability).
"""

from __future__ import annotations

import numpy as np

__all__ = ["expected_presence", "months_to_next_election"]


def months_to_next_election(step, *, period, phase):
    """Months from ``step`` to the lead's next election month (1 if it is next month)."""
    return np.remainder(phase - step - 1, period) + 1


def expected_presence(current, announced, months_to_effect, pledged, months_pledged, honesty,
                      trust, trust_country, months_to_election, horizon, *, trust_weight,
                      reversal_risk, max_horizon):
    """Expected presence of the lead in a mission over the ally's horizon, in [0, 1].

    Equation, for the months ``k = 1..H`` of the ally's horizon::

        planned_k = A  if k >= a (an announced level A from month a), else c (the current presence)
        doubted_k = (1 - w_T * (1 - T)) * planned_k
        E_k = H_o * P + (1 - H_o) * doubted_k         if k <= u (a pledge P for u more months)
            = doubted_k                               otherwise
        durable_k = 1 - rho * (1 - T_C)                if k > e (after the lead's next election)
                  = 1                                  otherwise
        E = mean_k(E_k * durable_k)

    Presences are shares of the lead's full action level. An announced withdrawal counts as it is
    said (allies take bad news at its word); doubt about the lead's record discounts what it plans;
    a pledge replaces that doubt only as far as the lead's honesty ``H_o`` is believed (Sartori
    2002), so after a reversal the same pledge raises the expectation by less. ``rho`` is the chance that a new administration reverses a commitment, discounted by
    country trust ``T_C`` (structural belief in the lead's durability); ``w_T`` how far doubt about
    the lead's record (``1 - T``) becomes expected absence.

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

    Sources: the essay ("raise questions about the durability of some of our actions"); Sartori
    (2002) on the value of a reputation for honesty; Tago (2009) and the Pew series on
    administrations (docs/references.md).
    """
    # The sum over k has a closed form: every factor is piecewise constant in k, so it is a sum of
    # counts of months in ranges (``tests/test_schedule.py`` checks it against the sum itself).
    h = np.asarray(horizon, dtype=np.float64)
    e = np.asarray(months_to_election, dtype=np.float64)
    u = np.asarray(months_pledged, dtype=np.float64)
    a = np.minimum(np.asarray(months_to_effect, dtype=np.float64), h + 1.0)
    q = reversal_risk * (1.0 - trust_country)             # the discount after the election
    w = 1.0 - trust_weight * (1.0 - trust)                # doubt about the lead's record

    def n(lo, hi):                                         # months k in [lo, hi] and in [1, H]
        return np.maximum(np.minimum(hi, h) - np.maximum(lo, 1.0) + 1.0, 0.0)

    def doubted_from(lo):           # sum over k = lo..H of durable_k * (1 - H_o * pledged_k)
        late = np.maximum(lo, e + 1.0)
        return (n(lo, h) - q * n(late, h)
                - honesty * (n(lo, u) - q * n(late, u)))

    pledge_part = honesty * pledged * (n(1.0, u) - q * n(e + 1.0, u))
    total = pledge_part + w * (current * doubted_from(1.0)
                               + (announced - current) * doubted_from(a))
    return total / np.maximum(h, 1.0)
