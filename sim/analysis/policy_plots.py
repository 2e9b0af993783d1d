"""Figures of the policy experiment: decomposition, cost frontier, survival, robustness.

Each function returns the matplotlib ``Figure`` and, given ``path``, saves PNG and PDF
(:func:`sim.analysis.plots.save`). Labels are plain words with units; legends sit outside the data.
"""

from __future__ import annotations

import textwrap

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from sim.analysis.plots import policy_colour, save

__all__ = ["POLICY_LABELS", "policy_label", "decomposition_figure", "frontier_figure",
           "survival_figure", "robustness_figure"]

POLICY_LABELS = {
    "load_shifting_first": "load shifting first",
    "immediate_burden_sharing": "immediate burden sharing",
    "steady": "steady",
    "impulsive": "impulsive",
}
MARKERS = {"load_shifting_first": "o", "immediate_burden_sharing": "s", "steady": "D",
           "impulsive": "^"}


def _n(x) -> str:
    return f"{x:+,.0f}" if abs(x) >= 100 else f"{x:+.3g}"


def policy_label(name: str) -> str:
    return POLICY_LABELS.get(name, name.replace("_", " "))


def decomposition_figure(dec, outcomes: dict, path=None):
    """One panel per outcome: each lever's effect alone, its contribution in the forward and the
    reverse walk, and the effect of removing it from the treatment, with 95% BCa intervals."""
    kinds = [("alone", "alone (from baseline)", "#4393c3"),
             ("forward", "forward walk", "#1b7837"),
             ("reverse", "reverse walk", "#e08214"),
             ("removed", "removed (from treatment)", "#b2182b")]
    names = list(outcomes)
    fig, axes = plt.subplots(1, len(names), figsize=(3.6 * len(names) + 1.6, 0.42 * len(dec.levers)
                                                        + 1.8), sharey=True, squeeze=False)
    levers = dec.levers
    y = np.arange(len(levers))
    h = 0.2
    from sim.analysis.levers import lever
    for ax, o in zip(axes[0], names):
        t = dec.table[dec.table["outcome"] == o].set_index("lever").loc[levers]
        for k, (kind, label, colour) in enumerate(kinds):
            m = t[kind].to_numpy()
            err = np.vstack([m - t[f"{kind}_low"].to_numpy(), t[f"{kind}_high"].to_numpy() - m])
            ax.barh(y + (k - 1.5) * h, m, h, xerr=err, color=colour, label=label,
                    error_kw={"lw": 0.8, "capsize": 1.5})
        ax.axvline(0, color="0.3", lw=0.8)
        tot = dec.totals.set_index("outcome").loc[o]
        ax.set_title("\n".join(textwrap.wrap(outcomes[o], 40)) + f"\ntotal {_n(tot['total'])} "
                     f"[{_n(tot['total_low'])}, {_n(tot['total_high'])}]", fontsize=9)
        ax.set_xlabel("change (treatment − baseline units)", fontsize=8)
    axes[0, 0].set_yticks(y, ["\n".join(textwrap.wrap(lever(n).label, 34)) for n in levers],
                          fontsize=8)
    axes[0, 0].invert_yaxis()
    handles, labels = axes[0, 0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=4, bbox_to_anchor=(0.5, -0.02),
               fontsize=8)
    fig.suptitle(f"Which lever carries the difference: {policy_label(dec.treatment)} − "
                 f"{policy_label(dec.baseline)} ({dec.scenario}, "
                 f"{int(dec.totals['n_pairs'].iloc[0])} paired runs; bars: 95% BCa CI)",
                 fontsize=10)
    fig.tight_layout(rect=(0, 0.06, 1, 1))
    save(fig, path)
    return fig


def frontier_figure(table: pd.DataFrame, outcomes: dict, path=None, scenario: str = ""):
    """Lead cost against each outcome: sampled lever points (grey), the frontier (line) and the
    named policies (coloured markers)."""
    names = list(outcomes)
    fig, axes = plt.subplots(1, len(names), figsize=(4.3 * len(names), 3.9), squeeze=False)
    pts = table[~table["named"]]
    named = table[table["named"]]
    for ax, o in zip(axes[0], names):
        ax.scatter(pts["mean_lead_cost"] / 1000, pts[o], s=12, color="0.65",
                   label="sampled lever points", zorder=2)
        f = table[table[f"on_frontier_{o}"]].sort_values("mean_lead_cost")
        ax.step(f["mean_lead_cost"] / 1000, f[o], where="post", color="0.2", lw=1.2,
                label="frontier (no point does better for less)", zorder=3)
        for i, r in enumerate(named.itertuples()):
            ax.scatter([r.mean_lead_cost / 1000], [getattr(r, o)], s=60,
                       marker=MARKERS.get(r.label, "o"), color=policy_colour(r.label, i),
                       edgecolor="black", lw=0.6, label=policy_label(r.label), zorder=4)
        ax.set_xlabel("lead's mean cost (thousand troop-equivalents per month)")
        ax.set_title(outcomes[o], fontsize=9)
        ax.set_ylim(-0.02, 1.02)
    axes[0, 0].set_ylabel("outcome (0–1)")
    handles, labels = axes[0, 0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=3, bbox_to_anchor=(0.5, -0.03),
               fontsize=8)
    n_runs = int(table["runs"].iloc[0])
    fig.suptitle(f"What the lead pays and what it buys ({scenario}; {len(pts)} sampled policies "
                 f"and the named ones, {n_runs} runs each on the same draws)", fontsize=10)
    fig.tight_layout(rect=(0, 0.1, 1, 1))
    save(fig, path)
    return fig


def survival_figure(curves: dict, tau: float, path=None, scenario: str = ""):
    """Kaplan-Meier curves of months from the membership peak until the coalition first falls
    below half that peak (censored at the horizon)."""
    fig, ax = plt.subplots(figsize=(6.8, 3.9))
    for i, (name, (t, s, n, events)) in enumerate(curves.items()):
        ax.step(t, s, where="post", color=policy_colour(name, i), lw=1.8,
                ls=["-", "--", "-.", ":"][i % 4],
                label=f"{policy_label(name)} ({events} of {n} runs fell)")
    ax.axvline(tau, color="0.5", lw=0.8, ls=":")
    ax.text(tau, 0.03, f" τ = {tau:.0f} months\n (restricted-mean horizon)", fontsize=7,
            color="0.3", va="bottom")
    ax.set_xlabel("months since the coalition's membership peak")
    ax.set_ylabel("share of runs still above half the peak")
    ax.set_ylim(-0.02, 1.05)
    ax.set_xlim(left=0)
    ax.set_title(f"Coalition survival ({scenario}; Kaplan–Meier, censored at the horizon)",
                 fontsize=10)
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8)
    fig.tight_layout()
    save(fig, path)
    return fig


def robustness_figure(points: pd.DataFrame, outcomes: dict, thresholds: dict, path=None,
                      scenario: str = ""):
    """Distribution of each outcome over the uncertainty draws, per policy (box plots), with the
    satisficing threshold."""
    names = list(outcomes)
    pols = list(dict.fromkeys(points["policy"]))
    fig, axes = plt.subplots(1, len(names), figsize=(4.0 * len(names), 3.8), squeeze=False)
    for ax, o in zip(axes[0], names):
        data = [points[points["policy"] == p][o].to_numpy() for p in pols]
        bp = ax.boxplot(data, orientation="horizontal", patch_artist=True, widths=0.6,
                        flierprops={"markersize": 2})
        for i, (patch, p) in enumerate(zip(bp["boxes"], pols)):
            patch.set_facecolor(policy_colour(p, i))
            patch.set_alpha(0.6)
        ax.axvline(thresholds[o], color="0.2", ls="--", lw=1)
        ax.set_title(f"{outcomes[o]}\n(dashed: satisficing threshold {thresholds[o]:g})",
                     fontsize=9)
        ax.set_yticks(range(1, len(pols) + 1), [policy_label(p) for p in pols], fontsize=8)
    for ax in axes[0, 1:]:
        ax.set_yticklabels([])
    fig.suptitle(f"Across the uncertainties ({scenario}; one value per draw, replicates averaged)",
                 fontsize=10)
    fig.tight_layout()
    save(fig, path)
    return fig
