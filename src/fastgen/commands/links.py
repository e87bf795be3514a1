"""Symbolic links on the way to a file fastgen writes: fastgen never follows one
out of the project (nor an absolute one), and refuses, naming it, before writing."""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

from fastgen.errors import UserInputError


class UnsafeLink(UserInputError):
    """A file fastgen would write is a symbolic link (or lies under one) that leaves the project."""


def link_out_of(root: Path, top: Path, rel: str) -> tuple[str, str] | None:
    """The first symbolic link on the way from top to top/rel that is absolute or
    leads out of root, as (its path relative to root, its target); None if none."""
    here = top
    for part in Path(rel).parts:
        here = here / part
        if here.is_symlink():
            target = os.readlink(here)
            if os.path.isabs(target) or not here.resolve().is_relative_to(root.resolve()):
                return here.relative_to(root).as_posix(), target
    return None


def refuse_links_out(root: Path, rels: Iterable[str], top: Path | None = None) -> None:
    """UnsafeLink, naming the link, when writing any of rels (relative to top, by
    default root) would follow a link out of the project."""
    for rel in rels:
        if found := link_out_of(root, top or root, rel):
            link, target = found
            raise UnsafeLink(
                f"{link}: a symbolic link to {target}, outside the project; fastgen does not "
                "write through it (replace it with the file itself, commit, retry)"
            )
