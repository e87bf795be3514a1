"""The app's own Redis and PostgreSQL stopped and started under traffic.

The everything-on project runs on a Redis and a PostgreSQL cluster that this
module starts for itself (never the machine's shared servers, nor the other
suites'). While one of them is down, traffic keeps flowing on a keep-alive
connection: the app answers 503 SERVICE_UNAVAILABLE in its envelope with
Retry-After where it needs the server (issue 10, defect 6), never a 500 nor a
traceback, and never hangs up without saying so (defect 7). Once the server is
back, the same requests succeed again within RECOVERY_SECONDS (a liveness
bound; the measured recovery is recorded as the case's `recovered_after`).
"""

from __future__ import annotations

import re
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from variants.servers import Answer
from variants.support import SharedVenv

from .apps import KeepAlive, ServedApp, User, new_address, unique_name
from .conftest import serve_everything
from .services import PostgresCluster, RedisServer

ME = "/api/v1/users/me"
ITEMS = "/api/v1/items/"
RECOVERY_SECONDS = 30
OUTAGE_SECONDS = 2
# What the assertion message quotes of the app's log: its "Unhandled error"
# entries (UnexpectedErrorMiddleware's 500s), tracebacks included, this many.
LOGGED_ERRORS = 2
LOGGED_LINES = 40
# The start of a line the app's log formatter or uvicorn wrote.
LOG_LINE = re.compile(r"^(\d{4}-\d\d-\d\dT\S+ [A-Z]+ |[A-Z]+: )")
# Words of a leaked traceback or driver error, none of which a client may see.
LEAKS = (b"Traceback", b'File "', b"sqlalchemy", b"asyncpg", b"redis.exceptions", b"Refused")


@pytest.fixture(scope="module")
def fault_redis(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    with RedisServer.running(tmp_path_factory.mktemp("fault-redis")) as server:
        yield server


@pytest.fixture(scope="module")
def fault_postgres() -> Iterator[PostgresCluster]:
    with PostgresCluster.running() as cluster:
        yield cluster


@pytest.fixture(scope="module")
def fault_app(
    copie_session: Any,
    shared_venv: Callable[[str], SharedVenv],
    tmp_path_factory: pytest.TempPathFactory,
    fault_redis: RedisServer,
    fault_postgres: PostgresCluster,
) -> Iterator[ServedApp]:
    folder = tmp_path_factory.mktemp("faults")
    with serve_everything(copie_session, shared_venv, folder, fault_postgres, fault_redis) as app:
        yield app


@pytest.fixture(scope="module")
def steady(fault_app: ServedApp) -> User:
    """The user whose traffic runs through every outage."""
    return fault_app.new_user("steady")


def _probes(app: ServedApp, user: User) -> dict[str, Answer]:
    """What a user does: log in, register, read the profile, create, list."""
    client = app.client()
    return {
        "login": client.login(user.name),
        "register": client.register(unique_name("newcomer")),
        "me": user.call("GET", ME),
        "create": user.call("POST", ITEMS, json_body={"title": "during"}),
        "list": user.call("GET", ITEMS),
        "ready": client.call("GET", "/health/ready"),
    }


HEALTHY = {"login": 200, "register": 201, "me": 200, "create": 201, "list": 200, "ready": 200}


def _unavailable_problems(name: str, answer: Answer) -> list[str]:
    """How `answer` differs from a 503 in the envelope with Retry-After."""
    body = answer.body if isinstance(answer.body, dict) else {}
    problems = []
    if answer.status != 503 or body.get("error") != "SERVICE_UNAVAILABLE":
        problems.append(f"{name}: {answer.status} {body.get('error')}")
    if not {"error", "detail", "timestamp", "path"} <= body.keys():
        problems.append(f"{name}: not the envelope: {answer.raw[:200]!r}")
    if name != "ready" and not (answer.headers.get("Retry-After") or "").isdigit():
        problems.append(f"{name}: no Retry-After")
    return problems


class Traffic:
    """A thread that keeps one user busy on a keep-alive connection."""

    def __init__(self, app: ServedApp, user: User) -> None:
        self._connection = KeepAlive(app.worker, new_address())
        self._token = user.access
        self._stop = threading.Event()
        self.answers: list[Answer] = []
        self._thread = threading.Thread(target=self._run)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.answers.append(self._connection.call("GET", ME, token=self._token))
            body = {"title": "traffic"}
            self.answers.append(self._connection.call("POST", ITEMS, body, token=self._token))

    def __enter__(self) -> Traffic:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self._connection.close()

    @property
    def dropped(self) -> list[tuple[str, str, int]]:
        return self._connection.dropped


def _shortened(entry: list[str], budget: int) -> list[str]:
    """`entry` in at most `budget` lines: its first line and its last ones, where
    a traceback ends with the frames that raised and the exception itself."""
    if len(entry) <= budget:
        return entry
    return [entry[0], "  ...", *entry[len(entry) - budget + 2 :]]


def _unhandled_errors(log: str) -> str:
    """The first LOGGED_ERRORS "Unhandled error" entries of `log`, each with
    the traceback that follows it, in about LOGGED_LINES lines in all."""
    entries: list[list[str]] = []
    entry: list[str] | None = None
    for line in log.splitlines():
        if "Unhandled error on" in line:
            if len(entries) == LOGGED_ERRORS:
                break
            entry = [line]
            entries.append(entry)
        elif entry is not None and not LOG_LINE.match(line):
            entry.append(line)
        else:
            entry = None
    budget = LOGGED_LINES // max(len(entries), 1)
    return "\n".join(line for entry in entries for line in _shortened(entry, budget))


def _outage(
    app: ServedApp,
    user: User,
    server: RedisServer | PostgresCluster,
    must_fail: set[str],
    record_property: Any,
    must_serve: frozenset[str] = frozenset(),
) -> None:
    assert {name: a.status for name, a in _probes(app, user).items()} == HEALTHY
    # Where this outage's lines begin in the app's log.
    log_start = app.worker.log.stat().st_size
    with Traffic(app, user) as traffic:
        server.stop()
        try:
            time.sleep(OUTAGE_SECONDS)
            down = _probes(app, user)
        finally:
            server.start()
        started = time.monotonic()
        while True:
            back = {name: a.status for name, a in _probes(app, user).items()}
            if back == HEALTHY or time.monotonic() - started > RECOVERY_SECONDS:
                break
            time.sleep(0.5)
        recovered_after = round(time.monotonic() - started, 1)
    record_property("recovered_after", recovered_after)
    record_property("cases", len(traffic.answers) + 2 * len(HEALTHY))

    problems = []
    for name, answer in down.items():
        if name in must_fail:
            problems += _unavailable_problems(name, answer)
        elif name in must_serve and answer.status != HEALTHY[name]:
            problems.append(f"{name}: {answer.status} while down, not served")
        elif answer.status not in {HEALTHY[name], 503}:
            problems.append(f"{name}: {answer.status} while down")
    seen = [(a.status, a.raw) for a in [*traffic.answers, *down.values()]]
    problems += [f"traffic: {status}" for status, _ in seen if status not in {200, 201, 503}]
    problems += [f"leaked: {raw[:200]!r}" for _, raw in seen if any(w in raw for w in LEAKS)]
    problems += [f"hung up without saying so after {call}" for call in traffic.dropped]
    if back != HEALTHY:
        problems.append(f"not recovered {RECOVERY_SECONDS}s after the restart: {back}")
    summary = "\n".join(f"{n} x {problem}" for problem, n in Counter(problems).most_common())
    if problems:
        with app.worker.log.open("rb") as log:
            log.seek(log_start)
            logged = _unhandled_errors(log.read().decode(errors="replace"))
        if logged:
            summary += f"\nthe app's log ({app.worker.log}):\n{logged}"
    assert not problems, summary


def test_redis_stopped_and_started_mid_traffic(
    fault_app: ServedApp, steady: User, fault_redis: RedisServer, record_property: Any
) -> None:
    # Tokens are checked against the Redis blacklist and logins counted in
    # Redis: without it those are unavailable. Registering needs neither (its
    # default rate limit fails open), so it may go on succeeding.
    must_fail = {"login", "me", "create", "list", "ready"}
    _outage(fault_app, steady, fault_redis, must_fail, record_property)


def test_postgres_stopped_and_started_mid_traffic(
    fault_app: ServedApp, steady: User, fault_postgres: PostgresCluster, record_property: Any
) -> None:
    # The signed-in user comes from the Redis cache, which every write to a
    # user empties and no write can commit while the database is down: `me`
    # answers 200 from it, as the generated README says (issue 20, item 9).
    readme = " ".join((fault_app.project / "README.md").read_text().split())
    assert "`GET /api/v1/users/me` still answers 200 from the cache" in readme
    must_fail = {"login", "register", "create", "list", "ready"}
    _outage(fault_app, steady, fault_postgres, must_fail, record_property, frozenset({"me"}))
