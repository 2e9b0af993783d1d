"""The outcomes that matter for the question, each defined once with its direction.

Every outcome is a column of the per-run summary (:mod:`sim.core.recording`); ``direction`` says whether
more is better (``higher``) or worse (``lower``) for sustained, real burden sharing.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Outcome", "OUTCOMES", "outcome", "HEADLINE", "DERIVED", "add_derived"]


@dataclass(frozen=True)
class Outcome:
    name: str
    label: str
    direction: str       # "higher" or "lower" is better
    unit: str = ""

    @property
    def sign(self) -> int:
        """+1 if higher is better, -1 if lower is better."""
        return 1 if self.direction == "higher" else -1


OUTCOMES: dict[str, Outcome] = {o.name: o for o in [
    Outcome("final_ally_burden_share", "allies' share of the burden at the end", "higher",
            "share of troop-equivalents"),
    Outcome("mean_ally_burden_share", "allies' share of the burden over time", "higher",
            "share of troop-equivalents"),
    Outcome("mean_ally_troop_share", "allies' share of the troops over time", "higher",
            "share of troops"),
    Outcome("mean_lead_effort", "the lead's own effort over time (troops + enablers)", "lower",
            "troop-equivalents"),
    Outcome("mean_lead_cost", "the lead's whole cost over time (troops, enablers, capacity "
            "building, consultation, pledges)", "lower", "troop-equivalents per month"),
    Outcome("total_lead_cost", "the lead's whole cost over the run", "lower",
            "troop-equivalent months"),
    Outcome("months_to_half_peak", "months until the coalition falls below half its peak",
            "higher", "months"),
    Outcome("final_members", "coalition members at the end", "higher", "allies"),
    Outcome("final_countries_with_troops", "countries with troops at the end (the lead counts)",
            "higher", "countries"),
    Outcome("mean_countries_with_troops", "countries with troops over time (the lead counts)",
            "higher", "countries"),
    Outcome("peak_members", "coalition members at the peak", "higher", "allies"),
    Outcome("mean_effectiveness", "mean mission effectiveness", "higher"),
    Outcome("final_effectiveness", "mission effectiveness at the end", "higher"),
    Outcome("final_threat", "threat at the end", "lower"),
    Outcome("final_partner_capacity", "local partner capacity at the end", "higher"),
    Outcome("final_partner_dependence", "local partner dependence at the end", "lower"),
    Outcome("final_capacity", "allies' mean capacity at the end", "higher"),
    Outcome("final_trust", "allies' trust in the lead at the end", "higher"),
    Outcome("final_trust_leader", "trust in the leader at the end", "higher"),
    Outcome("final_trust_country", "trust in the lead country at the end", "higher"),
    Outcome("final_honesty", "belief in the lead's honesty at the end", "higher"),
    Outcome("total_exits", "exits from missions", "lower", "exits"),
    Outcome("total_reversals", "the lead's reversals", "lower", "reversals"),
    Outcome("final_grievance", "allies' grievance at the end", "lower"),
    Outcome("total_attacks", "attacks on allies", "lower", "attacks"),
    # derived from the columns above by add_derived (cost-effectiveness and survival)
    Outcome("burden_share_per_1000", "allies' mean burden share per 1,000 troop-equivalents of "
            "the lead's monthly cost", "higher", "share per 1,000 troop-equivalents"),
    Outcome("effectiveness_per_1000", "mission effectiveness per 1,000 troop-equivalents of the "
            "lead's monthly cost", "higher", "per 1,000 troop-equivalents"),
    Outcome("survived", "coalition never below half its peak before the horizon", "higher",
            "share of runs"),
]}

DERIVED = ("burden_share_per_1000", "effectiveness_per_1000", "survived")


def add_derived(df):
    """``df`` (per-run summaries) with the derived outcomes added (a copy)."""
    df = df.copy()
    cost = df["mean_lead_cost"].astype(float)
    df["burden_share_per_1000"] = df["mean_ally_burden_share"] / cost * 1000.0
    df["effectiveness_per_1000"] = df["mean_effectiveness"] / cost * 1000.0
    df["survived"] = 1.0 - df["half_peak_reached"].astype(float)
    return df

HEADLINE = ("final_ally_burden_share", "mean_ally_burden_share", "mean_lead_effort",
            "mean_lead_cost",
            "months_to_half_peak",
            "mean_effectiveness", "final_threat", "final_partner_capacity",
            "final_partner_dependence", "final_trust_leader", "final_trust_country",
            "total_exits", "total_reversals", "final_grievance")


def outcome(name: str) -> Outcome:
    """The outcome called ``name``; a clear error naming the known ones otherwise."""
    try:
        return OUTCOMES[name]
    except KeyError:
        raise KeyError(f"unknown outcome {name!r} (known: {', '.join(OUTCOMES)})") from None
