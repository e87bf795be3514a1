"""Fixtures of the attack suites (the table they print is built in tests/summaries.py).

Every suite here calls freshly generated projects under a real uvicorn on
127.0.0.1 (see apps.py); the PostgreSQL and Redis they use are servers the
suites start themselves (services.py). FASTGEN_ATTACK_SIZE=ci (the default)
sizes the suites for CI's budget; `full` is the release run (README.md).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from summaries import attack_size
from variants.conftest import shared_venv
from variants.support import ALL_ON, SharedVenv, copier_questions

from .apps import ServedApp, serve_variant
from .services import PostgresCluster, RedisServer

__all__ = ["shared_venv"]

FULL = attack_size() == "full"
HERE = Path(__file__).parent

DEFAULTS: dict[str, Any] = {"project_name": "Attack defaults"}
EVERYTHING: dict[str, Any] = {"project_name": "Attack all on", **ALL_ON}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # They generate whole projects too, so `-m "not variants"` leaves them out.
    for item in items:
        if HERE in Path(item.path).parents:
            item.add_marker(pytest.mark.attack)
            item.add_marker(pytest.mark.variants)


def default_venv(shared: Callable[[str], SharedVenv]) -> SharedVenv:
    return shared(copier_questions()["python_version"]["default"])


@pytest.fixture(scope="session")
def own_redis(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    with RedisServer.running(tmp_path_factory.mktemp("redis")) as server:
        yield server


@pytest.fixture(scope="session")
def own_postgres() -> Iterator[PostgresCluster]:
    with PostgresCluster.running() as cluster:
        yield cluster


@pytest.fixture(scope="session")
def default_app(
    copie_session: Any,
    shared_venv: Callable[[str], SharedVenv],
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[ServedApp]:
    """The project of copier's defaults (SQLite, no Redis), one worker."""
    folder = tmp_path_factory.mktemp("default-app")
    url = f"sqlite+aiosqlite:///{folder / 'app.db'}"
    venv = default_venv(shared_venv)
    with serve_variant(copie_session, venv, folder, DEFAULTS, database_url=url) as app:
        yield app


def serve_everything(
    copie: Any,
    shared: Callable[[str], SharedVenv],
    folder: Path,
    postgres: PostgresCluster,
    redis: RedisServer,
    *,
    workers: int = 1,
    settings: dict[str, str] | None = None,
) -> contextlib.AbstractContextManager[ServedApp]:
    """The everything-on variant on the given servers, named after its folder."""
    return serve_variant(
        copie,
        default_venv(shared),
        folder,
        {**EVERYTHING, "project_name": f"Attack {folder.name}"},
        database_url=postgres.create_database(folder.name.replace("-", "_")),
        redis_url=redis.url(0),
        workers=workers,
        settings=settings,
    )


@pytest.fixture(scope="session")
def all_on_app(
    copie_session: Any,
    shared_venv: Callable[[str], SharedVenv],
    tmp_path_factory: pytest.TempPathFactory,
    own_postgres: PostgresCluster,
    own_redis: RedisServer,
) -> Iterator[ServedApp]:
    """Every switch on (PostgreSQL, Redis), cookie mode on, two workers."""
    folder = tmp_path_factory.mktemp("all-on")
    cookies = {"AUTH_COOKIES": "true"}
    with serve_everything(
        copie_session, shared_venv, folder, own_postgres, own_redis, workers=2, settings=cookies
    ) as app:
        yield app


@pytest.fixture(params=["defaults", "all-on"])
def any_app(request: pytest.FixtureRequest) -> ServedApp:
    """Each case that takes it runs against both served variants."""
    name = {"defaults": "default_app", "all-on": "all_on_app"}[request.param]
    app: ServedApp = request.getfixturevalue(name)
    return app
