"""Plain names and units of the parameters a report varies, for readers who have not seen the code.

:func:`plain` gives ``(label, unit)`` for a parameter name (``trust.asymmetry``,
``missions.<mission>.<field>``, ``policy.<field>``); a parameter not listed here falls back to its
declared doc string and unit (:mod:`sim.config.params`).
"""

from __future__ import annotations

__all__ = ["PLAIN", "plain", "describe_range"]

PLAIN: dict[str, tuple[str, str]] = {
    "trust.asymmetry": ("how much more allies' trust falls on bad news than it rises on good",
                        "ratio"),
    "trust.press_weight": ("weight allies give the lead's current capability (vs. its record) "
                           "when deciding whether to trust it", "weight 0-1"),
    "decision.lead_exit_weight": ("weight of the lead's own withdrawal when allies count who has "
                                  "left", "weight 0-1"),
    "decision.demand_response": ("how much allies raise their contribution when the lead "
                                 "demands it", "per unit of demand"),
    "operations.ally_enabler_yield": ("enablers (airlift, ISR, logistics) allies bring per unit "
                                      "of capable troops", "share of the need"),
    "capacity.collapse_rate": ("local partner capacity lost per month when the lead's enablers "
                               "it depends on go", "per month"),
    "capacity.ally_growth": ("growth of allies' capacity under capacity building", "per month"),
    "partner_dependence": ("local partner's initial dependence on the lead's enablers", "0-1"),
    "partner_capacity": ("local partner's initial capacity", "0-1"),
}


def plain(name: str) -> tuple[str, str]:
    """``(plain label, unit)`` of a parameter name."""
    if name in PLAIN:
        return PLAIN[name]
    if name.startswith("missions."):
        mission, _, fld = name[len("missions."):].rpartition(".")
        if fld in PLAIN:
            label, unit = PLAIN[fld]
            return f"{label} (mission {mission})", unit
    if name.startswith("policy."):
        from sim.analysis.levers import LEVER_FIELDS
        f = LEVER_FIELDS.get(name[len("policy."):])
        if f is not None:
            return f.label, f.unit
    try:
        from sim.config.params import parse_parameter
        p = parse_parameter(name)
        return p.doc or name, p.unit
    except Exception:
        return name, ""


def describe_range(name: str, low: float, high: float) -> str:
    label, unit = plain(name)
    u = f" {unit}" if unit else ""
    return f"{label} {low:.3g}–{high:.3g}{u}"
