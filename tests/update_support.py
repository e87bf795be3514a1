"""Two template versions, A and B, built from this checkout, for update and check tests.

B is the checkout as it is (this fastgen's version, so `fastgen update` goes to
it by default). A is B with a few differences, so that going from A to B:
changes a line of `.gitignore` (a file the user edits elsewhere), changes the
first line of `alembic.ini` (the line the user edits in the conflict case),
adds `app/core/logging.py`, and drops a comment from every added resource's model.
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
from fastgen import gitrepo, locks, template
from fastgen.commands.add_resource import add_from_spec
from fastgen.spec import EXAMPLE_ITEMS

VERSION_A = "0.0.1"
VERSION_B = fastgen.__version__
PROJECT = Path("templates/project")
GITIGNORE_B = "# Secrets and local databases"
GITIGNORE_A = "# Secrets and local files"
ADDED = "app/core/logging.py"
ADDED_TEMPLATE = "app/core/logging.py.jinja"  # the file B renders it from
# A's resource models carry a comment on their table name that B drops.
# What an update from A to B changes in a default project the user did not edit
# there (the CI workflow, the Makefile and the README name the fastgen version
# that runs on the project).
B_CHANGES = {
    ".copier-answers.yml",
    ".github/workflows/ci.yml",
    ".gitignore",
    "Makefile",
    "README.md",
    "alembic.ini",
    ADDED,
}
# ... and in its items, a resource `fastgen update` re-renders (copier's own update
# leaves resources alone): the model loses A's mark, the record names B.
ITEMS_B_CHANGES = {".fastgen/resources/items.yml", "app/models/item.py"}
RESOURCE_MODEL = Path("templates/resource/files/app/models/{{ module }}.py.jinja")
TABLENAME_B = '    __tablename__ = "{{ plural }}"'
RESOURCE_MARK_A = "  # version A"
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


def copy_template(root: Path) -> None:
    """This checkout's copier.yml and templates/ into root."""
    root.mkdir(parents=True, exist_ok=True)
    for rel in template.TEMPLATE_PATHS:
        source = REPO / rel
        if source.is_dir():
            shutil.copytree(source, root / rel, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(source, root / rel)


def make_version_a(root: Path) -> None:
    """Turn a copy of B (copier.yml and templates/ under root) into A."""
    config = yaml.safe_load((root / "copier.yml").read_text())
    assert config["template_version"]["default"] == VERSION_B
    replace_line(root / "copier.yml", f'  default: "{VERSION_B}"', f'  default: "{VERSION_A}"')
    replace_line(root / PROJECT / ".gitignore", GITIGNORE_B, GITIGNORE_A)
    alembic_ini = root / PROJECT / "alembic.ini"
    replace_line(alembic_ini, first_line(alembic_ini), "# Alembic settings (version A)")
    (root / PROJECT / ADDED_TEMPLATE).unlink()
    model = root / RESOURCE_MODEL
    replace_line(model, TABLENAME_B, TABLENAME_B + RESOURCE_MARK_A)


def build_history(work: Path) -> None:
    """Tag A and B in the template repository of the current FASTGEN_CACHE_DIR."""
    a = work / "template-a"
    copy_template(a)
    make_version_a(a)
    template.ensure()
    template.add_versions(template.repository(), [(VERSION_A, a)])


def project_at(version: str, parent: Path, **answers: Any) -> Path:
    """A project rendered at a template version, with items added after copier's
    render and committed, as `fastgen new` does."""
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
    recorded = yaml.safe_load((project / ".copier-answers.yml").read_text())
    if recorded["example_items"]:
        add_from_spec(project, [EXAMPLE_ITEMS])
    tree = template.tree(version)
    if locks.lock_path(tree, recorded["python_version"]).is_file():  # 0.1.0 made no lock
        locks.write_tested(project, tree, recorded["python_version"])
    gitrepo.init_with_commit(project)
    return project


def commit_all(project: Path, message: str) -> None:
    env = {**os.environ, **USER_IDENTITY}
    for args in (["add", "--all"], ["commit", "--quiet", "-m", message]):
        subprocess.run(["git", *args], cwd=project, env=env, check=True, capture_output=True)


def git_status(project: Path) -> dict[str, str]:
    """path -> `git status --porcelain` code."""
    return {path: code for code, path in gitrepo.changes(project)}
