"""What a change to a project needs after it: the steps `fastgen update` prints.

Compares the project before the change with the merged result (the staging
clone, before it is moved into place):
- its dependencies (pyproject.toml's) changed: the environment needs `make install`;
- a revision appeared in alembic/versions/: the database needs `make migrate`;
- a setting appeared in `.env.example`: `.env` (ignored by git, so no merge
  reaches it) gets the new keys appended with their `.env.example` values and
  comments. The user's own lines are never changed: a key `.env` has is left alone.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fastgen.commands.migrations import VERSIONS

ENV, ENV_EXAMPLE, PYPROJECT = ".env", ".env.example", "pyproject.toml"
_SETTING = re.compile(r"(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=")
ENV_HEADER = "# Added by `fastgen update` from .env.example: new settings, at their defaults."


@dataclass(frozen=True)
class FollowUp:
    reinstall: bool = False
    # project-relative paths of the new revisions
    revisions: list[str] = field(default_factory=list)
    # (key, the lines to append for it: its comments and `KEY=value`) of each setting
    # new in .env.example and missing from .env
    settings: list[tuple[str, list[str]]] = field(default_factory=list)

    def steps(self) -> list[tuple[str, str]]:
        """(command, why) in the order to run them."""
        found = []
        if self.reinstall:
            found.append(("make install", f"the dependencies in {PYPROJECT} changed"))
        if self.revisions:
            listed = ", ".join(self.revisions)
            found.append(
                ("make migrate", f"new revision{'s' * (len(self.revisions) > 1)}: {listed}")
            )
        return found


def follow_up(before: Path, after: Path) -> FollowUp:
    """What the change from the project at `before` to `after` needs."""
    old_revisions = _revisions(before)
    return FollowUp(
        reinstall=_requirements(before / PYPROJECT) != _requirements(after / PYPROJECT),
        revisions=[rel for rel in _revisions(after) if rel not in old_revisions],
        settings=_new_settings(before, after),
    )


def add_settings(root: Path, settings: list[tuple[str, list[str]]]) -> list[str]:
    """Append the settings to root's .env, when it is a file of its own (not a link);
    the keys written."""
    env = root / ENV
    if not settings or env.is_symlink() or not env.is_file():
        return []
    text = env.read_text(encoding="utf-8")
    lines = [ENV_HEADER] + [line for _key, block in settings for line in block]
    separator = "" if not text or text.endswith("\n\n") else "\n" if text.endswith("\n") else "\n\n"
    with env.open("a", encoding="utf-8") as file:
        file.write(separator + "\n".join(lines) + "\n")
    return [key for key, _block in settings]


def _requirements(path: Path) -> Any:
    """The requirements of a pyproject.toml, or its bytes when it does not parse (a
    conflict left in it)."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return path.read_bytes()
    project = data.get("project", {})
    return (
        project.get("dependencies"),
        project.get("optional-dependencies"),
        data.get("dependency-groups"),
        data.get("build-system", {}).get("requires"),
    )


def _revisions(root: Path) -> list[str]:
    folder = root / VERSIONS
    return (
        sorted(p.relative_to(root).as_posix() for p in folder.glob("*.py"))
        if folder.is_dir()
        else []
    )


def _settings(path: Path) -> dict[str, list[str]]:
    """KEY -> its `KEY=value` line with the comment lines right above it."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return {}
    found: dict[str, list[str]] = {}
    comments: list[str] = []
    for line in lines:
        if line.startswith("#"):
            comments.append(line)
        elif match := _SETTING.match(line):
            found.setdefault(match.group(1), [*comments, line])
            comments = []
        else:
            comments = []
    return found


def _new_settings(before: Path, after: Path) -> list[tuple[str, list[str]]]:
    old, new = _settings(before / ENV_EXAMPLE), _settings(after / ENV_EXAMPLE)
    present = _settings(before / ENV)
    return [(key, block) for key, block in new.items() if key not in old and key not in present]
