"""`fastgen check`: find the project -> compare versions -> re-render the recorded
version with the recorded answers -> compare the template-owned files -> report.

Writes nothing. Exit codes (CheckResult.exit_code): 0 up to date; 3 behind (the
project's template version is older than this fastgen's); 4 drifted (a
template-owned file differs from what its version renders); 5 both; 2 input
refused (not a project, or made by a newer fastgen).
"""

from __future__ import annotations

import contextlib
import fnmatch
import tempfile
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path

from fastgen import DISTRIBUTION, __version__, template
from fastgen.commands.project import find_project
from fastgen.errors import UserInputError
from fastgen.render import project_files, render_recorded

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


class NewerProject(UserInputError):
    """The project was made by a newer fastgen than this one."""


@dataclass(frozen=True)
class CheckResult:
    project: Path
    recorded: str
    installed: str
    behind: bool
    drifted: list[str]

    @property
    def exit_code(self) -> int:
        if self.behind and self.drifted:
            return BEHIND_AND_DRIFTED
        if self.drifted:
            return DRIFTED
        return BEHIND if self.behind else UP_TO_DATE


def check_project(
    project_dir: Path | None = None,
    *,
    status: Status = lambda _message: contextlib.nullcontext(),
) -> CheckResult:
    from packaging.version import Version

    project = find_project(project_dir)
    template.ensure()  # the template history, for has_version
    recorded = project.template_version
    if not template.has_version(recorded):
        raise NewerProject(
            f"{project.root}: made with fastgen {recorded}, which this fastgen "
            f"({__version__}) does not know; install {DISTRIBUTION}=={recorded}"
        )
    with tempfile.TemporaryDirectory(prefix="fastgen-check-") as scratch:
        with status(f"Rendering template {recorded}"):
            render_recorded(recorded, project.answers, Path(scratch))
        drifted = [
            rel
            for rel in project_files(Path(scratch))
            if is_template_owned(rel) and _differs(project.root / rel, Path(scratch) / rel)
        ]
    behind = Version(recorded) < Version(__version__)
    return CheckResult(project.root, recorded, __version__, behind, drifted)


def is_template_owned(rel: str) -> bool:
    return any(fnmatch.fnmatchcase(rel, pattern) for pattern in TEMPLATE_OWNED)


def _differs(ours: Path, rendered: Path) -> bool:
    return not ours.is_file() or ours.read_bytes() != rendered.read_bytes()
