"""Two worker processes sharing Redis and one SQLite file behave as one app.

A Redis variant is generated and served by two uvicorn processes on two
loopback ports, so each request goes to a worker of the test's choosing:
a token revoked by logout through one worker is refused by the other, the
login limit counts attempts across both, and a user read through one worker
after an update through the other is never stale.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from .servers import Answer, Worker, uvicorn_servers
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

# Redis database for this test: the matrix cases that use Redis take 1 and up
# (test_matrix.py, below 13), and a generated project's own tests default to
# 15. Under pytest-xdist each worker process (gw0, gw1) has its own.
REDIS_DB = 14 - int(os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw"))
PASSWORD = "correct horse battery staple"


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

    logs = [tmp_path / f"worker{index}.log" for index in range(2)]
    try:
        with uvicorn_servers(venv, project, env, logs) as workers:
            yield workers
    finally:
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
        updated = writer.call(
            "PATCH", "/api/v1/users/me", json_body={"username": name}, token=token
        )
        assert updated.status == 200, updated
        seen = reader.call("GET", "/api/v1/users/me", token=token)
        assert seen.status == 200
        assert seen.body["username"] == name, f"round {round_}: stale read {seen.body}"
