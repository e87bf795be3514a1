"""Files the template moved from one place to another: the user's edits follow them.

A merge file by file sees a moved file as one file dropped and another added.
The added one arrives as the new version renders it, and the user's edits in
the dropped one are lost (copier's update deletes a file its template dropped,
edited or not) or left behind in a module nothing imports any more (a
resource's merge keeps a dropped file the user changed). A move named here is
merged as one file instead: the user's change (the old version's render of the
old path -> the project's file there) is applied to the new version's render
of the new path, with conflict markers where it meets the template's own
change, and the old path goes.

A move applies where the old version renders the old path and not the new one,
the new version renders the new path and not the old one, and the project has
no file of its own at the new path (then both stay as they are, each merged
on its own, and nothing is guessed).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

# old path -> new path, in the project (templates/project) ...
PROJECT = {"app/core/dependencies.py": "app/api/deps.py"}
# ... and in each resource, with the resource's answers filled in.
RESOURCE = {"app/core/{module}_dependencies.py": "app/api/v1/{plural}_deps.py"}


def resource_moves(answers: Mapping[str, Any]) -> dict[str, str]:
    names = {"module": answers["module"], "plural": answers["plural"]}
    return {old.format(**names): new.format(**names) for old, new in RESOURCE.items()}


def between(
    moves: Mapping[str, str], old_render: Iterable[str], new_render: Iterable[str]
) -> dict[str, str]:
    """The moves that happen from the old render to the new one (paths as rendered)."""
    before, after = set(old_render), set(new_render)
    return {
        old: new
        for old, new in moves.items()
        if old in before and new not in before and new in after and old not in after
    }
