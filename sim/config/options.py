"""The options of the config groups: policies and scenarios are YAML files under ``configs/``."""

from __future__ import annotations

import functools
from pathlib import Path

from omegaconf import DictConfig, ListConfig, OmegaConf

from sim.config.params import check_fields
from sim.config.schema import PolicyConfig
from sim.errors import ConfigError

__all__ = ["CONFIG_DIR", "policy_names", "scenario_names", "load_policy", "writable",
           "hydra_message"]

CONFIG_DIR = Path(__file__).resolve().parent.parent.parent / "configs"


def writable(node):
    """Frozen dataclasses make read-only nodes; Hydra must merge YAML onto them, so lift the flag.
    The objects built by :func:`to_config` are frozen again."""
    node._set_flag("readonly", None)
    if isinstance(node, DictConfig):
        for key in node.keys():
            writable(node._get_node(key))
    elif isinstance(node, ListConfig):
        for i in range(len(node)):
            writable(node._get_node(i))
    return node


def hydra_message(exc: BaseException) -> str:
    """The messages of an exception and its causes, one per line."""
    parts = []
    while exc is not None:
        text = str(exc).strip()
        if text and text not in parts:
            parts.append(text)
        exc = exc.__cause__ or exc.__context__
    return "\n".join(parts)


def _options(group: str) -> list[str]:
    return sorted(p.stem for p in (CONFIG_DIR / group).glob("*.yaml"))


@functools.cache
def policy_names() -> tuple[str, ...]:
    """The registered lead policies (``configs/policy/*.yaml``)."""
    return tuple(_options("policy"))


def scenario_names() -> tuple[str, ...]:
    """The shipped scenarios (``configs/scenario/*.yaml``)."""
    return tuple(_options("scenario"))


@functools.cache
def load_policy(name: str) -> PolicyConfig:
    """A registered policy's parameters, read from its YAML option and checked by the schema."""
    if name not in policy_names():
        raise ConfigError(f"unknown policy {name!r} (known: {', '.join(policy_names())})")
    schema = writable(OmegaConf.structured(PolicyConfig))
    try:
        node = OmegaConf.merge(schema, OmegaConf.load(CONFIG_DIR / "policy" / f"{name}.yaml"))
    except Exception as exc:
        raise ConfigError(f"configs/policy/{name}.yaml: {hydra_message(exc)}") from None
    policy = OmegaConf.to_object(node)
    check_fields(f"policy[{name}]", policy)
    return policy
