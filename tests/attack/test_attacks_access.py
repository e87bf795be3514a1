"""Issue 21's access rules, attacked over HTTP on the served shop (apps.py's RESOURCES,
examples/shop.yaml): order lines that follow their order, a catalogue only admins
write, a ref:User that names only the caller, unique per owner, references that
follow the row's owner, and a user's deletion through three resources.

Every hidden row must answer exactly as a missing one: the tests compare the
status, the error code and the detail with those of an id no row has.
"""

from __future__ import annotations

import itertools
import random
from typing import Any

from .apps import ServedApp, User, unique_name

V1 = "/api/v1"
NOBODY = 2**31 - 1  # a valid id no row has
_numbers = itertools.count(random.randrange(1, 1 << 20) * 1000)


def _admin(app: ServedApp) -> User:
    assert app.admin is not None, "the served variants have the admin switch on"
    return app.admin


def _created(answer: Any) -> dict[str, Any]:
    assert answer.status == 201, answer
    body: dict[str, Any] = answer.body
    return body


def _refusal(answer: Any) -> tuple[int, str, Any]:
    """What a refusal tells the caller, but the timestamp and the path it echoes."""
    return answer.status, answer.body["error"], answer.body["detail"]


def _catalogue(app: ServedApp) -> tuple[dict[str, Any], dict[str, Any]]:
    """A category and a product of it, written by the admin."""
    admin = _admin(app)
    category = _created(
        admin.call("POST", f"{V1}/categories/", json_body={"name": unique_name("cat")})
    )
    product = _created(
        admin.call(
            "POST",
            f"{V1}/products/",
            json_body={"name": unique_name("prod"), "price": "9.50", "category_id": category["id"]},
        )
    )
    return category, product


def _customer(user: User) -> dict[str, Any]:
    return _created(user.call("POST", f"{V1}/customers/", json_body={"name": unique_name("c")}))


def _order(user: User, customer_id: int) -> dict[str, Any]:
    body = {"number": next(_numbers), "customer_id": customer_id}
    return _created(user.call("POST", f"{V1}/orders/", json_body=body))


def _line(user: User, order_id: int, product_id: int, quantity: int = 3) -> dict[str, Any]:
    body = {"order_id": order_id, "product_id": product_id, "quantity": quantity}
    return _created(user.call("POST", f"{V1}/order-lines/", json_body=body))


def _invoice(user: User, order_id: int) -> dict[str, Any]:
    body = {"total": "12.00", "order_id": order_id}
    return _created(user.call("POST", f"{V1}/invoices/", json_body=body))


def _ids(answer: Any) -> list[int]:
    assert answer.status == 200, answer
    return [row["id"] for row in answer.body["items"]]


def test_a_stranger_can_do_nothing_to_another_users_order_lines(
    any_app: ServedApp, record_property: Any
) -> None:
    _, product = _catalogue(any_app)
    alice, bob = any_app.new_user("alice"), any_app.new_user("bob")
    order = _order(alice, _customer(alice)["id"])
    line = _line(alice, order["id"], product["id"], quantity=7)
    own_order = _order(bob, _customer(bob)["id"])
    own_line = _line(bob, own_order["id"], product["id"], quantity=1)
    path, missing = f"{V1}/order-lines/{line['id']}", f"{V1}/order-lines/{NOBODY}"
    change = {"order_id": order["id"], "product_id": product["id"], "quantity": 999}

    # Every verb on the line answers as a missing line does.
    attempts = [
        ("GET", None),
        ("PUT", change),
        ("PATCH", {"quantity": 999}),
        ("DELETE", None),
    ]
    for method, body in attempts:
        hidden = bob.call(method, path, json_body=body)
        absent = bob.call(method, missing, json_body=body)
        assert _refusal(hidden) == _refusal(absent), (method, hidden, absent)
        assert hidden.body["error"] == "ORDER_LINE_NOT_FOUND", (method, hidden)

    # Lists, filters and sorts never reach it: bob sees his line and only his.
    lists = [
        "",
        f"?order_id={order['id']}",
        f"?product_id={product['id']}",
        "?quantity=7",
        "?quantity__gte=5",
        "?sort=-quantity",
        "?sort=id&limit=100",
    ]
    for query in lists:
        seen = _ids(bob.call("GET", f"{V1}/order-lines/{query}"))
        assert line["id"] not in seen, (query, seen)
        assert set(seen) <= {own_line["id"]}, (query, seen)
    by_order = bob.call("GET", f"{V1}/order-lines/?order_id={order['id']}")
    by_missing = bob.call("GET", f"{V1}/order-lines/?order_id={NOBODY}")
    assert (by_order.status, by_order.body["total"]) == (by_missing.status, 0)

    # No line on alice's order, created or moved there: 404 as for a missing order.
    new = {"order_id": order["id"], "product_id": product["id"], "quantity": 1}
    onto = bob.call("POST", f"{V1}/order-lines/", json_body=new)
    onto_missing = bob.call("POST", f"{V1}/order-lines/", json_body={**new, "order_id": NOBODY})
    assert onto.status == 404 and onto.body["error"] == "ORDER_NOT_FOUND", onto
    assert {**onto.body, "timestamp": None} == {**onto_missing.body, "timestamp": None}
    moved = bob.call("PATCH", f"{V1}/order-lines/{own_line['id']}", json_body=new)
    assert _refusal(moved) == _refusal(onto), moved

    # Nothing changed for alice.
    assert alice.call("GET", path).body == line
    assert _ids(alice.call("GET", f"{V1}/order-lines/?order_id={order['id']}")) == [line["id"]]
    assert bob.call("GET", f"{V1}/order-lines/{own_line['id']}").body == own_line
    record_property("cases", len(attempts) + len(lists) + 3)


def test_a_users_writes_to_the_catalogue_are_forbidden_and_change_nothing(
    any_app: ServedApp, record_property: Any
) -> None:
    category, product = _catalogue(any_app)
    admin, user = _admin(any_app), any_app.new_user("shopper")
    writes = [
        ("POST", f"{V1}/categories/", {"name": unique_name("mine")}),
        ("PUT", f"{V1}/categories/{category['id']}", {"name": "renamed"}),
        ("PATCH", f"{V1}/categories/{category['id']}", {"name": "renamed"}),
        ("DELETE", f"{V1}/categories/{category['id']}", None),
        (
            "POST",
            f"{V1}/products/",
            {"name": unique_name("mine"), "price": "1.00", "category_id": category["id"]},
        ),
        (
            "PUT",
            f"{V1}/products/{product['id']}",
            {"name": "renamed", "price": "0.01", "category_id": category["id"]},
        ),
        ("PATCH", f"{V1}/products/{product['id']}", {"price": "0.01"}),
        ("DELETE", f"{V1}/products/{product['id']}", None),
        # Not even a missing row is told apart: the verb is refused first.
        ("DELETE", f"{V1}/products/{NOBODY}", None),
    ]
    before = {
        name: admin.call("GET", f"{V1}/{name}/?limit=100").body["total"]
        for name in ("categories", "products")
    }
    for method, path, body in writes:
        answer = user.call(method, path, json_body=body)
        assert (answer.status, answer.body["error"]) == (403, "FORBIDDEN"), (method, path, answer)

    # Every signed-in user reads the catalogue, unchanged.
    assert user.call("GET", f"{V1}/categories/{category['id']}").body == category
    assert user.call("GET", f"{V1}/products/{product['id']}").body == product
    after = {
        name: admin.call("GET", f"{V1}/{name}/?limit=100").body["total"]
        for name in ("categories", "products")
    }
    assert after == before
    record_property("cases", len(writes))


def test_a_ref_user_naming_another_user_answers_as_a_missing_id(any_app: ServedApp) -> None:
    _, product = _catalogue(any_app)
    alice, bob = any_app.new_user("alice"), any_app.new_user("bob")
    review = {"body": "fine", "product_id": product["id"]}

    as_alice = bob.call("POST", f"{V1}/reviews/", json_body={**review, "reviewer_id": alice.id})
    as_nobody = bob.call("POST", f"{V1}/reviews/", json_body={**review, "reviewer_id": NOBODY})
    assert as_alice.status == 404 and as_alice.body["error"] == "USER_NOT_FOUND", as_alice
    assert {**as_alice.body, "timestamp": None} == {**as_nobody.body, "timestamp": None}

    own = _created(bob.call("POST", f"{V1}/reviews/", json_body={**review, "reviewer_id": bob.id}))
    path = f"{V1}/reviews/{own['id']}"
    to_alice = bob.call("PATCH", path, json_body={"reviewer_id": alice.id})
    to_nobody = bob.call("PATCH", path, json_body={"reviewer_id": NOBODY})
    assert (
        _refusal(to_alice)
        == _refusal(to_nobody)
        == (404, "USER_NOT_FOUND", to_alice.body["detail"])
    )
    assert bob.call("GET", path).body["reviewer_id"] == bob.id
    # The admin may name any user.
    named = _admin(any_app).call("PATCH", path, json_body={"reviewer_id": alice.id})
    assert named.status == 200 and named.body["reviewer_id"] == alice.id, named


def test_unique_is_per_owner_and_tells_nothing_of_other_users(any_app: ServedApp) -> None:
    alice, bob = any_app.new_user("alice"), any_app.new_user("bob")
    name = unique_name("acme")
    alices = _created(alice.call("POST", f"{V1}/customers/", json_body={"name": name}))

    bobs = bob.call("POST", f"{V1}/customers/", json_body={"name": name})
    assert bobs.status == 201, bobs
    assert _ids(bob.call("GET", f"{V1}/customers/?name={name}")) == [bobs.body["id"]]
    assert _ids(bob.call("GET", f"{V1}/customers/?name__contains={name}")) == [bobs.body["id"]]
    again = bob.call("POST", f"{V1}/customers/", json_body={"name": name})
    assert (again.status, again.body["error"]) == (409, "CUSTOMER_CONFLICT"), again
    renamed = _customer(bob)
    clash = bob.call("PATCH", f"{V1}/customers/{renamed['id']}", json_body={"name": name})
    assert (clash.status, clash.body["error"]) == (409, "CUSTOMER_CONFLICT"), clash

    # Orders' numbers too; alice's rows are untouched.
    number = next(_numbers)
    body = {"number": number, "customer_id": alices["id"]}
    _created(alice.call("POST", f"{V1}/orders/", json_body=body))
    theirs = bob.call(
        "POST", f"{V1}/orders/", json_body={"number": number, "customer_id": bobs.body["id"]}
    )
    assert theirs.status == 201, theirs
    assert alice.call("GET", f"{V1}/customers/{alices['id']}").body == alices


def test_an_admin_cannot_point_a_users_order_at_another_users_customer(
    any_app: ServedApp,
) -> None:
    admin = _admin(any_app)
    alice, bob = any_app.new_user("alice"), any_app.new_user("bob")
    customer = _customer(alice)
    order = _order(alice, customer["id"])
    bobs = _customer(bob)
    path = f"{V1}/orders/{order['id']}"

    for method, body in [
        ("PATCH", {"customer_id": bobs["id"]}),
        ("PUT", {"number": order["number"], "customer_id": bobs["id"]}),
    ]:
        pointed = admin.call(method, path, json_body=body)
        missing = admin.call(method, path, json_body={**body, "customer_id": NOBODY})
        assert (pointed.status, pointed.body["error"]) == (404, "CUSTOMER_NOT_FOUND"), pointed
        assert _refusal(pointed) == _refusal(missing)
    assert alice.call("GET", path).body == order
    # alice's unchanged PUT of her own order still works, and bob deletes his customer.
    put = {"number": order["number"], "customer_id": customer["id"]}
    assert alice.call("PUT", path, json_body=put).status == 200
    assert bob.call("DELETE", f"{V1}/customers/{bobs['id']}").status == 204


def _gone(admin: User, paths: list[str]) -> dict[str, int]:
    return {path: admin.call("GET", path).status for path in paths}


def test_deleting_a_user_follows_each_rule_through_three_resources(
    any_app: ServedApp, record_property: Any
) -> None:
    """customer <- order <- order line, and invoice: cascade deletes them all in one
    go; an invoice (restrict) on an order of the user's customer refuses it whole."""
    admin = _admin(any_app)
    _, product = _catalogue(any_app)

    # dave: his own chain and the admin's order for his customer; all cascade.
    dave = any_app.new_user("dave")
    customer = _customer(dave)
    order = _order(dave, customer["id"])
    line = _line(dave, order["id"], product["id"])
    invoice = _invoice(dave, order["id"])  # his own: goes with him
    admins_order = _order(admin, customer["id"])
    admins_line = _line(admin, admins_order["id"], product["id"])
    review = _created(
        dave.call(
            "POST",
            f"{V1}/reviews/",
            json_body={"body": "kept", "product_id": product["id"], "reviewer_id": dave.id},
        )
    )
    paths = [
        f"{V1}/customers/{customer['id']}",
        f"{V1}/orders/{order['id']}",
        f"{V1}/order-lines/{line['id']}",
        f"{V1}/invoices/{invoice['id']}",
        f"{V1}/orders/{admins_order['id']}",
        f"{V1}/order-lines/{admins_line['id']}",
    ]
    deleted = admin.call("DELETE", f"{V1}/users/{dave.id}")
    assert deleted.status == 204, deleted
    assert _gone(admin, paths) == dict.fromkeys(paths, 404)
    assert admin.call("GET", f"{V1}/users/{dave.id}").status == 404
    kept = admin.call("GET", f"{V1}/reviews/{review['id']}")
    assert (kept.status, kept.body["reviewer_id"]) == (200, None), kept  # set_null
    assert admin.call("GET", f"{V1}/products/{product['id']}").status == 200

    # erin: the admin's invoice holds an order of her customer: 409, nothing deleted.
    erin = any_app.new_user("erin")
    customer = _customer(erin)
    own_order = _order(erin, customer["id"])
    own_line = _line(erin, own_order["id"], product["id"])
    admins_order = _order(admin, customer["id"])
    admins_line = _line(admin, admins_order["id"], product["id"])
    admins_invoice = _invoice(admin, admins_order["id"])
    paths = [
        f"{V1}/customers/{customer['id']}",
        f"{V1}/orders/{own_order['id']}",
        f"{V1}/order-lines/{own_line['id']}",
        f"{V1}/orders/{admins_order['id']}",
        f"{V1}/order-lines/{admins_line['id']}",
        f"{V1}/invoices/{admins_invoice['id']}",
    ]
    refused = admin.call("DELETE", f"{V1}/users/{erin.id}")
    assert (refused.status, refused.body["error"]) == (409, "USER_IN_USE"), refused
    assert "invoices" in refused.body["detail"], refused
    assert _gone(admin, paths) == dict.fromkeys(paths, 200)
    assert erin.call("GET", f"{V1}/users/me").status == 200
    assert erin.call("GET", f"{V1}/order-lines/{own_line['id']}").body == own_line

    # Once the invoice goes, so does erin, whole.
    assert admin.call("DELETE", f"{V1}/invoices/{admins_invoice['id']}").status == 204
    assert admin.call("DELETE", f"{V1}/users/{erin.id}").status == 204
    assert _gone(admin, paths[:-1]) == dict.fromkeys(paths[:-1], 404)
    record_property("cases", 3)


def test_the_admin_sees_and_manages_every_row(any_app: ServedApp) -> None:
    admin = _admin(any_app)
    category, product = _catalogue(any_app)
    alice, bob = any_app.new_user("alice"), any_app.new_user("bob")
    order = _order(alice, _customer(alice)["id"])
    line = _line(alice, order["id"], product["id"])
    bobs_customer = _customer(bob)

    assert order["id"] in _ids(
        admin.call("GET", f"{V1}/orders/?customer_id={order['customer_id']}")
    )
    assert _ids(admin.call("GET", f"{V1}/order-lines/?order_id={order['id']}")) == [line["id"]]
    assert admin.call("GET", f"{V1}/customers/{bobs_customer['id']}").status == 200

    changed = admin.call("PATCH", f"{V1}/order-lines/{line['id']}", json_body={"quantity": 9})
    assert (changed.status, changed.body["quantity"]) == (200, 9), changed
    assert alice.call("GET", f"{V1}/order-lines/{line['id']}").body["quantity"] == 9
    renamed = admin.call("PATCH", f"{V1}/categories/{category['id']}", json_body={"notes": "n"})
    assert renamed.status == 200, renamed

    # restrict: a product an order line names cannot go; the line can, then it can.
    in_use = admin.call("DELETE", f"{V1}/products/{product['id']}")
    assert (in_use.status, in_use.body["error"]) == (409, "PRODUCT_IN_USE"), in_use
    assert "order_lines" in in_use.body["detail"], in_use
    assert admin.call("DELETE", f"{V1}/order-lines/{line['id']}").status == 204
    assert admin.call("DELETE", f"{V1}/products/{product['id']}").status == 204
    # cascade: alice's order goes with her customer; bob's customer with the admin.
    assert admin.call("DELETE", f"{V1}/customers/{order['customer_id']}").status == 204
    assert alice.call("GET", f"{V1}/orders/{order['id']}").status == 404
    assert admin.call("DELETE", f"{V1}/customers/{bobs_customer['id']}").status == 204
