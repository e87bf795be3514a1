"""The variant matrix: which answers each case gives to copier.yml.

Three fixed cases (the defaults, everything on, the minimum) and a pairwise
covering set over every switch: for any two switches, every combination of
their values appears in at least one pairwise case. test_matrix.py proves
that coverage, so a switch added to copier.yml without a place here fails.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from typing import Any

from fastgen.questions import Questionnaire
from fastgen.spec import ResourceSpec, load_resources, load_spec

from .support import ALL_ON, MINIMUM, REPO

# The questions that change what is generated, with every value they take.
# Text answers (name, description, author) are checked elsewhere.
SWITCHES: dict[str, list[Any]] = {
    "python_version": ["3.11", "3.12", "3.13"],
    "database": ["sqlite", "postgresql"],
    "redis": [False, True],
    "rate_limit": [False, True],
    "csrf": [False, True],
    "admin": [False, True],
    "example_items": [False, True],
    "docker": [False, True],
    "ci": ["github", "none"],
    "kubernetes": [False, True],
    "metrics": [False, True],
    "tracing": [False, True],
}

_ON, _OFF = True, False
# python, database, redis, rate_limit, csrf, admin, example_items, docker, ci, kubernetes,
# metrics, tracing
_PAIRWISE_ROWS = [
    ("3.11", "postgresql", _ON, _OFF, _ON, _OFF, _ON, _ON, "github", _ON, _OFF, _OFF),
    ("3.11", "sqlite", _OFF, _ON, _OFF, _ON, _OFF, _OFF, "none", _OFF, _ON, _ON),
    ("3.12", "sqlite", _OFF, _ON, _ON, _ON, _ON, _ON, "github", _ON, _OFF, _OFF),
    ("3.12", "postgresql", _ON, _ON, _ON, _OFF, _OFF, _OFF, "none", _OFF, _OFF, _OFF),
    ("3.12", "sqlite", _ON, _OFF, _OFF, _ON, _ON, _ON, "none", _OFF, _ON, _ON),
    ("3.13", "postgresql", _OFF, _OFF, _ON, _ON, _ON, _OFF, "none", _ON, _ON, _ON),
    ("3.13", "sqlite", _ON, _ON, _OFF, _OFF, _OFF, _ON, "github", _ON, _OFF, _ON),
    ("3.13", "postgresql", _OFF, _OFF, _OFF, _OFF, _OFF, _OFF, "github", _OFF, _ON, _OFF),
]
PAIRWISE: list[dict[str, Any]] = [dict(zip(SWITCHES, row, strict=True)) for row in _PAIRWISE_ROWS]

# Everything at its most: the longest name copier.yml accepts (64 characters,
# so identifiers, URLs and lines built from the slug are at their longest), and
# text that needs escaping in TOML, YAML and Python strings.
LONGEST_NAME = "Variant all on " + "x" * (64 - len("Variant all on "))
AWKWARD_TEXT = {
    "description": 'Says "hi": a \\ backslash, # not a comment, {braces} & ünïcode',
    "author": "O'Brien Ops <ops@example.com>",
}

# case id -> answers (project_name defaults to "Variant <case id>")
CASES: dict[str, dict[str, Any]] = {
    "defaults": {},
    "all-on": {
        "python_version": "3.13",
        **ALL_ON,
        "project_name": LONGEST_NAME,
        **AWKWARD_TEXT,
    },
    "minimum": {"python_version": "3.11", **MINIMUM},
    **{f"pairwise-{i}": answers for i, answers in enumerate(PAIRWISE, start=1)},
    "items-referenced": {"database": "postgresql", "redis": False, "example_items": True},
}

# The README's shop, as examples/shop.yaml writes it (PostgreSQL and Redis):
# its switches here, its resources below. Read from the file, so the example
# and the row cannot drift apart.
SHOP = REPO / "examples" / "shop.yaml"
_shop_answers, _ = load_spec(SHOP, Questionnaire.from_file(REPO / "copier.yml"))
CASES["shop"] = {name: value for name, value in _shop_answers.items() if name in SWITCHES}

# case id -> the resources `add resource` adds after the project is rendered:
# a shared (not owned) resource referencing the owned example items, with a
# unique field, so the unit of work's 409, 404 and rollback paths run on
# PostgreSQL too (the default case runs them on SQLite).
CASE_RESOURCES: dict[str, list[ResourceSpec]] = {
    "items-referenced": [
        ResourceSpec(
            name="Review",
            fields=[
                "item:ref:Item",
                "code:str:20:unique",
                "rating:int",
                "pinned:bool:default=false",
            ],
            plural=None,
            access="shared",
            where="cases.py",
        )
    ],
    # A catalogue (Category, Product of every field type), owned rows (Customer,
    # Order, Invoice), a parent-owned child (OrderLine follows its Order), a
    # shared Review with a ref:User, and every on_delete rule: the generated
    # suites run each mode's and each rule's tests on PostgreSQL.
    "shop": load_resources(SHOP),
}


def uncovered_pairs(rows: list[Mapping[str, Any]]) -> set[tuple[str, Any, str, Any]]:
    """Value pairs of two switches that no row shows together."""
    wanted = {
        (a, x, b, y)
        for a, b in itertools.combinations(SWITCHES, 2)
        for x in SWITCHES[a]
        for y in SWITCHES[b]
    }
    seen = {(a, row[a], b, row[b]) for row in rows for a, b in itertools.combinations(SWITCHES, 2)}
    return wanted - seen
