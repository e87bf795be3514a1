"""resource_render.py renders resources without copier, for `fastgen update`: its
files must be copier's, byte for byte, or the difference would read as the user's
edits. Each resource here is rendered both ways at every released template and at
this checkout's."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

import fastgen
from conftest import REPO, tree_bytes
from fastgen import template
from fastgen.commands.add_resource import add_resource, render_resource
from fastgen.commands.project import RESOURCES_DIR
from fastgen.commands.resource_render import Job, ResourceTemplate, render_resources
from fastgen.errors import WorkFailed
from update_support import VERSION_B, project_at

RESOURCES = [
    ("Category", ["name:str:80:unique", "position:int:default=0"], "catalog"),
    ("Tag", ["label:str", "color:enum:red,green,blue:default=red"], "shared"),
    (
        "Product",
        [
            "name:str:120:index",
            "price:decimal:10,2",
            "notes:text:optional",
            "live:bool",
            "category:ref:Category:on_delete=set_null:optional",
            "status:enum:draft,published",
        ],
        "owned",
    ),
    ("Review", ["body:text", "stars:int:default=5", "reviewer:ref:User", "at:datetime"], "owned"),
    (
        "Line",
        ["product:ref:Product", "qty:int", "code:uuid", "meta:json:optional"],
        "parent:product",
    ),
]
VERSIONS = [version for version, _commit in template.releases(REPO, below=fastgen.__version__)]


@pytest.fixture(scope="module")
def records(
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[Path, list[list[dict[str, Any]]]]:
    """A project with a resource of each access mode and every field type, and the
    answers they recorded; and those (of the modes a release had) as the release
    recorded them, `owned` without `access`."""
    project = project_at(VERSION_B, tmp_path_factory.mktemp("render"), example_items=False)
    for name, fields, access in RESOURCES:
        add_resource(name, fields, project_dir=project, access=access)
    folder = project / RESOURCES_DIR
    found = [yaml.safe_load(path.read_text()) for path in sorted(folder.glob("*.yml"))]
    answers = [{k: v for k, v in r.items() if not k.startswith("_")} for r in found]
    released = [
        {**{k: v for k, v in a.items() if k != "access"}, "owned": a["access"] == "owned"}
        for a in answers
        if a["access"] in {"owned", "shared"}
    ]
    return project, [answers, released]


@pytest.mark.parametrize("version", [*VERSIONS, VERSION_B])
def test_each_resource_renders_as_copier_renders_it(
    records: tuple[Path, list[list[dict[str, Any]]]], tmp_path: Path, version: str
) -> None:
    project, groups = records
    for group, answers in enumerate(groups):
        jobs = []
        for n, recorded in enumerate(answers):
            data = {**recorded, "template_version": version}
            render_resource(data, tmp_path / "copier" / f"{group}-{n}", project, version)
            jobs.append(Job(version, data))
        rendered = render_resources(jobs, tmp_path / "direct" / str(group), project)

        for n, render in enumerate(rendered):
            by_copier = tree_bytes(tmp_path / "copier" / f"{group}-{n}")
            assert by_copier, answers[n]
            direct = {rel: (render.folder / rel).read_bytes() for rel in render.files}
            assert direct == by_copier, answers[n]


def test_two_resources_that_would_write_the_same_file_are_refused(
    records: tuple[Path, list[list[dict[str, Any]]]], tmp_path: Path
) -> None:
    project, (answers, _released) = records
    twice = [Job(VERSION_B, answers[0]), Job(VERSION_B, answers[0])]
    with pytest.raises(WorkFailed, match="both render"):
        render_resources(twice, tmp_path, project)


@pytest.mark.parametrize(
    ("config", "refused"),
    [
        ("_exclude: ['*.md']\n", "_exclude"),
        ("name:\n  type: str\n  validator: '{{ name }}'\n", "validator"),
        ("name:\n  type: str\n  choices: [a, b]\n", "choices"),
        ("_envops:\n  undefined: jinja2.StrictUndefined\n", "_envops"),
    ],
)
def test_what_only_copier_does_is_refused(tmp_path: Path, config: str, refused: str) -> None:
    (tmp_path / "copier.yml").write_text(config)
    with pytest.raises(WorkFailed, match=refused):
        ResourceTemplate(tmp_path)


def test_a_name_that_would_leave_the_render_is_refused(
    records: tuple[Path, list[list[dict[str, Any]]]], tmp_path: Path
) -> None:
    _project, (answers, _released) = records
    resource = ResourceTemplate(template.tree(VERSION_B) / "templates" / "resource")
    with pytest.raises(WorkFailed, match="renders a name"):
        resource.render({**answers[0], "revision": "../../escaped"}, tmp_path / "render")
    assert not (tmp_path / "escaped_create_categories.py").exists()
