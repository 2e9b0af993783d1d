"""The sweep dashboard (``/sweep``): a collected sweep, two policies, one outcome.

Shows the outcome's distribution under each policy, the paired differences with their interval
(:func:`sim.analysis.compare`), the outcome against a swept parameter, the cost frontier of the
sweep's policies (the lead's cost against the outcome), and, on request, the decomposition of the
difference lever by lever (:mod:`sim.analysis.decompose`, run on the sweep's first draws), and opens
any run of the sweep in the explorer with its exact configuration and seed
(:func:`sim.collect.run_config`). The sweep folder comes from ``?dir=<folder>``, else
``$COALITION_SWEEP_DIR``, else the text input.

Sign convention: as in the report (:mod:`sim.analysis.report`), the default baseline is
immediate burden sharing and the default treatment load shifting first, when the sweep has them;
differences are treatment − baseline.
"""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import parse_qs

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import solara  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from sim.app import SWEEP_DIR_ENV, html  # noqa: E402
from sim.app.explorer import explorer_url  # noqa: E402
from sim.analysis.outcomes import HEADLINE, OUTCOMES  # noqa: E402
from sim.analysis.plots import policy_colour  # noqa: E402

__all__ = ["SweepPage", "load_sweep", "distribution_figure", "differences_figure",
           "parameter_figure", "frontier_figure", "default_pair", "decomposition",
           "DECOMPOSITION_DRAWS"]
DECOMPOSITION_DRAWS = 30      # draws of the sweep the dashboard's decomposition runs on

FIGSIZE = (6.4, 3.6)


def load_sweep(folder: str):
    """``(table, message)``: the collected sweep (None on failure) and what to tell the user."""
    from sim.experiments.collect import SweepIncomplete, collect

    if not folder:
        return None, f"no sweep folder: type one above, or set ${SWEEP_DIR_ENV}"
    try:
        return collect(folder), ""
    except SweepIncomplete as exc:
        try:
            return collect(folder, allow_missing=True), f"incomplete sweep, showing what is done: {exc}"
        except Exception as exc2:  # noqa: BLE001 - shown to the user
            return None, f"{type(exc2).__name__}: {exc2}"
    except Exception as exc:  # noqa: BLE001 - shown to the user
        return None, f"{type(exc).__name__}: {exc}"


def _label(outcome: str) -> str:
    o = OUTCOMES.get(outcome)
    if o is None:
        return outcome
    return o.label + (f" ({o.unit})" if o.unit else "")


def _policies(baseline, treatment):
    return [baseline] if baseline == treatment else [baseline, treatment]


def distribution_figure(df: pd.DataFrame, outcome: str, baseline: str, treatment: str) -> Figure:
    """Box plot with every run as a dot, one column per policy."""
    fig = Figure(figsize=FIGSIZE, dpi=100, layout="constrained")
    ax = fig.subplots()
    policies = _policies(baseline, treatment)
    data = [df.loc[df["policy"] == p, outcome].dropna().to_numpy(dtype=float) for p in policies]
    ax.boxplot(data, positions=range(len(policies)), widths=0.5, showfliers=False,
               medianprops={"color": "black"})
    gen = np.random.default_rng(0)  # jitter only (plotting)
    for i, (p, values) in enumerate(zip(policies, data)):
        ax.scatter(i + gen.uniform(-0.15, 0.15, len(values)), values, s=14, alpha=0.7,
                   color=policy_colour(p, i), zorder=3,
                   label=f"{p} (n={len(values)}, mean {values.mean():.3g})" if len(values) else p)
    ax.set_xticks(range(len(policies)), [f"{p}\n({'baseline' if i == 0 else 'treatment'})"
                                         for i, p in enumerate(policies)], fontsize=8)
    ax.set_ylabel(outcome)
    ax.set_title(_label(outcome), fontsize=10)
    ax.legend(fontsize=7, frameon=False, loc="best")
    ax.grid(axis="y", alpha=0.25, lw=0.5)
    return fig


def differences_figure(diffs: pd.DataFrame | None, row: dict | None, outcome: str,
                       baseline: str, treatment: str) -> Figure:
    """Histogram of the paired differences with their mean and confidence interval."""
    fig = Figure(figsize=FIGSIZE, dpi=100, layout="constrained")
    ax = fig.subplots()
    if diffs is not None and len(diffs):
        d = diffs["difference"].to_numpy(dtype=float)
        ax.hist(d, bins=min(30, max(5, len(d) // 2)), color="#999999", alpha=0.7,
                label=f"{len(d)} pairs")
    if row is not None:
        ax.axvspan(row["ci_low"], row["ci_high"], color=policy_colour(treatment, 1), alpha=0.25,
                   label=f"interval [{row['ci_low']:.3g}, {row['ci_high']:.3g}]")
        ax.axvline(row["difference"], color=policy_colour(treatment, 1), lw=2,
                   label=f"mean difference {row['difference']:.3g}")
    ax.axvline(0.0, color="black", lw=0.8, ls=":")
    ax.set_xlabel(f"{outcome}: {treatment} − {baseline} (same seeds)")
    ax.set_ylabel("pairs")
    ax.set_title("Paired differences", fontsize=10)
    ax.legend(fontsize=7, frameon=False, loc="best")
    return fig


def parameter_figure(df: pd.DataFrame, outcome: str, parameter: str | None, baseline: str,
                     treatment: str, bins: int = 6) -> Figure:
    """The outcome against a swept parameter, one colour per policy, with binned means."""
    fig = Figure(figsize=FIGSIZE, dpi=100, layout="constrained")
    ax = fig.subplots()
    if parameter is None or parameter not in df.columns:
        ax.text(0.5, 0.5, "this sweep varies no parameter", ha="center", va="center",
                transform=ax.transAxes)
        ax.set_axis_off()
        return fig
    x_all = df[parameter].to_numpy(dtype=float)
    edges = np.unique(np.quantile(x_all, np.linspace(0, 1, bins + 1)))
    for i, p in enumerate(_policies(baseline, treatment)):
        sub = df[df["policy"] == p]
        x = sub[parameter].to_numpy(dtype=float)
        y = sub[outcome].to_numpy(dtype=float)
        colour = policy_colour(p, i)
        ax.scatter(x, y, s=12, alpha=0.5, color=colour, label=p)
        if len(edges) > 2:
            which = np.clip(np.digitize(x, edges[1:-1]), 0, len(edges) - 2)
            centres, means = [], []
            for b in range(len(edges) - 1):
                sel = which == b
                if sel.any():
                    centres.append(x[sel].mean())
                    means.append(np.nanmean(y[sel]))
            ax.plot(centres, means, color=colour, lw=2, marker="o", ms=4)
    ax.set_xlabel(parameter)
    ax.set_ylabel(outcome)
    ax.set_title(f"{outcome} against {parameter} (lines: binned means)", fontsize=10)
    ax.legend(fontsize=7, frameon=False, loc="best")
    ax.grid(alpha=0.25, lw=0.5)
    return fig


def default_pair(policies: list[str]) -> tuple[str, str]:
    """The report's baseline and treatment when the sweep has them (same sign as the report)."""
    from sim.analysis.report import DEFAULTS
    base = DEFAULTS["baseline"] if DEFAULTS["baseline"] in policies else policies[0]
    rest = [p for p in policies if p != base] or [base]
    treat = DEFAULTS["treatment"] if DEFAULTS["treatment"] in rest else rest[0]
    return base, treat


def frontier_figure(df: pd.DataFrame, outcome: str, baseline: str, treatment: str) -> Figure:
    """The lead's mean cost against the outcome, one point per policy (means over the sweep's
    runs), with the frontier: the policies no other beats on both."""
    from sim.analysis.frontier import pareto
    from sim.analysis.policy_plots import policy_label

    fig = Figure(figsize=FIGSIZE, dpi=100, layout="constrained")
    ax = fig.subplots()
    if "mean_lead_cost" not in df.columns:
        ax.text(0.5, 0.5, "this sweep records no lead cost", ha="center", va="center",
                transform=ax.transAxes)
        ax.set_axis_off()
        return fig
    g = df.groupby("policy")[["mean_lead_cost", outcome]].mean()
    sign = OUTCOMES[outcome].sign
    front = pareto(g["mean_lead_cost"].to_numpy(), sign * g[outcome].to_numpy())
    f = g[front].sort_values("mean_lead_cost")
    ax.step(f["mean_lead_cost"] / 1000, f[outcome], where="post", color="0.3", lw=1,
            label="frontier")
    for i, (p, r) in enumerate(g.iterrows()):
        role = " (baseline)" if p == baseline else (" (treatment)" if p == treatment else "")
        ax.scatter([r["mean_lead_cost"] / 1000], [r[outcome]], s=50, color=policy_colour(p, i),
                   edgecolor="black", lw=0.5, zorder=3, label=policy_label(p) + role)
    ax.set_xlabel("lead's mean cost (thousand troop-equivalents per month)")
    ax.set_ylabel(outcome)
    ax.set_title(f"Cost and {_label(outcome)} (means over runs)", fontsize=9)
    ax.legend(fontsize=7, frameon=False, loc="upper left", bbox_to_anchor=(1.01, 1))
    return fig


def decomposition(df: pd.DataFrame, folder, baseline: str, treatment: str, scenario: str,
                  outcome: str, draws: int = DECOMPOSITION_DRAWS):
    """``(figure, message)``: the lever-by-lever walk between the two policies on the sweep's
    first ``draws`` draws (its uncertainty values, seeds and configuration)."""
    from sim.analysis.decompose import decompose
    from sim.analysis.policy_plots import decomposition_figure
    from sim.config import to_config

    from sim.experiments.verify import read_manifest

    try:
        meta = read_manifest(Path(folder))
        cfg = to_config(meta["configs"][scenario])
        params = [p for p in meta.get("parameters", []) if p.split(".")[0] != "policy"]
        sub = df[df["scenario"] == scenario]
        pts = sub.drop_duplicates("point").sort_values("point")[["point", *params]].head(draws)
        sw = meta.get("sweep") or {}
        seed = sw.get("run_seed") if sw.get("run_seed") is not None else sw.get("seed", 1)
        outs = list(dict.fromkeys([outcome, "mean_lead_cost"]))
        dec = decompose(baseline, treatment, pts, replicates=int(sw.get("replicates", 1)),
                        seed=int(seed), cfg=cfg, outcomes=outs)
    except Exception as exc:  # noqa: BLE001 - shown to the user
        return None, f"no decomposition: {type(exc).__name__}: {exc}"
    fig = decomposition_figure(dec, {o: _label(o) for o in outs})
    return fig, f"on the first {len(pts)} draws of the sweep ({len(dec.runs)} runs)"


def _fmt(x) -> str:
    try:
        return f"{float(x):.4g}"
    except (TypeError, ValueError):
        return str(x)


def _pct(level) -> str:
    try:
        return f"{float(level):.0%}"
    except (TypeError, ValueError):
        return "95%"


def _comparison(df, baseline, treatment, outcome, scenario):
    """``(row, diffs, message)`` from sim.analysis (the dashboard computes nothing itself)."""
    import sim.analysis.compare as analysis

    if baseline == treatment:
        return None, None, "choose two different policies to compare them"
    if not hasattr(analysis, "compare"):
        return None, None, "sim.analysis.compare is not available in this version of the package"
    try:
        table = analysis.compare(df, baseline=baseline, treatment=treatment, outcomes=[outcome],
                                 scenario=scenario)
        row = table.iloc[0].to_dict()
    except Exception as exc:  # noqa: BLE001 - shown to the user
        return None, None, f"no paired comparison: {type(exc).__name__}: {exc}"
    diffs = None
    if hasattr(analysis, "paired_differences"):
        try:
            diffs = analysis.paired_differences(df, baseline, treatment, outcome,
                                                scenario=scenario)
        except Exception:  # noqa: BLE001 - the histogram is optional
            diffs = None
    return row, diffs, ""


_STYLE = """
.coalition-fig img { max-width: 100%; height: auto; }
.coalition-comparison table { border-collapse: collapse; font-size: 13px; margin: 4px 0 12px; }
.coalition-comparison td, .coalition-comparison th { padding: 2px 10px;
  border-bottom: 1px solid #ddd; }
"""


@solara.component
def RunOpener(df: pd.DataFrame, folder: str, outcome: str, policies: list[str]):
    """Pick a run of the sweep (by id, or among the extremes of the outcome) and open it."""
    router = solara.use_router()
    first = int(df["run_id"].iloc[0])
    run_id, set_run_id = solara.use_state(first)
    ids = set(int(i) for i in df["run_id"])
    solara.HTML(unsafe_innerHTML=html.text("(its exact configuration, seed and replicate)",
                                           bold="Open one run in the explorer"))
    with solara.Row(style={"align-items": "center"}):
        solara.InputInt("run id", value=run_id, on_value=set_run_id,
                        classes=["coalition-run-id"])
        solara.Button(f"open run {run_id} in the explorer", color="primary",
                      classes=["coalition-open-run"], disabled=run_id not in ids,
                      on_click=lambda: router.push(explorer_url(folder, run_id)))
    if run_id in ids:
        row = df[df["run_id"] == run_id].iloc[0]
        params = (df.attrs.get("sweep") or {}).get("parameters", [])
        solara.Text(f"run {run_id}: scenario {row['scenario']}, policy {row['policy']}, "
                    f"seed {row['seed']}, replicate {row['run']}; "
                    + ", ".join(f"{p}={_fmt(row[p])}" for p in params if p in row)
                    + f"; {outcome} = {_fmt(row[outcome])}", classes=["coalition-run-info"])
    else:
        solara.Warning(f"no run {run_id} in this sweep (ids {min(ids)}..{max(ids)})")
    sub = df[df["policy"].isin(policies)].sort_values(outcome)
    if len(sub):
        pick = pd.concat([sub.head(3), sub.tail(3)]).drop_duplicates("run_id")
        solara.Text(f"lowest and highest {outcome} (click to pick):",
                    style={"font-size": "13px"})
        for _, r in pick.iterrows():
            rid = int(r["run_id"])
            solara.Button(f"run {rid}: {r['policy']}, {_fmt(r[outcome])}", text=True, small=True,
                          classes=["coalition-pick-run"], style={"text-transform": "none"},
                          on_click=lambda rid=rid: set_run_id(rid))


@solara.component
def SweepPage():
    """The sweep dashboard."""
    router = solara.use_router()
    query = parse_qs(router.search or "")
    start = query.get("dir", [os.environ.get(SWEEP_DIR_ENV, "")])[0]
    folder, set_folder = solara.use_state(start)
    df, message = solara.use_memo(lambda: load_sweep(folder), [folder])

    scenario, set_scenario = solara.use_state(None)
    baseline, set_baseline = solara.use_state(None)
    treatment, set_treatment = solara.use_state(None)
    outcome, set_outcome = solara.use_state(None)
    parameter, set_parameter = solara.use_state(None)
    show_dec, set_show_dec = solara.use_state(False)

    solara.Title("Coalition credibility: sweep")
    solara.Style(_STYLE)
    ok = df is not None
    scenarios = sorted(df["scenario"].unique()) if ok else []
    policies = list(dict.fromkeys(df["policy"])) if ok else []
    outcomes = [o for o in OUTCOMES if o in df.columns] if ok else []
    params = ([p for p in (df.attrs.get("sweep") or {}).get("parameters", []) if p in df.columns]
              if ok else [])
    if ok:
        scenario = scenario if scenario in scenarios else scenarios[0]
        default_b, default_t = default_pair(policies)
        baseline = baseline if baseline in policies else default_b
        treatment = treatment if treatment in policies else default_t
        outcome = outcome if outcome in outcomes else next(
            (o for o in HEADLINE if o in outcomes), outcomes[0])
        parameter = parameter if parameter in params else (params[0] if params else None)
    row, diffs, why = solara.use_memo(
        lambda: (_comparison(df, baseline, treatment, outcome, scenario) if ok
                 else (None, None, "")),
        [id(df), baseline, treatment, outcome, scenario])
    dec_fig, dec_note = solara.use_memo(     # computed only on request (the checkbox)
        lambda: (decomposition(df, folder, baseline, treatment, scenario, outcome)
                 if ok and show_dec and baseline != treatment else (None, "")),
        [id(df), baseline, treatment, scenario, outcome, show_dec])
    with solara.Sidebar():
        with solara.Card("Sweep"):
            solara.InputText("sweep folder", value=folder, on_value=set_folder,
                             continuous_update=False, classes=["coalition-sweep-dir"])
            if ok:
                meta = df.attrs.get("sweep") or {}
                solara.Text(f"{meta.get('name', Path(folder).name)}: {len(df)} runs of "
                            f"{meta.get('n_runs', len(df))}")
        if ok:
            with solara.Card("Compare"):
                solara.Select("scenario", values=scenarios, value=scenario, on_value=set_scenario,
                              classes=["coalition-scenario"])
                solara.Select("baseline policy", values=policies, value=baseline,
                              on_value=set_baseline, classes=["coalition-baseline"])
                solara.Select("treatment policy", values=policies, value=treatment,
                              on_value=set_treatment, classes=["coalition-treatment"])
                solara.Select("outcome", values=outcomes, value=outcome, on_value=set_outcome,
                              classes=["coalition-outcome"])
                if params:
                    solara.Select("swept parameter", values=params, value=parameter,
                                  on_value=set_parameter, classes=["coalition-parameter"])

    if not ok:
        solara.Warning(message)
        return
    if message:
        solara.Warning(message)
    sub = df[df["scenario"] == scenario]

    o = OUTCOMES[outcome]
    solara.HTML(tag="h3", unsafe_innerHTML=html.escape(o.label),
                classes=["coalition-outcome-label"])
    solara.Text(f"{outcome}: {o.direction} is better" + (f"; unit: {o.unit}" if o.unit else ""))
    if row is not None:
        solara.HTML(unsafe_innerHTML=html.table(
            ["baseline mean", "treatment mean", "difference (treatment − baseline)",
             f"{_pct(row.get('conf_level', 0.95))} interval", "effect size (d_z)",
             "treatment better in", "pairs"],
            [[_fmt(row["baseline_mean"]), _fmt(row["treatment_mean"]), _fmt(row["difference"]),
              f"[{_fmt(row['ci_low'])}, {_fmt(row['ci_high'])}]", _fmt(row["effect_size"]),
              f"{row['win_share']:.0%} of pairs", int(row["n_pairs"])]],
            numeric=(0, 1, 2, 4, 6)), classes=["coalition-comparison"])
    elif why:
        solara.Info(why)
    with solara.Columns([1, 1]):
        with solara.Column(classes=["coalition-fig", "coalition-sweep-dist"]):
            solara.FigureMatplotlib(distribution_figure(sub, outcome, baseline, treatment),
                                    format="png", bbox_inches="tight", dpi=100)
        with solara.Column(classes=["coalition-fig", "coalition-sweep-diff"]):
            solara.FigureMatplotlib(differences_figure(diffs, row, outcome, baseline, treatment),
                                    format="png", bbox_inches="tight", dpi=100)
    with solara.Columns([1, 1]):
        with solara.Column(classes=["coalition-fig", "coalition-sweep-param"]):
            solara.FigureMatplotlib(parameter_figure(sub, outcome, parameter, baseline,
                                                     treatment), format="png",
                                    bbox_inches="tight", dpi=100)
        with solara.Column(classes=["coalition-fig", "coalition-sweep-frontier"]):
            solara.FigureMatplotlib(frontier_figure(sub, outcome, baseline, treatment),
                                    format="png", bbox_inches="tight", dpi=100)
    with solara.Div(classes=["coalition-decompose"]):
        solara.Checkbox(label=f"decompose the difference lever by lever (runs the walk on the "
                              f"first {DECOMPOSITION_DRAWS} draws)", value=show_dec,
                        on_value=set_show_dec)
    if show_dec:
        solara.Text(dec_note)
        if dec_fig is not None:
            with solara.Column(classes=["coalition-fig", "coalition-sweep-decomposition"]):
                solara.FigureMatplotlib(dec_fig, format="png", bbox_inches="tight", dpi=100)
    RunOpener(sub, folder, outcome, _policies(baseline, treatment))
