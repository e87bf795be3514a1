"""Projects grown with `fastgen add resource` still pass every check of their own.

A default project gets three resources that use every field type and modifier
between them: one referenced by another, one referencing `User`, one not
owned that references an owned one. Between the first and the others, the user
reformats the project at another line length, comments the wiring files and
mounts a router of their own; the later resources are wired in around those
edits. Then the project's ruff, mypy, Alembic round trip and pytest must pass,
on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import re
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

CATEGORY = (
    "Category",
    [
        "name:str:80:unique",
        "description:text:optional",
        "position:int:index:default=0",
        "label:str:20:default=general",
        "since:date:default=2024-01-01",
    ],
)
PRODUCT = (
    "Product",
    [
        "name:str:120:unique",
        "price:decimal:10,2",
        "discount:decimal:5,2:default=0.50",
        "stock:int:default=0",
        "weight:float:default=1.5",
        "status:enum:draft,published:default=draft",
        "notes:text:optional",
        "category:ref:Category",
        "rating:float:optional",
        "active:bool:default=true",
        "released:date:optional",
        "launched_at:datetime:optional",
        "code:uuid:unique:optional",
        "meta:json:optional",
        "contact:email:index:optional",
        "assignee:ref:User:optional",
    ],
)
REVIEW = ("Review", ["product:ref:Product", "body:text", "stars:enum:one,two,three:index"])

HAND_WRITTEN = """from fastapi import APIRouter

router = APIRouter(prefix="/reports", tags=["reports"])


@router.get("/")
async def list_reports() -> list[str]:
    return []
"""


def users_own_edits(project: Path) -> None:
    """What a user might have done: one name per line, comments, a router of their own."""
    (project / "app/api/v1/reports.py").write_text(HAND_WRITTEN)
    routers = project / "app/api/v1/__init__.py"
    imported = re.search(r"^from app\.api\.v1 import (.*)$", routers.read_text(), re.MULTILINE)
    assert imported, routers.read_text()
    names = sorted([*imported[1].split(", "), "reports"])
    exploded = "# ours\nfrom app.api.v1 import (\n" + "".join(f"    {n},\n" for n in names) + ")"
    routers.write_text(
        routers.read_text().replace(imported[0], exploded)
        + "router.include_router(reports.router)  # hand-written\n"
    )
    models = project / "app/models/__init__.py"
    models.write_text(models.read_text() + "# every model above\n")


@pytest.mark.variants
@pytest.mark.parametrize("database", ["sqlite", "postgresql"])
def test_resources_grow_a_project_that_passes_its_own_checks(
    database: str,
    shared_venv: Callable[[str], SharedVenv],
    mypy_cache_dir: Path,
    request: pytest.FixtureRequest,
    tmp_path: Path,
) -> None:
    project = new_project(
        "Grown", data=[f"database={database}"], output_dir=tmp_path, git=False
    ).target
    venv = shared_venv("3.12")
    runner = database_runner(project, database, venv, request, mypy_cache=mypy_cache_dir)
    try:
        add_resource(*CATEGORY, project_dir=project)
        users_own_edits(project)
        add_resource(*PRODUCT, project_dir=project)
        add_resource(*REVIEW, project_dir=project, access="shared")

        routers = (project / "app/api/v1/__init__.py").read_text()
        assert "# ours\nfrom app.api.v1 import (\n" in routers
        assert "    products,\n    reports,\n    reviews,\n" in routers
        assert "router.include_router(reports.router)  # hand-written\n" in routers
        assert "# every model above\n" in (project / "app/models/__init__.py").read_text()
        for command in [*CHECK_COMMANDS[:-1], "uv run alembic upgrade head", *CHECK_COMMANDS[-1:]]:
            # Three resources add ~100 tests to the suite: more time than the default.
            runner.check(command, *shlex.split(command), timeout=1800)
    finally:
        request.node.user_properties.append(("variant_steps", runner.steps))
