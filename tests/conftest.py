import dataclasses

import numpy as np
import pytest

from sim.config import EventSpec, compose
from sim.config.schema import AdministrationChange, AdministrationsConfig, AllySpec


@pytest.fixture(scope="session")
def baseline():
    return compose(["scenario=baseline"])


def eventful(cfg, *, horizon=48, mode="fixed"):
    """A configuration whose scenario exercises every event kind and an administration change."""
    s = cfg.scenario
    roster = {"framework": AllySpec(force=5000.0, capacity=0.8, threat=0.9,
                                    interest={"stabilisation": 0.4}, opposition=0.3,
                                    election_period=12, election_phase=5),
              "small": AllySpec(force=200.0, capacity=0.3),
              # a contingent in troops (only in the stabilisation mission and its successor), and
              # a late arrival
              "given": AllySpec(capacity=0.5, troops={"stabilisation": 400.0, "after": 300.0},
                                threat=0.7, substitution=0.5),
              "latecomer": AllySpec(force=900.0, capacity=0.6, available_from=6)}
    stab = s.missions["stabilisation"]
    missions = {"stabilisation": dataclasses.replace(stab, framework="framework",
                                                     mandate_end=horizon - 4),
                "intelligence": s.missions["intelligence"],
                "late": dataclasses.replace(stab, framework="framework", mandate_end=horizon - 10,
                                            required_force=3000.0, lead_troops=500.0,
                                            renewal=12, renewal_period=6, successor="after"),
                "after": dataclasses.replace(stab, required_force=2000.0, lead_troops=300.0)}
    events = [
        EventSpec(kind="announcement", step=2, mission="stabilisation", level=0.9, horizon=6),
        EventSpec(kind="withdrawal", step=5, mission="stabilisation", fraction=0.5,
                  consulted=False, notice=False),
        EventSpec(kind="reversal", step=7, mission="stabilisation"),
        EventSpec(kind="withdrawal", step=13, mission="stabilisation", fraction=1.0, troops=False,
                  consulted=True),
        EventSpec(kind="deployment", step=16, mission="stabilisation", fraction=1.0),
        EventSpec(kind="domestic_shock", step=8, size=1.5),
        EventSpec(kind="attack", step=9, ally="small", mission="stabilisation"),
        EventSpec(kind="election", step=10, ally="ally_3"),
        EventSpec(kind="election", step=11),
        EventSpec(kind="withdrawal", step=12, mission="intelligence", fraction=0.3,
                  consulted=True, notice=True, enablers=False),
        EventSpec(kind="administration", step=14, policy="impulsive"),
        EventSpec(kind="announce_withdrawal", step=17, mission="stabilisation", after=4,
                  fraction=0.5, consulted=True),
        EventSpec(kind="announce_withdrawal", step=22, mission="intelligence", after=6),
        EventSpec(kind="cancel_withdrawal", step=25, mission="intelligence"),
        EventSpec(kind="abandon_partner", step=20, mission="stabilisation"),
        EventSpec(kind="mandate_expiry", step=30, mission="intelligence"),
        EventSpec(kind="mission_start", step=8, mission="late"),
        EventSpec(kind="withdrawal", step=20, mission="late", fraction=0.5),
        EventSpec(kind="lead_troops", step=3, mission="stabilisation", personnel=8000.0),
        EventSpec(kind="lead_troops", step=26, mission="stabilisation", personnel=1000.0,
                  consulted=False, notice=False),
        EventSpec(kind="ally_exit", step=6, ally="ally_1", mission="stabilisation", months=10),
        EventSpec(kind="ally_exit", step=9, ally="ally_2"),
        EventSpec(kind="ally_entry", step=7, ally="latecomer", mission="stabilisation"),
        EventSpec(kind="home_attack", step=10, ally="ally_4"),
        EventSpec(kind="ally_shock", step=11, ally="ally_5", opposition=0.4, cost=0.5,
                  threat=-0.2),
        EventSpec(kind="mission_shock", step=15, mission="stabilisation", risk=0.1),
        EventSpec(kind="abandon_partner", step=18, mission="late", fraction=0.5, leave=False),
        EventSpec(kind="support_partner", step=23, mission="late", fraction=0.5),
    ]
    if mode == "fixed":
        adm = AdministrationsConfig(mode="fixed", schedule=[
            AdministrationChange(step=24, policy="steady")])
    else:
        adm = AdministrationsConfig(mode="alternate", cycle=["steady", "impulsive"], p_change=0.7)
    allies = dataclasses.replace(s.allies, n=12, roster=roster)
    network = dataclasses.replace(s.network, blocs={"unit": ["framework", "given", "ally_0"]})
    scen = dataclasses.replace(s, name="eventful", horizon=horizon, missions=missions,
                               events=events, administrations=adm, allies=allies,
                               network=network,
                               lead=dataclasses.replace(s.lead, election_period=12,
                                                        election_phase=3))
    return dataclasses.replace(cfg, scenario=scen)


def assert_same_history(mesa_hist, ens_result, k):
    for group in ("steps", "missions", "allies"):
        ens = getattr(ens_result, group)
        for key, values in mesa_hist[group].items():
            a, b = values[:, 0], ens[key][:, k]
            if not np.array_equal(a, b):
                where = np.argwhere(a != b)[0]
                raise AssertionError(f"{group}.{key} differs first at index {where.tolist()}: "
                                     f"mesa {a[tuple(where)]!r} vs ensemble {b[tuple(where)]!r}")
