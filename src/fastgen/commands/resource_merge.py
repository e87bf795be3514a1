"""Bring one added resource to another template version: the same three-way merge
as the project's, file by file, from the answers recorded in
`.fastgen/resources/<plural>.yml`.

copier's own update cannot do it: `add resource` formats what it renders with the
project's ruff settings, so the recorded version is re-rendered the same way
here and only real differences count as the user's edits.
"""

from __future__ import annotations

import subprocess
import tempfile
from pathlib import Path
from typing import Any

from fastgen.commands.add_resource import render_resource
from fastgen.commands.migrations import VERSIONS
from fastgen.errors import WorkFailed
from fastgen.render import project_files

# The labels copier's inline conflicts carry, so both kinds read alike.
LABELS = ("before updating", "last update", "after updating")


def update_resource(root: Path, recorded: dict[str, Any], version: str, fallback: str) -> list[str]:
    """Merge the resource's files from the version it was rendered with (or fallback,
    for resources recorded without one) to version; the files left in conflict."""
    old_version = str(recorded.get("template_version", fallback))
    if old_version == version:
        return []
    answers = {k: v for k, v in recorded.items() if not k.startswith("_")}
    with tempfile.TemporaryDirectory(prefix="fastgen-resource-update-") as scratch:
        old, new = Path(scratch, "old"), Path(scratch, "new")
        render_resource({**answers, "template_version": old_version}, old, root, old_version)
        render_resource({**answers, "template_version": version}, new, root, version)
        rendered = set(resource_files(old)) | set(resource_files(new))
        return [rel for rel in sorted(rendered) if _merge(root / rel, old / rel, new / rel)]


def resource_files(rendered: Path) -> list[str]:
    """The files of a resource's render that follow its definition: all but its
    revision, which is the database's history once written and never re-rendered."""
    return [rel for rel in project_files(rendered) if not rel.startswith(f"{VERSIONS.as_posix()}/")]


def _merge(ours: Path, base: Path, theirs: Path) -> bool:
    """Apply the template's change (base -> theirs) to the project's file; True on conflict."""
    merged, conflict = merge_bytes(_read(ours), _read(base), _read(theirs), ours)
    if merged is None:
        ours.unlink(missing_ok=True)
    elif merged != _read(ours):
        ours.parent.mkdir(parents=True, exist_ok=True)
        ours.write_bytes(merged)
    return conflict


def _read(path: Path) -> bytes | None:
    return path.read_bytes() if path.is_file() else None


def merge_bytes(
    ours: bytes | None, base: bytes | None, theirs: bytes | None, where: Path
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
    with tempfile.TemporaryDirectory(prefix="fastgen-merge-") as scratch:
        files = []
        for label, data in (("ours", ours), ("base", base or b""), ("theirs", theirs)):
            files.append(Path(scratch, label))
            files[-1].write_bytes(data)
        merged = subprocess.run(
            ["git", "merge-file", "--stdout", *(f"-L{label}" for label in LABELS),
             *map(str, files)],
            capture_output=True, check=False,
        )  # fmt: skip
    if merged.returncode < 0 or merged.returncode > 127:
        raise WorkFailed(f"git merge-file failed on {where}: {merged.stderr.decode().strip()}")
    return merged.stdout, merged.returncode > 0
