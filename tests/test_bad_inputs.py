"""The catalogue of bad inputs: every surface, every field kind, one clear line each.

Each case is given to a command (in-process through its ``main``, or as a subprocess where the
process boundary matters) and must stop with exit code 2 (or :class:`ConfigError` from the Python
API) and a single line on stderr that contains the expected key. Then a tamper test per verified
file of a sweep folder, stray temporaries and locks.
"""

from __future__ import annotations

import errno
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from sim.analysis.calibrate import main as calibrate_main
from sim.config import ConfigError, compose
from sim.config import files
from sim.experiments import io as sio
from sim.experiments import sweep as sweep_mod
from sim.experiments.chunk import run_chunk
from sim.experiments.collect import collect, collect_trajectories
from sim.experiments.collect import main as collect_main
from sim.experiments.run import main as run_main
from sim.experiments.sweep import main as sweep_main
from sim.experiments.verify import CHUNK_LOCK, SWEEP_LOCK, chunk_dir, is_done

ROOT = Path(__file__).resolve().parent.parent
SMALL = ["experiment=smoke", "scenario.horizon=12", "sweep.chunk_size=8", "sweep.progress=none"]


def read_only_folder(tmp_path: Path) -> Path:
    """A folder this process cannot write in (root ignores permission bits: use sysfs)."""
    if os.geteuid() == 0:
        return Path("/sys/kernel")
    d = tmp_path / "read_only"
    d.mkdir()
    d.chmod(0o500)
    return d


def one_line(code, err: str, fragment: str, expected_code=2) -> None:
    lines = [ln for ln in err.strip().splitlines() if ln.strip()]
    assert code == expected_code, (code, err)
    assert "Traceback" not in err, err
    assert len(lines) == 1, f"{len(lines)} lines on stderr:\n{err}"
    assert fragment in lines[0], f"{fragment!r} not in {lines[0]!r}"


def call(main, argv, capsys):
    capsys.readouterr()
    code = main(list(argv))
    return code, capsys.readouterr().err

# ------------------------------------------------------------------------- sim.run overrides


RUN_CASES = [
    (["trust.asymetry=2"], "did you mean 'trust.asymmetry'"),
    (["+trust.asymetry=2"], "did you mean 'trust.asymmetry'"),
    (["trust.asymmetry=abc"], "trust.asymmetry=abc"),
    (["trust.asymmetry=0.05"], "trust.asymmetry=0.05 is out of range: allowed [0.1, 10]"),
    (["trust.asymmetry=nan"], "trust.asymmetry=nan is out of range"),
    (["trust.asymmetry=inf"], "trust.asymmetry=inf is out of range"),
    (["decision.leave_threshold=0.5"], "decision.leave_threshold=0.5 must not exceed"),
    (["policy=impulsve"], "did you mean 'impulsive'"),
    (["policy=isolationist"], "Could not find 'policy/isolationist'"),
    (["scenario=atlantis"], "Could not find 'scenario/atlantis'"),
    (["scenario=/abs/path/file.yaml"], "scenario='/abs/path/file.yaml': no such file"),
    (["scenario=../trust/default"], "scenario='../trust/default': a scenario file is a YAML file"),
    (["scenario.name=../../../../escaped"], "scenario.name='../../../../escaped'"),
    (["scenario.name=a/b"], "scenario.name='a/b'"),
    (["scenario.horizon=0"], "scenario.horizon=0 is out of range"),
    (["scenario.horizon=abc"], "scenario.horizon=abc"),
    (["scenario.horizon=[1,2"], "no viable alternative at input '[1,2'"),
    (["trust.asymmetry"], "Error parsing override 'trust.asymmetry'"),
    (["seed=-3"], "seed=-3"),
    (["seed=abc"], "seed=abc"),
    (["driver=netlogo"], "driver='netlogo'"),
    (["output.quiet=maybe"], "output.quiet=maybe"),
    (["scenario.allies.n=1.5"], "scenario.allies.n=1.5"),
    (["scenario.allies.n=0"], "the coalition is empty"),
    (["scenario.lead.country_trust=1.5"], "scenario.lead.country_trust=1.5 is out of range"),
    (["scenario=sahel", "scenario.missions.minusma.support=barkane"],
     "scenario.missions.minusma.support='barkane' is not another mission"),
    (["scenario.missions.stabilisation.support_risk=0.1"],
     "scenario.missions.stabilisation.support_risk=0.1 needs a support"),
    (["scenario.lead.country_trust=0"], "scenario.lead.country_trust=0.0 is out of range"),
    (["scenario.allies.capacity_min=0.9"], "capacity_min=0.9 exceeds"),
    (["scenario.missions.stabilisation.rsk=0.1"],
     "did you mean 'scenario.missions.stabilisation.risk'"),
    (["scenario.missions.stabilisation.risk=nan"], "scenario.missions.stabilisation.risk=nan"),
    (["scenario.missions.stabilisation.lead_troops=1e308"], "lead_troops=1e+308 is out of range"),
    (["scenario.missions.barkhane.risk=0.1"], "scenario.missions.barkhane"),
    (["scenario=sahel", "scenario.allies.roster.Frace.exit_threshold=0.7"],
     "did you mean 'scenario.allies.roster.France'"),
    (["scenario.add_events=[{kind: domestic_shock, step: 3, size: nan}]"], "size=nan"),
    (["scenario.add_events=[{kind: election, step: 999}]"], "outside the horizon"),
    (["+scenario.events=[{kind: election, step: 3}]"], "would replace the scenario's whole"),
    (["foo=1"], "foo=1"),
    (["+colour=blue"], "colour"),
    (["experiment=smoke"], "Could not override 'experiment'"),
    (["--config-name=other"], "--config-name: not supported"),
    (["--experimental-rerun", "x.pickle"], "--experimental-rerun: not supported"),
]


@pytest.mark.parametrize("args,fragment", RUN_CASES, ids=[" ".join(a) for a, _ in RUN_CASES])
def test_sim_run_overrides(args, fragment, tmp_path, capsys):
    code, err = call(run_main, [*args, f"hydra.run.dir={tmp_path}/out"], capsys)
    one_line(code, err, fragment)
    assert not (tmp_path / "out").exists()


def test_sim_run_output_folder_that_is_a_file(tmp_path, capsys):
    (tmp_path / "file").write_text("x")
    code, err = call(run_main, [f"hydra.run.dir={tmp_path}/file"], capsys)
    one_line(code, err, f"hydra.run.dir={tmp_path}/file is a file")


def test_sim_run_output_folder_that_is_read_only(tmp_path, capsys):
    ro = read_only_folder(tmp_path)
    code, err = call(run_main, [f"hydra.run.dir={ro}/out"], capsys)
    one_line(code, err, f"hydra.run.dir={ro}/out: cannot write in {ro}")

# ------------------------------------------------------------------------- scenario files

EXPLOIT = """# @package _global_
hydra:
  callbacks:
    x:
      _target_: os.makedirs
      name: {target}
trust: {{asymmetry: 9}}
"""
EXTENDS = "defaults:\n  - baseline\n  - _self_\nname: mine\n"
SCENARIO_FILES = [
    ("package", EXPLOIT, "'# @package _global_' directive is refused"),
    ("package_scenario", "# @package scenario\n" + EXTENDS, "'# @package scenario' directive"),
    ("hydra_key", EXTENDS + "hydra: {job: {chdir: true}}\n", "scenario.hydra is refused"),
    ("target_nested", EXTENDS + "allies:\n  roster:\n    X: {_target_: os.system, force: 1, "
     "capacity: 0.5}\n", "scenario.allies.roster.X._target_ is refused"),
    ("target_in_list", EXTENDS + "events:\n  - {kind: election, step: 3, _target_: os.getcwd}\n",
     "scenario.events[0]._target_ is refused"),
    ("partial", EXTENDS + "network: {_partial_: true}\n", "scenario.network._partial_ is refused"),
    ("other_group", EXTENDS + "trust: {asymmetry: 9}\n", "the key 'trust' belongs to another"),
    ("sweep_key", EXTENDS + "sweep: {samples: 3}\n", "the key 'sweep' belongs to another"),
    ("seed_key", EXTENDS + "seed: 4\n", "the key 'seed' belongs to another"),
    ("typo", EXTENDS + "horizn: 3\n", "unknown key 'horizn' (did you mean 'horizon'?)"),
    ("nested_typo", EXTENDS + "allies: {cpacity_min: 0.3}\n", "cpacity_min"),
    ("syntax", "name: x\nhorizon: [1, 2\n", "YAML syntax error at line 3, column 1"),
    ("tabs", "name: x\n\thorizon: 3\n", "YAML syntax error at line 2"),
    ("not_mapping", "- a\n- b\n", "a scenario file is a mapping"),
    ("resolver", EXTENDS + "description: ${oc.env:HOME}\n", "calls the resolver 'oc.env'"),
    ("defaults_other_group", "defaults:\n  - /trust: symmetric\n  - _self_\nname: t\n",
     "defaults[0]={'/trust': 'symmetric'} is refused"),
    ("defaults_hydra", "defaults:\n  - override /hydra/launcher: cores\n  - _self_\nname: t\n",
     "defaults[0]={'override /hydra/launcher': 'cores'} is refused"),
    ("defaults_path", "defaults:\n  - ../trust/default\n  - _self_\nname: t\n",
     "defaults[0]='../trust/default' is refused"),
    ("defaults_missing", "defaults:\n  - basline\n  - _self_\nname: t\n",
     "no scenario option 'basline' (did you mean 'baseline'?)"),
    ("escaping_name", EXTENDS.replace("mine", "../../../../escaped"),
     "scenario.name='../../../../escaped'"),
    ("nan_force", EXTENDS + "allies:\n  roster:\n    X: {force: .nan, capacity: 0.5}\n",
     "scenario.allies.roster.X.force=nan"),
    ("nan_cost", EXTENDS + "allies:\n  roster:\n    X: {force: 100, capacity: 0.5, "
     "cost_sensitivity: .nan}\n", "cost_sensitivity=nan"),
    ("inf_mission", EXTENDS + "missions:\n  stabilisation: {lead_troops: .inf}\n",
     "scenario.missions.stabilisation.lead_troops=inf is out of range"),
    ("huge_mission", EXTENDS + "missions:\n  stabilisation: {required_force: 1e308}\n",
     "required_force=1e+308 is out of range"),
    ("nan_shock", EXTENDS + "events:\n  - {kind: domestic_shock, step: 3, size: .nan}\n",
     "size=nan"),
    ("wrong_type", EXTENDS + "horizon: soon\n", "scenario.horizon"),
]


@pytest.mark.parametrize("name,text,fragment", SCENARIO_FILES, ids=[c[0] for c in SCENARIO_FILES])
def test_scenario_files_are_data(name, text, fragment, tmp_path, capsys):
    target = tmp_path / "pwned"
    user = tmp_path / "user"
    (user / "scenario").mkdir(parents=True)
    (user / "scenario" / f"{name}.yaml").write_text(text.format(target=target)
                                                    if name == "package" else text)
    code, err = call(run_main, [f"scenario={name}", f"hydra.searchpath=[file://{user}]",
                                f"hydra.run.dir={tmp_path}/out"], capsys)
    one_line(code, err, fragment)
    assert not target.exists() and not (tmp_path / "out").exists()


def test_a_scenario_file_cannot_run_code_end_to_end(tmp_path):
    """The issue's exploit, as a user would type it: refused before Hydra starts."""
    target = tmp_path / "pwned"
    (tmp_path / "user" / "scenario").mkdir(parents=True)
    (tmp_path / "user" / "scenario" / "evil.yaml").write_text(EXPLOIT.format(target=target))
    for how in ([f"hydra.searchpath=[file://{tmp_path}/user]"], ["-cd", f"{tmp_path}/user"]):
        p = subprocess.run([sys.executable, "-m", "sim.run", "scenario=evil", *how,
                            f"hydra.run.dir={tmp_path}/out"], cwd=ROOT, capture_output=True,
                           text=True, timeout=120)
        one_line(p.returncode, p.stderr, "evil.yaml: the '# @package _global_' directive")
        assert not target.exists()


def test_the_python_api_refuses_the_same_files(tmp_path):
    (tmp_path / "scenario").mkdir()
    (tmp_path / "scenario" / "x.yaml").write_text(EXTENDS + "trust: {asymmetry: 9}\n")
    with pytest.raises(ConfigError, match="belongs to another config group"):
        compose(["scenario=x", f"hydra.searchpath=[file://{tmp_path}]"])
    (tmp_path / "scenario" / "x.yaml").write_text(EXTENDS + "horizon: 12\n")
    assert compose(["scenario=x", f"hydra.searchpath=[file://{tmp_path}]"]).scenario.horizon == 12


@pytest.mark.parametrize("layout,fragment", [
    ({"hydra/callbacks/x.yaml": "_target_: os.getcwd\n"}, "holds hydra/, which is not a config group"),
    ({"config.yaml": "seed: 3\n"}, "holds config.yaml, a primary config"),
    ({"colour/x.yaml": "a: 1\n"}, "holds colour/, which is not a config group"),
])
def test_search_path_folders_hold_only_model_groups(layout, fragment, tmp_path, capsys):
    for rel, text in layout.items():
        (tmp_path / "user" / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / "user" / rel).write_text(text)
    code, err = call(run_main, [f"hydra.searchpath=[file://{tmp_path}/user]",
                                f"hydra.run.dir={tmp_path}/out"], capsys)
    one_line(code, err, fragment)


EXPERIMENT_FILES = [
    ("hydra", "# @package _global_\nsweep: {name: x}\nhydra: {job: {chdir: true}}\n",
     "hydra is refused"),
    ("target", "# @package _global_\nsweep:\n  levers: {_target_: os.getcwd}\n",
     "sweep.levers._target_ is refused"),
    ("no_package", "sweep: {name: x}\n", "must start with '# @package _global_'"),
    ("other_package", "# @package sweep\nname: x\n", "'# @package sweep' is refused"),
    ("launcher", "# @package _global_\ndefaults:\n  - override /hydra/launcher: cores\n",
     "an experiment's defaults may only choose options of the model's groups"),
    ("typo", "# @package _global_\nswep: {name: x}\n", "unknown key 'swep' (did you mean 'sweep'?)"),
    ("scenario_file", "# @package _global_\ndefaults:\n  - override /scenario: bad\n",
     "'# @package _global_' directive is refused"),
]


@pytest.mark.parametrize("name,text,fragment", EXPERIMENT_FILES, ids=[c[0] for c in EXPERIMENT_FILES])
def test_experiment_files_are_data(name, text, fragment, tmp_path):
    (tmp_path / "experiment").mkdir()
    (tmp_path / "scenario").mkdir()
    (tmp_path / "scenario" / "bad.yaml").write_text(EXPLOIT.format(target=tmp_path / "x"))
    path = tmp_path / "experiment" / f"{name}.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError) as info:
        files.check_option_file(path, "experiment", roots=[files.CONFIG_DIR, tmp_path])
    assert fragment in str(info.value) and "\n" not in str(info.value)


def test_every_shipped_option_file_passes_the_checks():
    for group in files.FILE_GROUPS:
        for path in sorted((files.CONFIG_DIR / group).glob("*.yaml")):
            files.check_option_file(path, group)

# ------------------------------------------------------------------------- sweep options


SWEEP_CASES = [
    (["sweep.sampels=3"], "did you mean 'sweep.samples'"),
    (["sweep.sampler=latin"], "sweep.sampler='latin': allowed grid, lhs, sobol, morris"),
    (["sweep.samples=1000000000"], "sweep.samples=1000000000: the design has 4,000,000,000 runs"),
    (["sweep.sampler=grid", "sweep.levels=1000000"], "sweep.levels=1000000: the design has"),
    (["sweep.samples=abc"], "sweep.samples=abc"),
    (["sweep.samples=0"], "sweep.samples=0"),
    (["sweep.replicates=0"], "sweep.replicates=0"),
    (["sweep.chunk_size=0"], "sweep.chunk_size=0"),
    (["sweep.crn=some"], "sweep.crn='some'"),
    (["sweep.progress=loud"], "sweep.progress='loud'"),
    (["sweep.name=../../x"], "sweep.name='../../x'"),
    (["sweep.name=a/b"], "sweep.name='a/b'"),
    (["sweep.name="], "sweep.name=''"),
    (["experiment=smok"], "experiment=smok: no such experiment (did you mean 'smoke'?)"),
    (["sweep.policies=[steady,isolationist]"], "unknown policy 'isolationist'"),
    (["sweep.scenarios=[atlantis]"], "unknown scenario 'atlantis'"),
    (["+sweep.uncertainties.trust.friction={low: nan, high: 0.5}"],
     "sweep.uncertainties.trust.friction.low=nan"),
    (["+sweep.uncertainties.trust.asymetry={low: 1, high: 2}"], "unknown parameter 'trust.asymetry'"),
    (["+sweep.uncertainties.trust.friction=0.5"], "expected a mapping such as"),
    (["+sweep.uncertainties.missions.nowhere.risk={low: 0, high: 1}"], "no mission 'nowhere'"),
    (["trust.asymetry=2"], "did you mean 'trust.asymmetry'"),
    (["scenario=/abs/file.yaml"], "scenario='/abs/file.yaml': no such file"),
]


@pytest.mark.parametrize("args,fragment", SWEEP_CASES, ids=[" ".join(a) for a, _ in SWEEP_CASES])
def test_sweep_options(args, fragment, tmp_path, capsys):
    code, err = call(sweep_main, [*SMALL, *args, f"sweep.dir={tmp_path}/s"], capsys)
    one_line(code, err, fragment)
    assert not (tmp_path / "s").exists()


def test_sweep_dir_that_is_a_file(tmp_path, capsys):
    (tmp_path / "f").write_text("x")
    code, err = call(sweep_main, [*SMALL, f"sweep.dir={tmp_path}/f"], capsys)
    one_line(code, err, f"sweep.dir={tmp_path}/f is a file")


def test_sweep_dir_that_is_read_only(tmp_path, capsys):
    ro = read_only_folder(tmp_path)
    code, err = call(sweep_main, [*SMALL, f"sweep.dir={ro}/s"], capsys)
    one_line(code, err, f"sweep.dir={ro}/s: cannot write in {ro}")


def test_sweep_dir_holding_something_else(tmp_path, capsys):
    (tmp_path / "s").mkdir()
    (tmp_path / "s" / "notes.txt").write_text("mine")
    code, err = call(sweep_main, [*SMALL, f"sweep.dir={tmp_path}/s"], capsys)
    one_line(code, err, "is not a sweep folder (no sweep.json; it holds notes.txt)")
    assert (tmp_path / "s" / "notes.txt").read_text() == "mine"


def test_a_full_disk_is_one_line(tmp_path, capsys, monkeypatch):
    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device", str(tmp_path / "s" / "sweep.json"))
    monkeypatch.setattr(sweep_mod, "write_json", full)
    code, err = call(sweep_main, [*SMALL, f"sweep.dir={tmp_path}/s"], capsys)
    one_line(code, err, "sweep.json: No space left on device")


def test_ctrl_c_says_how_to_resume(tmp_path, capsys, monkeypatch):
    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt
    monkeypatch.setattr(sweep_mod, "launch", interrupted)
    code, err = call(sweep_main, [*SMALL, f"sweep.dir={tmp_path}/s"], capsys)
    one_line(code, err, "re-running the same command resumes", expected_code=130)

# ------------------------------------------------------------------------- calibration configs


GOOD_CAL = {"name": "t", "scenario": "sahel", "history": "history.csv",
            "targets": {"barkhane_members": {"series": "members", "mission": "barkhane"}},
            "priors": {"decision.value": {"uniform": [0.5, 2.0]}},
            "smc": {"population": 10, "generations": 1}}
HISTORY = "date,target,value,note\n2014-08,barkhane_members,1,France alone\n"
CAL_CASES = [
    ({"priors": {"decision.value": 0.5}}, "priors.decision.value=0.5 is not a prior; allowed: "
     "{uniform: [low, high]}"),
    ({"priors": {"decision.value": [0.5]}}, "priors.decision.value.uniform=[0.5]; allowed: "
     "[low, high], two numbers"),
    ({"priors": {"decision.value": {"uniform": [".nan", 2.0]}}}, "uniform low=nan"),
    ({"priors": {"decision.value": {"uniform": [0.5, 20.0]}}},
     "priors.decision.value.uniform high=20.0 is out of range"),
    ({"priors": {"decision.max_share": {"uniform": [0.1, 5.0]}}},
     "priors.decision.max_share.uniform high=5.0 is out of range: allowed (0, 1]"),
    ({"priors": {"decision.value": {"uniform": [2.0, 0.5]}}}, "is empty; allowed: low < high"),
    ({"priors": {"decision.noise_scale": {"log_uniform": [0.0, 0.2]}}},
     "a log-uniform prior needs low > 0"),
    ({"priors": {"decision.max_share": {"beta": [0, 2]}}}, "beta a=0; allowed: a number > 0"),
    ({"priors": {"decision.value": {"beta": [2, 2], "range": [0.5, 20]}}},
     "priors.decision.value.range high=20.0 is out of range"),
    ({"priors": {"decision.value": {"normal": [1, 2]}}}, "unknown key 'normal'"),
    ({"priors": {"decision.value": {"uniform": [0.5, 1], "range": [0.5, 1]}}},
     "only a beta prior takes a range"),
    ({"priors": {"decision.valu": [0.5, 2.0]}}, "did you mean 'value'"),
    ({"priors": {}}, "priors={}"),
    ({"priors": None}, "priors=None"),
    ({"smc": {"population": 0}}, "smc.population=0; allowed: a whole number >= 1"),
    ({"smc": {"population": 5}}, "smc.population=5; allowed: >= 10 particles"),
    ({"smc": {"population": 2.5}}, "smc.population=2.5"),
    ({"smc": {"generations": True}}, "smc.generations=True"),
    ({"smc": {"alpha": 2}}, "smc.alpha=2.0; allowed: (0, 1)"),
    ({"smc": {"epsilon": "list"}}, "smc.epsilons=(); allowed: a list of decreasing"),
    ({"smc": {"epsilon": "list", "epsilons": [1, 2]}}, "allowed: strictly decreasing"),
    ({"smc": {"scale": "mda"}}, "smc.scale='mda'"),
    ({"smc": {"popluation": 3}}, "unknown key 'popluation' (did you mean 'population'?)"),
    ({"seed": -1}, "seed=-1"),
    ({"sampels": 3}, "unknown key 'sampels'"),
    ({"name": "a/b"}, "name='a/b'"),
    ({"scenario": "atlantis"}, "Could not find 'scenario/atlantis'"),
    ({"scenario": "../configs/scenario/sahel"}, "an option is a name"),
    ({"scenario": 3}, "scenario=3"),
    ({"history": "missing.csv"}, "missing.csv: no such history file"),
    ({"targets": {"m": {"series": "members", "mission": "nowhere"}}},
     "targets.m.mission='nowhere': no such mission"),
    ({"targets": {"m": {"series": "membres"}}}, "targets.m.series='membres' (did you mean "
     "'members'?)"),
    ({"targets": {"m": {"series": "trust_leader", "mission": "barkhane"}}},
     "series 'trust_leader' has no mission scope"),
    ({"targets": {"m": {"series": "exit_month"}}}, "series 'exit_month' has no coalition scope"),
    ({"targets": {"m": {"series": "exit_month", "ally": "Atlantis"}}}, "no such ally"),
    ({"targets": {"m": {"series": "members", "window": 3}}}, "only the series 'exits' has a "
     "window"),
    ({"holdout": "2030-01"}, "holdout=2030-01 is outside the scenario"),
    ({"holdout": "2014-09"}, "holdout=2014-09: the history has no observations from it"),
    ({"band": 1.5}, "band=1.5; allowed: a share in (0, 1)"),
    ({"overrides": ["hydra.searchpath=[file:///tmp]"]}, "overrides: 'hydra.searchpath=[file:///tmp]' is refused"),
    ({"overrides": "trust.asymmetry=2"}, "overrides='trust.asymmetry=2'"),
    ({"overrides": ["trust.asymmetry=99"]}, "trust.asymmetry=99.0 is out of range"),
]


def _cal_file(tmp_path, change, raw=None):
    (tmp_path / "history.csv").write_text(HISTORY)
    spec = {**GOOD_CAL, **change}
    path = tmp_path / "cal.yaml"
    import yaml
    text = raw if raw is not None else yaml.safe_dump(spec).replace("'.nan'", ".nan")
    path.write_text(text)
    return path


@pytest.mark.parametrize("change,fragment", CAL_CASES, ids=[str(c) for c, _ in CAL_CASES])
def test_calibration_configs(change, fragment, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, err = call(calibrate_main, [str(_cal_file(tmp_path, change))], capsys)
    one_line(code, err, fragment)
    assert not (tmp_path / "outputs").exists()


@pytest.mark.parametrize("argv,raw,fragment", [
    ([], "scenario: sahel\npriors: {decision.value: [0.5, 2\n", "YAML syntax error at line"),
    ([], "- scenario\n", "a calibration config is a mapping"),
    ([], "name: t\nscenario: sahel\nhistory: history.csv\n", "the key 'targets' is missing"),
    (["--population", "0"], None, "--population=0"),
    (["--truth", "decision.value=1"], None, "--truth needs --recover"),
    (["--recover", "--truth", "decision.value=9"], None, "--truth: decision.value=9 is outside"),
    (["--recover", "--truth", "trust.asymmetry=2"], None, "'trust.asymmetry' is not a calibrated"),
])
def test_calibration_files_and_options(argv, raw, fragment, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    path = _cal_file(tmp_path, {}, raw)
    code, err = call(calibrate_main, [str(path), *argv], capsys)
    one_line(code, err, fragment)


def test_calibration_config_that_does_not_exist(tmp_path, capsys):
    code, err = call(calibrate_main, [str(tmp_path / "nope.yaml")], capsys)
    one_line(code, err, "nope.yaml: no such calibration config")


def test_calibration_output_folder_that_is_read_only(tmp_path, capsys):
    ro = read_only_folder(tmp_path)
    code, err = call(calibrate_main, [str(_cal_file(tmp_path, {})), "--out", f"{ro}/r"], capsys)
    one_line(code, err, f"--out={ro}/r: cannot write in {ro}")

# ------------------------------------------------------------------------- results files


@pytest.fixture(scope="module")
def swept(tmp_path_factory):
    """A complete small sweep (4 chunks of 8 runs) and its collected table."""
    d = tmp_path_factory.mktemp("swept") / "s"
    assert sweep_mod.main([*SMALL, f"sweep.dir={d}"]) == 0
    return d, collect(d)


def copy_of(swept, tmp_path) -> Path:
    d = tmp_path / "s"
    shutil.copytree(swept[0], d)
    return d


def resume(d, capsys, *extra):
    return call(sweep_main, [*SMALL, f"sweep.dir={d}", *extra], capsys)


def _edit_manifest(d):
    m = json.loads((d / "sweep.json").read_text())
    m["configs"]["baseline"]["trust"]["asymmetry"] = 3.0
    (d / "sweep.json").write_text(json.dumps(m))


def _forge_manifest(d):
    """Edit the configs and recompute both the config hash and the digest, as a forger would."""
    from sim.config import config_hash, to_config
    from sim.experiments.verify import seal
    m = json.loads((d / "sweep.json").read_text())
    m["configs"]["baseline"]["trust"]["asymmetry"] = 3.0
    m["config_hashes"]["baseline"] = config_hash(to_config(m["configs"]["baseline"]))
    (d / "sweep.json").write_text(json.dumps(seal(m)))


def _rewrite_parquet(path, column="seed"):
    df = pd.read_parquet(path)
    df[column] = df[column] + 1
    df.to_parquet(path, index=False)


def _swap_chunks(d):
    a, b = chunk_dir(d, 1), chunk_dir(d, 2)
    a.rename(d / "tmp")
    b.rename(a)
    (d / "tmp").rename(b)


def _swap_chunk_files(d):
    a, b = chunk_dir(d, 1) / "summary.parquet", chunk_dir(d, 2) / "summary.parquet"
    tmp = a.with_name("x")
    a.rename(tmp)
    b.rename(a)
    tmp.rename(b)


def _edit_done(d, **changes):
    p = chunk_dir(d, 0) / "done.json"
    done = json.loads(p.read_text())
    for key, value in changes.items():
        if key == "code":
            done["fingerprint"]["code"] = value
        else:
            done[key] = value
    p.write_text(json.dumps(done))


TAMPER = [
    ("sweep.json truncated", lambda d: (d / "sweep.json").write_text(
        (d / "sweep.json").read_text()[:300]), "sweep.json is unreadable"),
    ("sweep.json emptied", lambda d: (d / "sweep.json").write_text(""), "sweep.json is unreadable"),
    ("sweep.json edited", _edit_manifest, "sweep.json was changed after the sweep was planned"),
    ("sweep.json forged", _forge_manifest,
     ("chunk-000000 was computed for another sweep", "the model configuration differs")),
    ("sweep.json without digest", lambda d: (d / "sweep.json").write_text(json.dumps(
        {k: v for k, v in json.loads((d / "sweep.json").read_text()).items() if k != "digest"})),
     "has no integrity record"),
    ("runs.parquet deleted", lambda d: (d / "design" / "runs.parquet").unlink(),
     "design/runs.parquet is missing"),
    ("runs.parquet rewritten", lambda d: _rewrite_parquet(d / "design" / "runs.parquet"),
     "design/runs.parquet was changed after the sweep was planned"),
    ("points.parquet rewritten", lambda d: _rewrite_parquet(d / "design" / "points.parquet",
                                                             "point"),
     "design/points.parquet was changed"),
    ("chunk parquet rewritten", lambda d: _rewrite_parquet(chunk_dir(d, 2) / "summary.parquet"),
     "chunk-000002/summary.parquet does not match the sha256"),
    ("chunk parquet garbage", lambda d: (chunk_dir(d, 3) / "summary.parquet").write_bytes(b"x"),
     "chunk-000003/summary.parquet does not match"),
    ("chunk parquet deleted", lambda d: (chunk_dir(d, 3) / "summary.parquet").unlink(),
     "chunk-000003/summary.parquet is missing"),
    ("chunk folders swapped", _swap_chunks, "chunk-000001 holds another chunk's results"),
    ("chunk files swapped", _swap_chunk_files, "chunk-000001/summary.parquet does not match"),
    ("done.json truncated", lambda d: (chunk_dir(d, 0) / "done.json").write_text("{"),
     "chunk-000000: its done.json is unreadable"),
    ("done.json of another sweep", lambda d: _edit_done(d, sweep_digest="0" * 64),
     "chunk-000000 was computed for another sweep"),
    ("chunk computed by other code", lambda d: _edit_done(d, code="0" * 64),
     "chunk-000000 differs from the rest of the sweep in the model's code"),
]


@pytest.mark.parametrize("name,tamper,fragment", TAMPER, ids=[t[0] for t in TAMPER])
def test_tampered_files_are_refused_by_resume_and_collect(name, tamper, fragment, swept,
                                                          tmp_path, capsys):
    d = copy_of(swept, tmp_path)
    tamper(d)
    by_collect, by_resume = fragment if isinstance(fragment, tuple) else (fragment, fragment)
    before = {p: p.read_bytes() for p in d.rglob("*") if p.is_file()}
    code, err = call(collect_main, [str(d)], capsys)
    one_line(code, err, by_collect)
    code, err = resume(d, capsys)
    one_line(code, err, by_resume)
    assert "delete" in err                                   # says how to start afresh / redo
    assert {p: p.read_bytes() for p in d.rglob("*") if p.is_file()} == before


@pytest.mark.parametrize("extra,fragment", [
    (["sweep.trajectories=true"], "the option sweep.trajectories (false then, true now) differs"),
    (["sweep.description=other"], "the option sweep.description"),
    (["trust.keep_weight=0.2"], "the model configuration differs"),
    (["sweep.seed=2"], "the design"),
    (["sweep.chunk_size=4"], "the chunking"),
])
def test_a_changed_option_is_refused_on_resume(extra, fragment, swept, tmp_path, capsys):
    d = copy_of(swept, tmp_path)
    shutil.rmtree(chunk_dir(d, 3))                            # half done: resume would run it
    code, err = call(sweep_main, [*SMALL, f"sweep.dir={d}", *extra], capsys)
    one_line(code, err, fragment)
    assert "to start afresh, delete" in err and not is_done(d, 3)


@pytest.mark.parametrize("patch,fragment", [
    (lambda m: m.setattr(sio, "code_fingerprint", lambda: "f" * 64), "the model's code"),
    (lambda m: m.setattr(sio, "cpu_features", lambda: {"baseline": ["SSE"], "dispatch": [],
                                                       "available": ["SSE"]}),
     "CPU features (lost"),
    (lambda m: m.setattr(sio, "LIBRARIES", ("numpy", "left-pad")), "library versions"),
])
def test_a_changed_fingerprint_is_refused_on_resume(patch, fragment, swept, tmp_path, capsys,
                                                    monkeypatch):
    d = copy_of(swept, tmp_path)
    shutil.rmtree(chunk_dir(d, 3))
    patch(monkeypatch)
    code, err = resume(d, capsys)
    one_line(code, err, fragment)
    assert not is_done(d, 3)
    # a chunk job on the changed code refuses too (e.g. a cluster node of another kind)
    out = run_chunk(d, 3)
    assert "differs from the sweep" in out["error"] and not is_done(d, 3)
    monkeypatch.undo()                                        # the sweep's own code: resumes
    code, err = resume(d, capsys)
    assert code == 0, err
    pd.testing.assert_frame_equal(collect(d), swept[1])


@pytest.mark.slow  # two subprocesses (~5 s); the monkeypatched CPU-features case is in the fast suite
def test_a_node_with_other_cpu_features_is_refused(swept, tmp_path):
    """The issue's mixed-node case, for real: numpy told to leave AVX-512 extensions unused."""
    have = sio.cpu_features().get("available", [])
    disable = [f for f in ("AVX512_ICL", "AVX512_SPR") if f in have]
    if not disable:
        pytest.skip("this CPU has no AVX512_ICL/AVX512_SPR to disable")
    d = copy_of(swept, tmp_path)
    shutil.rmtree(chunk_dir(d, 3))
    env = {**os.environ, "NPY_DISABLE_CPU_FEATURES": " ".join(disable)}
    p = subprocess.run([sys.executable, "-m", "sim.sweep", *SMALL, f"sweep.dir={d}"], cwd=ROOT,
                       env=env, capture_output=True, text=True, timeout=120)
    one_line(p.returncode, p.stderr, "CPU features (lost " + " ".join(sorted(disable)))
    job = subprocess.run([sys.executable, "-c", "import sys; from sim.experiments.chunk import "
                          "run_chunk; print(run_chunk(sys.argv[1], 3)['error'])", str(d)],
                         cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert "differs from the sweep in CPU features" in job.stdout, job.stdout + job.stderr
    assert not is_done(d, 3)


def test_collect_of_what_is_not_a_sweep(tmp_path, capsys):
    code, err = call(collect_main, [str(tmp_path / "nothing")], capsys)
    one_line(code, err, "is not a sweep folder (no sweep.json)")
    (tmp_path / "file").write_text("x")
    code, err = call(collect_main, [str(tmp_path / "file")], capsys)
    one_line(code, err, "is a file, not a sweep folder")


def test_trajectories_of_a_sweep_without_them(swept):
    with pytest.raises(ConfigError, match="trajectories were not recorded"):
        collect_trajectories(swept[0])

# ------------------------------------------------------------------------- stray temporaries


def test_a_stray_temporary_never_blocks_a_new_folder(swept, tmp_path, capsys):
    d = tmp_path / "s"
    d.mkdir()
    (d / ".sweep.json.tmp-12345").write_text('{"half": ')   # a kill between write and rename
    code, err = resume(d, capsys)
    assert code == 0, err
    assert not list(d.glob(".*.tmp-*"))
    pd.testing.assert_frame_equal(collect(d), swept[1])


def test_stray_temporaries_in_a_half_done_sweep_are_cleaned_on_resume(swept, tmp_path, capsys):
    d = copy_of(swept, tmp_path)
    shutil.rmtree(chunk_dir(d, 3))
    chunk_dir(d, 3).mkdir()
    junk = [chunk_dir(d, 3) / ".summary.parquet.tmp-999-abcdef.parquet",
            d / ".sweep_summary.json.tmp-999-abcdef.json",
            d / "design" / ".runs.parquet.tmp-999-abcdef.parquet"]
    for p in junk:
        p.write_bytes(b"half")
    stray_in_done = chunk_dir(d, 0) / ".summary.parquet.tmp-999-abcdef.parquet"
    stray_in_done.write_bytes(b"half")                      # ignored by collect and resume
    pd.testing.assert_frame_equal(collect(d, allow_missing=True), swept[1].iloc[:24])
    code, err = resume(d, capsys)
    assert code == 0, err
    assert not any(p.exists() for p in junk)
    pd.testing.assert_frame_equal(collect(d), swept[1])


def test_an_interrupted_write_leaves_the_old_file_and_no_temporary(tmp_path):
    path = tmp_path / "t.parquet"
    sio.write_parquet(pd.DataFrame({"a": [1]}), path)

    class Broken(pd.DataFrame):
        def to_parquet(self, p, **kw):
            Path(p).write_bytes(b"half a file")
            raise OSError(errno.ENOSPC, "No space left on device")

    with pytest.raises(OSError):
        sio.write_parquet(Broken({"a": [2]}), path)
    assert pd.read_parquet(path)["a"].tolist() == [1]
    assert [p.name for p in tmp_path.iterdir()] == ["t.parquet"]


def test_figures_are_written_atomically_with_their_format(tmp_path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from sim.analysis.plots import save
    fig = plt.figure()
    png, pdf = save(fig, tmp_path / "f")
    plt.close(fig)
    assert png.read_bytes()[:4] == b"\x89PNG" and pdf.read_bytes()[:4] == b"%PDF"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["f.pdf", "f.png"]

# ------------------------------------------------------------------------- locks

HOLD = """
import sys, time
from sim.experiments.io import FileLock
FileLock(sys.argv[1]).acquire()
print("locked", flush=True)
time.sleep(120)
"""


def test_a_running_sweep_keeps_a_second_command_out(swept, tmp_path, capsys):
    d = copy_of(swept, tmp_path)
    shutil.rmtree(chunk_dir(d, 3))
    with sio.FileLock(d / SWEEP_LOCK):
        code, err = resume(d, capsys)
    one_line(code, err, f"sweep.dir={d} is in use")
    assert not is_done(d, 3)
    code, err = resume(d, capsys)                             # released: it resumes
    assert code == 0, err
    assert is_done(d, 3)


def test_a_locked_chunk_is_left_to_its_holder(swept, tmp_path, capsys):
    d = copy_of(swept, tmp_path)
    shutil.rmtree(chunk_dir(d, 3))
    with sio.FileLock(chunk_dir(d, 3) / CHUNK_LOCK):
        assert "busy" in run_chunk(d, 3)
        assert not is_done(d, 3) and not (chunk_dir(d, 3) / "error.json").exists()
        code, err = resume(d, capsys)
        assert code == 1 and "MISSING chunk 3 (runs 24-31)" in err and "holds its lock" in err
        assert not is_done(d, 3)
    code, err = resume(d, capsys)
    assert code == 0, err
    pd.testing.assert_frame_equal(collect(d), swept[1])


def test_a_lock_dies_with_its_process(tmp_path):
    path = tmp_path / "x.lock"
    holder = subprocess.Popen([sys.executable, "-c", HOLD, str(path)], cwd=ROOT,
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
        with pytest.raises(sio.LockBusy, match=f"held by process {holder.pid}"):
            sio.FileLock(path).acquire()
    finally:
        holder.kill()
        holder.wait()
    with sio.FileLock(path):                                  # SIGKILL released it
        pass


@pytest.mark.slow  # ~10 s; test_ctrl_c_says_how_to_resume covers the message in the fast suite
def test_ctrl_c_of_a_real_sweep_prints_one_line_and_the_rerun_resumes(swept, tmp_path):
    d = tmp_path / "s"
    args = [*SMALL[:-2], "sweep.chunk_size=2", "sweep.progress=none", f"sweep.dir={d}"]
    proc = subprocess.Popen([sys.executable, "-m", "sim.sweep", *args], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 120
    while time.time() < deadline and len(list(d.glob("chunks/*/done.json"))) < 2:
        time.sleep(0.05)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=120)
    one_line(proc.returncode, err, "re-running the same command resumes", expected_code=130)
    done = len(list(d.glob("chunks/*/done.json")))
    assert 2 <= done < 16
    assert sweep_mod.main(args) == 0
    pd.testing.assert_frame_equal(collect(d), swept[1])
