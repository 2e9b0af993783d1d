"""Manifests and safe writes: what is needed to reproduce a result, and files that are complete or
absent, never half-written.

Every results file (Parquet, JSON, CSV, Markdown, figures) goes through :func:`atomic_write`: it is
written to a temporary name in its own folder (``.<name>.tmp-<pid>-<token><suffix>``), flushed and
fsynced, renamed into place with :func:`os.replace`, and the folder is fsynced. A temporary left by
an interrupted write is never taken for a result (:func:`is_temporary`) and is removed by the next
writer that owns the folder (:func:`remove_temporaries`).

Also here: the fingerprint of the code and the machine that a sweep records and checks on resume
(:func:`fingerprint`), file hashes, advisory locks (:class:`FileLock`) and checks that an output path
stays inside its folder (:func:`inside`).
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import errno
import fcntl
import functools
import hashlib
import json
import os
import platform
import secrets
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import pandas as pd
from omegaconf import OmegaConf

import sim
from sim.config import RunConfig, config_hash

from sim.errors import ConfigError

__all__ = ["environment", "git_commit", "manifest", "atomic_write", "write_json", "write_parquet",
           "write_text", "write_csv", "write_figure", "sha256_file", "code_fingerprint",
           "fingerprint", "fingerprint_differences", "FileLock", "LockBusy", "inside",
           "is_temporary", "remove_temporaries", "available_memory", "format_bytes",
           "check_writable_folder"]

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


# ------------------------------------------------------------------------------------ atomic writes

TEMP_MARK = ".tmp-"


def is_temporary(path: Path) -> bool:
    """A temporary of :func:`atomic_write` (``.<name>.tmp-...``), never a result."""
    name = Path(path).name
    return name.startswith(".") and TEMP_MARK in name


def remove_temporaries(folder: Path) -> list[Path]:
    """Delete the temporaries of interrupted writes directly in ``folder`` (call it only while
    owning the folder, e.g. under its lock); returns what was removed."""
    removed = []
    folder = Path(folder)
    if not folder.is_dir():
        return removed
    for p in folder.iterdir():
        if is_temporary(p) and p.is_file():
            with contextlib.suppress(FileNotFoundError):
                p.unlink()
                removed.append(p)
    return removed


def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:  # pragma: no cover - platforms without directory fds
        return
    try:
        os.fsync(fd)
    except OSError:  # pragma: no cover - some file systems refuse fsync on directories
        pass
    finally:
        os.close(fd)


def atomic_write(path: Path, write) -> Path:
    """Write ``path`` whole or not at all: ``write(tmp)`` writes a temporary in the same folder
    (its name ends with the same suffix, so format-by-extension writers work), which is flushed,
    fsynced and renamed over ``path``; the folder is then fsynced. On any failure the temporary is
    removed and ``path`` is untouched."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}{TEMP_MARK}{os.getpid()}-{secrets.token_hex(3)}"
                         f"{path.suffix}")
    try:
        write(tmp)
        fd = os.open(tmp, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, path)
        _fsync_dir(path.parent)
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
    return path


def write_parquet(df: pd.DataFrame, path: Path) -> Path:
    """Write a table atomically (:func:`atomic_write`)."""
    return atomic_write(path, lambda p: df.to_parquet(p, index=False))


def write_json(data: dict, path: Path) -> Path:
    return atomic_write(path, lambda p: p.write_text(json.dumps(data, indent=2, default=str)
                                                     + "\n"))


def write_text(text: str, path: Path) -> Path:
    return atomic_write(path, lambda p: p.write_text(text))


def write_csv(df: pd.DataFrame, path: Path, **kwargs) -> Path:
    """``df.to_csv(path, **kwargs)``, atomically."""
    return atomic_write(path, lambda p: df.to_csv(p, **kwargs))


def write_figure(fig, path: Path, **kwargs) -> Path:
    """``fig.savefig(path)``, atomically (the format follows ``path``'s suffix)."""
    path = Path(path)
    fmt = path.suffix.lstrip(".").lower() or None
    return atomic_write(path, lambda p: fig.savefig(p, format=fmt, **kwargs))


def sha256_file(path: Path, block: int = 1 << 20) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(block):
            h.update(chunk)
    return h.hexdigest()


# ------------------------------------------------------------------------------------ fingerprints

@functools.cache
def code_fingerprint(parts: tuple[str, ...] = ()) -> str:
    """sha256 over the package's sources (``sim/**/*.py``, by relative path and content); with
    ``parts`` (paths relative to ``sim/``: folders or files), over those only."""
    root = Path(sim.__file__).resolve().parent
    h = hashlib.sha256()
    for p in sorted(root.rglob("*.py")):
        if "__pycache__" in p.parts:
            continue
        rel = p.relative_to(root).as_posix()
        if parts and not any(rel == q or rel.startswith(q.rstrip("/") + "/") for q in parts):
            continue
        h.update(rel.encode() + b"\0")
        h.update(hashlib.sha256(p.read_bytes()).digest())
    return h.hexdigest()


def fingerprint() -> dict:
    """What must match for results to be bit-identical: the code, Python, the numerical libraries
    and the CPU features numpy dispatches on. (The git state is recorded beside it, not compared:
    the code's hash already says whether the sources differ.)"""
    env = environment()
    return {"code": code_fingerprint(), "python": env["python"], "machine": env["machine"],
            "libraries": env["libraries"], "cpu_features": env["cpu_features"]}


def fingerprint_differences(recorded: dict, current: dict) -> list[str]:
    """Human-readable differences between two fingerprints (empty when they match)."""
    out = []
    if recorded.get("code") != current.get("code"):
        out.append(f"the model's code (sources sha256 {str(recorded.get('code'))[:12]}... then, "
                   f"{str(current.get('code'))[:12]}... now)")
    for key in ("python", "machine"):
        if recorded.get(key) != current.get(key):
            out.append(f"{key} ({recorded.get(key)} then, {current.get(key)} now)")
    old, new = recorded.get("libraries") or {}, current.get("libraries") or {}
    libs = [f"{k} {old.get(k)} -> {new.get(k)}" for k in sorted(set(old) | set(new))
            if old.get(k) != new.get(k)]
    if libs:
        out.append("library versions (" + ", ".join(libs) + ")")
    old, new = recorded.get("cpu_features") or {}, current.get("cpu_features") or {}
    if old != new:
        a, b = set(old.get("available", [])), set(new.get("available", []))
        detail = []
        if b - a:
            detail.append("gained " + " ".join(sorted(b - a)))
        if a - b:
            detail.append("lost " + " ".join(sorted(a - b)))
        if old.get("baseline") != new.get("baseline") or old.get("dispatch") != new.get("dispatch"):
            detail.append("numpy's baseline/dispatch differ")
        out.append("CPU features (" + ("; ".join(detail) or "differ") + ")")
    return out


# ------------------------------------------------------------------------------------------ locks

class LockBusy(RuntimeError):
    """Another process holds the lock."""


class FileLock:
    """An advisory, exclusive lock (``fcntl.flock``) on ``path``, taken without waiting.

    The kernel releases it when the holding process ends, however it ends (a SIGKILL included),
    so a lock never outlives its process. The lock file itself stays, unchanged (deleting lock
    files races); the holder is looked up in ``/proc/locks`` for messages.
    """

    def __init__(self, path: Path):
        self.path = Path(path)
        self.fd: int | None = None

    def acquire(self) -> "FileLock":
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            os.close(fd)
            if exc.errno in (errno.EAGAIN, errno.EACCES, errno.EWOULDBLOCK):
                raise LockBusy(f"{self.path} is held by {self.holder() or 'another process'}") \
                    from None
            raise
        self.fd = fd
        return self

    def holder(self) -> str:
        """``process <pid>`` holding the lock, if the kernel says (Linux), else ``""``."""
        try:
            st = os.stat(self.path)
            with open("/proc/locks") as f:
                lines = f.read().splitlines()
        except OSError:
            return ""
        dev = f"{os.major(st.st_dev):02x}:{os.minor(st.st_dev):02x}:{st.st_ino}"
        for line in lines:
            parts = line.split()
            if "->" in parts:  # a waiter, not a holder
                continue
            if len(parts) >= 6 and parts[5] == dev and parts[4] != str(os.getpid()):
                return f"process {parts[4]}"
        return ""

    def release(self) -> None:
        if self.fd is not None:
            fcntl.flock(self.fd, fcntl.LOCK_UN)
            os.close(self.fd)
            self.fd = None

    def is_held_elsewhere(self) -> bool:
        """True if another open file (another process) holds the lock right now."""
        if self.fd is not None or not self.path.exists():
            return False
        try:
            self.acquire()
        except LockBusy:
            return True
        self.release()
        return False

    def __enter__(self):
        return self.acquire()

    def __exit__(self, *exc):
        self.release()


# -------------------------------------------------------------------------------- paths and sizes

def inside(folder: Path, path: Path, key: str) -> Path:
    """``path`` (a name joined to ``folder``) if it lies inside ``folder``; else ConfigError."""
    base = Path(folder).resolve()
    target = Path(path).resolve()
    if target != base and base not in target.parents:
        raise ConfigError(f"{key}: the output path {path} leaves its folder {folder}/ (resolves to "
                          f"{target}); allowed: a plain name without '/', '\\' or '..'")
    return Path(path)


def check_writable_folder(folder: Path, key: str) -> None:
    """Refuse (ConfigError) a folder that is a file, or cannot be created or written."""
    folder = Path(folder)
    if folder.exists() and not folder.is_dir():
        raise ConfigError(f"{key}={folder} is a file, not a folder: allowed a folder (existing or "
                          "to be created); choose another path")
    probe = folder
    while not probe.exists():
        probe = probe.parent
    if not probe.is_dir():
        raise ConfigError(f"{key}={folder}: {probe} is a file, so the folder cannot be created; "
                          "choose another path")
    test = probe / f".write-probe{TEMP_MARK}{os.getpid()}-{secrets.token_hex(3)}"
    try:  # try it: permissions, read-only mounts and pseudo file systems alike (root included)
        os.close(os.open(test, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644))
        os.unlink(test)
    except OSError as exc:
        raise ConfigError(f"{key}={folder}: cannot write in {probe} ({exc.strerror or exc}); "
                          "allowed: a folder you can write to") from None


def available_memory() -> int:
    """Bytes of memory available to a new allocation (MemAvailable; else free physical pages)."""
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:  # pragma: no cover - not Linux
        pass
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_AVPHYS_PAGES")
    except (ValueError, OSError):  # pragma: no cover
        return 1 << 62


def format_bytes(n: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB", "TiB", "PiB"):
        if abs(n) < 1024 or unit == "PiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} EiB"  # pragma: no cover
