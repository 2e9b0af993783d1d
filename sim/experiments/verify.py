"""Verified sweeps: what a sweep folder records, and the checks that resume and collect make.

``sweep.json`` (the manifest) records the design and configs, the **fingerprint** of the code and
the machine (:func:`sim.experiments.io.fingerprint`: sha256 of the package's sources, Python, the
numerical libraries, the CPU features numpy dispatches on), the sha256 of the design's files, and a
``digest`` over all of it. Each chunk's ``done.json`` records the sha256 of every file the chunk
wrote, the fingerprint it ran with and the digest of the sweep it belongs to.

Resuming (``python -m sim.sweep`` again) and collecting (``python -m sim.collect``) refuse, with one
line saying what differs and how to start afresh: a manifest that is unreadable or was edited, a
missing or changed design file, a chunk whose files were changed or swapped, a chunk computed with
another fingerprint; resuming also refuses a changed code fingerprint, configuration, design,
chunking or sweep option. Locks (:class:`sim.experiments.io.FileLock`): ``sweep.lock`` is held by
the ``sim.sweep`` command for the whole sweep, ``chunks/chunk-NNNNNN/.lock`` by the job computing
that chunk; both go away with their process.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from sim.config import ConfigError, config_hash, to_config
from sim.experiments import io as sio

__all__ = ["MANIFEST", "SWEEP_LOCK", "CHUNK_LOCK", "chunk_dir", "is_done", "seal", "digest",
           "read_manifest", "verify_design", "verify_chunk", "afresh"]

MANIFEST = "sweep.json"
SWEEP_LOCK = "sweep.lock"
CHUNK_LOCK = ".lock"
_CONFIGS_VERIFIED: set[str] = set()  # digests of manifests whose configs were checked here


def chunk_dir(sweep_dir: Path, k: int) -> Path:
    return Path(sweep_dir) / "chunks" / f"chunk-{k:06d}"


def is_done(sweep_dir: Path, k: int) -> bool:
    return (chunk_dir(sweep_dir, k) / "done.json").exists()


def afresh(d: Path) -> str:
    return f"to start afresh, delete {d} or choose another folder (sweep.dir=... or sweep.name=...)"


def redo(d: Path, k: int) -> str:
    return (f"delete {chunk_dir(d, k)} and re-run the same sweep command to compute that chunk "
            f"again (every other run is kept), or {afresh(d)}")


def _canonical(data: dict) -> dict:
    """As stored (tuples become lists, numbers and strings as JSON has them)."""
    return json.loads(json.dumps(data, default=str))


def digest(meta: dict) -> str:
    body = {k: v for k, v in meta.items() if k != "digest"}
    text = json.dumps(body, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def seal(meta: dict) -> dict:
    """The manifest as it will be stored, with its ``digest``."""
    out = _canonical({k: v for k, v in meta.items() if k != "digest"})
    out["digest"] = digest(out)
    return out


def read_manifest(d: Path, *, check_configs: bool = True) -> dict:
    """A sweep folder's ``sweep.json``, checked: readable, unedited (digest), and (unless
    ``check_configs=False``, for a caller that checks the one config it loads) its configs
    hashing to the hashes it records. Raises :class:`ConfigError` (one line)."""
    d = Path(d)
    path = d / MANIFEST
    if d.exists() and not d.is_dir():
        raise ConfigError(f"{d} is a file, not a sweep folder")
    if not path.exists():
        raise ConfigError(f"{d} is not a sweep folder (no {MANIFEST})")
    try:
        meta = json.loads(path.read_text())
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        where = f" (line {exc.lineno}, column {exc.colno})" if hasattr(exc, "lineno") else ""
        raise ConfigError(f"{path} is unreadable: {getattr(exc, 'msg', exc)}{where}, truncated or "
                          f"not JSON, so this sweep cannot be verified; {afresh(d)}") from None
    if not isinstance(meta, dict) or not isinstance(meta.get("digest"), str):
        raise ConfigError(f"{path} has no integrity record ('digest'): not a sweep manifest, or "
                          f"written before sweeps were verified; {afresh(d)}")
    if digest(meta) != meta["digest"]:
        raise ConfigError(f"{path} was changed after the sweep was planned (its content does not "
                          f"match its digest); {afresh(d)}")
    if not check_configs or meta["digest"] in _CONFIGS_VERIFIED:
        return meta
    try:
        hashes = {name: config_hash(to_config(cfg)) for name, cfg in meta["configs"].items()}
    except (ConfigError, KeyError, TypeError, AttributeError) as exc:
        raise ConfigError(f"{path}: its configs do not load ({exc}); {afresh(d)}") from None
    if hashes != meta.get("config_hashes"):
        raise ConfigError(f"{path}: its configs do not match the config hashes it records; "
                          f"{afresh(d)}")
    _CONFIGS_VERIFIED.add(meta["digest"])  # the digest covers the configs and their hashes
    return meta


def verify_design(d: Path, meta: dict) -> None:
    """The design's files are present and as written (sha256 recorded in ``sweep.json``)."""
    d = Path(d)
    for rel, sha in (meta.get("files") or {}).items():
        p = d / rel
        if not p.is_file():
            raise ConfigError(f"{p} is missing, so this sweep's design cannot be verified; "
                              f"{afresh(d)}")
        if sio.sha256_file(p) != sha:
            raise ConfigError(f"{p} was changed after the sweep was planned (its sha256 differs "
                              f"from the one sweep.json records); {afresh(d)}")
    if "design/runs.parquet" not in (meta.get("files") or {}):
        raise ConfigError(f"{d / MANIFEST} records no hash of design/runs.parquet; {afresh(d)}")


def expected_files(meta: dict) -> list[str]:
    return ["summary.parquet"] + (["steps.parquet", "missions.parquet"]
                                  if meta["sweep"]["trajectories"] else [])


def verify_chunk(d: Path, k: int, meta: dict) -> dict:
    """A complete chunk holds this sweep's runs, computed with its fingerprint, in files that are
    as written. Returns its ``done.json``."""
    d = Path(d)
    out = chunk_dir(d, k)
    name = out.name
    try:
        done = json.loads((out / "done.json").read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ConfigError(f"{name}: its done.json is unreadable ({exc}); {redo(d, k)}") from None
    first, stop = meta["chunks"][k]
    if (not isinstance(done, dict) or done.get("chunk") != k
            or done.get("first_run_id") != first or done.get("last_run_id") != stop - 1):
        raise ConfigError(f"{name} holds another chunk's results (its done.json names chunk "
                          f"{done.get('chunk') if isinstance(done, dict) else '?'}, runs "
                          f"{done.get('first_run_id') if isinstance(done, dict) else '?'}-"
                          f"{done.get('last_run_id') if isinstance(done, dict) else '?'}; expected "
                          f"chunk {k}, runs {first}-{stop - 1}): swapped or copied; {redo(d, k)}")
    if done.get("sweep_digest") != meta["digest"]:
        raise ConfigError(f"{name} was computed for another sweep (or before sweeps were "
                          f"verified); {redo(d, k)}")
    diff = sio.fingerprint_differences(meta.get("fingerprint") or {}, done.get("fingerprint") or {})
    if diff:
        raise ConfigError(f"{name} differs from the rest of the sweep in {'; '.join(diff)}, so "
                          f"its runs would not match bit for bit; {redo(d, k)}")
    hashes = done.get("sha256") or {}
    for file in expected_files(meta):
        p = out / file
        if file not in hashes:
            raise ConfigError(f"{name}/{file}: no sha256 recorded in its done.json; {redo(d, k)}")
        if not p.is_file():
            raise ConfigError(f"{name}/{file} is missing; {redo(d, k)}")
        if sio.sha256_file(p) != hashes[file]:
            raise ConfigError(f"{name}/{file} does not match the sha256 its done.json records "
                              f"(changed or swapped after it was written); {redo(d, k)}")
    return done
