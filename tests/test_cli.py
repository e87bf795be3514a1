"""The command line as a user meets it: help, version, schema, module entry, start-up cost."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

import fastgen
from conftest import fastgen as fastgen_cli
from conftest import fastgen_process


def test_version() -> None:
    run = fastgen_process("--version")

    assert run.returncode == 0
    assert run.stdout.strip() == f"fastgen {fastgen.__version__}"


def test_help_lists_commands_with_examples() -> None:
    run = fastgen_process("--help")

    assert run.returncode == 0
    assert "new" in run.stdout and "schema" in run.stdout
    assert "Examples" in run.stdout


def test_new_help_documents_every_flag_with_examples() -> None:
    run = fastgen_process("new", "--help")

    assert run.returncode == 0
    for flag in ("--defaults", "--spec", "--data", "--output-dir", "--force", "--dry-run",
                 "--no-git", "--quiet"):  # fmt: skip
        assert flag in run.stdout
    assert "fastgen new shop --spec shop.yaml" in run.stdout


# An option's line in the help: its names and value, then two spaces.
OPTION = re.compile(r"^  (--?[a-z][-a-z]*\b.*?)(?:  |$)")
EVERY_COMMAND = [
    [], ["new"], ["schema"], ["add"], ["add", "resource"], ["add", "field"], ["remove"],
    ["remove", "field"], ["remove", "resource"], ["rename", "field"], ["change", "field"],
    ["apply"], ["resources"], ["update"], ["check"],
]  # fmt: skip


@pytest.mark.parametrize("command", EVERY_COMMAND, ids=lambda c: " ".join(c) or "fastgen")
def test_help_shows_only_what_can_be_typed(command: list[str]) -> None:
    """One style for every command (issue 23: `add resource` showed `name <str>`)."""
    run = fastgen_cli(*command, "--help")

    assert run.exit_code == 0
    # No type labels such as <bool> or <list[str]>, no {name}: a value is named
    # by what to type (KEY=VALUE, DIR, FILE, NAME, FIELD...).
    assert re.findall(r"<[a-z][a-z\[\]|]*>|\{[a-z_]+\}", run.stdout) == []
    usage = run.stdout.splitlines()[0]
    assert re.fullmatch(r"Usage: fastgen[a-z ]* \[OPTIONS\]( \[?[A-Z=]+(\.\.\.)?\]?)*"
                        r"( COMMAND \[ARGS\]\.\.\.)?", usage), usage  # fmt: skip
    specs = [m.group(1) for line in run.stdout.splitlines() if (m := OPTION.match(line))]
    for spec in specs:  # the value an option takes is named in capitals (or its choices)
        values = [word for word in spec.replace(",", " ").split() if word[0] not in "-/"]
        assert all(value.isupper() or value.startswith("[") for value in values), spec


def test_add_resource_help_names_its_arguments_as_typed() -> None:
    run = fastgen_cli("add", "resource", "--help")

    assert run.stdout.startswith("Usage: fastgen add resource [OPTIONS] NAME [FIELD...]")
    assert "-p, --project-dir DIR" in run.stdout
    assert "--plural PLURAL" in run.stdout


def test_new_help_names_the_values_its_options_take() -> None:
    run = fastgen_process("new", "--help")

    assert "Usage: fastgen new [OPTIONS] [NAME]" in run.stdout
    for option in ("--spec FILE", "-d, --data KEY=VALUE", "-o, --output-dir DIR"):
        assert option in run.stdout
    assert "NAME may be left out when the --spec file names the project" in run.stdout


def test_help_does_not_import_copier() -> None:
    probe = (
        "import sys\n"
        "from typer.testing import CliRunner\n"
        "from fastgen.cli import app\n"
        "for args in (['--help'], ['new', '--help'], ['--version']):\n"
        "    assert CliRunner().invoke(app, args).exit_code == 0\n"
        "print('copier' in sys.modules)\n"
    )
    run = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)

    assert run.stdout.strip() == "False"


def test_schema_is_json_schema_of_the_questions() -> None:
    run = fastgen_process("schema")

    assert run.returncode == 0
    schema = json.loads(run.stdout)
    assert schema["additionalProperties"] is False
    props = schema["properties"]
    assert props["database"]["enum"] == ["sqlite", "postgresql"]
    assert props["redis"]["type"] == "boolean"
    assert props["python_version"]["default"] == "3.12"
    assert "template_version" not in props
    assert props["project_name"]["type"] == "string"  # a spec may name its project
    assert set(props) >= {"description", "author", "rate_limit", "csrf",
                          "admin", "example_items", "docker", "ci"}  # fmt: skip
    assert props["resources"]["items"]["required"] == ["name"]


def test_console_script_and_module_agree() -> None:
    console_script = Path(sys.executable).with_name("fastgen")

    console = subprocess.run(
        [str(console_script), "--version"], capture_output=True, text=True, check=False
    )

    assert console.returncode == 0
    assert console.stdout == fastgen_process("--version").stdout
