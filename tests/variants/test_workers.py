"""Two worker processes sharing Redis and one SQLite file behave as one app.

A Redis variant is generated and served by two uvicorn processes on two
loopback ports, so each request goes to a worker of the test's choosing:
a token revoked by logout through one worker is refused by the other, the
login limit counts attempts across both, and a user read through one worker
after an update through the other is never stale.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from .support import (
    REDIS_HOST,
    REDIS_PORT,
    SharedVenv,
    copier_questions,
    project_env,
    redis_command,
    render,
    require_service,
)

# Redis database for this test: the matrix cases use 1 to len(CASES), and a
# generated project's own tests default to 15. Under pytest-xdist each worker
# process (gw0, gw1) has its own.
REDIS_DB = 13 - int(os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw"))
PASSWORD = "correct horse battery staple"


@dataclass
class Answer:
    status: int
    body: Any


@dataclass
class Worker:
    port: int
    process: subprocess.Popen[bytes]
    log: Path

    def call(
        self,
        method: str,
        path: str,
        *,
        json_body: Any = None,
        form: dict[str, str] | None = None,
        token: str | None = None,
    ) -> Answer:
        headers = {"Accept": "application/json"}
        data = None
        if json_body is not None:
            data = json.dumps(json_body).encode()
            headers["Content-Type"] = "application/json"
        elif form is not None:
            data = urllib.parse.urlencode(form).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        if token:
            headers["Authorization"] = f"Bearer {token}"
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.port}{path}", data=data, headers=headers, method=method
        )
        try:
            with urllib.request.urlopen(request, timeout=15) as response:
                status, raw = response.status, response.read()
        except urllib.error.HTTPError as error:
            status, raw = error.code, error.read()
        return Answer(status, json.loads(raw) if raw else None)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_until_healthy(worker: Worker, deadline: float) -> None:
    while time.monotonic() < deadline:
        if worker.process.poll() is not None:
            pytest.fail(f"worker on {worker.port} exited:\n{worker.log.read_text()[-4000:]}")
        try:
            if worker.call("GET", "/health").status == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    pytest.fail(
        f"worker on {worker.port} never answered /health:\n{worker.log.read_text()[-4000:]}"
    )


@pytest.fixture(scope="module")
def two_workers(
    copie_session: Any,
    shared_venv: Callable[[str], SharedVenv],
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[list[Worker]]:
    require_service("Redis", REDIS_HOST, REDIS_PORT)
    tmp_path = tmp_path_factory.mktemp("workers")
    answers = {"project_name": "Two workers", "database": "sqlite", "redis": True}
    project = render(copie_session, answers)
    venv = shared_venv(copier_questions()["python_version"]["default"])
    redis_command(REDIS_DB, "FLUSHDB")
    env = project_env(
        project,
        venv,
        mypy_cache=tmp_path / "mypy",
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'shared.db'}",
        redis_url=f"redis://{REDIS_HOST}:{REDIS_PORT}/{REDIS_DB}",
    )
    # Every worker must sign with the same key; cheap hashing keeps logins fast.
    env.update(SECRET_KEY="k" * 48, BCRYPT_ROUNDS="4", ENVIRONMENT="development")
    migrate = subprocess.run(
        ["alembic", "upgrade", "head"], cwd=project, env=env, capture_output=True, text=True
    )
    assert migrate.returncode == 0, migrate.stdout + migrate.stderr

    workers: list[Worker] = []
    try:
        for index in range(2):
            port = _free_port()
            log = tmp_path / f"worker{index}.log"
            with log.open("wb") as out:
                process = subprocess.Popen(
                    [str(venv.bin / "uvicorn"), "app.main:app",
                     "--host", "127.0.0.1", "--port", str(port)],
                    cwd=project, env=env, stdout=out, stderr=subprocess.STDOUT,
                )  # fmt: skip
            workers.append(Worker(port, process, log))
        deadline = time.monotonic() + 60
        for worker in workers:
            _wait_until_healthy(worker, deadline)
        yield workers
    finally:
        for worker in workers:
            worker.process.terminate()
        for worker in workers:
            try:
                worker.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                worker.process.kill()
                worker.process.wait()
        redis_command(REDIS_DB, "FLUSHDB")


def _register(worker: Worker, name: str) -> None:
    answer = worker.call(
        "POST",
        "/api/v1/auth/register",
        json_body={"email": f"{name}@example.com", "username": name, "password": PASSWORD},
    )
    assert answer.status == 201, answer


def _login(worker: Worker, name: str, password: str = PASSWORD) -> Answer:
    return worker.call("POST", "/api/v1/auth/login", form={"username": name, "password": password})


def _fresh_limits() -> None:
    """Forget every counter (and revocation) so that each part starts clean."""
    redis_command(REDIS_DB, "FLUSHDB")


@pytest.mark.variants
def test_login_limit_counts_attempts_across_workers(two_workers: list[Worker]) -> None:
    a, b = two_workers
    _register(a, "limited")
    _fresh_limits()
    statuses = [_login((a, b)[i % 2], "limited", "wrong password").status for i in range(7)]
    # 5 a minute in total: per-worker counters would let 6 through (3 each).
    assert statuses == [401] * 5 + [429] * 2


@pytest.mark.variants
def test_token_revoked_through_one_worker_is_refused_by_the_other(
    two_workers: list[Worker],
) -> None:
    a, b = two_workers
    _register(a, "leaving")
    _fresh_limits()
    login = _login(a, "leaving")
    assert login.status == 200, login
    token = login.body["access_token"]
    assert b.call("GET", "/api/v1/users/me", token=token).status == 200

    assert a.call("POST", "/api/v1/auth/logout", token=token).status == 204

    refused = b.call("GET", "/api/v1/users/me", token=token)
    assert refused.status == 401
    assert refused.body["error"] == "TOKEN_REVOKED"
    assert a.call("GET", "/api/v1/users/me", token=token).status == 401


@pytest.mark.variants
def test_user_read_after_update_through_the_other_worker_is_fresh(
    two_workers: list[Worker],
) -> None:
    a, b = two_workers
    _register(a, "changing")
    _fresh_limits()
    token = _login(b, "changing").body["access_token"]
    for round_ in range(4):
        reader, writer = (b, a) if round_ % 2 == 0 else (a, b)
        # The reader caches the profile, the writer changes it, the reader reads again.
        assert reader.call("GET", "/api/v1/users/me", token=token).status == 200
        name = f"changing_{round_}"
        updated = writer.call("PUT", "/api/v1/users/me", json_body={"username": name}, token=token)
        assert updated.status == 200, updated
        seen = reader.call("GET", "/api/v1/users/me", token=token)
        assert seen.status == 200
        assert seen.body["username"] == name, f"round {round_}: stale read {seen.body}"
