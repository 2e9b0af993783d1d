"""Scenario files from any path: ``scenario=path/to/file.yaml`` (absolute, or relative to the
working folder), outside the project too, checked like the shipped scenarios."""

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from sim.config import ConfigError, compose, scenario_names
from sim.config.compose import compose_raw
from sim.config.files import stage_files, with_searchpath

ROOT = Path(__file__).resolve().parent.parent

SMALL = """\
name: {name}
description: a small history written outside the project
horizon: 12
allies:
  n: 4
missions:
  coast:
    kind: stabilisation
    required_force: 2000
    lead_troops: 400
    lead_enablers: 1.0
    risk: 0.02
    threat: 0.6
    partner_force: 1500
    partner_capacity: 0.3
    partner_dependence: 0.6
"""


@pytest.fixture
def folder(tmp_path):
    """A folder outside the project (pytest's tmp_path is not under the repository)."""
    assert ROOT not in tmp_path.resolve().parents
    return tmp_path


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_an_absolute_path_outside_the_project_selects_the_file(folder):
    f = _write(folder / "histories" / "coast.yaml", SMALL.format(name="coast"))
    cfg = compose([f"scenario={f}"])
    assert cfg.scenario.name == "coast" and cfg.scenario.horizon == 12
    assert list(cfg.scenario.missions) == ["coast"] and cfg.scenario.allies.n == 4
    # overrides apply on top of the file, as for a shipped scenario
    cfg = compose([f"scenario={f}", "scenario.horizon=20", "scenario.missions.coast.risk=0.1"])
    assert cfg.scenario.horizon == 20 and cfg.scenario.missions["coast"].risk == 0.1


def test_a_relative_path_is_read_from_the_working_folder(folder, monkeypatch):
    _write(folder / "h" / "coast.yml", SMALL.format(name="coast_rel"))
    monkeypatch.chdir(folder)
    assert compose(["scenario=h/coast.yml"]).scenario.name == "coast_rel"
    monkeypatch.chdir(folder / "h")
    assert compose(["scenario=coast.yml"]).scenario.name == "coast_rel"
    assert compose(["scenario=./coast.yml"]).scenario.horizon == 12


def test_a_file_named_like_a_shipped_scenario_is_the_file_not_the_shipped_one(folder):
    assert "sahel" in scenario_names()
    f = _write(folder / "sahel.yaml", "defaults: [sahel, _self_]\nname: my_sahel\n"
               "description: the shipped sahel, one mission's risk changed\n"
               "missions:\n  barkhane:\n    risk: 0.2\n")
    cfg = compose([f"scenario={f}"])
    shipped = compose(["scenario=sahel"])
    assert cfg.scenario.name == "my_sahel" and cfg.scenario.missions["barkhane"].risk == 0.2
    assert shipped.scenario.missions["barkhane"].risk != 0.2       # the shipped one is untouched
    assert cfg.scenario.allies == shipped.scenario.allies          # extended, not replaced
    # and a file named like a shipped one that replaces it entirely
    g = _write(folder / "other" / "baseline.yaml", SMALL.format(name="not_baseline"))
    assert compose([f"scenario={g}"]).scenario.name == "not_baseline"


def test_a_file_without_a_name_is_named_after_its_stem(folder):
    f = _write(folder / "coast-2026.yaml", SMALL.format(name="x").replace("name: x\n", ""))
    assert compose([f"scenario={f}"]).scenario.name == "coast-2026"


def test_an_edited_file_is_read_again(folder):
    f = _write(folder / "coast.yaml", SMALL.format(name="coast"))
    assert compose([f"scenario={f}"]).scenario.horizon == 12
    f.write_text(SMALL.format(name="coast").replace("horizon: 12", "horizon: 15"))
    assert compose([f"scenario={f}"]).scenario.horizon == 15       # never a stale cached config


@pytest.mark.parametrize("text,fragment", [
    ("# @package _global_\n" + SMALL.format(name="c"), "'# @package _global_' directive is refused"),
    (SMALL.format(name="c") + "hydra:\n  run: {dir: /tmp}\n", "hydra is refused"),
    (SMALL.format(name="c") + "network:\n  _target_: os.system\n", "_target_ is refused"),
    (SMALL.format(name="c") + "trust:\n  asymmetry: 3\n", "'trust' belongs to another config group"),
    (SMALL.format(name="c") + "horizn: 3\n", "unknown key 'horizn'"),
    (SMALL.format(name="c") + "description: ${oc.env:HOME}\n", "calls the resolver 'oc.env'"),
    ("name: c\nhorizon: [1\n", "YAML syntax error at line 3"),
    ("defaults: [../sahel, _self_]\nname: c\n", "may extend only another scenario option"),
    ("defaults: [nonesuch, _self_]\nname: c\n", "no scenario option 'nonesuch'"),
])
def test_a_file_is_checked_like_a_shipped_scenario_with_one_line_naming_it(folder, text,
                                                                             fragment):
    f = _write(folder / "bad.yaml", text)
    with pytest.raises(ConfigError, match=None) as err:
        compose([f"scenario={f}"])
    message = str(err.value)
    assert fragment in message and str(f) in message and "\n" not in message


@pytest.mark.parametrize("value,fragment", [
    ("{folder}/missing.yaml", "no such file"),
    ("{folder}", "a scenario file is a YAML file"),
    ("{folder}/notes.txt", "a scenario file is a YAML file"),
])
def test_a_path_that_is_no_yaml_file_is_refused_in_one_line(folder, value, fragment):
    _write(folder / "notes.txt", "name: x\n")
    with pytest.raises(ConfigError) as err:
        compose([f"scenario={value.format(folder=folder)}"])
    assert fragment in str(err.value) and "baseline" in str(err.value)


def test_the_values_of_a_file_are_still_validated(folder):
    f = _write(folder / "coast.yaml", SMALL.format(name="coast").replace("risk: 0.02", "risk: 2"))
    with pytest.raises(ConfigError, match="risk=2.0 is out of range"):
        compose([f"scenario={f}"])
    g = _write(folder / "slash.yaml", SMALL.format(name="'../escape'"))
    with pytest.raises(ConfigError, match="scenario.name='../escape'"):
        compose([f"scenario={g}"])


def test_staging_keeps_the_users_search_path_and_refuses_nothing_else(folder):
    f = _write(folder / "coast.yaml", SMALL.format(name="coast"))
    out, staged = stage_files([f"scenario={f}", "hydra.searchpath=[file:///somewhere]",
                               "policy=steady"], folder / "stage")
    assert out[:2] == ["scenario=coast", "policy=steady"]
    assert out[2] == f"hydra.searchpath=['file:///somewhere', 'file://{(folder / 'stage').resolve()}']"
    assert staged[0]["path"] == str(f.resolve()) and len(staged[0]["sha256"]) == 64
    assert (folder / "stage" / "scenario" / "coast.yaml").read_text() == f.read_text()
    same, none = stage_files(["scenario=baseline", "policy=steady"], folder / "x")
    assert same == ["scenario=baseline", "policy=steady"] and none == []
    assert with_searchpath(["a=1"], []) == ["a=1"]


def test_a_user_search_path_and_a_file_together(folder):
    extra = folder / "extra"
    _write(extra / "scenario" / "coast_base.yaml", SMALL.format(name="coast_base"))
    f = _write(folder / "variant.yaml", "defaults: [coast_base, _self_]\nname: variant\n"
               "horizon: 18\n")
    cfg = compose([f"scenario={f}", f"hydra.searchpath=[file://{extra}]"])
    assert cfg.scenario.name == "variant" and cfg.scenario.horizon == 18
    assert list(cfg.scenario.missions) == ["coast"]


def _run(args, cwd, out):
    return subprocess.run([sys.executable, "-m", "sim.run", *args, f"hydra.run.dir={out}"],
                          cwd=cwd, capture_output=True, text=True, timeout=300)


def test_sim_run_runs_a_file_outside_the_project_by_the_documented_command(folder):
    f = _write(folder / "histories" / "coast.yaml", SMALL.format(name="coast"))
    p = _run([f"scenario={f}", "policy=steady", "seed=2"], ROOT, folder / "a")
    assert p.returncode == 0, p.stderr
    assert "scenario coast | policy steady" in p.stdout
    steps = pd.read_parquet(folder / "a" / "steps.parquet")
    assert len(steps) == 13 and (steps["scenario"] == "coast").all()
    m = json.loads((folder / "a" / "manifest.json").read_text())
    assert m["scenario_files"][0]["path"] == str(f.resolve())
    assert f"scenario={f}" in m["command"]
    assert m["config"]["scenario"]["missions"]["coast"]["lead_troops"] == 400
    # the same run from the file's own folder, by a relative path, with the other driver
    q = _run(["scenario=histories/coast.yaml", "policy=steady", "seed=2", "driver=mesa"],
             folder, folder / "b")
    assert q.returncode == 0, q.stderr
    pd.testing.assert_frame_equal(steps, pd.read_parquet(folder / "b" / "steps.parquet"),
                                  check_exact=True)


def test_sim_run_refuses_a_bad_file_before_the_run_in_one_line(folder):
    f = _write(folder / "bad.yaml", SMALL.format(name="bad") + "hydra:\n  job: {chdir: true}\n")
    p = _run([f"scenario={f}"], ROOT, folder / "out")
    assert p.returncode == 2
    assert p.stderr.startswith("error: ") and str(f) in p.stderr
    assert len(p.stderr.strip().splitlines()) == 1
    assert not (folder / "out").exists()
    q = _run([f"scenario={folder}/missing.yaml"], ROOT, folder / "out")
    assert q.returncode == 2 and "no such file" in q.stderr


def test_sweeps_and_the_report_compose_a_file_the_same_way(folder):
    from sim.experiments.sweep import plan

    f = _write(folder / "coast.yaml", SMALL.format(name="coast"))
    sweep = plan(["experiment=smoke", f"scenario={f}", f"sweep.dir={folder / 'sweep'}"])
    assert sweep.base.scenario.name == "coast" and list(sweep.configs) == ["coast"]
    assert sweep.base.scenario.missions["coast"].lead_troops == 400
    raw = compose_raw("sweep", ["experiment=compare", f"scenario={f}"])
    assert raw.scenario.name == "coast" and raw.sweep.name == "compare"


def test_the_example_history_runs_from_a_folder_outside_the_project(folder):
    """The issue's "done when": a history written as a scenario file outside the project, run by
    the documented command, with its history tables."""
    example = ROOT / "examples" / "scenarios" / "coastal_history.yaml"
    f = _write(folder / "mine" / "coastal_history.yaml", example.read_text())
    p = _run([f"scenario={f}", "output.memberships=true", "output.quiet=true"], folder,
             folder / "out")
    assert p.returncode == 0, p.stderr
    rows = pd.read_parquet(folder / "out" / "memberships.parquet")
    cfg = compose([f"scenario={f}"])
    assert rows["step"].max() == cfg.scenario.horizon
    assert set(rows["mission"]) == set(cfg.scenario.missions)
    assert rows["exit"].any() and rows["entry"].any()
