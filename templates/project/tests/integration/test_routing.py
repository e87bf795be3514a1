"""The API served from its prefix table (app/api/routing.py) answers and is
documented exactly as when FastAPI includes the same routers itself."""

import itertools
import json
import re
from collections.abc import AsyncIterator

import pytest
from fastapi import APIRouter, FastAPI
from starlette.types import Message

from app.api.routing import PrefixTable
from app.main import create_app
from tests.conftest import make_settings

METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE")
# Paths no route serves, each next to one that a route does.
ASIDE = (
    "/",
    "/api",
    "/api/v1",
    "/api/v1/",
    "/api/v1/nothing",
    "/api/v1/nothing/1",
    "/api/v1//users/me",
    "/api/v2/users/me",
    "/api/v1/users/me/more",
    "/api/v1/users/%2e%2e/me",
)


def included_by_fastapi(app: FastAPI) -> FastAPI:
    """`app` with the table taken out and its routers included by FastAPI."""
    table = next(r for r in app.router.routes if isinstance(r, PrefixTable))
    app.router.routes.remove(table)
    for router, options in table.included:
        prefix = table.prefix + options["prefix"]
        app.include_router(router, **{**options, "prefix": prefix})
    return app


@pytest.fixture
async def apps(database_url: str) -> AsyncIterator[tuple[FastAPI, FastAPI]]:
    served = create_app(make_settings(database_url))
    classic = included_by_fastapi(create_app(make_settings(database_url)))
    async with (
        served.router.lifespan_context(served),
        classic.router.lifespan_context(classic),
    ):
        yield served, classic


async def answer(app: FastAPI, method: str, path: str, client: str) -> str:
    """What `app` answers, but for the time: status, where a redirect points,
    the methods a 405 allows, and the error's code."""
    sent: list[Message] = []

    async def receive() -> Message:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Message) -> None:
        sent.append(message)

    raw_path = path.encode()
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "https",
        "server": ("test", 443),
        # A client of its own per request, so no limit counts across them.
        "client": (client, 50000),
        "root_path": "",
        "path": path.replace("%2e", "."),
        "raw_path": raw_path,
        "query_string": b"",
        "headers": [(b"host", b"test")],
        "state": {},
    }
    await app(scope, receive, send)
    start = sent[0]
    headers = dict(start["headers"])
    body = b"".join(m.get("body", b"") for m in sent[1:])
    error = json.loads(body).get("error") if body.startswith(b"{") else None
    return (
        f"{start['status']} location={headers.get(b'location')!r}"
        f" allow={headers.get(b'allow')!r} error={error}"
    )


def requests(app: FastAPI) -> list[tuple[str, str]]:
    """Every method on every documented path, its ids filled in with a number
    and with a word, with and without the trailing slash; and the paths aside."""
    paths = set(ASIDE)
    for path in app.openapi()["paths"]:
        for filler in ("1", "x"):
            filled = re.sub(r"\{[^}]*\}", filler, path).rstrip("/")
            paths |= {filled, filled + "/"}
    return list(itertools.product(METHODS, sorted(paths)))


async def test_every_request_is_answered_as_fastapi_answers_it(
    apps: tuple[FastAPI, FastAPI],
) -> None:
    served, classic = apps
    checked = requests(served)

    for n, (method, path) in enumerate(checked):
        client = f"10.{n // 65536 % 256}.{n // 256 % 256}.{n % 256}"
        assert await answer(served, method, path, client) == await answer(
            classic, method, path, client
        ), (method, path)
    assert len(checked) > 200


async def test_the_document_is_the_one_fastapi_makes(
    apps: tuple[FastAPI, FastAPI],
) -> None:
    served, classic = apps

    assert json.dumps(served.openapi()) == json.dumps(classic.openapi())


def test_a_router_without_a_fixed_prefix_is_refused() -> None:
    table = PrefixTable(FastAPI(), "/api/v1")

    for prefix in ("", "/{org_id}"):
        with pytest.raises(ValueError, match="needs a prefix"):
            table.include_router(APIRouter(prefix=prefix))
