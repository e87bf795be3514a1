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
        rendered = set(project_files(old)) | set(project_files(new))
        return [rel for rel in sorted(rendered) if _merge(root / rel, old / rel, new / rel)]


def _merge(ours: Path, base: Path, theirs: Path) -> bool:
    """Apply the template's change (base -> theirs) to the project's file; True on conflict.

    A file the user deleted stays deleted; a file the template dropped goes only
    when the user never changed it.
    """
    base_bytes = base.read_bytes() if base.is_file() else None
    ours_bytes = ours.read_bytes() if ours.is_file() else None
    theirs_bytes = theirs.read_bytes() if theirs.is_file() else None
    if ours_bytes == theirs_bytes or theirs_bytes == base_bytes:
        return False
    if theirs_bytes is None:
        if ours_bytes == base_bytes:
            ours.unlink()
        return False
    if ours_bytes is None:
        if base_bytes is None:  # a file new in the template
            ours.parent.mkdir(parents=True, exist_ok=True)
            ours.write_bytes(theirs_bytes)
        return False
    if ours_bytes == base_bytes:
        ours.write_bytes(theirs_bytes)
        return False
    with tempfile.TemporaryDirectory(prefix="fastgen-merge-") as scratch:
        empty = Path(scratch, "empty")
        empty.write_bytes(b"")
        merged = subprocess.run(
            ["git", "merge-file", "--stdout", *(f"-L{label}" for label in LABELS),
             str(ours), str(base if base_bytes is not None else empty), str(theirs)],
            capture_output=True, check=False,
        )  # fmt: skip
    if merged.returncode < 0 or merged.returncode > 127:
        raise WorkFailed(f"git merge-file failed on {ours}: {merged.stderr.decode().strip()}")
    ours.write_bytes(merged.stdout)
    return merged.returncode > 0
