"""Missions: effectiveness from troops and enablers, threat, attacks, and the local partner force."""

from __future__ import annotations

import numpy as np

__all__ = [
    "ces_effectiveness",
    "troop_fraction",
    "enabler_fraction",
    "update_threat",
    "attack_probability",
    "update_partner_capacity",
    "update_dependence",
]

_EPS = 1e-6


def ces_effectiveness(troops, enablers, *, alpha, rho):
    """Mission effectiveness with troops and enablers as complements (a CES aggregate).

    Equation: ``e = (alpha * x_T**rho + (1 - alpha) * x_E**rho) ** (1 / rho)``, ``rho < 0``.

    With ``rho < 0`` the inputs are complements: effectiveness is limited by the scarcer one, so
    removing the lead's enablers costs far more than its share of the troops. Inputs are floored at
    1e-6 so that a missing input gives effectiveness near 0, never a division by zero.

    Args:
        troops: x_T, troops as a fraction of what the mission needs, in [0, 1].
        enablers: x_E, enabler coverage as a fraction of the need, in [0, 1].
        alpha: weight of troops, in (0, 1).
        rho: substitution parameter, < 0 (rho -> 0 is Cobb-Douglas, rho -> -inf is Leontief).

    Returns:
        Effectiveness in [0, 1].

    Sources: Hirshleifer (1983) "From weakest-link to best-shot"; Cornes & Hartley (2007)
    "Weak links, good shots and other public good games".
    """
    xt = np.maximum(troops, _EPS)
    xe = np.maximum(enablers, _EPS)
    inner = alpha * np.power(xt, rho) + (1.0 - alpha) * np.power(xe, rho)
    return np.power(inner, 1.0 / rho)


def troop_fraction(lead_troops, ally_troops, partner_force, partner_capacity, required_force):
    """Troops on the ground as a fraction of the mission's need.

    Equation: ``x_T = min(1, (T_lead + sum_i c_i + F_p * P) / F_req)``.

    Args:
        lead_troops: the lead's troops (personnel), >= 0.
        ally_troops: the allies' summed contributions (personnel), >= 0.
        partner_force: the local partner's nominal force (personnel), >= 0.
        partner_capacity: P in [0, 1], the partner's capacity to use that force.
        required_force: personnel the mission needs, > 0.
    """
    return np.minimum((lead_troops + ally_troops + partner_force * partner_capacity)
                      / required_force, 1.0)


def enabler_fraction(lead_enablers, ally_capacity_troops, required_force, *, ally_enabler_yield):
    """Enabler coverage: the lead's plus what capable allies bring with their own troops.

    Equation: ``x_E = min(1, E_lead + y * sum_i K_i c_i / F_req)``.

    Only the lead supplies ISR, air refuelling, airlift and logistics at scale; allies bring enablers
    in proportion to their capacity K and the troops they send, with a small yield ``y``.

    Args:
        lead_enablers: the lead's coverage E in [0, 1].
        ally_capacity_troops: ``sum_i K_i * c_i`` (personnel weighted by capacity), >= 0.
        required_force: personnel the mission needs, > 0.
        ally_enabler_yield: y >= 0.

    Source: SOURCES.md (Libya 2011: up to 85% of the fuel from the US; Barkhane's US ISR and
    refuelling).
    """
    return np.minimum(lead_enablers + ally_enabler_yield * ally_capacity_troops / required_force, 1.0)


def update_threat(threat, effectiveness, *, growth, suppression, resurgence):
    """Threat grows when unaddressed and shrinks with effectiveness; it never dies out for good.

    Equation: ``theta' = clip(theta + g * (theta + r) * (1 - theta) - s * e * theta, 0, 1)``.

    The resurgence term ``r`` keeps zero from being absorbing (networks regroup). At steady
    effectiveness ``e`` the threat settles where growth and suppression balance, so a mission that
    works holds the threat low and one that fails lets it climb back.

    Args:
        threat: theta in [0, 1].
        effectiveness: e in [0, 1].
        growth: g >= 0 per step.
        suppression: s >= 0 per step.
        resurgence: r >= 0.
    """
    return np.clip(threat + growth * (threat + resurgence) * (1.0 - threat)
                   - suppression * effectiveness * threat, 0.0, 1.0)


def attack_probability(threat, contributing, *, rate_per_step, exposure):
    """Probability that an ally suffers a terrorist attack linked to a mission this step.

    Equation: ``p = min(1, a * theta * (1 + x * contributing))``.

    Args:
        threat: the mission's threat theta in [0, 1].
        contributing: 1 if the ally has troops in the mission, else 0.
        rate_per_step: a in [0, 1], attacks per ally per step at full threat.
        exposure: x >= 0, extra exposure of contributors.
    """
    return np.minimum(rate_per_step * threat * (1.0 + exposure * contributing), 1.0)


def update_partner_capacity(capacity, dependence, enablers, building, present, *,
                            growth, decay, collapse_rate):
    """Local partner capacity: slow growth with capacity building, collapse if enablers go early.

    Equation::

        gap = max(0, D - E)                       (dependence not covered by enablers)
        P' = clip(P + g * b * present * (1 - P) - d * P - c * gap * P, 0, 1)

    With dependence high and enablers pulled (``gap`` near 1), ``P`` falls by a factor ``(1 - c)``
    per month: with c = 0.45 over 80% is lost within three months. With dependence already low the
    same exit costs little.

    Args:
        capacity: P in [0, 1].
        dependence: D in [0, 1], dependence on the lead's enablers.
        enablers: E in [0, 1], the mission's enabler coverage: the lead's plus what allies bring
            (allies that build their own enablers can carry a partner the lead leaves).
        building: b in [0, 1], the lead's capacity-building effort.
        present: 1 while the mission is active, else 0.
        growth: g >= 0 per step (Biddle et al. 2018: the gain is modest).
        decay: d >= 0 per step.
        collapse_rate: c in [0, 1].

    Sources: Biddle, Macdonald & Baker (2018) "Small footprint, small payoff"; SIGAR (2021) on the
    Afghan forces' collapse after the withdrawal of US contractors and air support.
    """
    gap = np.maximum(dependence - enablers, 0.0)
    new = capacity + growth * building * present * (1.0 - capacity) - decay * capacity \
        - collapse_rate * gap * capacity
    return np.clip(new, 0.0, 1.0)


def update_dependence(dependence, capacity, *, rate):
    """Dependence on the lead's enablers relaxes toward ``1 - capacity``.

    Equation: ``D' = D + r * ((1 - P) - D)``.

    Dependence falls only as the partner's capacity grows, and rises again if it collapses.

    Args:
        dependence: D in [0, 1].
        capacity: P in [0, 1].
        rate: r in [0, 1] per step.
    """
    return dependence + rate * ((1.0 - capacity) - dependence)
