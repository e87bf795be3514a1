"""The initial revision is the same for every answer set, and the tables that only
some answers want come with revisions of their own."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from conftest import fastgen
from update_support import copy_template
from variants.cases import CASES

INITIAL = "alembic/versions/0001_initial_schema.py"
REVOKED = "alembic/versions/0002_create_revoked_tokens.py"


def render_revisions(template: Path, target: Path, answers: dict[str, Any]) -> dict[str, bytes]:
    """The Alembic revisions `copier copy` (and so `fastgen new`) renders: path -> bytes."""
    from copier import run_copy

    run_copy(
        str(template),
        target,
        data={"project_name": "Shop", **answers},
        defaults=True,
        quiet=True,
        exclude=["*", "!alembic/", "!alembic/versions/", "!alembic/versions/*.py"],
    )
    return {
        p.relative_to(target).as_posix(): p.read_bytes()
        for p in (target / "alembic/versions").glob("*.py")
    }


def test_the_initial_revision_is_byte_identical_for_every_answer_set(tmp_path: Path) -> None:
    template = tmp_path / "template"
    copy_template(template)  # a plain folder: copier renders it without cloning

    rendered = {
        case: render_revisions(template, tmp_path / case, answers)
        for case, answers in CASES.items()
    }

    assert len({revisions[INITIAL] for revisions in rendered.values()}) == 1
    assert b"revoked_tokens" not in rendered["defaults"][INITIAL]
    assert b'"items"' not in rendered["defaults"][INITIAL]  # a resource, with its own revision
    # Without Redis the table comes right after, from one file that is the same for all.
    for case, revisions in rendered.items():
        redis = CASES[case].get("redis", False)
        assert sorted(revisions) == sorted([INITIAL] + ([] if redis else [REVOKED])), case
    assert len({revisions[REVOKED] for revisions in rendered.values() if REVOKED in revisions}) == 1


@pytest.mark.parametrize(("redis", "revisions"), [
    # items (example_items, on by default) is a resource: its revision follows the head.
    ("false", ["0001_initial_schema.py", "0002_create_revoked_tokens.py", "0003_create_items.py"]),
    ("true", ["0001_initial_schema.py", "0002_create_items.py"]),
])  # fmt: skip
def test_new_adds_the_revoked_tokens_revision_only_without_redis(
    tmp_path: Path, redis: str, revisions: list[str]
) -> None:
    run = fastgen("new", "Shop", "--defaults", "-q", "-o", str(tmp_path), "--data=redis=" + redis)

    assert run.exit_code == 0, run.stderr
    versions = tmp_path / "shop/alembic/versions"
    assert sorted(p.name for p in versions.glob("*.py")) == revisions
    if redis == "false":
        text = (versions / revisions[1]).read_text()
        assert 'down_revision: str | None = "0001"' in text
        assert 'op.create_table(\n        "revoked_tokens"' in text
