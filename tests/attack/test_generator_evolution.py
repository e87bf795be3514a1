"""Evolution fuzzing: random sequences of `add field`, `remove field`, `rename field`
and `change field` on a project with two resources. Every command either
succeeds, or is refused with exit 2, one `error:` line and the project as it
was; after the sequence, the project's ruff and mypy pass and its migrations go
up from an empty database, match the models (`alembic check`) and come back
down to base, on SQLite.
"""

from __future__ import annotations

import shlex
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import fastgen, tree_bytes
from update_support import commit_all
from variants.support import CHECK_COMMANDS, ProjectRunner, SharedVenv, project_env

from .conftest import FULL

EXAMPLES = 40 if FULL else 4
NAMES = ["price", "title", "notes", "rank", "weight", "colour", "category", "class", "id", "Bad"]
ARGUMENTS = {
    "str": ["", ":1", ":40", ":700"],
    "decimal": ["", ":10,2", ":5,0", ":3,5"],
    "enum": [":a,b", ":draft,live", ":x"],
    "ref": [":Category", ":User", ":Nope"],
}
MODIFIERS = ["optional", "unique", "index", "default=0", "default=1.5", "default=true",
             "default=draft", "default=a", "default=2024-01-01"]  # fmt: skip
TYPES = ["str", "text", "int", "float", "decimal", "bool", "date", "datetime", "uuid",
         "json", "email", "enum", "ref", "blob"]  # fmt: skip


@st.composite
def definitions(draw: st.DrawFn) -> str:
    name = draw(st.sampled_from(NAMES))
    type_ = draw(st.sampled_from(TYPES))
    argument = draw(st.sampled_from(ARGUMENTS.get(type_, [""])))
    modifiers = draw(st.lists(st.sampled_from(MODIFIERS), max_size=3, unique=True))
    return ":".join([name, type_ + argument, *modifiers]).replace("::", ":")


STEPS = st.one_of(
    st.tuples(st.just("add"), definitions()).map(lambda s: ["add", "field", "Product", s[1]]),
    st.sampled_from(NAMES).map(lambda n: ["remove", "field", "Product", n]),
    st.tuples(st.sampled_from(NAMES), st.sampled_from(NAMES)).map(
        lambda pair: ["rename", "field", "Product", *pair]
    ),
    definitions().map(lambda d: ["change", "field", "Product", d]),
    st.just(["remove", "resource", "Category"]),
)


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("evolution-fuzz")
    made = fastgen("new", "Fuzzed", "--defaults", "-q", "-o", str(root),
                   "--data", "example_items=false")  # fmt: skip
    assert made.exit_code == 0, made.stderr
    project = root / "fuzzed"
    for resource in (
        ["Category", "name:str:80:unique"],
        ["Product", "title:str:120", "price:decimal:10,2", "notes:text:optional",
         "rank:int:default=0", "category:ref:Category:optional"],
    ):  # fmt: skip
        assert fastgen("add", "resource", *resource, "-q", "-p", str(project)).exit_code == 0
    commit_all(project, "two resources")
    return project


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(steps=st.lists(STEPS, min_size=1, max_size=6))
def test_random_evolutions_are_refused_cleanly_or_end_with_passing_migrations(
    made: Path,
    shared_venv: Callable[[str], SharedVenv],
    tmp_path_factory: pytest.TempPathFactory,
    record_property: Any,
    steps: list[list[str]],
) -> None:
    record_property("cases", 1)
    project = tmp_path_factory.mktemp("evolving") / "fuzzed"
    shutil.copytree(made, project, symlinks=True)
    applied = []
    for argv in steps:
        before = tree_bytes(project)
        run = fastgen(*argv, "-q", "-p", str(project))
        if run.exit_code == 0:
            commit_all(project, shlex.join(argv))
            applied.append(argv)
            continue
        assert run.exit_code == 2, (argv, run.stdout, run.stderr)
        lines = run.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("error: "), (argv, run.stderr)
        assert tree_bytes(project) == before, argv
    if not applied:
        return
    venv = shared_venv("3.12")
    database = f"sqlite+aiosqlite:///{project.parent / 'fuzz.db'}"
    env = project_env(project, venv, mypy_cache=project.parent / ".mypy",
                      database_url=database, redis_url=None)  # fmt: skip
    runner = ProjectRunner(project, env)
    for command in CHECK_COMMANDS[:-1]:  # all but the suite: lint, types, migrations
        proc = runner.run(command, *shlex.split(command))
        assert proc.returncode == 0, (applied, command, proc.stdout[-3000:], proc.stderr[-3000:])
