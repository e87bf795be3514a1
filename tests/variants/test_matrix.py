"""Every variant of the template generates a project whose own checks pass.

Each case renders a project with pytest-copie as `fastgen new` does, proves its
uv.lock is the one uv would write (`uv lock --locked`), installs it into the
project's own .venv as `make install` does (`uv sync --locked`), and runs there
what its README and CI run: the pre-commit hooks (ruff, mypy), the three
Alembic commands and its pytest suite.
"""

from __future__ import annotations

import re
import shlex
import socket
import subprocess
from pathlib import Path
from typing import Any

import pytest

from . import support
from .cases import CASE_RESOURCES, CASES, PAIRWISE, SWITCHES, uncovered_pairs
from .support import (
    CHECK_COMMANDS,
    POSTGRES_HOST,
    POSTGRES_PORT,
    REDIS_HOST,
    REDIS_PORT,
    UV,
    ProjectRunner,
    as_a_clone,
    copier_questions,
    fresh_postgres_database,
    postgres_admin,
    project_env,
    redis_command,
    render,
    require_python,
    require_service,
    sync_project,
)


def test_pairwise_cases_cover_every_pair_of_switch_values() -> None:
    assert uncovered_pairs(PAIRWISE) == set()


def test_switches_are_the_questions_of_copier_yml() -> None:
    """A new choice or bool question in copier.yml must join the matrix."""
    questions = copier_questions()
    switches = {
        name: (spec.get("choices", [False, True]))
        for name, spec in questions.items()
        if not name.startswith("_")
        and isinstance(spec, dict)
        and spec.get("when", True) is not False
        and (spec.get("type") == "bool" or "choices" in spec)
    }
    assert switches == SWITCHES


def test_uncovered_pairs_notices_a_missing_combination() -> None:
    rows = [dict(row) for row in PAIRWISE]
    target = ("database", "postgresql", "redis", True)
    kept = [r for r in rows if not (r["database"] == "postgresql" and r["redis"] is True)]
    assert target in uncovered_pairs(kept)


def _redis_db(case: str) -> int:
    """One Redis database per case that uses Redis, from 1 up (0 is left alone;
    test_workers.py and test_update_flow.py take the top ones)."""
    default = copier_questions()["redis"]["default"]
    return 1 + [name for name in CASES if CASES[name].get("redis", default)].index(case)


def test_each_redis_case_has_a_database_no_other_test_takes() -> None:
    dbs = [_redis_db(case) for case in CASES if CASES[case].get("redis")]
    assert len(set(dbs)) == len(dbs)
    assert max(dbs) < 13  # test_workers.py: 14 and 13, test_update_flow.py: 15


def _db_name(case: str) -> str:
    return "fastgen_variant_" + re.sub(r"[^a-z0-9]+", "_", case.lower())


@pytest.mark.variants
@pytest.mark.parametrize("case", list(CASES))
def test_variant(
    case: str,
    copie: Any,
    mypy_cache_dir: Path,
    request: pytest.FixtureRequest,
) -> None:
    defaults = copier_questions()
    chosen = {name: CASES[case].get(name, defaults[name]["default"]) for name in SWITCHES}
    python = require_python(chosen["python_version"])  # the Python the variant targets
    answers = {"project_name": f"Variant {case}", **CASES[case]}
    project = render(copie, answers, CASE_RESOURCES.get(case, []))
    # The lock is what uv itself would write for this pyproject.toml...
    check = [UV, "lock", "--locked", "--offline", "--quiet", "--python", str(python)]
    locked = subprocess.run(check, cwd=project, capture_output=True, text=True)
    assert locked.returncode == 0, f"uv lock --locked:\n{locked.stderr}"
    # ... and the project's own .venv holds exactly its versions, as `make install` makes it.
    venv = sync_project(project, python)
    as_a_clone(project)

    # As in the generated CI workflow: SQLite keeps the project's default
    # (./app.db in the project), the services get a URL of their own.
    database_url = redis_url = None
    if chosen["database"] == "postgresql":
        require_service("PostgreSQL", POSTGRES_HOST, POSTGRES_PORT)
        database_url = fresh_postgres_database(venv, _db_name(case))
        request.addfinalizer(
            lambda: postgres_admin(venv, f'DROP DATABASE IF EXISTS "{_db_name(case)}" WITH (FORCE)')
        )
    if chosen["redis"]:
        require_service("Redis", REDIS_HOST, REDIS_PORT)
        db = _redis_db(case)
        redis_command(db, "FLUSHDB")
        redis_url = f"redis://{REDIS_HOST}:{REDIS_PORT}/{db}"

    env = project_env(
        project,
        venv,
        mypy_cache=mypy_cache_dir,
        database_url=database_url,
        redis_url=redis_url,
    )
    runner = ProjectRunner(project, env)
    try:
        for command in CHECK_COMMANDS:  # `uv run` runs each in the project's .venv
            runner.check(command, *shlex.split(command))
    finally:
        request.node.user_properties.append(("variant_steps", runner.steps))


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_a_missing_service_fails_in_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(support, "IN_CI", True)
    with pytest.raises(pytest.fail.Exception, match="CI=true"):
        support.require_service("PostgreSQL", "127.0.0.1", _closed_port())


def test_a_missing_service_skips_elsewhere_saying_why(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(support, "IN_CI", False)
    port = _closed_port()
    with pytest.raises(pytest.skip.Exception, match=f"Redis is not reachable on 127.0.0.1:{port}"):
        support.require_service("Redis", "127.0.0.1", port)
