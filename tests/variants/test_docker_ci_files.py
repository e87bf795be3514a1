"""The Docker, compose and CI files of generated projects, checked without Docker.

No Docker engine runs here, so the files are read as data: the YAML parses,
the services, ports and commands are the right ones for the variant, what the
Dockerfile copies exists in the build context, its start command runs (against
stand-in `alembic` and `uvicorn` programs), and the CI workflow runs the same
commands as the project's README.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import stat
import subprocess
import sys
import tomllib
import urllib.parse
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

import fastgen

from .support import CHECK_COMMANDS, INSTALL_COMMAND, make_commands, render

# Text that breaks YAML or a shell line when pasted in unescaped.
HOSTILE_TEXT = {
    "description": "Says \"hi\": # not a comment, {braces} & 'quotes' - [x]",
    "author": 'O\'Brien: "Ops" <ops@example.com> #1',
}

# (database, redis, python_version): every database/redis combination, each
# Python version at least once.
DOCKER_VARIANTS = [
    ("sqlite", False, "3.11"),
    ("sqlite", True, "3.12"),
    ("postgresql", False, "3.13"),
    ("postgresql", True, "3.12"),
]


@dataclass
class Rendered:
    answers: dict[str, Any]
    root: Path

    def text(self, name: str) -> str:
        return (self.root / name).read_text()

    def yaml(self, name: str) -> Any:
        return yaml.safe_load(self.text(name))


@pytest.fixture(scope="module")
def rendered(copie_session: Any) -> dict[tuple[str, bool, str], Rendered]:
    out = {}
    for database, redis, python_version in DOCKER_VARIANTS:
        answers = {
            "project_name": f"Docker {database} {'redis' if redis else 'plain'}",
            "database": database,
            "redis": redis,
            "python_version": python_version,
            "docker": True,
            "ci": "github",
            # Metrics change compose.yaml and the README's commands, and
            # tracing the README's: each on in two variants, together in one.
            "metrics": redis,
            "tracing": database == "postgresql",
            **HOSTILE_TEXT,
        }
        out[(database, redis, python_version)] = Rendered(answers, render(copie_session, answers))
    return out


variant = pytest.mark.parametrize(
    "key",
    DOCKER_VARIANTS,
    ids=[f"{d}-{'redis' if r else 'noredis'}" for d, r, _ in DOCKER_VARIANTS],
)


# ------------------------------------------------------------------ shapes


@variant
@pytest.mark.parametrize(
    "name", ["Dockerfile", ".dockerignore", "compose.yaml", ".github/workflows/ci.yml"]
)
def test_file_has_no_template_leftovers(rendered: dict, key: tuple, name: str) -> None:
    text = rendered[key].text(name)
    assert "{{" not in text and "{%" not in text and "{#" not in text
    assert text.endswith("\n") and not text.endswith("\n\n"), "one newline at the end"
    assert not text.startswith("\n")
    assert "\n\n\n" not in text, "a switched-off part left blank lines behind"
    for number, line in enumerate(text.splitlines(), start=1):
        assert line == line.rstrip(), f"{name}:{number} has trailing whitespace"


def test_switched_off_docker_and_ci_leave_no_files(copie_session: Any) -> None:
    root = render(copie_session, {"project_name": "No extras", "docker": False, "ci": "none"})
    for name in ("Dockerfile", ".dockerignore", "compose.yaml", ".github"):
        assert not (root / name).exists(), name
    assert not [p for p in root.rglob("*") if p.name in {"", "workflows"}]


# -------------------------------------------------------------- Dockerfile


@dataclass
class Instruction:
    keyword: str
    args: str


def parse_dockerfile(text: str) -> list[Instruction]:
    """Instructions with continuation lines joined and comments dropped."""
    out: list[Instruction] = []
    pending = ""
    for raw in text.splitlines():
        line = raw.strip()
        if not pending and (not line or line.startswith("#")):
            continue
        if pending and line.startswith("#"):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        full = (pending + line).strip()
        pending = ""
        keyword, _, args = full.partition(" ")
        out.append(Instruction(keyword.upper(), args.strip()))
    assert not pending, "the Dockerfile ends inside a continued line"
    return out


def stages(instructions: list[Instruction]) -> list[list[Instruction]]:
    out: list[list[Instruction]] = []
    for ins in instructions:
        if ins.keyword == "FROM":
            out.append([])
        assert out, f"{ins.keyword} before the first FROM"
        out[-1].append(ins)
    return out


def env_of(stage: list[Instruction]) -> dict[str, str]:
    env: dict[str, str] = {}
    for ins in stage:
        if ins.keyword == "ENV":
            for word in shlex.split(ins.args):
                name, _, value = word.partition("=")
                env[name] = value
    return env


def _dockerignore_regex(pattern: str) -> re.Pattern[str]:
    """Docker's pattern syntax: `*` and `?` stay within one folder, `**` spans any."""
    out = ""
    i = 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out += "(?:.*/)?"
            i += 3
        elif pattern.startswith("**", i):
            out += ".*"
            i += 2
        elif pattern[i] == "*":
            out += "[^/]*"
            i += 1
        elif pattern[i] == "?":
            out += "[^/]"
            i += 1
        elif pattern[i] == "[":
            end = pattern.index("]", i)
            out += pattern[i : end + 1]
            i = end + 1
        else:
            out += re.escape(pattern[i])
            i += 1
    return re.compile(out)


def dockerignored(ignore_text: str, relpath: str) -> bool:
    """Whether .dockerignore keeps `relpath` out of the build context.

    A pattern matching a folder excludes what is inside it; the last matching
    line wins, and `!` lines bring paths back.
    """
    parts = relpath.split("/")
    prefixes = ["/".join(parts[: i + 1]) for i in range(len(parts))]
    ignored = False
    for raw in ignore_text.splitlines():
        pattern = raw.strip()
        if not pattern or pattern.startswith("#"):
            continue
        negate = pattern.startswith("!")
        regex = _dockerignore_regex(pattern.lstrip("!").strip("/"))
        if any(regex.fullmatch(prefix) for prefix in prefixes):
            ignored = not negate
    return ignored


def test_dockerignore_matching_follows_docker_rules() -> None:
    rules = "*.db\n**/*.pyc\ntests\n.env.*\n!.env.example\n"
    assert dockerignored(rules, "app.db")
    assert not dockerignored(rules, "data/app.db"), "* stays in one folder"
    assert dockerignored(rules, "app/core/x.pyc")
    assert dockerignored(rules, "x.pyc")
    assert dockerignored(rules, "tests/test_a.py")
    assert dockerignored(rules, ".env.local")
    assert not dockerignored(rules, ".env.example")
    assert not dockerignored(rules, "app/tests.py")


@variant
def test_dockerfile_builds_in_a_builder_stage_and_runs_slim_as_non_root(
    rendered: dict, key: tuple
) -> None:
    project = rendered[key]
    python_version = project.answers["python_version"]
    _uv, builder, runtime = stages(parse_dockerfile(project.text("Dockerfile")))

    assert builder[0].args == f"python:{python_version}-slim AS builder"
    assert runtime[0].args == f"python:{python_version}-slim"
    assert any(i.keyword == "COPY" and i.args.startswith("--from=builder ") for i in runtime)

    users = [i.args for i in runtime if i.keyword == "USER"]
    assert users and users[-1] not in {"root", "0"}, "the app must not run as root"
    assert any(i.keyword == "RUN" and "useradd" in i.args and users[-1] in i.args for i in runtime)
    keywords = [i.keyword for i in runtime]
    assert keywords.index("USER") < keywords.index("CMD")
    assert [i.args for i in runtime if i.keyword == "EXPOSE"] == ["8000"]


@variant
def test_dockerfile_installs_exactly_the_lock_in_a_layer_of_its_own(
    rendered: dict, key: tuple
) -> None:
    """The builder installs what uv.lock pins, without the dev group, and refuses a
    lock that does not match pyproject.toml; the dependencies' layer comes before
    the code is copied, so an edit of the code does not reinstall them."""
    uv, builder, _runtime = stages(parse_dockerfile(rendered[key].text("Dockerfile")))
    steps = [(i.keyword, i.args) for i in builder if i.keyword in {"COPY", "RUN"}]

    # uv from its image at a fixed version, on a FROM line where Dependabot sees it.
    assert [(i.keyword, i.args) for i in uv] == [("FROM", uv[0].args)]
    assert re.fullmatch(r"ghcr\.io/astral-sh/uv:\d+\.\d+\.\d+ AS uv", uv[0].args)
    assert steps == [
        ("COPY", "--from=uv /uv /usr/local/bin/uv"),
        ("COPY", "pyproject.toml uv.lock ./"),
        ("RUN", "uv sync --locked --no-dev --no-install-project"),
        ("COPY", "README.md ./"),
        ("COPY", "app ./app"),
        ("RUN", "uv sync --locked --no-dev --no-editable"),
    ]
    env = " ".join(i.args for i in builder if i.keyword == "ENV")
    assert "UV_PROJECT_ENVIRONMENT=/opt/venv" in env, "the venv the runtime stage copies"
    assert "UV_PYTHON_DOWNLOADS=never" in env, "the image's Python, not one uv downloads"
    assert "pip install" not in rendered[key].text("Dockerfile")


@variant
def test_dockerfile_copies_only_what_the_build_context_has(rendered: dict, key: tuple) -> None:
    project = rendered[key]
    ignore = project.text(".dockerignore")
    pyproject = tomllib.loads(project.text("pyproject.toml"))
    copied: list[str] = []
    for ins in parse_dockerfile(project.text("Dockerfile")):
        if ins.keyword == "COPY" and not ins.args.startswith("--from="):
            words = [w for w in shlex.split(ins.args) if not w.startswith("--")]
            copied += words[:-1]
    for source in copied:
        assert (project.root / source).exists(), f"COPY {source}: not in the project"
        assert not dockerignored(ignore, source), f"COPY {source}: excluded by .dockerignore"
    # pip builds the project in the builder stage: what pyproject.toml names must be there.
    readme = pyproject["project"].get("readme")
    if isinstance(readme, str):
        assert readme in copied, f"pyproject.toml's readme {readme} is not copied"
    unwanted = (".env", ".env.local", ".git", ".venv", "app.db", "data/app.db", "tests/test_x.py",
                "app/__pycache__/main.cpython-312.pyc")  # fmt: skip
    for path in unwanted:
        assert dockerignored(ignore, path), f"{path} would be sent to the Docker build"
    assert not dockerignored(ignore, ".env.example")


@variant
def test_dockerfile_healthcheck_asks_health_with_urllib(rendered: dict, key: tuple) -> None:
    (check,) = [
        i.args
        for i in parse_dockerfile(rendered[key].text("Dockerfile"))
        if i.keyword == "HEALTHCHECK"
    ]
    options, _, command = check.partition("CMD ")
    argv = json.loads(command)
    assert argv[:2] == ["python", "-c"], "slim images have no curl"
    assert "urllib.request" in argv[2]
    assert "http://127.0.0.1:8000/health" in argv[2]
    assert "--timeout=" in options and "--interval=" in options
    compile(argv[2], "<healthcheck>", "exec")  # it is Python that parses


def _stand_in(bin_dir: Path, name: str, exit_code: int) -> None:
    """A program that records its argv (one word a line, then END) and exits."""
    script = bin_dir / name
    script.write_text(
        f'#!/bin/sh\nprintf \'%s\\n\' {name} "$@" END >> "$CALLS"\nexit {exit_code}\n'
    )
    script.chmod(script.stat().st_mode | stat.S_IXUSR)


def run_container_command(
    project: Rendered, tmp_path: Path, *, alembic_exit: int = 0, env: dict[str, str] | None = None
) -> list[list[str]]:
    """Run the image's CMD with stand-ins for alembic and uvicorn; their calls."""
    runtime = stages(parse_dockerfile(project.text("Dockerfile")))[-1]
    (cmd,) = [json.loads(i.args) for i in runtime if i.keyword == "CMD"]
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    _stand_in(bin_dir, "alembic", alembic_exit)
    _stand_in(bin_dir, "uvicorn", 0)
    calls = tmp_path / "calls.txt"
    calls.write_text("")
    image_env = {k: v for k, v in env_of(runtime).items() if k != "PATH"}
    run_env = {
        "PATH": f"{bin_dir}{os.pathsep}/usr/bin:/bin",
        "CALLS": str(calls),
        **image_env,
        **(env or {}),
    }
    subprocess.run(cmd, env=run_env, check=False, timeout=30)
    out: list[list[str]] = []
    current: list[str] = []
    for line in calls.read_text().splitlines():
        if line == "END":
            out.append(current)
            current = []
        else:
            current.append(line)
    return out


def uvicorn_options(argv: list[str]) -> dict[str, str | None]:
    """uvicorn's options: `--name value` pairs, and flags mapped to None."""
    options: dict[str, str | None] = {}
    words = iter(argv)
    for word in words:
        if word.startswith("--"):
            name, eq, value = word.partition("=")
            if eq:
                options[name] = value
            elif name in {"--host", "--port", "--workers", "--forwarded-allow-ips"}:
                options[name] = next(words)
            else:
                options[name] = None
    return options


@variant
def test_container_migrates_then_serves_without_believing_proxy_headers(
    rendered: dict, key: tuple, tmp_path: Path
) -> None:
    project = rendered[key]
    redis = project.answers["redis"]
    calls = run_container_command(project, tmp_path)
    assert calls[0] == ["alembic", "upgrade", "head"]
    uvicorn = calls[1]
    assert uvicorn[:2] == ["uvicorn", "app.main:app"]
    assert (project.root / "app" / "main.py").exists(), "uvicorn serves app.main:app"
    options = uvicorn_options(uvicorn[2:])
    assert options["--host"] == "0.0.0.0"
    assert options["--port"] == "8000"
    # The app applies TRUSTED_PROXIES itself; uvicorn must not rewrite the
    # client address first (by default it believes 127.0.0.1).
    assert "--no-proxy-headers" in options
    assert "--forwarded-allow-ips" not in options and "--proxy-headers" not in options
    assert options["--workers"] == ("2" if redis else "1")

    scaled = run_container_command(project, tmp_path, env={"WEB_CONCURRENCY": "4"})[1]
    # Without Redis the limits and the cache are per process: one worker, always.
    assert uvicorn_options(scaled[2:])["--workers"] == ("4" if redis else "1")


@variant
def test_container_serves_as_the_readme_says_to_in_production(
    rendered: dict, key: tuple, tmp_path: Path
) -> None:
    project = rendered[key]
    production = [
        words[3:]
        for words in (_words(c) for c in readme_commands(project))
        if words[:5] == ["uv", "run", "--no-sync", "uvicorn", "app.main:app"] and "--host" in words
    ]
    assert production, "the README shows no production uvicorn command"
    container = uvicorn_options(run_container_command(project, tmp_path)[1][2:])
    for words in production:
        documented = uvicorn_options(words[2:])
        # The number of workers is the operator's choice; every other option agrees.
        documented.pop("--workers", None)
        assert documented == {k: v for k, v in container.items() if k != "--workers"}


@variant
def test_container_does_not_serve_when_migrations_fail(
    rendered: dict, key: tuple, tmp_path: Path
) -> None:
    calls = run_container_command(rendered[key], tmp_path, alembic_exit=1)
    assert [c[0] for c in calls] == ["alembic"]


# ----------------------------------------------------------------- compose


@variant
def test_compose_names_the_services_of_the_variant(rendered: dict, key: tuple) -> None:
    project = rendered[key]
    database, redis = project.answers["database"], project.answers["redis"]
    compose = project.yaml("compose.yaml")
    services = compose["services"]
    expected = (
        {"app"} | ({"db"} if database == "postgresql" else set()) | ({"redis"} if redis else set())
    )
    assert set(services) == expected

    app = services["app"]
    assert app["build"] == "."
    assert app["ports"] == ["8000:8000"]
    assert app["env_file"] == ".env"
    env = app["environment"]
    depends = app.get("depends_on", {})
    assert set(depends) == expected - {"app"}
    assert all(d == {"condition": "service_healthy"} for d in depends.values())
    for name in depends:
        assert "healthcheck" in services[name], f"{name} needs a healthcheck for service_healthy"

    if database == "postgresql":
        db = services["db"]
        assert db["image"] == "postgres:16-alpine"
        url = re.fullmatch(
            r"postgresql\+asyncpg://postgres:(?P<pw>[^@]+)@db:5432/(?P<name>\w+)",
            env["DATABASE_URL"],
        )
        assert url, env["DATABASE_URL"]
        assert url["name"] == db["environment"]["POSTGRES_DB"]
        assert url["pw"] == db["environment"]["POSTGRES_PASSWORD"]
        assert any(v.endswith(":/var/lib/postgresql/data") for v in db["volumes"])
    else:
        # The SQLite file lives on a volume, in the folder the app user owns.
        assert env["DATABASE_URL"] == "sqlite+aiosqlite:////srv/app/data/app.db"
        assert any(v.endswith(":/srv/app/data") for v in app["volumes"])
    if redis:
        assert services["redis"]["image"] == "redis:7-alpine"
        assert env["REDIS_URL"] == "redis://redis:6379/0"
    else:
        assert "REDIS_URL" not in env

    named = {
        v.split(":", 1)[0]
        for service in services.values()
        for v in service.get("volumes", [])
        if not v.startswith((".", "/"))
    }
    assert named == set(compose.get("volumes") or {}), "every named volume is declared, once"


def env_example(project: Rendered) -> dict[str, str]:
    """The settings of .env.example, which `fastgen new` copies to .env."""
    return dict(
        line.split("=", 1)
        for line in project.text(".env.example").splitlines()
        if "=" in line and not line.lstrip().startswith("#")
    )


def compose_default(value: str) -> str:
    """A compose value with its `${NAME:-default}` parts resolved to their defaults."""
    return re.sub(r"\$\{[A-Z_]+:-([^}]*)\}", r"\1", value)


@variant
def test_compose_services_answer_the_settings_of_env_example(rendered: dict, key: tuple) -> None:
    """`docker compose up db redis` serves the app run on the host with its .env."""
    project = rendered[key]
    services = project.yaml("compose.yaml")["services"]
    settings = env_example(project)
    if project.answers["database"] == "postgresql":
        db = services["db"]
        url = urllib.parse.urlsplit(settings["DATABASE_URL"])
        # Published on the loopback address only: not reachable from the network.
        assert db["ports"] == [f"127.0.0.1:{url.port}:5432"]
        assert url.hostname == "127.0.0.1"
        assert url.username == db["environment"]["POSTGRES_USER"]
        assert url.password == compose_default(db["environment"]["POSTGRES_PASSWORD"])
        assert url.path.lstrip("/") == db["environment"]["POSTGRES_DB"]
    if project.answers["redis"]:
        url = urllib.parse.urlsplit(settings["REDIS_URL"])
        assert services["redis"]["ports"] == [f"127.0.0.1:{url.port}:6379"]
        assert url.hostname == "127.0.0.1"
    # The app's container reaches them by service name instead.
    overridden = services["app"]["environment"]
    if "db" in services:
        assert urllib.parse.urlsplit(overridden["DATABASE_URL"]).hostname == "db"
    if "redis" in services:
        assert urllib.parse.urlsplit(overridden["REDIS_URL"]).hostname == "redis"


@pytest.mark.parametrize(
    "key", [v for v in DOCKER_VARIANTS if v[1]], ids=[d for d, r, _ in DOCKER_VARIANTS if r]
)
def test_compose_redis_keeps_its_data_across_restarts(rendered: dict, key: tuple) -> None:
    """The logout blacklist lives in Redis: a Redis that forgets would undo logouts."""
    project = rendered[key]
    compose = project.yaml("compose.yaml")
    redis = compose["services"]["redis"]
    command = redis["command"]
    assert command[command.index("--appendonly") + 1] == "yes"
    (volume,) = redis["volumes"]
    name, _, path = volume.partition(":")
    assert path == "/data", "the official image writes its files to /data"
    assert name in compose["volumes"], "a named volume, kept by `docker compose down`"


@variant
def test_readme_runs_compose_as_compose_yaml_defines_it(rendered: dict, key: tuple) -> None:
    project = rendered[key]
    commands = [_words(c) for c in readme_commands(project)]
    services = set(project.yaml("compose.yaml")["services"])

    assert ["docker", "compose", "up", "--build"] in commands
    # The Quick start starts the services an app run on the host needs, and no app.
    started = [set(w[4:]) for w in commands if w[:4] == ["docker", "compose", "up", "-d"]]
    assert started == ([services - {"app"}] if services != {"app"} else [])
    # An admin is made in the container with the command `make create-admin` runs
    # (there without `uv run`: the image's venv is on its PATH).
    (inside,) = [w[4:] for w in commands if w[:4] == ["docker", "compose", "exec", "app"]]
    (local,) = [w[2:] for w in commands if w[:2] == ["uv", "run"] and w[5:6] == ["create-admin"]]
    assert inside == local


@variant
def test_compose_environment_names_real_settings(rendered: dict, key: tuple) -> None:
    project = rendered[key]
    example = project.root / ".env.example"
    if not example.exists():
        pytest.fail(".env.example is missing: compose's env_file .env is made from it")
    documented = {
        line.split("=", 1)[0].strip()
        for line in example.read_text().splitlines()
        if "=" in line and not line.lstrip().startswith("#")
    }
    overridden = set(project.yaml("compose.yaml")["services"]["app"]["environment"])
    # Read by prometheus-client, not by the app's settings, and never set in
    # .env, where an empty value would still switch multiprocess mode on.
    assert overridden - {"PROMETHEUS_MULTIPROC_DIR"} <= documented


# ---------------------------------------------------------------- workflow


def workflow_commands(workflow: dict[str, Any]) -> list[str]:
    job = workflow["jobs"]["test"]
    commands = []
    for step in job["steps"]:
        for line in str(step.get("run", "")).splitlines():
            if line.strip():
                commands.append(line.strip())
    return commands


def readme_commands(project: Rendered) -> list[str]:
    """Commands of the README's fenced shell blocks.

    Prompts and comments are dropped, continued lines joined, and `a && b`
    counts as two commands. A `make` line counts as the commands the
    Makefile runs for it.
    """
    commands = []
    blocks = r"^```(?:bash|sh|shell|console)\n(.*?)^```"
    for block in re.findall(blocks, project.text("README.md"), re.M | re.S):
        joined = re.sub(r"\\\n\s*", " ", block)
        for line in joined.splitlines():
            line = line.strip().removeprefix("$ ")
            if not line or line.startswith("#"):
                continue
            line = re.split(r"\s#", line, maxsplit=1)[0]
            for part in (part.strip() for part in line.split("&&") if part.strip()):
                words = shlex.split(part)
                if words[0] == "make":
                    commands += make_commands(project.root, *words[1:])
                else:
                    commands.append(part)
    return commands


def _words(command: str) -> list[str]:
    """The command's words, without leading VAR=value assignments."""
    words = shlex.split(command)
    while words and re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*=.*", words[0]):
        words.pop(0)
    return words


def _normal(command: str) -> tuple[str, ...]:
    return tuple(_words(command))


@variant
def test_workflow_services_and_environment_match_the_variant(rendered: dict, key: tuple) -> None:
    project = rendered[key]
    database, redis = project.answers["database"], project.answers["redis"]
    workflow = project.yaml(".github/workflows/ci.yml")
    triggers = workflow.get("on", workflow.get(True))  # YAML 1.1 reads `on` as true
    assert {"push", "pull_request"} <= set(triggers)
    job = workflow["jobs"]["test"]
    services = job.get("services", {})
    expected = ({"postgres"} if database == "postgresql" else set()) | (
        {"redis"} if redis else set()
    )
    assert set(services) == expected
    env = job.get("env", {})
    if database == "postgresql":
        pg = services["postgres"]
        assert pg["image"] == "postgres:16"
        assert pg["ports"] == ["5432:5432"]
        assert "--health-cmd" in pg["options"]
        server = (
            f"postgresql+asyncpg://{pg['env']['POSTGRES_USER']}:{pg['env']['POSTGRES_PASSWORD']}"
            "@localhost:5432"
        )
        assert env["DATABASE_URL"] == f"{server}/{pg['env']['POSTGRES_DB']}"
        # The generated tests make their own databases through this one.
        assert env["TEST_DATABASE_ADMIN_URL"] == f"{server}/postgres"
    else:
        assert "DATABASE_URL" not in env, "SQLite runs on the project's default database"
        assert "TEST_DATABASE_ADMIN_URL" not in env
    if redis:
        assert services["redis"]["image"] == "redis:7"
        assert services["redis"]["ports"] == ["6379:6379"]
        assert "--health-cmd" in services["redis"]["options"]
        assert env["REDIS_URL"] == "redis://localhost:6379/0"
        test_redis = env["TEST_REDIS_URL"]
        assert test_redis.startswith("redis://localhost:6379/")
        assert test_redis != env["REDIS_URL"], "the tests empty their Redis database"
    else:
        assert "REDIS_URL" not in env and "TEST_REDIS_URL" not in env

    setup = [s for s in job["steps"] if str(s.get("uses", "")).startswith("actions/setup-python")]
    assert [s["with"]["python-version"] for s in setup] == [project.answers["python_version"]]


@variant
def test_workflow_runs_the_checks_in_order(rendered: dict, key: tuple) -> None:
    commands = workflow_commands(rendered[key].yaml(".github/workflows/ci.yml"))
    assert [_normal(c) for c in commands] == [
        _normal(c) for c in [INSTALL_COMMAND, *CHECK_COMMANDS]
    ]


@variant
def test_workflow_runs_the_same_commands_as_the_readme(rendered: dict, key: tuple) -> None:
    project = rendered[key]
    readme = readme_commands(project)
    assert readme, "the README shows no shell commands"
    documented = {_normal(c) for c in readme}
    ci = workflow_commands(project.yaml(".github/workflows/ci.yml"))
    missing = [c for c in ci if _normal(c) not in documented]
    assert not missing, f"CI runs commands the README does not show: {missing}"
    # And the README's checks are all in CI (other commands, such as running
    # the server or creating an admin, are not CI's business).
    ci_normal = {_normal(c) for c in ci}
    checks = [c for c in readme if _is_check(c) and _normal(c) not in ci_normal]
    assert not checks, f"the README shows checks CI does not run: {checks}"


def _is_check(command: str) -> bool:
    words = _words(command)
    if words[:2] == ["uv", "run"]:
        words = words[2:]
    return (
        bool(words)
        and (
            words[0] in {"ruff", "mypy", "pytest"}
            or words
            == ["uv", "sync", "--locked"]  # the dev install (a production one has --no-dev)
            or words[:2] == ["pre-commit", "run"]
            or (words[0] == "alembic" and words[1:2] in (["upgrade"], ["check"], ["downgrade"]))
        )
    )


# ------------------------------------------------------------- lock, hooks, updates


def check_jsonschema(schema: str, path: Path) -> subprocess.CompletedProcess[str]:
    """check-jsonschema with the schema it carries (SchemaStore's), offline."""
    tool = Path(sys.executable).parent / "check-jsonschema"
    return subprocess.run([str(tool), "--builtin-schema", schema, str(path)],
                          capture_output=True, text=True, check=False)  # fmt: skip


@variant
def test_workflow_and_dependabot_are_valid_against_their_schemas(
    rendered: dict, key: tuple
) -> None:
    root = rendered[key].root
    for schema, name in [("vendor.github-workflows", ".github/workflows/ci.yml"),
                         ("vendor.dependabot", ".github/dependabot.yml")]:  # fmt: skip
        run = check_jsonschema(schema, root / name)
        assert run.returncode == 0, f"{name}: {run.stdout}{run.stderr}"


def test_the_schema_check_fails_on_a_wrong_ecosystem(rendered: dict, tmp_path: Path) -> None:
    broken = tmp_path / "dependabot.yml"
    text = rendered[DOCKER_VARIANTS[0]].text(".github/dependabot.yml")
    broken.write_text(text.replace("package-ecosystem: uv", "package-ecosystem: uvx"))

    run = check_jsonschema("vendor.dependabot", broken)

    assert run.returncode == 1 and "'uvx' is not one of" in run.stdout


@variant
def test_dependabot_groups_a_weeks_updates_of_every_ecosystem_the_project_has(
    rendered: dict, key: tuple
) -> None:
    config = rendered[key].yaml(".github/dependabot.yml")
    updates = {u["package-ecosystem"]: u for u in config["updates"]}

    assert set(updates) == {"uv", "github-actions", "docker"}  # docker: these have a Dockerfile
    # One group across the ecosystems: one pull request a week, for every package.
    assert config["multi-ecosystem-groups"] == {"weekly": {"schedule": {"interval": "weekly"}}}
    for update in updates.values():
        assert update["multi-ecosystem-group"] == "weekly"
        assert update["patterns"] == ["*"]
        assert "schedule" not in update and "groups" not in update
    # The image's Python moves with the project's, not with Docker Hub's tags.
    (ignored,) = updates["docker"]["ignore"]
    assert ignored["dependency-name"] == "python"
    assert set(ignored["update-types"]) == {
        "version-update:semver-major", "version-update:semver-minor"
    }  # fmt: skip


@variant
def test_ci_installs_from_the_lock_and_refuses_to_change_it(rendered: dict, key: tuple) -> None:
    project = rendered[key]
    workflow = project.yaml(".github/workflows/ci.yml")
    test_job, template_job = workflow["jobs"]["test"], workflow["jobs"]["template"]

    assert test_job["env"]["UV_LOCKED"] == "1"
    (setup_uv,) = [
        s for s in test_job["steps"] if str(s.get("uses", "")).startswith("astral-sh/setup-uv@")
    ]
    assert setup_uv["with"] == {"enable-cache": True, "cache-dependency-glob": "uv.lock"}
    assert workflow_commands(workflow)[0] == "uv sync --locked"
    assert not [c for c in workflow_commands(workflow) if "pip" in _words(c)[:3]]
    # fastgen is run by uvx at the version the project records, not installed into it.
    runs = [s["run"] for s in template_job["steps"] if "run" in s]
    assert runs == [f"uvx --from fastgen-backend=={fastgen.__version__} fastgen check"]


@variant
def test_pre_commit_config_is_valid_and_its_hooks_run_the_locked_tools(
    rendered: dict, key: tuple, shared_venv: Any
) -> None:
    project = rendered[key]
    venv = shared_venv(project.answers["python_version"])
    run = subprocess.run([str(venv.bin / "pre-commit"), "validate-config",
                          ".pre-commit-config.yaml"], cwd=project.root,
                         capture_output=True, text=True, check=False)  # fmt: skip
    assert run.returncode == 0, run.stdout + run.stderr

    config = project.yaml(".pre-commit-config.yaml")
    hooks = [hook for repo in config["repos"] for hook in repo["hooks"]]
    assert [repo["repo"] for repo in config["repos"]] == ["local"]
    assert {hook["id"] for hook in hooks} == {"ruff-check", "ruff-format", "mypy"}
    # From .venv through `uv run`: the versions of uv.lock, never a copy of their own.
    assert all(hook["entry"].startswith("uv run ") for hook in hooks)
    assert project.text(".python-version") == f"{project.answers['python_version']}\n"
