"""A template changed under the same development version (fastgen's own development).

A source checkout tags its working tree with its version, and while the version
is in development (`X.Y.Z.devN`) the tag follows every edit of the template
(template.py). A project made before such an edit records the same version as
the template now has, so `update` finds no version to go to and `check` would
blame the project for the template's change. The tag's earlier commits are
still in the cache repository: when a file of the project is exactly what an
earlier state of the version rendered, and not what it renders now, the
template changed, not the file, and `check` and `update` say so.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from fastgen import __version__, template
from fastgen.commands.project import ANSWERS_FILE, Project
from fastgen.questions import Questionnaire
from fastgen.render import project_files, render


def in_development(version: str) -> bool:
    from packaging.version import Version

    return version == __version__ and Version(version).is_devrelease


def render_at(project: Project, ref: str, target: Path) -> None:
    """The project's template at ref (a version or a commit), with its recorded answers."""
    questions = Questionnaire.from_file(template.tree(project.template_version) / "copier.yml")
    answers = {k: v for k, v in project.answers.items() if k in questions.questions}
    render(template.ensure(), ref, questions, answers, target)


def changed_since_made(project: Project, current: Path | None = None) -> list[str]:
    """The template's files that changed under the project's development version after
    the project was made: the project holds them as an earlier state of the version
    rendered them (added since, when it lacks them), not as `current` (the version's
    render now; rendered here when not given). Empty for any other version."""
    version = project.template_version
    earlier = template.earlier_states(version) if in_development(version) else []
    if not earlier:
        return []
    with tempfile.TemporaryDirectory(prefix="fastgen-dev-") as scratch:
        if current is None:
            current = Path(scratch) / "current"
            render_at(project, version, current)
        differing = [
            rel
            for rel in project_files(current)
            if rel != ANSWERS_FILE and _content(project.root / rel) != _content(current / rel)
        ]
        seen = {template.project_template_id(version)}
        for at, commit in enumerate(earlier):
            if not differing:
                break
            if (made := template.project_template_id(commit)) in seen:
                continue  # an edit elsewhere (the resource template): the same render
            seen.add(made)
            then = Path(scratch) / f"state-{at}"
            render_at(project, commit, then)
            if found := [r for r in differing if _content(project.root / r) == _content(then / r)]:
                return found
    return []


def _content(path: Path) -> bytes | None:
    return path.read_bytes() if path.is_file() and not path.is_symlink() else None
