"""Where the template is, and a stable snapshot of it for copier to render.

A source checkout (editable install) renders the repository's own
`copier.yml` and `templates/`; an installed wheel renders the copy it carries
as package data. Either way copier is pointed at a snapshot in the user's cache,
named by the template's content: copier would otherwise treat a git checkout
with uncommitted edits as a new commit on every run, and the answers file it
records would differ from one render to the next.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from pathlib import Path

from fastgen import __version__

_CHECKOUT = Path(__file__).resolve().parents[2]
_PACKAGED = Path(__file__).resolve().parent / "_template"


def template_root() -> Path:
    """The folder holding copier.yml and templates/."""
    if (_CHECKOUT / "copier.yml").is_file() and (_CHECKOUT / "templates").is_dir():
        return _CHECKOUT
    return _PACKAGED


def cache_dir() -> Path:
    if explicit := os.environ.get("FASTGEN_CACHE_DIR"):
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "fastgen"


def _template_files(root: Path) -> list[Path]:
    files = [root / "copier.yml"]
    files += sorted(
        p for p in (root / "templates").rglob("*") if p.is_file() and "__pycache__" not in p.parts
    )
    return files


def snapshot(root: Path | None = None) -> Path:
    """A copy of the template, named by its version and content hash, never changed once made."""
    root = root or template_root()
    files = _template_files(root)
    digest = hashlib.sha256()
    for path in files:
        digest.update(path.relative_to(root).as_posix().encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    target = cache_dir() / f"template-{__version__}-{digest.hexdigest()[:16]}"
    if target.is_dir():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".template-", dir=target.parent))
    try:
        for path in files:
            dest = staging / path.relative_to(root)
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, dest)
        try:
            staging.rename(target)
        except OSError:
            # Another fastgen process made the same snapshot first; theirs is identical.
            if not target.is_dir():
                raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return target
