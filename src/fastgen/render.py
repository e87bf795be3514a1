"""Rendering into a staging folder with copier, and moving the result into place."""

from __future__ import annotations

import os
import secrets
import shutil
from pathlib import Path
from typing import TYPE_CHECKING

from fastgen.errors import UnsafeTarget
from fastgen.questions import Answers, Questionnaire

if TYPE_CHECKING:
    import jinja2


def render(
    source: str, version: str, questions: Questionnaire, answers: Answers, staging: Path
) -> None:
    """Render one version of the template repository (see fastgen.template) with
    complete, validated answers into an empty staging folder."""
    from copier import run_copy  # costs ~0.45 s to import: only commands that render pay it

    data = {k: v for k, v in answers.items() if not questions.questions[k].hidden}
    run_copy(
        source,
        staging,
        vcs_ref=version,
        data=data,
        defaults=True,
        overwrite=True,
        quiet=True,
        cleanup_on_error=False,
    )


def template_environment(template_root: Path) -> jinja2.Environment:
    """Jinja for the template's own files outside copier (revisions, macros, the
    pyproject.toml the tested locks are made from), with the settings of its
    copier.yml and the filters copier offers, so the same Jinja reads the same."""
    from jinja2 import Environment, FileSystemLoader, StrictUndefined

    return Environment(
        loader=FileSystemLoader(template_root),
        extensions=["jinja2_ansible_filters.AnsibleCoreFiltersExtension"],
        undefined=StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        autoescape=False,
    )


def render_recorded(version: str, answers: Answers, staging: Path) -> None:
    """Render a version of fastgen's template history with a project's recorded
    answers (those that version's copier.yml asks) into an empty staging folder."""
    from fastgen import template

    questions = Questionnaire.from_file(template.tree(version) / "copier.yml")
    asked = {k: v for k, v in answers.items() if k in questions.questions}
    render(template.ensure(), version, questions, asked, staging)


def write_env(project: Path) -> None:
    """Give the project its own signing secret in `.env` (ignored by git).

    `.env.example` is the tracked list of settings; `.env` starts as a copy of it
    with a fresh SECRET_KEY, so no two projects share a secret.
    """
    example = project / ".env.example"
    lines = example.read_text(encoding="utf-8").splitlines() if example.is_file() else []
    secret = f"SECRET_KEY={secrets.token_urlsafe(48)}"
    lines = [secret if line.startswith("SECRET_KEY=") else line for line in lines]
    if secret not in lines:
        lines.append(secret)
    env = project / ".env"
    env.write_text("\n".join(lines) + "\n", encoding="utf-8")
    env.chmod(0o600)


def project_files(root: Path) -> list[str]:
    """The files under root, as sorted POSIX paths, leaving out git's own folder."""
    return sorted(
        p.relative_to(root).as_posix()
        for p in root.rglob("*")
        if p.is_file() and ".git" not in p.relative_to(root).parts
    )


def place(staging: Path, target: Path) -> None:
    """Move a finished render to its target.

    A missing or empty target is replaced in one rename. A non-empty target (only
    reached with --force) gets each rendered file replaced in turn; files the
    template does not make are never touched, and an existing `.env` keeps its secrets.
    Raises UnsafeTarget, having moved nothing, where a file of the target stands
    where the template needs a folder, or the other way round.
    """
    umask = os.umask(0)
    os.umask(umask)
    staging.chmod(0o777 & ~umask)  # mkdtemp made it private; the project is not
    if not target.exists() or not any(target.iterdir()):
        if target.exists():
            target.rmdir()
        staging.rename(target)
        return
    rendered = project_files(staging)
    for rel in rendered:
        if problem := _clash(target, rel):
            raise UnsafeTarget(problem)
    for rel in rendered:
        dest = target / rel
        if rel == ".env" and dest.exists():
            continue
        dest.parent.mkdir(parents=True, exist_ok=True)
        os.replace(staging / rel, dest)
    shutil.rmtree(staging)


def _clash(target: Path, rel: str) -> str | None:
    """Why the rendered file `rel` cannot replace what stands at its place in target."""
    dest = target / rel
    if dest.is_dir():
        return f"{dest}: a folder stands where the template puts a file"
    for folder in dest.parents:
        if folder == target:
            break
        if folder.exists() and not folder.is_dir():
            return f"{folder}: a file stands where the template puts a folder"
    return None
