"""The generated suite passes where the project's settings and database are not
the template's defaults (issue 23, items 2 and 3).

- A project that changes its settings' defaults (token lifetimes, bcrypt's
  cost, the login limit) keeps a passing suite: the tests read the values they
  run with, or set them.
- On PostgreSQL, TEST_DATABASE_URL names the database the tests run in, for a
  user who may not create databases; without it, the tests make their own and
  drop what killed runs left (and nothing a live run or an older template uses).
"""

from __future__ import annotations

import re
import subprocess
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from .support import (
    _ADMIN_SCRIPT,
    MINIMUM,
    POSTGRES_HOST,
    POSTGRES_PORT,
    ProjectRunner,
    SharedVenv,
    _postgres_server,
    postgres_admin,
    project_env,
    render,
    require_service,
)

# app/core/config.py's defaults, as a project might change them.
CHANGED_DEFAULTS = {
    "access_token_expire_minutes: int = Field(default=15,": "(default=30,",
    "refresh_token_expire_days: int = Field(default=7,": "(default=14,",
    "bcrypt_rounds: int = Field(default=12,": "(default=13,",
    'rate_limit_login: str = "5/minute"': ' = "7/minute"',
    'rate_limit_default: str = "60/minute;1000/hour"': ' = "90/minute;2000/hour"',
}
# The tests that read these settings.
SETTINGS_TESTS = [
    "tests/integration/test_auth.py",
    "tests/integration/test_rate_limit.py",
    "tests/integration/test_security.py",
    "tests/unit/test_auth_service.py",
]


@pytest.mark.variants
def test_the_suite_passes_with_other_settings_defaults(
    copie: Any, shared_venv: Callable[[str], SharedVenv], mypy_cache_dir: Path
) -> None:
    project = render(copie, {"project_name": "Changed defaults", "python_version": "3.11"})
    config = project / "app" / "core" / "config.py"
    text = config.read_text()
    for old, change in CHANGED_DEFAULTS.items():
        assert old in text, old
        head = old.partition("(" if change.startswith("(") else " = ")[0]
        text = text.replace(old, head + change)
    config.write_text(text)
    venv = shared_venv("3.11")
    env = project_env(project, venv, mypy_cache=mypy_cache_dir, database_url=None, redis_url=None)

    ProjectRunner(project, env).check("pytest", "pytest", "-q", "-p", "no:cacheprovider",
                                      *SETTINGS_TESTS)  # fmt: skip


# ------------------------------------------------------------ PostgreSQL

ROLE = "fastgen_no_createdb"
NAMED = "fastgen_named_test_db"
# The generated tests that touch the database's set-up: the session fixture,
# the migrations' round trip (which drops and restores the tables), a few
# tests after it.
DATABASE_TESTS = ["tests/integration/test_migrations.py", "tests/integration/test_auth.py"]

_HOLD_LOCK = """
import asyncio, sys, asyncpg
async def main(dsn, key):
    conn = await asyncpg.connect(dsn)
    await conn.execute(f"SELECT pg_advisory_lock({key})")
    print("locked", flush=True)
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)
    await conn.close()
asyncio.run(main(sys.argv[1], sys.argv[2]))
"""

_DATABASES = """
import asyncio, sys, asyncpg
async def main(dsn):
    conn = await asyncpg.connect(dsn)
    for row in await conn.fetch("SELECT datname FROM pg_database"):
        print(row[0])
    await conn.close()
asyncio.run(main(sys.argv[1]))
"""


def _generated_constant(project: Path, name: str) -> str:
    """A constant of the generated tests/conftest.py, as written (quotes off)."""
    conftest = (project / "tests" / "conftest.py").read_text()
    match = re.search(rf"^{name} = (.+)$", conftest, re.MULTILINE)
    assert match, name
    return match.group(1).strip().strip('"')


def _sql(venv: SharedVenv, dsn: str, *statements: str) -> None:
    proc = subprocess.run(
        [str(venv.python), "-c", _ADMIN_SCRIPT, dsn, *statements], capture_output=True, text=True
    )
    assert proc.returncode == 0, proc.stderr


def _databases(venv: SharedVenv) -> set[str]:
    dsn = f"postgresql://{_postgres_server()}/postgres"
    listed = subprocess.run(
        [str(venv.python), "-c", _DATABASES, dsn], capture_output=True, text=True, check=True
    )
    return set(listed.stdout.split())


@pytest.mark.variants
def test_postgresql_tests_run_in_the_named_database_and_drop_killed_runs(
    copie: Any, shared_venv: Callable[[str], SharedVenv], mypy_cache_dir: Path
) -> None:
    require_service("PostgreSQL", POSTGRES_HOST, POSTGRES_PORT)
    answers = {**MINIMUM, "database": "postgresql", "python_version": "3.11"}
    project = render(copie, {"project_name": "Named database", **answers})
    venv = shared_venv("3.11")
    server = f"postgresql+asyncpg://{_postgres_server()}"
    env = project_env(
        project, venv, mypy_cache=mypy_cache_dir, database_url=f"{server}/postgres", redis_url=None
    )
    runner = ProjectRunner(project, env)
    pytest_argv = ["pytest", "-q", "-p", "no:cacheprovider", *DATABASE_TESTS]

    # 1. A user who may not create databases, a database named for the tests,
    # with a table an older schema left; the admin server unreachable.
    postgres_admin(
        venv,
        f'DROP DATABASE IF EXISTS "{NAMED}" WITH (FORCE)',
        f'DROP ROLE IF EXISTS "{ROLE}"',
        f"CREATE ROLE \"{ROLE}\" LOGIN NOCREATEDB PASSWORD 'not-secret'",
        f'CREATE DATABASE "{NAMED}" OWNER "{ROLE}"',
    )
    try:
        named = f"postgresql+asyncpg://{ROLE}:not-secret@{POSTGRES_HOST}:{POSTGRES_PORT}/{NAMED}"
        _sql(venv, named.replace("+asyncpg", ""), "CREATE TABLE users (id integer)")
        runner.env = {
            **env,
            "TEST_DATABASE_URL": named,
            "TEST_DATABASE_ADMIN_URL": "postgresql+asyncpg://nobody@127.0.0.1:1/nothing",
        }
        runner.check("pytest in TEST_DATABASE_URL", *pytest_argv)
    finally:
        postgres_admin(
            venv, f'DROP DATABASE IF EXISTS "{NAMED}" WITH (FORCE)', f'DROP ROLE IF EXISTS "{ROLE}"'
        )

    # 2. Without it: a killed run's database is dropped; a live run's (its lock
    # held) and an older template's (unmarked) are left alone.
    lock = _generated_constant(project, "RUN_LOCK").replace("_", "")
    comment = _generated_constant(project, "RUN_COMMENT")
    killed, live, older = (f"test_{uuid.uuid4().hex}" for _ in range(3))
    postgres_admin(
        venv,
        *(f'CREATE DATABASE "{name}"' for name in (killed, live, older)),
        *(f"COMMENT ON DATABASE \"{name}\" IS '{comment}'" for name in (killed, live)),
    )
    holder = subprocess.Popen(
        [str(venv.python), "-c", _HOLD_LOCK, f"postgresql://{_postgres_server()}/{live}", lock],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline().strip() == "locked"
        runner.env = env
        runner.check("pytest with its own database", *pytest_argv)
        left = _databases(venv)
        assert killed not in left
        assert {live, older} <= left
    finally:
        assert holder.stdin is not None
        holder.stdin.close()
        holder.wait()
        postgres_admin(
            venv,
            *(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)' for name in (killed, live, older)),
        )
