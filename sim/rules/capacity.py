"""Ally capacity, threat perception, consultation and grievance."""

from __future__ import annotations

import numpy as np

__all__ = [
    "update_ally_capacity",
    "update_perception",
    "consult_perception",
    "update_stress",
    "update_grievance",
]


def update_ally_capacity(capacity, building, contributing, *, growth, experience, decay):
    """An ally's military capacity K (to field and sustain forces without the lead's enablers).

    Equation: ``K' = clip(K + (g * b + x * c) * (1 - K) - d * K, 0, 1)``.

    Grows with the lead's capacity building ``b`` and with the experience of deploying ``c``,
    decays slowly without them (Biddle et al. 2018: the gain is modest).

    Args:
        capacity: K in [0, 1].
        building: b in [0, 1], capacity building the lead directs at this ally.
        contributing: 1 if the ally has troops deployed, else 0.
        growth: g >= 0 per step.
        experience: x >= 0 per step.
        decay: d >= 0 per step.

    Source: Biddle, Macdonald & Baker (2018) "Small footprint, small payoff".
    """
    new = capacity + (growth * building + experience * contributing) * (1.0 - capacity) \
        - decay * capacity
    return np.clip(new, 0.0, 1.0)


def update_perception(perception, baseline, threat, threat_initial, attacked, *, rate, attack_jump):
    """Threat perception follows the mission's threat from the ally's own outlook, and jumps after
    an attack.

    Equation::

        target = clip(tau_0 + theta - theta_0, 0, 1)
        tau'  = tau + r * (target - tau)
        tau'' = tau' + j * attacked * (1 - tau')

    Allies keep their own view of a threat (``tau_0``: proximity, history) and move it as the threat
    rises or falls from where it started (``theta_0``).

    Args:
        perception: tau in [0, 1].
        baseline: tau_0 in [0, 1], the ally's initial perception.
        threat: theta in [0, 1], the mission's threat.
        threat_initial: theta_0 in [0, 1], the mission's initial threat.
        attacked: 1 if the ally was struck this step, else 0.
        rate: r in [0, 1].
        attack_jump: j in [0, 1].
    """
    target = np.clip(baseline + threat - threat_initial, 0.0, 1.0)
    drifted = perception + rate * (target - perception)
    return drifted + attack_jump * attacked * (1.0 - drifted)


def consult_perception(perception, consulted_mean, consulted, *, rate):
    """Consultation brings the consulted allies' threat perceptions toward each other.

    Equation: ``tau' = tau + r * consulted * (mean_consulted - tau)``.

    The mean is taken over the consulted allies and the lead (whose perception is the threat itself).

    Args:
        perception: tau in [0, 1].
        consulted_mean: mean perception of the consulted allies and the lead, in [0, 1].
        consulted: 1 if the lead consulted this ally this step.
        rate: r in [0, 1].

    Source: the essay: consultations "help shape the threat perceptions of partners and allies and
    create coherence" between them.
    """
    return perception + rate * consulted * (consulted_mean - perception)


def update_stress(stress, casualties, *, retention):
    """Domestic cost of casualties: ``s' = rho * s + casualties``, fading geometrically.

    Args:
        stress: s >= 0.
        casualties: 1 if the ally's contingent took casualties this step, else 0 (>= 0).
        retention: rho in [0, 1].
    """
    return retention * stress + casualties


def update_grievance(grievance, excess_burden, overdemand, *, retention, burden_gain, demand_gain):
    """Grievance about burden sharing: accumulates when the ally carries more than the others or is
    asked for more than its capacity, and fades slowly.

    Equation: ``G' = rho * G + g_b * excess + g_d * overdemand``.

    Args:
        grievance: G >= 0.
        excess_burden: >= 0, how far the share of its own force it sends exceeds the others'.
        overdemand: >= 0, how far the lead's demand exceeds the ally's capacity.
        retention: rho in [0, 1].
        burden_gain: g_b >= 0.
        demand_gain: g_d >= 0.

    Source: the essay ("the traditional annoyances of European partners with burden sharing").
    """
    return retention * grievance + burden_gain * excess_burden + demand_gain * overdemand
