"""The options of the config groups: policies and scenarios are YAML files under ``configs/``."""

from __future__ import annotations

import dataclasses
import difflib
import functools
import re
from pathlib import Path

from omegaconf import DictConfig, ListConfig, OmegaConf

from sim.config.params import check_fields
from sim.config.schema import PolicyConfig
from sim.errors import ConfigError

__all__ = ["CONFIG_DIR", "policy_names", "scenario_names", "load_policy", "writable",
           "hydra_message", "suggest"]

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


def suggest(word: str, options, prefix: str = "") -> str:
    """`` (did you mean 'x'?)`` for the closest of ``options`` (difflib), or ``""``."""
    close = difflib.get_close_matches(str(word), [str(o) for o in options], n=1, cutoff=0.6)
    return f" (did you mean {prefix + close[0]!r}?)" if close else ""


def _known(options, limit=12) -> str:
    options = [str(o) for o in options]
    more = f", ... ({len(options) - limit} more)" if len(options) > limit else ""
    return ", ".join(options[:limit]) + more


def _override_value(key: str, overrides) -> str | None:
    for o in overrides or ():
        k, sep, v = str(o).lstrip("+~").partition("=")
        if sep and k == key:
            return v
    return None


def _omegaconf_line(e, overrides) -> str:
    from omegaconf.errors import ConfigAttributeError, ConfigKeyError

    full_key = str(e.full_key)
    head = str(e).strip().splitlines()[0].strip()
    value = _override_value(full_key, overrides)
    where = f"{full_key}={value}" if value is not None else full_key
    if isinstance(e, (ConfigAttributeError, ConfigKeyError)):
        parent, _, key = full_key.rpartition(".")
        prefix = f"{parent}." if parent else ""
        known: list[str] = []
        obj = getattr(e, "object_type", None)
        if dataclasses.is_dataclass(obj):
            known = [f.name for f in dataclasses.fields(obj)]
        else:
            node = getattr(e, "parent_node", None)
            if isinstance(node, DictConfig):
                known = [str(k) for k in node.keys()]
        hint = suggest(key, known, prefix) if known else ""
        if not hint and known:
            hint = f" (known in {parent or 'the configuration'}: {_known(known)})"
        return f"{where}: unknown key: {head}{hint}"
    return f"{where}: {head}"


def hydra_message(exc: BaseException, overrides=()) -> str:
    """One line for an error Hydra or OmegaConf raised while composing or merging: the key (and
    the value given for it), what went wrong, and a "did you mean" for a mistyped key or option.
    Never Hydra's advice to append with ``+key=...`` (which would only fail later)."""
    from omegaconf.errors import OmegaConfBaseException

    chain = []
    while exc is not None and exc not in chain:
        chain.append(exc)
        exc = exc.__cause__ or exc.__context__
    for e in chain:
        if isinstance(e, OmegaConfBaseException) and getattr(e, "full_key", None):
            return _omegaconf_line(e, overrides)
    for e in chain:
        text = str(e)
        m = re.search(r"Could not find '([^']+)'", text)
        if m:
            group, _, option = m.group(1).rpartition("/")
            available = re.findall(r"^\t(\S+)$", text, re.M)
            allowed = (f": allowed {group} options: {', '.join(sorted(available))}" if available
                       else f": {group or 'the config'} has no option {option!r}")
            return f"{group}={option}: Could not find '{m.group(1)}'{allowed}" + \
                suggest(option, available)
    for e in chain:
        if type(e).__name__ == "OverrideParseException":
            lines = [ln.strip() for ln in str(e).splitlines() if ln.strip()]
            link = [ln for ln in lines if ln.startswith("See ")]
            lines = [ln for ln in lines if not ln.startswith("See ")]
            return ": ".join(lines) + " (an override is key=value, e.g. trust.asymmetry=2" + \
                (f"; {link[0][4:].strip()}" if link else "") + ")"
    parts = []
    for e in chain:
        for line in str(e).strip().splitlines():
            line = line.strip()
            if (not line or line.startswith(("To append to your config", "Config search path",
                                             "provider=", "full_key:", "object_type=",
                                             "reference_type="))
                    or line in parts):
                continue
            parts.append(line)
            break
    return "; ".join(parts) or type(chain[0]).__name__ if chain else "unknown error"


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
