"""What a calibration can fit: the registry of recorded series, and history files with dates.

A *target* is one recorded series of one scope (the whole coalition, one mission, or one ally),
declared in the calibration config (:mod:`sim.analysis.calibration.spec`) and observed in the
history file at one or more dates. Each observation becomes one summary statistic
``<target>@<YYYY-MM>`` of the ABC distance.

Adding a series is one entry of :data:`SERIES`: a name, the scopes it has, its kind (which values a
history may give) and a function from the simulated outputs to the value at the observed steps.

The history file is a tidy CSV, one observation a line::

    date,target,value,note
    2014-08,barkhane_members,1,Barkhane launched with France alone
    2022-01,sweden_exit,,Sweden announces its withdrawal (a dated event: no value)

Every line is checked (date a calendar month inside the scenario, target declared, value allowed
for the series' kind); an error names the file, the line and the field.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np

from sim.config import ConfigError, month_index
from sim.config.options import suggest

__all__ = ["Series", "SERIES", "Outputs", "Target", "Observation", "History", "load_history",
           "statistics", "step_date"]


@dataclass
class Outputs:
    """What the targets read from a batch of simulated runs.

    ``results``: the ensemble's :class:`~sim.core.recording.Results`; ``exits``: (T+1, R, M, N)
    voluntary exits per month, mission and ally (recorded by the calibration's own loop only when
    a target needs them).
    """

    results: object
    exits: np.ndarray | None = None


@dataclass(frozen=True)
class Series:
    """One kind of recorded series a target can name."""

    name: str
    doc: str
    scopes: tuple[str, ...]          # of "coalition", "mission", "ally"
    kind: str                        # count | level | share | month
    value: Callable                  # (outputs, target, steps) -> (n_steps, R)
    needs_exits: bool = False


def _steps_or_mission(step_key, mission_key=None):
    mission_key = mission_key or step_key

    def value(out: Outputs, t: "Target", steps):
        res = out.results
        if t.mission is None:
            return res.steps[step_key][steps]
        return res.missions[mission_key][steps][..., t.mission_index]
    return value


def _troop_share(out: Outputs, t: "Target", steps):
    res = out.results
    if t.mission is None:
        return res.steps["ally_troop_share"][steps]
    ally = res.missions["ally_troops"][steps][..., t.mission_index]
    lead = res.missions["lead_troops"][steps][..., t.mission_index]
    total = ally + lead
    return np.where(total > 0, ally / np.where(total > 0, total, 1.0), 0.0)


def _exits(out: Outputs, t: "Target", steps):
    """Voluntary exits in the ``window`` months ending at each observed step."""
    if t.mission is None:
        monthly = out.results.steps["exits"]                                 # (T+1, R)
    else:
        monthly = out.exits[:, :, t.mission_index, :].sum(axis=-1).astype(float)
    cum = np.cumsum(monthly, axis=0)
    lo = np.maximum(np.asarray(steps) - t.window, 0)
    return cum[steps] - cum[lo]


def _exit_month(out: Outputs, t: "Target", steps):
    """The step of the ally's first voluntary exit (of the mission, or of any mission); a run in
    which it never leaves gives horizon + 1."""
    ex = out.exits[:, :, :, t.ally_index]                                    # (T+1, R, M)
    ex = ex[:, :, t.mission_index] if t.mission is not None else ex.any(axis=-1)
    horizon = ex.shape[0] - 1
    first = np.where(ex.any(axis=0), ex.argmax(axis=0), horizon + 1).astype(float)   # (R,)
    return np.broadcast_to(first, (len(steps), first.shape[0]))


def _mean_ally(key):
    def value(out: Outputs, t: "Target", steps):
        return out.results.steps[key][steps]
    return value


SERIES: dict[str, Series] = {s.name: s for s in (
    Series("members", "allies in the mission (coalition-wide: in at least one stabilisation "
           "mission)", ("coalition", "mission"), "count", _steps_or_mission("members")),
    Series("contributors", "countries with troops: members contributing troops (coalition-wide: in "
           "a stabilisation mission)", ("coalition", "mission"), "count",
           _steps_or_mission("contributors")),
    Series("ally_troops", "the allies' troops (coalition-wide: in stabilisation missions)",
           ("coalition", "mission"), "level", _steps_or_mission("ally_troops")),
    Series("lead_troops", "the lead's troops (coalition-wide: in stabilisation missions)",
           ("coalition", "mission"), "level", _steps_or_mission("lead_troops")),
    Series("troop_share", "the allies' share of the troops (allies / (allies + lead))",
           ("coalition", "mission"), "share", _troop_share),
    Series("burden_share", "the allies' share of the burden in troop-equivalents (enablers "
           "counted)", ("coalition", "mission"), "share",
           _steps_or_mission("ally_burden_share")),
    Series("exits", "voluntary exits in the `window` months ending at the date (a mandate's end "
           "is not an exit)", ("coalition", "mission"), "count", _exits, needs_exits=True),
    Series("trust_leader", "the allies' mean trust in the lead's leader (e.g. Pew's median "
           "confidence in the president)", ("coalition",), "share", _mean_ally("trust_leader")),
    Series("trust_country", "the allies' mean trust in the lead country (e.g. Pew's median "
           "favourable view)", ("coalition",), "share", _mean_ally("trust_country")),
    Series("trust", "the allies' mean trust in the lead", ("coalition",), "share",
           _mean_ally("trust")),
    Series("exit_month", "a dated event: the month of an ally's first voluntary exit (of the "
           "mission, or of any mission); the history gives its date and no value", ("ally",),
           "month", _exit_month, needs_exits=True),
)}


@dataclass(frozen=True)
class Target:
    """A declared target: one series of one scope (see :data:`SERIES`)."""

    name: str
    series: str
    mission: str | None = None
    ally: str | None = None
    window: int = 1
    mission_index: int | None = None
    ally_index: int | None = None

    @property
    def kind(self) -> str:
        return SERIES[self.series].kind

    def describe(self) -> str:
        where = (f"ally {self.ally}" + (f" in {self.mission}" if self.mission else "")
                 if self.ally else (f"mission {self.mission}" if self.mission else "coalition"))
        extra = f", {self.window}-month window" if self.series == "exits" else ""
        return f"{self.series} ({where}{extra})"


def make_target(name: str, spec: dict, *, missions, allies, where: str) -> Target:
    """Check one target declaration against the registry and the scenario (one line per mistake)."""
    allowed = ("series", "mission", "ally", "window")
    if not isinstance(spec, dict):
        raise ConfigError(f"{where}={spec!r}; allowed: a mapping with series (one of "
                          f"{', '.join(SERIES)}) and optionally mission, ally, window")
    for key in spec:
        if key not in allowed:
            raise ConfigError(f"{where}: unknown key {key!r}{suggest(str(key), allowed)}; "
                              f"allowed: {', '.join(allowed)}")
    series = spec.get("series")
    if series not in SERIES:
        raise ConfigError(f"{where}.series={series!r}{suggest(str(series), SERIES)}; allowed: "
                          f"{', '.join(SERIES)}")
    s = SERIES[series]
    mission, ally = spec.get("mission"), spec.get("ally")
    if mission is not None and mission not in missions:
        raise ConfigError(f"{where}.mission={mission!r}: no such mission in the scenario"
                          f"{suggest(str(mission), missions)} (its missions: {', '.join(missions)})")
    if ally is not None and ally not in allies:
        raise ConfigError(f"{where}.ally={ally!r}: no such ally in the scenario"
                          f"{suggest(str(ally), allies)} (its allies: {', '.join(allies)})")
    scope = "ally" if ally is not None else ("mission" if mission is not None else "coalition")
    if scope not in s.scopes:
        need = " and ".join(s.scopes)
        raise ConfigError(f"{where}: series {series!r} has no {scope} scope (it is recorded for: "
                          f"{need}); " + ("name an ally" if "ally" in s.scopes else
                                          "drop 'ally'" if ally is not None else
                                          "drop 'mission'"))
    window = spec.get("window", 1)
    if "window" in spec and series != "exits":
        raise ConfigError(f"{where}.window: only the series 'exits' has a window")
    if isinstance(window, bool) or not isinstance(window, int) or window < 1:
        raise ConfigError(f"{where}.window={window!r}; allowed: a whole number of months >= 1")
    return Target(name=name, series=series, mission=mission, ally=ally, window=window,
                  mission_index=None if mission is None else list(missions).index(mission),
                  ally_index=None if ally is None else list(allies).index(ally))


@dataclass(frozen=True)
class Observation:
    target: str
    date: str
    step: int
    value: float          # for a dated event: its step

    @property
    def key(self) -> str:
        return f"{self.target}@{self.date}"


@dataclass
class History:
    """The checked observations, in file order, and where they came from."""

    observations: list[Observation]
    source: str

    def keys(self) -> list[str]:
        return [o.key for o in self.observations]

    def values(self) -> dict[str, float]:
        return {o.key: o.value for o in self.observations}

    def split(self, before_step: int) -> tuple["History", "History"]:
        """(observations dated before ``before_step``, the rest)."""
        a = [o for o in self.observations if o.step < before_step]
        b = [o for o in self.observations if o.step >= before_step]
        return History(a, self.source), History(b, self.source)


def step_date(start: str, step: int) -> str:
    """The calendar month of ``step`` (step 1 = ``start``)."""
    m = month_index(start, "start") + step - 1
    return f"{m // 12:04d}-{m % 12 + 1:02d}"


def load_history(path, targets: dict[str, Target], *, start: str, horizon: int) -> History:
    """Read and check a history CSV (``date,target,value[,note|source]``) line by line."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"{path}: no such history file")
    with path.open(newline="") as f:
        reader = csv.DictReader(f)
        header = reader.fieldnames or []
        for need in ("date", "target", "value"):
            if need not in header:
                raise ConfigError(f"{path}: the header lacks '{need}' (has: {', '.join(header)}); "
                                  "allowed header: date,target,value[,note][,source]")
        for col in header:
            if col not in ("date", "target", "value", "note", "source"):
                raise ConfigError(f"{path}: unknown column {col!r}; allowed: date, target, value, "
                                  "note, source (one observation a line)")
        obs: list[Observation] = []
        seen: dict[tuple[str, int], int] = {}
        first = month_index(start, "start")
        for line, row in enumerate(reader, start=2):
            if None in row:
                raise ConfigError(f"{path}, line {line}: more fields than the header's "
                                  f"{len(header)}")
            date = (row.get("date") or "").strip()
            try:
                step = month_index(date, "date") - first + 1
            except ConfigError:
                raise ConfigError(f"{path}, line {line}, field 'date': {date!r} is not a "
                                  "calendar month (write YYYY-MM)") from None
            if not 1 <= step <= horizon:
                raise ConfigError(f"{path}, line {line}, field 'date': {date} is outside the "
                                  f"scenario ({start} + {horizon} months)")
            name = (row.get("target") or "").strip()
            if name not in targets:
                raise ConfigError(f"{path}, line {line}, field 'target': {name!r} is not a "
                                  f"declared target{suggest(name, targets)} (declared: "
                                  f"{', '.join(targets)})")
            t = targets[name]
            text = (row.get("value") or "").strip()
            where = f"{path}, line {line}, field 'value'"
            if t.kind == "month":
                if text not in ("", "1"):
                    raise ConfigError(f"{where}: {text!r}: {name} is a dated event ({t.series}); "
                                      "its date is the observation: leave the value empty")
                value = float(step)
            else:
                if text == "":
                    raise ConfigError(f"{where}: empty; {name} needs a number (leave out "
                                      "dates that were not observed)")
                try:
                    value = float(text)
                except ValueError:
                    raise ConfigError(f"{where}: {text!r} is not a number") from None
                if not np.isfinite(value) or value < 0:
                    raise ConfigError(f"{where}: {text} is out of range: {name} ({t.series}) is "
                                      ">= 0")
                if t.kind == "share" and value > 1:
                    raise ConfigError(f"{where}: {text} is out of range: {name} ({t.series}) is "
                                      "a share in [0, 1]")
                if t.kind == "count" and value != int(value):
                    raise ConfigError(f"{where}: {text} is not a whole number: {name} "
                                      f"({t.series}) counts countries or exits")
            if (name, step) in seen:
                raise ConfigError(f"{path}, line {line}: {name} at {date} is given twice (also "
                                  f"line {seen[name, step]})")
            if t.kind == "month" and any(o.target == name for o in obs):
                raise ConfigError(f"{path}, line {line}: {name} is a dated event and has a date "
                                  "already; give it once")
            seen[name, step] = line
            obs.append(Observation(name, date, step, value))
    if not obs:
        raise ConfigError(f"{path}: no observations")
    missing = [n for n in targets if not any(o.target == n for o in obs)]
    if missing:
        raise ConfigError(f"{path}: no observation of the declared target(s) "
                          f"{', '.join(missing)}; give at least one line each or drop them")
    return History(obs, str(path))


def needs_exits(targets) -> bool:
    return any(SERIES[t.series].needs_exits for t in targets)


def statistics(out: Outputs, targets: dict[str, Target], history: History) -> np.ndarray:
    """The simulated value of every observation of ``history``: (n_obs, R), in history order."""
    r = out.results.n_runs
    rows = np.empty((len(history.observations), r))
    by_target: dict[str, list[int]] = {}
    for i, o in enumerate(history.observations):
        by_target.setdefault(o.target, []).append(i)
    for name, idx in by_target.items():
        t = targets[name]
        steps = np.array([history.observations[i].step for i in idx])
        rows[idx] = SERIES[t.series].value(out, t, steps)
    return rows
