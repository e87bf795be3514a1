"""`fastgen check`: find the project -> compare versions -> re-render the recorded
version with the recorded answers -> compare the template-owned files (but those
the project took over) -> report, with each drifted file's diff when asked.

Writes nothing. Exit codes (CheckResult.exit_code): 0 up to date; 3 behind (the
project's template version is older than this fastgen's, or, at this fastgen's
development version, its template changed after the project was made); 4 drifted (a
template-owned file differs from what its version renders); 5 both; 2 input
refused (not a project, made by a newer fastgen, a bad `[tool.fastgen]`).

A project takes a template-owned file over by naming it in its pyproject.toml,
`[tool.fastgen] owned = ["Dockerfile"]`: an edit there is then deliberate, and
check skips the file for good (update still merges the template's changes into it).
"""

from __future__ import annotations

import contextlib
import difflib
import fnmatch
import tempfile
import tomllib
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path

from fastgen import __version__
from fastgen.commands.dev_template import changed_since_made
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
PYPROJECT = "pyproject.toml"


class InvalidOwned(UserInputError):
    """`[tool.fastgen] owned` is not a list of template-owned paths."""


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
    # template-owned files the project took over, not compared
    owned: list[str] = field(default_factory=list)
    # drifted file -> its unified diff from the recorded version's render (--diff)
    diffs: dict[str, str] = field(default_factory=dict)

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
    diff: bool = False,
    status: Status = lambda _message: contextlib.nullcontext(),
) -> CheckResult:
    from packaging.version import Version

    project = find_project(project_dir)
    taken_over = owned_by_project(project.root)
    recorded = project.template_version  # find_project refused one this fastgen lacks
    with tempfile.TemporaryDirectory(prefix="fastgen-check-") as scratch:
        with status(f"Rendering template {recorded}"):
            render_recorded(recorded, project.answers, Path(scratch))
        checked = [rel for rel in project_files(Path(scratch)) if is_template_owned(rel)]
        owned = [rel for rel in checked if _matches(rel, taken_over)]
        drifted = [
            rel
            for rel in checked
            if rel not in owned and _differs(project.root / rel, Path(scratch) / rel)
        ]
        # Drift the template made under the same (development) version is not the user's.
        changed = changed_since_made(project, Path(scratch)) if drifted else []
        unedited = [rel for rel in drifted if rel in changed]
        drifted = [rel for rel in drifted if rel not in changed]
        diffs = {
            rel: _diff(rel, Path(scratch) / rel, project.root / rel, recorded)
            for rel in (drifted if diff else [])
        }
    behind = Version(recorded) < Version(__version__)
    return CheckResult(project.root, recorded, __version__, behind, drifted, unedited, owned, diffs)


def is_template_owned(rel: str) -> bool:
    return _matches(rel, TEMPLATE_OWNED)


def owned_by_project(root: Path) -> tuple[str, ...]:
    """The paths (or patterns) of template-owned files the project took over, from
    `[tool.fastgen] owned` in its pyproject.toml; InvalidOwned when that is not a
    list of template-owned paths (a typo would otherwise check nothing less)."""
    where = f"{PYPROJECT}: [tool.fastgen] owned"
    path = root / PYPROJECT
    try:
        config = tomllib.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
        raise InvalidOwned(f"{PYPROJECT}: cannot be read: {error}") from None
    tool = config.get("tool")
    fastgen = tool.get("fastgen") if isinstance(tool, dict) else None
    owned = fastgen.get("owned", []) if isinstance(fastgen, dict) else []
    if not isinstance(owned, list) or not all(isinstance(entry, str) for entry in owned):
        raise InvalidOwned(f'{where}: must be a list of paths, such as ["Dockerfile"]')
    for entry in owned:
        if not is_template_owned(entry):
            raise InvalidOwned(
                f"{where}: {entry!r} is not a template-owned file "
                f"({', '.join(TEMPLATE_OWNED)}); check never compares the others"
            )
    return tuple(owned)


def _matches(rel: str, patterns: tuple[str, ...]) -> bool:
    return any(fnmatch.fnmatchcase(rel, pattern) for pattern in patterns)


def _differs(ours: Path, rendered: Path) -> bool:
    return not ours.is_file() or ours.read_bytes() != rendered.read_bytes()


def _diff(rel: str, rendered: Path, ours: Path, version: str) -> str:
    """rel's unified diff from the recorded version's render to the project's file."""
    exists = ours.is_file()
    lines = difflib.unified_diff(
        _lines(rendered),
        _lines(ours) if exists else [],
        f"a/{rel} (template {version})",
        f"b/{rel}" if exists else "/dev/null",
    )
    # A last line without a newline is marked, as `git diff` marks it.
    return "".join(
        line if line.endswith("\n") else line + "\n\\ No newline at end of file\n" for line in lines
    )


def _lines(path: Path) -> list[str]:
    return path.read_bytes().decode(errors="replace").splitlines(keepends=True)
