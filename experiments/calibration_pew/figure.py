"""The `durability_pew` scenario against Pew's series: median and 5-95% band over runs of the allies'
mean leader and country trust, with the survey points; and the spread of trust across allies.

    .venv/bin/python experiments/calibration_pew/figure.py [--runs 100]

Writes `durability_pew.png` and `.pdf` beside this file and prints the table of model and survey
values and the spread of combined trust across allies (10th to 90th percentile ally).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from sim.config import compose  # noqa: E402
from sim.drivers.ensemble import Ensemble  # noqa: E402

HERE = Path(__file__).resolve().parent
SURVEYS = {"2016-04": 88, "2017-04": 100, "2018-04": 112, "2020-07": 139, "2021-04": 148}
CONFIDENCE = [0.64, 0.22, 0.27, 0.17, 0.75]
FAVOURABLE = [0.64, 0.49, 0.50, 0.34, 0.62]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=100)
    args = ap.parse_args()
    cfg = compose(["scenario=durability_pew", "policy=steady"])
    res = Ensemble(cfg, seeds=21, runs=range(args.runs), record_allies=True).run()
    months = np.arange(cfg.scenario.horizon + 1)
    years = 2009 + (months - 1) / 12.0
    fig, ax = plt.subplots(figsize=(7.5, 4.2), layout="constrained")
    for key, colour, label, pew, marker in (
            ("trust_leader", "#2166ac", "leader trust (model)", CONFIDENCE, "o"),
            ("trust_country", "#e08214", "country trust (model)", FAVOURABLE, "s")):
        v = res.steps[key]
        lo, med, hi = np.quantile(v, [0.05, 0.5, 0.95], axis=1)
        ax.fill_between(years[1:], lo[1:], hi[1:], color=colour, alpha=0.2, lw=0)
        ax.plot(years[1:], med[1:], color=colour, lw=1.8, label=label + ", median and 5-95%")
        steps = list(SURVEYS.values())
        ax.plot(years[steps], pew, ls="", marker=marker, color=colour, mec="black",
                ms=6 if marker == "o" else 9, zorder=4 if marker == "o" else 3,
                label=("Pew: confidence in the US president" if key == "trust_leader"
                       else "Pew: favourable view of the US"))
    for x, text in ((2017.0, "impulsive\nadministration"), (2021.0, "steady again")):
        ax.axvline(x, color="#777", lw=0.8, ls=":")
        ax.text(x + 0.08, 0.04, text, fontsize=8, color="#444")
    ax.set_xlim(2009, 2023)
    ax.set_ylim(0, 1)
    ax.set_xlabel("year")
    ax.set_ylabel("trust in the lead (0-1) / survey share")
    ax.set_title("Allies' trust in the lead, durability_pew scenario, against Pew Global Attitudes")
    ax.legend(loc="lower left", bbox_to_anchor=(0.0, 1.1), ncol=2, fontsize=8, frameon=False)
    ax.grid(alpha=0.25, lw=0.5)
    for ext in ("png", "pdf"):
        fig.savefig(HERE / f"durability_pew.{ext}", dpi=150)
    print(f"{'survey':8s} {'leader':>7s} {'Pew':>5s} {'country':>8s} {'Pew':>5s} "
          f"{'trust p10-p90 across allies':>28s}")
    a = res.allies["trust"]                                  # (T+1, R, N)
    for (date, t), c, f in zip(SURVEYS.items(), CONFIDENCE, FAVOURABLE):
        p10, p90 = np.quantile(a[t], [0.1, 0.9], axis=-1)
        print(f"{date:8s} {np.median(res.steps['trust_leader'][t]):7.3f} {c:5.2f} "
              f"{np.median(res.steps['trust_country'][t]):8.3f} {f:5.2f} "
              f"{np.median(p90 - p10):28.4f}")
    print(f"figure: {HERE / 'durability_pew.png'}")


if __name__ == "__main__":
    main()
