"""Issue 10's defects, each as a black-box attack on a served project.

Defect 5 (creations racing their owner's deletion) is a case of
test_concurrency.py, defect 6 (Redis or the database stopped) one of
test_faults.py, where the suite owns servers it may stop, and defect 10
(compose durability) is not an HTTP behaviour. Every other defect is one or
more cases here, run against the default project (SQLite) and the
everything-on one (PostgreSQL and Redis).
"""

from __future__ import annotations

import http.client
from http.cookies import SimpleCookie
from typing import Any

import pytest

from .apps import KeepAlive, ServedApp, new_address

ITEMS = "/api/v1/items/"
ME = "/api/v1/users/me"
LOGIN = "/api/v1/auth/login"

# Past PostgreSQL's integer and SQLite's 64-bit integer, on both sides.
OUT_OF_RANGE_IDS = [
    "-2147483649",
    "2147483648",
    "-9223372036854775809",
    "9223372036854775808",
]


def _admin(app: ServedApp) -> Any:
    assert app.admin is not None, "the served variants have the admin switch on"
    return app.admin


def test_deleted_users_token_never_authenticates_as_a_later_user(any_app: ServedApp) -> None:
    """Defect 1: SQLite hands a deleted newest row's id to the next insert."""
    leaving = any_app.new_user("leaving")
    deleted = _admin(any_app).call("DELETE", f"/api/v1/users/{leaving.id}")
    assert deleted.status == 204, deleted
    newcomer = any_app.new_user("newcomer")

    stale = leaving.call("GET", ME)
    assert stale.status == 401, (f"newcomer id {newcomer.id}, leaver id {leaving.id}", stale)
    assert newcomer.call("GET", ME).body["id"] == newcomer.id


def test_bearer_header_does_not_reset_the_login_limit(any_app: ServedApp) -> None:
    """Defect 2: an address at 429 gets no more guesses by sending any token."""
    owned = any_app.new_user("owned")
    victim = any_app.new_user("victim")
    attacker = any_app.client()
    statuses = [attacker.login(victim.name, "wrong password").status for _ in range(6)]
    assert statuses == [401] * 5 + [429], statuses

    bearer = {"Authorization": f"Bearer {owned.access}"}
    form = {"username": victim.name, "password": "still wrong"}
    more = [attacker.call("POST", LOGIN, form=form, headers=bearer) for _ in range(3)]
    assert [answer.status for answer in more] == [429] * 3, more
    assert more[0].headers.get("Retry-After"), more[0]


NUL_REQUESTS = [
    ("login username", "POST", LOGIN, "form", {"username": "a\x00b", "password": "whatever1"}),
    (
        "register username",
        "POST",
        "/api/v1/auth/register",
        "json",
        {"email": "nul@example.com", "username": "nu\x00ll", "password": "long enough 1"},
    ),
    ("item title", "POST", ITEMS, "json", {"title": "a\x00b"}),
    ("item description", "POST", ITEMS, "json", {"title": "ok", "description": "a\x00b"}),
    ("profile username", "PUT", ME, "json", {"username": "nu\x00ll"}),
]


@pytest.mark.parametrize(
    ("field", "method", "path", "kind", "body"),
    NUL_REQUESTS,
    ids=[case[0] for case in NUL_REQUESTS],
)
def test_nul_in_text_is_a_validation_error(
    any_app: ServedApp, field: str, method: str, path: str, kind: str, body: dict[str, str]
) -> None:
    """Defect 3: PostgreSQL cannot store NUL; every variant answers 422."""
    user = any_app.new_user("nul")
    if kind == "form":
        answer = any_app.client().call(method, path, form=body)
    else:
        answer = user.call(method, path, json_body=body)
    assert answer.status == 422, (field, answer)
    assert answer.body["error"] == "VALIDATION_ERROR", answer


def _id_routes(item_id: str) -> list[tuple[str, str, Any]]:
    return [
        ("GET", f"{ITEMS}{item_id}", None),
        ("PUT", f"{ITEMS}{item_id}", {"title": "t"}),
        ("PATCH", f"{ITEMS}{item_id}", {"title": "t"}),
        ("DELETE", f"{ITEMS}{item_id}", None),
        ("GET", f"/api/v1/users/{item_id}", None),
        ("PUT", f"/api/v1/users/{item_id}", {"username": "renamed"}),
        ("DELETE", f"/api/v1/users/{item_id}", None),
        ("POST", f"/api/v1/admin/users/{item_id}/activate", None),
        ("POST", f"/api/v1/admin/users/{item_id}/deactivate", None),
    ]


@pytest.mark.parametrize("item_id", OUT_OF_RANGE_IDS)
def test_out_of_range_ids_are_validation_errors(
    any_app: ServedApp, item_id: str, record_property: Any
) -> None:
    """Defect 4: ids past the column's integer are 422 on every id route."""
    admin = _admin(any_app)
    routes = _id_routes(item_id)
    record_property("cases", len(routes))
    statuses = {
        f"{method} {path}": admin.call(method, path, json_body=body).status
        for method, path, body in routes
    }
    assert statuses == dict.fromkeys(statuses, 422)


def test_error_responses_keep_the_connection_or_say_close(any_app: ServedApp) -> None:
    """Defect 7: after a 500 the server hung up without `Connection: close`.

    Every request here is one that once answered 500 (defects 3 and 4); on one
    keep-alive connection, each response must either leave it usable or say
    that it closes it.
    """
    user = any_app.new_user("keepalive")
    connection = KeepAlive(any_app.worker, new_address())
    statuses = []
    try:
        for item_id in OUT_OF_RANGE_IDS:
            statuses.append(connection.call("GET", f"{ITEMS}{item_id}", token=user.access).status)
        for body in ({"title": "a\x00b"}, {"title": "ok", "description": "\x00"}):
            statuses.append(connection.call("POST", ITEMS, body, token=user.access).status)
        statuses.append(connection.call("GET", "/health").status)
    finally:
        connection.close()
    assert connection.dropped == [], (connection.dropped, statuses)
    assert statuses[-1] == 200


def _raw_request(
    app: ServedApp, method: str, path: str, headers: list[tuple[str, str]], body: bytes
) -> tuple[int, bytes]:
    """A request with headers as given, repeated names included (urllib merges them)."""
    connection = http.client.HTTPConnection("127.0.0.1", app.worker.port, timeout=15)
    try:
        connection.putrequest(method, path)
        for name, value in [*headers, ("Content-Length", str(len(body)))]:
            connection.putheader(name, value)
        connection.endheaders(body)
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def _cookie_login(app: ServedApp) -> tuple[str, str]:
    """Log in in cookie mode; return the access and CSRF cookies it set."""
    user = app.new_user("cookie")
    answer = user.client.login(user.name)
    cookies: SimpleCookie = SimpleCookie()
    for value in answer.headers.get_all("Set-Cookie") or []:
        cookies.load(value)
    return cookies["access_token"].value, cookies["csrf_token"].value


def test_csrf_check_reads_every_cookie_header(all_on_app: ServedApp) -> None:
    """Defect 8: a second `Cookie` header carried the session past the check."""
    access, csrf = _cookie_login(all_on_app)
    body = b'{"title": "forged"}'
    json_type = ("Content-Type", "application/json")
    forwarded = ("X-Forwarded-For", new_address())

    # The control: the same cookie with its CSRF token in the header passes.
    signed = [
        json_type,
        forwarded,
        ("Cookie", f"access_token={access}; csrf_token={csrf}"),
        ("X-CSRF-Token", csrf),
    ]
    assert _raw_request(all_on_app, "POST", ITEMS, signed, body)[0] == 201
    one_header = [json_type, forwarded, ("Cookie", f"access_token={access}")]
    assert _raw_request(all_on_app, "POST", ITEMS, one_header, body)[0] == 403

    split = [
        json_type,
        forwarded,
        ("Cookie", "csrf_token=zz"),
        ("Cookie", f"access_token={access}"),
    ]
    status, raw = _raw_request(all_on_app, "POST", ITEMS, split, body)
    assert status == 403, raw


def _methods(schema: dict[str, Any], path: str) -> set[str]:
    return {method.upper() for method in schema["paths"][path]}


@pytest.fixture
def openapi(any_app: ServedApp) -> dict[str, Any]:
    answer = any_app.worker.call("GET", "/openapi.json")
    assert answer.status == 200, answer
    body: dict[str, Any] = answer.body
    return body


def test_malformed_and_oversized_bodies_are_answered_as_documented(
    any_app: ServedApp, openapi: dict[str, Any], record_property: Any
) -> None:
    """Defect 9a: every operation with a body declares the 400 of malformed JSON
    and the 413 of a body over MAX_BODY_BYTES, which the app answers."""
    user = any_app.new_user("bodies")
    headers = [
        ("Content-Type", "application/json"),
        ("Authorization", f"Bearer {user.access}"),
        ("X-Forwarded-For", user.client.address),
    ]
    malformed, _ = _raw_request(any_app, "POST", ITEMS, headers, b"\xff\xfe{")
    oversized, _ = _raw_request(any_app, "POST", ITEMS, headers, b" " * (1_048_576 + 1))
    assert malformed in {400, 422}
    assert oversized == 413
    answered = openapi["paths"][ITEMS]["post"]["responses"]
    assert {str(malformed), "413"} <= answered.keys(), answered.keys()

    with_body = [
        (f"{method.upper()} {path}", operation["responses"])
        for path, operations in openapi["paths"].items()
        for method, operation in operations.items()
        if "requestBody" in operation
    ]
    record_property("cases", len(with_body))
    undocumented = [
        f"{name} {code}"
        for name, responses in with_body
        for code in ("400", "413")
        if code not in responses
    ]
    assert undocumented == []


@pytest.mark.parametrize(
    ("method", "path", "documented"),
    [
        ("DELETE", ITEMS, "/api/v1/items/"),
        ("PATCH", "/api/v1/users/", "/api/v1/users/"),
        ("DELETE", ME, "/api/v1/users/me"),
        ("PUT", "/api/v1/users/statistics", "/api/v1/users/statistics"),
        ("DELETE", "/api/v1/users/statistics", "/api/v1/users/statistics"),
        ("PUT", "/api/v1/users/export", "/api/v1/users/export"),
    ],
)
def test_wrong_method_is_405_with_every_allowed_method(
    any_app: ServedApp, openapi: dict[str, Any], method: str, path: str, documented: str
) -> None:
    """Defect 9b and 9d: 405 (not 422) and an `Allow` naming every method."""
    answer = _admin(any_app).call(method, path)
    assert answer.status == 405, answer
    allowed = {m.strip() for m in (answer.headers.get("Allow") or "").split(",")}
    assert allowed - {"HEAD", "OPTIONS"} == _methods(openapi, documented), allowed


def test_patch_item_schema_matches_what_the_server_accepts(
    any_app: ServedApp, openapi: dict[str, Any]
) -> None:
    """Defect 9c: the schema allowed "title": null, which the server refuses."""
    user = any_app.new_user("patcher")
    created = user.call("POST", ITEMS, json_body={"title": "kept"})
    assert created.status == 201, created
    refused = user.call("PATCH", f"{ITEMS}{created.body['id']}", json_body={"title": None})
    assert refused.status == 422, refused

    title = openapi["components"]["schemas"]["ItemUpdate"]["properties"]["title"]
    variants = title.get("anyOf", [title])
    assert {"type": "null"} not in variants, title
