"""Generator input fuzzing: any project name, description and author either
renders a project that compiles and passes `ruff check`, or is refused with
exit 2, one `error:` line on stderr and nothing written.

Names are drawn both from the shape fastgen accepts and from any text with
the characters that break generated code (quotes, backslashes, braces, Jinja
delimiters, path separators, control characters, non-ASCII). The existing
tests/test_user_strings.py checks that accepted text lands verbatim; this
suite adds the name and the project's own lint.
"""

from __future__ import annotations

import _sqlite3
import builtins
import contextlib
import ctypes
import json
import keyword
import re
import shutil
import subprocess
import sys
import tomllib
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from conftest import REPO, everything_under, fastgen
from fastgen.commands import fields, naming
from fastgen.commands.fields import parse_field
from fastgen.commands.naming import ResourceNames
from fastgen.errors import UserInputError
from variants.support import ProjectRunner, SharedVenv, project_env

from .conftest import FULL
from .services import PostgresCluster

AWKWARD = [*"aZ 09_-'\"\\{}%#$:/.[]&*!|<>@`,;=\n\t\r\x00é漢🙂", "{{", "}}", "{%", "%}", ".."]
NAMES = st.one_of(
    st.from_regex(r"[A-Za-z][A-Za-z0-9 _-]{0,70}", fullmatch=True),
    st.lists(st.sampled_from(AWKWARD), max_size=20).map("".join),
)
TEXT = st.lists(st.sampled_from(AWKWARD), max_size=30).map("".join)
EXAMPLES = 150 if FULL else 15


def _ruff_problems(project: Path) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "--no-cache", "."],
        cwd=project,
        capture_output=True,
        text=True,
        check=False,
    )
    return "" if done.returncode == 0 else done.stdout + done.stderr


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@example(name="Shop", description="{{ 7*7 }}", author='O\'Brien "\\" <o@b.ie>')
@example(name="../escape", description="", author="")
@example(name="class", description="ok", author="ok")
@given(name=NAMES, description=TEXT, author=TEXT)
def test_any_input_renders_a_clean_project_or_is_refused(
    tmp_path_factory: Any, record_property: Any, name: str, description: str, author: str
) -> None:
    record_property("cases", 1)
    out = tmp_path_factory.mktemp("fuzz")
    # fastgen runs on 3.11 here: a 3.11 project compiles with this interpreter.
    run = fastgen(
        "new", name, "--defaults", "--no-git", "-o", str(out), "-d", "python_version=3.11",
        "-d", f"description={description}", "-d", f"author={author}",
    )  # fmt: skip

    if run.exit_code != 0:
        assert run.exit_code == 2, (name, run.stderr)
        lines = run.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("error:"), run.stderr
        assert everything_under(out) == []
        return
    (project,) = out.iterdir()
    for path in project.rglob("*.py"):
        compile(path.read_text(), str(path), "exec")
    tomllib.loads((project / "pyproject.toml").read_text())
    assert _ruff_problems(project) == ""


# ------------------------------------------------------------ add resource
#
# Every name and value `add resource` takes is either refused at parse time
# (exit 2, one `error:` line, nothing written) or makes a project whose ruff,
# mypy and migrations (SQLite and PostgreSQL) pass. The names are drawn from
# what is most likely to clash: Python's keywords and builtins, str's methods
# (enum members are strs), pydantic's and SQLAlchemy's model attributes, the
# SQL reserved words SQLAlchemy knows and SQLite's own keyword list, the
# project's tables and modules, and long and non-ASCII names.

# Run with the generated project's libraries (the shared venv), not fastgen's.
LIBRARY_NAMES = """
import json
from pydantic import BaseModel
from sqlalchemy.dialects.postgresql.base import RESERVED_WORDS as POSTGRESQL
from sqlalchemy.dialects.sqlite.base import SQLiteIdentifierPreparer
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.sql.compiler import RESERVED_WORDS


class Base(DeclarativeBase):
    pass


print(json.dumps({
    "pydantic": [n for n in dir(BaseModel) if not n.startswith("_")],
    "sqlalchemy": [n for n in dir(Base) if not n.startswith("_")],
    "sql": sorted(RESERVED_WORDS | POSTGRESQL),
    "sqlite_quoted": sorted(SQLiteIdentifierPreparer.reserved_words),
}))
"""
# Whether SQLite takes each word as a table and a column name in the
# statements SQLAlchemy writes for the generated repositories.
SQLITE_TAKES = """
import json, sys
from sqlalchemy import Integer, create_engine, func, select
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

refused = []
for word in json.loads(sys.argv[1]):
    class Base(DeclarativeBase):
        pass

    Row = type(word, (Base,), {
        "__tablename__": word,
        "__annotations__": {"id": Mapped[int], word + "_": Mapped[int]},
        "id": mapped_column(Integer, primary_key=True),
        word + "_": mapped_column(word, Integer, index=True, unique=True),
    })
    engine = create_engine("sqlite://")
    try:
        Base.metadata.create_all(engine)
        with Session(engine) as session:
            row = Row(**{word + "_": 1})
            session.add(row)
            session.flush()
            setattr(row, word + "_", 2)
            session.flush()
            column = getattr(Row, word + "_")
            session.scalars(select(Row).where(column == 2).order_by(column.desc())).all()
            session.scalar(select(func.count()).select_from(Row))
            session.delete(row)
            session.flush()
    except Exception:
        refused.append(word)
print(json.dumps(refused))
"""
PYTHON = f"{sys.version_info.major}.{sys.version_info.minor}"
RENDERS = 8 if FULL else 2


def sqlite_keywords() -> list[str]:
    """SQLite's own keyword list, from the library this Python links."""
    lib = ctypes.CDLL(_sqlite3.__file__)
    words = []
    for index in range(lib.sqlite3_keyword_count()):
        name, size = ctypes.c_char_p(), ctypes.c_int()
        lib.sqlite3_keyword_name(index, ctypes.byref(name), ctypes.byref(size))
        assert name.value is not None
        words.append(name.value[: size.value].decode().lower())
    return words


def project_modules() -> set[str]:
    app = REPO / "templates/project/app"
    return {path.name.split(".")[0].split("}")[-1].strip() for path in app.rglob("*.py*")}


@pytest.fixture(scope="module")
def venv(shared_venv: Callable[[str], SharedVenv]) -> SharedVenv:
    return shared_venv(PYTHON)


@pytest.fixture(scope="module")
def libraries(venv: SharedVenv) -> dict[str, list[str]]:
    done = subprocess.run(
        [str(venv.python), "-c", LIBRARY_NAMES], capture_output=True, text=True, check=True
    )
    names: dict[str, list[str]] = json.loads(done.stdout)
    return names


@pytest.fixture(scope="module")
def hostile(libraries: dict[str, list[str]]) -> list[str]:
    """Lower-case words most likely to clash with something a project has."""
    words = {*keyword.kwlist, *keyword.softkwlist, *dir(builtins), *dir(str), "mro"}
    words |= {*libraries["pydantic"], *libraries["sqlalchemy"], *libraries["sql"]}
    words |= {*sqlite_keywords(), *naming.TABLES, *naming.RESERVED_MODULES}
    words |= {*project_modules(), *fields.SYSTEM_COLUMNS, "oid", "rowid", "none", "true"}
    words |= {"not_null", "self", "cls", "value", "values", "row", "rows", "total", "n"}
    words |= {"l", "password", "token", "api_token", "secret"}
    return sorted({word.lower() for word in words if word.strip("_")})


def test_the_reserved_lists_are_the_libraries_own(
    libraries: dict[str, list[str]], venv: SharedVenv
) -> None:
    """fastgen does not import pydantic or SQLAlchemy to refuse their names: its
    lists are held here to the versions a generated project installs."""
    pydantic = {name for name in libraries["pydantic"] if not name.startswith("model_")}
    assert pydantic == fields.PYDANTIC_ATTRIBUTES
    assert set(libraries["sqlalchemy"]) == fields.SQLALCHEMY_ATTRIBUTES
    unquoted = sorted(set(sqlite_keywords()) - set(libraries["sqlite_quoted"]))
    done = subprocess.run(
        [str(venv.python), "-c", SQLITE_TAKES, json.dumps(unquoted)],
        capture_output=True,
        text=True,
        check=True,
    )
    assert set(json.loads(done.stdout)) == naming.UNQUOTED_KEYWORDS


def test_the_system_columns_are_postgresqls(own_postgres: PostgresCluster) -> None:
    """Each is refused by PostgreSQL's CREATE TABLE, and `oid` no longer is."""
    for column in [*fields.SYSTEM_COLUMNS, "oid"]:
        done = subprocess.run(
            ["psql", "-h", "127.0.0.1", "-p", str(own_postgres.port), "-U", "postgres", "-c",
             f"CREATE TEMPORARY TABLE t ({column} integer)"],
            capture_output=True, text=True, check=False,
        )  # fmt: skip
        assert (done.returncode != 0) == (column != "oid"), (column, done.stderr)


# non-ASCII (fullwidth, combining accent), too long, and not snake_case
ODD_NAMES = ["é", "名前", "\uff41\uff42", "ab\u0301", "a" * 250, "x-y", "_a", "a__b", "A1"]


@st.composite
def words(draw: st.DrawFn, hostile: list[str]) -> str:
    """Mostly snake_case words that clash with something, sometimes odd ones."""
    snake = [word for word in hostile if re.fullmatch(r"[a-z][a-z0-9_]*", word)]
    return draw(
        st.one_of(
            st.sampled_from(snake),
            st.sampled_from(snake),
            st.from_regex(r"[a-z][a-z0-9_]{0,20}", fullmatch=True),
            st.sampled_from([*ODD_NAMES, *(word for word in hostile if word not in snake)]),
        )
    )


DEFAULTS = {
    "str": ["", "plain", "x" * 300, '"quoted"'],
    "text": ["", "plain", "a\\b"],
    "email": ["a@b.io", "nobody"],
    "int": ["0", "-0", "7", "007", "+7", " 7", "1_000", "\u0663", "2147483648", "-2147483648"],
    "float": ["0", "1.5", ".5", "1e3", "1E-3", "007", "inf", "nan", "\u0663.5", "1e400"],
    "decimal": ["0", "1.50", "1.234", "1e3", "\u0663", "99999999.99", "NaN"],
    "bool": ["true", "false", "True", "1"],
    "date": ["2024-01-01", "20240101", "2024-13-01", "\u0662\u0660\u0662\u0664-01-01"],
    "datetime": ["2024-01-01T00:00:00Z"],
    "uuid": ["00000000-0000-0000-0000-000000000000"],
    "json": ["{}"],
    "ref": ["1"],
}


@st.composite
def field_texts(draw: st.DrawFn, hostile: list[str], refs: tuple[str, ...] = ("User",)) -> str:
    """NAME:TYPE[:ARG][:MODIFIER]...: every type with every modifier and argument."""
    type_ = draw(st.sampled_from(fields.TYPES))
    parts = [draw(words(hostile)), type_]
    defaults = DEFAULTS.get(type_, ["x"])
    if type_ == "str":
        parts += draw(st.sampled_from([[], ["1"], ["3"], ["120"], ["10000"], ["0"], ["x"]]))
    elif type_ == "decimal":
        parts += draw(st.sampled_from([[], ["10,2"], ["1,0"], ["38,38"], ["2,5"], ["39,2"]]))
    elif type_ == "enum":
        choices = draw(st.lists(words(hostile), min_size=1, max_size=4))
        parts.append(",".join(choices))
        defaults = [*choices, "other"]
    elif type_ == "ref":
        parts.append(draw(st.sampled_from([*refs, "Nope", "user"])))
    modifiers = draw(
        st.lists(st.sampled_from(["optional", "unique", "index", "default"]), unique=True)
    )
    if type_ not in fields.DEFAULTABLE and draw(st.integers(0, 9)):
        modifiers = [m for m in modifiers if m != "default"]  # mostly: refused anyway
    for modifier in modifiers:
        value = draw(st.sampled_from(defaults))
        parts.append(f"default={value}" if modifier == "default" else modifier)
    return ":".join(parts)


@st.composite
def resources(draw: st.DrawFn, hostile: list[str]) -> list[str]:
    """The arguments of one `add resource`."""
    word = draw(words(hostile))
    name = draw(st.sampled_from([word, word.title().replace("_", ""), word.upper()]))
    args = [name, *draw(st.lists(field_texts(hostile), max_size=5))]
    if draw(st.booleans()):
        args += ["--plural", draw(words(hostile))]
    return args + draw(
        st.sampled_from([[], ["--no-owned"], ["--access", "catalog"], ["--access", "shared"]])
    )


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A project of each database, without resources."""
    projects = {}
    for database in ("sqlite", "postgresql"):
        out = tmp_path_factory.mktemp(database)
        run = fastgen(
            "new", "shop", "--defaults", "--no-git", "-o", str(out), "-d", f"database={database}",
            "-d", f"python_version={PYTHON}", "-d", "example_items=false",
        )  # fmt: skip
        assert run.exit_code == 0, run.stderr
        projects[database] = out / "shop"
    return projects


def test_any_resource_is_refused_in_one_line_or_renders(
    made: dict[str, Path], hostile: list[str]
) -> None:
    """Many drawn resources through the command (--dry-run renders and lints the
    files, and writes nothing): exit 0, or exit 2 and one line."""
    project = made["sqlite"]
    before = everything_under(project)

    @settings(max_examples=EXAMPLES * 4, deadline=None)
    @example(args=["None"])
    @example(args=["Widget", "x:int:default=007"])
    @example(args=["A" * 250])
    @example(args=["Widget", "not_null:str", "self:int", "copy:str"])
    @given(args=resources(hostile))
    def case(args: list[str]) -> None:
        run = fastgen("add", "resource", *args, "--project-dir", str(project), "--dry-run")

        assert run.exit_code in (0, 2), (args, run.stdout, run.stderr)
        if run.exit_code == 2:
            (line,) = run.stderr.strip().splitlines()
            assert line.startswith("error: "), (args, line)

    case()
    assert everything_under(project) == before


def accepted(hostile: list[str], text: str) -> list[str]:
    """The hostile words that parse as field (or resource) names in `text`."""
    taken = []
    for word in hostile:
        with contextlib.suppress(UserInputError):
            if text == "resource":
                ResourceNames.of(word)
            else:
                parse_field(text.format(word))
            taken.append(word)
    return taken


def check(project: Path, venv: SharedVenv, postgres: PostgresCluster, cache: Path) -> None:
    """The generated project's lint, types and migrations."""
    runner = ProjectRunner(
        project, project_env(project, venv, mypy_cache=cache, database_url=None, redis_url=None)
    )
    for step in (["ruff", "check", "."], ["ruff", "format", "--check", "."], ["mypy"]):
        runner.check(step[0], *step)
    database = f"fuzz_{uuid.uuid4().hex[:12]}"
    for url in (f"sqlite+aiosqlite:///{project / 'fuzz.db'}", postgres.create_database(database)):
        runner.env["DATABASE_URL"] = url
        for step in (["upgrade", "head"], ["check"], ["downgrade", "base"]):
            runner.check(f"alembic {step[0]} ({url.split(':')[0]})", "alembic", *step)


def test_accepted_resources_make_a_project_whose_checks_pass(
    made: dict[str, Path],
    hostile: list[str],
    venv: SharedVenv,
    own_postgres: PostgresCluster,
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    """A bounded sample: each project takes seconds to check. The first case adds
    every hostile word the parser accepts: as fields of one resource and as
    choices of its enum, then a resource of each accepted name (its table a
    keyword, builtin, ... too); the drawn ones add a few resources that refer
    to each other."""
    cache = tmp_path_factory.mktemp("mypy-cache")
    names = accepted(hostile, "resource")
    names = names[:: max(1, len(names) // 30)]  # about 30 of them
    choices = accepted(hostile, "status:enum:{}")
    everything = [
        ["Probe", *(f"{word}:int:optional" for word in accepted(hostile, "{}:int")),
         f"state:enum:{','.join(choices)}:default={choices[0]}"],
        *([name, "title:str:40", "probe:ref:Probe:optional"] for name in names),
    ]  # fmt: skip

    @settings(max_examples=RENDERS, deadline=None, database=None)
    @example(batch=everything)
    @given(batch=st.lists(resources(hostile), min_size=1, max_size=3))
    def case(batch: list[list[str]]) -> None:
        folder = tmp_path_factory.mktemp("render")
        copies = {db: shutil.copytree(made[db], folder / db) for db in made}
        added = 0
        for args in batch:
            for db, project in copies.items():
                run = fastgen("add", "resource", *args, "--project-dir", str(project))
                assert run.exit_code in (0, 2), (args, run.stderr)
                added += db == "sqlite" and run.exit_code == 0
        if added:
            check(copies["sqlite"], venv, own_postgres, cache)
            check(copies["postgresql"], venv, own_postgres, cache)

    case()
