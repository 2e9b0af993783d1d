"""Scenario discovery: where in the uncertainty space each policy wins, with the EMA Workbench's PRIM.

The Patient Rule Induction Method (Friedman & Fisher 1999; Bryant & Lempert 2010 for its use in
scenario discovery) peels a box off the space of uncertain parameters, a small slice at a time,
keeping the slice whose removal most raises the share of cases of interest inside, then pastes back
what it peeled too eagerly. Each box on the peeling-and-pasting trajectory trades **coverage**
(share of all cases of interest inside the box) against **density** (share of cases inside the box
that are of interest). The implementation is the EMA Workbench's
(:class:`ema_workbench.analysis.prim.Prim`; Kwakkel 2017), with its quasi-p-values per restriction;
this module only chooses a box on the trajectory (the densest with coverage >= ``min_coverage`` and
at most ``max_restricted`` restricted parameters, so it stays readable) and says it in plain
parameter names with units (:mod:`sim.analysis.names`).
"""

from __future__ import annotations

import logging
import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

from sim.analysis.names import describe_range

__all__ = ["PrimBox", "prim", "where_policies_win"]


def _prim_module():
    with warnings.catch_warnings():          # the workbench warns about optional parallel back-ends
        warnings.simplefilter("ignore")
        from ema_workbench.analysis import prim as ema_prim
    logging.getLogger("EMA").setLevel(logging.WARNING)
    return ema_prim


@dataclass
class PrimBox:
    """A chosen PRIM box: limits per parameter and the trajectory it was chosen from."""

    limits: pd.DataFrame           # parameter, low, high, restricted (bool), p_value
    coverage: float
    density: float
    mass: float
    n_cases: int
    base_density: float
    trajectory: pd.DataFrame       # id, coverage, density, mass, res_dim
    label: str = ""

    def rule(self) -> str:
        parts = [describe_range(r.parameter, r.low, r.high)
                 for r in self.limits.itertuples() if r.restricted]
        return "; ".join(parts) if parts else "anywhere (no restriction helps)"

    def describe(self) -> str:
        return (f"{self.label}: {self.rule()} — coverage {self.coverage:.0%}, density "
                f"{self.density:.0%} (base rate {self.base_density:.0%}, {self.mass:.0%} of the "
                "cases)")

    def contains(self, x: pd.DataFrame) -> np.ndarray:
        inside = np.ones(len(x), dtype=bool)
        for r in self.limits.itertuples():
            if r.restricted:
                v = x[r.parameter].to_numpy()
                inside &= (v >= r.low) & (v <= r.high)
        return inside


def prim(x: pd.DataFrame, y, *, alpha: float = 0.05, paste_alpha: float = 0.05,
         mass_min: float = 0.05, min_coverage: float = 0.5, max_restricted: int = 3,
         label: str = "") -> PrimBox:
    """The EMA Workbench's PRIM around the cases where ``y`` is true; the chosen box.

    Args:
        x: parameters, one float column each, one row per case.
        y: bool per case (the cases of interest).
        alpha, paste_alpha: peeling and pasting shares (the workbench's ``peel_alpha``,
            ``paste_alpha``).
        mass_min: the smallest box mass considered.
        min_coverage, max_restricted: which box of the trajectory is returned (the densest with at
            least this coverage and at most this many restricted parameters; the whole box if none).
    """
    y = np.asarray(y, dtype=bool)
    if len(x) != len(y):
        raise ValueError(f"x has {len(x)} rows but y has {len(y)}")
    if len(y) == 0:
        raise ValueError("no cases")
    x = x.reset_index(drop=True).astype(np.float64)
    full_lo, full_hi = x.min().to_numpy(), x.max().to_numpy()
    base = float(y.mean())

    def whole(traj):
        limits = pd.DataFrame({"parameter": list(x.columns), "low": full_lo, "high": full_hi,
                               "restricted": False, "p_value": np.nan})
        return PrimBox(limits, 1.0 if y.any() else 0.0, base, 1.0, len(y), base, traj, label)

    if not y.any() or y.all():
        return whole(pd.DataFrame(columns=["id", "coverage", "density", "mass", "res_dim"]))
    ema_prim = _prim_module()
    with warnings.catch_warnings():   # the workbench's own pandas deprecations are not ours
        warnings.simplefilter("ignore", FutureWarning)
        warnings.simplefilter("ignore", DeprecationWarning)
        p = ema_prim.Prim(x, y.astype(int), peel_alpha=alpha, paste_alpha=paste_alpha,
                          mass_min=mass_min)
        box = p.find_box()
    traj = box.peeling_trajectory[["id", "coverage", "density", "mass", "res_dim"]].copy()
    ok = traj[(traj["coverage"] >= min_coverage) & (traj["res_dim"] <= max_restricted)]
    if ok.empty:
        return whole(traj)
    i = int(ok.sort_values(["density", "id"], ascending=[False, True]).iloc[0]["id"])
    box.select(i)
    lims = box.box_lims[i]
    lo = lims.loc[0, list(x.columns)].to_numpy(dtype=np.float64)
    hi = lims.loc[1, list(x.columns)].to_numpy(dtype=np.float64)
    restricted = (lo > full_lo) | (hi < full_hi)
    pv = box.p_values[i] if i < len(box.p_values) else {}
    pvals = []                                  # quasi-p per restriction: the smaller side's
    for c in x.columns:
        sides = [float(v) for v in np.ravel(pv.get(c, [])) if v is not None and float(v) >= 0]
        pvals.append(min(sides) if sides else np.nan)
    inside = np.all((x.to_numpy() >= lo) & (x.to_numpy() <= hi), axis=1)
    cov = float((y & inside).sum() / y.sum())
    den = float(y[inside].mean()) if inside.any() else 0.0
    limits = pd.DataFrame({"parameter": list(x.columns), "low": lo, "high": hi,
                           "restricted": restricted, "p_value": pvals})
    return PrimBox(limits, cov, den, float(inside.mean()), len(y), base, traj, label)


def where_policies_win(diffs: pd.DataFrame, parameters: list[str], *, treatment: str,
                       baseline: str, **kw) -> tuple[PrimBox, PrimBox, pd.DataFrame]:
    """Boxes of the parameter space where the treatment wins and where the baseline wins.

    Args:
        diffs: one row per case with the parameter columns and ``difference`` oriented so that
            positive means the treatment is better.
        parameters: the parameter columns to peel on.

    Returns:
        ``(box where the treatment wins, box where the baseline wins, the cases with a ``winner``
        column)``.
    """
    if not parameters:
        raise ValueError("scenario discovery needs varied parameters (a sweep with uncertainties)")
    cases = diffs[list(parameters) + ["difference"]].reset_index(drop=True).copy()
    x = cases[parameters]
    t_box = prim(x, cases["difference"] > 0, label=f"{treatment} wins", **kw)
    b_box = prim(x, cases["difference"] < 0, label=f"{baseline} wins", **kw)
    cases["winner"] = np.where(cases["difference"] > 0, treatment,
                               np.where(cases["difference"] < 0, baseline, "tie"))
    return t_box, b_box, cases
