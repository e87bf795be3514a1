"""The project's Alembic history, read statically (no app import, no database)."""

from __future__ import annotations

import ast
import contextlib
from pathlib import Path

from fastgen.errors import UserInputError

VERSIONS = Path("alembic/versions")


class MigrationError(UserInputError):
    """The migration history has no single head to chain a new revision after."""


def _revisions(path: Path) -> tuple[str, set[str]] | None:
    """A migration file's revision and the revisions it follows."""
    values: dict[str, object] = {}
    try:
        tree = ast.parse(path.read_bytes(), filename=str(path))
    except (OSError, SyntaxError, ValueError) as error:
        raise MigrationError(f"{path}: cannot be read: {error}") from None
    for node in tree.body:
        target: ast.expr
        if isinstance(node, ast.AnnAssign) and node.value is not None:
            target, value = node.target, node.value
        elif isinstance(node, ast.Assign) and len(node.targets) == 1:
            target, value = node.targets[0], node.value
        else:
            continue
        if isinstance(target, ast.Name):
            with contextlib.suppress(ValueError):
                values[target.id] = ast.literal_eval(value)
    revision, down = values.get("revision"), values.get("down_revision")
    if not isinstance(revision, str):
        return None
    downs = {down} if isinstance(down, str) else set(down) if isinstance(down, tuple) else set()
    return revision, {d for d in downs if isinstance(d, str)}


def head_and_next(root: Path) -> tuple[str, str]:
    """The single current head, and the id for a revision after it.

    Numbered histories (0001, 0002, ...) continue the numbering; any other
    takes the next number after the highest numbered one, so ids stay short,
    sortable and deterministic.
    """
    revisions: dict[str, set[str]] = {}
    for path in sorted((root / VERSIONS).glob("*.py")):
        found = _revisions(path)
        if found is not None:
            revisions[found[0]] = found[1]
    followed = set().union(*revisions.values()) if revisions else set()
    heads = sorted(set(revisions) - followed)
    if len(heads) != 1:
        found_heads = ", ".join(heads) or "none"
        raise MigrationError(
            f"{VERSIONS}: expected one Alembic head to follow, found {found_heads}; "
            "merge the heads first (alembic merge heads)"
        )
    numbers = [int(r) for r in revisions if r.isdigit()]
    return heads[0], f"{max(numbers, default=0) + 1:04d}"
