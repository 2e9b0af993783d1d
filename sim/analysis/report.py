"""The main job: does load shifting first beat immediate burden sharing, by how much, and where?

    python -m sim.report                       # the embedded defaults (experiment=compare)
    python -m sim.report sweep.samples=400 report.treatment=steady hydra/launcher=cores

Runs the ``compare`` experiment (every policy on common random numbers over a Latin hypercube of
uncertain ally behaviour and local-partner data, baseline scenario), then writes a Markdown report
with the headline table (paired differences with bootstrap intervals, effect sizes, win shares), the
variance reduction that common random numbers bought (measured against a rerun of the treatment on
independent random numbers), the comparison against the other policies, where each policy wins
(PRIM), and the figures. Overrides are those of :mod:`sim.sweep`, plus ``report.*``:
``report.baseline``, ``report.treatment``, ``report.outcome`` (for scenario discovery),
``report.dir`` (default ``reports/<sweep.name>``).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

from sim.analysis.compare import compare, compare_all, paired_differences
from sim.experiments.collect import collect, collect_trajectories
from sim.config import ConfigError
from sim.analysis.discovery import where_policies_win
from sim.experiments.io import (check_writable_folder, inside, write_csv, write_parquet,
                                write_text)
from sim.analysis.outcomes import HEADLINE, outcome as get_outcome

__all__ = ["make_report", "main"]

REPORTS_ROOT = Path("reports")
DEFAULTS = {"baseline": "immediate_burden_sharing", "treatment": "load_shifting_first",
            "outcome": "final_ally_burden_share", "dir": None}


def _split(args):
    report = dict(DEFAULTS)
    rest = []
    for a in args:
        if a.startswith("report."):
            key, _, value = a[len("report."):].partition("=")
            if key not in report:
                raise ConfigError(f"unknown option report.{key} (known: "
                                  f"{', '.join('report.' + k for k in DEFAULTS)})")
            report[key] = value
        else:
            rest.append(a)
    if not any(a.startswith("experiment=") for a in rest):
        rest.insert(0, "experiment=compare")
    return report, rest


def _fmt(x, digits=3):
    if isinstance(x, (float, np.floating)):
        if not np.isfinite(x):
            return "∞" if x > 0 else ("−∞" if x < 0 else "n/a")
        return f"{x:.{digits}f}"
    return str(x)


def _table(df: pd.DataFrame, columns: dict) -> str:
    head = "| " + " | ".join(columns.values()) + " |"
    sep = "|" + "---|" * len(columns)
    lines = [head, sep]
    for r in df.itertuples(index=False):
        lines.append("| " + " | ".join(_fmt(getattr(r, c)) for c in columns) + " |")
    return "\n".join(lines)


def make_report(args=(), *, progress=None) -> Path:
    """Run (or resume) the comparison sweep and write the report; returns the report's path."""
    from sim.experiments.sweep import run_sweep

    opts, sweep_args = _split(list(args))
    get_outcome(opts["outcome"])
    t0 = time.monotonic()
    cfg_args = [a for a in sweep_args if not a.startswith(("hydra/", "hydra."))]
    from sim.experiments.sweep import plan
    planned = plan(cfg_args)
    name = planned.config.name
    out = Path(opts["dir"]) if opts["dir"] else inside(REPORTS_ROOT, REPORTS_ROOT / name,
                                                       "sweep.name")
    check_writable_folder(out, "report.dir")
    fig_dir = out / "figures"
    sweep_dir = out / "sweep"
    for p in (opts["baseline"], opts["treatment"]):
        if p not in (planned.config.policies or [planned.base.policy.name]):
            raise ConfigError(f"report policy {p!r} is not among sweep.policies "
                              f"{list(planned.config.policies)}")
    summary = run_sweep([*sweep_args, f"sweep.dir={sweep_dir}"], progress=progress)
    if summary["status"] != "complete":
        raise RuntimeError(f"the sweep did not complete: see {sweep_dir}/sweep_summary.json")
    # the treatment again on independent random numbers (same design points): measures what
    # common random numbers buy
    indep_dir = out / "independent"
    run_sweep([*sweep_args, f"sweep.dir={indep_dir}", f"sweep.policies=[{opts['treatment']}]",
               f"sweep.run_seed={planned.config.seed + 1_000_003}", "sweep.trajectories=false",
               f"sweep.name={name}_independent"], progress="none")

    df = collect(sweep_dir)
    base, treat = opts["baseline"], opts["treatment"]
    headline = compare(df, base, treat)
    others = compare_all(df, base)
    indep = collect(indep_dir)
    measured = _measured_crn(df, indep, base, treat)

    steps = collect_trajectories(sweep_dir, "steps")
    missions = collect_trajectories(sweep_dir, "missions")

    from sim.analysis import plots
    figures = {}
    figures["trust"] = plots.trust_trajectories(steps, fig_dir / "trust")
    figures["membership"] = plots.membership_over_time(missions, fig_dir / "membership")
    figures["burden"] = plots.burden_share_over_time(steps, fig_dir / "burden_share")
    diffs = {o: paired_differences(df, base, treat, o)["difference"].to_numpy()
             for o in ("mean_ally_burden_share", "months_to_half_peak", "mean_effectiveness",
                       "final_trust_leader", "final_partner_capacity", "total_exits")}
    figures["differences"] = plots.paired_differences_figure(
        diffs, headline[headline["outcome"].isin(list(diffs))], fig_dir / "paired_differences")
    params = df.attrs["sweep"]["parameters"]
    o = get_outcome(opts["outcome"])
    pdiff = paired_differences(df, base, treat, o.name)
    pdiff["difference"] *= o.sign
    t_box, b_box, per_point = where_policies_win(pdiff, params, treatment=treat, baseline=base)
    figures["discovery"] = plots.discovery_figure(per_point, [t_box, b_box], params,
                                                  fig_dir / "where_policies_win", o.label)
    import matplotlib.pyplot as plt
    for f in figures.values():
        plt.close(f)

    write_parquet(headline, out / "headline.parquet")
    write_csv(headline, out / "headline.csv", index=False)
    write_csv(others, out / "all_policies.csv", index=False)
    text = _markdown(opts, planned, df, headline, others, measured, t_box, b_box, per_point,
                     time.monotonic() - t0, sweep_dir)
    path = write_text(text, out / "report.md")
    return path


def _measured_crn(df, indep, base, treat, n_boot=2000, seed=0):
    """CI width of the mean difference with common random numbers (paired) against the same
    number of runs of the treatment on independent random numbers (unpaired), per outcome."""
    gen = np.random.default_rng(seed)
    b = df[df.policy == base].sort_values(["point", "replicate"])
    t = df[df.policy == treat].sort_values(["point", "replicate"])
    ti = indep[indep.policy == treat].sort_values(["point", "replicate"])
    rows = []
    n = len(b)
    for name in HEADLINE:
        d = t[name].to_numpy() - b[name].to_numpy()
        idx = gen.integers(0, n, size=(n_boot, n))
        paired = d[idx].mean(axis=1)
        idx2 = gen.integers(0, n, size=(n_boot, n))
        unpaired = ti[name].to_numpy()[idx].mean(axis=1) - b[name].to_numpy()[idx2].mean(axis=1)
        wp = np.subtract(*np.quantile(paired, [0.975, 0.025]))
        wu = np.subtract(*np.quantile(unpaired, [0.975, 0.025]))
        rows.append({"outcome": name, "ci_width_crn": wp, "ci_width_independent": wu,
                     "shrink": 1.0 - wp / wu if wu > 0 else np.nan,
                     "runs_needed_ratio": (wp / wu) ** 2 if wu > 0 else np.nan})
    return pd.DataFrame(rows)


def _markdown(opts, planned, df, headline, others, measured, t_box, b_box, per_point, seconds,
              sweep_dir) -> str:
    base, treat = opts["baseline"], opts["treatment"]
    sw = planned.config
    n_pairs = int(headline["n_pairs"].iloc[0])
    key = headline.set_index("outcome")
    share = key.loc["mean_ally_burden_share"]
    lines = [
        f"# {treat.replace('_', ' ')} vs {base.replace('_', ' ')}",
        "",
        f"Scenario `{planned.base.scenario.name}`, {planned.base.scenario.horizon} months; "
        f"{len(df)} runs: {len(sw.policies)} policies × {len(planned.design.points)} design points "
        f"× {sw.replicates} replicates ({sw.sampler} over {len(planned.design.parameters)} uncertain "
        f"parameters), every policy on the same random numbers. Made in {seconds:.0f} s by "
        f"`python -m sim.report`; sweep in `{sweep_dir}` (manifest `sweep.json`, config hash "
        f"`{list(planned.manifest()['config_hashes'].values())[0]}`).",
        "",
        "## Headline",
        "",
        f"Over {n_pairs} paired runs, {treat} changes the allies' mean share of the burden by "
        f"**{share['difference']:+.3f}** (95% CI {share['ci_low']:+.3f} to {share['ci_high']:+.3f}; "
        f"{share['baseline_mean']:.3f} → {share['treatment_mean']:.3f}) and wins in "
        f"{share['win_share']:.0%} of the pairs.",
        "",
        _table(headline, {"label": "outcome", "direction": "better", "baseline_mean": base,
                          "treatment_mean": treat, "difference": "difference",
                          "ci_low": "95% CI low", "ci_high": "95% CI high",
                          "effect_size": "effect size d_z", "win_share": "treatment wins"}),
        "",
        "Differences are treatment − baseline, paired on (design point, replicate); intervals are "
        "percentile bootstrap over pairs (2,000 resamples); d_z is the mean difference over the "
        "standard deviation of the differences; 'treatment wins' counts pairs where the treatment "
        "is strictly better in the outcome's direction.",
        "",
        "![paired differences](figures/paired_differences.png)",
        "",
        "## What common random numbers bought",
        "",
        f"The same {n_pairs} runs of {treat} were repeated on independent random numbers (same "
        "design points). Width of the 95% interval of the mean difference:",
        "",
        _table(measured.merge(headline[["outcome", "label"]], on="outcome"),
               {"label": "outcome", "ci_width_crn": "paired (common random numbers)",
                "ci_width_independent": "unpaired (independent runs)",
                "shrink": "interval shrinks by", "runs_needed_ratio": "runs needed (ratio)"}),
        "",
        "'Runs needed' is the share of runs a paired design needs for the interval an unpaired "
        "one gets (the squared width ratio).",
        "",
        "## Against the other policies",
        "",
        f"Each policy against {base} on the same pairs (difference in the allies' mean burden "
        "share, months until the coalition falls below half its peak, and final leader trust):",
        "",
    ]
    sub = others[others["outcome"].isin(["mean_ally_burden_share", "months_to_half_peak",
                                         "final_trust_leader"])]
    lines += [_table(sub, {"treatment": "policy", "label": "outcome", "difference": "difference",
                           "ci_low": "95% CI low", "ci_high": "95% CI high",
                           "win_share": "wins vs baseline"}), ""]
    lines += [
        "## Over time",
        "",
        "![trust](figures/trust.png)",
        "",
        "![burden share](figures/burden_share.png)",
        "",
        "![membership](figures/membership.png)",
        "",
        f"## Where each policy wins ({get_outcome(opts['outcome']).label})",
        "",
        f"Of {len(per_point)} pairs, {treat} wins in "
        f"{(per_point['winner'] == treat).mean():.0%} and {base} at "
        f"{(per_point['winner'] == base).mean():.0%}. PRIM boxes (peeling α = 0.05; the densest box "
        "with coverage ≥ 50%):",
        "",
        f"- {t_box.describe()}",
        f"- {b_box.describe()}",
        "",
        "![where policies win](figures/where_policies_win.png)",
        "",
        "Figures are also saved as PDF next to the PNGs; the tables as `headline.csv` and "
        "`all_policies.csv`.",
    ]
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if any(a in ("-h", "--help") for a in argv):
        print(__doc__)
        return 0
    try:
        path = make_report(argv)
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except RuntimeError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt as exc:  # a SweepInterrupted says what is kept
        print(str(exc) or "interrupted; re-running the same command resumes", file=sys.stderr)
        return 130
    except OSError as exc:
        print(f"error: cannot write {exc.filename or 'the report'}: {exc.strerror or exc}; "
              "allowed: a writable report.dir with free space", file=sys.stderr)
        return 2
    print(f"report: {path.resolve()}")
    head = pd.read_csv(path.parent / "headline.csv")
    print(head[["outcome", "baseline_mean", "treatment_mean", "difference", "ci_low", "ci_high",
                "win_share"]].round(3).to_string(index=False))
    return 0

