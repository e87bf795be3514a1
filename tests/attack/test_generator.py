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

import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from conftest import everything_under, fastgen

from .conftest import FULL

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
