"""Manifests and safe writes: what is needed to reproduce a result, and files that are complete or
absent, never half-written."""

from __future__ import annotations

import datetime as _dt
import json
import os
import platform
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import pandas as pd
from omegaconf import OmegaConf

import sim
from sim.config import RunConfig, config_hash

__all__ = ["environment", "git_commit", "manifest", "write_json", "write_parquet", "write_text"]

LIBRARIES = ("numpy", "scipy", "pandas", "pyarrow", "mesa", "networkx", "hydra-core", "omegaconf",
             "matplotlib")


def cpu_features() -> dict:
    """The CPU features numpy dispatches on (results are bit-reproducible for the same ones)."""
    try:
        from numpy._core._multiarray_umath import (__cpu_baseline__, __cpu_dispatch__,
                                                   __cpu_features__)
        return {"baseline": list(__cpu_baseline__), "dispatch": list(__cpu_dispatch__),
                "available": sorted(k for k, v in __cpu_features__.items() if v)}
    except ImportError:  # pragma: no cover - other numpy layouts
        return {}


def environment() -> dict:
    """Python, library versions, platform and CPU features."""
    versions = {}
    for lib in LIBRARIES:
        try:
            versions[lib] = metadata.version(lib)
        except metadata.PackageNotFoundError:
            versions[lib] = None
    return {
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "machine": platform.machine(),
        "libraries": versions,
        "cpu_features": cpu_features(),
    }


def git_commit(path: Path | None = None) -> dict:
    """The git commit of the source tree and whether it had uncommitted changes."""
    root = Path(path or Path(__file__).resolve().parent.parent)
    try:
        commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=root, capture_output=True,
                                text=True, timeout=10).stdout.strip() or None
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=root,
                               capture_output=True, text=True, timeout=10).stdout.strip() != ""
    except (OSError, subprocess.SubprocessError):
        commit, dirty = None, None
    return {"commit": commit, "dirty": dirty}


def manifest(cfg: RunConfig, **extra) -> dict:
    """Everything needed to reproduce a result: the resolved config, its hash, versions, commit."""
    return {
        "package": "coalition-credibility",
        "package_version": sim.__version__,
        "created": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        "command": " ".join([Path(sys.argv[0]).name] + sys.argv[1:]),
        "config_hash": config_hash(cfg),
        "config": OmegaConf.to_container(OmegaConf.structured(cfg)),
        "git": git_commit(),
        "environment": environment(),
        **extra,
    }


def _atomic(path: Path, write) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    try:
        write(tmp)
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()
    return path


def write_parquet(df: pd.DataFrame, path: Path) -> Path:
    """Write a table to a temporary name, then rename it into place."""
    return _atomic(path, lambda p: df.to_parquet(p, index=False))


def write_json(data: dict, path: Path) -> Path:
    return _atomic(path, lambda p: p.write_text(json.dumps(data, indent=2, default=str) + "\n"))


def write_text(text: str, path: Path) -> Path:
    return _atomic(path, lambda p: p.write_text(text))

