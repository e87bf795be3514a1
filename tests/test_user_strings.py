"""Security checklist 34: any description or author either renders into valid
Python, TOML, YAML and Markdown that carry it verbatim, or is refused."""

from __future__ import annotations

import ast
import re
import tomllib
from pathlib import Path

import yaml
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from conftest import everything_under, fastgen

TRICKY = st.text(
    alphabet=st.sampled_from(list("aZ 09'\"\\{}%#$:-[]&*!|<>@.`,\n\t\r\x00é漢🙂")),
    max_size=40,
)


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@example(description="{{ 7*7 }} {% if true %}x{% endif %}", author='O\'Brien "\\" <o@b.ie>')
@example(description='"""; import os #', author="René 漢字")
@example(description="two\nlines", author="")
@given(description=TRICKY, author=TRICKY)
def test_description_and_author_render_verbatim_or_are_refused(
    tmp_path_factory, description: str, author: str
) -> None:
    out = tmp_path_factory.mktemp("render")

    # Python 3.11 is the version these tests run on, so ast.parse reads its syntax.
    run = fastgen(
        "new", "Shop", "--defaults", "--no-git", "-o", str(out), "--data", "python_version=3.11",
        "--data", f"description={description}", "--data", f"author={author}",
    )  # fmt: skip

    if any(ord(c) < 32 or ord(c) == 127 for c in description + author):
        assert run.exit_code == 2
        assert "one line without control characters" in run.stderr
        assert everything_under(out) == []
        return
    assert run.exit_code == 0, run.stderr
    project = out / "shop"

    pyproject = tomllib.loads((project / "pyproject.toml").read_text())
    assert pyproject["project"]["description"] == description
    if author:
        # "Name <email>" becomes PEP 621's name and email; anything else is the name.
        split = re.fullmatch(r"(.*?)\s*<([^<>\s]+@[^<>\s]+)>", author)
        expected = {"name": split[1], "email": split[2]} if split else {"name": author}
        assert pyproject["project"]["authors"] == [{k: v for k, v in expected.items() if v}]
    answers = yaml.safe_load((project / ".copier-answers.yml").read_text())
    assert answers["description"] == description and answers["author"] == author
    assert description in (project / "README.md").read_text()
    for path in project.rglob("*.py"):
        ast.parse(path.read_text(), filename=str(path))
    for path in [*project.rglob("*.yml"), *project.rglob("*.yaml")]:
        yaml.safe_load(path.read_text())
    for path in project.rglob("*.toml"):
        tomllib.loads(path.read_text())


def test_names_with_every_allowed_character_render(tmp_path: Path) -> None:
    run = fastgen("new", "Z9 a_b-c", "--defaults", "--no-git", "-o", str(tmp_path))

    assert run.exit_code == 0, run.stderr
    assert (tmp_path / "z9-a-b-c" / "pyproject.toml").is_file()
