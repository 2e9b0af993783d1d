"""The main job writes its report: headline with costs, survival, decomposition, frontier,
robustness, discovery, failure case, figures, PDF; re-runs with another treatment, design or a
user's scenario work from the command line."""

import textwrap

import pandas as pd
import pytest

from sim.config import ConfigError
from sim.analysis.report import FIGURES, make_report

TINY = ["sweep.samples=8", "sweep.replicates=1", "scenario.horizon=24",
        "report.frontier_points=4", "report.failure_runs=5"]
SECTIONS = ("## The levers and the named policies", "## The uncertainties", "## Headline",
            "## Survival (a censored outcome)", "## Which lever does the work (decomposition)",
            "## Cost and the frontier", "## Robustness across the uncertainties",
            "## Where each policy wins", "## What common random numbers bought",
            "## Where the headline fails", "## Limits", "## Figures")


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    folder = tmp_path_factory.mktemp("report") / "r"
    return make_report(TINY + [f"report.dir={folder}"], progress="none")


def test_report_is_written_with_tables_figures_and_pdf(report):
    text = report.read_text()
    for heading in SECTIONS:
        assert heading in text
    assert "Scenario: baseline" in text.splitlines()[0]
    assert "_" not in text.splitlines()[0]                      # no code names in the title
    head = pd.read_csv(report.parent / "headline.csv")
    assert {"mean_ally_burden_share", "mean_lead_cost", "total_lead_cost",
            "effectiveness_per_1000"} <= set(head["outcome"])
    assert "months_to_half_peak" not in set(head["outcome"])    # censored: not given an interval
    assert (head["ci_low"] <= head["difference"] + 1e-12).all()
    assert (head["difference"] <= head["ci_high"] + 1e-12).all()
    assert (head["n_pairs"] == 8).all()
    surv = pd.read_csv(report.parent / "survival.csv")
    assert surv["fell"].between(0, 1).all() and "τ =" in text
    dec = pd.read_csv(report.parent / "decomposition.csv")
    assert {"sequencing", "enabler_cuts", "building"} <= set(dec["lever"])
    assert "largest difference 0)" in text                      # walk endpoints = sweep runs
    front = pd.read_csv(report.parent / "frontier.csv")
    assert front["named"].sum() == 4 and len(front) == 8
    for fig in FIGURES:
        assert (report.parent / "figures" / f"{fig}.png").stat().st_size > 10_000, fig
        assert (report.parent / "figures" / f"{fig}.pdf").exists()
        assert f"`figures/{fig}.png`" in text
    assert (report.parent / "report.pdf").read_bytes()[:4] == b"%PDF"
    assert "sahel" in text and "administration" in text


@pytest.mark.slow   # .ci/run re-runs the main job the same way from the command line
def test_rerun_resumes_and_another_treatment_or_design_just_works(report, tmp_path):
    folder = report.parent
    again = make_report(TINY + [f"report.dir={folder}"], progress="none")
    assert again == report
    steady = make_report(TINY + [f"report.dir={folder}", "report.treatment=steady",
                                 "report.failure_case=none"], progress="none")
    assert "Does steady beat immediate burden sharing?" in steady.read_text()
    other = make_report(TINY[1:] + ["sweep.samples=6", f"report.dir={folder}",
                                    "report.failure_case=none"], progress="none")
    assert pd.read_csv(other.parent / "headline.csv")["n_pairs"].eq(6).all()
    assert len(list((folder / "sweeps").iterdir())) >= 3       # each design its own folder


def test_a_user_scenario_from_a_file(tmp_path):
    scen = tmp_path / "configs" / "scenario"
    scen.mkdir(parents=True)
    (scen / "my_coalition.yaml").write_text(textwrap.dedent("""\
        defaults: [syria, _self_]
        name: my_coalition
        description: the Syria scenario under another name (a user's file)
        """))
    path = make_report(TINY + [f"hydra.searchpath=[file://{tmp_path / 'configs'}]",
                               "scenario=my_coalition", f"report.dir={tmp_path}/r",
                               "report.failure_case=none"], progress="none")
    text = path.read_text()
    assert "Scenario: my_coalition" in text
    assert "apply, with the same ranges" in text                # its own missions are varied


@pytest.mark.parametrize("args,fragment", [
    (["report.treatment=isolationist"], "report policy 'isolationist'"),
    (["report.colour=blue"], "unknown option report.colour"),
    (["report.frontier_points=many"], "report.frontier_points='many'"),
    (["report.failure_case=atlantis"], "report.failure_case='atlantis'"),
])
def test_report_options_are_checked(tmp_path, args, fragment):
    with pytest.raises(ConfigError, match=fragment):
        make_report(TINY + args + [f"report.dir={tmp_path}/r"], progress="none")


def test_the_limits_say_which_verdicts_the_failure_case_changes():
    """The report's limits follow the measured verdicts: a verdict the failure case reverses or
    blurs is named; where none changes, the report says the directions hold (it said "can
    overturn it" whatever the numbers)."""
    from sim.analysis.report import _limits_line
    head = pd.DataFrame({"outcome": ["mean_ally_burden_share", "mean_lead_cost"],
                         "label": ["burden", "cost"], "ci_low": [0.2, 6000.0],
                         "ci_high": [0.3, 6500.0]})

    def failure(burden, cost):
        rows = [("as written", "mean_ally_burden_share", *burden),
                ("as written", "mean_lead_cost", *cost),
                ("without administration changes", "mean_ally_burden_share", -1.0, -0.5)]
        return {"scenario": "sahel", "table": pd.DataFrame(
            rows, columns=["variant", "outcome", "ci_low", "ci_high"])}

    same = _limits_line(head, failure((0.05, 0.09), (1600.0, 1700.0)), "baseline")
    assert "keeps its direction" in same and "changes" not in same
    flipped = _limits_line(head, failure((-0.1, -0.02), (1600.0, 1700.0)), "baseline")
    assert "changes on burden (better here, worse there)" in flipped and "cost" not in flipped
    blurred = _limits_line(head, failure((-0.01, 0.05), (-10.0, 20.0)), "baseline")
    assert "burden (better here, unclear there)" in blurred
    assert "cost (worse here, unclear there)" in blurred
    assert _limits_line(head, None, "baseline").endswith("the ranges above.")
