"""The Mesa agents: views of the model's state, the mesa-frames way.

The state (:class:`~sim.core.state.State`, R = 1) holds every value; an agent reads and writes its
own slice of it. An :class:`Ally`'s per-ally values (``trust``, ``capacity``, ``grievance``, ...)
are floats and its per-mission values (``member``, ``contribution``, ``perception``, ...) arrays of
length M; the :class:`LeadNation`'s per-mission values are arrays of length M; a
:class:`Mission`'s values are floats. So ``model.agents``, AgentSet queries
(``model.agents_by_type[Ally].select(lambda a: a.trust < 0.5)``), DataCollector reporters and the
explorer see the agents as Mesa agents, while the month is advanced by the one schedule on arrays.
"""

from __future__ import annotations

import dataclasses

import numpy as np
from mesa import Agent

from sim.core.state import Allies, Lead, Missions

__all__ = ["Ally", "LeadNation", "Mission"]


def _ally_view(name: str, shape: str):
    def get(self):
        v = getattr(self.model.state.allies, name)
        return v[0, 0, self.index].item() if shape == "A" else v[0, :, self.index]

    def put(self, value):
        v = getattr(self.model.state.allies, name)
        if shape == "A":
            v[0, 0, self.index] = value
        else:
            v[0, :, self.index] = value
    return property(get, put, doc=f"this ally's {name} (a view of the state)")


def _lead_view(name: str, shape: str):
    def get(self):
        v = getattr(self.model.state.lead, name)
        return v[0, :, 0] if shape == "M" else (v[0].item() if shape == "R" else v[0, 0, 0].item())

    def put(self, value):
        v = getattr(self.model.state.lead, name)
        if shape == "M":
            v[0, :, 0] = value
        elif shape == "R":
            v[0] = value
        else:
            v[0, 0, 0] = value
    return property(get, put, doc=f"the lead's {name} (a view of the state)")


def _mission_view(name: str):
    def get(self):
        return getattr(self.model.state.missions, name)[0, self.index, 0].item()

    def put(self, value):
        getattr(self.model.state.missions, name)[0, self.index, 0] = value
    return property(get, put, doc=f"this mission's {name} (a view of the state)")


class Ally(Agent):
    """An ally: its trust in the lead, its threat perceptions, and its place in each mission."""

    def __init__(self, model, index: int, name: str):
        super().__init__(model)
        self.index = index
        self.name = name

    @property
    def missions(self) -> list[str]:
        """The missions it is a member of now."""
        names = self.model.world.mission_names
        return [names[j] for j in np.flatnonzero(self.member)]

    def value(self, key: str) -> float:
        """A per-ally value as a float (``ally.value("trust")``), for reporters."""
        return float(getattr(self, key))


class LeadNation(Agent):
    """The lead nation: its forces, enablers, pledges and administration in every mission."""

    @property
    def policy_name(self) -> str:
        """The policy in force."""
        return self.model.setup.policy_names[self.policy_index]


class Mission(Agent):
    """A mission: threat, effectiveness and the local partner force."""

    def __init__(self, model, index: int):
        super().__init__(model)
        self.index = index
        self.name = model.world.mission_names[index]

    @property
    def members(self) -> list[Ally]:
        """The allies that are members of this mission now."""
        return [a for a in self.model.allies if a.member[self.index]]

    @property
    def contributors(self) -> list[Ally]:
        """The members that contribute troops."""
        return [a for a in self.model.allies
                if a.member[self.index] and a.contribution[self.index] > 0.0]


for _f in dataclasses.fields(Allies):
    setattr(Ally, _f.name, _ally_view(_f.name, _f.metadata["shape"]))
for _f in dataclasses.fields(Lead):
    setattr(LeadNation, _f.name, _lead_view(_f.name, _f.metadata["shape"]))
for _f in dataclasses.fields(Missions):
    setattr(Mission, _f.name, _mission_view(_f.name))
del _f
