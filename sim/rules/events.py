"""Scenario events and administrations: their effect on the lead's state, as pure functions."""

from __future__ import annotations

import numpy as np

__all__ = ["withdraw", "deploy", "next_administration", "is_lead_election"]


def withdraw(cut, fraction):
    """Share of the lead's planned effort withdrawn after a withdrawal of ``fraction`` of what is
    left: ``w' = 1 - (1 - w) * (1 - fraction)``. A reversal restores the share before the last
    withdrawal; abandoning a local partner withdraws everything (``fraction = 1``).

    Args:
        cut: w in [0, 1], share already withdrawn by events.
        fraction: in [0, 1].
    """
    return 1.0 - (1.0 - cut) * (1.0 - fraction)


def deploy(cut, fraction):
    """Share still withdrawn after the lead redeploys ``fraction`` of what it had withdrawn:
    ``w' = w * (1 - fraction)``. A deployment is an action, not a reversal: it is good evidence
    through the rise of the action level, and costs no honesty.

    Args:
        cut: w in [0, 1], share withdrawn by events.
        fraction: in [0, 1].
    """
    return cut * (1.0 - fraction)


def is_lead_election(step, *, period, phase):
    """The lead's election months: ``(step - phase) mod period == 0`` (ints)."""
    return np.remainder(step - phase, period) == 0


def next_administration(current, u, *, next_policy, p_change):
    """At a lead election under random alternation: with probability ``p_change`` the next policy
    in the cycle takes office.

    Args:
        current: index of the policy in force (int or int array).
        u: uniform draw in [0, 1).
        next_policy: int array mapping each policy index to the next one in the cycle.
        p_change: probability of a change of administration at an election.

    Returns:
        ``(new index, changed)``.
    """
    changed = u < p_change
    return np.where(changed, next_policy[current], current), changed
