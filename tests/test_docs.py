"""docs/ODD.md describes every parameter of the schema, and its generated tables are up to date."""

import re
from pathlib import Path

from sim.config.docs import ODD, render
from sim.config.params import parameters

ROOT = Path(__file__).resolve().parent.parent


def test_every_schema_parameter_appears_in_the_odd():
    text = ODD.read_text()
    missing = [p.name for p in parameters() if f"`{p.name}`" not in text]
    assert not missing, f"docs/ODD.md lacks: {missing}"


def test_generated_parameter_tables_are_current():
    text = ODD.read_text()
    assert render(text) == text, "run `python -m sim.docs` to regenerate the parameter tables"


def test_odd_has_its_seven_parts_as_headings_in_order():
    headings = [h.lower() for h in re.findall(r"^##\s+(.+)$", ODD.read_text(), flags=re.M)]
    parts = ("purpose", "entities", "process overview", "design concepts", "initiali",
             "input data", "submodels")
    found = [next((i for i, h in enumerate(headings) if part in h), None) for part in parts]
    assert None not in found, list(zip(parts, found))
    assert found == sorted(found), "the ODD's seven parts are out of order"


def test_the_odd_lists_every_state_variable():
    from sim.core.state import describe
    text = ODD.read_text()
    missing = [f"{r['group']}.{r['name']}" for r in describe() if f"`{r['name']}`" not in text]
    assert not missing, f"docs/ODD.md does not describe state variables {missing}"


def test_no_document_points_outside_the_repository():
    offenders = [str(p.relative_to(ROOT)) for p in [ROOT / "README.md", *ROOT.glob("docs/**/*.md"),
                                                    *ROOT.glob("sim/**/*.py")]
                 if "../shared" in p.read_text()]
    assert not offenders, offenders
