"""Trust as evidence: beta reputation with forgetting, asymmetry, surprise, a ceiling and honesty.

Each ally keeps two evidence stocks about the lead (Renshon, Dafoe & Huth 2018): one about the
current leader/administration and one about the lead country. Each stock is a pair of counts
``(r, s)`` of good and bad evidence (Jøsang & Ismail 2002, the beta reputation system).

All functions are pure and broadcast: the same call updates one ally (scalars) or
runs × missions × allies at once (arrays).
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "beta_trust",
    "forget_and_add",
    "bad_action_evidence",
    "good_action_evidence",
    "promise_evidence",
    "combined_trust",
    "decision_trust",
    "update_damage",
    "reset_leader_stock",
    "stance_evidence",
    "evidence_for",
]


def beta_trust(r, s, prior_good=1.0, prior_bad=1.0):
    """Expected trustworthiness of a beta-evidence stock with a prior.

    Equation: ``T = (r + a) / (r + s + a + b)``.

    The prior ``(a, b)`` is a pseudo-count that does not fade (Jøsang & Ismail's form is
    ``a = b = 1``): it sets trust before any evidence, ``a / (a + b)``, and how much one month's
    evidence can move it. A stronger prior keeps the response to good and bad evidence of the same
    size closer to their weights' ratio.

    Args:
        r: good evidence, >= 0.
        s: bad evidence, >= 0.
        prior_good: a > 0.
        prior_bad: b > 0.

    Returns:
        Trust in (0, 1).

    Source: Jøsang & Ismail (2002), "The beta reputation system", 15th Bled eConference.
    """
    return (r + prior_good) / (r + s + prior_good + prior_bad)


def forget_and_add(stock, added, forgetting):
    """Evidence stock with forgetting.

    Equation: ``x_{t+1} = lambda * x_t + delta_x``.

    Args:
        stock: current evidence count, >= 0.
        added: new evidence this step, >= 0.
        forgetting: lambda in (0, 1]; 1 never forgets, 0.9 halves old evidence in ~7 steps.

    Source: Jøsang & Ismail (2002), forgetting factor of the beta reputation system.
    """
    return forgetting * stock + added


def bad_action_evidence(drop, trust_before, *, w_minus, friction, surprise_gain,
                        unconsulted, notice, unconsulted_penalty, notice_relief):
    """Bad evidence from a cut in the lead's effort in a mission (a withdrawal).

    Equation::

        e- = w- * max(0, drop - friction) * (1 + g * T_before)
                * (1 + p_u * unconsulted) * (1 - r_n * notice)

    Small frictions (``drop <= friction``) are absorbed; strongly surprising bad events hit
    high-trust allies hardest ("the bigger they are, the harder they fall"); being surprised by a
    withdrawal one was not consulted about adds bad evidence; advance notice softens it.

    Args:
        drop: fall of the lead's action level this step, in [0, 1].
        trust_before: the ally's trust before the event, in [0, 1].
        w_minus: weight of bad evidence (Slovic 1993 asymmetry: about 3 x ``w_plus``), >= 0.
        friction: size of a cut that is absorbed without evidence, in [0, 1).
        surprise_gain: g >= 0, extra weight per unit of prior trust.
        unconsulted: 1 if the ally was not consulted about the cut, else 0.
        notice: 1 if the cut was announced in advance, else 0.
        unconsulted_penalty: p_u >= 0.
        notice_relief: r_n in [0, 1].

    Sources: Slovic (1993) "Perceived risk, trust, and democracy"; Donahue & Crescenzi (2023) on
    surprise; the essay's call for consultation and decision-sharing.
    """
    excess = np.maximum(drop - friction, 0.0)
    return (w_minus * excess * (1.0 + surprise_gain * trust_before)
            * (1.0 + unconsulted_penalty * unconsulted) * (1.0 - notice_relief * notice))


def good_action_evidence(level, rise, pledged, *, w_plus, keep_weight, pledge_bonus):
    """Good evidence from what the lead does in a mission this step (actions, not promises).

    Equation: ``e+ = w+ * (k * level + max(0, rise)) * (1 + b * pledged)``.

    Holding an effort is good evidence in proportion to ``k`` each month (fitted to Pew's series:
    about 0, see docs/ODD.md 7.1); a rise in effort is evidence in proportion to its size; an action that honours a clear pledge counts for more than either alone ("US action
    must be accompanied by clear diplomatic commitments").

    Args:
        level: the lead's action level in the mission, in [0, 1].
        rise: increase of that level this step, in [0, 1].
        pledged: 1 if an announced pledge covers this action and is being kept, else 0.
        w_plus: weight of good evidence, > 0.
        keep_weight: k >= 0, evidence per month of a fully held effort.
        pledge_bonus: b >= 0, the extra weight of an action backed by a pledge.

    Source: the essay ("actions, not promises"; "action accompanied by clear diplomatic
    commitments"); Jøsang & Ismail (2002).
    """
    return w_plus * (keep_weight * level + np.maximum(rise, 0.0)) * (1.0 + pledge_bonus * pledged)


def promise_evidence(size, honesty, *, w_plus, promise_weight):
    """Good evidence from an announcement (a pledge): worth only what the lead's word is worth.

    Equation: ``e+ = w+ * m * H * size``.

    Args:
        size: the pledged level, in [0, 1].
        honesty: the ally's belief in the lead's honesty, in [0, 1].
        w_plus: weight of good evidence.
        promise_weight: m in [0, 1], far below an action's weight of 1.

    Source: Sartori (2002), "The might of the pen: a reputational theory of communication in
    international disputes": promises are credible only to the extent of a reputation for honesty.
    """
    return w_plus * promise_weight * honesty * size


def combined_trust(t_leader, t_country, damage, *, leader_weight):
    """The ally's trust in the lead, capped by reputation damage.

    Equation: ``T = min(omega * T_leader + (1 - omega) * T_country, 1 - D)``.

    Args:
        t_leader: trust in the current leader/administration, in [0, 1].
        t_country: trust in the lead country, in [0, 1].
        damage: reputation damage D in [0, 1]; trust cannot climb above ``1 - D``.
        leader_weight: omega in [0, 1].

    Sources: Renshon, Dafoe & Huth (2018) on leader and country reputations; the trust ceiling is the
    slowly healing damage of a betrayal (MODEL.md).
    """
    mix = leader_weight * t_leader + (1.0 - leader_weight) * t_country
    return np.minimum(mix, 1.0 - damage)


def decision_trust(trust, capability, *, press_weight):
    """Trust as used in decisions: past-action trust mixed with the lead's current capability.

    Equation: ``T_dec = (1 - pi) * T + pi * capability``.

    ``pi = 0`` is pure reputation; ``pi = 1`` is Press's "current calculus" (past actions do not
    matter, only present power and interests). A sweep over ``pi`` tests the counter-view.

    Args:
        trust: combined trust, in [0, 1].
        capability: the lead's current enabler coverage in the mission, in [0, 1].
        press_weight: pi in [0, 1].

    Source: Press (2005), "Calculating Credibility".
    """
    return (1.0 - press_weight) * trust + press_weight * capability


def update_damage(damage, bad_evidence, *, damage_rate, heal_rate):
    """Reputation damage: grows with bad evidence, heals slowly.

    Equation: ``D' = D * (1 - h) + (1 - D * (1 - h)) * (1 - exp(-a * e-))``.

    Stays in [0, 1]. A betrayal (large ``e-``) raises D sharply; D then decays geometrically at rate
    ``h`` per step, so trust's ceiling ``1 - D`` recovers slowly.

    Args:
        damage: D in [0, 1].
        bad_evidence: this step's bad evidence, >= 0.
        damage_rate: a >= 0.
        heal_rate: h in [0, 1].

    Source: MODEL.md (trust ceiling); Slovic (1993) on trust destroyed quickly, rebuilt slowly.
    """
    healed = damage * (1.0 - heal_rate)
    return healed + (1.0 - healed) * (1.0 - np.exp(-damage_rate * bad_evidence))


def stance_evidence(stance, *, stance_weight):
    """The pseudo-evidence an administration's declared stance toward its allies is worth.

    Equation: ``(r_sigma, s_sigma) = w_sigma * (sigma, 1 - sigma)``.

    A new administration is judged first by what it says it will do: its campaign and its first
    statements ("America First", "America is back"). Pew's median confidence in the US president
    fell from 64% to 22% from 2016 to 2017 and rose from 17% to 75% from 2020 to 2021, within months
    of each transition and before much was done: a leader-linked swing that a reset to the country's
    record alone cannot produce.

    Args:
        stance: sigma in [0, 1], the incoming administration's declared stance (a policy lever).
        stance_weight: w_sigma >= 0, how many months of action evidence the stance is worth.

    Source: Pew Research Center, Global Attitudes surveys 2016-2021 (docs/references.md);
    Renshon, Dafoe & Huth (2018) on leader-specific reputations.
    """
    return stance_weight * stance, stance_weight * (1.0 - stance)


def evidence_for(trust, weight, *, prior_good, prior_bad):
    """Good and bad evidence of total ``weight`` that give a stock the trust ``trust``.

    Equation: ``r + s = W`` and ``(r + a) / (W + a + b) = x`` (:func:`beta_trust`), so
    ``r = x (W + a + b) - a``, clipped to ``[0, W]`` (a prior far from ``x`` with little evidence
    cannot reach it), ``s = W - r``.

    Args:
        trust: x in (0, 1), the trust to start from (a survey's favourable view of the country).
        weight: W >= 0, the evidence it stands for (as much as an administration's stance).
        prior_good, prior_bad: the stock's prior (a, b > 0).
    """
    r = np.clip(trust * (weight + prior_good + prior_bad) - prior_good, 0.0, weight)
    return r, weight - r


def reset_leader_stock(r_country, s_country, stance_good, stance_bad, *, carry):
    """A new administration: the leader stock restarts from part of the country's record and the
    newcomer's declared stance.

    Equation: ``(r_L, s_L) = c * (r_C, s_C) + (r_sigma, s_sigma)``.

    Args:
        r_country: good evidence about the country.
        s_country: bad evidence about the country.
        stance_good, stance_bad: the stance's pseudo-evidence (:func:`stance_evidence`).
        carry: c in [0, 1], how much of the country's evidence a new leader inherits.

    Source: Renshon, Dafoe & Huth (2018): leader-specific reputations reset with a new leader,
    country reputations persist.
    """
    return carry * r_country + stance_good, carry * s_country + stance_bad
