"""Generate the parameter tables of ``docs/ODD.md`` from the schema: ``python -m sim.docs``.

The tables sit between ``<!-- parameters:start -->`` and ``<!-- parameters:end -->``; a test fails
when they are out of date, so the ODD always lists every parameter with its default, range and
meaning as declared in :mod:`sim.config.schema` (read through the registry,
:mod:`sim.config.params`).
"""

from __future__ import annotations

import sys
from pathlib import Path

from sim.config.options import CONFIG_DIR
from sim.config.params import format_range, parameters

ODD = CONFIG_DIR.parent / "docs" / "ODD.md"
START, END = "<!-- parameters:start -->", "<!-- parameters:end -->"

GROUP_TITLES = {
    "trust": "Trust (`trust.*`, sim/rules/trust.py)",
    "decision": "Ally decision (`decision.*`, sim/rules/decisions.py)",
    "operations": "Missions and threat (`operations.*`, sim/rules/missions.py)",
    "capacity": "Capacity (`capacity.*`, sim/rules/capacity.py, sim/rules/missions.py)",
    "grievance": "Grievance (`grievance.*`, sim/rules/capacity.py)",
    "mechanisms": "Ablation switches (`mechanisms.*`, sim/core/schedule.py)",
    "policy": "Lead policy (`policy.*`, sim/rules/policies.py)",
    "scenario.allies": "Generated allies (`scenario.allies.*`, sim/core/world.py)",
    "missions": "Mission data (`scenario.missions.<mission>.*`; varied per run as "
                "`missions.<mission>.<field>`)",
}


def parameter_markdown() -> str:
    rows = parameters()
    out = []
    for group, title in GROUP_TITLES.items():
        out.append(f"\n#### {title}\n")
        out.append("| parameter | default | range | meaning |")
        out.append("|---|---|---|---|")
        for p in rows:
            if p.group != group:
                continue
            unit = f" ({p.unit})" if p.unit else ""
            rng = format_range(p.low, p.high, p.low_open, p.high_open)
            out.append(f"| `{p.name}` | {p.default!r} | {rng} | {p.doc}{unit} |")
    return "\n".join(out).strip() + "\n"


def state_markdown() -> str:
    """The state variables (``sim/core/state.py``) as tables, one per entity."""
    from sim.core.state import describe

    out, group = [], None
    titles = {"Allies": "Allies (`state.allies`, agent `Ally`)",
              "Lead": "The lead nation (`state.lead`, agent `LeadNation`)",
              "Missions": "Missions (`state.missions`, agent `Mission`)",
              "Month": "The month's flags (`state.month`, set by scenario events)"}
    for row in describe():
        if row["group"] != group:
            group = row["group"]
            out += [f"\n**{titles[group]}**\n", "| variable | shape | unit | meaning |",
                    "|---|---|---|---|"]
        out.append(f"| `{row['name']}` | {row['shape']} | {row['unit']} | {row['doc']} |")
    return "\n".join(out).strip() + "\n"


def _fill(text: str, start: str, end: str, body: str) -> str:
    if start not in text or end not in text:
        raise SystemExit(f"{ODD}: markers {start} / {end} not found")
    head, rest = text.split(start, 1)
    _, tail = rest.split(end, 1)
    return f"{head}{start}\n{body}{end}{tail}"


def render(text: str) -> str:
    """``text`` (the ODD) with its generated tables brought up to date."""
    text = _fill(text, "<!-- state:start -->", "<!-- state:end -->", state_markdown())
    return _fill(text, START, END, parameter_markdown())


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    text = ODD.read_text()
    new = render(text)
    if "--check" in argv:
        if new != text:
            print(f"{ODD} is out of date: run `python -m sim.docs`", file=sys.stderr)
            return 1
        return 0
    if new != text:
        ODD.write_text(new)
        print(f"updated {ODD}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
