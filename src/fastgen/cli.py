"""The command line: parse options, call the package, print the outcome.

No business logic lives here. Every `UserInputError` becomes one line on stderr
and exit code 2; copier is imported only by the commands that render.
"""

from __future__ import annotations

import contextlib
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.text import Text
from rich.tree import Tree

from fastgen import __version__
from fastgen.errors import UserInputError, WorkFailed

if TYPE_CHECKING:
    from fastgen.new import NewResult

EXAMPLES = """Examples:

  fastgen new shop                      ask the questions on a terminal

  fastgen new shop --defaults           no questions, default answers

  fastgen new shop --spec shop.yaml --data database=postgresql

  fastgen schema > fastgen-spec.schema.json"""

app = typer.Typer(
    name="fastgen",
    help="Generate layered FastAPI backends that work the moment they are made.",
    epilog=EXAMPLES,
    no_args_is_help=True,
    rich_markup_mode="rich",
    pretty_exceptions_enable=False,
)
out = Console()
err = Console(stderr=True)


def _version(value: bool) -> None:
    if value:
        out.print(f"fastgen {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Show the version."),
    ] = False,
) -> None:
    """Generate layered FastAPI backends that work the moment they are made."""


def _fail(message: str, code: int) -> typer.Exit:
    err.print(f"error: {message}", markup=False, highlight=False, soft_wrap=True)
    return typer.Exit(code=code)


@app.command(
    epilog=(
        "Examples:\n\n"
        "  fastgen new shop\n\n"
        "  fastgen new shop --defaults --output-dir ~/code --no-git\n\n"
        "  fastgen new shop --spec shop.yaml --data redis=true --data database=postgresql\n\n"
        "  fastgen new shop --defaults --dry-run"
    )
)
def new(
    name: Annotated[str, typer.Argument(help="Project name; its slug names the folder.")],
    defaults: Annotated[
        bool, typer.Option("--defaults", help="Ask nothing; use defaults for what is not given.")
    ] = False,
    spec: Annotated[
        Path | None,
        typer.Option("--spec", help="YAML file of answers (see `fastgen schema`).", dir_okay=False),
    ] = None,
    data: Annotated[
        list[str] | None,
        typer.Option("--data", "-d", help="One answer as KEY=VALUE; repeatable; beats --spec."),
    ] = None,
    output_dir: Annotated[
        Path, typer.Option("--output-dir", "-o", help="Folder to create the project in.")
    ] = Path("."),
    force: Annotated[
        bool,
        typer.Option("--force", help="Write into a non-empty folder, replacing template files."),
    ] = False,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Print the files that would be written; write none.")
    ] = False,
    no_git: Annotated[
        bool, typer.Option("--no-git", help="Do not make the project a git repository.")
    ] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print nothing but errors.")] = False,
) -> None:
    """Create a new project in ./<slug> (or under --output-dir)."""
    from fastgen.new import new_project
    from fastgen.prompt import ask_missing

    interactive = not defaults and sys.stdin.isatty()
    try:
        result = new_project(
            name,
            spec=spec,
            data=data or (),
            output_dir=output_dir,
            force=force,
            dry_run=dry_run,
            git=not no_git,
            prompter=(lambda q, given: ask_missing(q, given, out)) if interactive else None,
            status=out.status if not quiet else lambda _message: contextlib.nullcontext(),
        )
    except UserInputError as error:
        raise _fail(error.message, 2) from None
    except WorkFailed as error:
        raise _fail(error.message, 1) from None
    except KeyboardInterrupt:
        err.print("interrupted: nothing was written")
        raise typer.Exit(code=130) from None
    if not quiet:
        _report(result)


def _report(result: NewResult) -> None:
    answers = result.answers
    tree = Tree(Text(str(result.target), style="bold"))
    folders: dict[str, Tree] = {}
    for rel in result.files:
        parts = rel.split("/")
        node = tree
        for depth in range(1, len(parts)):
            key = "/".join(parts[:depth])
            if key not in folders:
                folders[key] = node.add(Text(parts[depth - 1] + "/", style="blue"))
            node = folders[key]
        node.add(Text(parts[-1]))
    out.print(tree)
    variant = ", ".join(
        [answers["database"], "redis" if answers["redis"] else "no redis"]
        + [k for k in ("rate_limit", "csrf", "admin", "example_items", "docker") if answers[k]]
        + ([f"ci={answers['ci']}"] if answers["ci"] != "none" else [])
    )
    verb = "Would write" if result.dry_run else "Wrote"
    out.print(f"\n{verb} {len(result.files)} files ({variant}).")
    if result.dry_run:
        return
    if result.git:
        out.print("Made a git repository with one commit.")
    out.print("\nNext:\n")
    for command in result.next_commands:
        out.print(f"  {command}", markup=False, highlight=False, soft_wrap=True)  # copy-pasteable


@app.command(epilog="Example:\n\n  fastgen schema > fastgen-spec.schema.json")
def schema() -> None:
    """Print the JSON Schema of spec files (for editor completion and checks)."""
    from fastgen import template
    from fastgen.questions import Questionnaire

    questions = Questionnaire.from_file(template.template_root() / "copier.yml")
    out.print_json(json.dumps(questions.json_schema()))


def main() -> None:
    app()
