"""A resource's list filters, on a resource with a field of every type.

`fastgen add resource` declares an equality filter on every field but text and
json, `__gte`/`__lte` ranges on numbers and dates, and `__contains` on str and
email fields; the resource's own suite tests each of them (values, wildcards,
case, paging, refusals). Here that suite, ruff and mypy must pass on SQLite, with
a field (`price_min`) named like another's range bound. On PostgreSQL the matrix's
"shop" row runs the same tests on examples/shop.yaml's Product, a field of every
type (tests/variants/cases.py): CI runs it once.
"""

from __future__ import annotations

import shlex
from collections.abc import Callable
from pathlib import Path

import pytest

from fastgen.commands.add_resource import add_resource
from fastgen.new import new_project

from .support import (
    CHECK_COMMANDS,
    SharedVenv,
    database_runner,
)

SUPPLIER = ("Supplier", ["name:str:80:unique"])
# Every type, optional and required, unique and indexed among them.
ARTICLE = (
    "Article",
    [
        "title:str:40:unique",
        "code:str:8:index:optional",
        "notes:text:optional",
        "stock:int:index:default=0",
        "price:decimal:10,2",
        "price_min:int:optional",
        "weight:float:optional",
        "active:bool:default=true",
        "released:date:optional",
        "seen_at:datetime:index:optional",
        "serial:uuid:unique:optional",
        "meta:json:optional",
        "contact:email:optional",
        "status:enum:draft,published:default=draft",
        "supplier:ref:Supplier",
        "reviewer:ref:User:optional",
    ],
)


@pytest.mark.variants
@pytest.mark.parametrize("database", ["sqlite"])
def test_list_filters_on_every_field_type_pass_the_projects_checks(
    database: str,
    shared_venv: Callable[[str], SharedVenv],
    mypy_cache_dir: Path,
    request: pytest.FixtureRequest,
    tmp_path: Path,
) -> None:
    project = new_project(
        "Filtered", data=[f"database={database}"], output_dir=tmp_path, git=False
    ).target
    venv = shared_venv("3.12")
    runner = database_runner(project, database, venv, request, mypy_cache=mypy_cache_dir)
    try:
        add_resource(*SUPPLIER, project_dir=project)
        add_resource(*ARTICLE, project_dir=project)
        for command in CHECK_COMMANDS:
            runner.check(command, *shlex.split(command), timeout=1800)
    finally:
        request.node.user_properties.append(("variant_steps", runner.steps))
