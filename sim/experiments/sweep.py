"""Scenario sweeps: one command, chunked, resumable, on any Hydra launcher.

    python -m sim.sweep experiment=smoke                        # the basic launcher, in-process
    python -m sim.sweep experiment=smoke hydra/launcher=cores   # joblib on the local cores
    python -m sim.sweep experiment=smoke hydra/launcher=slurm   # a SLURM cluster (docs/cluster.md)
    python -m sim.sweep experiment=smoke hydra/launcher=slurm sweep.wait=false   # submit and exit;
    python -m sim.watch sweeps/smoke --follow; python -m sim.collect sweeps/smoke  # ... later
    python -m sim.sweep experiment=smoke hydra/launcher=dask_local   # a Dask cluster

Arguments are Hydra overrides of ``configs/sweep.yaml`` (the base run configuration and ``sweep.*``);
those starting with ``hydra`` go to the multirun (launcher and its options). The command:

1. composes the configuration and samples the design (:mod:`sim.experiments.design`), before any work;
2. writes the sweep folder (``sweep.dir``, default ``sweeps/<sweep.name>``): ``sweep.json`` (the
   manifest: design, resolved configs and their hash, versions, git commit) and ``design/``;
3. launches a Hydra multirun of :mod:`sim.experiments.chunk` over the chunks not yet complete (so re-running the
   same command after an interruption runs only what is missing);
4. shows progress (a bar on a terminal; in logs a line per completed chunk and at least every 10 s:
   runs done, runs/s, time left), then writes ``sweep_summary.json`` (machine
   readable) and ``summary.parquet`` (all runs, via :mod:`sim.collect`).

Resume verifies (:mod:`sim.experiments.verify`): the folder's ``sweep.json`` records the code's and
the machine's fingerprint, the design's hashes and every option; a re-run with anything changed, or
a folder whose files were changed, is refused with one line saying what differs and how to start
afresh. ``sweep.lock`` keeps a second command off a running sweep; each chunk is locked while it
runs. Ctrl-C stops with one line: re-running the same command resumes.

Exit codes: 0 all runs complete; 1 some chunks failed (named, the rest kept); 2 bad input (nothing
run, nothing overwritten); 130 interrupted (Ctrl-C).
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
import sys
import threading
import time
from pathlib import Path

from omegaconf import OmegaConf

from sim.config import ConfigError, RunConfig, SweepConfig, compose_raw, config_hash, to_config
from sim.config.options import hydra_message, writable
from sim.experiments import io as sio
from sim.experiments.design import Design, chunk_plan, make_design, validate_sweep
from sim.experiments.io import (FileLock, LockBusy, atomic_write, check_writable_folder,
                                environment, git_commit, inside, is_temporary, remove_temporaries,
                                sha256_file, write_json)
from sim.experiments.verify import (CHUNK_LOCK, MANIFEST, SWEEP_LOCK, afresh, chunk_dir, is_done,
                                    read_manifest, seal, verify_chunk, verify_design)

__all__ = ["plan", "prepare", "launch", "run_sweep", "main", "Sweep", "SweepInterrupted"]
SWEEPS_ROOT = Path("sweeps")
# sweep options that may change between the first run and a resume (they change no result)
RESUMABLE_OPTIONS = ("dir", "progress", "wait")


class SweepInterrupted(KeyboardInterrupt):
    """Ctrl-C during a sweep; the message says what is kept and how to resume."""

HYDRA_PREFIXES = ("hydra/", "hydra.", "+hydra", "~hydra", "--")


@dataclasses.dataclass
class Sweep:
    """A planned sweep: its folder, configuration, design and chunks."""

    dir: Path
    config: SweepConfig
    base: RunConfig
    configs: dict[str, RunConfig]
    design: Design
    chunks: list[tuple[int, int]]

    @property
    def n_runs(self) -> int:
        return len(self.design.runs)

    def manifest(self) -> dict:
        return {
            "kind": "coalition-credibility sweep",
            "name": self.config.name,
            "sweep": dataclasses.asdict(self.config),
            "design_digest": self.design.digest(),
            "config_hashes": {k: config_hash(v) for k, v in self.configs.items()},
            "configs": {k: OmegaConf.to_container(OmegaConf.structured(v))
                        for k, v in self.configs.items()},
            "parameters": self.design.parameters,
            "problem": self.design.problem,
            "n_runs": self.n_runs,
            "n_points": len(self.design.points),
            "chunks": self.chunks,
            "crn": ("replicate r uses the same random numbers at every design point and under every "
                    "policy" if self.config.crn == "all"
                    else "replicate r of a point shares its random numbers across policies only"),
            "git": git_commit(),
            "environment": environment(),
            "fingerprint": sio.fingerprint(),
        }


def _split_args(args):
    hydra_args = [a for a in args if a.startswith(HYDRA_PREFIXES)]
    cfg_args = [a for a in args if not a.startswith(HYDRA_PREFIXES)]
    return cfg_args, hydra_args


def config_dirs(hydra_overrides=()) -> list[str]:
    """The folders of user config files named by ``hydra.searchpath=[file://<folder>,...]``."""
    dirs = []
    for a in hydra_overrides:
        if a.startswith("hydra.searchpath="):
            for item in a.partition("=")[2].strip("[]").split(","):
                item = item.strip().strip("'\"")
                if item:
                    dirs.append(item[len("file://"):] if item.startswith("file://") else item)
    return dirs


def plan(overrides=(), *, config_dirs=()) -> Sweep:
    """Compose and validate a sweep and sample its design. Raises :class:`ConfigError`.

    ``config_dirs``: folders of user config files (``<folder>/scenario/<name>.yaml``), as given
    by ``hydra.searchpath=[file://<folder>]`` on the command line."""
    raw = OmegaConf.to_container(compose_raw("sweep", list(overrides), config_dirs=config_dirs))
    sweep_node = raw.pop("sweep")
    schema = writable(OmegaConf.structured(SweepConfig))
    try:
        sw: SweepConfig = OmegaConf.to_object(OmegaConf.merge(schema, sweep_node))
    except Exception as exc:
        raise ConfigError(hydra_message(exc, overrides)) from None
    base = to_config(raw)
    validate_sweep(sw, base)  # names and ranges, before composing anything else
    scenarios = list(sw.scenarios) or [base.scenario.name]
    configs = {}
    scenario_overrides = [o for o in overrides if not o.startswith(("scenario=", "sweep."))]
    for name in scenarios:
        if name == base.scenario.name:
            configs[name] = base
        else:
            other = OmegaConf.to_container(
                compose_raw("sweep", [f"scenario={name}", *scenario_overrides],
                            config_dirs=config_dirs))
            other.pop("sweep")
            other = to_config(other)
            configs[name] = dataclasses.replace(base, scenario=other.scenario)
    from sim.experiments.design import flatten_ranges
    for key in flatten_ranges({**sw.levers, **sw.uncertainties}):
        if key.startswith("missions."):
            mission = key[len("missions."):].rpartition(".")[0]
            for name, c in configs.items():
                if mission not in c.scenario.missions:
                    raise ConfigError(f"sweep: {key} varies mission {mission!r}, which scenario "
                                      f"{name!r} does not have (its missions: "
                                      f"{', '.join(c.scenario.missions)})")
    design = make_design(sw, base)
    folder = Path(sw.dir) if sw.dir else inside(SWEEPS_ROOT, SWEEPS_ROOT / sw.name, "sweep.name")
    return Sweep(folder, sw, base, configs, design, chunk_plan(design.runs, sw.chunk_size))


def _differences(old: dict, new: dict) -> list[str]:
    what = []
    if old.get("design_digest") != new["design_digest"]:
        what.append("the design")
    if old.get("config_hashes") != new["config_hashes"]:
        what.append("the model configuration")
    if old.get("chunks") != new["chunks"]:
        what.append("the chunking")
    before, now = old.get("sweep") or {}, new["sweep"]
    for key in sorted(set(before) | set(now)):
        if key not in RESUMABLE_OPTIONS and before.get(key) != now.get(key):
            what.append(f"the option sweep.{key} ({json.dumps(before.get(key))} then, "
                        f"{json.dumps(now.get(key))} now)")
    what += sio.fingerprint_differences(old.get("fingerprint") or {}, new["fingerprint"])
    return what


def prepare(sweep: Sweep) -> list[int]:
    """Write the sweep folder, or verify that an existing one holds this very sweep.

    Returns the chunks still to run. Refuses (ConfigError, one line), without touching anything,
    a folder holding another sweep, made by other code or on another machine type, or whose files
    were changed (:mod:`sim.experiments.verify`). Call it holding the folder's ``sweep.lock``.
    """
    d = sweep.dir
    manifest_path = d / MANIFEST
    new = json.loads(json.dumps(sweep.manifest(), default=str))  # compare as stored
    if manifest_path.exists():
        old = read_manifest(d)
        what = _differences(old, new)
        if what:
            raise ConfigError(
                f"sweep folder {d} holds another sweep's results ({' and '.join(what)} "
                f"differ{'s' if len(what) == 1 else ''}): nothing was run or overwritten. To "
                f"resume it, re-run the command that made it with the same code and libraries on "
                f"the same kind of machine; {afresh(d)}.")
        verify_design(d, old)
        for k in range(len(sweep.chunks)):
            if is_done(d, k):
                verify_chunk(d, k, old)
        remove_temporaries(d)
        remove_temporaries(d / "design")
    else:
        leftovers = [p.name for p in d.iterdir()
                     if p.name not in ("design", SWEEP_LOCK) and not is_temporary(p)]
        if leftovers:
            raise ConfigError(f"folder {d} exists and is not a sweep folder (no {MANIFEST}; it "
                              f"holds {', '.join(sorted(leftovers)[:5])}): choose another "
                              "sweep.dir or remove it")
        remove_temporaries(d)
        remove_temporaries(d / "design")
        (d / "design").mkdir(parents=True, exist_ok=True)
        runs = sweep.design.runs
        files = {}
        for rel, table, kw in (("design/runs.parquet", runs,
                                {"row_group_size": max(1, sweep.config.chunk_size)}),
                               ("design/points.parquet", sweep.design.points, {})):
            atomic_write(d / rel, lambda p, t=table, kw=kw: t.to_parquet(p, index=False, **kw))
            files[rel] = sha256_file(d / rel)
        new["files"] = files
        new["created"] = time.strftime("%Y-%m-%dT%H:%M:%S%z")
        write_json(seal(new), manifest_path)  # last: its presence marks a complete plan
    return [k for k in range(len(sweep.chunks)) if not is_done(d, k)]


LOG_EVERY = 10.0  # seconds between progress lines off a terminal, at most


class _Progress:
    """Progress of a sweep: a bar on a terminal, a plain line now and then in logs (CI)."""

    def __init__(self, sweep: Sweep, mode: str, done_runs: int):
        self.sweep, self.total = sweep, sweep.n_runs
        interactive = sys.stderr.isatty() and not os.environ.get("CI")
        self.mode = ("bar" if interactive else "log") if mode == "auto" else mode
        self.start_done = done_runs
        self.t0 = time.monotonic()
        self.last_log = 0.0
        self.bar = None
        if self.mode == "bar":
            from tqdm import tqdm
            self.bar = tqdm(total=self.total, initial=done_runs, unit="run", dynamic_ncols=True,
                            desc=sweep.config.name, smoothing=0.1)
        self.done = done_runs

    def update(self, done_runs: int, final=False):
        if self.bar is not None:
            self.bar.update(done_runs - self.done)
        elif self.mode == "log":
            now = time.monotonic() - self.t0
            # a line whenever a chunk completes, and at least every LOG_EVERY seconds
            if final or done_runs != self.done or now - self.last_log >= LOG_EVERY:
                rate = (done_runs - self.start_done) / max(now, 1e-9)
                left = (self.total - done_runs) / rate if rate > 0 else math.inf
                print(f"[{self.sweep.config.name}] {done_runs}/{self.total} runs, "
                      f"{rate:.3g} runs/s, {'?' if math.isinf(left) else f'{left:.0f} s'} left",
                      file=sys.stderr, flush=True)
                self.last_log = now
        self.done = done_runs

    def close(self):
        if self.bar is not None:
            self.bar.close()


def _done_runs(sweep: Sweep) -> int:
    return sum(b - a for k, (a, b) in enumerate(sweep.chunks) if is_done(sweep.dir, k))


def launch(sweep: Sweep, chunks: list[int], hydra_overrides=()) -> int:
    """Run the given chunks as a Hydra multirun of :mod:`sim.experiments.chunk` (any launcher)."""
    if not chunks:
        return 0
    from sim.experiments import chunk as chunk_app

    d = sweep.dir.resolve()
    argv = ["sim.experiments.chunk", "--multirun", f"sweep_dir={d}",
            "chunk=" + ",".join(str(k) for k in chunks), *hydra_overrides]
    saved = sys.argv
    sys.argv = argv
    code = 0
    try:
        chunk_app.main()
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    finally:
        sys.argv = saved
    return code


def _lock_sweep(d: Path) -> FileLock:
    check_writable_folder(d, "sweep.dir")
    d.mkdir(parents=True, exist_ok=True)
    lock = FileLock(d / SWEEP_LOCK)
    try:
        return lock.acquire()
    except LockBusy:
        raise ConfigError(f"sweep.dir={d} is in use: {lock.holder() or 'another process'} is "
                          f"running a sweep there (it holds {d / SWEEP_LOCK}); wait for it to "
                          "finish or stop it (the lock goes away with its process), then re-run "
                          "this command to resume") from None


SUBMITTED = "submitted.json"   # job ids of SLURM submissions (hydra_plugins/coalition_launchers)
DETACHABLE_LAUNCHERS = ("slurm",)


def _chunk_of(overrides) -> int | None:
    for o in overrides:
        if o.startswith("chunk="):
            return int(o.split("=", 1)[1])
    return None


def slurm_queued(d: Path) -> dict[int, str]:
    """Chunks of the sweep in ``d`` whose SLURM job (recorded in ``submitted.json``) is still
    queued or running, as ``{chunk: job id}``; empty without a record or without ``squeue``."""
    import subprocess

    rec = Path(d) / SUBMITTED
    if not rec.exists():
        return {}
    try:
        subs = json.loads(rec.read_text())["submissions"]
        jobs = {j["job_id"]: _chunk_of(j["overrides"]) for s in subs for j in s["jobs"]}
    except (OSError, ValueError, KeyError, TypeError):
        return {}
    try:
        out = subprocess.run(["squeue", "--noheader", "--array", "--me", "--format=%i"],
                             capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired):
        return {}
    if out.returncode != 0:
        return {}
    live = set(out.stdout.split())
    return {k: jid for jid, k in jobs.items() if jid in live and k is not None}


def _launcher_name(hydra_args) -> str | None:
    for a in hydra_args:
        if a.startswith("hydra/launcher="):
            return a.split("=", 1)[1]
    return None


def submit(sweep: Sweep, todo: list[int], hydra_args) -> dict:
    """Submit the chunks not yet done nor queued, and return without waiting (``sweep.wait=false``)."""
    queued = slurm_queued(sweep.dir)
    new = [k for k in todo if k not in queued]
    code = launch(sweep, new, [*hydra_args, "hydra.launcher.wait=false"]) if new else 0
    return {"name": sweep.config.name, "dir": str(sweep.dir), "status": "submitted",
            "runs_total": sweep.n_runs, "runs_done": _done_runs(sweep),
            "chunks_total": len(sweep.chunks), "chunks_submitted_now": new,
            "chunks_already_queued": sorted(queued), "launcher_exit_code": code}


def run_sweep(overrides=(), *, progress: str | None = None) -> dict:
    """Plan, prepare, launch and report a sweep; returns the machine-readable summary.

    With ``sweep.wait=false`` (and ``hydra/launcher=slurm``) it submits the chunks still to do and
    returns at once (status ``submitted``); ``python -m sim.watch`` follows the sweep and
    ``python -m sim.collect`` gathers it when complete."""
    cfg_args, hydra_args = _split_args(list(overrides))
    dirs = config_dirs(hydra_args)
    hydra_args = [a for a in hydra_args if not a.startswith("hydra.searchpath=")]
    sweep = plan(cfg_args, config_dirs=dirs)
    if not sweep.config.wait and _launcher_name(hydra_args) not in DETACHABLE_LAUNCHERS:
        raise ConfigError(f"sweep.wait=false needs a launcher whose jobs outlive this command "
                          f"(allowed: {', '.join('hydra/launcher=' + n for n in DETACHABLE_LAUNCHERS)}"
                          f"; got {'hydra/launcher=' + (_launcher_name(hydra_args) or 'basic')})")
    lock = _lock_sweep(sweep.dir)
    try:
        todo = prepare(sweep)
        if not sweep.config.wait:
            return submit(sweep, todo, hydra_args)
        t0 = time.monotonic()
        bar = _Progress(sweep, progress or sweep.config.progress, _done_runs(sweep))
        stop = threading.Event()

        def watch():
            while not stop.wait(0.5):
                bar.update(_done_runs(sweep))

        watcher = threading.Thread(target=watch, daemon=True)
        watcher.start()
        interrupted = False
        try:
            launcher_code = launch(sweep, todo, hydra_args)
        except KeyboardInterrupt:
            interrupted = True
        finally:
            stop.set()
            watcher.join()
            bar.update(_done_runs(sweep), final=not interrupted)
            bar.close()
        if interrupted:
            raise SweepInterrupted(
                f"interrupted: {_done_runs(sweep)} of {sweep.n_runs} runs are done and kept in "
                f"{sweep.dir}; re-running the same command resumes (only the missing chunks "
                "run)")
        seconds = time.monotonic() - t0
        return report(sweep, todo, seconds, launcher_code)
    finally:
        lock.release()


def report(sweep: Sweep, ran: list[int], seconds: float, launcher_code: int = 0) -> dict:
    failures = []
    missing = []
    for k, (a, b) in enumerate(sweep.chunks):
        if is_done(sweep.dir, k):
            continue
        err = chunk_dir(sweep.dir, k) / "error.json"
        if err.exists():
            e = json.loads(err.read_text())
            failures.append({"chunk": k, "run_ids": e.get("run_ids") or [int(a), int(b - 1)],
                             "error": e["error"]})
        else:
            lock = FileLock(chunk_dir(sweep.dir, k) / CHUNK_LOCK)
            held = lock.holder() if lock.is_held_elsewhere() else None
            missing.append({"chunk": k, "run_ids": [int(a), int(b - 1)], "locked_by": held})
    done_runs = _done_runs(sweep)
    ran_runs = sum(sweep.chunks[k][1] - sweep.chunks[k][0] for k in ran
                   if is_done(sweep.dir, k))
    status = "complete" if not failures and not missing else "incomplete"
    summary = {
        "name": sweep.config.name, "dir": str(sweep.dir), "status": status,
        "runs_total": sweep.n_runs, "runs_done": done_runs,
        "chunks_total": len(sweep.chunks), "chunks_run_now": len(ran),
        "chunks_failed": failures, "chunks_missing": missing,
        "seconds": seconds, "runs_per_second": ran_runs / seconds if seconds > 0 else None,
        "launcher_exit_code": launcher_code,
    }
    write_json(summary, sweep.dir / "sweep_summary.json")
    if status == "complete":
        from sim.experiments.collect import collect
        collect(sweep.dir, write=True)
    return summary


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if any(a in ("-h", "--help") for a in argv):
        print(__doc__)
        return 0
    try:
        s = run_sweep(argv)
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except SweepInterrupted as exc:
        print(str(exc), file=sys.stderr)
        return 130
    except KeyboardInterrupt:
        print("interrupted before any run; re-running the same command starts or resumes the "
              "sweep", file=sys.stderr)
        return 130
    except OSError as exc:
        print(f"error: cannot write {exc.filename or 'the sweep folder'}: "
              f"{exc.strerror or exc}; allowed: a writable sweep.dir with free space (re-running "
              "the same command resumes)", file=sys.stderr)
        return 2
    if s["status"] == "submitted":
        new, old = s["chunks_submitted_now"], s["chunks_already_queued"]
        print(f"sweep {s['name']}: {s['runs_done']}/{s['runs_total']} runs done; submitted "
              f"{len(new)} chunk(s) now, {len(old)} still queued or running from before "
              f"-> {s['dir']}")
        print(f"this command may exit; the jobs run on. Watch: python -m sim.watch {s['dir']} "
              f"--follow; when complete: python -m sim.collect {s['dir']}")
        return 0 if s["launcher_exit_code"] == 0 else 1
    rate = s["runs_per_second"]
    print(f"sweep {s['name']}: {s['runs_done']}/{s['runs_total']} runs in {s['chunks_total']} "
          f"chunks ({s['chunks_run_now']} run now, {s['seconds']:.1f} s"
          + (f", {rate:.0f} runs/s" if rate else "") + f") -> {s['dir']}")
    for f in s["chunks_failed"]:
        print(f"  FAILED chunk {f['chunk']} (runs {f['run_ids'][0]}-{f['run_ids'][1]}): "
              f"{f['error']}", file=sys.stderr)
    for f in s["chunks_missing"]:
        why = (f"{f['locked_by'] or 'another process'} holds its lock (it is being computed "
               "elsewhere)" if f.get("locked_by") is not None
               else "the launcher did not complete it")
        print(f"  MISSING chunk {f['chunk']} (runs {f['run_ids'][0]}-{f['run_ids'][1]}): {why}; "
              "re-run the same command to resume", file=sys.stderr)
    if s["status"] != "complete":
        print(f"sweep incomplete: see {s['dir']}/sweep_summary.json; re-run the same command to "
              "run only what is missing", file=sys.stderr)
        return 1
    print(f"results: {s['dir']}/summary.parquet (one row per run)")
    return 0
