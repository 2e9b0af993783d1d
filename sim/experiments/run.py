"""Run one scenario under one lead policy: ``python -m sim.run scenario=baseline policy=steady seed=1``.

Any Hydra override works (``trust.asymmetry=4``, ``driver=mesa``, ``scenario.horizon=60``, ...).
Writes into Hydra's output folder:

* ``steps.parquet``: one row per step (coalition-wide values);
* ``missions.parquet``: one row per step and mission;
* ``allies.parquet``: one row per step and ally;
* with ``output.memberships=true``: ``memberships.parquet`` (one row per step, mission and ally:
  member, troops, entry, exit, expected presence of the lead, trust) and ``spells.parquet`` (one
  row per membership spell, completed or still running at the horizon);
* ``summary.parquet``: one row (the run's summaries);
* ``manifest.json``: the resolved config, its hash, versions, git commit and CPU features.

``scenario=path/to/file.yaml`` runs a scenario file from anywhere (absolute, or relative to the
working folder), checked like a shipped one (:func:`sim.config.files.stage_files`); the manifest
records its path and sha256 (``scenario_files``).

Bad input stops before the run starts, with one message naming the key, the value and what is
allowed (exit code 2): before Hydra starts, the command composes the configuration once on its own
(so Hydra's composition errors become one line), checks that every option file it selects is plain
data of its group (:mod:`sim.config.files`: a scenario file cannot run code or set other groups),
validates the result, and checks that the output folder is writable and, unless given with
``hydra.run.dir``, lies inside ``outputs/``.
"""

from __future__ import annotations

import logging
import sys
import tempfile
import time
from pathlib import Path

import hydra
from hydra.core.hydra_config import HydraConfig
from omegaconf import DictConfig

from omegaconf import open_dict

from sim.config import CONFIG_DIR, ConfigError, RunConfig, register_configs, to_config
from sim.config.compose import compose_raw, refuse_timeline_override
from sim.config import files
from sim.experiments.io import (check_writable_folder, inside, manifest, write_json,
                                write_parquet)

log = logging.getLogger("sim.run")
logging.getLogger("MESA").setLevel(logging.WARNING)


def simulate(cfg: RunConfig, *, extra: bool = False):
    """Run one configuration with the chosen driver; return the tidy tables
    ``(steps, missions, allies, summary)`` as DataFrames (``allies`` None unless recorded).

    With ``extra``, return ``(steps, missions, allies, summary, tables)`` where ``tables`` maps
    further file stems to tables: ``memberships`` and ``spells`` when ``output.memberships``."""
    memberships = cfg.output.memberships
    if cfg.driver == "ensemble":
        from sim.drivers.ensemble import Ensemble

        res = Ensemble(cfg, seeds=cfg.seed, runs=[cfg.run], record_allies=cfg.output.allies,
                       record_memberships=memberships).run()
    else:
        from sim.drivers.mesa import CoalitionModel

        res = CoalitionModel(config=cfg, collect_allies=False,
                             record_memberships=memberships).run_to_end().results()
    steps = res.step_frame()
    missions = res.mission_frame()
    allies = res.ally_frame() if cfg.output.allies else None
    summary = res.summary
    tables = ({"memberships": res.membership_frame(), "spells": res.spell_frame()}
              if memberships else {})
    for df in (steps, missions, allies, summary, *tables.values()):
        if df is not None:
            df.insert(1, "policy_start", cfg.policy.name)
            if "scenario" not in df.columns:
                df.insert(0, "scenario", cfg.scenario.name)
    if extra:
        return steps, missions, allies, summary, tables
    return steps, missions, allies, summary


def _print_summary(cfg: RunConfig, summary, seconds: float, out: Path) -> None:
    row = summary.iloc[0]
    lines = [
        f"scenario {cfg.scenario.name} | policy {cfg.policy.name} | seed {cfg.seed} run {cfg.run} "
        f"| {cfg.scenario.horizon} months | driver {cfg.driver} | {seconds:.2f} s",
        f"  allies' share of the burden at the end   {row.final_ally_burden_share:6.3f}",
        f"  coalition members: peak {row.peak_members:.0f}, end {row.final_members:.0f}; "
        + (f"below half the peak after {row.months_to_half_peak:.0f} months"
           if row.half_peak_reached else "never below half the peak"),
        f"  mean mission effectiveness               {row.mean_effectiveness:6.3f}",
        f"  final threat                             {row.final_threat:6.3f}",
        f"  final trust (combined / leader / country) {row.final_trust:.3f} / "
        f"{row.final_trust_leader:.3f} / {row.final_trust_country:.3f}",
        f"  local partner capacity at the end        {row.final_partner_capacity:6.3f}",
        f"  exits {row.total_exits:.0f}, reversals {row.total_reversals:.0f}, "
        f"attacks {row.total_attacks:.0f}",
        f"  results: {out}",
    ]
    print("\n".join(lines), flush=True)


OUTPUT_ROOT = Path("outputs")
# Hydra's flags: those that only print and run nothing, those that take a value, those refused
_INFO_FLAGS = ("-h", "--help", "--hydra-help", "--version", "-i", "--info", "-sc",
               "--shell-completion")
_VALUE_FLAGS = ("-c", "--cfg", "-p", "--package", "-cd", "--config-dir")
_REFUSED_FLAGS = ("-cp", "--config-path", "-cn", "--config-name", "--experimental-rerun")


def _parse_argv(argv):
    overrides, config_dirs, multirun, info = [], [], False, False
    i = 0
    while i < len(argv):
        a = argv[i]
        flag, eq, value = a.partition("=")
        if not a.startswith("-"):
            overrides.append(a)
        elif flag in _REFUSED_FLAGS:
            raise ConfigError(f"{flag}: not supported by sim.run (it runs configs/config.yaml); "
                              "add your own option files with --config-dir=<folder> or "
                              "hydra.searchpath=[file://<folder>] (<folder>/scenario/<name>.yaml)")
        elif flag in _INFO_FLAGS:
            info = True
        elif flag in ("-m", "--multirun"):
            multirun = True
        elif flag in _VALUE_FLAGS:
            if not eq:
                i += 1
                value = argv[i] if i < len(argv) else ""
            if flag in ("-cd", "--config-dir"):
                config_dirs.append(value)
        i += 1
    return overrides, config_dirs, multirun, info


def _split_argv(argv):
    """``(flags, overrides)``: the flag tokens (with their values) and the overrides, in order."""
    flags, overrides = [], []
    i = 0
    while i < len(argv):
        a = argv[i]
        if not a.startswith("-"):
            overrides.append(a)
        else:
            flags.append(a)
            if a.partition("=")[0] in _VALUE_FLAGS and "=" not in a and i + 1 < len(argv):
                i += 1
                flags.append(argv[i])
        i += 1
    return flags, overrides


def stage_argv(argv, folder) -> tuple[list[str], list[dict]]:
    """The command line with ``scenario=<file>`` made an option in ``folder`` on Hydra's search
    path (:func:`sim.config.files.stage_files`), and the files staged."""
    flags, overrides = _split_argv(list(argv))
    if not files.has_file_options(overrides):
        return list(argv), []
    _, config_dirs, _, _ = _parse_argv(list(argv))
    staged, found = files.stage_files(overrides, folder, config_dirs)
    return [*flags, *staged], found


_SCENARIO_FILES: list[dict] = []   # the files this command staged (for the manifest)
_COMMAND: list[str] = []           # the command as given (before staging)


def preflight(argv) -> None:
    """Everything checked before Hydra starts (raises :class:`ConfigError`, one line)."""
    overrides, config_dirs, multirun, info = _parse_argv(list(argv))
    if info:
        return
    refuse_timeline_override(overrides)
    if multirun:  # sweeps of options: check every option file each job may select
        files.check_overrides("config", overrides, config_dirs)
        return
    cfg = compose_raw("config", overrides, config_dirs=config_dirs, return_hydra_config=True)
    run_dir = Path(str(cfg.hydra.run.dir))
    with open_dict(cfg):
        del cfg["hydra"]
    to_config(cfg)
    if not any(o.lstrip("+~").startswith("hydra.run.dir=") for o in overrides):
        inside(OUTPUT_ROOT, run_dir, "scenario.name")
    check_writable_folder(run_dir, "hydra.run.dir")


def main(argv=None) -> int:
    """``python -m sim.run [overrides]``: the checks of :func:`preflight`, then the Hydra app."""
    argv = sys.argv[1:] if argv is None else list(argv)
    given = list(argv)
    with tempfile.TemporaryDirectory(prefix="sim-run-") as folder:
        try:
            argv, found = stage_argv(argv, folder)
            preflight(argv)
        except ConfigError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        saved = sys.argv
        sys.argv = [saved[0] if saved else "sim.run", *argv]
        _SCENARIO_FILES[:] = found
        _COMMAND[:] = ["run.py", *given] if found else []
        try:
            app()
        except SystemExit as exc:
            return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        finally:
            sys.argv = saved
            _SCENARIO_FILES.clear()
            _COMMAND.clear()
    return 0


register_configs()


@hydra.main(version_base="1.3", config_path=str(CONFIG_DIR), config_name="config")
def app(dcfg: DictConfig) -> None:
    try:
        refuse_timeline_override(HydraConfig.get().overrides.task)
        cfg = to_config(dcfg)
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(2)
    out = Path(HydraConfig.get().runtime.output_dir)
    t0 = time.perf_counter()
    steps, missions, allies, summary, tables = simulate(cfg, extra=True)
    seconds = time.perf_counter() - t0
    try:
        if cfg.output.trajectories:
            write_parquet(steps, out / "steps.parquet")
            write_parquet(missions, out / "missions.parquet")
        if allies is not None:
            write_parquet(allies, out / "allies.parquet")
        for stem, table in tables.items():
            write_parquet(table, out / f"{stem}.parquet")
        write_parquet(summary, out / "summary.parquet")
        extra = ({"scenario_files": list(_SCENARIO_FILES), "command": " ".join(_COMMAND)}
                 if _SCENARIO_FILES else {})
        write_json(manifest(cfg, driver=cfg.driver, seconds=seconds,
                            files=sorted(p.name for p in out.glob("*.parquet")), **extra),
                   out / "manifest.json")
    except OSError as exc:
        print(f"error: cannot write the results into {out}: {exc.strerror or exc} "
              "(choose another folder with hydra.run.dir=...)", file=sys.stderr)
        sys.exit(2)
    if not cfg.output.quiet:
        _print_summary(cfg, summary, seconds, out)
