"""Generated projects served for the attack suites, and clients that call them.

`serve_variant` renders a variant with the shop's resources (RESOURCES: every
field type, access mode and delete rule), migrates it, creates its first admin with
the project's own CLI and serves it with tests/variants/servers.py's uvicorn
harness, run as the project's README says (`--no-proxy-headers`,
`--no-access-log`). The app trusts X-Forwarded-For from 127.0.0.1 only
(TRUSTED_PROXIES), so every `Client` is a different address: one test's
failed logins never rate-limit another's.
"""

from __future__ import annotations

import contextlib
import http.client
import itertools
import json
import subprocess
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fastgen.spec import load_resources
from variants.servers import Answer, Worker, uvicorn_servers
from variants.support import REPO, SharedVenv, project_env, render

# At least 64 bytes, so a suite may also sign HS512 tokens with it.
SECRET_KEY = "attack-suite-signing-key-" + "0123456789abcdef" * 4
PASSWORD = "correct horse battery staple"
ADMIN_PASSWORD = "admin horse battery staple"
UVICORN_ARGS = ("app.main:app", "--no-proxy-headers", "--no-access-log")
# Every setting is the generated default but these: cheap bcrypt, a trusted
# loopback proxy, and a default limit high enough that a thousand requests of
# one user are not 429s. The login limit (5 a minute) stays as shipped.
SETTINGS = {
    "SECRET_KEY": SECRET_KEY,
    "BCRYPT_ROUNDS": "4",
    "TRUSTED_PROXIES": "127.0.0.1",
    "RATE_LIMIT_DEFAULT": "100000/minute",
}

_addresses = (f"10.{n >> 16 & 255}.{n >> 8 & 255}.{n & 255}" for n in itertools.count(1))


def new_address() -> str:
    """A client address no other client of this session has used."""
    return next(_addresses)


def unique_name(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex[:10]}"


@dataclass
class Client:
    """Calls one worker as one client address, with a bearer token if set."""

    worker: Worker
    address: str = field(default_factory=new_address)
    token: str | None = None

    def call(
        self,
        method: str,
        path: str,
        *,
        json_body: Any = None,
        form: dict[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        token: str | None = None,
    ) -> Answer:
        return self.worker.call(
            method,
            path,
            json_body=json_body,
            form=form,
            token=token or self.token,
            headers={"X-Forwarded-For": self.address, **(headers or {})},
        )

    def register(self, name: str) -> Answer:
        body = {"email": f"{name}@example.com", "username": name, "password": PASSWORD}
        return self.call("POST", "/api/v1/auth/register", json_body=body)

    def login(self, name: str, password: str = PASSWORD) -> Answer:
        form = {"username": name, "password": password}
        return self.call("POST", "/api/v1/auth/login", form=form)


@dataclass
class User:
    """A registered, logged-in user, with a client of its own address."""

    id: int
    name: str
    access: str
    refresh: str
    client: Client

    def call(self, method: str, path: str, **kwargs: Any) -> Answer:
        return self.client.call(method, path, **kwargs)


@dataclass
class ServedApp:
    """A generated project running under uvicorn, with its admin logged in."""

    project: Path
    env: dict[str, str]
    workers: list[Worker]
    answers: dict[str, Any]
    admin: User | None = None

    @property
    def worker(self) -> Worker:
        return self.workers[0]

    def client(self, worker: int = 0) -> Client:
        return Client(self.workers[worker])

    def login(self, name: str, password: str = PASSWORD) -> User:
        client = self.client()
        answer = client.login(name, password)
        assert answer.status == 200, answer
        client.token = answer.body["access_token"]
        me = client.call("GET", "/api/v1/users/me")
        assert me.status == 200, me
        return User(me.body["id"], name, client.token, answer.body["refresh_token"], client)

    def new_user(self, prefix: str = "user") -> User:
        name = unique_name(prefix)
        registered = self.client().register(name)
        assert registered.status == 201, registered
        return self.login(name)


def _run(project: Path, env: dict[str, str], *argv: str) -> None:
    done = subprocess.run(argv, cwd=project, env=env, capture_output=True, text=True, check=False)
    assert done.returncode == 0, f"{' '.join(argv)} failed:\n{done.stdout}\n{done.stderr}"


# The served apps are the README's shop (examples/shop.yaml's `resources:`, read
# from the file): a catalogue (Category; Product, with every field type and
# modifier), each user's own Customers, Orders and Invoices, OrderLines that
# follow their Order, Reviews shared by every user that refer to a Product and
# to a User, and every on_delete rule.
SHOP = REPO / "examples" / "shop.yaml"
RESOURCES = load_resources(SHOP)


def prepare_project(
    copie: Any,
    venv: SharedVenv,
    folder: Path,
    answers: Mapping[str, Any],
    *,
    database_url: str,
    redis_url: str | None,
    settings: Mapping[str, str] | None = None,
) -> tuple[Path, dict[str, str]]:
    """Render (with RESOURCES), configure and migrate a variant; return its folder and
    environment."""
    project = render(copie, answers, RESOURCES)
    env = project_env(
        project,
        venv,
        mypy_cache=folder / "mypy",
        database_url=database_url,
        redis_url=redis_url,
    )
    env.update(SETTINGS)
    env.update(settings or {})
    _run(project, env, "alembic", "upgrade", "head")
    return project, env


@contextlib.contextmanager
def serve_variant(
    copie: Any,
    venv: SharedVenv,
    folder: Path,
    answers: Mapping[str, Any],
    *,
    database_url: str,
    redis_url: str | None = None,
    workers: int = 1,
    settings: Mapping[str, str] | None = None,
) -> Iterator[ServedApp]:
    """A variant served by `workers` uvicorn processes, stopped when the block ends."""
    project, env = prepare_project(
        copie,
        venv,
        folder,
        answers,
        database_url=database_url,
        redis_url=redis_url,
        settings=settings,
    )
    admin = unique_name("admin")
    has_admin = answers.get("admin", True)
    if has_admin:
        cli_env = {**env, "ADMIN_PASSWORD": ADMIN_PASSWORD}
        _run(
            project,
            cli_env,
            "python",
            "-m",
            "app.cli",
            "create-admin",
            "--email",
            f"{admin}@example.com",
            "--username",
            admin,
        )
    logs = [folder / f"uvicorn{index}.log" for index in range(workers)]
    with uvicorn_servers(venv, project, env, logs, UVICORN_ARGS) as running:
        served = ServedApp(project, env, running, dict(answers))
        if has_admin:
            served.admin = served.login(admin, ADMIN_PASSWORD)
        yield served


class KeepAlive:
    """One persistent HTTP/1.1 connection that holds the server to its word:
    a response that does not say `Connection: close` must leave the connection
    open for the next request (issue 10, defect 7). `dropped` lists the
    responses after which the server hung up without saying so."""

    def __init__(self, worker: Worker, address: str) -> None:
        self._connection = http.client.HTTPConnection("127.0.0.1", worker.port, timeout=15)
        self._address = address
        self._last: tuple[str, str, int] | None = None
        self.dropped: list[tuple[str, str, int]] = []

    def _exchange(
        self, method: str, path: str, data: bytes | None, headers: dict[str, str]
    ) -> http.client.HTTPResponse:
        self._connection.request(method, path, body=data, headers=headers)
        return self._connection.getresponse()

    def call(self, method: str, path: str, body: Any = None, token: str | None = None) -> Answer:
        headers = {"X-Forwarded-For": self._address, "Accept": "application/json"}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        if token:
            headers["Authorization"] = f"Bearer {token}"
        try:
            response = self._exchange(method, path, data, headers)
        except (ConnectionError, http.client.HTTPException):
            # The previous response left the connection open, yet it is gone.
            if self._last is not None:
                self.dropped.append(self._last)
            self._connection.close()
            response = self._exchange(method, path, data, headers)
        raw = response.read()
        if (response.getheader("Connection") or "").lower() == "close":
            self._connection.close()
            self._last = None
        else:
            self._last = (method, path, response.status)
        answer = Answer(response.status, None, response.headers, raw)
        answer.body = json.loads(raw) if raw else None
        return answer

    def close(self) -> None:
        self._connection.close()
