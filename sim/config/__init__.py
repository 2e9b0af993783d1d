"""Typed configuration: the schema, the parameter registry, Hydra composition and checks.

* :mod:`sim.config.schema`: frozen dataclasses, one per config group; every parameter declared
  once with its range, unit and meaning;
* :mod:`sim.config.params`: the parameter registry and the one grammar of varied names;
* :mod:`sim.config.options`: the config groups' options (policies, scenarios) under ``configs/``;
* :mod:`sim.config.compose`: Hydra's compose API and the typed, validated result;
* :mod:`sim.config.checks`: ranges and the scenario's consistency, one line per problem.

Library use::

    from sim.config import compose
    cfg = compose(["scenario=baseline", "policy=steady", "trust.asymmetry=4"])
"""

from sim.config.checks import check_config, check_scenario, event_step, month_index
from sim.config.compose import compose, compose_raw, config_hash, register_configs, to_config
from sim.config.options import CONFIG_DIR, load_policy, policy_names, scenario_names
from sim.config.schema import (AdministrationChange, AdministrationsConfig, AllySpec, EventSpec,
                               MissionSpec, PolicyConfig, RunConfig, ScenarioConfig, SweepConfig)
from sim.errors import ConfigError

__all__ = ["CONFIG_DIR", "AdministrationChange", "AdministrationsConfig", "AllySpec", "ConfigError",
           "EventSpec", "MissionSpec", "PolicyConfig", "RunConfig",
           "ScenarioConfig", "SweepConfig", "check_config", "check_scenario", "compose",
           "compose_raw", "config_hash", "event_step", "load_policy", "month_index",
           "policy_names", "register_configs", "scenario_names", "to_config"]
