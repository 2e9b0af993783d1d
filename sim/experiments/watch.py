"""Watch a sweep from outside: ``python -m sim.watch <sweep dir> [--follow] [--every 10]``.

Reads only the sweep folder (and ``squeue`` for a SLURM submission), so it works from any shell on
a machine that sees the folder, while the sweep runs under its own command or after a
``sweep.wait=false`` submission. One line per look: runs and chunks done, chunks being computed
(their lock is held), queued in SLURM (or running there, not yet locked), failed (``error.json``) and not started. ``--follow`` looks
again every ``--every`` seconds (default 10) until the sweep is complete or nothing is running or
queued any more.

Exit codes: 0 complete (collect it with ``python -m sim.collect <dir>``); 1 not complete (without
``--follow``: still going or stopped; with it: stopped with chunks failed or not started, so
re-run the sweep command to compute them); 2 not a verifiable sweep folder.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from sim.config import ConfigError
from sim.experiments.io import FileLock
from sim.experiments.verify import CHUNK_LOCK, SWEEP_LOCK, chunk_dir, is_done, read_manifest

__all__ = ["status", "main"]


def status(sweep_dir) -> dict:
    """Where a sweep stands: counts of runs and chunks by state (``done``, ``running``,
    ``queued``, ``failed``, ``waiting``), from the folder's files and locks and ``squeue``."""
    from sim.experiments.sweep import slurm_queued

    d = Path(sweep_dir)
    meta = read_manifest(d, check_configs=False)
    chunks = meta["chunks"]
    queued = slurm_queued(d)
    state: dict[str, list[int]] = {"done": [], "running": [], "queued": [], "failed": [],
                                   "waiting": []}
    for k in range(len(chunks)):
        out = chunk_dir(d, k)
        if is_done(d, k):
            state["done"].append(k)
        elif FileLock(out / CHUNK_LOCK).is_held_elsewhere():
            state["running"].append(k)
        elif k in queued:
            state["queued"].append(k)
        elif (out / "error.json").exists():
            state["failed"].append(k)
        else:
            state["waiting"].append(k)
    runs_done = sum(chunks[k][1] - chunks[k][0] for k in state["done"])
    command = FileLock(d / SWEEP_LOCK).is_held_elsewhere()   # a sim.sweep command is running
    return {"name": meta["name"], "dir": str(d), "runs_total": meta["n_runs"],
            "runs_done": runs_done, "chunks_total": len(chunks), "chunks": state,
            "complete": len(state["done"]) == len(chunks),
            "command_running": command,
            "active": bool(command or state["running"] or state["queued"])}


def line(s: dict) -> str:
    c = s["chunks"]
    return (f"[{s['name']}] {s['runs_done']}/{s['runs_total']} runs done "
            f"({len(c['done'])}/{s['chunks_total']} chunks); {len(c['running'])} running, "
            f"{len(c['queued'])} queued, {len(c['failed'])} failed, {len(c['waiting'])} not started"
            + ("; its sweep command is running" if s["command_running"] else ""))


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m sim.watch", description=__doc__.splitlines()[0])
    ap.add_argument("sweep_dir")
    ap.add_argument("--follow", action="store_true", help="look again until the sweep stops")
    ap.add_argument("--every", type=float, default=10.0, help="seconds between looks (--follow)")
    args = ap.parse_args(argv)
    if not args.every > 0:
        print(f"error: --every={args.every}: allowed a number of seconds > 0", file=sys.stderr)
        return 2
    try:
        while True:
            s = status(args.sweep_dir)
            print(time.strftime("%H:%M:%S ") + line(s), flush=True)
            if s["complete"]:
                print(f"complete: python -m sim.collect {s['dir']}")
                return 0
            if not args.follow:
                return 1
            if not s["active"]:
                print(f"stopped: {len(s['chunks']['failed'])} chunk(s) failed and "
                      f"{len(s['chunks']['waiting'])} not started, nothing running or queued; "
                      "re-run the sweep command to compute them", file=sys.stderr)
                return 1
            time.sleep(args.every)
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
