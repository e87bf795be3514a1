"""uv.lock: a new project's is cut from fastgen's tested lock, and an update leaves
a lock that matches pyproject.toml (see fastgen.locks)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from conftest import REPO, fastgen
from fastgen import locks
from fastgen.errors import WorkFailed
from fastgen.questions import Questionnaire
from variants.support import UV, require_python

PYTHON = "{}.{}".format(*sys.version_info[:2])
CHOICES = Questionnaire.from_file(REPO / "copier.yml").questions["python_version"].choices


def uv(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    command = [UV, *args, "--quiet", "--python", sys.executable, "--no-python-downloads"]
    return subprocess.run(command, cwd=project, capture_output=True, text=True, check=False)


def packages(lock: str) -> dict[str, str]:
    return {p["name"]: p["version"] for p in tomllib.loads(lock)["package"]}


@pytest.fixture
def project(tmp_path: Path) -> Path:
    assert (
        fastgen("new", "Shop", "--defaults", "--no-git", "-q", "-o", str(tmp_path)).exit_code == 0
    )
    return tmp_path / "shop"


@pytest.mark.parametrize("python_version", CHOICES)
def test_each_tested_lock_is_current_for_the_templates_requirements(
    python_version: str, tmp_path: Path
) -> None:
    """A template change to the dependencies needs `python -m fastgen.locks`: this fails
    until it is run (CI then tests the new versions with every variant)."""
    (tmp_path / "pyproject.toml").write_text(locks.tested_set(REPO, python_version))
    shutil.copyfile(locks.lock_path(REPO, python_version), tmp_path / locks.LOCK)

    python = require_python(python_version)
    command = [UV, "lock", "--locked", "--offline", "--quiet", "--python", str(python)]
    run = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, check=False)

    assert run.returncode == 0, run.stderr


def test_a_new_project_locks_only_what_it_needs_at_the_tested_versions(project: Path) -> None:
    lock = (project / locks.LOCK).read_text()
    tested = packages(locks.lock_path(REPO, PYTHON).read_text())
    mine = packages(lock)

    assert mine["shop"] == "0.1.0"
    assert {name: tested[name] for name in mine if name != "shop"} == {
        name: version for name, version in mine.items() if name != "shop"
    }
    # PostgreSQL's and Redis's drivers are in the tested lock, not in a SQLite project's.
    assert {"asyncpg", "redis"} <= set(tested)
    assert not {"asyncpg", "redis"} & set(mine)
    assert uv(project, "lock", "--locked", "--offline").returncode == 0


@pytest.mark.parametrize(
    "requirement", ["stripe>=10", "fastapi>=999"], ids=["unknown package", "unknown version"]
)
def test_no_tested_lock_for_a_requirement_outside_it(project: Path, requirement: str) -> None:
    pyproject = project / "pyproject.toml"
    pyproject.write_text(
        pyproject.read_text().replace(
            "dependencies = [\n", f'dependencies = [\n    "{requirement}",\n', 1
        )
    )

    assert locks.tested_lock(project, REPO, PYTHON) is None


def test_update_keeps_a_lock_that_still_matches(project: Path) -> None:
    before = (project / locks.LOCK).read_bytes()

    said = locks.after_update(project, REPO, PYTHON)

    assert said == "uv.lock: kept (it matches pyproject.toml)"
    assert (project / locks.LOCK).read_bytes() == before


def test_update_gives_a_project_without_a_lock_the_tested_one(project: Path) -> None:
    made = (project / locks.LOCK).read_text()
    (project / locks.LOCK).unlink()

    said = locks.after_update(project, REPO, PYTHON)

    assert said == "uv.lock: written from the versions fastgen's CI tested"
    assert (project / locks.LOCK).read_text() == made


def test_update_relocks_a_lock_that_no_longer_matches_keeping_its_pins(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The template moved a dev tool into the app's dependencies: uv lock re-locks, and
    every version the team had stays as it was."""
    monkeypatch.setenv("PATH", f"{Path(UV).parent}{os.pathsep}{os.environ['PATH']}")
    before = packages((project / locks.LOCK).read_text())
    pyproject = project / "pyproject.toml"
    text = pyproject.read_text()
    pyproject.write_text(
        text.replace('    "uvicorn>=0.32",\n', '    "uvicorn>=0.32",\n    "httpx>=0.27",\n', 1)
    )
    assert uv(project, "lock", "--locked", "--offline").returncode != 0  # stale now

    said = locks.after_update(project, REPO, PYTHON)

    assert (
        said
        == "uv.lock: re-locked with `uv lock` (your pins kept where pyproject.toml allows them)"
    )
    assert uv(project, "lock", "--locked", "--offline").returncode == 0
    assert packages((project / locks.LOCK).read_text()) == before


def test_update_keeps_a_current_lock_whose_root_uv_spells_otherwise(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """uv writes a requirement's marker in its own words: not a change to re-lock for."""
    monkeypatch.setenv("PATH", f"{Path(UV).parent}{os.pathsep}{os.environ['PATH']}")
    pyproject = project / "pyproject.toml"
    marked = "    \"httpx>=0.27; python_version >= '3.11'\",\n"
    pyproject.write_text(
        pyproject.read_text().replace(
            '    "uvicorn>=0.32",\n', '    "uvicorn>=0.32",\n' + marked, 1
        )
    )
    assert uv(project, "lock").returncode == 0  # the team's lock, made by uv
    before = (project / locks.LOCK).read_bytes()

    said = locks.after_update(project, REPO, PYTHON)

    assert said == "uv.lock: kept (`uv lock` found it matches pyproject.toml)"
    assert (project / locks.LOCK).read_bytes() == before


def test_update_relocks_with_the_uv_fastgen_brings_when_none_is_on_path(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """pipx puts fastgen's command on PATH but not the uv it depends on."""
    pyproject = project / "pyproject.toml"
    pyproject.write_text(
        pyproject.read_text().replace('    "uvicorn>=0.32",\n', '    "uvicorn>=0.33",\n')
    )
    monkeypatch.setenv("PATH", "")
    monkeypatch.delenv("UV", raising=False)
    monkeypatch.setenv("UV_PYTHON", sys.executable)
    monkeypatch.setenv("UV_LOCKED", "1")  # as a CI may export it: not for fastgen's uv lock

    said = locks.after_update(project, REPO, PYTHON)

    assert (
        said
        == "uv.lock: re-locked with `uv lock` (your pins kept where pyproject.toml allows them)"
    )
    assert uv(project, "lock", "--locked", "--offline").returncode == 0


def test_update_whose_lock_cannot_be_made_to_match_fails_and_keeps_it(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Nothing of an update is placed when it raises (staging), so the project keeps
    its lock and its pyproject.toml together."""
    pyproject = project / "pyproject.toml"
    pyproject.write_text(
        pyproject.read_text().replace(
            '    "uvicorn>=0.32",\n', '    "uvicorn>=0.32",\n    "fastgen-no-such-package>=1",\n'
        )
    )
    before = (project / locks.LOCK).read_bytes()
    monkeypatch.setenv("UV_PYTHON", sys.executable)
    monkeypatch.setenv("UV_OFFLINE", "1")

    with pytest.raises(WorkFailed) as failed:
        locks.after_update(project, REPO, PYTHON)

    assert failed.value.message.startswith(
        "uv.lock no longer matches pyproject.toml and `uv lock` failed ("
    )
    assert failed.value.message.endswith(
        "nothing was changed: run the update again once uv can lock"
    )
    assert "Because fastgen-no-such-package was not found" in failed.value.message
    assert (project / locks.LOCK).read_bytes() == before


def test_update_relocks_for_a_new_python_with_the_uv_that_runs_fastgen(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`--data python_version=...` changes only requires-python: the lock's own entry
    still matches, its Python range does not. uvx puts no uv on PATH; $UV names it."""
    other = next(choice for choice in CHOICES if choice != PYTHON)
    pyproject = project / "pyproject.toml"
    pyproject.write_text(
        pyproject.read_text().replace(
            f'requires-python = ">={PYTHON}"', f'requires-python = ">={other}"', 1
        )
    )
    (project / ".python-version").write_text(f"{other}\n")
    monkeypatch.setenv("PATH", "")
    monkeypatch.setenv("UV", UV)
    monkeypatch.setenv("UV_PYTHON", str(require_python(other)))
    monkeypatch.setenv("UV_PYTHON_DOWNLOADS", "never")

    said = locks.after_update(project, REPO, other)

    assert (
        said
        == "uv.lock: re-locked with `uv lock` (your pins kept where pyproject.toml allows them)"
    )
    lock = (project / locks.LOCK).read_text()
    assert f'requires-python = ">={other}"' in lock.splitlines()


def test_update_of_a_pyproject_left_in_conflict_says_so(project: Path) -> None:
    pyproject = project / "pyproject.toml"
    pyproject.write_text("<<<<<<< before\n" + pyproject.read_text())

    said = locks.after_update(project, REPO, PYTHON)

    assert (
        said == "uv.lock: pyproject.toml does not parse (a conflict?); fix it, then run `uv lock`"
    )
