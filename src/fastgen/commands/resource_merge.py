"""Bring the added resources to another template version: the same three-way merge
as the project's, file by file, from the answers recorded in
`.fastgen/resources/<plural>.yml`. All of them render in one pass (each at its
recorded version and at the new one, see resource_render.py), then merge one by one.

copier's own update cannot do it: `add resource` formats what it renders with the
project's ruff settings, so the recorded version is re-rendered the same way
here and only real differences count as the user's edits. A conflict is left as
copier leaves the project's: inline, markers in the file and the file unmerged
in the index (stages base, ours, theirs); with `rej`, the template's version
with the user's hunks that still apply, and the others in FILE.rej.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, Literal

from fastgen import gitrepo
from fastgen.commands import moves
from fastgen.commands.migrations import VERSIONS
from fastgen.commands.resource_render import Job, Rendered, render_resources
from fastgen.errors import WorkFailed
from fastgen.render import project_files

# The labels copier's inline conflicts carry, so both kinds read alike.
LABELS = ("before updating", "last update", "after updating")
Conflict = Literal["inline", "rej"]


def update_resources(
    root: Path,
    resources: Mapping[str, Mapping[str, Any]],
    version: str,
    fallback: str,
    conflict: Conflict = "inline",
) -> list[str]:
    """Merge each resource's files (plural -> recorded answers) from the version it was
    rendered with (or fallback, for resources recorded without one) to version; the
    files left in conflict."""
    stale: list[dict[str, Any]] = []
    jobs: list[Job] = []
    for recorded in resources.values():
        made = str(recorded.get("template_version", fallback))
        if made == version:
            continue
        answers = {k: v for k, v in recorded.items() if not k.startswith("_")}
        stale.append(answers)
        jobs += [
            Job(made, {**answers, "template_version": made}),
            Job(version, {**answers, "template_version": version}),
        ]
    with tempfile.TemporaryDirectory(prefix="fastgen-resource-update-") as scratch:
        rendered = render_resources(jobs, Path(scratch), root)
        conflicts: list[str] = []
        for answers, old, new in zip(stale, rendered[::2], rendered[1::2], strict=True):
            conflicts += merge_resource(root, answers, old, new, conflict)
        return sorted(conflicts)


def merge_resource(
    root: Path, answers: Mapping[str, Any], old: Rendered, new: Rendered, conflict: Conflict
) -> list[str]:
    """Merge one resource's change from its render old to its render new into the
    project; the files left in conflict."""
    old_files, new_files = definition_files(old.files), definition_files(new.files)
    moved = moves.between(moves.resource_moves(answers), old_files, new_files)
    moved = {src: dst for src, dst in moved.items() if not os.path.lexists(root / dst)}
    conflicts = [
        dst
        for src, dst in moved.items()
        if merge(root, dst, old.folder / src, new.folder / dst, conflict, moved_from=src)
    ]
    rest = sorted((set(old_files) | set(new_files)) - {*moved, *moved.values()})
    conflicts += [
        rel for rel in rest if merge(root, rel, old.folder / rel, new.folder / rel, conflict)
    ]
    return conflicts


def resource_files(rendered: Path) -> list[str]:
    """The files of a resource's render (a folder of its own) that follow its definition."""
    return definition_files(project_files(rendered))


def definition_files(files: Iterable[str]) -> list[str]:
    """The files of a resource's render that follow its definition: all but its
    revision, which is the database's history once written and never re-rendered."""
    return [rel for rel in files if not rel.startswith(f"{VERSIONS.as_posix()}/")]


def merge(
    root: Path, rel: str, base: Path, theirs: Path, conflict: Conflict, moved_from: str = ""
) -> bool:
    """Apply the template's change (base -> theirs) to the project's file rel, or to
    its file moved_from, which then moves to rel (see moves.py); True on conflict."""
    ours = root / rel
    ours_bytes = _read(root / (moved_from or rel))
    base_bytes, theirs_bytes = _read(base), _read(theirs)
    before = None if moved_from else ours_bytes  # what stands at rel now
    if moved_from:
        (root / moved_from).unlink(missing_ok=True)
    merged, conflicted = merge_bytes(ours_bytes, base_bytes, theirs_bytes)
    if not conflicted:
        _write(ours, merged, before)
        return False
    assert ours_bytes is not None and theirs_bytes is not None  # a conflict needs both
    rejected = None
    if conflict == "rej":
        merged, rejected = _reject(ours_bytes, base_bytes or b"", theirs_bytes, ours.name)
    _write(ours, merged, before)
    if rejected is not None:
        ours.with_name(ours.name + ".rej").write_bytes(rejected)
    if conflict == "inline":
        gitrepo.mark_unmerged(root, rel, base_bytes, ours_bytes, theirs_bytes)
    return True


def _write(path: Path, data: bytes | None, before: bytes | None) -> None:
    if data is None:
        path.unlink(missing_ok=True)
    elif data != before:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)


def _read(path: Path) -> bytes | None:
    return path.read_bytes() if path.is_file() else None


def merge_bytes(
    ours: bytes | None, base: bytes | None, theirs: bytes | None
) -> tuple[bytes | None, bool]:
    """A file's bytes after the change base -> theirs is applied to ours (None: no
    file), and whether the two touched the same lines (then with conflict markers).

    A file the user deleted stays deleted; a file the template dropped goes only
    when the user never changed it.
    """
    if ours == theirs or theirs == base:
        return ours, False
    if theirs is None:
        return (None if ours == base else ours), False
    if ours is None:
        return (theirs if base is None else None), False  # new in the template, or deleted
    if ours == base:
        return theirs, False
    merged, clean = _merge_file(ours, base or b"", theirs)
    return merged, not clean


def _merge_file(ours: bytes, base: bytes, theirs: bytes) -> tuple[bytes, bool]:
    """git merge-file's three-way merge: the result, and whether it is free of conflicts."""
    with tempfile.TemporaryDirectory(prefix="fastgen-merge-") as scratch:
        paths = [Path(scratch, name) for name in ("ours", "base", "theirs")]
        for path, data in zip(paths, (ours, base, theirs), strict=True):
            path.write_bytes(data)
        merged = subprocess.run(
            ["git", "merge-file", "--stdout", *(f"-L{label}" for label in LABELS),
             *map(str, paths)],
            capture_output=True, check=False,
        )  # fmt: skip
    if merged.returncode < 0 or merged.returncode > 127:
        raise WorkFailed(f"git merge-file failed: {merged.stderr.decode().strip()}")
    return merged.stdout, merged.returncode == 0


def _reject(ours: bytes, base: bytes, theirs: bytes, name: str) -> tuple[bytes, bytes]:
    """The template's version with the user's change (base -> ours) applied where it
    still applies, and the hunks that do not, as `git apply --reject` writes them."""
    with tempfile.TemporaryDirectory(prefix="fastgen-reject-") as scratch:
        env = {**os.environ, "GIT_CEILING_DIRECTORIES": scratch}
        for folder, data in (("a", base), ("b", ours), ("c", theirs)):
            Path(scratch, folder).mkdir()
            Path(scratch, folder, name).write_bytes(data)
        diff = subprocess.run(
            ["git", "diff", "--no-index", "--no-color", "--", f"a/{name}", f"b/{name}"],
            cwd=scratch, capture_output=True, check=False, env=env,
        )  # fmt: skip
        applied = subprocess.run(
            ["git", "apply", "--reject", "-p2", "-"],
            cwd=Path(scratch, "c"), input=diff.stdout, capture_output=True, check=False, env=env,
        )  # fmt: skip
        rej = Path(scratch, "c", name + ".rej")
        if diff.returncode != 1 or (applied.returncode != 0 and not rej.is_file()):
            said = (diff.stderr or applied.stderr).decode(errors="replace").strip()
            raise WorkFailed(f"{name}: cannot set the user's change aside: {said}")
        return Path(scratch, "c", name).read_bytes(), rej.read_bytes() if rej.is_file() else b""
