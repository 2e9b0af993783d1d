"""Figures, readable in print: labelled axes with units, legends, saved as PNG and PDF.

Every function returns the matplotlib ``Figure`` and, given ``path`` (without or with a suffix),
saves ``<path>.png`` and ``<path>.pdf``.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

__all__ = ["save", "sensitivity_figure", "POLICY_COLOURS", "policy_colour"]

POLICY_COLOURS = {
    "load_shifting_first": "#1b7837",
    "immediate_burden_sharing": "#b2182b",
    "steady": "#2166ac",
    "impulsive": "#e08214",
}
plt.rcParams.update({"figure.dpi": 110, "savefig.dpi": 200, "axes.spines.top": False,
                     "axes.spines.right": False, "font.size": 10, "axes.titlesize": 11,
                     "legend.frameon": False})


def policy_colour(name: str, i: int = 0) -> str:
    return POLICY_COLOURS.get(name, f"C{i}")


def save(fig, path) -> list[Path]:
    """Save ``fig`` as PNG and PDF next to ``path`` (atomically); returns the two paths."""
    from sim.experiments.io import write_figure

    if path is None:
        return []
    base = Path(path)
    if base.suffix.lower() in (".png", ".pdf"):
        base = base.with_suffix("")
    base.parent.mkdir(parents=True, exist_ok=True)
    out = []
    for ext in (".png", ".pdf"):
        p = base.with_suffix(ext)
        write_figure(fig, p, bbox_inches="tight")
        out.append(p)
    return out


def sensitivity_figure(result, path=None):
    """Bars of first- and total-order Sobol indices (or Morris mu* and sigma) with intervals."""
    t = result.table
    order = np.argsort(-(t["ST"] if result.method == "sobol" else t["mu_star"]).to_numpy())
    t = t.iloc[order]
    y = np.arange(len(t))
    fig, ax = plt.subplots(figsize=(6.4, 0.45 * len(t) + 1.6))
    h = 0.38
    if result.method == "sobol":
        ax.barh(y - h / 2, t["S1"], h, xerr=t["S1_conf"], label="first order $S_1$",
                color="#4393c3", capsize=2)
        ax.barh(y + h / 2, t["ST"], h, xerr=t["ST_conf"], label="total order $S_T$",
                color="#d6604d", capsize=2)
        ci = 100 * result.info.get("conf_level", 0.95)
        ax.set_xlabel(f"Sobol index (share of output variance; bars: {ci:.0f}% CI)")
        ax.axvline(0, color="0.3", lw=0.8)
    else:
        ax.barh(y - h / 2, t["mu_star"], h, xerr=t["mu_star_conf"], label=r"$\mu^*$ (mean |effect|)",
                color="#4393c3", capsize=2)
        ax.barh(y + h / 2, t["sigma"], h, label=r"$\sigma$ (interactions, non-linearity)",
                color="#d6604d")
        ax.set_xlabel("elementary effect (outcome units per parameter range)")
    ax.set_yticks(y, t["parameter"])
    ax.invert_yaxis()
    ax.set_title(f"Sensitivity of {result.outcome}\n({result.method}, "
                 f"{result.info.get('points')} design points, replicates averaged)")
    ax.legend(loc="lower right")
    fig.tight_layout()
    save(fig, path)
    return fig


def _band(ax, grouped, colour, label, q=(0.1, 0.9), ls="-"):
    """Median line and quantile band of a per-step grouped series (distinct line styles keep
    overlapping policies visible)."""
    med, lo, hi = grouped.median(), grouped.quantile(q[0]), grouped.quantile(q[1])
    ax.plot(med.index, med.to_numpy(), color=colour, lw=1.8, label=label, ls=ls)
    ax.fill_between(med.index, lo.to_numpy(), hi.to_numpy(), color=colour, alpha=0.18, lw=0)


LINESTYLES = ("-", "--", "-.", ":")


def _bands(ax, df, column, by, order=None):
    for i, g in enumerate(order or sorted(df[by].unique())):
        _band(ax, df[df[by] == g].groupby("step")[column], policy_colour(g, i),
              g.replace("_", " "), ls=LINESTYLES[i % 4])


def trust_trajectories(steps, path=None, by="policy"):
    """Trust in the leader and in the lead country over time: median and 10–90% band per policy."""
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.8), sharey=True)
    for ax, col, title in zip(axes, ("trust_leader", "trust_country"),
                              ("trust in the leader", "trust in the lead country")):
        _bands(ax, steps, col, by)
        ax.set_title(title)
        ax.set_xlabel("month")
        ax.set_ylim(0, 1)
    axes[0].set_ylabel("mean trust over allies (0–1)")
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=len(labels), bbox_to_anchor=(0.5, -0.06))
    fig.suptitle("Allies' trust, median and 10–90% band over runs", y=1.02)
    fig.tight_layout()
    save(fig, path)
    return fig


def membership_over_time(missions, path=None, by="policy"):
    """Members and contributors of each mission over time, median and band per policy (a panel
    whose series stay at zero for every policy is left out)."""
    names = list(dict.fromkeys(missions["mission"]))
    panels = [(name, col, label) for name in names
              for col, label in (("members", "members"), ("contributors",
                                                          "contributors (troops > 0)"))
              if missions.loc[missions["mission"] == name, col].max() > 0]
    cols = min(2, max(1, len(panels)))
    rows = int(np.ceil(len(panels) / cols)) or 1
    fig, axes = plt.subplots(rows, cols, figsize=(4.8 * cols, 3.2 * rows + 0.6), squeeze=False,
                             sharex=True)
    for ax, (name, col, label) in zip(axes.ravel(), panels):
        _bands(ax, missions[missions["mission"] == name], col, by)
        ax.set_title(f"mission {name}: {label}", fontsize=9)
        ax.set_ylabel("allies")
        ax.set_ylim(bottom=0)
        ax.set_xlabel("month")
    for ax in axes.ravel()[len(panels):]:
        ax.axis("off")
    handles, labels = axes[0, 0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=max(1, len(labels)),
               bbox_to_anchor=(0.5, -0.04))
    fig.suptitle("Coalition membership (median and 10–90% band over runs)", fontsize=10)
    fig.tight_layout()
    save(fig, path)
    return fig


def burden_share_over_time(steps, path=None, by="policy"):
    """Allies' share of the burden (troop-equivalents) in stabilisation missions over time."""
    fig, ax = plt.subplots(figsize=(6.4, 3.8))
    _bands(ax, steps, "ally_burden_share", by)
    ax.set_xlabel("month")
    ax.set_ylabel("allies' share of the burden (0–1)")
    ax.set_ylim(0, 1)
    ax.set_title("Burden sharing over time (median, 10–90% band)")
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0))
    fig.tight_layout()
    save(fig, path)
    return fig


def paired_differences_figure(diffs: dict, comparison, path=None, labels=None, scenario=""):
    """Distributions of the paired differences (treatment − baseline), one panel per outcome,
    with the mean and its confidence interval."""
    names = list(diffs)
    labels = labels or {}
    cols = min(3, len(names))
    rows = int(np.ceil(len(names) / cols))
    fig, axes = plt.subplots(rows, cols, figsize=(4.2 * cols, 2.9 * rows), squeeze=False)
    table = comparison.set_index("outcome")
    for ax, name in zip(axes.ravel(), names):
        d = np.asarray(diffs[name])
        ax.hist(d, bins=30, color="0.6")
        r = table.loc[name]
        ax.axvline(0, color="0.2", lw=0.8)
        ax.axvspan(r["ci_low"], r["ci_high"], color="#b2182b", alpha=0.3)
        ax.axvline(r["difference"], color="#b2182b", lw=1.6)
        better = "higher" if r["direction"] == "higher" else "lower"
        ax.set_title(f"{labels.get(name, r['label'])}\n({better} is better; treatment better in "
                     f"{r['win_share']:.0%})", fontsize=9)
        ax.set_xlabel("treatment − baseline", fontsize=8)
        ax.set_ylabel("pairs", fontsize=8)
    for ax in axes.ravel()[len(names):]:
        ax.axis("off")
    t = comparison.iloc[0]
    tl, bl = (str(t["treatment"]).replace("_", " "), str(t["baseline"]).replace("_", " "))
    fig.suptitle(f"Paired differences: {tl} − {bl}" + (f" ({scenario}" if scenario else " (")
                 + f"{', ' if scenario else ''}{int(t['n_pairs'])} pairs on common random numbers; "
                 "red line and band: mean and 95% BCa CI)", y=1.0, fontsize=10)
    fig.tight_layout()
    save(fig, path)
    return fig


def discovery_figure(per_point, boxes, parameters, path=None, outcome=""):
    """Where each policy wins: the design points coloured by winner on the two parameters the
    PRIM boxes restrict most, the boxes drawn, and the peeling trajectories."""
    restricted = {}
    for b in boxes:
        for r in b.limits.itertuples():
            span = per_point[r.parameter].max() - per_point[r.parameter].min()
            cut = 1.0 - (r.high - r.low) / span if span > 0 else 0.0
            restricted[r.parameter] = max(restricted.get(r.parameter, 0.0), cut)
    top = sorted(parameters, key=lambda p: -restricted.get(p, 0.0))[:2]
    if len(top) == 1:
        top = top * 2
    fig, (ax, ax2) = plt.subplots(1, 2, figsize=(11, 4.4))
    winners = list(dict.fromkeys(per_point["winner"]))
    for i, w in enumerate(winners):
        sub = per_point[per_point["winner"] == w]
        ax.scatter(sub[top[0]], sub[top[1]], s=12, color=policy_colour(w, i + 2),
                   label=f"{w.replace('_', ' ')} better", alpha=0.8)
    for i, b in enumerate(boxes):
        lim = b.limits.set_index("parameter")
        name = b.label.replace(" wins", "")
        ax2.plot(b.trajectory["coverage"], b.trajectory["density"], marker=".",
                 color=policy_colour(name, i), label=b.label.replace("_", " "))
        ax2.scatter([b.coverage], [b.density], s=80, facecolors="none",
                    edgecolors=policy_colour(name, i))
        if not b.limits["restricted"].any():
            continue
        x0, x1 = lim.loc[top[0], "low"], lim.loc[top[0], "high"]
        y0, y1 = lim.loc[top[1], "low"], lim.loc[top[1], "high"]
        ax.add_patch(plt.Rectangle((x0, y0), x1 - x0, y1 - y0, fill=False, lw=2,
                                   ls="-" if i == 0 else "--", color=policy_colour(name, i),
                                   label=f"PRIM box: {b.label.replace('_', ' ')}"))
    from sim.analysis.names import plain

    def axis_label(p):
        lab, unit = plain(p)
        return "\n".join(textwrap.wrap(lab + (f" ({unit})" if unit else ""), 48))
    ax.set_xlabel(axis_label(top[0]), fontsize=8)
    ax.set_ylabel(axis_label(top[1]), fontsize=8)
    ax.set_title(f"Better policy per draw ({outcome})", fontsize=9)
    ax.legend(loc="lower center", bbox_to_anchor=(0.5, 1.08), ncol=3, fontsize=8)
    ax2.set_xlabel("coverage (share of the winner's points inside the box)")
    ax2.set_ylabel("density (share of the box's points it wins)")
    ax2.set_title("PRIM peeling and pasting trajectories (circle: chosen box)", fontsize=9)
    ax2.set_xlim(0, 1.02)
    ax2.set_ylim(0, 1.02)
    ax2.legend(loc="lower left", fontsize=8)
    fig.tight_layout()
    save(fig, path)
    return fig


def administrations_figure(steps, changes=(), path=None, by="policy"):
    """Trust in the leader and in the lead country across administrations (median and band), with
    the changes of administration marked: the leader layer steps, the country layer ratchets."""
    fig, ax = plt.subplots(figsize=(7.5, 4))
    for col, colour, label in (("trust_leader", "#2166ac", "trust in the leader"),
                               ("trust_country", "#b2182b", "trust in the lead country")):
        _band(ax, steps.groupby("step")[col], colour, label)
    for step, name in changes:
        ax.axvline(step, color="0.4", ls="--", lw=0.8)
        ax.text(step + 1, 0.03, name.replace("_", " "), rotation=90, va="bottom", fontsize=8,
                color="0.3")
    ax.set_xlabel("month")
    ax.set_ylabel("mean trust over allies (0–1)")
    ax.set_ylim(0, 1)
    ax.set_title("Durability across administrations (median, 10–90% band over runs)")
    ax.legend(loc="lower right")
    fig.tight_layout()
    save(fig, path)
    return fig


