"""Helpers for the variant matrix: render a project, then run its own tools.

One virtual environment, created once and cached, holds the union of every
variant's dependencies. The generated projects are never installed into it:
they all provide the same top-level package `app`, so each tool runs with the
project as its working directory and on PYTHONPATH, and no project can shadow
another one.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import shlex
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import tomllib
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NoReturn

import pytest
import yaml

from fastgen import locks, pythons
from fastgen.commands.add_resource import add_from_spec
from fastgen.spec import EXAMPLE_ITEMS, ResourceSpec

REPO = Path(__file__).resolve().parents[2]

# Answers that switch every optional part on, and every one off.
ALL_ON: dict[str, Any] = {
    "database": "postgresql",
    "redis": True,
    "rate_limit": True,
    "csrf": True,
    "admin": True,
    "example_items": True,
    "docker": True,
    "ci": "github",
    "kubernetes": True,
    "metrics": True,
    "tracing": True,
}
MINIMUM: dict[str, Any] = {
    "database": "sqlite",
    "redis": False,
    "rate_limit": False,
    "csrf": False,
    "admin": False,
    "example_items": False,
    "docker": False,
    "ci": "none",
    "kubernetes": False,
    "metrics": False,
    "tracing": False,
}

POSTGRES_HOST = os.environ.get("FASTGEN_TEST_POSTGRES_HOST", "127.0.0.1")
POSTGRES_PORT = int(os.environ.get("FASTGEN_TEST_POSTGRES_PORT", "5432"))
POSTGRES_USER = os.environ.get("FASTGEN_TEST_POSTGRES_USER", "postgres")
POSTGRES_PASSWORD = os.environ.get("FASTGEN_TEST_POSTGRES_PASSWORD", "")
REDIS_HOST = os.environ.get("FASTGEN_TEST_REDIS_HOST", "127.0.0.1")
REDIS_PORT = int(os.environ.get("FASTGEN_TEST_REDIS_PORT", "6379"))

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}

# What a generated project's README tells a developer to run, and what its CI
# workflow runs, in order, after installing .venv from uv.lock. The matrix runs
# exactly these; test_docker_ci_files.py holds the README and the workflow to them.
INSTALL_COMMAND = "uv sync --locked"
CHECK_COMMANDS = [
    "uv run pre-commit run --all-files --show-diff-on-failure",
    "uv run alembic upgrade head",
    "uv run alembic check",
    "uv run alembic downgrade base",
    "uv run pytest --cov",
]
# uv, from the venv running these tests (a dependency of fastgen).
UV = shutil.which("uv", path=str(Path(sys.executable).parent)) or shutil.which("uv") or "uv"


# ---------------------------------------------------------------- rendering


def render(copie: Any, answers: Mapping[str, Any], resources: Sequence[ResourceSpec] = ()) -> Path:
    """Generate a project from the working tree of this repository as `fastgen new`
    does: copier renders the project, then `add resource` adds the example items
    (when asked for) and `resources`, and the project gets its uv.lock."""
    result = copie.copy(extra_answers=dict(answers), template_dir=REPO)
    assert result.exit_code == 0, f"copier failed for {dict(answers)}: {result.exception!r}"
    assert result.project_dir is not None
    project = Path(result.project_dir)
    recorded = yaml.safe_load((project / ".copier-answers.yml").read_text())
    examples = [EXAMPLE_ITEMS] if recorded["example_items"] else []
    add_from_spec(project, [*examples, *resources])
    locks.write_tested(project, REPO, recorded["python_version"])
    return project


def copier_questions() -> dict[str, Any]:
    """copier.yml as data: question name -> its settings."""
    data = yaml.safe_load((REPO / "copier.yml").read_text())
    return {name: spec for name, spec in data.items() if not name.startswith("_")}


def requirements(project: Path) -> tuple[list[str], list[str], list[str]]:
    """The project's runtime, dev-group and build-system requirements."""
    data = tomllib.loads((project / "pyproject.toml").read_text())
    runtime = list(data.get("project", {}).get("dependencies", []))
    dev = list(data.get("dependency-groups", {}).get("dev", []))
    build = list(data.get("build-system", {}).get("requires", []))
    return runtime, dev, build


def make_commands(project: Path, *args: str) -> list[str]:
    """The commands `make ARGS` runs in the project, one a line, as `make -n` prints them."""
    proc = subprocess.run(
        ["make", "-n", "--no-print-directory", *args],
        cwd=project,
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, f"make -n {' '.join(args)}: {proc.stderr}"
    return [line.strip() for line in proc.stdout.splitlines() if line.strip()]


# ---------------------------------------------------------- shared venv


@dataclass(frozen=True)
class SharedVenv:
    path: Path

    @property
    def bin(self) -> Path:
        return self.path / "bin"

    @property
    def python(self) -> Path:
        return self.bin / "python"


def _cache_root() -> Path:
    explicit = os.environ.get("FASTGEN_TEST_CACHE")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "fastgen-tests"


@contextlib.contextmanager
def _file_lock(path: Path) -> Iterator[None]:
    """Serialise the venv build between pytest-xdist workers."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def ensure_shared_venv(python: Path, python_version: str) -> SharedVenv:
    """The cached venv of `python` holding exactly the tested lock of that Python
    (templates/locks/): every variant's requirements at the versions a new
    project gets. Built on first use with `uv sync --locked`, which fails when the
    template's requirements changed and the lock was not re-made
    (`python -m fastgen.locks`).

    Keyed by a hash of the lock, its requirements and the interpreter.
    """
    tested = locks.tested_set(REPO, python_version)
    lock = locks.lock_path(REPO, python_version).read_text()
    version = subprocess.run(
        [str(python), "-c", "import sys; print(sys.version)"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    key = hashlib.sha256(json.dumps([str(python), version, tested, lock]).encode()).hexdigest()
    root = _cache_root()
    target = root / f"venv-{key[:16]}"
    done = target / ".complete"
    with _file_lock(root / f"venv-{key[:16]}.lock"):
        if not done.exists():
            shutil.rmtree(target, ignore_errors=True)
            _sync(python, target, tested, lock)
            reqs = sorted(set(_requirement_lines(tested)))
            done.write_text(f"{python}\n" + "\n".join(reqs) + "\n")
            _drop_older_venvs(root, python, keep=target)
    return SharedVenv(target)


def _requirement_lines(pyproject: str) -> list[str]:
    data = tomllib.loads(pyproject)
    return [*data["project"]["dependencies"], *data["dependency-groups"]["dev"]]


def _drop_older_venvs(root: Path, python: Path, keep: Path) -> None:
    """Remove this interpreter's venvs for earlier dependency lists."""
    for marker in root.glob("venv-*/.complete"):
        venv_dir = marker.parent
        if venv_dir != keep and marker.read_text().split("\n", 1)[0] == str(python):
            shutil.rmtree(venv_dir, ignore_errors=True)
            venv_dir.with_name(venv_dir.name + ".lock").unlink(missing_ok=True)


def _sync(python: Path, target: Path, pyproject: str, lock: str) -> None:
    with tempfile.TemporaryDirectory(prefix="fastgen-tested-set-") as scratch:
        Path(scratch, "pyproject.toml").write_text(pyproject)
        Path(scratch, "uv.lock").write_text(lock)
        cmd = [UV, "sync", "--locked", "--no-install-project", "--quiet",
               "--python", str(python), "--no-python-downloads"]  # fmt: skip
        env = {**os.environ, "UV_PROJECT_ENVIRONMENT": str(target)}
        env.pop("VIRTUAL_ENV", None)
        proc = subprocess.run(cmd, cwd=scratch, env=env, capture_output=True, text=True)
    if proc.returncode != 0:
        shutil.rmtree(target, ignore_errors=True)
        pytest.fail(
            f"building the shared venv failed:\n$ {' '.join(cmd)}\n{proc.stdout}\n{proc.stderr}"
        )


def as_a_clone(project: Path) -> None:
    """Make the project a git repository with every file added, as a clone is:
    the pre-commit hooks of CHECK_COMMANDS run on the files git tracks."""
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@t", "-c", "commit.gpgsign=false"]
    if not (project / ".git").exists():
        subprocess.run([*git, "init", "-q"], cwd=project, check=True)
    subprocess.run([*git, "add", "-A"], cwd=project, check=True)


def sync_project(project: Path, python: Path) -> SharedVenv:
    """The project's own .venv, as `make install` makes it: `uv sync --locked`."""
    outer = {"VIRTUAL_ENV", "UV_PROJECT_ENVIRONMENT"}
    env = {k: v for k, v in os.environ.items() if k not in outer}
    cmd = [UV, *shlex.split(INSTALL_COMMAND)[1:], "--quiet", "--python", str(python),
           "--no-python-downloads"]  # fmt: skip
    proc = subprocess.run(cmd, cwd=project, env=env, capture_output=True, text=True)
    if proc.returncode != 0:
        pytest.fail(f"`{INSTALL_COMMAND}` failed in {project}:\n{proc.stdout}\n{proc.stderr}",
                    pytrace=False)  # fmt: skip
    return SharedVenv(project / ".venv")


# -------------------------------------------------------------- services


def _reachable(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=2):
            return True
    except OSError:
        return False


def missing(message: str) -> NoReturn:
    """Something a variant needs is absent: fail in CI, skip elsewhere saying why."""
    if IN_CI:
        pytest.fail(f"{message} (CI=true: nothing may skip)")
    pytest.skip(message)


def require_service(name: str, host: str, port: int) -> None:
    if not _reachable(host, port):
        missing(f"{name} is not reachable on {host}:{port}")


def require_python(version: str) -> Path:
    """The interpreter a variant targets."""
    python = pythons.find(version)
    if python is None:
        missing(f"no Python {version} on this machine (looked in pyenv and on PATH)")
    return python


def redis_command(db: int, *args: str) -> bytes:
    """Send one command to Redis after SELECT db; return the raw reply."""

    def encode(parts: tuple[str, ...]) -> bytes:
        out = f"*{len(parts)}\r\n".encode()
        for part in parts:
            raw = part.encode()
            out += b"$" + str(len(raw)).encode() + b"\r\n" + raw + b"\r\n"
        return out

    with socket.create_connection((REDIS_HOST, REDIS_PORT), timeout=5) as sock:
        sock.sendall(encode(("SELECT", str(db))) + encode(args))
        reply = b""
        while reply.count(b"\r\n") < 2:
            chunk = sock.recv(4096)
            if not chunk:
                break
            reply += chunk
    return reply


_ADMIN_SCRIPT = """
import asyncio, sys, asyncpg
async def main(dsn, statements):
    conn = await asyncpg.connect(dsn)
    try:
        for statement in statements:
            await conn.execute(statement)
    finally:
        await conn.close()
asyncio.run(main(sys.argv[1], sys.argv[2:]))
"""


def _postgres_server() -> str:
    auth = POSTGRES_USER + (f":{POSTGRES_PASSWORD}" if POSTGRES_PASSWORD else "")
    return f"{auth}@{POSTGRES_HOST}:{POSTGRES_PORT}"


def postgres_admin(shared: SharedVenv, *statements: str) -> None:
    """Run statements on the server's `postgres` database (asyncpg of the venv)."""
    dsn = f"postgresql://{_postgres_server()}/postgres"
    proc = subprocess.run(
        [str(shared.python), "-c", _ADMIN_SCRIPT, dsn, *statements],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, f"PostgreSQL refused {statements}:\n{proc.stderr}"


def fresh_postgres_database(shared: SharedVenv, name: str) -> str:
    """Drop and create database `name`; return its SQLAlchemy URL."""
    postgres_admin(
        shared, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)', f'CREATE DATABASE "{name}"'
    )
    return f"postgresql+asyncpg://{_postgres_server()}/{name}"


def database_runner(
    project: Path,
    database: str,
    venv: SharedVenv,
    request: pytest.FixtureRequest,
    *,
    mypy_cache: Path,
    sqlite_url: str | None = None,
) -> ProjectRunner:
    """A runner of the project's commands on `database`: on PostgreSQL, a fresh
    database named after the test and this process (another run on the server
    keeps its own), dropped at the end; on SQLite, sqlite_url (None: the project's
    own default)."""
    database_url = sqlite_url
    if database == "postgresql":
        require_service("PostgreSQL", POSTGRES_HOST, POSTGRES_PORT)
        name = f"fastgen_{request.node.originalname}"[:48] + f"_{os.getpid()}"
        database_url = fresh_postgres_database(venv, name)
        request.addfinalizer(
            lambda: postgres_admin(venv, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        )
    env = project_env(
        project, venv, mypy_cache=mypy_cache, database_url=database_url, redis_url=None
    )
    as_a_clone(project)
    return ProjectRunner(project, env)


# ------------------------------------------------------------ running tools


@dataclass
class ProjectRunner:
    """Runs commands inside one generated project with the shared venv."""

    project: Path
    env: dict[str, str]
    # (step name, seconds) for the timing summary
    steps: list[tuple[str, float]] = field(default_factory=list)

    def run(self, name: str, *argv: str, timeout: float = 600) -> subprocess.CompletedProcess[str]:
        started = time.monotonic()
        proc = subprocess.run(
            list(argv),
            cwd=self.project,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        self.steps.append((name, round(time.monotonic() - started, 1)))
        return proc

    def check(
        self, name: str, *argv: str, timeout: float = 600
    ) -> subprocess.CompletedProcess[str]:
        proc = self.run(name, *argv, timeout=timeout)
        if proc.returncode != 0:
            step, seconds = self.steps[-1]
            self.steps[-1] = (f"{step} FAILED", seconds)
            pytest.fail(
                f"`{name}` exited {proc.returncode} in {self.project}\n"
                f"$ {' '.join(argv)}\n"
                f"--- stdout ---\n{_tail(proc.stdout)}\n--- stderr ---\n{_tail(proc.stderr)}",
                pytrace=False,
            )
        return proc


def _tail(text: str, lines: int = 150) -> str:
    kept = text.splitlines()[-lines:]
    return "\n".join(kept)


def project_env(
    project: Path,
    shared: SharedVenv,
    *,
    mypy_cache: Path,
    database_url: str | None,
    redis_url: str | None,
) -> dict[str, str]:
    """The environment a project's tools run in: the shared venv, this project first."""
    env = {
        key: value
        for key, value in os.environ.items()
        # Nothing of the outer pytest run or of the developer's own settings
        # may leak into the generated project's tools.
        if not key.startswith(("PYTEST_", "PYTHON", "VIRTUAL_ENV", "MYPY", "COV_"))
        and key
        not in {
            "DATABASE_URL",
            "REDIS_URL",
            "TEST_DATABASE_ADMIN_URL",
            "TEST_REDIS_URL",
            "SECRET_KEY",
            "ENVIRONMENT",
        }
    }
    # The venv's tools first on PATH; no VIRTUAL_ENV, which `uv run` would warn
    # about: it runs in the project's own .venv, made from uv.lock.
    path = [str(shared.bin), str(Path(UV).parent), os.environ.get("PATH", "")]
    env["PATH"] = os.pathsep.join(path)
    # As the project's CI: uv commands fail rather than change uv.lock, and use
    # this machine's Pythons.
    env["UV_LOCKED"] = "1"
    env["UV_PYTHON_DOWNLOADS"] = "never"
    env["PYTHONPATH"] = str(project)
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    env["MYPY_CACHE_DIR"] = str(mypy_cache)
    if database_url:
        env["DATABASE_URL"] = database_url
        if database_url.startswith("postgresql"):
            # The generated tests create their own databases on this server.
            env["TEST_DATABASE_ADMIN_URL"] = database_url.rsplit("/", 1)[0] + "/postgres"
    if redis_url:
        # The generated tests empty their Redis database: give them this one.
        env["REDIS_URL"] = env["TEST_REDIS_URL"] = redis_url
    return env
