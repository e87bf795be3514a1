"""What a delete does to the rows that point at it, in a shop, through its API.

Customer (owned), Product (shared), Order (`customer:ref:Customer:on_delete=cascade`),
OrderLine (`order:ref:Order:on_delete=cascade`, `product:ref:Product`: restrict),
Review (`author:ref:User:optional`: set null) and Invoice (`order:ref:Order`:
restrict). Served by uvicorn on a migrated database, an admin deletes users:
dave, whose customer the admin's order, its line and a review point at, goes
with his rows in one 204 (the order and its line cascade, the review lets go);
erin, whose customer's order an invoice holds, is refused with a 409 naming
invoices and nothing changes. A product on an order line, and a customer whose
order is invoiced, cannot be deleted either (409 naming the table). Then the
project's ruff, mypy, Alembic round trip and suite (its own tests of each rule)
pass. On SQLite and on PostgreSQL.
"""

from __future__ import annotations

import shlex
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from conftest import fastgen

from .servers import Worker, uvicorn_servers
from .support import (
    CHECK_COMMANDS,
    SharedVenv,
    database_runner,
)

PASSWORD = "correct horse battery"
SHOP = [
    ["Customer", "name:str:80"],
    ["Product", "name:str:80", "--no-owned"],
    ["Order", "number:int", "customer:ref:Customer:on_delete=cascade"],
    ["OrderLine", "quantity:int", "order:ref:Order:on_delete=cascade", "product:ref:Product",
     "--plural", "order_lines"],
    ["Review", "body:text", "author:ref:User:optional", "--no-owned"],
    ["Invoice", "total:int", "order:ref:Order"],
]  # fmt: skip
USERS = ("ann", "dave", "erin")


class Shop:
    """The API as the admin and the users see it."""

    def __init__(self, worker: Worker) -> None:
        self.worker = worker
        self.tokens = {name: self._login(name) for name in USERS}
        self.ids = {name: self.call(name, "GET", "/api/v1/users/me")["id"] for name in USERS}

    def _login(self, name: str) -> str:
        form = {"username": name, "password": PASSWORD}
        answer = self.worker.call("POST", "/api/v1/auth/login", form=form)
        assert answer.status == 200, answer
        return str(answer.body["access_token"])

    def call(self, who: str, method: str, path: str, body: Any = None, status: int = 200) -> Any:
        answer = self.worker.call(method, path, json_body=body, token=self.tokens[who])
        assert answer.status == status, (method, path, answer)
        return answer.body

    def create(self, who: str, plural: str, **values: Any) -> dict[str, Any]:
        created: dict[str, Any] = self.call(who, "POST", f"/api/v1/{plural}/", values, 201)
        return created

    def rows(self, *urls: str) -> dict[str, Any]:
        """What the admin reads at each url: the row, or its status when there is none."""
        found = {}
        for url in urls:
            answer = self.worker.call("GET", url, token=self.tokens["ann"])
            found[url] = answer.body if answer.status == 200 else answer.status
        return found


def _register(worker: Worker) -> None:
    for name in USERS:
        body = {"email": f"{name}@example.com", "username": name, "password": PASSWORD}
        registered = worker.call("POST", "/api/v1/auth/register", json_body=body)
        assert registered.status == 201, registered


def _refused(answer: Any, error: str, detail: str) -> None:
    assert (answer["error"], answer["detail"]) == (error, detail), answer


def _deleting_users_and_referenced_rows(shop: Shop) -> None:
    product = shop.create("ann", "products", name="atlas")["id"]
    daves = shop.create("dave", "customers", name="dave's")["id"]
    # The admin's order for dave's customer, its line, and a review by dave.
    order = shop.create("ann", "orders", number=1, customer_id=daves)["id"]
    line = shop.create("ann", "order-lines", quantity=2, order_id=order, product_id=product)
    review = shop.create("ann", "reviews", body="fine", author_id=shop.ids["dave"])
    own_order = shop.create("dave", "orders", number=2, customer_id=daves)["id"]

    shop.call("ann", "DELETE", f"/api/v1/users/{shop.ids['dave']}", status=204)

    gone = shop.rows(
        f"/api/v1/users/{shop.ids['dave']}", f"/api/v1/customers/{daves}",
        f"/api/v1/orders/{order}", f"/api/v1/orders/{own_order}",
        f"/api/v1/order-lines/{line['id']}",
    )  # fmt: skip
    assert set(gone.values()) == {404}, gone
    kept = shop.rows(f"/api/v1/reviews/{review['id']}", f"/api/v1/products/{product}")
    assert kept[f"/api/v1/reviews/{review['id']}"] == {**review, "author_id": None}

    # erin's customer has an order the admin invoiced: an invoice restricts it.
    erins = shop.create("erin", "customers", name="erin's")["id"]
    invoiced = shop.create("ann", "orders", number=3, customer_id=erins)["id"]
    invoice = shop.create("ann", "invoices", total=10, order_id=invoiced)["id"]
    shop.create("ann", "order-lines", quantity=1, order_id=invoiced, product_id=product)
    shop.create("ann", "reviews", body="late", author_id=shop.ids["erin"])
    urls = [
        f"/api/v1/users/{shop.ids['erin']}", f"/api/v1/customers/{erins}",
        f"/api/v1/orders/{invoiced}", f"/api/v1/invoices/{invoice}",
        "/api/v1/order-lines/", "/api/v1/reviews/", f"/api/v1/products/{product}",
    ]  # fmt: skip
    before = shop.rows(*urls)

    erin = shop.call("ann", "DELETE", f"/api/v1/users/{shop.ids['erin']}", status=409)
    customer = shop.call("erin", "DELETE", f"/api/v1/customers/{erins}", status=409)
    used = shop.call("ann", "DELETE", f"/api/v1/products/{product}", status=409)

    held = "still referenced by invoices (through"
    _refused(erin, "USER_IN_USE", f"User is {held} customers, orders)")
    _refused(customer, "CUSTOMER_IN_USE", f"Customer is {held} orders)")
    _refused(used, "PRODUCT_IN_USE", "Product is still referenced by order_lines")
    assert shop.rows(*urls) == before

    # Once the invoice is gone, erin goes with her customer and its order.
    shop.call("ann", "DELETE", f"/api/v1/invoices/{invoice}", status=204)
    shop.call("ann", "DELETE", f"/api/v1/users/{shop.ids['erin']}", status=204)
    assert set(shop.rows(*urls[:3]).values()) == {404}


@pytest.mark.variants
@pytest.mark.parametrize("database", ["sqlite", "postgresql"])
def test_what_a_delete_does_to_the_rows_that_point_at_it(
    database: str,
    shared_venv: Callable[[str], SharedVenv],
    mypy_cache_dir: Path,
    request: pytest.FixtureRequest,
    tmp_path: Path,
) -> None:
    venv = shared_venv("3.12")
    run = fastgen("new", "Shop", "--defaults", "-q", "-o", str(tmp_path),
                  "--data", "example_items=false", "--data", f"database={database}")  # fmt: skip
    assert run.exit_code == 0, run.stderr
    project = tmp_path / "shop"
    for resource in SHOP:
        added = fastgen("add", "resource", *resource, "-q", "-p", str(project))
        assert added.exit_code == 0, added.stderr

    runner = database_runner(
        project, database, venv, request, mypy_cache=mypy_cache_dir,
        sqlite_url=f"sqlite+aiosqlite:///{tmp_path / 'shop.db'}",
    )  # fmt: skip
    env = runner.env
    try:
        runner.check("alembic upgrade head", "alembic", "upgrade", "head")
        with uvicorn_servers(venv, project, env, [tmp_path / "register.log"]) as (worker,):
            _register(worker)
        runner.check(
            "create-admin",
            "python", "-m", "app.cli", "create-admin", "--email", "ann@example.com",
            "--username", "ann",
        )  # fmt: skip
        with uvicorn_servers(venv, project, env, [tmp_path / "shop.log"]) as (worker,):
            _deleting_users_and_referenced_rows(Shop(worker))
        # The project's own suite on PostgreSQL is the matrix's "shop" row's (every
        # delete rule, examples/shop.yaml): here the rest of the checks.
        checks = [c for c in CHECK_COMMANDS if database == "sqlite" or c != "uv run pytest --cov"]
        for command in checks:
            runner.check(command, *shlex.split(command), timeout=1800)
    finally:
        request.node.user_properties.append(("variant_steps", runner.steps))
