"""Two template versions, A and B, built from this checkout, for update and check tests.

B is the checkout as it is (this fastgen's version, so `fastgen update` goes to
it by default). A is B with three differences, so that going from A to B:
changes a line of `.gitignore` (a file the user edits elsewhere), changes the
first line of `alembic.ini` (the line the user edits in the conflict case) and
adds `app/core/logging.py`.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import yaml

import fastgen
from conftest import REPO
from fastgen import gitrepo, template

VERSION_A = "0.0.1"
VERSION_B = fastgen.__version__
PROJECT = Path("templates/project")
GITIGNORE_B = "# Secrets and local databases"
GITIGNORE_A = "# Secrets and local files"
ADDED = "app/core/logging.py"
USER_IDENTITY = {
    "GIT_AUTHOR_NAME": "user",
    "GIT_AUTHOR_EMAIL": "user@example.com",
    "GIT_COMMITTER_NAME": "user",
    "GIT_COMMITTER_EMAIL": "user@example.com",
}


def replace_line(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text.splitlines(), f"{path}: no line {old!r}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def first_line(path: Path) -> str:
    return path.read_text(encoding="utf-8").splitlines()[0]


def build_history(work: Path) -> None:
    """Tag A and B in the template repository of the current FASTGEN_CACHE_DIR."""
    a = work / "template-a"
    for rel in template.TEMPLATE_PATHS:
        source = REPO / rel
        if source.is_dir():
            shutil.copytree(source, a / rel, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            a.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, a / rel)
    config = yaml.safe_load((a / "copier.yml").read_text())
    assert config["template_version"]["default"] == VERSION_B
    replace_line(a / "copier.yml", f'  default: "{VERSION_B}"', f'  default: "{VERSION_A}"')
    replace_line(a / PROJECT / ".gitignore", GITIGNORE_B, GITIGNORE_A)
    alembic_ini = a / PROJECT / "alembic.ini"
    replace_line(alembic_ini, first_line(alembic_ini), "# Alembic settings (version A)")
    (a / PROJECT / ADDED).unlink()
    repo = template.repository()
    template.ensure()
    template.add_versions(repo, [(VERSION_A, a)])


def project_at(version: str, parent: Path, **answers: Any) -> Path:
    """A project rendered at a template version, committed as `fastgen new` does."""
    from copier import run_copy

    project = parent / "shop"
    run_copy(
        template.ensure(),
        project,
        data={"project_name": "shop", **answers},
        vcs_ref=version,
        defaults=True,
        overwrite=True,
        quiet=True,
    )
    gitrepo.init_with_commit(project)
    return project


def commit_all(project: Path, message: str) -> None:
    env = {**os.environ, **USER_IDENTITY}
    for args in (["add", "--all"], ["commit", "--quiet", "-m", message]):
        subprocess.run(["git", *args], cwd=project, env=env, check=True, capture_output=True)


def git_status(project: Path) -> dict[str, str]:
    """path -> `git status --porcelain` code."""
    return {path: code for code, path in gitrepo.changes(project)}
