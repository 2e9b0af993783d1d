"""Regression gate: has a sweep's outcome moved beyond its statistical tolerance from a reference?

    python -m sim.gate sweeps/smoke --reference experiments/smoke/reference.json
    python -m sim.gate sweeps/smoke --reference experiments/smoke/reference.json --update

For every (scenario, policy, outcome) the gate compares the sweep's mean with the reference mean.
It fails when ``|mean - ref| > z * sqrt(se^2 + se_ref^2) + atol``: a move larger than ``z`` standard
errors of the difference (``z = 4`` by default, so noise alone fails about once in 16,000 checks).
It writes ``gate_report.md`` and ``gate_report.json`` and exits 1 on any failure (0 otherwise).
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path

import pandas as pd

from sim.experiments.collect import SweepIncomplete, collect
from sim.experiments.io import write_json, write_text
from sim.analysis.outcomes import HEADLINE, outcome as get_outcome

__all__ = ["statistics", "compare", "main"]


def statistics(df: pd.DataFrame, outcomes=HEADLINE) -> pd.DataFrame:
    """Mean, standard deviation, count and standard error per scenario, policy and outcome."""
    rows = []
    for name in outcomes:
        get_outcome(name)
        g = df.groupby(["scenario", "policy"])[name]
        stats = g.agg(["mean", "std", "count"]).reset_index()
        stats["outcome"] = name
        rows.append(stats)
    out = pd.concat(rows, ignore_index=True)
    out["std"] = out["std"].fillna(0.0)
    out["se"] = out["std"] / out["count"].clip(lower=1) ** 0.5
    return out[["scenario", "policy", "outcome", "mean", "std", "count", "se"]]


def compare(current: pd.DataFrame, reference: pd.DataFrame, *, z: float = 4.0,
            atol: float = 1e-9) -> pd.DataFrame:
    """Join current and reference statistics and judge each row: pass, FAIL, new or missing."""
    key = ["scenario", "policy", "outcome"]
    m = current.merge(reference, on=key, how="outer", suffixes=("", "_ref"), indicator=True)
    tol = z * (m["se"].fillna(0) ** 2 + m["se_ref"].fillna(0) ** 2) ** 0.5 + atol
    diff = m["mean"] - m["mean_ref"]
    m["difference"] = diff
    m["tolerance"] = tol
    m["status"] = "pass"
    m.loc[diff.abs() > tol, "status"] = "FAIL"
    m.loc[m["_merge"] == "left_only", "status"] = "new"
    m.loc[m["_merge"] == "right_only", "status"] = "missing"
    return m.drop(columns="_merge")


def _markdown(result: pd.DataFrame, z: float) -> str:
    n_fail = int((result["status"] == "FAIL").sum())
    n_missing = int((result["status"] == "missing").sum())
    lines = [f"# Regression gate: {'FAILED' if n_fail or n_missing else 'passed'}", "",
             f"{len(result)} checks; {n_fail} moved beyond {z:g} standard errors; "
             f"{n_missing} missing from the sweep.", "",
             "| scenario | policy | outcome | mean | reference | difference | tolerance | status |",
             "|---|---|---|---|---|---|---|---|"]
    order = result.assign(_o=result["status"].map({"FAIL": 0, "missing": 1, "new": 2, "pass": 3}))
    for r in order.sort_values(["_o", "scenario", "policy", "outcome"]).itertuples():
        def f(x):
            return "" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x:.4g}"
        lines.append(f"| {r.scenario} | {r.policy} | {r.outcome} | {f(r.mean)} | {f(r.mean_ref)} "
                     f"| {f(r.difference)} | {f(r.tolerance)} | {r.status} |")
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m sim.gate", description=__doc__.splitlines()[0])
    ap.add_argument("sweep_dir")
    ap.add_argument("--reference", required=True, help="reference statistics (JSON)")
    ap.add_argument("--update", action="store_true", help="write the sweep's statistics as the "
                    "new reference instead of checking")
    ap.add_argument("--z", type=float, default=4.0)
    ap.add_argument("--report", default=None, help="folder for gate_report.{md,json} "
                    "(default: the sweep folder)")
    args = ap.parse_args(argv)
    try:
        df = collect(args.sweep_dir)
    except (SweepIncomplete, FileNotFoundError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    current = statistics(df)
    ref_path = Path(args.reference)
    if args.update:
        write_json({"sweep": df.attrs["sweep"]["name"], "z": args.z,
                    "statistics": current.to_dict(orient="records")}, ref_path)
        print(f"reference written: {ref_path} ({len(current)} statistics)")
        return 0
    if not ref_path.exists():
        print(f"error: no reference at {ref_path} (create one with --update)", file=sys.stderr)
        return 1
    reference = pd.DataFrame(json.loads(ref_path.read_text())["statistics"])
    result = compare(current, reference, z=args.z)
    out = Path(args.report or args.sweep_dir)
    write_text(_markdown(result, args.z), out / "gate_report.md")
    write_json({"passed": bool(not (result["status"].isin(["FAIL", "missing"])).any()),
                "z": args.z, "checks": json.loads(result.to_json(orient="records"))},
               out / "gate_report.json")
    bad = result[result["status"].isin(["FAIL", "missing"])]
    for r in bad.itertuples():
        print(f"  {r.status}: {r.scenario}/{r.policy}/{r.outcome}: {r.mean:.4g} vs reference "
              f"{r.mean_ref:.4g} (tolerance {r.tolerance:.3g})", file=sys.stderr)
    print(f"gate {'FAILED' if len(bad) else 'passed'}: {len(result)} checks, {len(bad)} beyond "
          f"tolerance -> {out / 'gate_report.md'}")
    return 1 if len(bad) else 0

