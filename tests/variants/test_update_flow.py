"""`fastgen update` end to end: a project with added resources updated from A to B
still passes its own checks, and the whole flow works with fastgen installed from
its wheel, offline (see tests/update_support.py for A and B)."""

from __future__ import annotations

import hashlib
import os
import shlex
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from conftest import REPO, fastgen
from fastgen import template
from fastgen.commands.add_resource import add_resource
from update_support import (
    ADDED,
    B_CHANGES,
    RESOURCE_MARK_A,
    USER_IDENTITY,
    VERSION_A,
    VERSION_B,
    build_history,
    commit_all,
    copy_template,
    git_status,
    make_version_a,
    project_at,
)

from .support import (
    CHECK_COMMANDS,
    REDIS_HOST,
    REDIS_PORT,
    UV,
    ProjectRunner,
    SharedVenv,
    _cache_root,
    project_env,
    redis_command,
    require_service,
)

CATEGORY = ("Category", ["name:str:80:unique", "position:int:default=0"])
PRODUCT = ("Product", ["name:str:120", "price:decimal:10,2", "category:ref:Category"])
USER_NOTE = "\n\n# Prices are in euros.\n"
# A Redis database of its own: the matrix takes 1 + its case's index.
REDIS_DB = 15


@pytest.mark.variants
def test_a_project_with_two_resources_updates_and_passes_its_checks(
    shared_venv: Callable[[str], SharedVenv],
    mypy_cache_dir: Path,
    request: pytest.FixtureRequest,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("FASTGEN_CACHE_DIR", str(tmp_path / "cache"))
    build_history(tmp_path)
    project = project_at(VERSION_A, tmp_path)
    add_resource(*CATEGORY, project_dir=project)
    add_resource(*PRODUCT, project_dir=project)
    models = [project / "app/models/category.py", project / "app/models/product.py"]
    assert all(RESOURCE_MARK_A in model.read_text() for model in models)
    service = project / "app/services/product_service.py"
    service.write_text(service.read_text() + USER_NOTE)
    commit_all(project, "two resources and a note")

    run = fastgen("update", "-p", str(project))

    assert run.exit_code == 0, run.stderr
    assert not any(RESOURCE_MARK_A in model.read_text() for model in models)
    assert service.read_text().endswith(USER_NOTE)
    assert (project / ADDED).is_file()
    changed = git_status(project)
    assert {"app/models/category.py", "app/models/product.py"} <= set(changed)
    assert "app/services/product_service.py" not in changed  # only the user's edit there

    env = project_env(
        project, shared_venv("3.12"), mypy_cache=mypy_cache_dir, database_url=None, redis_url=None
    )
    runner = ProjectRunner(project, env)
    try:
        for command in CHECK_COMMANDS:
            runner.check(command, *shlex.split(command))
    finally:
        request.node.user_properties.append(("variant_steps", runner.steps))


@pytest.mark.variants
def test_switching_redis_upgrades_a_migrated_database_and_passes_the_suite(
    shared_venv: Callable[[str], SharedVenv],
    mypy_cache_dir: Path,
    request: pytest.FixtureRequest,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    require_service("Redis", REDIS_HOST, REDIS_PORT)  # the redis=true half needs it
    monkeypatch.setenv("FASTGEN_CACHE_DIR", str(tmp_path / "cache"))
    # As for a user who runs fastgen with uvx: uv is there to re-lock.
    monkeypatch.setenv("PATH", f"{Path(UV).parent}{os.pathsep}{os.environ['PATH']}")
    build_history(tmp_path)
    project = project_at(VERSION_B, tmp_path)
    redis_command(REDIS_DB, "FLUSHDB")
    venv = shared_venv("3.12")
    runners = {
        redis: ProjectRunner(
            project,
            project_env(
                project,
                venv,
                mypy_cache=mypy_cache_dir,
                database_url=None,  # the project's own ./app.db, kept across the switches
                redis_url=f"redis://{REDIS_HOST}:{REDIS_PORT}/{REDIS_DB}" if redis else None,
            ),
        )
        for redis in (False, True)
    }
    try:
        runners[False].check("alembic upgrade head (before)", "alembic", "upgrade", "head")
        for redis in (True, False):
            before = {p.name: p.read_bytes() for p in (project / "alembic/versions").glob("*.py")}

            run = fastgen("update", "-p", str(project), "--data", f"redis={str(redis).lower()}")

            assert run.exit_code == 0, run.stderr
            # The switch adds or drops the Redis client: the lock follows, by uv.
            assert "uv.lock: re-locked with `uv lock`" in run.stdout
            after = {p.name: p.read_bytes() for p in (project / "alembic/versions").glob("*.py")}
            assert {name: after[name] for name in before} == before
            assert len(after) == len(before) + 1
            commit_all(project, f"redis={redis}")
            # Its first `alembic upgrade head` upgrades the database migrated before the switch.
            for command in CHECK_COMMANDS:
                runners[redis].check(command, *shlex.split(command))
            runners[redis].check("alembic upgrade head (after)", "alembic", "upgrade", "head")
    finally:
        steps = runners[False].steps + runners[True].steps
        request.node.user_properties.append(("variant_steps", steps))


def _run(*argv: str | Path, cwd: Path | None = None, env: dict[str, str] | None = None) -> str:
    done = subprocess.run(
        [str(a) for a in argv], cwd=cwd, env=env, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, f"{argv}: {done.stderr[-2000:]}"
    return done.stdout


def _source_with_a_release(root: Path) -> None:
    """A copy of this repository whose history has a release A (recorded in its
    releases.toml) holding template A, then the checkout as it is (B)."""
    files = _run("git", "ls-files", "-co", "--exclude-standard", "-z", cwd=REPO).split("\0")
    for rel in filter(None, files):
        if (REPO / rel).is_file():
            (root / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(REPO / rel, root / rel)
    env = {**os.environ, **USER_IDENTITY}
    for path in ("copier.yml", "templates"):
        shutil.move(root / path, root.parent / f"b-{path}")
    copy_template(root)
    make_version_a(root)
    _run("git", "init", "--quiet", cwd=root)
    _run("git", "add", "--all", cwd=root)
    _run("git", "commit", "--quiet", "-m", "A", cwd=root, env=env)
    commit_a = _run("git", "rev-parse", "HEAD", cwd=root).strip()
    (root / template.RELEASES).write_text(f'[releases]\n"{VERSION_A}" = "{commit_a}"\n')
    for path in ("copier.yml", "templates"):
        shutil.rmtree(root / path) if (root / path).is_dir() else (root / path).unlink()
        shutil.move(root.parent / f"b-{path}", root / path)
    _run("git", "add", "--all", cwd=root)
    _run("git", "commit", "--quiet", "-m", "B", cwd=root, env=env)


@pytest.mark.variants
def test_update_with_fastgen_installed_from_its_wheel_offline(tmp_path: Path) -> None:
    source, dist = tmp_path / "fastgen", tmp_path / "dist"
    source.mkdir()
    _source_with_a_release(source)
    _run(sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", dist, source)
    (wheel,) = dist.glob("fastgen_backend-*.whl")
    # Dependencies come from a folder filled once per pyproject.toml (the only download).
    key = hashlib.sha256((REPO / "pyproject.toml").read_bytes()).hexdigest()[:12]
    wheelhouse = _cache_root() / f"wheelhouse-{key}"
    if not (wheelhouse / ".complete").is_file():
        _run(sys.executable, "-m", "pip", "download", "--quiet", "-d", wheelhouse, wheel)
        (wheelhouse / ".complete").touch()
    venv = tmp_path / "venv"
    _run(sys.executable, "-m", "venv", venv)
    _run(venv / "bin/pip", "install", "--quiet", "--no-index", "--find-links", dist,
         "--find-links", wheelhouse, wheel)  # fmt: skip

    home = tmp_path / "home"
    home.mkdir()
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"FASTGEN_CACHE_DIR", "XDG_CACHE_HOME", "VIRTUAL_ENV", "PYTHONPATH"}
    }
    env |= {"HOME": str(home), **USER_IDENTITY}
    installed = _run(venv / "bin/fastgen", "--version", env=env)
    assert installed.split() == ["fastgen", VERSION_B]
    # fastgen unpacks its bundled history on first use; then a project is made at A.
    _run(venv / "bin/fastgen", "new", "probe", "--defaults", "--no-git", "-o", tmp_path, env=env)
    history = home / ".cache/fastgen/template"
    assert set(_run("git", "-C", history, "tag").split()) == {VERSION_A, VERSION_B}
    project = tmp_path / "shop"
    _run(venv / "bin/python", "-m", "copier", "copy", "--quiet", "--defaults", "--vcs-ref",
         VERSION_A, "--data", "project_name=shop", "~/.cache/fastgen/template", project,
         env=env)  # fmt: skip
    _run("git", "init", "--quiet", cwd=project)
    with (project / ".gitignore").open("a") as file:
        file.write("/.idea/\n")
    _run("git", "add", "--all", cwd=project)
    _run("git", "commit", "--quiet", "-m", "made at A, edited", cwd=project, env=env)

    update = subprocess.run([venv / "bin/fastgen", "update"], cwd=project, env=env,
                            capture_output=True, text=True, check=False)  # fmt: skip

    assert update.returncode == 0, update.stderr
    # copier copy made no lock: the update brings the tested one.
    assert set(git_status(project)) == B_CHANGES | {"uv.lock"}
    assert (project / ".gitignore").read_text().endswith("/.idea/\n")
    _run("git", "add", "--all", cwd=project)
    _run("git", "commit", "--quiet", "-m", "update", cwd=project, env=env)
    check = subprocess.run([venv / "bin/fastgen", "check"], cwd=project, env=env,
                           capture_output=True, text=True, check=False)  # fmt: skip
    assert check.returncode == 0, check.stdout + check.stderr
