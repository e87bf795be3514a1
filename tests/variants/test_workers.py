"""Several app processes sharing Redis and one database behave as one app.

Two topologies: two uvicorn processes on one SQLite file (one machine), and
three separate instances on one PostgreSQL database (a cluster's replicas,
deploy/kubernetes). Each serves on a loopback port of its own, so each
request goes to an instance of the test's choosing: a token revoked by logout
through one is refused by the others at once, the login and request limits
count across all of them, a user read through one after an update through
another is never stale, and stopping one in the middle of traffic loses no
write it accepted.
"""

from __future__ import annotations

import os
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from .servers import (
    STARTUP_SECONDS,
    Answer,
    Worker,
    start_uvicorn,
    stop_servers,
    uvicorn_servers,
    wait_until_healthy,
)
from .support import (
    REDIS_HOST,
    REDIS_PORT,
    SharedVenv,
    copier_questions,
    fresh_postgres_database,
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
# database, instances
TOPOLOGIES = {"sqlite-2": ("sqlite", 2), "postgresql-3": ("postgresql", 3)}


class Cluster:
    """The instances, and what starting one more takes."""

    def __init__(self, instances: list[Worker], start: Callable[[str], Worker]) -> None:
        self.instances = instances
        self.start = start


@pytest.fixture(scope="module", params=list(TOPOLOGIES))
def cluster(
    request: pytest.FixtureRequest,
    copie_session: Any,
    shared_venv: Callable[[str], SharedVenv],
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Cluster]:
    database, count = TOPOLOGIES[request.param]
    require_service("Redis", REDIS_HOST, REDIS_PORT)
    tmp_path = tmp_path_factory.mktemp(request.param)
    answers = {"project_name": f"Instances {database}", "database": database, "redis": True}
    project = render(copie_session, answers)
    venv = shared_venv(copier_questions()["python_version"]["default"])
    if database == "postgresql":
        worker_id = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
        database_url = fresh_postgres_database(venv, f"fastgen_instances_{worker_id}")
    else:
        database_url = f"sqlite+aiosqlite:///{tmp_path / 'shared.db'}"
    redis_command(REDIS_DB, "FLUSHDB")
    env = project_env(
        project,
        venv,
        mypy_cache=tmp_path / "mypy",
        database_url=database_url,
        redis_url=f"redis://{REDIS_HOST}:{REDIS_PORT}/{REDIS_DB}",
    )
    # Every instance must sign with the same key; cheap hashing keeps logins fast.
    env.update(SECRET_KEY="k" * 48, BCRYPT_ROUNDS="4", ENVIRONMENT="development")
    migrate = subprocess.run(
        ["alembic", "upgrade", "head"], cwd=project, env=env, capture_output=True, text=True
    )
    assert migrate.returncode == 0, migrate.stdout + migrate.stderr

    def start(name: str) -> Worker:
        return start_uvicorn(venv, project, env, tmp_path / f"{name}.log")

    logs = [tmp_path / f"instance{index}.log" for index in range(count)]
    try:
        with uvicorn_servers(venv, project, env, logs) as instances:
            yield Cluster(instances, start)
    finally:
        redis_command(REDIS_DB, "FLUSHDB")


@pytest.fixture(autouse=True)
def fresh_limits() -> None:
    """Each test starts with no counter: one may spend a whole minute's limit."""
    _fresh_limits()


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
def test_login_limit_counts_attempts_across_instances(cluster: Cluster) -> None:
    instances = cluster.instances
    _register(instances[0], "limited")
    _fresh_limits()
    statuses = [
        _login(instances[i % len(instances)], "limited", "wrong password").status for i in range(7)
    ]
    # 5 a minute in total: counters of their own would let 6 through (3 each).
    assert statuses == [401] * 5 + [429] * 2


@pytest.mark.variants
def test_request_limit_counts_requests_across_instances(cluster: Cluster) -> None:
    instances = cluster.instances
    # RATE_LIMIT_DEFAULT is 60 a minute per client; each instance alone would
    # have seen fewer than 60 of these 63.
    statuses = [
        instances[i % len(instances)].call("GET", "/api/v1/users/me").status for i in range(63)
    ]
    assert statuses == [401] * 60 + [429] * 3


@pytest.mark.variants
def test_token_revoked_through_one_instance_is_refused_by_the_others(
    cluster: Cluster,
) -> None:
    a, b, *others = cluster.instances
    _register(a, "leaving")
    _fresh_limits()
    login = _login(a, "leaving")
    assert login.status == 200, login
    token = login.body["access_token"]
    assert b.call("GET", "/api/v1/users/me", token=token).status == 200

    assert a.call("POST", "/api/v1/auth/logout", token=token).status == 204

    for instance in (b, *others):
        refused = instance.call("GET", "/api/v1/users/me", token=token)
        assert refused.status == 401
        assert refused.body["error"] == "TOKEN_REVOKED"
    assert a.call("GET", "/api/v1/users/me", token=token).status == 401


@pytest.mark.variants
def test_user_read_after_update_through_another_instance_is_fresh(
    cluster: Cluster,
) -> None:
    a, b = cluster.instances[:2]
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


@pytest.mark.variants
def test_an_instance_stopped_in_the_middle_of_traffic_loses_no_accepted_write(
    cluster: Cluster,
) -> None:
    leaving = cluster.start("leaving")
    wait_until_healthy(leaving, time.monotonic() + STARTUP_SECONDS)
    try:
        targets = [*cluster.instances, leaving]
        writers = []
        for n in range(3):
            _register(targets[0], f"writer{n}")
            writers.append(_login(targets[0], f"writer{n}").body["access_token"])
        _fresh_limits()
        accepted: list[list[int]] = [[] for _ in writers]
        refused: list[int] = []

        def write(n: int, token: str) -> None:
            for i in range(15):
                target = targets[(n + i) % len(targets)]
                try:
                    answer = target.call(
                        "POST", "/api/v1/items/", json_body={"title": f"w{n}-{i}"}, token=token
                    )
                except OSError:  # the stopped instance's port is closed
                    refused.append(i)
                    continue
                if answer.status == 201:
                    accepted[n].append(answer.body["id"])

        threads = [threading.Thread(target=write, args=(n, t)) for n, t in enumerate(writers)]
        for thread in threads:
            thread.start()
        deadline = time.monotonic() + STARTUP_SECONDS
        while sum(map(len, accepted)) < 10 and time.monotonic() < deadline:
            time.sleep(0.01)
        stop_servers([leaving])  # SIGTERM: uvicorn finishes what it has begun
        for thread in threads:
            thread.join()
    finally:
        stop_servers([leaving])

    assert sum(map(len, accepted)) >= 10, accepted
    assert refused, "no request met the stopped instance: it stopped too late"
    for n, token in enumerate(writers):
        listed = cluster.instances[0].call("GET", "/api/v1/items/?limit=100", token=token)
        assert listed.status == 200, listed
        assert set(accepted[n]) <= {item["id"] for item in listed.body["items"]}
