"""Refused input: exit code 2, one clear line on stderr, nothing written or lost."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import everything_under, fastgen, fastgen_process


def assert_refused(run, *words: str) -> None:
    assert run.exit_code == 2, run.stdout + run.stderr
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1, run.stderr
    assert lines[0].startswith("error: ")
    for word in words:
        assert word in lines[0], lines[0]
    assert "Traceback" not in run.stderr + run.stdout


@pytest.mark.parametrize(
    ("name", "why"),
    [
        ("", "must not be empty"),
        ("1shop", "must not start with a digit"),
        ("class", "Python keyword"),
        ("import", "Python keyword"),
        ("shop/sub", "'/'"),
        ("..", "'..'"),
        ("../escape", "'..'"),
        ("/tmp/absolute", "'/'"),
        ("shop$", "letters, digits"),
        ("shop\n", "letters, digits"),
        ("app", "clashes"),
        ("fastapi", "clashes"),
    ],
)
def test_bad_names_are_refused_and_nothing_is_written(tmp_path: Path, name: str, why: str) -> None:
    run = fastgen("new", name, "--defaults", "-o", str(tmp_path))

    assert_refused(run, "project_name", why)
    assert everything_under(tmp_path) == []


def test_bad_slug_from_data_is_refused(tmp_path: Path) -> None:
    run = fastgen("new", "Shop", "--defaults", "--data", "project_slug=../up", "-o", str(tmp_path))

    assert_refused(run, "project_slug")
    assert everything_under(tmp_path) == []


def test_non_empty_target_without_force_is_refused_and_left_untouched(tmp_path: Path) -> None:
    project = tmp_path / "shop"
    project.mkdir()
    (project / "main.py").write_text("print('mine')\n")

    run = fastgen("new", "Shop", "--defaults", "-o", str(tmp_path))

    assert_refused(run, str(project), "--force")
    assert everything_under(tmp_path) == ["shop", "shop/main.py"]
    assert (project / "main.py").read_text() == "print('mine')\n"


def test_target_that_is_a_file_is_refused(tmp_path: Path) -> None:
    (tmp_path / "shop").write_text("a file")

    run = fastgen("new", "Shop", "--defaults", "-o", str(tmp_path))

    assert_refused(run, "not a folder")
    assert (tmp_path / "shop").read_text() == "a file"


@pytest.mark.parametrize(
    ("spec", "words"),
    [
        ("description: ok\ncolour: blue\n", ["spec.yaml:2", "unknown key", "colour"]),
        ("redis: maybe\n", ["spec.yaml:1", "redis", "yes or no"]),
        ("admin: true\ndescription: [a, b]\n", ["spec.yaml:2", "description", "a list"]),
        ("database: mysql\n", ["spec.yaml:1", "database", "'mysql'", "sqlite, postgresql"]),
        ("python_version: '2.7'\n", ["spec.yaml:1", "python_version", "3.12"]),
        ("description: ok\nredis: [unclosed\n", ["spec.yaml:", "not valid YAML"]),
        ("- a\n- b\n", ["spec.yaml:1", "mapping"]),
        ("template_version: 9.9.9\n", ["spec.yaml:1", "unknown key", "template_version"]),
        ("description: \"two\\nlines\"\n", ["spec.yaml:1", "description", "one line"]),
        ("redis: true\nredis: false\n", ["spec.yaml:2", "'redis' is given twice", "spec.yaml:1"]),
        ("? [a, b]\n: 1\n", ["spec.yaml:1", "plain names"]),
        ("redis: !!python/object:os.system {}\n", ["spec.yaml:1", "redis"]),
        ("python_version: 3.10\n", ["spec.yaml:1", "'3.10' is not one of"]),
        ("project_name: Other\n", ["spec.yaml:1", "project_name", "'Other' disagrees with NAME"]),
    ],
)  # fmt: skip
def test_bad_spec_is_refused_naming_the_key_and_line(
    tmp_path: Path, spec: str, words: list[str]
) -> None:
    spec_file = tmp_path / "spec.yaml"
    spec_file.write_text(spec)
    out = tmp_path / "out"

    run = fastgen("new", "Shop", "--spec", str(spec_file), "-o", str(out))

    assert_refused(run, *words)
    assert not out.exists()


def test_missing_spec_file_is_refused(tmp_path: Path) -> None:
    run = fastgen("new", "Shop", "--spec", str(tmp_path / "nope.yaml"), "-o", str(tmp_path))

    assert run.exit_code == 2
    assert "nope.yaml" in run.stderr and "Traceback" not in run.stderr
    assert everything_under(tmp_path) == []


def test_output_dir_that_is_a_file_is_refused(tmp_path: Path) -> None:
    (tmp_path / "afile").write_text("x")

    run = fastgen("new", "Shop", "--defaults", "-o", str(tmp_path / "afile"))

    assert_refused(run, "afile", "not a folder")
    assert everything_under(tmp_path) == ["afile"]


def test_force_where_a_folder_stands_for_a_template_file_is_refused_untouched(
    tmp_path: Path,
) -> None:
    project = tmp_path / "shop"
    (project / "app" / "main.py").mkdir(parents=True)
    (project / "keep.txt").write_text("mine")
    before = everything_under(tmp_path)

    run = fastgen("new", "Shop", "--defaults", "--force", "-o", str(tmp_path))

    assert_refused(run, "main.py", "a folder stands where the template puts a file")
    assert everything_under(tmp_path) == before


def test_force_where_a_file_stands_for_a_template_folder_is_refused_untouched(
    tmp_path: Path,
) -> None:
    project = tmp_path / "shop"
    project.mkdir()
    (project / "app").write_text("a file")
    before = everything_under(tmp_path)

    run = fastgen("new", "Shop", "--defaults", "--force", "-o", str(tmp_path))

    assert_refused(run, "app", "a file stands where the template puts a folder")
    assert everything_under(tmp_path) == before


@pytest.mark.parametrize(
    ("pair", "words"),
    [
        ("redis", ["--data", "KEY=VALUE"]),
        ("colour=blue", ["--data", "unknown key", "colour"]),
        ("project_name=Other", ["--data", "project_name", "as NAME"]),
        ("database=oracle", ["database", "oracle"]),
        ("csrf=perhaps", ["csrf", "expected yes or no (y, yes, n, no", "'perhaps'"]),
    ],
)
def test_bad_data_is_refused(tmp_path: Path, pair: str, words: list[str]) -> None:
    run = fastgen("new", "Shop", "--defaults", "--data", pair, "-o", str(tmp_path))

    assert_refused(run, *words)
    assert everything_under(tmp_path) == []


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["new", "Shop", "--frobnicate"], ["no such option: --frobnicate", "fastgen new --help"]),
        (["nwe", "Shop"], ["no such command 'nwe'", "fastgen --help"]),
        (["new", "Shop", "--data"], ["'--data' requires an argument"]),
        (["new", "Shop", "--spec", "."], ["'--spec'", "is a directory"]),
        (["new", "Shop", "Other"], ["unexpected extra argument"]),
        (["new", "--defaults"], ["project_name", "as NAME"]),
    ],
    ids=["unknown-option", "unknown-command", "missing-value", "spec-folder", "two-names",
         "no-name"],
)  # fmt: skip
def test_refused_command_lines_are_one_error_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, args: list[str], words: list[str]
) -> None:
    monkeypatch.chdir(tmp_path)

    run = fastgen(*args)

    assert_refused(run, *words)
    assert run.stdout == ""
    assert everything_under(tmp_path) == []


def test_a_refused_command_line_is_one_line_from_the_installed_command(tmp_path: Path) -> None:
    run = fastgen_process("new", "Shop", "--frobnicate", cwd=tmp_path)

    assert run.returncode == 2
    (line,) = run.stderr.splitlines()
    assert line.startswith("error: no such option: --frobnicate")
    assert line.endswith("(see 'fastgen new --help')")
    assert everything_under(tmp_path) == []


def test_spec_without_a_project_name_needs_name(tmp_path: Path) -> None:
    spec_file = tmp_path / "spec.yaml"
    spec_file.write_text("redis: true\n")

    run = fastgen("new", "--spec", str(spec_file), "-o", str(tmp_path / "out"))

    assert_refused(run, "project_name", "as NAME (or in the spec file)")
    assert not (tmp_path / "out").exists()


def test_spec_project_name_is_checked_like_name_naming_its_line(tmp_path: Path) -> None:
    spec_file = tmp_path / "spec.yaml"
    spec_file.write_text("redis: true\nproject_name: 1shop\n")

    run = fastgen("new", "--spec", str(spec_file), "-o", str(tmp_path / "out"))

    assert_refused(run, "spec.yaml:2", "project_name", "must not start with a digit")
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    ("option", "said"),
    [
        ("--bogus", "error: no such option: --bogus (see 'fastgen new --help')"),
        ("--dry-rn", "error: no such option: --dry-rn (did you mean --dry-run?) (see"),
        ("--defualts", "error: no such option: --defualts (did you mean --defaults?)"),
    ],
)
def test_an_unknown_option_suggests_only_a_close_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, option: str, said: str
) -> None:
    """Issue 23: `--bogus` suggested --verbose."""
    monkeypatch.chdir(tmp_path)

    run = fastgen("new", "Shop", option)

    assert_refused(run)
    assert run.stderr.startswith(said), run.stderr
    assert "Possible options" not in run.stderr


def test_a_resource_field_error_names_the_fields_line(tmp_path: Path) -> None:
    """Issue 23: the error pointed at the resource's `- name:` line."""
    spec_file = tmp_path / "spec.yaml"
    spec_file.write_text(
        "project_name: Lines\n"
        "resources:\n"
        "  - name: Category\n"
        "    fields: [name:str]\n"
        "  - name: Product\n"
        "    owned: false\n"
        "    fields:\n"
        "      - name:str:120\n"
        "      - status:enum\n"
        "      - name:int\n"
        "  - name: Tag\n"
        "    fields: [label:str, label:int]\n"
    )

    run = fastgen("new", "--spec", str(spec_file), "--defaults", "-o", str(tmp_path / "out"))
    assert_refused(run, "spec.yaml:9: resources:", "'status:enum'")

    spec_file.write_text(spec_file.read_text().replace("      - status:enum\n", ""))
    run = fastgen("new", "--spec", str(spec_file), "--defaults", "-o", str(tmp_path / "out"))
    assert_refused(run, "spec.yaml:9: resources:", "'name' is given twice")

    spec_file.write_text(spec_file.read_text().replace("      - name:int\n", ""))
    run = fastgen("new", "--spec", str(spec_file), "--defaults", "-o", str(tmp_path / "out"))
    assert_refused(run, "spec.yaml:10: resources:", "'label' is given twice")

    spec_file.write_text(
        spec_file.read_text().replace("label:int", "count:int") + "    plural: Tags\n"
    )
    run = fastgen("new", "--spec", str(spec_file), "--defaults", "-o", str(tmp_path / "out"))
    assert_refused(run, "spec.yaml:11: resources:", "--plural 'Tags'")
    assert not (tmp_path / "out").exists()


def test_a_spec_resource_named_item_is_told_about_example_items(tmp_path: Path) -> None:
    """Issue 23: refused with no hint that `example_items: false` frees the name."""
    spec_file = tmp_path / "spec.yaml"
    spec_file.write_text(
        "project_name: Shop\nresources:\n  - name: Category\n  - name: Item\n"
        "    fields: [label:str]\n"
    )

    run = fastgen("new", "--spec", str(spec_file), "--defaults", "-o", str(tmp_path))
    assert_refused(run, "spec.yaml:4: resources: Item:", "`example_items: false`")
    assert everything_under(tmp_path) == ["spec.yaml"]

    run = fastgen(
        "new", "--spec", str(spec_file), "--defaults", "--dry-run", "-d", "example_items=false"
    )
    assert run.exit_code == 0, run.stderr
    assert "Would add resources: Category, Item." in run.stdout
