"""Scenario discovery: which regions of the uncertainty space favour a policy (PRIM).

The Patient Rule Induction Method (Friedman & Fisher 1999; Bryant & Lempert 2010 for its use in
scenario discovery) peels a box off the parameter space, a small slice at a time, keeping the slice
whose removal most raises the share of cases of interest inside the box, until the box holds too few
cases. Each box on the way is a trade-off between **coverage** (share of all cases of interest that
fall inside the box) and **density** (share of cases inside the box that are of interest).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

__all__ = ["PrimBox", "prim", "where_policies_win"]


@dataclass
class PrimBox:
    """A PRIM box: limits per parameter, and the peeling trajectory it was chosen from."""

    limits: pd.DataFrame           # parameter, low, high, restricted (bool)
    coverage: float
    density: float
    mass: float
    n_cases: int
    base_density: float
    trajectory: pd.DataFrame       # step, coverage, density, mass
    label: str = ""

    def describe(self) -> str:
        parts = [f"{r.parameter} in [{r.low:.3g}, {r.high:.3g}]"
                 for r in self.limits.itertuples() if r.restricted]
        rule = " and ".join(parts) if parts else "anywhere (no restriction helps)"
        return (f"{self.label}: {rule} — coverage {self.coverage:.0%}, density {self.density:.0%} "
                f"(base rate {self.base_density:.0%}, {self.mass:.0%} of the cases)")

    def contains(self, x: pd.DataFrame) -> np.ndarray:
        inside = np.ones(len(x), dtype=bool)
        for r in self.limits.itertuples():
            inside &= (x[r.parameter].to_numpy() >= r.low) & (x[r.parameter].to_numpy() <= r.high)
        return inside


def _simplify(xv, y, lo, hi, full_lo, full_hi, tolerance):
    """Drop restrictions one at a time (the least useful first) while the box's density falls by
    less than ``tolerance``: a box on two parameters is read; one on eight is not."""
    def density(lo_, hi_):
        ins = np.all((xv >= lo_) & (xv <= hi_), axis=1)
        return y[ins].mean() if ins.any() else 0.0

    while True:
        current = density(lo, hi)
        best = None
        for j in np.flatnonzero((lo > full_lo) | (hi < full_hi)):
            lo2, hi2 = lo.copy(), hi.copy()
            lo2[j], hi2[j] = full_lo[j], full_hi[j]
            loss = current - density(lo2, hi2)
            if loss < tolerance and (best is None or loss < best[0]):
                best = (loss, lo2, hi2)
        if best is None:
            return lo, hi
        lo, hi = best[1], best[2]


def prim(x: pd.DataFrame, y, *, alpha: float = 0.05, mass_min: float = 0.05,
         min_coverage: float = 0.5, simplify: float = 0.05, label: str = "") -> PrimBox:
    """Peel a box around the cases where ``y`` is true.

    Args:
        x: parameters, one column each, one row per case.
        y: bool per case (the cases of interest).
        alpha: share of the cases in the box removed by each peel.
        mass_min: stop when the box holds less than this share of all cases.
        min_coverage: the box returned is the densest on the trajectory with at least this coverage.
        simplify: then drop each restriction whose removal costs less than this much density.
        label: a name for reports.

    Returns:
        The chosen :class:`PrimBox` (with the whole trajectory).
    """
    y = np.asarray(y, dtype=bool)
    xv = x.to_numpy(dtype=np.float64)
    n, d = xv.shape
    if n != len(y):
        raise ValueError(f"x has {n} rows but y has {len(y)}")
    if n == 0:
        raise ValueError("no cases")
    total = y.sum()
    inside = np.ones(n, dtype=bool)
    lo = xv.min(axis=0).copy()
    hi = xv.max(axis=0).copy()
    boxes = [(lo.copy(), hi.copy(), inside.copy())]
    while inside.mean() > mass_min and inside.sum() > 1:
        best = None
        xi, yi = xv[inside], y[inside]
        for j in range(d):
            for side in ("low", "high"):
                q = np.quantile(xi[:, j], alpha if side == "low" else 1.0 - alpha)
                keep = xi[:, j] > q if side == "low" else xi[:, j] < q
                if keep.sum() == 0 or keep.all():
                    continue
                score = yi[keep].mean()
                if best is None or score > best[0]:
                    best = (score, j, side, q, keep)
        if best is None:
            break
        _, j, side, q, keep = best
        idx = np.flatnonzero(inside)
        inside = np.zeros(n, dtype=bool)
        inside[idx[keep]] = True
        if side == "low":
            lo[j] = xv[inside, j].min()
        else:
            hi[j] = xv[inside, j].max()
        boxes.append((lo.copy(), hi.copy(), inside.copy()))
    rows = []
    for k, (_, _, ins) in enumerate(boxes):
        cov = (y & ins).sum() / total if total else 0.0
        den = y[ins].mean() if ins.any() else 0.0
        rows.append({"step": k, "coverage": cov, "density": den, "mass": ins.mean()})
    traj = pd.DataFrame(rows)
    ok = traj[traj["coverage"] >= min_coverage]
    k = int(ok.sort_values(["density", "step"], ascending=[False, True]).iloc[0]["step"]) \
        if len(ok) else 0
    blo, bhi, ins = boxes[k]
    full_lo, full_hi = xv.min(axis=0), xv.max(axis=0)
    blo, bhi = _simplify(xv, y, blo.copy(), bhi.copy(), full_lo, full_hi, simplify)
    ins = np.all((xv >= blo) & (xv <= bhi), axis=1)
    coverage = (y & ins).sum() / total if total else 0.0
    density = y[ins].mean() if ins.any() else 0.0
    limits = pd.DataFrame({"parameter": list(x.columns), "low": blo, "high": bhi,
                           "restricted": (blo > full_lo) | (bhi < full_hi)})
    return PrimBox(limits, float(coverage), float(density), float(ins.mean()), int(n),
                   float(y.mean()), traj, label)


def where_policies_win(diffs: pd.DataFrame, parameters: list[str], *, treatment: str,
                       baseline: str, **kw) -> tuple[PrimBox, PrimBox, pd.DataFrame]:
    """Boxes of the parameter space where the treatment wins and where the baseline wins.

    Args:
        diffs: one row per pair with the parameter columns and ``difference`` oriented so that
            positive means the treatment is better (e.g. :func:`sim.analysis.paired_differences`
            times the outcome's sign).
        parameters: the parameter columns to peel on.

    Returns:
        ``(box where the treatment wins, box where the baseline wins, the pairs with a ``winner``
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
