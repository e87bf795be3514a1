"""`fastgen update`: find the project (its records checked) -> refuse a dirty
worktree, an unknown version, a record it cannot merge from -> merge in a staging
clone: the project (copier's update), then the recorded resources the same way
-> bring uv.lock in line with pyproject.toml (locks.py) -> move the result into
place, all or nothing -> append the new settings to .env
-> report what changed, what conflicts, and the steps the change needs (see
follow_up.py).

The merge takes the difference between the recorded version's render and the
project (the user's edits) and applies it over the new version's render: edits
survive; where an edit and the template's change touch the same lines the file
gets conflict markers (unmerged in the index, as git leaves a failed merge) and
is listed, and the command exits 1. A file the template moved (moves.py) is
merged as one file: the user's edits go with it to its new place.

Nothing in the project changes until the whole merge is done (see staging.py): a
failure, a refusal or a Ctrl-C before that leaves it as it was, and the move
into place puts everything back if it fails or is interrupted.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Callable, Iterable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from fastgen import __version__, gitrepo, locks, template
from fastgen.commands import dev_template, moves, resource_merge, schema_parts, staging
from fastgen.commands.follow_up import FollowUp, add_settings, follow_up
from fastgen.commands.migrations import head_and_next
from fastgen.commands.project import ANSWERS_FILE, RESOURCES_DIR, Project, find_project
from fastgen.errors import InvalidAnswer, UserInputError, WorkFailed
from fastgen.questions import Answers, Questionnaire
from fastgen.render import project_files, render_recorded

Status = Callable[[str], AbstractContextManager[object]]
Conflict = Literal["inline", "rej"]
# Neither the project's name nor its slug can change: they name its package,
# its folder and its database.
FIXED = ("project_name", "project_slug")
# Answers that add or remove a resource, which a re-render cannot do for the user.
RESOURCES = {"example_items": "items"}


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
    # what the change needs next (reinstall, migrate), and the settings it brought
    follow_up: FollowUp = field(default_factory=FollowUp)
    # the keys appended to .env (none under dry_run)
    env_added: list[str] = field(default_factory=list)
    # what became of uv.lock (see locks.after_update)
    lock: str = ""

    def next_steps(self) -> list[tuple[str, str]]:
        """(command, why) of what is left to do, in order."""
        resolve = [("resolve the conflicts", "then `git add` each file")] if self.conflicts else []
        review = ("git diff", "review, run the tests (make test), then commit")
        return [*resolve, *self.follow_up.steps(), review]


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
    require_resource_versions(project, version)
    changed_answers = parse_data(project, version, data)
    if version == project.template_version and not changed_answers:
        require_no_change_within(project)
        return UpdateResult(project.root, version, version, dry_run)
    new_answers = {**project.answers, **changed_answers}
    if schema_parts.switched(project.answers, new_answers):
        head_and_next(project.root)  # refuse a history with no single head before any write

    with staging.staged(project.root) as stage:
        root = stage.root
        with status(f"Merging template {project.template_version} -> {version}"):
            held = _hold_moved(root)
            _copier_update(root, version, changed_answers, conflict)
            _carry_moved(root, project, held, conflict)
        if project.resources:
            with status(f"Merging resources ({len(project.resources)})"):
                resource_merge.update_resources(
                    root, project.resources, version, project.template_version, conflict
                )
        # After the merge, so each revision follows the head the merged project has.
        schema_parts.switch_revisions(root, template.tree(version), project.answers, new_answers)
        with status("Checking uv.lock"):
            lock = locks.after_update(root, template.tree(version), new_answers["python_version"])
        changes = stage.changes()  # refuses a change through a link out of the project
        conflicts = conflicted(stage.clone, changes)
        needs = follow_up(project.root, root)
        if not dry_run:
            with status("Moving the update into place"):
                stage.place(changes)
    # .env is ignored by git, so no merge reached it: only new keys, appended.
    added = [] if dry_run else add_settings(project.root, needs.settings)
    old = project.template_version
    return UpdateResult(project.root, old, version, dry_run, changes, conflicts, needs, added, lock)


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


def require_resource_versions(project: Project, version: str) -> None:
    """Each resource merges from the version it was rendered with: it must be one this
    fastgen has, and not newer than the target."""
    from packaging.version import Version

    for plural, recorded in project.resources.items():
        made = str(recorded.get("template_version", project.template_version))
        if not template.has_version(made):
            raise CannotUpdate(
                f"{RESOURCES_DIR.as_posix()}/{plural}.yml: template version {made}: no such "
                "template version to merge the resource from"
            )
        if Version(made) > Version(version):
            raise CannotUpdate(
                f"{RESOURCES_DIR.as_posix()}/{plural}.yml: made with template {made}, "
                f"newer than {version}; downgrades are not supported"
            )


def require_no_change_within(project: Project) -> None:
    """At this fastgen's development version there is nothing to update to, yet its
    template may have changed since the project was made: say so, not "nothing to do"."""
    if changed := dev_template.changed_since_made(project):
        shown = ", ".join(changed[:5]) + (
            f" and {len(changed) - 5} more" if len(changed) > 5 else ""
        )
        raise CannotUpdate(
            f"{ANSWERS_FILE}: the project is at {project.template_version}, this fastgen's "
            "development version, whose template changed after the project was made "
            f"({shown}); update merges from one version to another, not within one. Those "
            "files are as the template made them: take them from a fresh render, or move the "
            "version on (copier.yml and fastgen/__init__.py) before changing the template"
        )


def conflicted(top: Path, changes: list[tuple[str, str]]) -> list[str]:
    """The changed files left unmerged, beside a .rej file, or holding conflict
    markers (whatever made them), sorted."""
    found = {rel for code, rel in changes if gitrepo.is_conflict(code)}
    found |= {rel.removesuffix(".rej") for _code, rel in changes if rel.endswith(".rej")}
    for _code, rel in changes:
        path = top / rel
        if path.is_file() and not path.is_symlink() and _has_markers(path.read_bytes()):
            found.add(rel)
    return sorted(found)


def _has_markers(data: bytes) -> bool:
    lines = data.splitlines()
    return any(line.startswith(b"<<<<<<< ") for line in lines) and any(
        line.startswith(b">>>>>>> ") for line in lines
    )


def parse_data(project: Project, version: str, data: Iterable[str]) -> Answers:
    """--data KEY=VALUE answers that differ from the recorded ones, checked with all the
    rules of the target version's copier.yml."""
    questions = Questionnaire.from_file(template.tree(version) / "copier.yml")
    given: Answers = {}
    for pair in data:
        key, value = questions.data_pair(pair)
        if key in FIXED:
            raise InvalidAnswer(f"--data: {key}: cannot be changed by update", key)
        if key in RESOURCES and value != project.answers.get(key):
            raise InvalidAnswer(
                f"--data: {key}: cannot be changed by update: {RESOURCES[key]} is a resource "
                f"with its own table; add it (fastgen add resource) or delete its files by hand",
                key,
            )
        given[key] = value
    recorded = {k: v for k, v in project.answers.items() if k in questions.questions}
    questions.complete({**recorded, **given})
    return {k: v for k, v in given.items() if recorded.get(k) != v}


def _hold_moved(root: Path) -> dict[str, bytes]:
    """The project's files at the old places of the template's moves (moves.py), read
    before copier's update deletes them with their edits; none where a file of the
    user's own stands at the new place."""
    return {
        src: (root / src).read_bytes()
        for src, dst in moves.PROJECT.items()
        if (root / src).is_file() and not os.path.lexists(root / dst)
    }


def _carry_moved(root: Path, project: Project, held: dict[str, bytes], conflict: Conflict) -> None:
    """Merge each held file into its new place, as a resource's moved file is merged:
    the user's change from the recorded version's render, over the new render."""
    if not held:
        return
    wanted = {src: moves.PROJECT[src] for src in held}
    # After copier's update the project holds the new render's files: a moved file
    # at its new place (where the project had nothing), none at its old one.
    after = [rel for pair in wanted.items() for rel in pair if (root / rel).is_file()]
    with tempfile.TemporaryDirectory(prefix="fastgen-moves-") as scratch:
        old, new = Path(scratch, "old"), Path(scratch, "new")
        render_recorded(project.template_version, project.answers, old)
        for src, dst in moves.between(wanted, project_files(old), after).items():
            (new / dst).parent.mkdir(parents=True, exist_ok=True)
            (new / dst).write_bytes((root / dst).read_bytes())
            # copier's `rej` mode leaves the user's hunks of the file it deleted.
            if not (project.root / f"{src}.rej").exists():
                (root / f"{src}.rej").unlink(missing_ok=True)
            (root / src).write_bytes(held[src])
            resource_merge.merge(root, dst, old / src, new / dst, conflict, moved_from=src)


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
