"""The generated Makefile: each target runs what the README and CI run.

The tools themselves are run by the matrix (test_matrix.py runs CHECK_COMMANDS
in every variant); here `make -n` shows that each target runs exactly those
commands, the README's table of targets says the same, and the targets that
need arguments refuse to run without them.
"""

from __future__ import annotations

import re
import shlex
import stat
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from .support import CHECK_COMMANDS, INSTALL_COMMAND, make_commands, render

# Target -> the commands it runs, in order; the first is one the matrix and CI run.
CHECK_TARGETS = {
    "install": [INSTALL_COMMAND, "uv run pre-commit install"],
    "migrate": ["uv run alembic upgrade head"],
    "test": ["uv run pytest --cov"],
}
RUN = "uv run uvicorn app.main:app --reload --reload-dir app --no-proxy-headers --no-access-log"


@pytest.fixture(scope="module", params=["docker", "no-docker"])
def project(request: pytest.FixtureRequest, copie_session: Any) -> Path:
    docker = request.param == "docker"
    root = render(copie_session, {"project_name": f"Make {request.param}", "docker": docker})
    (root / ".env").write_text("SECRET_KEY=kept\n")  # as `fastgen new` leaves it
    subprocess.run(["git", "init", "--quiet"], cwd=root, check=True)  # as `fastgen new` does
    return root


def make(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["make", "--no-print-directory", *args],
        cwd=project,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )


def test_check_targets_run_the_commands_of_ci(project: Path) -> None:
    for target, commands in CHECK_TARGETS.items():
        assert commands[0] in [INSTALL_COMMAND, *CHECK_COMMANDS]
        assert make_commands(project, target) == commands, target


def test_lint_and_typecheck_run_the_tools_of_the_hooks_that_ci_runs(project: Path) -> None:
    """CI lints, formats and type-checks by running the pre-commit hooks; `make lint`
    and `make typecheck` run the same tools alone, from the same .venv."""
    config = yaml.safe_load((project / ".pre-commit-config.yaml").read_text())
    entries = {hook["id"]: hook["entry"] for repo in config["repos"] for hook in repo["hooks"]}

    assert make_commands(project, "lint") == ["uv run ruff check .", "uv run ruff format --check ."]
    assert entries["ruff-check"].startswith("uv run ruff check ")
    assert entries["ruff-format"].startswith("uv run ruff format ")
    assert make_commands(project, "typecheck") == [entries["mypy"]] == ["uv run mypy"]


def test_install_outside_git_says_why_there_is_no_hook(copie_session: Any) -> None:
    """`fastgen new --no-git` and `copier copy` make no repository: pre-commit install
    would fail there, and the venv is what `make install` is for."""
    root = render(copie_session, {"project_name": "Make nogit"})
    (root / ".env").write_text("SECRET_KEY=kept\n")  # as `fastgen new` leaves it
    if subprocess.run(["git", "rev-parse"], cwd=root, capture_output=True).returncode == 0:
        pytest.skip(f"{root} lies inside a git repository")

    assert make_commands(root, "install") == [
        INSTALL_COMMAND,
        'echo "Not in a git repository: no pre-commit hook. After git init, '
        'run make install again."',
    ]


def test_run_serves_with_reload_watching_only_the_app(project: Path) -> None:
    assert make_commands(project, "run") == [RUN]


def test_revision_autogenerates_a_migration_named_by_m(project: Path) -> None:
    commands = make_commands(project, "revision", "m=add orders")

    assert commands[-1] == 'uv run alembic revision --autogenerate -m "add orders"'


def test_create_admin_passes_email_and_username(project: Path) -> None:
    commands = make_commands(project, "create-admin", "email=a@example.com", "username=ada")

    assert shlex.split(commands[-1]) == [
        "uv", "run", "python", "-m", "app.cli", "create-admin",
        "--email", "a@example.com", "--username", "ada",
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("args", "usage"),
    [
        (["revision"], 'make revision m="what changed"'),
        (["create-admin"], "make create-admin email="),
        (["create-admin", "email=a@example.com"], "make create-admin email="),
    ],
)
def test_targets_refuse_to_run_without_their_arguments(
    project: Path, args: list[str], usage: str
) -> None:
    run = make(project, *args)

    assert run.returncode == 2
    assert f"usage: {usage}" in run.stderr
    assert "alembic" not in run.stdout and "app.cli" not in run.stdout


def test_docker_up_exists_only_with_docker(project: Path) -> None:
    if (project / "compose.yaml").exists():
        assert make_commands(project, "docker-up") == ["docker compose up --build"]
    else:
        assert make(project, "-n", "docker-up").returncode != 0


def test_help_lists_every_target(project: Path) -> None:
    makefile = (project / "Makefile").read_text()
    (phony,) = re.findall(r"^\.PHONY: (.*)$", makefile, re.M)
    run = make(project)  # the first target: help

    assert run.returncode == 0
    listed = [line.split()[0] for line in run.stdout.splitlines()]
    assert listed == [t for t in phony.split() if t != "help"]


def test_readme_table_shows_what_each_target_runs(project: Path) -> None:
    readme = (project / "README.md").read_text()
    rows = re.findall(r"^\| `make ([a-z-]+)` \| (.*) \|$", readme, re.M)
    assert {target for target, _ in rows} >= set(CHECK_TARGETS) | {"run", "format"}
    for target, runs in rows:
        documented = re.findall(r"`([^`]+)`", runs)
        assert make_commands(project, target) == documented, target


def test_env_is_written_only_when_missing_with_a_fresh_secret(
    copie_session: Any, tmp_path: Path
) -> None:
    root = render(copie_session, {"project_name": "Make env"})
    assert not (root / ".env").exists()

    first = make(root, ".env")
    env = (root / ".env").read_text()
    again = make(root, ".env")

    assert first.returncode == 0, first.stderr
    assert stat.S_IMODE((root / ".env").stat().st_mode) == 0o600
    example = (root / ".env.example").read_text().splitlines()
    lines = env.splitlines()
    assert len(lines) == len(example)
    changed = [(a, b) for a, b in zip(example, lines, strict=True) if a != b]
    ((before, after),) = changed
    assert before == "SECRET_KEY=change-me"
    assert re.fullmatch(r"SECRET_KEY=[A-Za-z0-9_-]{64}", after)
    assert again.returncode == 0
    assert (root / ".env").read_text() == env, "an existing .env is never rewritten"
