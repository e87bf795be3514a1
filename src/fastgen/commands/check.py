"""`fastgen check`: find the project -> compare versions -> re-render the recorded
version with the recorded answers -> compare the template-owned files -> report.

Writes nothing. Exit codes (CheckResult.exit_code): 0 up to date; 3 behind (the
project's template version is older than this fastgen's, or, at this fastgen's
development version, its template changed after the project was made); 4 drifted (a
template-owned file differs from what its version renders); 5 both; 2 input
refused (not a project, or made by a newer fastgen).
"""

from __future__ import annotations

import contextlib
import fnmatch
import tempfile
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path

from fastgen import __version__, template
from fastgen.commands.dev_template import changed_since_made
from fastgen.commands.project import find_project
from fastgen.questions import Questionnaire
from fastgen.render import project_files, render

Status = Callable[[str], AbstractContextManager[object]]

# Files the template keeps and the user is not expected to edit: the plumbing
# that `fastgen update` maintains (CI, container, middleware, password and
# token handling). An edit there is worth a look in review, since the next
# update will have to merge around it. Everything else is the user's.
TEMPLATE_OWNED = (
    ".github/workflows/ci.yml",
    "Dockerfile",
    "compose.yaml",
    ".dockerignore",
    "app/middleware/*.py",
    "app/core/security.py",
)

UP_TO_DATE, BEHIND, DRIFTED, BEHIND_AND_DRIFTED = 0, 3, 4, 5


@dataclass(frozen=True)
class CheckResult:
    project: Path
    recorded: str
    installed: str
    behind: bool
    drifted: list[str]
    # Template-owned files the template changed under the project's development
    # version after the project was made (dev_template.py): behind, not drifted.
    changed_within: list[str] = field(default_factory=list)

    @property
    def exit_code(self) -> int:
        behind = self.behind or bool(self.changed_within)
        if behind and self.drifted:
            return BEHIND_AND_DRIFTED
        if self.drifted:
            return DRIFTED
        return BEHIND if behind else UP_TO_DATE


def check_project(
    project_dir: Path | None = None,
    *,
    status: Status = lambda _message: contextlib.nullcontext(),
) -> CheckResult:
    from packaging.version import Version

    project = find_project(project_dir)
    source = template.ensure()
    recorded = project.template_version  # find_project refused one this fastgen lacks
    with tempfile.TemporaryDirectory(prefix="fastgen-check-") as scratch:
        with status(f"Rendering template {recorded}"):
            questions = Questionnaire.from_file(template.tree(recorded) / "copier.yml")
            answers = {k: v for k, v in project.answers.items() if k in questions.questions}
            render(source, recorded, questions, answers, Path(scratch))
        drifted = [
            rel
            for rel in project_files(Path(scratch))
            if is_template_owned(rel) and _differs(project.root / rel, Path(scratch) / rel)
        ]
        # Drift the template made under the same (development) version is not the user's.
        changed = changed_since_made(project, Path(scratch)) if drifted else []
    behind = Version(recorded) < Version(__version__)
    unedited = [rel for rel in drifted if rel in changed]
    drifted = [rel for rel in drifted if rel not in changed]
    return CheckResult(project.root, recorded, __version__, behind, drifted, unedited)


def is_template_owned(rel: str) -> bool:
    return any(fnmatch.fnmatchcase(rel, pattern) for pattern in TEMPLATE_OWNED)


def _differs(ours: Path, rendered: Path) -> bool:
    return not ours.is_file() or ours.read_bytes() != rendered.read_bytes()
