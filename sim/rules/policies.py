"""The lead's behaviour: one parametric rule that every named policy configures.

A named policy (``load_shifting_first``, ``immediate_burden_sharing``, ``steady``, ``impulsive``) is a
point in the parameter space of these functions (``configs/policy/*.yaml``). Because a policy is
parameters, not code, runs under different policies advance together in one ensemble, and an
administration change is a change of parameter values.
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "action_level",
    "handover_opens",
    "planned_fraction",
    "impulse_step",
    "pledge_status",
]


def action_level(troops, enablers, initial_troops, *, troop_weight):
    """The lead's action level in a mission: what allies watch.

    Equation: ``l = a * T / T_0 + (1 - a) * E`` (``a = 0`` where the lead had no troops).

    Args:
        troops: T >= 0, the lead's troops in the mission.
        enablers: E in [0, 1], its enabler coverage.
        initial_troops: T_0 >= 0, its troops at the start.
        troop_weight: a in [0, 1], weight of troops against enablers in allies' eyes.
    """
    has_troops = initial_troops > 0.0
    a = np.where(has_troops, troop_weight, 0.0)
    ratio = np.where(has_troops, troops / np.where(has_troops, initial_troops, 1.0), 0.0)
    return a * ratio + (1.0 - a) * enablers


def handover_opens(started, months_in_office, receiver_capacity, *, cut_start, threshold):
    """Whether the lead has begun handing a mission over (sticky once open).

    Rule: open if already open, or the scheduled cut date has come
    (``cut_start >= 0 and months_in_office >= cut_start``), or the receivers' capacity has passed
    the handover threshold (load shifting: "hand a role over only when the receiver's capacity passes
    a threshold").

    Args:
        started: bool, handover already under way.
        months_in_office: months since the administration took office (int >= 0).
        receiver_capacity: mean of the local partner's capacity and the member allies' capacity.
        cut_start: months after taking office when scheduled cuts begin; < 0 for never.
        threshold: receiver capacity that opens the handover; > 1 for never.
    """
    scheduled = (cut_start >= 0) & (months_in_office >= cut_start)
    ready = receiver_capacity >= threshold
    return started | scheduled | ready


def planned_fraction(months_open, *, cut_rate, floor):
    """Fraction of its initial effort the lead plans to keep ``months_open`` months into a handover.

    Equation: ``f = max(floor, 1 - c * max(months_open, 0))``.

    Args:
        months_open: months since the handover opened (negative: not open).
        cut_rate: c >= 0, fraction cut per month.
        floor: the effort it keeps in the end, in [0, 1].
    """
    return np.maximum(floor, 1.0 - cut_rate * np.maximum(months_open, 0))


def impulse_step(pending_due, withdrawn, step, u_announce, u_carry, u_return, active, *,
                 p_impulse, notice, p_carry_out, p_return):
    """The impulsive lead: announce an abrupt withdrawal, sometimes carry it out, sometimes reverse.

    State per mission: ``pending_due`` (step at which an announced withdrawal falls due, -1 if none)
    and ``withdrawn`` (1 while the impulsive withdrawal is in force). Each step:

    * withdrawn: with probability ``p_return`` the lead comes back (a reversal);
    * due: with probability ``p_carry_out`` the withdrawal happens, else it is called off (a reversal);
    * idle: with probability ``p_impulse`` a withdrawal is announced, due ``notice`` steps later
      (``notice = 0`` carries it out at once).

    Args:
        pending_due: int, -1 if nothing announced.
        withdrawn: int 0/1.
        step: the current step.
        u_announce, u_carry, u_return: uniform draws in [0, 1).
        active: bool, the mission is active.
        p_impulse: announcement probability per step, in [0, 1].
        notice: steps between announcement and execution, >= 0.
        p_carry_out: probability the announcement is carried out, in [0, 1].
        p_return: probability per step of coming back after a withdrawal, in [0, 1].

    Returns:
        ``(pending_due, withdrawn, announced, carried_out, reversed)``; the last three are bool.
    """
    is_out = (withdrawn == 1) & active
    returned = is_out & (u_return < p_return)
    announced = active & np.logical_not(is_out) & (pending_due < 0) & (u_announce < p_impulse)
    pending = np.where(announced, step + notice, pending_due)
    due = active & np.logical_not(is_out) & (pending >= 0) & (pending <= step)
    carried = due & (u_carry < p_carry_out)
    called_off = due & np.logical_not(carried)
    new_withdrawn = np.where(carried, 1, np.where(returned, 0, withdrawn))
    new_pending = np.where(due | np.logical_not(active), -1, pending)
    return new_pending, new_withdrawn, announced, carried, returned | called_off


def pledge_status(level, pledge_level, pledge_until, step, *, tolerance):
    """Whether an announced pledge is being kept this step.

    A pledge ``(level L, until step u)`` is active while ``u >= step``. It is kept this step if
    ``l >= L - tolerance``; broken otherwise (a reversal: a pledge followed by the opposite act);
    fulfilled when the step reaches ``u`` with the pledge kept.

    Args:
        level: l, the lead's action level.
        pledge_level: L in [0, 1].
        pledge_until: u, last step of the pledge; < 0 for no pledge.
        step: current step.
        tolerance: slack in [0, 1).

    Returns:
        ``(kept, broken, fulfilled)``, bool arrays.
    """
    active = pledge_until >= step
    kept = active & (level >= pledge_level - tolerance)
    broken = active & np.logical_not(kept)
    fulfilled = kept & (pledge_until == step)
    return kept, broken, fulfilled
