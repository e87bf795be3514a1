"""`fastgen new`: what lands on disk for good answers."""

from __future__ import annotations

import os
import subprocess
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml

from conftest import REPO, everything_under, fastgen, tree_bytes
from variants.support import UV

# The design document's directory tree (backend-architecture.md), as rendered.
# Its `requirements.txt` is superseded by pyproject.toml, which holds the
# dependencies once for pip, the Dockerfile and the CI workflow alike.
DESIGN_TREE = [
    "app/api/v1/users/__init__.py",
    "app/api/v1/users/profile.py",
    "app/api/v1/users/management.py",
    "app/api/v1/users/statistics.py",
    "app/api/v1/users/export.py",
    "app/api/v1/auth.py",
    "app/api/v1/items.py",
    "app/api/v1/admin.py",
    "app/api/health.py",
    "app/api/deps.py",
    "app/core/config.py",
    "app/core/exceptions.py",
    "app/middleware/rate_limiter.py",
    "app/middleware/csrf_protection.py",
    "app/middleware/security_headers.py",
    "app/middleware/error_handler.py",
    "app/services/base_service.py",
    "app/services/user_service.py",
    "app/services/item_service.py",
    "app/services/admin_service.py",
    "app/repositories/base_repository.py",
    "app/repositories/user_repository.py",
    "app/models/user.py",
    "app/models/item.py",
    "app/schemas/user.py",
    "app/schemas/item.py",
    "app/main.py",
    "alembic/env.py",
    "alembic.ini",
    "tests/conftest.py",
    "pyproject.toml",
    "README.md",
]


def answers_of(project: Path) -> dict[str, object]:
    return yaml.safe_load((project / ".copier-answers.yml").read_text())


def test_default_project_has_every_path_of_the_design(tmp_path: Path) -> None:
    run = fastgen("new", "Shop", "--defaults", "--no-git", "--output-dir", str(tmp_path))

    assert run.exit_code == 0, run.stderr
    project = tmp_path / "shop"
    missing = [path for path in DESIGN_TREE if not (project / path).is_file()]
    assert missing == []
    assert list((project / "alembic" / "versions").glob("*.py")), "no initial migration"


def test_answers_file_records_answers_and_template_version(tmp_path: Path) -> None:
    fastgen("new", "Shop", "--defaults", "--no-git", "-o", str(tmp_path))

    answers = answers_of(tmp_path / "shop")
    copier_yml = yaml.safe_load((REPO / "copier.yml").read_text())
    assert answers["_template_version"] == copier_yml["template_version"]["default"]
    assert answers["project_name"] == "Shop"
    assert answers["project_slug"] == "shop"
    assert answers["database"] == "sqlite"
    assert answers["redis"] is False


def test_template_version_is_the_package_version() -> None:
    import fastgen

    copier_yml = yaml.safe_load((REPO / "copier.yml").read_text())
    assert copier_yml["template_version"]["default"] == fastgen.__version__


def test_slug_names_the_folder(tmp_path: Path) -> None:
    run = fastgen("new", "My Big_Shop", "--defaults", "--no-git", "-o", str(tmp_path))

    assert run.exit_code == 0, run.stderr
    assert [p.name for p in tmp_path.iterdir()] == ["my-big-shop"]
    pyproject = tomllib.loads((tmp_path / "my-big-shop" / "pyproject.toml").read_text())
    assert pyproject["project"]["name"] == "my-big-shop"


def test_dry_run_writes_nothing_and_lists_the_files(tmp_path: Path) -> None:
    (tmp_path / "keep.txt").write_text("mine")
    before = everything_under(tmp_path)

    run = fastgen("new", "Shop", "--defaults", "--dry-run", "-o", str(tmp_path))

    assert run.exit_code == 0, run.stderr
    assert everything_under(tmp_path) == before
    assert "main.py" in run.stdout and "pyproject.toml" in run.stdout
    assert "Would write" in run.stdout


def test_dry_run_into_a_missing_output_dir_creates_nothing(tmp_path: Path) -> None:
    run = fastgen("new", "Shop", "--defaults", "--dry-run", "-o", str(tmp_path / "new" / "dir"))

    assert run.exit_code == 0, run.stderr
    assert everything_under(tmp_path) == []


def test_same_answers_give_byte_identical_files_but_the_secret(tmp_path: Path) -> None:
    for out in ("a", "b"):
        run = fastgen("new", "Shop", "--defaults", "--no-git", "-o", str(tmp_path / out))
        assert run.exit_code == 0, run.stderr

    first, second = tmp_path / "a" / "shop", tmp_path / "b" / "shop"
    assert tree_bytes(first, skip=(".env",)) == tree_bytes(second, skip=(".env",))
    assert (first / ".env").read_bytes() != (second / ".env").read_bytes()


def test_env_holds_a_fresh_secret_that_git_ignores(tmp_path: Path) -> None:
    fastgen("new", "Shop", "--defaults", "-o", str(tmp_path))
    project = tmp_path / "shop"

    env = dict(
        line.split("=", 1) for line in (project / ".env").read_text().splitlines() if "=" in line
    )
    assert len(env["SECRET_KEY"]) >= 43  # 32 random bytes or more, url-safe base64
    example = (project / ".env.example").read_text()
    assert env["SECRET_KEY"] not in example
    tracked = subprocess.run(
        ["git", "ls-files"], cwd=project, capture_output=True, text=True, check=True
    ).stdout.split()
    assert ".env" not in tracked and ".env.example" in tracked


def test_project_is_a_git_repository_with_one_commit_and_a_clean_tree(tmp_path: Path) -> None:
    fastgen("new", "Shop", "--defaults", "-o", str(tmp_path))
    project = tmp_path / "shop"

    def git(*args: str) -> str:
        return subprocess.run(
            ["git", *args], cwd=project, capture_output=True, text=True, check=True
        ).stdout

    assert git("rev-list", "--count", "HEAD").strip() == "1"
    assert git("status", "--porcelain") == ""


def test_project_folder_has_ordinary_permissions(tmp_path: Path) -> None:
    fastgen("new", "Shop", "--defaults", "--no-git", "-o", str(tmp_path))

    umask = os.umask(0)
    os.umask(umask)
    # Not the 0700 of the private staging folder it was rendered in.
    assert (tmp_path / "shop").stat().st_mode & 0o777 == 0o777 & ~umask


def test_a_failing_git_is_one_line_and_exit_1_leaving_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    hooks = tmp_path / "gitconfig"
    hooks.write_text("[commit]\n\tgpgsign = true\n[gpg]\n\tprogram = /bin/false\n")
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(hooks))
    out = tmp_path / "out"

    run = fastgen("new", "Shop", "--defaults", "-o", str(out))

    assert run.exit_code == 1
    assert run.stderr.startswith("error: git commit failed") and "--no-git" in run.stderr
    assert len(run.stderr.strip().splitlines()) == 1
    assert everything_under(out) == []


def test_next_commands_quote_the_path_and_ignore_the_description(tmp_path: Path) -> None:
    run = fastgen(
        "new", "Shop", "--defaults", "--no-git", "-o", str(tmp_path / "with space"),
        "--data", "description=```",
    )  # fmt: skip

    assert run.exit_code == 0, run.stderr
    assert f"cd '{tmp_path / 'with space' / 'shop'}'" in run.stdout
    assert "make migrate" in run.stdout


def test_no_git_makes_no_repository(tmp_path: Path) -> None:
    fastgen("new", "Shop", "--defaults", "--no-git", "-o", str(tmp_path))

    assert not (tmp_path / "shop" / ".git").exists()


def test_spec_and_data_answers_land_in_the_project(tmp_path: Path) -> None:
    spec = tmp_path / "spec.yaml"
    spec.write_text(
        "description: Orders and invoices\n"
        "author: Ada Lovelace <ada@example.com>\n"
        "database: postgresql\n"
        "python_version: '3.13'\n"
        "docker: false\n"
    )

    run = fastgen(
        "new", "Shop", "--spec", str(spec), "--data", "docker=true", "--data", "ci=none",
        "--no-git", "-o", str(tmp_path / "out"),
    )  # fmt: skip

    assert run.exit_code == 0, run.stderr
    project = tmp_path / "out" / "shop"
    answers = answers_of(project)
    assert answers["description"] == "Orders and invoices"
    assert answers["database"] == "postgresql"
    assert answers["python_version"] == "3.13"
    assert answers["docker"] is True  # --data beats the spec
    assert answers["ci"] == "none"
    pyproject = tomllib.loads((project / "pyproject.toml").read_text())
    assert pyproject["project"]["description"] == "Orders and invoices"
    assert pyproject["project"]["requires-python"].endswith("3.13")
    assert any("asyncpg" in dep for dep in pyproject["project"]["dependencies"])
    assert (project / "Dockerfile").is_file()
    assert not (project / ".github").exists()


def test_force_replaces_template_files_and_keeps_the_rest(tmp_path: Path) -> None:
    project = tmp_path / "shop"
    project.mkdir()
    (project / "notes.txt").write_text("my notes")
    (project / "README.md").write_text("old readme")
    (project / ".env").write_text("SECRET_KEY=keep-me\n")

    run = fastgen("new", "Shop", "--defaults", "--force", "-o", str(tmp_path))

    assert run.exit_code == 0, run.stderr
    assert (project / "notes.txt").read_text() == "my notes"
    assert (project / "README.md").read_text() != "old readme"
    assert (project / ".env").read_text() == "SECRET_KEY=keep-me\n"
    assert (project / "app" / "main.py").is_file()
    assert not (project / ".git").exists(), "never commits files fastgen did not make"
    assert [p.name for p in tmp_path.iterdir()] == ["shop"], "staging folder left behind"


def test_quiet_prints_nothing(tmp_path: Path) -> None:
    run = fastgen("new", "Shop", "--defaults", "--no-git", "--quiet", "-o", str(tmp_path))

    assert run.exit_code == 0
    assert run.stdout == "" and run.stderr == ""
    assert (tmp_path / "shop" / "app" / "main.py").is_file()


def test_report_names_the_variant_and_the_next_commands(tmp_path: Path) -> None:
    run = fastgen("new", "Shop", "--defaults", "--no-git", "-o", str(tmp_path))

    assert "sqlite" in run.stdout
    # The README's Quick start and Checks, whose make targets are pinned to the
    # commands CI runs by tests/variants/test_makefile.py.
    for command in (
        "make install",
        "make migrate",
        "make run",
        "uv run pre-commit run --all-files",
        "make test",
    ):
        assert command in run.stdout
    written = int(run.stdout.split("Wrote ")[1].split(" files")[0])
    assert written == len([p for p in (tmp_path / "shop").rglob("*") if p.is_file()])


def test_interrupt_while_rendering_leaves_no_half_made_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from fastgen import new as new_command

    real_render = new_command.render

    def render_then_interrupt(*args: object) -> None:
        real_render(*args)  # the staging folder is full when Ctrl-C arrives
        raise KeyboardInterrupt

    monkeypatch.setattr(new_command, "render", render_then_interrupt)

    run = fastgen("new", "Shop", "--defaults", "-o", str(tmp_path))

    assert run.exit_code == 130
    assert "nothing was written" in run.stderr
    assert everything_under(tmp_path) == []


def test_the_tree_of_files_is_listed_only_with_verbose(tmp_path: Path) -> None:
    plain = fastgen("new", "Shop", "--defaults", "--no-git", "-o", str(tmp_path / "a"))
    verbose = fastgen(
        "new", "Shop", "--defaults", "--no-git", "--verbose", "-o", str(tmp_path / "b")
    )

    assert plain.exit_code == verbose.exit_code == 0
    assert "Wrote " in plain.stdout and "Wrote " in verbose.stdout
    assert "main.py" not in plain.stdout and "health.py" not in plain.stdout
    assert "main.py" in verbose.stdout and "health.py" in verbose.stdout


def test_the_example_spec_makes_its_project(tmp_path: Path) -> None:
    run = fastgen(
        "new", "--spec", str(REPO / "examples" / "shop.yaml"), "--dry-run", "-o", str(tmp_path)
    )

    assert run.exit_code == 0, run.stderr
    assert "Would write" in run.stdout and str(tmp_path / "shop") in run.stdout


def test_a_spec_that_names_its_project_needs_no_name(tmp_path: Path) -> None:
    spec = tmp_path / "shop.yaml"
    spec.write_text("project_name: Corner Shop\nredis: true\n")

    alone = fastgen("new", "--spec", str(spec), "--no-git", "-o", str(tmp_path / "a"))
    agreeing = fastgen(
        "new", "Corner Shop", "--spec", str(spec), "--no-git", "-o", str(tmp_path / "b")
    )

    assert alone.exit_code == 0, alone.stderr
    assert agreeing.exit_code == 0, agreeing.stderr
    for out in ("a", "b"):
        answers = answers_of(tmp_path / out / "corner-shop")
        assert answers["project_name"] == "Corner Shop" and answers["redis"] is True


@pytest.mark.parametrize(("running", "expected"), [("3.13", "3.13"), ("3.14", "3.12")])
def test_default_python_is_the_running_one_when_the_template_offers_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, running: str, expected: str
) -> None:
    from fastgen import pythons

    monkeypatch.setattr(pythons, "running_version", lambda: running)

    run = fastgen("new", "Shop", "--defaults", "--no-git", "-o", str(tmp_path))

    assert run.exit_code == 0, run.stderr
    assert answers_of(tmp_path / "shop")["python_version"] == expected
    assert (tmp_path / "shop" / ".python-version").read_text() == f"{expected}\n"  # uv's


def test_a_machine_without_uv_is_told_that_make_install_needs_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    no_uv = [d for d in os.environ["PATH"].split(os.pathsep) if not (Path(d) / "uv").exists()]

    def new_with_path(name: str, path: list[str]) -> Any:
        monkeypatch.setenv("PATH", os.pathsep.join(path))
        return fastgen("new", "Shop", "--defaults", "--no-git", "-o", str(tmp_path / name))

    with_uv = new_with_path("with", [str(Path(UV).parent), *no_uv])
    without = new_with_path("without", no_uv)

    assert without.exit_code == with_uv.exit_code == 0
    note = "note: `make install` needs uv, which is not on PATH here: pipx install uv"
    assert note in without.stdout
    assert "note:" not in with_uv.stdout


def readme_fastgen_commands(readme: str) -> list[str]:
    """The `fastgen ...` lines of the README's shell blocks, comments dropped."""
    import re

    blocks = re.findall(r"^```bash\n(.*?)^```", readme, re.M | re.S)
    lines = [
        re.split(r"\s+#", line, maxsplit=1)[0].strip() for b in blocks for line in b.split("\n")
    ]
    return [line for line in lines if line.startswith("fastgen ")]


def test_the_readme_tells_how_to_grow_and_update_and_its_commands_run_in_order(
    tmp_path: Path,
) -> None:
    """The generated README shows add resource, every evolution command, apply, update
    and check; run as written, one after the other (each change committed), each works."""
    from update_support import commit_all, git_status

    assert fastgen("new", "Shop", "--defaults", "-q", "-o", str(tmp_path)).exit_code == 0
    project = tmp_path / "shop"
    commands = readme_fastgen_commands((project / "README.md").read_text())
    shown = (
        "add resource", "add field", "rename field", "change field", "remove field",
        "remove resource", "resources", "apply", "update", "check",
    )  # fmt: skip
    assert [verb for verb in shown if not any(c.startswith(f"fastgen {verb} ") or
            c == f"fastgen {verb}" for c in commands)] == []  # fmt: skip

    for command in commands:
        args, _, target = command.removeprefix("fastgen ").partition(" > ")
        run = fastgen(*args.split(), "-p", str(project))
        assert run.exit_code == 0, (command, run.stdout, run.stderr)
        if target:
            (project / target).write_text(run.stdout)
        if git_status(project):
            commit_all(project, command)
