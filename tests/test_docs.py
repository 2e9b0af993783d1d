"""docs/ODD.md describes every parameter of the schema, and its generated tables are up to date."""

import re
from pathlib import Path

from sim.config import MISSION_FIELDS, parameter_table
from sim.config.docs import ODD, render

ROOT = Path(__file__).resolve().parent.parent


def test_every_schema_parameter_appears_in_the_odd():
    text = ODD.read_text()
    missing = [f"{r['group']}.{r['name']}" for r in parameter_table()
               if f"`{r['group']}.{r['name']}`" not in text]
    assert not missing, f"docs/ODD.md lacks: {missing}"
    for name in MISSION_FIELDS:
        assert re.search(rf"\b{name}\b", text), name


def test_generated_parameter_tables_are_current():
    text = ODD.read_text()
    assert render(text) == text, "run `python -m sim.docs` to regenerate the parameter tables"


def test_odd_has_its_seven_parts():
    text = ODD.read_text().lower()
    for part in ("purpose", "entities", "process overview", "design concepts", "initialisation",
                 "input data", "submodels"):
        assert part in text, part
