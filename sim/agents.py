"""The Mesa agents: the lead nation, the allies and the missions.

Each agent holds its own state and advances it by calling the rule functions of
:mod:`sim.rules.phases` on its own values: an ally's per-ally values are ``(1, 1)`` arrays and its
per-mission values ``(M, 1)`` arrays; the lead's per-mission values are ``(M, 1)`` arrays; a mission's
values are scalars. The model (:mod:`sim.model`) gathers what an agent needs to know about the
others (aggregates over allies) and hands it over, so that every ally decides on the same, previous
state (simultaneous update).
"""

from __future__ import annotations

import numpy as np
from mesa import Agent

from sim import rng
from sim.rules import decisions as dec
from sim.rules import events as evr
from sim.rules import missions as mis
from sim.rules import phases
from sim.rules import trust as tr
from sim.rules.capacity import consult_perception
from sim.world import policy_namespace

__all__ = ["Ally", "LeadNation", "Mission"]


def _col(x, dtype=np.float64):
    return np.asarray(x, dtype=dtype).reshape(-1, 1).copy()


class LeadNation(Agent):
    """The lead nation: its forces, enablers, pledges and administration in every mission."""

    def __init__(self, model, world):
        super().__init__(model)
        m = world.n_missions
        p = model.params
        self.troops0 = _col(world.lead_troops)
        self.enablers0 = _col(world.lead_enablers)
        active0 = _col(world.initially_active, bool)
        self.troops = np.where(active0, self.troops0, 0.0)
        self.enablers = np.where(active0, self.enablers0, 0.0)
        self.level = phases.pol.action_level(self.troops, self.enablers, self.troops0,
                                             troop_weight=p["trust"].troop_weight)
        self.level_ref = phases.pol.action_level(self.troops0, self.enablers0, self.troops0,
                                                 troop_weight=p["trust"].troop_weight)
        self.cut_troops = np.zeros((m, 1))
        self.cut_enablers = np.zeros((m, 1))
        self.prev_cut_troops = np.zeros((m, 1))
        self.prev_cut_enablers = np.zeros((m, 1))
        self.started = np.zeros((m, 1), dtype=bool)
        self.open_step = np.full((m, 1), -1, dtype=np.int64)
        self.pending = np.full((m, 1), -1, dtype=np.int64)
        self.impulse_out = np.zeros((m, 1), dtype=np.int64)
        self.pledge_level = np.zeros((m, 1))
        self.pledge_until = np.full((m, 1), -1, dtype=np.int64)
        self.policy_index = model.initial_policy_index
        self.admin_start = 0
        self.reversals = 0.0
        self.consulted = np.zeros((1, world.n_allies))
        self._ent_m = rng.entity_id(0, np.arange(m).reshape(m, 1))
        self._ent_allies = rng.entity_id(np.arange(world.n_allies).reshape(1, -1))

    @property
    def policy_name(self) -> str:
        return self.model.policy_names[self.policy_index]

    def policy(self):
        return policy_namespace(self.model.policy_table[self.policy_index])

    def _u(self, step, entity, purpose):
        return rng.uniform(self.model.seed, self.model.run, step, entity, purpose)

    def administration(self, step, flags):
        """Phase 1: a change of administration (fixed schedule, random alternation, or an event)."""
        world = self.model.world
        changed = flags["admin_policy"] >= 0
        new_index = flags["admin_policy"] if changed else self.policy_index
        if world.admin_mode == "fixed":
            for at, idx in world.admin_schedule:
                if at == step:
                    changed, new_index = True, idx
        elif world.admin_mode == "alternate":
            calendar = bool(evr.is_lead_election(step, period=world.lead_election_period,
                                                 phase=world.lead_election_phase))
            if calendar or flags["lead_election"]:
                u = self._u(step, rng.entity_id(0, -1), rng.Purpose.ADMINISTRATION)
                idx, ch = evr.next_administration(new_index, u,
                                                  next_policy=self.model.next_policy,
                                                  p_change=world.admin_p_change)
                if bool(ch):
                    changed, new_index = True, int(idx)
        if changed:
            self.policy_index = int(new_index)
            self.admin_start = step
            self.started = np.zeros_like(self.started)
            self.open_step = np.full_like(self.open_step, -1)
            for ally in self.model.allies:
                ally.new_administration()

    def act(self, step, receiver_capacity, active, flags):
        """Phase 2: deployments, enablers, impulsive moves, pledges, and whom to consult."""
        p = self.model.params
        pol = self.policy()
        P = rng.Purpose
        plan = phases.lead_plan(
            step, step - self.admin_start, self.started, self.open_step, receiver_capacity,
            self.troops0, self.enablers0, self.cut_troops, self.cut_enablers, self.pending,
            self.impulse_out, self._u(step, self._ent_m, P.IMPULSE_ANNOUNCE),
            self._u(step, self._ent_m, P.IMPULSE_CARRY_OUT),
            self._u(step, self._ent_m, P.IMPULSE_RETURN), active, pol,
            troop_weight=p["trust"].troop_weight)
        pledge = phases.pledge_update(
            step, plan["level"], plan["troops"], plan["enablers"], self.troops0,
            plan["months_open"], plan["handover_possible"], self.pledge_level, self.pledge_until,
            active, pol, troop_weight=p["trust"].troop_weight,
            tolerance=p["trust"].pledge_tolerance)
        self.level_prev = self.level
        for key in ("troops", "enablers", "level", "started", "open_step", "pending",
                    "impulse_out"):
            setattr(self, key, plan[key])
        self.pledge_level, self.pledge_until = pledge["pledge_level"], pledge["pledge_until"]
        self.consulted = np.where(self._u(step, self._ent_allies, P.CONSULT) < pol.p_consult,
                                  1.0, 0.0)
        reversed_ = plan["reversed"] | flags["reversed"] | pledge["broken"]
        self.reversals = self.reversals + float(np.sum(reversed_))
        self.moves = {"announced_withdrawal": plan["announced"], "carried_out": plan["carried"],
                      "reversed": reversed_, "pledged": pledge["announced"] > 0.0,
                      "pledge_broken": pledge["broken"]}
        # what allies can observe of the lead this month
        self.seen = {
            "level_prev": self.level_prev, "level": self.level, "ended": flags["ended"],
            "kept": pledge["kept"], "fulfilled": pledge["fulfilled"],
            "reversed": np.where(reversed_, 1.0, 0.0),
            "announced_withdrawal": np.where(plan["announced"], 1.0, 0.0),
            "announced_pledge": pledge["announced"] + flags["pledged"],
            "abandoned": flags["abandoned"],
            "notice": np.where(plan["carried"] | flags["no_notice"], 0.0, 1.0),
            "cut_unconsulted": plan["carried"] | flags["unconsulted"],
        }
        self.demand = pol.demand
        self.building = pol.building

    # events ----------------------------------------------------------------------------------
    def withdraw(self, j, fraction, enablers, troops=True):
        self.prev_cut_troops[j, 0] = self.cut_troops[j, 0]
        self.prev_cut_enablers[j, 0] = self.cut_enablers[j, 0]
        if troops:
            self.cut_troops[j, 0] = evr.withdraw(self.cut_troops[j, 0], fraction)
        if enablers:
            self.cut_enablers[j, 0] = evr.withdraw(self.cut_enablers[j, 0], fraction)

    def deploy(self, j, fraction, enablers, troops=True):
        if troops:
            self.cut_troops[j, 0] = evr.deploy(self.cut_troops[j, 0], fraction)
        if enablers:
            self.cut_enablers[j, 0] = evr.deploy(self.cut_enablers[j, 0], fraction)

    def reverse(self, j):
        self.cut_troops[j, 0] = self.prev_cut_troops[j, 0]
        self.cut_enablers[j, 0] = self.prev_cut_enablers[j, 0]

    def abandon(self, j):
        self.prev_cut_troops[j, 0] = self.cut_troops[j, 0]
        self.prev_cut_enablers[j, 0] = self.cut_enablers[j, 0]
        self.cut_troops[j, 0] = 1.0
        self.cut_enablers[j, 0] = 1.0

    def pledge(self, j, level, until):
        self.pledge_level[j, 0] = level
        self.pledge_until[j, 0] = until


class Mission(Agent):
    """A mission: threat, effectiveness and the local partner force."""

    def __init__(self, model, index, world):
        super().__init__(model)
        self.index = index
        self.name = world.mission_names[index]
        self.is_core = bool(world.is_core[index])
        self.required_force = float(world.required_force[index])
        self.risk = float(world.risk[index])
        self.partner_force = float(world.partner_force[index])
        self.threat0 = float(world.threat[index])
        self.mandate_end = int(world.mandate_end[index])
        self.threat = self.threat0
        self.partner_capacity = float(world.partner_capacity[index])
        self.partner_dependence = float(world.partner_dependence[index])
        self.active = bool(world.initially_active[index])
        self.effectiveness = 0.0
        self.eff_without_lead = 0.0

    @property
    def members(self):
        """The allies that are members of this mission now (a view on the allies' state)."""
        return [a for a in self.model.allies if a.member[self.index, 0]]

    @property
    def contributors(self):
        return [a for a in self.model.allies if a.member[self.index, 0]
                and a.contribution[self.index, 0] > 0.0]

    def assess(self, lead, ally_troops, ally_capable_troops, coverage):
        """Phase 7 (first part): effectiveness from the forces now in place."""
        j = self.index
        out = phases.mission_outcome(
            lead.troops[j, 0], lead.enablers[j, 0], ally_troops, ally_capable_troops, coverage,
            self.partner_force, self.partner_capacity, self.required_force, self.is_core,
            self.active, self.model.params["operations"])
        self.effectiveness = out["effectiveness"]
        self.eff_without_lead = out["eff_without_lead"]
        self.troop_fraction = out["troop_fraction"]
        self.enabler_fraction = out["enabler_fraction"]
        self.ally_enablers = out["ally_enablers"]

    def evolve(self, lead):
        """Phase 7 (second part): threat and the local partner's capacity and dependence."""
        ops, capp = self.model.params["operations"], self.model.params["capacity"]
        j = self.index
        self.threat = mis.update_threat(self.threat, self.effectiveness, growth=ops.threat_growth,
                                        suppression=ops.threat_suppression,
                                        resurgence=ops.threat_resurgence)
        self.partner_capacity = mis.update_partner_capacity(
            self.partner_capacity, self.partner_dependence, self.enabler_fraction, lead.building,
            1.0 if self.active else 0.0, growth=capp.partner_growth, decay=capp.partner_decay,
            collapse_rate=capp.collapse_rate)
        self.partner_dependence = mis.update_dependence(self.partner_dependence,
                                                        self.partner_capacity,
                                                        rate=capp.dependence_rate)


class Ally(Agent):
    """An ally: its trust in the lead, its threat perceptions, and its place in each mission."""

    def __init__(self, model, index, name, attrs):
        super().__init__(model)
        self.index = index
        self.name = name
        tp = model.params["trust"]
        for key in ("force", "capacity", "cost_sensitivity", "exit_threshold", "opposition",
                    "slope", "fear", "weight", "election_period", "election_phase"):
            setattr(self, key, attrs[key][..., index:index + 1].reshape(1, 1).copy())
        self.perception = attrs["perception"][..., index:index + 1].reshape(-1, 1).copy()
        self.baseline = self.perception.copy()
        self.interest = attrs["interest"][..., index:index + 1].reshape(-1, 1).copy()
        one = np.ones((1, 1))
        self.r_leader, self.s_leader = one * 0.0, one * 0.0
        self.r_country, self.s_country = one * 0.0, one * 0.0
        self.r_honesty, self.s_honesty = one * 0.0, one * 0.0
        self.damage = np.zeros((1, 1))
        self.grievance = np.zeros((1, 1))
        self.stress = np.zeros((1, 1))
        self._refresh_trust()
        m = model.world.n_missions
        fw = model.world.framework
        self.member = ((fw == index) & model.world.initially_active).reshape(m, 1)
        self.was_member = self.member.copy()
        self.effort = np.where(self.member & ~model.world.is_core.reshape(m, 1), 1.0, 0.0)
        self.contribution = self._contribution()
        self.consulted = 0.0
        self.exits = np.zeros((m, 1), dtype=bool)
        self.joins = np.zeros((m, 1), dtype=bool)
        self._ent = rng.entity_id(index)
        self._ent_m = rng.entity_id(index, np.arange(m).reshape(m, 1))

    def _contribution(self):
        return dec.contribution(self.effort, self.capacity, self.force,
                                max_share=self.model.params["decision"].max_share)

    def _refresh_trust(self):
        tp = self.model.params["trust"]
        a, b = tp.prior_good, tp.prior_bad
        self.trust_leader = tr.beta_trust(self.r_leader, self.s_leader, a, b)
        self.trust_country = tr.beta_trust(self.r_country, self.s_country, a, b)
        self.honesty = tr.beta_trust(self.r_honesty, self.s_honesty, a, b)
        self.trust = tr.combined_trust(self.trust_leader, self.trust_country, self.damage,
                                       leader_weight=tp.leader_weight)

    def _u(self, step, entity, purpose):
        return rng.uniform(self.model.seed, self.model.run, step, entity, purpose)

    # phases ----------------------------------------------------------------------------------
    def new_administration(self):
        """A new leader: the leader stock restarts from the country stock."""
        tp = self.model.params["trust"]
        self.r_leader, self.s_leader = tr.reset_leader_stock(self.r_country, self.s_country,
                                                             carry=tp.leader_carry)
        self._refresh_trust()

    def observe_and_update(self, seen, consulted, neighbour_share, active, shock):
        """Phases 3-4: turn what it saw into evidence, then update trust, honesty and damage."""
        tp = self.model.params["trust"]
        self.consulted = consulted
        evidence = phases.observe(
            seen["level_prev"], seen["level"], seen["ended"], seen["kept"], seen["fulfilled"],
            seen["reversed"], seen["announced_withdrawal"], seen["announced_pledge"],
            seen["abandoned"], seen["notice"], seen["cut_unconsulted"], consulted,
            np.where(self.member, 1.0, 0.0), neighbour_share, self.trust, self.honesty, active, tp)
        new = phases.update_trust(self.r_leader, self.s_leader, self.r_country, self.s_country,
                                  self.r_honesty, self.s_honesty, self.damage, evidence, shock, tp)
        for key in ("r_leader", "s_leader", "r_country", "s_country", "r_honesty", "s_honesty",
                    "damage", "trust_leader", "trust_country", "honesty", "trust"):
            setattr(self, key, new[key])

    def consult(self, consulted_mean):
        """Phase 5: consulted allies' threat perceptions move toward each other's."""
        self.perception = consult_perception(self.perception, consulted_mean, self.consulted,
                                             rate=self.model.params["decision"].consult_rate)

    def decide(self, step, view, forced_election):
        """Phase 6: decide on the previous state; the result is committed by :meth:`commit`."""
        P = rng.Purpose
        election = dec.is_election_month(step, self.election_period, self.election_phase) \
            | forced_election
        lead = view["lead"]
        self._decision = phases.decide(
            self.member, self.effort, self.was_member, self.perception, self.interest,
            self.cost_sensitivity, self.exit_threshold, self.opposition, self.slope, self.fear,
            self.grievance, self.stress, self.trust, lead.enablers, lead.level, lead.level_ref,
            view["effectiveness"], view["eff_without_lead"], view["risk"], view["is_core"],
            view["active"], lead.demand, view["effort_sum"], view["n_members"],
            view["left_weight"], view["peak_weight"], view["neighbour_share"][:, self.index:
                                                                            self.index + 1],
            rng.logistic(self.model.seed, self.model.run, step, self._ent_m, P.DECISION_NOISE),
            self._u(step, self._ent, P.ELECTION_EXIT), np.where(election, 1.0, 0.0),
            self.model.params["decision"], self.model.params["trust"])

    def commit(self):
        d = self._decision
        self.member, self.effort, self.was_member = d["member"], d["effort"], d["was_member"]
        self.exits, self.joins, self.others = d["exits"], d["joins"], d["others"]
        self.contribution = self._contribution()

    def suffer_attacks(self, step, threat, threat0, active, forced):
        """Phase 7 (attacks): random attacks, threat perception and casualty stress."""
        p = self.model.params
        contributing = np.where(self.member & (self.contribution > 0.0), 1.0, 0.0)
        atk = phases.attack_and_perceive(
            self.perception, self.baseline, threat, threat0, contributing,
            self._u(step, self._ent_m, rng.Purpose.ATTACK), forced, active, self.stress,
            p["operations"], p["capacity"])
        self.perception, self.stress = atk["perception"], atk["stress"]
        self.attacked = atk["attacked"]

    def grow(self, building, demand, is_core):
        """Phase 8: capacity and grievance."""
        p = self.model.params
        cg = phases.ally_capacity_and_grievance(self.capacity, self.grievance, self.member,
                                                self.effort, self.others, is_core, building,
                                                demand, p["capacity"], p["grievance"])
        self.capacity, self.grievance = cg["capacity"], cg["grievance"]

    # inspection --------------------------------------------------------------------------------
    def value(self, key) -> float:
        """A per-ally value as a float (e.g. ``ally.value("trust")``)."""
        return float(np.asarray(getattr(self, key)).reshape(-1)[0])

    @property
    def missions(self) -> list[str]:
        names = self.model.world.mission_names
        return [names[j] for j in range(len(names)) if self.member[j, 0]]
