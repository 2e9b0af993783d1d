"""Policies as points in a lever space: what the lead controls, named, with units.

A **lever** is one independent dimension of a lead policy (the vocabulary of the EMA Workbench:
levers are what the decision maker controls, uncertainties what it does not). Each lever groups
the fields of :class:`sim.config.schema.PolicyConfig` that only make sense together (the
sequencing rule is a handover threshold *and* a calendar start; a cut is a rate *and* a floor).
Every field of ``PolicyConfig`` except ``name`` and ``description`` belongs to exactly one lever
(checked by the tests), so a policy is fully described by its lever values, and a named policy
(``configs/policy/*.yaml``) is one point of the space.

Any point can be run: :func:`run_points` runs lever points on common random numbers (the same
seeds and replicate numbers for every point, so differences between points are paired), starting
from a named policy and overriding its fields per run (``policy.<field>`` varied parameters of
:class:`sim.drivers.ensemble.Ensemble`).

    from sim.analysis.levers import LEVERS, policy_point, differing_levers
    a, b = policy_point("immediate_burden_sharing"), policy_point("load_shifting_first")
    differing_levers(a, b)          # ['sequencing', 'troop_cuts', 'enabler_cuts', ...]
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np
import pandas as pd

from sim.config import compose, load_policy
from sim.config.schema import PolicyConfig

__all__ = ["Field", "Lever", "LEVERS", "LEVER_FIELDS", "lever", "policy_point", "with_lever",
           "differing_levers", "describe_point", "run_points", "levers_table"]


@dataclass(frozen=True)
class Field:
    """One policy field: its key in ``PolicyConfig``, plain name and unit."""

    key: str
    label: str
    unit: str


@dataclass(frozen=True)
class Lever:
    """One dimension of a policy: a name, a plain description and its fields."""

    name: str
    label: str
    fields: tuple[Field, ...]
    doc: str = ""

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(f.key for f in self.fields)

    def value(self, point: dict) -> tuple:
        return tuple(point[k] for k in self.keys)

    def describe(self, point: dict) -> str:
        """The lever's setting at ``point`` in words."""
        v = {k: point[k] for k in self.keys}
        if self.name == "sequencing":
            parts = []
            if v["handover_threshold"] <= 1.0:
                parts.append(f"when partners reach capacity {v['handover_threshold']:.2g}")
            if v["cut_start"] >= 0:
                parts.append(f"from month {int(v['cut_start'])}")
            return ("cuts begin " + " or ".join(parts)) if parts else "no scheduled cuts"
        if self.name in ("troop_cuts", "enabler_cuts"):
            what = "troops" if self.name == "troop_cuts" else "enablers"
            rate, floor = v[self.keys[0]], v[self.keys[1]]
            if rate == 0 or floor >= 1.0:
                return f"{what} kept"
            return f"{what} cut {rate:.0%}/month to {floor:.0%}"
        if self.name == "pledges":
            h = int(v["pledge_horizon"])
            return f"{h}-month pledges" if h > 0 else "no pledges"
        if self.name == "impulsiveness":
            if v["p_impulse"] == 0:
                return "no impulsive announcements"
            return (f"impulsive announcements {v['p_impulse']:.0%}/month, "
                    f"{v['p_carry_out']:.0%} carried out")
        f = self.fields[0]
        return f"{v[f.key]:.2g} ({f.unit})"


LEVERS: tuple[Lever, ...] = (
    Lever("sequencing", "sequencing rule (capacity-triggered handover or calendar)", (
        Field("handover_threshold", "partner capacity that opens the handover (> 1: never)",
              "capacity, 0-1"),
        Field("cut_start", "month after taking office when scheduled cuts begin (-1: never)",
              "months"),
    ), "cuts begin when the receivers can take the roles (capacity-triggered) or on a date"),
    Lever("troop_cuts", "troop cuts (rate and floor)", (
        Field("troop_cut_rate", "troops cut per month once cuts begin", "share of initial troops"),
        Field("troop_floor", "troops kept in the end", "share of initial troops"),
    )),
    Lever("enabler_cuts", "enabler cuts (rate and floor)", (
        Field("enabler_cut_rate", "enablers cut per month once cuts begin",
              "share of initial enablers"),
        Field("enabler_floor", "enablers kept in the end", "share of initial enablers"),
    )),
    Lever("building", "capacity-building effort", (
        Field("building", "capacity-building effort toward partners and allies",
              "share of full effort, 0-1"),
    )),
    Lever("consultation", "consultation", (
        Field("p_consult", "probability an ally is consulted in a month", "probability"),
    )),
    Lever("pledges", "pledges", (
        Field("pledge_horizon", "months covered by the pledges it announces (0: none)", "months"),
    )),
    Lever("demand", "burden-sharing demand", (
        Field("demand", "strength of the burden-sharing demand on allies", "0-1"),
        Field("conditionality", "how far the lead ties its own presence to the demand being met "
              "(leverage)", "0-1"),
    )),
    Lever("stance", "declared stance", (
        Field("stance", "declared stance toward allies on taking office (1: 'America is back', "
              "0: 'America First')", "0-1"),
    )),
    Lever("impulsiveness", "impulsive withdrawals", (
        Field("p_impulse", "probability per month and mission of an abrupt announced withdrawal",
              "probability"),
        Field("impulse_notice", "months between announcement and execution", "months"),
        Field("p_carry_out", "probability an announcement is carried out", "probability"),
        Field("p_return", "probability per month of coming back", "probability"),
    )),
)
LEVER_FIELDS: dict[str, Field] = {f.key: f for lv in LEVERS for f in lv.fields}
_BY_NAME = {lv.name: lv for lv in LEVERS}
INTEGER_FIELDS = {f.name for f in dataclasses.fields(PolicyConfig) if f.type in (int, "int")}


def lever(name: str) -> Lever:
    """The lever called ``name``; a clear error naming the known ones otherwise."""
    try:
        return _BY_NAME[name]
    except KeyError:
        raise KeyError(f"unknown lever {name!r} (known: {', '.join(_BY_NAME)})") from None


def policy_point(policy) -> dict:
    """A named policy (or a ``PolicyConfig``) as a lever point: ``{field: value}``."""
    p = load_policy(policy) if isinstance(policy, str) else policy
    return {k: float(getattr(p, k)) for k in LEVER_FIELDS}


def with_lever(point: dict, lever_name: str, source: dict) -> dict:
    """``point`` with one lever's fields set as in ``source``."""
    out = dict(point)
    for k in lever(lever_name).keys:
        out[k] = source[k]
    return out


def differing_levers(a: dict, b: dict) -> list[str]:
    """The levers (in declared order) on which two points differ."""
    return [lv.name for lv in LEVERS if lv.value(a) != lv.value(b)]


def describe_point(point: dict, levers=None) -> str:
    """A point in words, lever by lever (only ``levers`` if given)."""
    names = levers or [lv.name for lv in LEVERS]
    parts = []
    for n in names:
        lv_ = lever(n)
        text = lv_.describe(point)
        parts.append(f"{lv_.label} {text}" if len(lv_.fields) == 1 and n != "pledges" else text)
    return "; ".join(parts)


def levers_table(policies) -> pd.DataFrame:
    """One row per lever, one column per named policy: the setting in words."""
    rows = []
    points = {p: policy_point(p) for p in policies}
    for lv in LEVERS:
        row = {"lever": lv.label}
        for p, pt in points.items():
            row[p] = lv.describe(pt)
        rows.append(row)
    return pd.DataFrame(rows)


def run_points(points: dict[str, dict], draws: pd.DataFrame | None = None, *,
               scenario: str = "baseline", start_policy: str = "steady", replicates: int = 1,
               seed: int = 1, overrides=(), batch: int = 4000, cfg=None) -> pd.DataFrame:
    """Run lever points on common random numbers.

    Args:
        points: ``{label: lever point}`` (each a full point, e.g. from :func:`policy_point`).
        draws: uncertainty draws, one row per design point, columns are parameter names
            (``trust.asymmetry``, ``missions.<mission>.<field>``, ...); a ``point`` column, if
            present, numbers them (default: one draw with no varied parameter).
        scenario, overrides: the run configuration (``compose([f"scenario={scenario}", ...])``).
        start_policy: the named policy whose table row the point overrides (its name is what an
            administration schedule or a reversal sees; the values are the point's).
        replicates: runs per draw; replicate ``r`` uses run number ``r`` under ``seed`` for every
            point and draw (the sweep's ``crn=all``), so a point's runs pair with any other's.
        batch: runs per ensemble.
        cfg: a composed :class:`~sim.config.RunConfig` to use instead of ``scenario`` and
            ``overrides`` (e.g. a sweep's, which may come from a user's scenario file); its policy
            is replaced by ``start_policy``.

    Returns:
        One row per run: ``label``, ``point``, ``replicate``, the uncertainty columns and every
        per-run summary (:mod:`sim.core.recording`).
    """
    from sim.drivers.ensemble import Ensemble

    if cfg is None:
        cfg = compose([f"scenario={scenario}", f"policy={start_policy}", *overrides])
    else:
        cfg = dataclasses.replace(cfg, policy=load_policy(start_policy))
    if draws is None or len(draws) == 0:
        draws = pd.DataFrame({"point": [0]})
    draws = draws.reset_index(drop=True)
    if "point" not in draws:
        draws.insert(0, "point", np.arange(len(draws)))
    params = [c for c in draws.columns if c != "point"]
    labels = list(points)
    grid = pd.MultiIndex.from_product([labels, range(len(draws)), range(replicates)],
                                      names=["label", "row", "replicate"]).to_frame(index=False)
    grid = grid.join(draws, on="row").drop(columns="row")
    out = []
    for a in range(0, len(grid), batch):
        part = grid.iloc[a:a + batch]
        varied = {c: part[c].to_numpy(dtype=np.float64) for c in params}
        for k in LEVER_FIELDS:
            varied[f"policy.{k}"] = np.array([points[lab][k] for lab in part["label"]],
                                             dtype=np.float64)
        res = Ensemble(cfg, seeds=seed, runs=part["replicate"].to_numpy(), varied=varied,
                       light=True).run()
        summ = pd.DataFrame({k: np.asarray(v) for k, v in res.summary_arrays.items()})
        out.append(pd.concat([part.reset_index(drop=True), summ], axis=1))
    df = pd.concat(out, ignore_index=True)
    df.attrs["horizon"] = int(cfg.scenario.horizon)
    df.attrs["scenario"] = cfg.scenario.name
    return df
