"""`fastgen update`: find the project -> refuse a dirty worktree -> pick the version
-> three-way merge the project (copier's update) -> each recorded resource the
same way -> report what changed and what conflicts.

The merge takes the difference between the recorded version's render and the
project (the user's edits) and applies it over the new version's render: edits
survive; where an edit and the template's change touch the same lines the file
gets conflict markers and is listed, and the command exits 1.
"""

from __future__ import annotations

import contextlib
import subprocess
import tempfile
from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from fastgen import __version__, gitrepo, template
from fastgen.commands import resource_merge
from fastgen.commands.project import ANSWERS_FILE, Project, find_project
from fastgen.errors import InvalidAnswer, UserInputError, WorkFailed
from fastgen.questions import Answers, Questionnaire

Status = Callable[[str], AbstractContextManager[object]]
Conflict = Literal["inline", "rej"]
# Neither the project's name nor its slug can change: they name its package,
# its folder and its database. Nor example_items: `new` adds items as a
# resource, which copier's update would not add or remove.
FIXED = ("project_name", "project_slug", "example_items")


class CannotUpdate(UserInputError):
    """The project cannot be updated as asked (dirty worktree, unknown or older version)."""


@dataclass(frozen=True)
class UpdateResult:
    project: Path
    old_version: str
    new_version: str
    dry_run: bool
    # (git status code, path) of every file the update touched
    changes: list[tuple[str, str]] = field(default_factory=list)
    conflicts: list[str] = field(default_factory=list)


def update_project(
    project_dir: Path | None = None,
    *,
    to: str | None = None,
    conflict: Conflict = "inline",
    dry_run: bool = False,
    data: Iterable[str] = (),
    status: Status = lambda _message: contextlib.nullcontext(),
) -> UpdateResult:
    project = find_project(project_dir)
    require_clean(project.root)
    require_history(project, template.ensure())
    version = target_version(project, to)
    changed_answers = parse_data(project, version, data)
    if version == project.template_version and not changed_answers:
        return UpdateResult(project.root, version, version, dry_run)

    with _workspace(project, dry_run) as root:
        with status(f"Merging template {project.template_version} -> {version}"):
            _copier_update(root, version, changed_answers, conflict)
        conflicts = set()
        for plural, answers in project.resources.items():
            with status(f"Merging resource {plural}"):
                conflicts.update(
                    resource_merge.update_resource(root, answers, version, project.template_version)
                )
        changes = gitrepo.changes(root)
    conflicts |= {path for code, path in changes if gitrepo.is_conflict(code)}
    conflicts |= {path.removesuffix(".rej") for _code, path in changes if path.endswith(".rej")}
    return UpdateResult(
        project.root, project.template_version, version, dry_run, changes, sorted(conflicts)
    )


def require_clean(root: Path) -> None:
    if not gitrepo.is_repository(root):
        raise CannotUpdate(
            f"{root}: not a git repository; update merges against the committed project "
            "(git init, then commit)"
        )
    if dirty := gitrepo.changes(root):
        raise CannotUpdate(
            f"{root}: uncommitted changes ({dirty[0][1]}{' and more' if len(dirty) > 1 else ''}); "
            "commit or stash them first, so the update can be reviewed and undone"
        )


def require_history(project: Project, source: str) -> None:
    """copier merges from the template recorded in the answers file: it must be this
    fastgen's history, at a version tag."""
    recorded, commit = project.answers.get("_src_path"), project.answers.get("_commit")
    if not commit or Path(str(recorded)).expanduser() != Path(source).expanduser():
        raise CannotUpdate(
            f"{ANSWERS_FILE}: records _src_path {recorded!r} and _commit {commit!r}; "
            f"update needs _src_path: {source} and _commit: <its template version> "
            "(set them, commit, retry)"
        )


def target_version(project: Project, to: str | None) -> str:
    from packaging.version import InvalidVersion, Version

    version = to or __version__
    if not template.has_version(version):
        known = ", ".join(sorted(template.versions(), key=Version))
        raise CannotUpdate(f"--to {version}: no such template version (known: {known})")
    try:
        if Version(version) < Version(project.template_version):
            raise CannotUpdate(
                f"--to {version}: the project is at {project.template_version}; "
                "downgrades are not supported"
            )
    except InvalidVersion:
        raise CannotUpdate(
            f"{ANSWERS_FILE}: template version {project.template_version!r} is not a version"
        ) from None
    return version


def parse_data(project: Project, version: str, data: Iterable[str]) -> Answers:
    """--data KEY=VALUE answers that differ from the recorded ones, checked with all the
    rules of the target version's copier.yml."""
    questions = Questionnaire.from_file(template.tree(version) / "copier.yml")
    given: Answers = {}
    for pair in data:
        key, value = questions.data_pair(pair)
        if key in FIXED:
            raise InvalidAnswer(f"--data: {key}: cannot be changed by update", key)
        given[key] = value
    recorded = {k: v for k, v in project.answers.items() if k in questions.questions}
    questions.complete({**recorded, **given})
    return {k: v for k, v in given.items() if recorded.get(k) != v}


@contextlib.contextmanager
def _workspace(project: Project, dry_run: bool) -> Iterator[Path]:
    """The project itself, or for a dry run a throw-away clone of its last commit."""
    if not dry_run:
        yield project.root
        return
    with tempfile.TemporaryDirectory(prefix="fastgen-update-") as scratch:
        clone = Path(scratch) / project.root.name
        cloned = subprocess.run(
            ["git", "clone", "--quiet", "--no-hardlinks", str(project.root), str(clone)],
            capture_output=True, text=True, check=False,
        )  # fmt: skip
        if cloned.returncode != 0:
            said = (cloned.stderr.strip().splitlines() or ["no message"])[-1]
            raise WorkFailed(f"--dry-run: cannot clone {project.root}: {said}")
        yield clone


def _copier_update(root: Path, version: str, data: dict[str, Any], conflict: Conflict) -> None:
    from copier import run_update  # costs ~0.45 s to import: only commands that render pay it
    from copier.errors import UserMessageError

    try:
        run_update(
            root,
            data=data,
            vcs_ref=version,
            defaults=True,
            overwrite=True,
            quiet=True,
            conflict=conflict,
            skip_answered=True,
        )
    except UserMessageError as error:
        raise WorkFailed(f"copier update: {error}") from None
