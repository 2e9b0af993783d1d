"""The parameter registry: every parameter declared once, and the one grammar of their names.

A parameter that can vary per run (in a sweep, a calibration or the explorer) is named

* ``<group>.<name>`` for the rule groups and the lead's policy: ``trust.asymmetry``,
  ``decision.noise_scale``, ``policy.building``, ...;
* ``missions.<mission>.<field>`` for a mission's data in the scenario (``missions.barkhane.risk``);
  the same value is ``scenario.missions.<mission>.<field>`` on the command line.

:func:`parse_parameter` is the only place these names are parsed; validation, designs, the
ensemble, collection, calibration, the explorer and the ODD tables all call it. Each
:class:`Parameter` carries its declared default, range, unit and meaning (from
:func:`sim.config.schema.param`).
"""

from __future__ import annotations

import dataclasses
import difflib
import math
from dataclasses import dataclass
from typing import Any, Mapping

from sim.config.schema import PARAMETER_GROUPS, MissionSpec, PolicyConfig, RunConfig
from sim.errors import ConfigError

__all__ = ["Parameter", "VARIABLE_GROUPS", "POLICY_PARAMETERS", "parse_parameter", "parameters",
           "check_value", "check_fields", "format_range", "value_of", "with_values",
           "declared_fields"]

# Groups whose parameters can vary per run.
VARIABLE_GROUPS = ("trust", "decision", "operations", "capacity", "grievance", "mechanisms",
                   "policy",
                   "missions")

# The policy parameters that are numbers (stacked into the drivers' policy table).
POLICY_PARAMETERS = tuple(f.name for f in dataclasses.fields(PolicyConfig)
                          if f.name not in ("name", "description"))


@dataclass(frozen=True)
class Parameter:
    """A declared parameter (for a mission field, ``mission`` names the mission)."""

    name: str                  # as written in a design: trust.asymmetry, missions.barkhane.risk
    group: str                 # trust, decision, operations, capacity, grievance, policy, missions
    field: str                 # the schema field
    mission: str | None
    default: Any
    low: float | None
    high: float | None
    low_open: bool
    high_open: bool
    unit: str
    doc: str
    integer: bool

    @property
    def key(self) -> str:
        """The name within its group (``asymmetry``; ``barkhane.risk`` for a mission field)."""
        return f"{self.mission}.{self.field}" if self.mission is not None else self.field

    @property
    def is_lever(self) -> bool:
        """A lever is what the lead controls (its policy); everything else is an uncertainty."""
        return self.group == "policy"


def declared_fields(cls) -> dict[str, dataclasses.Field]:
    """The fields of a schema class declared with :func:`~sim.config.schema.param`."""
    return {f.name: f for f in dataclasses.fields(cls) if "range" in f.metadata}


def _parameter(name, group, f, mission=None) -> Parameter:
    meta = f.metadata
    lo, hi = meta["range"]
    return Parameter(name=name, group=group, field=f.name, mission=mission, default=f.default,
                     low=lo, high=hi, low_open=meta["lo_open"], high_open=meta["hi_open"],
                     unit=meta["unit"], doc=meta["doc"],
                     integer=f.type in (int, "int", "Optional[int]"))


def _suggest(word: str, options) -> str:
    close = difflib.get_close_matches(word, list(options), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def parse_parameter(name: str, *, missions=None) -> Parameter:
    """The declared parameter a name refers to.

    Args:
        name: ``<group>.<name>`` or ``missions.<mission>.<field>``.
        missions: the scenario's mission names, to check a mission field's mission (optional).

    Raises:
        ConfigError: one line naming the parameter and what is known.
    """
    group, _, rest = str(name).partition(".")
    if group == "missions":
        mission, _, fld = rest.rpartition(".")
        fields = declared_fields(MissionSpec)
        if not mission or fld not in fields:
            raise ConfigError(f"unknown parameter {name!r}: write missions.<mission>.<field> with "
                              f"field in {', '.join(fields)}{_suggest(fld, fields)}")
        if missions is not None and mission not in missions:
            raise ConfigError(f"unknown parameter {name!r}: no mission {mission!r} in the scenario "
                              f"(its missions: {', '.join(missions)}){_suggest(mission, missions)}")
        return _parameter(name, "missions", fields[fld], mission)
    if group not in VARIABLE_GROUPS:
        raise ConfigError(f"unknown parameter {name!r}: only parameters of "
                          f"{', '.join(VARIABLE_GROUPS)} can vary per run"
                          + _suggest(group, VARIABLE_GROUPS))
    fields = declared_fields(PARAMETER_GROUPS[group])
    if rest not in fields:
        raise ConfigError(f"unknown parameter {name!r} (known in {group}: "
                          f"{', '.join(fields)}){_suggest(rest, fields)}")
    return _parameter(name, group, fields[rest])


def parameters(groups=tuple(PARAMETER_GROUPS)) -> list[Parameter]:
    """Every declared parameter of the given schema groups, then the mission fields (as
    ``missions.<mission>.<field>``)."""
    out = []
    for group in groups:
        for f in declared_fields(PARAMETER_GROUPS[group]).values():
            out.append(_parameter(f"{group}.{f.name}", group, f))
    for f in declared_fields(MissionSpec).values():
        out.append(_parameter(f"missions.<mission>.{f.name}", "missions", f, "<mission>"))
    return out


def format_range(low, high, low_open=False, high_open=False) -> str:
    left, right = ("(" if low_open else "["), (")" if high_open else "]")
    lo = "-inf" if low is None else f"{low:g}"
    hi = "inf" if high is None else f"{high:g}"
    return f"{left}{lo}, {hi}{right}"


def check_value(p: Parameter, value, path: str | None = None) -> None:
    """Refuse a value outside the declared range, a non-finite one, or a non-number (one line)."""
    path = path or p.name
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ConfigError(f"{path}={value!r} must be a number ({p.doc})")
    if p.integer and value != int(value):
        raise ConfigError(f"{path}={value!r} must be a whole number ({p.doc})")
    lo, hi = p.low, p.high
    bad = not math.isfinite(value)
    bad |= lo is not None and (value < lo or (p.low_open and value == lo))
    bad |= hi is not None and (value > hi or (p.high_open and value == hi))
    if bad:
        raise ConfigError(f"{path}={value!r} is out of range: allowed "
                          f"{format_range(lo, hi, p.low_open, p.high_open)} ({p.doc})")


def value_of(cfg: RunConfig, name: str) -> float:
    """A parameter's value in a configuration."""
    p = parse_parameter(name, missions=list(cfg.scenario.missions))
    if p.group == "missions":
        return getattr(cfg.scenario.missions[p.mission], p.field)
    return getattr(getattr(cfg, p.group), p.field)


def with_values(cfg: RunConfig, values: Mapping[str, float]) -> RunConfig:
    """A copy of ``cfg`` with the named parameters set (not validated: call ``check_config``)."""
    missions = list(cfg.scenario.missions)
    changes: dict[str, dict[str, Any]] = {}
    mission_changes: dict[str, dict[str, Any]] = {}
    for name, value in values.items():
        p = parse_parameter(name, missions=missions)
        v = int(value) if p.integer else float(value)
        if p.group == "missions":
            mission_changes.setdefault(p.mission, {})[p.field] = v
        else:
            changes.setdefault(p.group, {})[p.field] = v
    new = {g: dataclasses.replace(getattr(cfg, g), **v) for g, v in changes.items()}
    if mission_changes:
        specs = dict(cfg.scenario.missions)
        for mission, v in mission_changes.items():
            specs[mission] = dataclasses.replace(specs[mission], **v)
        new["scenario"] = dataclasses.replace(cfg.scenario, missions=specs)
    return dataclasses.replace(cfg, **new)


def check_fields(prefix: str, obj) -> None:
    """Check every declared field of a schema object (``None``: not given, drawn or defaulted)."""
    for f in declared_fields(type(obj)).values():
        value = getattr(obj, f.name)
        if value is not None:
            check_value(_parameter(f"{prefix}.{f.name}", prefix, f), value)
