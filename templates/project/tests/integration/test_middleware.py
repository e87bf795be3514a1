"""Envelope, headers and request ids on every kind of response."""

import threading
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
import uvicorn
from starlette.types import Message, Receive, Scope, Send

from app.core.resources import Resources
from app.main import create_app
from app.middleware.body_limit import BodyLimitMiddleware, BodyTooLarge
from app.middleware.cors import EnvelopeCORSMiddleware
from app.middleware.security_headers import security_headers
from tests.conftest import PASSWORD, UserFactory, bearer, make_settings
from tests.integration.conftest import ClientFactory, app_of

SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "X-XSS-Protection": "0",
    "Strict-Transport-Security": "max-age=31536000; includeSubDomains",
    "Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'; base-uri 'none'",
}


def assert_envelope(response: httpx.Response, status: int, error: str) -> None:
    assert response.status_code == status
    body = response.json()
    assert set(body) == {"error", "detail", "timestamp", "path"}
    assert body["error"] == error
    assert body["path"] == response.request.url.path
    assert body["timestamp"].endswith("Z")


def assert_security_headers(response: httpx.Response) -> None:
    for name, value in SECURITY_HEADERS.items():
        assert response.headers.get(name) == value, name


async def boom() -> None:
    raise RuntimeError("secret detail: SELECT password FROM users")


@pytest.fixture
async def failing_client(client: httpx.AsyncClient) -> httpx.AsyncClient:
    app_of(client).add_api_route("/boom", boom)
    return client


@pytest.fixture
def failing_server(database_url: str) -> Iterator[str]:
    """The app with a failing route, served by uvicorn on a free port."""
    app = create_app(make_settings(database_url))
    app.add_api_route("/boom", boom)
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=0, log_level="critical")
    )
    thread = threading.Thread(target=server.run)
    thread.start()
    try:
        while not server.started:
            assert thread.is_alive(), "uvicorn did not start"
            thread.join(0.05)
        (socket,) = server.servers[0].sockets
        host, port = socket.getsockname()[:2]
        yield f"http://{host}:{port}"
    finally:
        server.should_exit = True
        thread.join()


async def test_an_unknown_route_is_a_404_envelope(client: httpx.AsyncClient) -> None:
    response = await client.get("/nowhere")

    assert_envelope(response, 404, "NOT_FOUND")
    assert_security_headers(response)


async def test_trace_is_405(client: httpx.AsyncClient) -> None:
    response = await client.request("TRACE", "/health")

    assert_envelope(response, 405, "METHOD_NOT_ALLOWED")


async def test_a_validation_error_lists_the_fields(client: httpx.AsyncClient) -> None:
    response = await client.post("/api/v1/auth/register", json={"email": "x"})

    assert_envelope(response, 422, "VALIDATION_ERROR")
    fields = {tuple(error["loc"]) for error in response.json()["detail"]}
    assert ("body", "username") in fields
    assert_security_headers(response)


async def test_an_unhandled_error_is_a_bare_500_with_every_header(
    failing_client: httpx.AsyncClient,
) -> None:
    response = await failing_client.get("/boom", headers={"X-Request-ID": "trace-me"})

    assert_envelope(response, 500, "INTERNAL_SERVER_ERROR")
    assert response.json()["detail"] == "Internal server error"
    assert "SELECT" not in response.text
    assert "Traceback" not in response.text
    assert_security_headers(response)
    assert response.headers["X-Request-ID"] == "trace-me"


async def test_a_500_carries_its_own_request_id_and_nothing_carries_it_after(
    failing_client: httpx.AsyncClient,
) -> None:
    # The error handler adds a 500's id to the headers security_headers() gives
    # it: they must be its own dict, not a set cached for later answers.
    security_headers("/boom", 500)["X-Request-ID"] = "stale"
    first = await failing_client.get("/boom", headers={"X-Request-ID": "first-500"})
    second = await failing_client.get("/boom", headers={"X-Request-ID": "second-500"})
    after = await failing_client.get("/nowhere", headers={"X-Request-ID": "a-404"})

    assert first.headers.get_list("X-Request-ID") == ["first-500"]
    assert second.headers.get_list("X-Request-ID") == ["second-500"]
    assert after.headers.get_list("X-Request-ID") == ["a-404"]
    assert "X-Request-ID" not in security_headers("/boom", 500)


def test_an_unhandled_error_keeps_the_connection_alive(failing_server: str) -> None:
    # A server that drops the connection after a 500 without saying
    # `Connection: close` makes the client's next request on it fail.
    with httpx.Client(base_url=failing_server) as client:
        failed = client.get("/boom")
        after = client.get("/health")

    assert failed.status_code == 500
    assert failed.headers.get("connection") != "close"
    assert after.status_code == 200
    assert after.extensions["network_stream"] is failed.extensions["network_stream"]


async def test_the_request_id_is_echoed_when_sane_and_replaced_otherwise(
    client: httpx.AsyncClient,
) -> None:
    sane = await client.get("/health", headers={"X-Request-ID": "abc-123_x.y"})
    forged = await client.get("/health", headers={"X-Request-ID": "evil id; rm -rf"})
    missing = await client.get("/health")

    assert sane.headers["X-Request-ID"] == "abc-123_x.y"
    assert forged.headers["X-Request-ID"] != "evil id; rm -rf"
    assert len(missing.headers["X-Request-ID"]) == 32
    assert missing.headers["X-Request-ID"] != forged.headers["X-Request-ID"]


async def test_cors_allows_only_the_configured_origins(
    make_client: ClientFactory,
) -> None:
    client = await make_client(cors_origins=["https://app.example.com"])
    preflight = {"Access-Control-Request-Method": "POST"}

    allowed = await client.options(
        "/api/v1/auth/login", headers={"Origin": "https://app.example.com", **preflight}
    )
    evil = await client.options(
        "/api/v1/auth/login", headers={"Origin": "https://evil.example", **preflight}
    )
    null = await client.get("/health", headers={"Origin": "null"})
    simple = await client.get("/health", headers={"Origin": "https://evil.example"})

    assert allowed.headers["Access-Control-Allow-Origin"] == "https://app.example.com"
    assert allowed.headers["Access-Control-Allow-Credentials"] == "true"
    for response in (evil, null, simple):
        assert "Access-Control-Allow-Origin" not in response.headers


@pytest.mark.parametrize(
    "origins", [[], ["https://app.example.com"]], ids=["no-origins", "origins"]
)
async def test_a_refused_cors_preflight_answers_in_the_envelope(
    make_client: ClientFactory, origins: list[str]
) -> None:
    client = await make_client(cors_origins=origins)

    # GET and POST are two routes on this path: the router alone would answer
    # 405 with the first one's `Allow: GET`.
    response = await client.options(
        "/api/v1/users/",
        headers={
            "Origin": "https://evil.example",
            "Access-Control-Request-Method": "POST",
        },
    )

    assert_envelope(response, 400, "CORS_REJECTED")
    assert_security_headers(response)
    assert "Access-Control-Allow-Origin" not in response.headers
    assert "X-Request-ID" in response.headers


async def test_without_cors_origins_no_cors_headers_are_sent(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get("/health", headers={"Origin": "https://evil.example"})

    assert "Access-Control-Allow-Origin" not in response.headers


async def test_every_answer_varies_on_origin(make_client: ClientFactory) -> None:
    # A shared cache must not hand the answer to a request without Origin to
    # one with it, or back.
    client = await make_client(cors_origins=["https://app.example.com"])

    plain = await client.get("/health")
    cross = await client.get("/health", headers={"Origin": "https://app.example.com"})
    missing = await client.get("/api/v1/nothing")

    for response in (plain, cross, missing):
        assert response.headers.get_list("Vary") == ["Origin"]
    assert "Access-Control-Allow-Origin" not in plain.headers


async def test_origin_joins_the_vary_a_route_sent() -> None:
    async def route(scope: Scope, receive: Receive, send: Send) -> None:
        headers = [(b"vary", b"Accept-Encoding"), (b"x-a", b"1"), (b"Vary", b"Cookie")]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": b""})

    middleware = EnvelopeCORSMiddleware(
        route, allow_origins=["https://app.example.com"]
    )
    transport = httpx.ASGITransport(app=middleware)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        response = await client.get("/")

    assert response.headers.get_list("Vary") == ["Accept-Encoding, Cookie, Origin"]
    assert response.headers["X-A"] == "1"


async def test_the_openapi_schema_declares_413_everywhere_and_400_for_bodies(
    client: httpx.AsyncClient,
) -> None:
    schema = (await client.get("/openapi.json")).json()

    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            assert "413" in operation["responses"], (method, path)
            if "requestBody" in operation:
                assert "400" in operation["responses"], (method, path)


async def test_a_405_lists_every_method_the_path_allows(
    client: httpx.AsyncClient, user_factory: UserFactory, resources: Resources
) -> None:
    admin = bearer(resources, await user_factory(is_admin=True))

    collection = await client.delete("/api/v1/users/", headers=admin)
    fixed_path = await client.put("/api/v1/users/statistics", headers=admin, json={})

    assert_envelope(collection, 405, "METHOD_NOT_ALLOWED")
    assert set(collection.headers["Allow"].split(", ")) == {"GET", "POST"}
    assert_envelope(fixed_path, 405, "METHOD_NOT_ALLOWED")
    assert fixed_path.headers["Allow"] == "GET"


async def test_the_openapi_schema_declares_the_envelope_for_errors(
    client: httpx.AsyncClient,
) -> None:
    schema = (await client.get("/openapi.json")).json()

    assert "HTTPValidationError" not in schema["components"]["schemas"]
    checked = 0
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            for status, response in operation["responses"].items():
                if int(status) < 400:
                    continue
                ref = response["content"]["application/json"]["schema"]["$ref"]
                assert ref.endswith("/ErrorResponse"), (method, path, status)
                checked += 1
    assert checked > 20


async def test_a_user_route_declares_401_and_a_body_route_422(
    client: httpx.AsyncClient,
) -> None:
    paths = (await client.get("/openapi.json")).json()["paths"]

    assert "401" in paths["/api/v1/users/me"]["get"]["responses"]
    assert "422" in paths["/api/v1/auth/register"]["post"]["responses"]


async def test_auth_answers_are_never_cached(
    client: httpx.AsyncClient, user_factory: UserFactory, resources: Resources
) -> None:
    user = await user_factory()

    me = await client.get("/api/v1/users/me", headers=bearer(resources, user))
    failed = await client.post(
        "/api/v1/auth/login", data={"username": "x", "password": "y"}
    )

    assert me.headers["Cache-Control"] == failed.headers["Cache-Control"] == "no-store"


REGISTRATION = {
    "email": "big@example.com",
    "username": "big",
    "password": PASSWORD,
}


async def test_a_body_over_the_declared_limit_is_a_413_envelope(
    make_client: ClientFactory,
) -> None:
    client = await make_client(max_body_bytes=1000)

    response = await client.post(
        "/api/v1/auth/register", json={**REGISTRATION, "username": "x" * 2000}
    )

    assert_envelope(response, 413, "PAYLOAD_TOO_LARGE")
    assert_security_headers(response)
    assert "X-Request-ID" in response.headers


async def test_a_chunked_body_is_cut_off_once_it_passes_the_limit(
    make_client: ClientFactory,
) -> None:
    client = await make_client(max_body_bytes=1000)
    pulled = 0

    async def chunks() -> AsyncIterator[bytes]:
        nonlocal pulled
        for _ in range(20):
            pulled += 1
            yield b" " * 400

    response = await client.post(
        "/api/v1/auth/register",
        content=chunks(),
        headers={"Content-Type": "application/json"},
    )

    assert "Content-Length" not in response.request.headers
    assert_envelope(response, 413, "PAYLOAD_TOO_LARGE")
    assert_security_headers(response)
    assert pulled < 20


async def test_a_body_under_the_limit_passes(make_client: ClientFactory) -> None:
    client = await make_client(max_body_bytes=1000)

    response = await client.post("/api/v1/auth/register", json=REGISTRATION)

    assert response.status_code == 201


async def test_a_body_passing_the_limit_after_the_response_started_fails_it() -> None:
    """Too late for a 413: the error reaches the server, which drops the
    connection, rather than a second response start."""
    sent: list[Message] = []

    async def answers_first(scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})
        while (await receive()).get("more_body"):
            pass

    async def receive() -> Message:
        return {"type": "http.request", "body": b"x" * 10, "more_body": True}

    async def send(message: Message) -> None:
        sent.append(message)

    middleware = BodyLimitMiddleware(answers_first, max_bytes=25)
    with pytest.raises(BodyTooLarge):
        await middleware({"type": "http", "path": "/", "headers": []}, receive, send)

    assert [message["status"] for message in sent] == [200]


async def test_the_other_trailing_slash_form_is_a_307_to_the_exact_path(
    client: httpx.AsyncClient,
) -> None:
    collection = await client.get("/api/v1/users")
    health = await client.get("/health/")

    assert collection.status_code == 307
    assert collection.headers["Location"] == "https://test/api/v1/users/"
    assert health.status_code == 307
    assert health.headers["Location"] == "https://test/health"


async def test_a_redirect_keeps_the_scheme_a_trusted_proxy_forwards(
    make_client: ClientFactory,
) -> None:
    client = await make_client(trusted_proxies=["127.0.0.1"])

    response = await client.get(
        "http://test/health/", headers={"X-Forwarded-Proto": "https"}
    )

    assert response.status_code == 307
    assert response.headers["Location"] == "https://test/health"
