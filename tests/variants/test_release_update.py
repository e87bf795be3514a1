"""Every template change reaches the projects that released fastgens made.

A user cannot regenerate a project: once it exists, `fastgen update` is the only
way the template's changes reach it. So for each release in releases.toml this
builds that release's fastgen from its own commit, makes projects with it (the
default variant with two resources and hand edits, and PostgreSQL + Redis with
one resource), migrates a database at the release, then updates the projects
with the fastgen under test, which brings them a uv.lock, installs them from it
(`uv sync --locked`) and runs what their CI runs: the pre-commit hooks (ruff,
mypy), the migrations on a fresh database and on the one migrated at the
release, and the suite with its coverage gate, after one of the release's
resources has gained a field (`fastgen add field`, its migration applied to
both databases).
"""

from __future__ import annotations

import contextlib
import os
import shlex
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

import fastgen
from attack.services import RedisServer
from conftest import REPO
from conftest import fastgen as fastgen_here
from fastgen import template
from fastgen.locks import LOCK
from update_support import USER_IDENTITY, commit_all, git_status

from .support import (
    CHECK_COMMANDS,
    POSTGRES_HOST,
    POSTGRES_PORT,
    UV,
    ProjectRunner,
    SharedVenv,
    _cache_root,
    _file_lock,
    fresh_postgres_database,
    postgres_admin,
    project_env,
    require_service,
    sync_project,
)

RELEASES = template.releases(REPO, below=fastgen.__version__)
CATEGORY = ["Category", "name:str:80:unique", "position:int:default=0"]
PRODUCT = ["Product", "name:str:120", "price:decimal:10,2", "category:ref:Category"]
REVIEW = ["Review", "body:text", "stars:int:default=5", "reviewer:ref:User"]
# Hand edits in files of the project and of a resource, away from what the
# template changes: an update must carry them over untouched.
SERVICE_EDIT = "\n\n# Prices are in euros, VAT included.\n"
CONFIG_EDIT = "\n\n# Settings are read from the environment first, then .env.\n"


def test_releases_are_recorded_with_their_commits() -> None:
    """0.1.0 is the template at 41fe638; every recorded commit is in this clone."""
    assert RELEASES[0] == ("0.1.0", "41fe638da7f7e080aeb96c818c3f58061db60d37")
    for _version, commit in RELEASES:
        kind = subprocess.run(["git", "-C", str(REPO), "cat-file", "-t", commit],
                              capture_output=True, text=True, check=False)  # fmt: skip
        assert kind.stdout.strip() == "commit", f"{commit}: {kind.stderr}"


def _build(version: str, commit: str) -> Path:
    """The released fastgen's package, built into a wheel from its commit and
    unpacked into a folder of its own (cached per commit)."""
    home = _cache_root() / f"release-{version}-{commit[:12]}"
    lib = home / "lib"
    with _file_lock(home.with_name(home.name + ".lock")):
        if not (home / ".complete").is_file():
            source, dist = home / "source", home / "dist"
            for folder in (source, dist):
                folder.mkdir(parents=True, exist_ok=True)
            archive = subprocess.run(["git", "-C", str(REPO), "archive", commit],
                                     capture_output=True, check=True)  # fmt: skip
            subprocess.run(["tar", "-x", "-C", str(source)], input=archive.stdout, check=True)
            pip = [sys.executable, "-m", "pip"]
            subprocess.run([*pip, "wheel", "--quiet", "--no-deps", "-w", str(dist), str(source)],
                           capture_output=True, check=True)  # fmt: skip
            # Listed once built: on a fresh cache the folder is empty before.
            (wheel,) = dist.glob("*.whl")
            subprocess.run([*pip, "install", "--quiet", "--no-deps", "--target", str(lib),
                            str(wheel)], capture_output=True, check=True)  # fmt: skip
            (home / ".complete").touch()
    return lib


def _released(lib: Path, cache: Path) -> Callable[..., subprocess.CompletedProcess[str]]:
    """Run the released fastgen (its own package first on the path; its
    dependencies are this environment's) with the template cache of the test."""
    env = {**os.environ, **USER_IDENTITY, "PYTHONPATH": str(lib), "FASTGEN_CACHE_DIR": str(cache)}

    def run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
        done = subprocess.run([sys.executable, "-m", "fastgen", *args], cwd=cwd, env=env,
                              capture_output=True, text=True, stdin=subprocess.DEVNULL)  # fmt: skip
        assert done.returncode == 0, f"fastgen {' '.join(args)}: {done.stdout}{done.stderr}"
        return done

    return run


def _append(path: Path, text: str) -> None:
    path.write_text(path.read_text(encoding="utf-8") + text, encoding="utf-8")


@pytest.mark.variants
@pytest.mark.parametrize("release", [version for version, _commit in RELEASES])
@pytest.mark.parametrize("variant", ["default", "postgresql-redis"])
def test_a_project_made_by_a_release_updates_and_passes_its_checks(
    release: str,
    variant: str,
    shared_venv: Callable[[str], SharedVenv],
    mypy_cache_dir: Path,
    request: pytest.FixtureRequest,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    cache = tmp_path / "cache"
    monkeypatch.setenv("FASTGEN_CACHE_DIR", str(cache))
    released = _released(_build(release, dict(RELEASES)[release]), cache)
    venv = shared_venv(f"{sys.version_info.major}.{sys.version_info.minor}")

    # Made by the release, as its user did: a project, resources, hand edits.
    if variant == "default":
        data: list[str] = []
        resources = [CATEGORY, PRODUCT]
    else:
        require_service("PostgreSQL", POSTGRES_HOST, POSTGRES_PORT)
        data = ["--data", "database=postgresql", "--data", "redis=true"]
        resources = [REVIEW]
    released("new", "shop", "--defaults", "-q", *data, cwd=tmp_path)
    project = tmp_path / "shop"
    for resource in resources:
        released("add", "resource", *resource, cwd=project)
    service = project / f"app/services/{resources[-1][0].lower()}_service.py"
    _append(service, SERVICE_EDIT)
    _append(project / "app/core/config.py", CONFIG_EDIT)
    commit_all(project, f"made by fastgen {release}, edited")
    assert "_commit: " + release in (project / ".copier-answers.yml").read_text()

    databases = {"fresh": None, "migrated": None}
    redis_url = None
    if variant == "default":
        databases = {key: f"sqlite+aiosqlite:///{tmp_path / key}.db" for key in databases}
    else:
        # A Redis of its own: the shared server's databases are all taken by other cases.
        stack = contextlib.ExitStack()
        request.addfinalizer(stack.close)
        (tmp_path / "redis").mkdir()
        redis_url = stack.enter_context(RedisServer.running(tmp_path / "redis")).url(1)
        for key in databases:
            name = f"fastgen_release_{key}_{os.getpid()}"
            databases[key] = fresh_postgres_database(venv, name)
            request.addfinalizer(
                lambda name=name: postgres_admin(
                    venv, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'
                )
            )

    def runners(venv: SharedVenv) -> dict[str, ProjectRunner]:
        return {
            key: ProjectRunner(
                project,
                project_env(
                    project, venv, mypy_cache=mypy_cache_dir, database_url=url, redis_url=redis_url
                ),
            )
            for key, url in databases.items()
        }

    # At the release the project has no lock: its migrations run in the shared venv.
    at_release = runners(venv)["migrated"]
    updated: dict[str, ProjectRunner] = {}
    try:
        at_release.check(f"alembic upgrade head (at {release})", "alembic", "upgrade", "head")

        run = fastgen_here("update", "-p", str(project))

        assert run.exit_code == 0, run.stdout + run.stderr
        # The update brings the lock (the versions this fastgen's CI tested) and the
        # files that go with it, and the project installs from it.
        assert "uv.lock: written from the versions fastgen's CI tested" in run.stdout
        for brought in (LOCK, ".pre-commit-config.yaml", ".python-version",
                        ".github/dependabot.yml"):  # fmt: skip
            assert (project / brought).is_file(), brought
        python = Path(sys.executable)
        check = [UV, "lock", "--locked", "--offline", "--quiet", "--python", str(python)]
        locked = subprocess.run(check, cwd=project, capture_output=True, text=True, check=False)
        assert locked.returncode == 0, locked.stderr
        updated = runners(sync_project(project, python))
        assert service.read_text(encoding="utf-8").endswith(SERVICE_EDIT)
        assert (project / "app/core/config.py").read_text(encoding="utf-8").endswith(CONFIG_EDIT)
        answers = (project / ".copier-answers.yml").read_text(encoding="utf-8")
        assert f"_commit: {fastgen.__version__}" in answers
        commit_all(project, f"fastgen update {release} -> {fastgen.__version__}")
        assert git_status(project) == {}
        assert fastgen_here("check", "-p", str(project)).exit_code == 0
        # Then the resource made by the release evolves: a field with a migration.
        evolved = fastgen_here("add", "field", resources[-1][0], "rank:int:default=0",
                               "-p", str(project))  # fmt: skip
        assert evolved.exit_code == 0, evolved.stdout + evolved.stderr
        assert service.read_text(encoding="utf-8").endswith(SERVICE_EDIT)
        commit_all(project, "a field added")

        for command in CHECK_COMMANDS:
            updated["fresh"].check(command, *shlex.split(command))
        for command in ("uv run alembic upgrade head", "uv run alembic check"):
            updated["migrated"].check(f"{command} (migrated at {release})", *shlex.split(command))
    finally:
        steps = [*at_release.steps, *(step for r in updated.values() for step in r.steps)]
        request.node.user_properties.append(("variant_steps", steps))
