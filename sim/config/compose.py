"""Hydra composition: the schemas registered with Hydra's ConfigStore, composing a run's
configuration, and turning what Hydra composed into a validated, typed :class:`RunConfig`.

Library use (notebooks, tests)::

    from sim.config import compose
    cfg = compose(["scenario=baseline", "policy=steady", "trust.asymmetry=4"])

A scenario or policy is an option of its config group: a YAML file under ``configs/``.
"""

from __future__ import annotations

import dataclasses
import functools

from omegaconf import DictConfig, ListConfig, OmegaConf, open_dict

from sim.config.checks import check_config
from sim.config.options import CONFIG_DIR, hydra_message, suggest, writable
from sim.config.schema import ChunkConfig, RunConfig, SweepRootConfig
from sim.errors import ConfigError

__all__ = ["register_configs", "compose", "compose_raw", "to_config", "config_hash",
           "refuse_timeline_override"]

@functools.cache
def register_configs() -> None:
    """Register the schemas with Hydra's ConfigStore (idempotent)."""
    from hydra.core.config_store import ConfigStore

    cs = ConfigStore.instance()
    cs.store(name="run_schema", node=writable(OmegaConf.structured(RunConfig)))
    cs.store(name="sweep_schema", node=writable(OmegaConf.structured(SweepRootConfig)))
    cs.store(name="chunk_schema", node=writable(OmegaConf.structured(ChunkConfig)))


def compose(overrides: list[str] | tuple[str, ...] = (), *, validate_config: bool = True) -> RunConfig:
    """Compose a run's configuration with Hydra's compose API and return the validated, typed object.

    Args:
        overrides: Hydra overrides, e.g. ``["scenario=baseline", "trust.asymmetry=4", "seed=3"]``.
        validate_config: run :func:`~sim.config.checks.check_config` (ranges and the scenario's
            consistency).

    Raises:
        ConfigError: naming the key, the value and what is allowed.
    """
    refuse_timeline_override(overrides)
    from sim.config.files import has_file_options

    if has_file_options(overrides):   # a file may change between calls: never cached
        return to_config(compose_raw("config", overrides), validate_config=validate_config)
    return _compose_cached(tuple(overrides), validate_config)


@functools.lru_cache(maxsize=256)
def _compose_cached(overrides: tuple[str, ...], validate_config: bool) -> RunConfig:
    return to_config(compose_raw("config", overrides), validate_config=validate_config)


def compose_raw(config_name: str, overrides=(), *, config_dirs=(),
                return_hydra_config: bool = False) -> DictConfig:
    """Compose ``configs/<config_name>.yaml`` with Hydra's compose API (no validation).

    The option files it selects are checked first to be plain data of their group
    (:mod:`sim.config.files`): nothing in a scenario or experiment file can run code or reach
    outside its group. ``scenario=path/to/file.yaml`` selects a scenario file anywhere
    (:func:`sim.config.files.stage_files`). Errors are one line (:class:`ConfigError`)."""
    import tempfile

    from sim.config import files

    overrides = [str(o) for o in overrides]
    if not files.has_file_options(overrides):
        return _compose_raw(config_name, overrides, config_dirs, return_hydra_config)
    with tempfile.TemporaryDirectory(prefix="sim-files-") as folder:
        staged, _ = files.stage_files(overrides, folder, config_dirs)
        return _compose_raw(config_name, staged, config_dirs, return_hydra_config)


def _compose_raw(config_name: str, overrides, config_dirs, return_hydra_config) -> DictConfig:
    from hydra import compose as hydra_compose
    from hydra import initialize_config_dir
    from hydra.core.global_hydra import GlobalHydra

    from sim.config import files

    register_configs()
    roots = files.check_overrides(config_name, overrides, config_dirs)
    composed = files.with_searchpath(overrides, config_dirs)
    was_initialized = GlobalHydra.instance().is_initialized()
    if was_initialized:  # e.g. inside a running Hydra app: compose against our own config dir
        saved = GlobalHydra.instance().hydra
        GlobalHydra.instance().clear()
    try:
        with initialize_config_dir(config_dir=str(CONFIG_DIR), version_base="1.3"):
            try:
                cfg = hydra_compose(config_name=config_name, overrides=composed,
                                    return_hydra_config=True)
            except Exception as exc:  # Hydra/OmegaConf errors: one line naming the key
                raise ConfigError(hydra_message(exc, overrides)) from None
    finally:
        if was_initialized:
            GlobalHydra.instance().initialize(saved)
    files.check_choices(OmegaConf.to_container(cfg.hydra.runtime.choices), roots)
    if not return_hydra_config:
        with open_dict(cfg):
            del cfg["hydra"]
    return cfg


def to_config(cfg: DictConfig | RunConfig, *, validate_config: bool = True) -> RunConfig:
    """Turn a composed ``DictConfig`` (e.g. the one a Hydra app receives) into a validated
    :class:`RunConfig`."""
    if isinstance(cfg, RunConfig):
        obj = cfg
    else:
        node = cfg
        if not OmegaConf.is_config(node):
            node = OmegaConf.create(node)
        schema = OmegaConf.structured(RunConfig)
        writable(schema)
        known = {f.name for f in dataclasses.fields(RunConfig)} | {"hydra"}
        unknown = [str(k) for k in node.keys() if str(k) not in known]
        if unknown:
            raise ConfigError(f"unknown configuration key(s) {', '.join(map(repr, unknown))} "
                              f"(known: {', '.join(sorted(known - {'hydra'}))})"
                              + suggest(unknown[0], sorted(known - {"hydra"})))
        _check_keys(node, RunConfig, "")
        try:
            merged = OmegaConf.merge(schema, node)
            obj = OmegaConf.to_object(merged)
        except Exception as exc:
            raise ConfigError(hydra_message(exc)) from None
    obj = _append_events(obj)
    if validate_config:
        check_config(obj)
    return obj


def _check_keys(node, cls, path: str) -> None:
    """Every key of ``node`` is a field of the dataclass ``cls`` (recursively, through nested
    dataclasses and ``dict[str, <dataclass>]``): one line with a "did you mean" otherwise."""
    import typing

    if not isinstance(node, DictConfig) or not dataclasses.is_dataclass(cls):
        return
    hints = typing.get_type_hints(cls)
    fields = [f.name for f in dataclasses.fields(cls)]
    for key in node.keys():
        key = str(key)
        where = f"{path}{key}"
        if key not in hints:
            if not path and key == "hydra":
                continue
            raise ConfigError(f"{where}: unknown key (not in {cls.__name__})"
                              + (suggest(key, fields, path) or f"; known: {', '.join(fields)}"))
        kind = hints[key]
        try:
            child = node._get_node(key)
        except Exception:  # noqa: BLE001 - missing or interpolated: the merge reports it
            continue
        if dataclasses.is_dataclass(kind):
            _check_keys(child, kind, f"{where}.")
        elif typing.get_origin(kind) is dict and isinstance(child, DictConfig):
            value_type = typing.get_args(kind)[1]
            for name in child.keys():
                _check_keys(child._get_node(name), value_type, f"{where}.{name}.")


def config_hash(cfg: RunConfig, *, exclude=("output",)) -> str:
    """A short, stable hash of the resolved configuration (without output options)."""
    import hashlib
    import json

    data = dataclasses.asdict(cfg)
    for key in exclude:
        data.pop(key, None)
    text = json.dumps(data, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _append_events(cfg: RunConfig) -> RunConfig:
    """``scenario.add_events`` are appended to the scenario's own timeline (so a command line can
    add events without replacing the timeline: ``scenario.add_events=[...]``)."""
    s = cfg.scenario
    if not s.add_events:
        return cfg
    return dataclasses.replace(cfg, scenario=dataclasses.replace(
        s, events=[*s.events, *s.add_events], add_events=[]))


def refuse_timeline_override(overrides) -> None:
    """Refuse a command-line override that would silently replace a scenario's whole timeline."""
    for o in overrides:
        key, _, value = str(o).lstrip("+~").partition("=")
        if key == "scenario.events" and value.strip() not in ("", "[]", "null"):
            raise ConfigError(f"{o!r} would replace the scenario's whole timeline; to add events "
                              "write scenario.add_events=[...] (or write a scenario file)")
