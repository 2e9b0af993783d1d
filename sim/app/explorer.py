"""The explorer: one run of :class:`~sim.drivers.mesa.CoalitionModel` in Mesa's ``SolaraViz``.

SolaraViz supplies step / play / reset and the parameter inputs; this module supplies the figures
(trust, missions, burden shares, effectiveness and threat, the alliance network), the month's event
feed and the buttons that inject events by hand. Everything shown is read from the model's public
API (``history()``, ``allies``, ``world``, ``add_event()``, ``last_month``); the feed and the
injected events are kept here, in the app; nothing here changes how the model works.

Parameters apply when **Reset** is pressed (Mesa's convention). A run of a sweep opens with
``/?sweep=<folder>&run_id=<k>``: the model is then built from :func:`sim.experiments.collect.run_config`
and reproduces that run bit for bit.
"""

from __future__ import annotations

from functools import lru_cache
from urllib.parse import parse_qs, quote

import matplotlib

matplotlib.use("Agg")

import networkx as nx  # noqa: E402
import numpy as np  # noqa: E402
import solara  # noqa: E402
from matplotlib import colormaps  # noqa: E402
from matplotlib.collections import LineCollection  # noqa: E402
from matplotlib.colors import Normalize  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402
from mesa.visualization import SolaraViz  # noqa: E402
from mesa.visualization.utils import update_counter  # noqa: E402

from sim.app import html  # noqa: E402
from sim.config import compose, policy_names, scenario_names  # noqa: E402
from sim.config.params import value_of  # noqa: E402
from sim.drivers.mesa import CoalitionModel  # noqa: E402

__all__ = ["ExplorerModel", "ExplorerPage", "model_params", "explorer_url", "FEED_LENGTH",
           "trust_figure", "missions_figure", "burden_figure", "effectiveness_figure",
           "network_figure", "feed_rows"]

FEED_LENGTH = 20
LEADER_COLOUR, COUNTRY_COLOUR, LEAD_COLOUR, ALLY_COLOUR = "#2166ac", "#e08214", "#4d4d4d", "#1b7837"
FIGSIZE = (6.4, 3.5)
TRUST_CMAP = "RdYlGn"


@lru_cache(maxsize=1)
def _defaults():
    """The shipped defaults (what the inputs start at)."""
    return compose(["scenario=baseline", "policy=load_shifting_first"])


def explorer_url(sweep_dir, run_id: int) -> str:
    """The explorer's address (path and query) for run ``run_id`` of a sweep."""
    return f"/?sweep={quote(str(sweep_dir), safe='/')}&run_id={int(run_id)}"


class ExplorerModel(CoalitionModel):
    """:class:`CoalitionModel` built from the explorer's inputs.

    SolaraViz's Reset re-creates the model as ``type(model)(**inputs)``; this class only turns
    those inputs into the public constructor's arguments. (The scenario input is called
    ``scenario_name`` because Mesa 3.5 reserves ``scenario`` for its own ``Scenario`` objects, which
    SolaraViz's Reset passes to any model whose constructor takes ``scenario``.)

    With ``sweep_dir`` and ``run_id`` it opens that run of a sweep with its exact configuration,
    seed and replicate (:func:`sim.experiments.collect.run_config`); the other inputs are then ignored.
    """

    def __init__(self, scenario_name: str = "baseline", policy: str = "load_shifting_first",
                 asymmetry: float | None = None, forgetting: float | None = None,
                 own_levers: bool = True, p_consult: float | None = None,
                 building: float | None = None, seed: int = 1, sweep_dir: str | None = None,
                 run_id: int | None = None):
        self.origin = None
        self.feed: list[dict] = []      # what happened, month by month (newest last)
        self.queued: list[dict] = []    # events injected for the next month
        if sweep_dir is not None and run_id is not None:
            from sim.experiments.collect import collect, run_config
            cfg, s, r = run_config(sweep_dir, int(run_id))
            super().__init__(config=cfg, rng=s, run=r)
            names = collect(sweep_dir, columns=["run_id"]).attrs["sweep"]["parameters"]
            values = {name: value_of(cfg, name) for name in names}
            self.origin = {"sweep_dir": str(sweep_dir), "run_id": int(run_id), "seed": s,
                           "run": r, "policy": cfg.policy.name, "scenario": cfg.scenario.name,
                           "parameters": values}
            return
        overrides = []
        if asymmetry is not None:
            overrides.append(f"trust.asymmetry={float(asymmetry)}")
        if forgetting is not None:
            overrides.append(f"trust.forgetting_leader={float(forgetting)}")
        if not own_levers:
            if p_consult is not None:
                overrides.append(f"policy.p_consult={float(p_consult)}")
            if building is not None:
                overrides.append(f"policy.building={float(building)}")
        self.overrides = overrides
        super().__init__(scenario=scenario_name, policy=policy, rng=int(seed),
                         overrides=overrides)

    # The feed and the injected events live here, in the app layer, on the model's public API
    # (``add_event``, ``fired``, ``state``) and the month's report.
    def step(self) -> None:
        super().step()
        self.feed.extend(month_feed(self, self.last_month))
        self.queued = [q for q in self.queued if q["step"] > self.state.step]

    def inject(self, kind: str, mission: str | None = None, ally: str | None = None,
               **fields) -> None:
        """Inject an event by hand; it takes effect in the next month (validated like a
        scenario event)."""
        ev = self.add_event(kind, mission=mission, ally=ally, **fields)
        self.queued.append({"step": ev.step, "kind": kind, "mission": mission, "ally": ally,
                            "source": "injected"})

    @property
    def queued_events(self) -> list[dict]:
        """Events injected by hand that take effect in the next month."""
        return list(self.queued)


_MOVE_LABELS = {"announced": ("announced_withdrawal", "announces a withdrawal"),
                "carried": ("carried_out", "withdraws"), "reversed": ("reversed", "reverses"),
                "broken": ("pledge_broken", "breaks a pledge")}


def month_feed(model: CoalitionModel, report) -> list[dict]:
    """What happened in the month just recorded, as feed entries: events (scenario or injected),
    a new administration, the lead's moves, allies' exits and joins, and allies' elections."""
    t = model.state.step
    if report is None:
        return []
    names, allies = model.world.mission_names, model.world.ally_names
    items = []
    for ev in model.fired:
        if ev.step == t:
            items.append({"step": t, "kind": ev.kind,
                          "source": "injected" if ev.label == "added" else "scenario",
                          "mission": names[ev.mission] if ev.mission >= 0 else None,
                          "ally": allies[ev.ally] if ev.ally >= 0 else None})
    if bool(report.administrations.changed.any()):
        items.append({"step": t, "kind": "administration", "mission": None, "ally": None,
                      "source": "lead", "detail": f"new administration: {model.lead.policy_name}"})
    moves = report.moves
    for attr, (kind, label) in _MOVE_LABELS.items():
        for j in np.flatnonzero(np.asarray(getattr(moves, attr)).reshape(-1)):
            items.append({"step": t, "kind": kind, "mission": names[j], "ally": None,
                          "source": "lead", "detail": f"lead {label} ({names[j]})"})
    for j in np.flatnonzero(moves.pledged.reshape(-1) > 0.0):
        items.append({"step": t, "kind": "pledged", "mission": names[j], "ally": None,
                      "source": "lead", "detail": f"lead announces a pledge ({names[j]})"})
    for kind, arr, verb in (("exit", report.decisions.exits, "leaves"),
                            ("join", report.decisions.joins, "joins")):
        for j, i in zip(*np.nonzero(arr[0])):
            items.append({"step": t, "kind": kind, "mission": names[j], "ally": allies[i],
                          "source": "ally", "detail": f"{allies[i]} {verb} {names[j]}"})
    a = model.state.allies
    elections = np.remainder(t - a.election_phase[0, 0], a.election_period[0, 0]) == 0
    for i in np.flatnonzero(elections):
        items.append({"step": t, "kind": "election", "mission": None, "ally": allies[i],
                      "source": "ally", "detail": f"election in {allies[i]}"})
    for item in items:
        item.setdefault("detail", item["kind"]
                        + (f" ({item['mission']})" if item.get("mission") else "")
                        + (f" [{item['ally']}]" if item.get("ally") else ""))
    return items


def model_params(sweep_dir=None, run_id=None) -> dict:
    """SolaraViz's ``model_params``: the inputs (or, for a sweep run, fixed values)."""
    if sweep_dir is not None and run_id is not None:
        return {"sweep_dir": str(sweep_dir), "run_id": int(run_id)}
    d = _defaults()
    return {
        "scenario_name": {"type": "Select", "label": "scenario", "value": d.scenario.name,
                          "values": list(scenario_names())},
        "policy": {"type": "Select", "label": "lead policy", "value": d.policy.name,
                   "values": list(policy_names())},
        "asymmetry": {"type": "SliderFloat", "label": "trust asymmetry (bad / good evidence)",
                      "value": d.trust.asymmetry, "min": min(1.0, d.trust.asymmetry),
                      "max": 10.0, "step": 0.1},
        "forgetting": {"type": "SliderFloat", "label": "forgetting: leader stock kept per month",
                       "value": d.trust.forgetting_leader,
                       "min": min(0.8, d.trust.forgetting_leader), "max": 1.0,
                       "step": 0.005},
        "own_levers": {"type": "Checkbox", "value": True,
                       "label": "keep the policy's own consultation and building"},
        "p_consult": {"type": "SliderFloat", "label": "consultation (chance per ally, month)",
                      "value": d.policy.p_consult, "min": 0.0, "max": 1.0, "step": 0.05},
        "building": {"type": "SliderFloat", "label": "capacity-building effort",
                     "value": d.policy.building, "min": 0.0, "max": 1.0, "step": 0.05},
        "seed": {"type": "SliderInt", "label": "seed", "value": d.seed, "min": 0, "max": 999,
                 "step": 1},
    }


# ------------------------------------------------------------------------------ figures
def _history(model):
    """The model's history, cut to the steps every table has recorded (it may be mid-step)."""
    h = model.history()
    n = min(len(v) for table in h.values() for v in table.values())
    return {name: {k: v[:n] for k, v in table.items()} for name, table in h.items()}, n


def _months(ax, n, horizon):
    ax.set_xlim(0, max(n - 1, min(12, horizon)))
    ax.set_xlabel("month")
    ax.grid(alpha=0.25, lw=0.5)


def _figure():
    return Figure(figsize=FIGSIZE, dpi=100, layout="constrained")


def trust_figure(model) -> Figure:
    """Trust in the leader and in the lead country: every ally (thin) and the mean (thick)."""
    h, n = _history(model)
    x = np.arange(n)
    fig = _figure()
    ax = fig.subplots()
    for key, colour, label in (("trust_leader", LEADER_COLOUR, "in the leader"),
                               ("trust_country", COUNTRY_COLOUR, "in the lead country")):
        per_ally = h["allies"][key][:, 0, :]
        if n > 1:
            segments = np.stack([np.broadcast_to(x[:, None], per_ally.shape), per_ally], axis=-1)
            ax.add_collection(LineCollection(list(segments.transpose(1, 0, 2)), colors=colour,
                                             linewidths=0.5, alpha=0.2))
        ax.plot(x, per_ally.mean(axis=1), color=colour, lw=2.2, label=f"{label} (mean)")
    ax.plot(x, h["steps"]["trust"][:, 0], color="black", lw=1.2, ls="--",
            label="combined trust (mean)")
    ax.set_ylim(0, 1)
    ax.set_ylabel("trust (thin: one ally)")
    ax.set_title("Allies' trust in the lead")
    ax.legend(loc="lower left", fontsize=8, frameon=False)
    _months(ax, n, model.world.horizon)
    return fig


def missions_figure(model) -> Figure:
    """Each mission's members (solid) and contributors (dashed)."""
    h, n = _history(model)
    x = np.arange(n)
    fig = _figure()
    ax = fig.subplots()
    for j, name in enumerate(model.world.mission_names):
        ax.plot(x, h["missions"]["members"][:, 0, j], color=f"C{j}", lw=2, label=f"{name}: members")
        ax.plot(x, h["missions"]["contributors"][:, 0, j], color=f"C{j}", lw=1.5, ls="--",
                label=f"{name}: contributors")
    ax.set_ylim(0, len(model.allies) + 1)
    ax.set_ylabel("allies")
    ax.set_title("Mission membership")
    ax.legend(loc="lower left", fontsize=8, frameon=False, ncol=2)
    _months(ax, n, model.world.horizon)
    return fig


def burden_figure(model) -> Figure:
    """The shares of the stabilisation burden carried by the allies and by the lead (hatched:
    months in which nobody has anything deployed, where a share means nothing)."""
    h, n = _history(model)
    x = np.arange(n)
    steps = h["steps"]
    allies = steps["ally_burden_share"][:, 0].astype(float)
    deployed = steps["ally_troops"][:, 0] + steps["lead_troops"][:, 0]
    if "lead_effort" in steps:
        deployed = deployed + steps["lead_effort"][:, 0]
    empty = ~(deployed > 0)
    allies = np.where(empty, np.nan, allies)
    fig = _figure()
    ax = fig.subplots()
    ax.fill_between(x, 0, allies, where=~empty, color=ALLY_COLOUR, alpha=0.75, step="mid",
                    label="allies", lw=0)
    ax.fill_between(x, allies, 1, where=~empty, color=LEAD_COLOUR, alpha=0.55, step="mid",
                    label="lead", lw=0)
    if empty.any():
        ax.fill_between(x, 0, 1, where=empty, step="mid", facecolor="none", edgecolor="#bbbbbb",
                        hatch="//", lw=0, label="nothing deployed")
    ax.set_ylim(0, 1)
    ax.set_ylabel("share of the burden")
    now = ("nothing deployed now" if empty[-1]
           else f"allies {allies[-1]:.0%}, lead {1 - allies[-1]:.0%}")
    ax.set_title(f"Burden shares ({now})")
    ax.legend(loc="upper left", fontsize=8, frameon=False)
    _months(ax, n, model.world.horizon)
    return fig


def effectiveness_figure(model) -> Figure:
    """Each mission's effectiveness (solid) and threat (dashed)."""
    h, n = _history(model)
    x = np.arange(n)
    fig = _figure()
    ax = fig.subplots()
    for j, name in enumerate(model.world.mission_names):
        ax.plot(x, h["missions"]["effectiveness"][:, 0, j], color=f"C{j}", lw=2,
                label=f"{name}: effectiveness")
        ax.plot(x, h["missions"]["threat"][:, 0, j], color=f"C{j}", lw=1.5, ls="--",
                label=f"{name}: threat")
    ax.set_ylim(0, 1.05)
    ax.set_ylabel("level")
    ax.set_title("Mission effectiveness and threat")
    ax.legend(loc="lower left", fontsize=8, frameon=False, ncol=2)
    _months(ax, n, model.world.horizon)
    return fig


MAX_DRAWN = 200  # allies drawn in the network figure; of a larger alliance, the first MAX_DRAWN


@lru_cache(maxsize=32)
def _layout(indptr: bytes, indices: bytes, n: int):
    import scipy.sparse as sp

    adjacency = sp.csr_array((np.ones(len(indices) // 8), np.frombuffer(indices, np.int64),
                              np.frombuffer(indptr, np.int64)), shape=(n, n))
    graph = nx.from_scipy_sparse_array(adjacency)
    if n <= 40:   # the labelled size: the tidier layout; beyond, a far cheaper one
        return graph, nx.kamada_kawai_layout(graph)
    return graph, nx.spring_layout(graph, seed=1)


def drawn_network(world):
    """The part of the network the figure draws, built from the sparse adjacency alone: the first
    :data:`MAX_DRAWN` allies and the links among them (never an N x N array)."""
    k = min(world.n_allies, MAX_DRAWN)
    sub = world.neighbours[:k, :k].tocsr()
    return _layout(sub.indptr.astype(np.int64).tobytes(),
                   sub.indices.astype(np.int64).tobytes(), k)


def network_figure(model) -> Figure:
    """The alliance network: allies coloured by trust; hollow with a cross when in no mission."""
    graph, pos = drawn_network(model.world)
    allies = model.allies[:graph.number_of_nodes()]
    cmap, norm = colormaps[TRUST_CMAP], Normalize(0.0, 1.0)
    fig = Figure(figsize=(6.4, 3.9), dpi=100, layout="constrained")
    ax = fig.subplots()
    ax.add_collection(LineCollection([(pos[u], pos[v]) for u, v in graph.edges()],
                                     colors="#bbbbbb", linewidths=0.7, zorder=1))
    xy = np.array([pos[a.index] for a in allies]).reshape(-1, 2)
    colours = cmap(norm(np.array([a.value("trust") for a in allies])))
    inside = np.array([bool(a.missions) for a in allies], dtype=bool)
    outside = sum(not a.missions for a in model.allies)   # of all allies, drawn or not
    size = 150 if len(allies) <= 40 else 60
    ax.scatter(xy[inside, 0], xy[inside, 1], s=size, c=colours[inside], edgecolors="black",
               linewidths=0.6, zorder=3)
    ax.scatter(xy[~inside, 0], xy[~inside, 1], s=size, facecolors="white",
               edgecolors=colours[~inside], linewidths=2.2, zorder=3)
    ax.scatter(xy[~inside, 0], xy[~inside, 1], s=size * 0.4, marker="x", color="black",
               linewidths=1.2, zorder=4)
    if len(allies) <= 40:
        for ally, (x, y), member in zip(allies, xy, inside):
            ax.text(x, y, str(ally.index), fontsize=6, ha="center", va="center", zorder=5,
                    color="black" if member else "#555555")
    ax.autoscale_view()
    mappable = matplotlib.cm.ScalarMappable(norm=norm, cmap=cmap)
    fig.colorbar(mappable, ax=ax, label="trust in the lead", shrink=0.85)
    fig.legend(handles=[   # below the drawing, never on it
        Line2D([], [], marker="o", ls="", markerfacecolor="#91cf60", markeredgecolor="black",
               markersize=9, label="in a mission"),
        Line2D([], [], marker="o", ls="", markerfacecolor="white", markeredgecolor="#d73027",
               markeredgewidth=2, markersize=9, label=f"in no mission ({outside})")],
        loc="outside lower center", ncol=2, fontsize=8, frameon=False)
    shown = (f" (allies 0-{len(allies) - 1} of {len(model.allies)})"
             if len(allies) < len(model.allies) else "")
    ax.set_title("Alliance network" + (" (number = ally)" if len(allies) <= 40 else "") + shown)
    ax.set_axis_off()
    return fig


def feed_rows(model, n: int = FEED_LENGTH) -> list[dict]:
    """The latest ``n`` entries of the model's feed: newest month first, and within a month in
    the order they happened (events and injections, then the lead's moves, then the allies')."""
    items = model.feed
    order = sorted(range(len(items)), key=lambda i: -int(items[i].get("step", 0)))  # stable
    return [items[i] for i in order[:n]]


# ------------------------------------------------------------------------------ components
_STYLE = """
.coalition-fig img { max-width: 100%; height: auto; }
.coalition-feed { max-height: 330px; overflow-y: auto; font-size: 13px; }
.coalition-feed table { border-collapse: collapse; width: 100%; }
.coalition-feed td, .coalition-feed th { padding: 1px 6px; border-bottom: 1px solid #eee;
  text-align: left; }
.coalition-mean-trust { font-size: 22px; font-weight: 600; }
"""


def _figure_component(make, css_class):
    def component(model):
        with solara.Column(classes=["coalition-fig", css_class], style={"width": "100%"}):
            solara.FigureMatplotlib(make(model), format="png", dpi=100)

    component.__name__ = make.__name__.replace("_figure", "").title() + "Figure"
    return component


TrustPlot = _figure_component(trust_figure, "coalition-trust-plot")
MissionsPlot = _figure_component(missions_figure, "coalition-missions-plot")
BurdenPlot = _figure_component(burden_figure, "coalition-burden-plot")
EffectivenessPlot = _figure_component(effectiveness_figure, "coalition-effectiveness-plot")
NetworkPlot = _figure_component(network_figure, "coalition-network-plot")


def Feed(model):
    """The month's happenings, newest first."""
    rows = feed_rows(model)
    with solara.Column(classes=["coalition-feed"], style={"width": "100%"}):
        solara.HTML(unsafe_innerHTML=html.text(
            f"(latest {FEED_LENGTH}, newest first; bold: injected by hand)", bold="Events"))
        if rows:
            solara.HTML(unsafe_innerHTML=html.table(
                ["month", "what", "by"],
                [[r.get("step", ""), r.get("detail") or r.get("kind", ""), r.get("source") or ""]
                 for r in rows],
                strong=[r.get("source") == "injected" for r in rows], numeric=(0,)))
        else:
            solara.Text("nothing yet")


@solara.component
def InjectPanel(model):
    """Status (month, policy, mean trust) and buttons that inject events into the next step."""
    update_counter.get()  # redraw after every step
    missions = list(model.world.mission_names)
    mission, set_mission = solara.use_state(missions[0])
    note, set_note = solara.use_state((-1, ""))   # (for month, text)
    if mission not in missions:
        mission = missions[0]
    h, n = _history(model)
    t = model.state.step
    trust = float(h["steps"]["trust"][-1, 0])
    leader = float(h["steps"]["trust_leader"][-1, 0])
    country = float(h["steps"]["trust_country"][-1, 0])

    def inject(kind, label, **fields):
        try:
            model.inject(kind, mission=mission, **fields)
            set_note((model.state.step + 1, f"queued: {label} ({mission})"))
        except Exception as exc:  # the model's own validation message
            set_note((model.state.step + 1, f"not injected: {exc}"))

    with solara.Column(classes=["coalition-status"], style={"width": "100%"}):
        solara.Text(f"mean trust {trust:.3f}", classes=["coalition-mean-trust"])
        solara.Text(f"month {t} of {model.world.horizon} · policy in force: "
                    f"{model.lead.policy_name} · leader {leader:.3f} · country {country:.3f}",
                    classes=["coalition-step"])
        cfg = model.config
        small = {"font-size": "12px", "color": "#555", "line-height": "1.35"}
        solara.Text(f"trust asymmetry {cfg.trust.asymmetry:.4g} · forgetting (leader) "
                    f"{cfg.trust.forgetting_leader:.4g} · consultation {cfg.policy.p_consult:.4g}"
                    f" · building {cfg.policy.building:.4g} · seed {model.seed} · replicate "
                    f"{model.run}", style=small, classes=["coalition-inputs"])
        origin = getattr(model, "origin", None)
        if origin:
            varied = ", ".join(f"{k}={v:.4g}" for k, v in origin["parameters"].items())
            with solara.Row(style={"align-items": "baseline", "flex-wrap": "wrap"}):
                solara.Text(f"sweep run {origin['run_id']} of {origin['sweep_dir']} (scenario "
                            f"{origin['scenario']}, policy {origin['policy']}"
                            + (f"; {varied}" if varied else "") + "); Reset re-runs it",
                            style={**small, "color": "#1565c0"}, classes=["coalition-origin"])
                solara.Button("free explorer", href="/", text=True, small=True)
        else:
            solara.Text("Parameters (left) apply when you press Reset.", style=small)
        solara.HTML(unsafe_innerHTML=html.text("(takes effect at the next step)",
                                               bold="Inject an event"))
        solara.Select("mission", values=missions, value=mission, on_value=set_mission,
                      classes=["coalition-inject-mission"], dense=True)
        with solara.Row(style={"flex-wrap": "wrap", "gap": "4px"}):
            solara.Button("withdraw now (unconsulted)", color="error", outlined=True, small=True,
                          classes=["coalition-inject-withdrawal"],
                          on_click=lambda: inject("withdrawal", "withdrawal, unconsulted",
                                                  fraction=1.0, consulted=False))
            solara.Button("announce a pledge", color="primary", outlined=True, small=True,
                          classes=["coalition-inject-pledge"],
                          on_click=lambda: inject("announcement", "pledge (level 1, 12 months)",
                                                  level=1.0, horizon=12))
            solara.Button("reverse the last decision", outlined=True, small=True,
                          classes=["coalition-inject-reversal"],
                          on_click=lambda: inject("reversal", "reversal"))
        pending = model.queued_events
        if pending:
            solara.Text("queued: " + "; ".join(f"{e['kind']} ({e['mission']})" for e in pending),
                        classes=["coalition-pending"])
        elif note[0] == t + 1:
            solara.Text(note[1], classes=["coalition-note"])


def Status(model):
    return InjectPanel(model)


COMPONENTS = [(TrustPlot, 0), (Status, 0), (Feed, 0), (NetworkPlot, 0), (MissionsPlot, 0),
              (BurdenPlot, 0), (EffectivenessPlot, 0)]


@solara.component
def Explorer(sweep_dir=None, run_id=None):
    """SolaraViz on a fresh model (or on a sweep's run)."""

    def make():
        try:
            return ExplorerModel(sweep_dir=sweep_dir, run_id=run_id), None
        except Exception as exc:  # a bad sweep folder or run id: say so on the page
            return None, f"{type(exc).__name__}: {exc}"

    initial, error = solara.use_memo(make, [])
    model = solara.use_reactive(initial)
    solara.Style(_STYLE)
    if error is not None:
        solara.Error(f"cannot open run {run_id} of {sweep_dir}: {error}")
        solara.Button("back to the free explorer", href="/", text=True)
        return
    SolaraViz(model, components=COMPONENTS, model_params=model_params(sweep_dir, run_id),
              name="Coalition credibility: explorer", play_interval=300)


@solara.component
def ExplorerPage():
    """The explorer's route: ``/`` (a fresh model) or ``/?sweep=<folder>&run_id=<k>``."""
    router = solara.use_router()
    query = parse_qs(router.search or "")
    sweep_dir = query.get("sweep", [None])[0]
    run_id = query.get("run_id", [None])[0]
    if run_id is not None:
        try:
            run_id = int(run_id)
        except ValueError:
            solara.Error(f"run_id={run_id!r} is not an integer")
            return
    Explorer(sweep_dir=sweep_dir, run_id=run_id).key(f"{sweep_dir}|{run_id}")
