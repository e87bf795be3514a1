"""The command line as a user meets it: help, version, schema, module entry, start-up cost."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import fastgen
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
    assert "project_name" not in props  # given as NAME
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
