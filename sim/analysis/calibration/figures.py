"""Figures of a calibration: the fit (observed vs posterior-predictive bands) and the posterior."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter  # noqa: E402

from sim.analysis.calibration.targets import SERIES, step_date  # noqa: E402
from sim.analysis.plots import save  # noqa: E402

UNITS = {"count": "countries", "level": "troops (personnel)", "share": "share (0-1)",
         "month": "month of exit"}


def fit_figure(result, path=None):
    """One panel per series target (x: date) and one for the dated events; points: observed;
    band: the posterior-predictive central band; with a holdout, the out-of-sample band too."""
    spec = result.spec
    table = result.predictive
    hold = result.holdout["table"] if result.holdout else None
    series_targets = [n for n, t in spec.targets.items() if t.kind != "month"]
    events = [n for n, t in spec.targets.items() if t.kind == "month"]
    n = len(series_targets) + (1 if events else 0)
    cols = min(3, n)
    rows = -(-n // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(4.6 * cols, 3.6 * rows), squeeze=False)
    pct = f"{spec.band:.0%}"
    from sim.config import compose
    horizon = compose(spec.overrides).scenario.horizon
    for ax, name in zip(axes.flat, series_targets):
        d = table[table["target"] == name].sort_values("step")
        x = d["step"].to_numpy()
        if len(d) > 1:
            ax.fill_between(x, d["low"], d["high"], color="#4393c3", alpha=0.3, lw=0,
                            label=f"posterior predictive {pct}")
        ax.errorbar(x, d["median"], yerr=[d["median"] - d["low"], d["high"] - d["median"]],
                    fmt="s", color="#2166ac", ms=4, capsize=3, label="predictive median and band")
        if hold is not None:
            h = hold[(hold["target"] == name) & (hold["part"] == "held out")]
            if len(h):
                ax.errorbar(h["step"] + 1.5, h["median"], yerr=[h["median"] - h["low"],
                                                                h["high"] - h["median"]],
                            fmt="D", color="#e08214", ms=4, capsize=3,
                            label=f"out of sample (fit before {spec.holdout})")
        ax.plot(x, d["observed"], "o", color="#b2182b", ms=6, label="observed", zorder=5)
        t = spec.targets[name]
        ax.set_title(f"{name}: {t.describe()}", fontsize=9)
        ax.set_ylabel(UNITS[SERIES[t.series].kind])
        ax.set_xticks(x, [step_date(_start(result), s) for s in x], rotation=60, fontsize=7)
        ax.set_ylim(bottom=0)
        ax.set_xlim(0, horizon + 3)
    if events:
        ax = axes.flat[len(series_targets)]
        d = table.set_index("target").loc[events]
        y = np.arange(len(events))
        ax.errorbar(d["median"], y, xerr=[d["median"] - d["low"], d["high"] - d["median"]],
                    fmt="s", color="#2166ac", ms=4, capsize=3, label="predictive median and band")
        if hold is not None:
            h = hold.set_index("target").loc[events]
            ho = h["part"] == "held out"
            ax.errorbar(h["median"][ho], y[ho.to_numpy()] + 0.2,
                        xerr=[(h["median"] - h["low"])[ho], (h["high"] - h["median"])[ho]],
                        fmt="D", color="#e08214", ms=4, capsize=3, label="out of sample")
        ax.plot(d["observed"], y, "o", color="#b2182b", ms=6, label="observed", zorder=5)
        ax.set_yticks(y, events, fontsize=8)
        from sim.config import compose
        ticks = np.linspace(1, compose(spec.overrides).scenario.horizon + 1, 6).round()
        ax.set_xticks(ticks, [step_date(_start(result), int(s)) for s in ticks], rotation=60,
                      fontsize=7)
        ax.set_title("dated events: month of the first exit (never: after the horizon)",
                     fontsize=9)
    for ax in list(axes.flat)[n:]:
        ax.axis("off")
    handles, labels = axes.flat[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=4, fontsize=8,
               bbox_to_anchor=(0.5, -0.02))
    c = result.checks
    fig.suptitle(f"{spec.name}: ABC-SMC fit ({len(result.fit.generations)} generations); "
                 f"coverage {c['coverage']:.0%}, sharpness {c['sharpness']:.2f}", y=1.0)
    fig.tight_layout(rect=(0, 0.05, 1, 0.98))
    save(fig, path)
    plt.close(fig)
    return fig


def _start(result):
    from sim.config import compose
    return compose(result.spec.overrides).scenario.start


def posterior_figure(result, path=None):
    """Weighted posterior histogram per parameter against the prior density."""
    spec, fit = result.spec, result.fit
    names = list(spec.priors)
    cols = min(4, len(names))
    rows = -(-len(names) // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(3.6 * cols, 2.9 * rows), squeeze=False)
    summary = fit.summary.set_index("parameter")
    for ax, name in zip(axes.flat, names):
        prior = spec.priors[name]
        x = fit.posterior[name].to_numpy()
        lo, hi = prior.low, prior.high
        bins = (np.geomspace(lo, hi, 25) if prior.dist == "log_uniform"
                else np.linspace(lo, hi, 25))
        ax.hist(x, bins=bins, weights=fit.weights, density=True, color="#4393c3", alpha=0.7,
                label="posterior")
        grid = (np.geomspace(lo, hi, 200) if prior.dist == "log_uniform"
                else np.linspace(lo, hi, 200))
        ax.plot(grid, prior.natural().pdf(grid), color="#333333", lw=1.2, label="prior")
        r = summary.loc[name]
        ax.axvspan(r["low"], r["high"], color="#fdb863", alpha=0.25, lw=0,
                   label="90% credible interval")
        if result.recovery is not None:
            truth = result.recovery.set_index("parameter").loc[name, "truth"]
            ax.axvline(truth, color="#b2182b", lw=1.5, label="truth")
        if prior.dist == "log_uniform":
            # plain numbers at 1, 2 and 5 of each decade; no labels on the minor ticks, which
            # matplotlib writes as overlapping powers of ten on ranges of about a decade
            ax.set_xscale("log")
            ax.xaxis.set_major_locator(LogLocator(base=10, subs=(1.0, 2.0, 5.0)))
            ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
            ax.xaxis.set_minor_formatter(NullFormatter())
            ax.set_xlim(lo, hi)
        ax.set_title(f"{name}\ncontraction {r['contraction']:.2f}", fontsize=8)
        ax.set_xlabel("value")
        ax.tick_params(which="both", labelsize=7)
    for ax in list(axes.flat)[len(names):]:
        ax.axis("off")
    handles, labels = axes.flat[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=4, fontsize=8,
               bbox_to_anchor=(0.5, -0.02))
    fig.suptitle(f"{spec.name}: posterior (weighted last population) against the prior", y=1.0)
    fig.tight_layout(rect=(0, 0.06, 1, 0.97))
    save(fig, path)
    plt.close(fig)
    return fig
