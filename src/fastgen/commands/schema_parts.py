"""Tables that exist only for some answers, each with revisions of its own.

The initial revision (0001) is the same for every answer set: once applied it is
never rewritten. A table that only some answers want gets a revision of its own
instead, rendered from the template's `templates/schema/`:
- when the project is made, by copier, right after 0001 (0002_create_<table>.py;
  copier.yml keeps updates from ever rendering it again);
- each time `fastgen update --data` switches the answer, here: one revision that
  drops or creates the table, chained after the head the merged project has.
Like a resource's revision, such a file is then the project's: copier's update
only removes files that the recorded version rendered and the new one does not,
and it renders neither these nor the one made with the project.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from fastgen.commands.migrations import VERSIONS, head_and_next
from fastgen.render import template_environment

SCHEMA = "templates/schema"
Action = Literal["create", "drop"]


@dataclass(frozen=True)
class Part:
    table: str
    wanted: Callable[[Mapping[str, Any]], bool]


# Without Redis, logged-out access tokens are kept in the database.
PARTS = (Part("revoked_tokens", lambda answers: not answers["redis"]),)


def switched(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[tuple[Part, Action]]:
    """What an answer change does to the schema: the parts to create or drop."""
    return [
        (part, "create" if part.wanted(new) else "drop")
        for part in PARTS
        if part.wanted(old) != part.wanted(new)
    ]


def switch_revisions(
    project: Path, template_root: Path, old: Mapping[str, Any], new: Mapping[str, Any]
) -> None:
    """Add a revision for each table an answer change adds or removes."""
    for part, action in switched(old, new):
        _add(project, template_root, part, action)


def _add(project: Path, template_root: Path, part: Part, action: Action) -> None:
    down_revision, revision = head_and_next(project)
    env = template_environment(template_root)
    text = env.get_template(f"{SCHEMA}/{action}_{part.table}.py.jinja").render(
        revision=revision, down_revision=down_revision
    )
    (project / VERSIONS / f"{revision}_{action}_{part.table}.py").write_text(text, encoding="utf-8")
