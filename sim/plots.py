"""Figures, readable in print: labelled axes with units, legends, saved as PNG and PDF.

Every function returns the matplotlib ``Figure`` and, given ``path`` (without or with a suffix),
saves ``<path>.png`` and ``<path>.pdf``.
"""

from __future__ import annotations

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
    """Save ``fig`` as PNG and PDF next to ``path``; returns the two paths."""
    if path is None:
        return []
    base = Path(path)
    if base.suffix.lower() in (".png", ".pdf"):
        base = base.with_suffix("")
    base.parent.mkdir(parents=True, exist_ok=True)
    out = []
    for ext in (".png", ".pdf"):
        p = base.with_suffix(ext)
        fig.savefig(p, bbox_inches="tight")
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
