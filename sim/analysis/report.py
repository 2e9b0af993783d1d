"""The main job: does load shifting first beat immediate burden sharing, why, at what price, where not?

    python -m sim.report                                   # the embedded defaults (experiment=compare)
    python -m sim.report report.treatment=steady           # another pair of named policies
    python -m sim.report sweep.samples=40                  # another design (its own sweep folder)
    python -m sim.report scenario=sahel                    # another scenario
    python -m sim.report hydra.searchpath=[file:///my/configs] scenario=mine   # a user scenario

Runs the ``compare`` experiment (every named policy on common random numbers over a Latin hypercube
of uncertain ally behaviour and local-partner data), then, on the same draws and random numbers:

* the **headline**: paired differences with BCa intervals, costs included, the scenario named;
* **survival**: months until the coalition falls below half its peak is censored at the horizon, so
  it is shown as Kaplan-Meier curves and restricted means up to a stated horizon;
* the **decomposition** (:mod:`sim.analysis.decompose`): which lever carries the difference;
* the **cost frontier** (:mod:`sim.analysis.frontier`);
* **robustness** (regret, satisficing: :mod:`sim.analysis.robustness`) and **where each policy
  wins** (the EMA Workbench's PRIM: :mod:`sim.analysis.discovery`);
* **where the headline fails**: the same pair on a failure-case scenario (default ``sahel``) with
  and without its fixed administration schedule;

and writes ``report.md``, ``report.pdf``, the tables (CSV) and the figures (PNG and PDF).

Overrides are those of :mod:`sim.sweep`, plus ``report.*``: ``report.baseline``,
``report.treatment``, ``report.outcome`` (for scenario discovery), ``report.dir`` (default
``reports/<sweep.name>/<scenario>/<treatment>-vs-<baseline>``), ``report.frontier_points``
(sampled lever points, default 60), ``report.failure_case`` (a scenario, or ``none``),
``report.failure_runs`` (default 100), ``report.pdf`` (true/false). Each design's sweep is kept in
its own folder (``reports/<sweep.name>/sweeps/<design key>``), so re-running with another
treatment reuses the finished sweep and another sample size or scenario runs a new one.
"""

from __future__ import annotations

import dataclasses
import hashlib
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pandas as pd

from sim.analysis.outcomes import add_derived, outcome as get_outcome
from sim.analysis.stats import bca_mean, rmst_difference, survival_curve
from sim.config import ConfigError
from sim.experiments.collect import collect, collect_trajectories
from sim.experiments.io import check_writable_folder, inside, write_csv, write_parquet, write_text

__all__ = ["make_report", "main", "HEADLINE_OUTCOMES", "paired_table"]

REPORTS_ROOT = Path("reports")
DEFAULTS = {"baseline": "immediate_burden_sharing", "treatment": "load_shifting_first",
            "outcome": "mean_ally_burden_share", "dir": None, "frontier_points": "60",
            "failure_case": "sahel", "failure_runs": "100", "pdf": "true"}
HEADLINE_OUTCOMES = ("mean_ally_burden_share", "final_ally_burden_share", "mean_effectiveness",
                     "mean_lead_cost", "total_lead_cost", "burden_share_per_1000",
                     "effectiveness_per_1000", "total_exits", "final_members",
                     "final_trust_leader", "final_trust_country", "final_partner_capacity")
FIGURES = {
    "paired_differences": "per-pair differences (treatment − baseline) of burden share, "
                          "effectiveness, lead cost, exits, trust and partner capacity, with the "
                          "mean and its 95% BCa interval",
    "survival": "Kaplan–Meier curves of months from the membership peak until the coalition falls "
                "below half of it (censored at the horizon), per policy",
    "decomposition": "each lever's effect alone, in the two walks and removed, on burden share, "
                     "effectiveness, lead cost and exits",
    "frontier": "the lead's monthly cost against burden share, effectiveness and survival for "
                "sampled lever points, the frontier and the named policies",
    "robustness": "each policy's outcome over the uncertainty draws (box plots) against the "
                  "satisficing thresholds",
    "where_policies_win": "the winner of each draw on the two parameters PRIM restricts most, "
                          "the PRIM boxes and their peeling/pasting trajectories",
    "burden_share": "allies' share of the burden over time (median and 10–90% band per policy)",
    "trust": "allies' trust in the leader and in the lead country over time",
    "membership": "members of each stabilisation mission over time",
    "failure_case": "the headline pair on the failure-case scenario, with and without its fixed "
                    "administration schedule",
}


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
    for key in ("frontier_points", "failure_runs"):
        try:
            report[key] = int(report[key])
        except ValueError:
            raise ConfigError(f"report.{key}={report[key]!r}: allowed a whole number") from None
        if report[key] < (2 if key == "frontier_points" else 3):
            raise ConfigError(f"report.{key}={report[key]}: allowed at least "
                              f"{2 if key == 'frontier_points' else 3}")
    if str(report["pdf"]).lower() not in ("true", "false"):
        raise ConfigError(f"report.pdf={report['pdf']!r}: allowed true or false")
    report["pdf"] = str(report["pdf"]).lower() == "true"
    return report, rest


def _fmt(x, digits=3):
    if isinstance(x, (bool, np.bool_)):
        return "yes" if x else "no"
    if isinstance(x, (float, np.floating)):
        if not np.isfinite(x):
            return "∞" if x > 0 else ("−∞" if x < 0 else "n/a")
        if abs(x) >= 1000:
            return f"{x:,.0f}"
        return f"{x:.{digits}f}"
    return str(x)


def _num(x) -> str:
    """A signed number for prose and interval cells: thousands separated, small ones to 3
    significant digits."""
    if abs(x) >= 100:
        return f"{x:+,.0f}"
    return f"{x:+.3g}"


def _table(df: pd.DataFrame, columns: dict, digits=3) -> str:
    head = "| " + " | ".join(columns.values()) + " |"
    sep = "|" + "---|" * len(columns)
    lines = [head, sep]
    for r in df[list(columns)].itertuples(index=False, name=None):
        lines.append("| " + " | ".join(_fmt(v, digits) for v in r) + " |")
    return "\n".join(lines)


def _label(name):
    from sim.analysis.policy_plots import policy_label
    return policy_label(name)


def _mission_overrides(cfg_args, dirs):
    """For a scenario without the experiment's mission, vary its own stabilisation missions
    instead (same ranges): the overrides and a sentence saying so."""
    from omegaconf import OmegaConf
    from sim.config.compose import compose_raw
    raw = OmegaConf.to_container(compose_raw("sweep", cfg_args, config_dirs=dirs))
    unc = (raw.get("sweep") or {}).get("uncertainties") or {}
    missions = unc.get("missions") or {}
    scen = raw["scenario"]
    have = scen.get("missions") or {}
    stab = [m for m, spec in have.items() if (spec or {}).get("kind", "stabilisation")
            == "stabilisation"]
    extra, notes = [], []
    for m, fields in missions.items():
        if m in have or not isinstance(fields, dict):
            continue
        extra.append(f"~sweep.uncertainties.missions.{m}")
        for target in stab:
            for fld, spec in fields.items():
                body = ", ".join(f"{k}: {v}" for k, v in spec.items())
                extra.append(f"+sweep.uncertainties.missions.{target}.{fld}={{{body}}}")
        notes.append(f"the experiment's uncertainties about mission `{m}` apply, with the same "
                     f"ranges, to scenario `{scen['name']}`'s stabilisation missions "
                     f"({', '.join(f'`{t}`' for t in stab) or 'none'})")
    return extra, notes


def _key(sweep) -> str:
    """A folder name per sweep: its design, configs, options and the code and machine fingerprint
    (a sweep made by other code stays where it is; the new one gets its own folder)."""
    import json

    from sim.config import config_hash
    from sim.experiments.io import fingerprint
    h = hashlib.sha256(sweep.design.digest().encode())
    h.update(json.dumps(fingerprint(), sort_keys=True, default=str).encode())
    for k, v in sorted(sweep.configs.items()):
        h.update(k.encode())
        h.update(config_hash(v).encode())
    h.update(repr(sorted(dataclasses.asdict(sweep.config).items())).encode())
    return h.hexdigest()[:12]


def paired_table(df, base, treat, names, seed=0):
    """Headline rows: means, paired difference with a 95% BCa interval, win share."""
    b = df[df.policy == base].sort_values(["scenario", "point", "replicate"])
    t = df[df.policy == treat].sort_values(["scenario", "point", "replicate"])
    rows = []
    for i, n in enumerate(names):
        o = get_outcome(n)
        xb, xt = b[n].to_numpy(float), t[n].to_numpy(float)
        d = xt - xb
        m, lo, hi = bca_mean(d, seed=seed + i)
        rows.append({"outcome": n, "label": o.label, "unit": o.unit or "index 0–1",
                     "direction": o.direction, "baseline": base, "treatment": treat,
                     "baseline_mean": xb.mean(), "treatment_mean": xt.mean(), "difference": m,
                     "ci_low": lo, "ci_high": hi, "win_share": float((o.sign * d > 0).mean()),
                     "n_pairs": len(d)})
    return pd.DataFrame(rows)


def _schedule_note(cfg) -> str | None:
    adm = cfg.scenario.administrations
    if adm.mode == "fixed" and adm.schedule:
        from sim.config.checks import admin_step, month_index
        parts = []
        for j, ch in enumerate(adm.schedule):
            step = admin_step(cfg.scenario, ch, f"scenario.administrations.schedule[{j}]")
            when = None
            if cfg.scenario.start:
                k = month_index(cfg.scenario.start, "scenario.start") + step - 1
                when = f"{k // 12}-{k % 12 + 1:02d}"
            parts.append(f"{ch.policy} from month {step}" + (f" ({when})" if when else ""))
        return ("its fixed administration schedule replaces the chosen policy: "
                + ", then ".join(parts))
    if adm.mode == "elections":
        return "administrations alternate at the lead's elections (the chosen policy may end)"
    return None


def make_report(args=(), *, progress=None) -> Path:
    """Run (or resume) the comparison and its experiments and write the report; returns its path."""
    from sim.experiments.sweep import _split_args, config_dirs, plan, run_sweep

    opts, sweep_args = _split(list(args))
    get_outcome(opts["outcome"])
    t0 = time.monotonic()
    cfg_args, hydra_args = _split_args(sweep_args)
    dirs = config_dirs(hydra_args)
    extra, mission_notes = _mission_overrides(cfg_args, dirs)
    cfg_args = cfg_args + extra
    sweep_args = cfg_args + hydra_args
    planned = plan(cfg_args, config_dirs=dirs)
    sw = planned.config
    name = sw.name
    scenario = planned.base.scenario.name
    base, treat = opts["baseline"], opts["treatment"]
    if base == treat:
        raise ConfigError(f"report.baseline and report.treatment are both {base!r}: choose two "
                          "policies")
    for p in (base, treat):
        if p not in (sw.policies or [planned.base.policy.name]):
            raise ConfigError(f"report policy {p!r} is not among sweep.policies {list(sw.policies)}")
    if opts["failure_case"] != "none":
        from sim.config import scenario_names
        if opts["failure_case"] not in scenario_names():
            raise ConfigError(f"report.failure_case={opts['failure_case']!r}: allowed a scenario "
                              f"({', '.join(scenario_names())}) or none")
    root = inside(REPORTS_ROOT, REPORTS_ROOT / name, "sweep.name")
    out = (Path(opts["dir"]) if opts["dir"] else
           inside(REPORTS_ROOT, root / scenario / f"{treat}-vs-{base}", "scenario"))
    check_writable_folder(out, "report.dir")
    sweeps_root = (out if opts["dir"] else root) / "sweeps"
    fig_dir = out / "figures"
    sweep_dir = sweeps_root / _key(planned)
    summary = run_sweep([*sweep_args, f"sweep.dir={sweep_dir}"], progress=progress)
    if summary["status"] != "complete":
        raise RuntimeError(f"the sweep did not complete: see {sweep_dir}/sweep_summary.json")
    run_seed = sw.seed if sw.run_seed is None else sw.run_seed
    indep_args = [*sweep_args, f"sweep.policies=[{treat}]", f"sweep.run_seed={sw.seed + 1_000_003}",
                  "sweep.trajectories=false", f"sweep.name={name}_independent"]
    indep_plan = plan(_split_args(indep_args)[0], config_dirs=dirs)
    indep_dir = sweeps_root / f"independent-{_key(indep_plan)}"
    run_sweep([*indep_args, f"sweep.dir={indep_dir}"], progress="none")

    df = add_derived(collect(sweep_dir))
    params = df.attrs["sweep"]["parameters"]
    cfg = planned.configs[scenario]
    headline = paired_table(df, base, treat, HEADLINE_OUTCOMES)
    indep = add_derived(collect(indep_dir))
    measured = _measured_crn(df, indep, base, treat)
    others = pd.concat([paired_table(df, base, p, ("mean_ally_burden_share", "mean_effectiveness",
                                              "mean_lead_cost", "total_exits"))
                        for p in sw.policies if p != base], ignore_index=True)

    # survival (censored): Kaplan-Meier, restricted means up to tau
    curves, surv_rows = {}, []
    policies = list(sw.policies)
    tau = _tau(df, policies)
    for p in policies:
        r = df[df.policy == p]
        t_, s_ = survival_curve(r["months_to_half_peak"], r["half_peak_reached"])
        curves[p] = (t_, s_, len(r), int(r["half_peak_reached"].sum()))
    b = df[df.policy == base].sort_values(["point", "replicate"])
    for p in policies:
        t = df[df.policy == p].sort_values(["point", "replicate"])
        rb, rt, dm, lo, hi = rmst_difference(b["months_to_half_peak"], b["half_peak_reached"],
                                             t["months_to_half_peak"], t["half_peak_reached"],
                                             tau)
        surv_rows.append({"policy": p, "fell": float(t["half_peak_reached"].mean()),
                          "rmst": rt, "rmst_difference": dm, "ci_low": lo, "ci_high": hi})
    survival = pd.DataFrame(surv_rows)

    # decomposition, frontier, robustness, discovery
    from sim.analysis.decompose import decompose
    from sim.analysis.frontier import FRONTIER_OUTCOMES, at_equal_cost, frontier_experiment
    from sim.analysis.robustness import ROBUSTNESS_OUTCOMES, per_point, robustness_table
    draws = (df.drop_duplicates("point").sort_values("point")[["point", *params]]
             .reset_index(drop=True))
    dec = decompose(base, treat, draws, replicates=sw.replicates, seed=run_seed, cfg=cfg)
    check = _reproduces(dec, df, base, treat)
    step = max(1, len(draws) // 50)
    ftable, _ = frontier_experiment(policies, draws.iloc[::step], n_points=opts["frontier_points"],
                                    replicates=1, seed=run_seed, cfg=cfg)
    equal_cost = pd.concat([at_equal_cost(ftable, policies, o).assign(outcome=o)
                            for o in FRONTIER_OUTCOMES], ignore_index=True)
    pts = per_point(df)
    robust = robustness_table(pts)
    from sim.analysis.discovery import where_policies_win
    o = get_outcome(opts["outcome"])
    boxes = {}
    for oname in dict.fromkeys([o.name, "effectiveness_per_1000"]):
        wide = df.groupby(["policy", "point"])[oname].mean().unstack(0)
        cases = draws.copy()
        cases["difference"] = get_outcome(oname).sign * (wide[treat] - wide[base]).to_numpy()
        boxes[oname] = where_policies_win(cases, params, treatment=treat, baseline=base)
    failure = None
    if opts["failure_case"] != "none":
        failure = _failure_case(opts["failure_case"], base, treat, opts["failure_runs"], run_seed)

    # figures
    import matplotlib.pyplot as plt
    from sim.analysis import plots
    from sim.analysis import policy_plots as pp
    figs = {}
    diff_names = {"mean_ally_burden_share": "allies' mean burden share",
                  "mean_effectiveness": "mean mission effectiveness",
                  "mean_lead_cost": "lead's mean cost (troop-eq./month)",
                  "total_exits": "exits from missions", "final_trust_leader":
                  "trust in the leader at the end", "final_partner_capacity":
                  "local partner capacity at the end"}
    figs["paired_differences"] = plots.paired_differences_figure(
        {k: df[df.policy == treat].sort_values(["point", "replicate"])[k].to_numpy()
         - df[df.policy == base].sort_values(["point", "replicate"])[k].to_numpy()
         for k in diff_names},
        headline[headline["outcome"].isin(list(diff_names))], fig_dir / "paired_differences",
        labels=diff_names, scenario=scenario)
    figs["survival"] = pp.survival_figure(curves, tau, fig_dir / "survival", scenario)
    dec_outcomes = {"mean_ally_burden_share": "allies' mean burden share",
                    "mean_effectiveness": "mean mission effectiveness (0–1)",
                    "mean_lead_cost": "lead's mean cost (troop-eq./month)",
                    "total_exits": "exits from missions"}
    figs["decomposition"] = pp.decomposition_figure(dec, dec_outcomes, fig_dir / "decomposition")
    figs["frontier"] = pp.frontier_figure(ftable, FRONTIER_OUTCOMES, fig_dir / "frontier", scenario)
    rob_labels = {"mean_ally_burden_share": "allies' mean burden share",
                  "mean_effectiveness": "mean mission effectiveness (0–1)",
                  "effectiveness_per_1000": "effectiveness per 1,000 troop-eq./month"}
    figs["robustness"] = pp.robustness_figure(pts, rob_labels, ROBUSTNESS_OUTCOMES,
                                              fig_dir / "robustness", scenario)
    # the figure shows the outcome on which the wins are most evenly split (the informative one)
    shown = min(boxes, key=lambda k: abs((boxes[k][2]["winner"] == treat).mean() - 0.5))
    t_box, b_box, cases = boxes[shown]
    figs["where_policies_win"] = plots.discovery_figure(
        cases, [t_box, b_box], params, fig_dir / "where_policies_win",
        textwrap.shorten(get_outcome(shown).label, 60))
    steps = collect_trajectories(sweep_dir, "steps")
    missions = collect_trajectories(sweep_dir, "missions")
    figs["burden_share"] = plots.burden_share_over_time(steps, fig_dir / "burden_share")
    figs["trust"] = plots.trust_trajectories(steps, fig_dir / "trust")
    stab = [m for m, s in cfg.scenario.missions.items() if s.kind != "core"]
    figs["membership"] = plots.membership_over_time(missions[missions["mission"].isin(stab)],
                                                    fig_dir / "membership")
    if failure is not None:
        figs["failure_case"] = _failure_figure(failure, base, treat, fig_dir / "failure_case")
    for f in figs.values():
        plt.close(f)

    write_parquet(headline, out / "headline.parquet")
    write_csv(headline, out / "headline.csv", index=False)
    write_csv(others, out / "all_policies.csv", index=False)
    write_csv(dec.table, out / "decomposition.csv", index=False)
    write_csv(dec.totals, out / "decomposition_totals.csv", index=False)
    write_csv(ftable, out / "frontier.csv", index=False)
    write_csv(equal_cost, out / "equal_cost.csv", index=False)
    write_csv(robust, out / "robustness.csv", index=False)
    write_csv(survival, out / "survival.csv", index=False)
    if failure is not None:
        write_csv(failure["table"], out / "failure_case.csv", index=False)
    ctx = dict(opts=opts, planned=planned, df=df, headline=headline, others=others,
               measured=measured, survival=survival, tau=tau, dec=dec, check=check,
               ftable=ftable, equal_cost=equal_cost, robust=robust, boxes=boxes,
               failure=failure, seconds=time.monotonic() - t0, sweep_dir=sweep_dir,
               mission_notes=mission_notes, cfg=cfg, params=params, figures=list(figs))
    text = _markdown(ctx)
    path = write_text(text, out / "report.md")
    if opts["pdf"]:
        from sim.analysis.pdf import markdown_to_pdf
        markdown_to_pdf(text, out / "report.pdf", out)
    return path


def _tau(df, policies) -> float:
    """The restricted-mean horizon: the longest time every policy's Kaplan-Meier curve is
    estimated to (a curve whose longest run was censored is unknown beyond it)."""
    limits = [float(df["months_to_half_peak"].max())]
    for p in policies:
        r = df[df.policy == p]
        longest = r.loc[r["months_to_half_peak"].idxmax()]
        if not bool(longest["half_peak_reached"]):
            limits.append(float(longest["months_to_half_peak"]))
    return min(limits)


def _reproduces(dec, df, base, treat) -> float:
    """Largest difference between the walk's endpoints and the sweep's runs of the same policies
    (0 when the decomposition reproduces the sweep bit for bit)."""
    worst = 0.0
    for p in (base, treat):
        mine = dec.values(p, "mean_ally_burden_share")
        ref = (df[df.policy == p].sort_values(["point", "replicate"])["mean_ally_burden_share"]
               .to_numpy(float))
        if len(mine) != len(ref):
            return float("nan")
        worst = max(worst, float(np.abs(mine - ref).max()))
    return worst


def _failure_case(scenario, base, treat, runs, seed):
    """The pair on ``scenario`` with its administrations as written and without them."""
    from sim.analysis.levers import policy_point, run_points
    from sim.config import compose
    rows, series = [], {}
    for label, extra in (("as written", []), ("without administration changes",
                                               ["scenario.administrations.mode=none"])):
        cfg = compose([f"scenario={scenario}", *extra])
        r = run_points({base: policy_point(base), treat: policy_point(treat)}, None,
                       replicates=runs, seed=seed, cfg=cfg, start_policy=base)
        r = add_derived(r)
        rb = r[r.label == base].sort_values("replicate")
        rt = r[r.label == treat].sort_values("replicate")
        for i, n in enumerate(("mean_ally_burden_share", "mean_effectiveness", "mean_lead_cost",
                               "total_exits")):
            m, lo, hi = bca_mean(rt[n].to_numpy(float) - rb[n].to_numpy(float), seed=i)
            rows.append({"variant": label, "outcome": n, "label": get_outcome(n).label,
                         "baseline_mean": rb[n].mean(), "treatment_mean": rt[n].mean(),
                         "difference": m, "ci_low": lo, "ci_high": hi, "runs": len(rb)})
        series[label] = (rb, rt)
    note = _schedule_note(compose([f"scenario={scenario}"]))
    return {"scenario": scenario, "table": pd.DataFrame(rows), "note": note, "runs": series}


def _failure_figure(failure, base, treat, path):
    import matplotlib.pyplot as plt
    from sim.analysis.plots import save
    t = failure["table"]
    names = {"mean_ally_burden_share": "allies' mean burden share",
             "total_exits": "exits from missions",
             "mean_lead_cost": "lead's mean cost (troop-eq./month)"}
    fig, axes = plt.subplots(1, len(names), figsize=(11, 3.0))
    variants = list(dict.fromkeys(t["variant"]))
    for ax, (n, lab) in zip(axes, names.items()):
        sub = t[t["outcome"] == n].set_index("variant").loc[variants]
        y = np.arange(len(variants))
        m = sub["difference"].to_numpy()
        err = np.vstack([m - sub["ci_low"].to_numpy(), sub["ci_high"].to_numpy() - m])
        ax.barh(y, m, 0.5, xerr=err, color=["#b2182b", "#4393c3"][:len(y)], capsize=3)
        ax.axvline(0, color="0.3", lw=0.8)
        ax.set_yticks(y, variants, fontsize=8)
        ax.set_title(lab, fontsize=9)
        ax.set_xlabel(f"{_label(treat)} − {_label(base)}", fontsize=8)
    for ax in axes[1:]:
        ax.set_yticklabels([])
    fig.suptitle(f"The headline pair on scenario {failure['scenario']}, with and without its "
                 "administration schedule "
                 f"({int(t['runs'].iloc[0])} paired runs each; bars: 95% BCa CI)", fontsize=10)
    fig.tight_layout()
    save(fig, path)
    return fig


def _measured_crn(df, indep, base, treat, n_boot=2000, seed=0):
    """CI width of the mean difference with common random numbers (paired) against the same
    number of runs of the treatment on independent random numbers (unpaired), per outcome."""
    gen = np.random.default_rng(seed)
    b = df[df.policy == base].sort_values(["point", "replicate"])
    t = df[df.policy == treat].sort_values(["point", "replicate"])
    ti = indep[indep.policy == treat].sort_values(["point", "replicate"])
    rows = []
    n = len(b)
    for name in ("mean_ally_burden_share", "mean_effectiveness", "mean_lead_cost", "total_exits"):
        d = t[name].to_numpy() - b[name].to_numpy()
        idx = gen.integers(0, n, size=(n_boot, n))
        paired = d[idx].mean(axis=1)
        idx2 = gen.integers(0, n, size=(n_boot, n))
        unpaired = ti[name].to_numpy()[idx].mean(axis=1) - b[name].to_numpy()[idx2].mean(axis=1)
        wp = np.subtract(*np.quantile(paired, [0.975, 0.025]))
        wu = np.subtract(*np.quantile(unpaired, [0.975, 0.025]))
        rows.append({"outcome": name, "label": get_outcome(name).label, "ci_width_crn": wp,
                     "ci_width_independent": wu,
                     "shrink": 1.0 - wp / wu if wu > 0 else np.nan,
                     "runs_needed_ratio": (wp / wu) ** 2 if wu > 0 else np.nan})
    return pd.DataFrame(rows)


def _verdicts(t, variant):
    """``(worse, better)``: outcome labels where the treatment is worse / better with the 95%
    interval excluding zero, in one variant of the failure case."""
    out = {"worse": [], "better": [], "unclear": []}
    for r in t[t["variant"] == variant].itertuples():
        out[_verdict(r.outcome, r.ci_low, r.ci_high)].append(
            f"{r.label} ({_num(r.difference)}, {_num(r.ci_low)} to {_num(r.ci_high)})")
    return out["worse"], out["better"]


def _verdict(outcome, lo, hi) -> str:
    """``better``, ``worse`` or ``unclear`` (the 95% interval includes zero), in the outcome's
    good direction."""
    sign = get_outcome(outcome).sign
    lo, hi = sign * lo, sign * hi
    return "worse" if max(lo, hi) < 0 else "better" if min(lo, hi) > 0 else "unclear"


def _limits_line(head, f, scenario) -> str:
    """The first line of the report's limits: where the numbers hold, and whether the failure
    case changes any verdict of the headline (measured, so it stays true as the model moves)."""
    line = f"- Every number holds for scenario `{scenario}` and the ranges above"
    if f is None:
        return line + "."
    t = f["table"]
    t = t[t["variant"] == "as written"].set_index("outcome")
    changed = []
    for r in head.itertuples():
        if r.outcome not in t.index:
            continue
        here = _verdict(r.outcome, r.ci_low, r.ci_high)
        there = _verdict(r.outcome, t.loc[r.outcome, "ci_low"], t.loc[r.outcome, "ci_high"])
        if here != there:
            changed.append(f"{r.label} ({here} here, {there} there)")
    if changed:
        return (line + f"; on `{f['scenario']}` the verdict changes on "
                + "; ".join(changed) + " (\"Where the headline fails\").")
    return (line + f"; on `{f['scenario']}` every verdict it shares with the headline keeps its "
            "direction, though the sizes differ (\"Where the headline fails\").")


def _failure_text(f, T, B) -> str:
    """The failure case in words, from the measured signs (so it stays true as the model moves)."""
    t = f["table"]
    n = int(t["runs"].iloc[0])
    worse, better = _verdicts(t, "as written")
    worse0, _ = _verdicts(t, "without administration changes")
    out = [f"On scenario **{f['scenario']}** (its own data, {n} paired runs, no uncertainty "
           f"draws), {T} is "]
    out.append(("worse than " + B + " on " + "; ".join(worse)) if worse else
               f"nowhere clearly worse than {B}")
    out.append((" and better on " + "; ".join(better)) if better else "")
    out.append(". ")
    if f["note"]:
        out.append(f"In this scenario {f['note']}, so the chosen policy governs only the months "
                   "before the first change; after it both arms run the same administrations, and "
                   "the difference is what the first months left behind. ")
    if worse:
        gone = [w for w in worse if w.split(" (")[0] not in {x.split(" (")[0] for x in worse0}]
        kept = [w for w in worse if w not in gone]
        if gone:
            out.append("Without the administration changes (`scenario.administrations.mode=none`) "
                       "the treatment is no longer worse on "
                       + ", ".join(w.split(" (")[0] for w in gone)
                       + ": the schedule explains that part. ")
        if kept:
            out.append("It stays worse on " + "; ".join(w.split(" (")[0] for w in kept)
                       + " even without them: the schedule does not explain that part (something else in "
                       "the scenario does; this report does not analyse what). ")
    out.append("Both variants:")
    return "".join(out)


def _cheapest_text(ft, ec, treat, T) -> str:
    """The cheapest sampled point that matches the treatment's burden share, in words, with what
    it gives up on the other outcomes."""
    from sim.analysis.levers import LEVER_FIELDS, describe_point
    r = ec[(ec["policy"] == treat) & (ec["outcome"] == "mean_ally_burden_share")].iloc[0]
    if r["least_point"] == treat:
        return f"No sampled point matches {T}'s burden share for less."
    pt = ft.set_index("label").loc[r["least_point"]]
    me = ft.set_index("label").loc[treat]
    return (f"The cheapest sampled point that matches {T}'s burden share costs "
            f"{r['least_cost_as_good']:,.0f} troop-equivalents a month ({T}: {r['cost']:,.0f}) "
            f"with effectiveness {pt['mean_effectiveness']:.3f} ({me['mean_effectiveness']:.3f}) "
            f"and survival {pt['survival']:.2f} ({me['survival']:.2f}); it is: "
            f"{describe_point({k: pt[k] for k in LEVER_FIELDS})}.")


FRONTIER_LABELS = {"mean_ally_burden_share": "burden share", "mean_effectiveness": "effectiveness",
                   "survival": "survival"}


def _markdown(c) -> str:
    from sim.analysis.levers import describe_point, lever, levers_table, policy_point
    from sim.analysis.names import plain
    opts, planned, df, head = c["opts"], c["planned"], c["df"], c["headline"]
    base, treat = opts["baseline"], opts["treatment"]
    B, T = _label(base), _label(treat)
    sw = planned.config
    scen = planned.base.scenario
    n_pairs = int(head["n_pairs"].iloc[0])
    key = head.set_index("outcome")
    share, cost, eff = (key.loc["mean_ally_burden_share"], key.loc["mean_lead_cost"],
                        key.loc["mean_effectiveness"])
    dec = c["dec"]
    params = c["params"]
    sched = _schedule_note(c["cfg"])
    L = []
    L += [f"# Does {T} beat {B}? Scenario: {scen.name}", ""]
    L += [f"*Scenario `{scen.name}`* ({scen.horizon} months{', from ' + scen.start if scen.start else ''}): "
          f"{' '.join(str(scen.description).split()) or 'no description'}. "
          f"{len(df)} simulated runs: {len(sw.policies)} named policies × "
          f"{len(planned.design.points)} draws of the uncertain parameters ({sw.sampler}) × "
          f"{sw.replicates} replicate(s), every policy on the same random numbers (paired). Made in "
          f"{c['seconds']:.0f} s by `python -m sim.report`; sweep in `{c['sweep_dir']}`.", ""]
    if sched:
        L += [f"**Note:** in this scenario {sched}. The comparison therefore measures the chosen "
              "policies only until the first change.", ""]
    for note in c["mission_notes"]:
        L += [f"**Note:** {note}.", ""]
    L += ["## The question", "",
          f"A lead nation wants its allies to carry more of a coalition mission's burden. "
          f"**{T}** and **{B}** are two ways to get there. Which one gets the allies to carry "
          "more, keeps the mission effective and the coalition together, at what cost to the "
          "lead, through which of its levers, and where does the answer change?", "",
          "**Burden share** is the allies' share of the troop-equivalents in the stabilisation "
          "missions (troops plus enablers counted in troop-equivalents), 0–1, averaged over the "
          "months of a run. **The lead's cost** is its troops and enablers on the ground plus what "
          "it spends on capacity building, consultation and pledges, in troop-equivalents per "
          "month (averaged over the run). **Effectiveness** is the missions' effectiveness index "
          "(0–1). **Survival**: the coalition survives a run if its membership never falls below "
          "half of its peak before the horizon.", ""]
    L += ["## The levers and the named policies", "",
          "A policy is a point in a space of levers; the named policies are points in it.", ""]
    lt = levers_table(list(sw.policies))
    lt.columns = ["lever"] + [_label(p) for p in sw.policies]
    L += [_table(lt, {k: k for k in lt.columns}), ""]
    diff = dec.levers
    L += [f"{T} and {B} differ on {len(diff)} levers: "
          + ", ".join(lever(n).label for n in diff) + ".", ""]
    L += ["## The uncertainties", "",
          "What the lead does not control, drawn by Latin hypercube within these ranges:", ""]
    rows = []
    for pname in params:
        spec = planned.design.points[pname]
        lab, unit = plain(pname)
        rows.append({"parameter": lab, "unit": unit or "–", "low": spec.min(), "high": spec.max(),
                     "key": f"`{pname}`"})
    L += [_table(pd.DataFrame(rows), {"parameter": "parameter", "unit": "unit",
                                      "low": "lowest drawn", "high": "highest drawn",
                                      "key": "config key"}), ""]
    L += ["## Headline", "",
          f"In scenario **{scen.name}**, over {n_pairs} paired runs, {T} raises the allies' mean "
          f"share of the burden from {share['baseline_mean']:.3f} to {share['treatment_mean']:.3f} "
          f"(**{share['difference']:+.3f}**, 95% CI {share['ci_low']:+.3f} to "
          f"{share['ci_high']:+.3f}) and mission effectiveness by {eff['difference']:+.3f} "
          f"({eff['ci_low']:+.3f} to {eff['ci_high']:+.3f}); **it costs the lead "
          f"{cost['treatment_mean']:,.0f} troop-equivalents a month against "
          f"{cost['baseline_mean']:,.0f}** ({cost['difference']:+,.0f}, "
          f"{cost['ci_low']:+,.0f} to {cost['ci_high']:+,.0f}).", ""]
    L += [_table(head, {"label": "outcome", "unit": "unit", "direction": "better",
                        "baseline_mean": B, "treatment_mean": T, "difference": "difference",
                        "ci_low": "95% CI low", "ci_high": "95% CI high",
                        "win_share": f"{T} better in"}), "",
          "Differences are treatment − baseline, paired on (draw, replicate); intervals are BCa "
          "bootstrap over pairs (`scipy.stats.bootstrap`, 2,000 resamples); 'better in' is the "
          "share of pairs in which the treatment is strictly better in the outcome's direction. "
          "Months until the coalition falls below half its peak is censored, so it is not in this "
          "table: see *Survival*.", "", "![paired differences](figures/paired_differences.png)", ""]
    s = c["survival"]
    L += ["## Survival (a censored outcome)", "",
          f"A run that never falls below half its peak before the horizon says only 'more than "
          f"(horizon − peak month)'; its number is not a measurement. Restricted mean months above "
          f"half the peak, counted up to **τ = {c['tau']:.0f} months** after the peak (the area "
          "under the Kaplan–Meier curve on [0, τ]), with the paired difference against "
          f"{B} (BCa over pairs):", "",
          _table(s.assign(policy=s["policy"].map(_label)),
                 {"policy": "policy", "fell": "share of runs that fell below half the peak",
                  "rmst": f"restricted mean months (τ = {c['tau']:.0f})",
                  "rmst_difference": f"difference vs {B}", "ci_low": "95% CI low",
                  "ci_high": "95% CI high"}), "", "![survival](figures/survival.png)", ""]
    tot = dec.totals.set_index("outcome")
    L += ["## Which lever does the work (decomposition)", "",
          f"From {B} to {T} one lever at a time on the same {n_pairs} paired runs: each lever "
          "alone (switched in the baseline), its contribution in a forward walk (levers switched "
          "in the order listed) and in a reverse walk (opposite order), and its removal from the "
          "treatment. The walks' contributions add up to the total exactly. 'Share' is the mean of "
          "the two walks' contributions over the total.", ""]
    for oname, olabel in (("mean_ally_burden_share", "allies' mean burden share"),
                          ("mean_lead_cost", "lead's mean cost, troop-equivalents per month"),
                          ("mean_effectiveness", "mean mission effectiveness")):
        t = dec.table[dec.table.outcome == oname].copy()
        for k in ("alone", "forward", "reverse", "removed"):
            t[k + "_ci"] = [f"{_num(m)} [{_num(lo)}, {_num(hi)}]" for m, lo, hi in
                            zip(t[k], t[k + "_low"], t[k + "_high"])]
        tr = tot.loc[oname]
        L += [f"**{olabel}**: total {_num(tr['total'])} (95% CI {_num(tr['total_low'])} to "
              f"{_num(tr['total_high'])}); sum of the levers alone {_num(tr['sum_alone'])}; "
              f"interaction (total − sum alone) {_num(tr['interaction'])} "
              f"({_num(tr['interaction_low'])} to {_num(tr['interaction_high'])}).", "",
              _table(t, {"lever_label": "lever", "alone_ci": "alone", "forward_ci": "forward walk",
                         "reverse_ci": "reverse walk", "removed_ci": "removed",
                         "share_of_total": "share"}), ""]
    bs = dec.table[dec.table.outcome == "mean_ally_burden_share"].sort_values(
        "share_of_total", ascending=False)
    top = bs.iloc[0]
    L += [f"In words: on burden share, **{top['lever_label']}** carries the largest part "
          f"({top['share_of_total']:.0%} of the difference on average over the two orders; alone "
          f"{top['alone']:+.3f}, removed {top['removed']:+.3f}). "
          + (f"The sequencing rule (capacity-triggered vs calendar cuts) changes the burden share "
             f"by {bs.set_index('lever').loc['sequencing', 'alone']:+.3f} when it is the only "
             f"change from {B}, and by {bs.set_index('lever').loc['sequencing', 'removed']:+.3f} "
             f"when everything else is already {T}: its effect depends on the other levers. "
             if "sequencing" in set(bs["lever"]) else "")
          + f"The endpoints of the walk reproduce the sweep's runs (largest difference "
          f"{c['check']:.2g}).", "", "![decomposition](figures/decomposition.png)", ""]
    ft, ec = c["ftable"], c["equal_cost"]
    named = ft[ft["named"]].copy()
    named["policy"] = named["label"].map(_label)
    L += ["## Cost and the frontier", "",
          f"{len(ft) - len(named)} lever points sampled by Latin hypercube (sequencing "
          "capacity-triggered or calendar, cut rates and floors, capacity building, consultation, "
          "demand, stance, pledges) and the named policies, each on the same "
          f"{int(ft['runs'].iloc[0])} draws and random numbers. The frontier holds the points no "
          "other point beats on both cost and outcome.", "",
          _table(named, {"policy": "policy", "mean_lead_cost": "lead cost (troop-eq./month)",
                         "mean_ally_burden_share": "burden share",
                         "mean_effectiveness": "effectiveness", "survival": "survival",
                         "burden_share_per_1000": "burden share per 1,000 troop-eq.",
                         "effectiveness_per_1000": "effectiveness per 1,000 troop-eq.",
                         "on_frontier_mean_ally_burden_share": "on the burden-share frontier"}),
          "", "At equal cost: the best any sampled point reaches at no more cost than the named "
          "policy, and the least cost at which any point does as well:", ""]
    ec2 = ec.copy()
    ec2["policy"] = ec2["policy"].map(_label)
    ec2["outcome"] = ec2["outcome"].map(FRONTIER_LABELS)
    L += [_table(ec2, {"outcome": "outcome", "policy": "policy", "cost": "its cost",
                       "value": "its value", "best_at_no_more_cost": "best at no more cost",
                       "least_cost_as_good": "least cost as good"}), "",
          _cheapest_text(ft, ec, treat, T), "", "![frontier](figures/frontier.png)", ""]
    rb = c["robust"].copy()
    rb["policy"] = rb["policy"].map(_label)
    rb["outcome"] = rb["outcome"].map({**FRONTIER_LABELS,
                                       "effectiveness_per_1000": "effectiveness per 1,000 "
                                       "troop-eq. of monthly lead cost"})
    L += ["## Robustness across the uncertainties", "",
          f"Per draw of the uncertainties (replicates averaged; {len(planned.design.points)} "
          "draws): the regret of a policy is how far it falls short of the best named policy at "
          "that draw; satisficing is the share of draws where it meets the stated threshold "
          "(the robustness metrics of the EMA Workbench literature: minimax regret, domain "
          "criterion).", "",
          _table(rb, {"outcome": "outcome", "policy": "policy", "mean": "mean",
                      "p10": "10th percentile", "mean_regret": "mean regret",
                      "max_regret": "max regret", "threshold": "threshold",
                      "satisficing": "satisficing share", "best_share": "best in"}), "",
          "![robustness](figures/robustness.png)", ""]
    L += ["## Where each policy wins", "",
          "PRIM boxes (EMA Workbench, peeling and pasting α = 0.05; the densest box with coverage "
          "≥ 50% and at most three restricted parameters), one case per draw (replicates "
          "averaged):", ""]
    for oname, (tb, bb, cases) in c["boxes"].items():
        lab = get_outcome(oname).label
        L += [f"**{lab}**: {T} better in {(cases['winner'] == treat).mean():.0%} of the draws, "
              f"{B} in {(cases['winner'] == base).mean():.0%}.", "",
              f"- {tb.describe().replace(treat, T)}", f"- {bb.describe().replace(base, B)}", ""]
    L += ["![where policies win](figures/where_policies_win.png)", ""]
    m = c["measured"]
    L += ["## What common random numbers bought", "",
          f"The {n_pairs} runs of {T} were repeated on independent random numbers (same draws). "
          "Width of the 95% interval of the mean difference:", "",
          _table(m, {"label": "outcome", "ci_width_crn": "paired (common random numbers)",
                     "ci_width_independent": "unpaired (independent runs)",
                     "shrink": "interval shrinks by", "runs_needed_ratio": "runs needed (ratio)"}),
          ""]
    crn_note = []
    if sw.crn == "all":
        crn_note = [f"With `sweep.crn=all` every draw of replicate *r* meets the same random "
                    f"numbers, so chance events (such as the impulsive policy's abrupt "
                    f"withdrawals) fall in the same months in every draw: the {sw.replicates} "
                    f"replicate(s) are {sw.replicates} random timeline(s). A band that jumps in "
                    "one month (e.g. the impulsive policy's share reaching 0 or 1 near the end, "
                    "when the lead or the last allies have left) is one such event, not noise; "
                    "more replicates (`sweep.replicates`) give more timelines.", ""]
    L += ["## Over time", "", *crn_note,
          "![burden share](figures/burden_share.png)", "", "![trust](figures/trust.png)", "",
          "![membership](figures/membership.png)", ""]
    f = c["failure"]
    L += ["## Where the headline fails", ""]
    if f is not None:
        t = f["table"]
        L += [_failure_text(f, T, B), "",
              _table(t, {"variant": "administrations", "label": "outcome", "baseline_mean": B,
                         "treatment_mean": T, "difference": "difference",
                         "ci_low": "95% CI low", "ci_high": "95% CI high"}),
              "", "![failure case](figures/failure_case.png)", ""]
    else:
        L += ["(not run: `report.failure_case=none`)", ""]
    L += ["## Limits", "",
          _limits_line(c["headline"], f, scen.name),
          "- The model is a stylised agent-based model; costs are in troop-equivalents (enablers "
          "and spending converted at the model's rates), not money.",
          "- The frontier is a sample of the lever space, not an optimisation: a better point may "
          "exist between the sampled ones.",
          "- PRIM boxes describe the draws of this design; with few draws they are coarse.",
          f"- Chance events follow {sw.replicates} random timeline(s) (common random numbers "
          "across draws): a policy whose effect hinges on when a chance event falls (impulsive) "
          "is measured on few timelines.", ""]
    L += ["## Figures", ""]
    L += [f"- `figures/{k}.png`: {FIGURES[k]}." for k in c["figures"]]
    L += ["", "Figures are also saved as PDF next to the PNGs; the tables as CSV "
          "(`headline.csv`, `decomposition.csv`, `frontier.csv`, `equal_cost.csv`, "
          "`robustness.csv`, `survival.csv`, `failure_case.csv`, `all_policies.csv`)."]
    return "\n".join(L) + "\n"


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
