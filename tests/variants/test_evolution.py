"""A resource's whole life on a database that holds rows: fields added, renamed,
changed and removed, a reference dropped, a resource removed.

A project with Category and Product (a reference, a decimal, an optional text,
an int with a default) is migrated and filled through its API, and Product's
service is edited by hand. After each change: `alembic upgrade head` on that
database keeps every row and value (renamed values under the new name,
defaults filled), `alembic check` is clean and the API serves the new shape. At
the end one downgrade and upgrade work, the hand edit is still there, and the
project's ruff, mypy and suite (with its coverage gate) pass. On SQLite (Alembic
copies the table) and on PostgreSQL (ALTER).
"""

from __future__ import annotations

import shlex
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from conftest import fastgen
from update_support import commit_all, git_status

from .servers import Worker, uvicorn_servers
from .support import (
    CHECK_COMMANDS,
    SharedVenv,
    database_runner,
)

PASSWORD = "correct horse battery"
SERVICE = "app/services/product_service.py"
PROBED = "        # other users' rows cannot be probed.\n"
HAND_EDIT = "        # other users' rows cannot be probed (hand edit: kept by every change).\n"
Row = dict[str, Any]


def _remove(key: str) -> Callable[[Row], None]:
    return lambda row: row.pop(key)


def _rename(old: str, new: str) -> Callable[[Row], None]:
    return lambda row: row.update({new: row.pop(old)})


# Each change, and what it does to every row the API answers.
CHANGES: list[tuple[list[str], Callable[[Row], None]]] = [
    (["add", "field", "Product", "rating:float:optional", "featured:bool:default=false"],
     lambda row: row.update(rating=None, featured=False)),
    (["rename", "field", "Product", "name", "title"], _rename("name", "title")),
    # An enum's CHECK is named after its field: SQLite's table copy must not keep the old.
    (["rename", "field", "Product", "status", "state"], _rename("status", "state")),
    (["change", "field", "Product", "title:str:200:unique"], lambda row: None),
    (["remove", "field", "Product", "notes"], _remove("notes")),
    (["remove", "field", "Product", "category"], _remove("category_id")),
    (["remove", "resource", "Category"], lambda row: None),
]  # fmt: skip


def _token(worker: Worker) -> str:
    answer = worker.call(
        "POST", "/api/v1/auth/login", form={"username": "ann", "password": PASSWORD}
    )
    assert answer.status == 200, answer
    return str(answer.body["access_token"])


def _products(worker: Worker, token: str) -> list[Row]:
    answer = worker.call("GET", "/api/v1/products/?sort=id", token=token)
    assert answer.status == 200, answer
    return list(answer.body["items"])


def _fill(worker: Worker) -> list[Row]:
    """Rows written through the API: two categories, three products."""
    registered = worker.call(
        "POST",
        "/api/v1/auth/register",
        json_body={"email": "ann@example.com", "username": "ann", "password": PASSWORD},
    )
    assert registered.status == 201, registered
    token = _token(worker)
    categories = [
        worker.call("POST", "/api/v1/categories/", json_body={"name": name}, token=token)
        for name in ("books", "games")
    ]
    assert [c.status for c in categories] == [201, 201], categories
    for name, price, notes, stock in (
        ("atlas", "12.50", "mind the maps", 4),
        ("chess", "30.00", None, None),
        ("dune", "9.99", None, 7),
    ):
        body = {
            "name": name,
            "price": price,
            "notes": notes,
            "category_id": categories[0].body["id"],
        }
        if stock is not None:
            body["stock"] = stock
        created = worker.call("POST", "/api/v1/products/", json_body=body, token=token)
        assert created.status == 201, created
    return _products(worker, token)


@pytest.mark.variants
@pytest.mark.parametrize("database", ["sqlite", "postgresql"])
def test_a_resource_evolves_on_a_database_that_holds_rows(
    database: str,
    shared_venv: Callable[[str], SharedVenv],
    mypy_cache_dir: Path,
    request: pytest.FixtureRequest,
    tmp_path: Path,
) -> None:
    venv = shared_venv("3.12")
    run = fastgen("new", "Evolving", "--defaults", "-q", "-o", str(tmp_path),
                  "--data", "example_items=false", "--data", f"database={database}")  # fmt: skip
    assert run.exit_code == 0, run.stderr
    project = tmp_path / "evolving"
    for resource in (
        ["Category", "name:str:80:unique"],
        ["Product", "name:str:120:unique", "price:decimal:10,2", "notes:text:optional",
         "stock:int:default=0", "status:enum:draft,live:default=draft", "category:ref:Category"],
    ):  # fmt: skip
        assert fastgen("add", "resource", *resource, "-q", "-p", str(project)).exit_code == 0
    service = project / SERVICE
    assert PROBED in service.read_text()
    service.write_text(service.read_text().replace(PROBED, HAND_EDIT))
    commit_all(project, "Category, Product, a hand edit")

    runner = database_runner(
        project, database, venv, request, mypy_cache=mypy_cache_dir,
        sqlite_url=f"sqlite+aiosqlite:///{tmp_path / 'kept.db'}",
    )  # fmt: skip
    env = runner.env
    logs = iter(tmp_path / f"uvicorn{n}.log" for n in range(len(CHANGES) + 1))
    try:
        runner.check("alembic upgrade head", "alembic", "upgrade", "head")
        with uvicorn_servers(venv, project, env, [next(logs)]) as (worker,):
            expected = _fill(worker)
        assert len(expected) == 3 and expected[1]["stock"] == 0

        for argv, effect in CHANGES:
            changed = fastgen(*argv, "-q", "-p", str(project))

            assert changed.exit_code == 0, f"{argv}: {changed.stdout}{changed.stderr}"
            revisions = [p for p, code in git_status(project).items() if p.startswith("alembic/")]
            assert len(revisions) == 1, f"{argv}: {git_status(project)}"  # one new revision
            commit_all(project, " ".join(argv))
            runner.check(
                f"alembic upgrade head ({argv[0]} {argv[-1]})", "alembic", "upgrade", "head"
            )
            runner.check(f"alembic check ({argv[0]} {argv[-1]})", "alembic", "check")
            for row in expected:
                effect(row)
            with uvicorn_servers(venv, project, env, [next(logs)]) as (worker,):
                token = _token(worker)
                served = _products(worker, token)
                assert [{k: row[k] for k in expected[0]} for row in served] == expected, argv
                assert set(served[0]) == set(expected[0]), argv  # nothing removed is served
                if argv[:2] == ["change", "field"]:
                    kept = {k: v for k, v in expected[0].items() if k in ("price", "category_id")}
                    body = {**kept, "title": "t" * 200}  # the new length
                    created = worker.call("POST", "/api/v1/products/", json_body=body, token=token)
                    assert created.status == 201, created
                    expected.append({k: created.body[k] for k in expected[0]})
                if argv[:2] == ["remove", "resource"]:
                    gone = worker.call("GET", "/api/v1/categories/", token=token)
                    assert gone.status == 404, gone

        runner.check("alembic downgrade -1", "alembic", "downgrade", "-1")
        runner.check("alembic upgrade head (again)", "alembic", "upgrade", "head")
        assert HAND_EDIT in service.read_text()
        for command in CHECK_COMMANDS:
            runner.check(command, *shlex.split(command), timeout=1800)
    finally:
        request.node.user_properties.append(("variant_steps", runner.steps))
