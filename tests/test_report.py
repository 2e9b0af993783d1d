"""The main job writes its report: headline table, measured CRN effect, discovery, figures."""

import pandas as pd
import pytest

from sim.config import ConfigError
from sim.analysis.report import make_report

TINY = ["sweep.samples=8", "sweep.replicates=1", "scenario.horizon=24"]


def test_report_is_written_with_table_and_figures(tmp_path):
    path = make_report(TINY + [f"report.dir={tmp_path}/r"], progress="none")
    text = path.read_text()
    for heading in ("## Headline", "## What common random numbers bought",
                    "## Against the other policies", "## Where each policy wins"):
        assert heading in text
    head = pd.read_csv(path.parent / "headline.csv")
    assert set(head["outcome"]) >= {"mean_ally_burden_share", "months_to_half_peak"}
    assert (head["ci_low"] <= head["difference"]).all() and (head["difference"] <= head["ci_high"]).all()
    assert (head["n_pairs"] == 8).all()
    for fig in ("trust", "membership", "burden_share", "paired_differences", "where_policies_win"):
        assert (path.parent / "figures" / f"{fig}.png").stat().st_size > 10_000
        assert (path.parent / "figures" / f"{fig}.pdf").exists()
    # a second call resumes the finished sweep instead of recomputing it
    again = make_report(TINY + [f"report.dir={tmp_path}/r"], progress="none")
    assert again == path


@pytest.mark.parametrize("args,fragment", [
    (["report.treatment=isolationist"], "report policy 'isolationist'"),
    (["report.colour=blue"], "unknown option report.colour"),
])
def test_report_options_are_checked(tmp_path, args, fragment):
    with pytest.raises(ConfigError, match=fragment):
        make_report(TINY + args + [f"report.dir={tmp_path}/r"], progress="none")
