"""The command line: parse options, call the package, print the outcome.

No business logic lives here. Every refused input, fastgen's own
`UserInputError` or a usage error of the parser (unknown option, missing value),
becomes one `error:` line on stderr and exit code 2; copier is imported only by
the commands that render.
"""

from __future__ import annotations

import contextlib
import difflib
import json
import signal
import sys
from collections.abc import Sequence
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.text import Text
from rich.tree import Tree
from typer.core import TyperArgument, TyperGroup, TyperOption

from fastgen import __version__
from fastgen.errors import UserInputError, WorkFailed

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator
    from contextlib import AbstractContextManager

    from fastgen.commands.add_resource import AddResult
    from fastgen.commands.check import CheckResult
    from fastgen.commands.evolve import EvolveResult
    from fastgen.commands.update import UpdateResult
    from fastgen.new import NewResult

# \b keeps the examples' lines as written (the help formatter rewraps paragraphs).
EXAMPLES = """Examples:

\b
  fastgen new shop                      ask the questions on a terminal
  fastgen new shop --defaults           no questions, default answers
  fastgen new --spec shop.yaml          the spec names the project
  fastgen schema > fastgen-spec.schema.json"""

# No emoji codes: a field such as `contact:email:unique` is printed as typed,
# not with `:email:` turned into an envelope.
out = Console(emoji=False)
err = Console(stderr=True, emoji=False)


def _error(message: str) -> None:
    err.print(f"error: {message}", markup=False, highlight=False, soft_wrap=True)


def _fail(message: str, code: int) -> typer.Exit:
    _error(message)
    return typer.Exit(code=code)


class _OneLineErrors(TyperGroup):
    """The parser's own refusals as one `error:` line and exit code 2, like fastgen's."""

    def main(
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        windows_expand_args: bool = True,
        **extra: Any,
    ) -> Any:
        _plain_help(self)
        try:
            # Not standalone: usage errors reach us instead of typer's boxed message.
            code = super().main(args, prog_name, complete_var, False, windows_expand_args, **extra)
        except typer.TyperException as error:
            code = error.exit_code
            # Running `fastgen` alone has printed the help: nothing was refused.
            if type(error).__name__ != "NoArgsIsHelpError":
                message = _usage_message(error).rstrip(".")
                ctx = getattr(error, "ctx", None)
                hint = f" (see '{ctx.command_path} --help')" if ctx is not None else ""
                _error(message[:1].lower() + message[1:] + hint)
        except typer.Abort:  # end of input at a prompt
            err.print("aborted: nothing was written")
            code = 1
        code = code if isinstance(code, int) else 0
        if standalone_mode:
            sys.exit(code)
        return code


def _usage_message(error: typer.TyperException) -> str:
    """The parser's message; for an unknown option, a suggestion only when one is
    close (`--dry-rn`: --dry-run), never a list of unrelated options."""
    option = getattr(error, "option_name", None)
    # Only NoSuchOption: a missing value (BadOptionUsage) names its option too.
    if type(error).__name__ != "NoSuchOption" or not isinstance(option, str):
        return error.format_message()
    possibilities = getattr(error, "possibilities", None) or []
    close = difflib.get_close_matches(
        option.lstrip("-"), [p.lstrip("-") for p in possibilities], n=1, cutoff=0.75
    )
    hint = next((f" (did you mean {p}?)" for p in possibilities if p.lstrip("-") in close), "")
    return f"No such option: {option}{hint}"


class _PlainArgument(TyperArgument):
    """An argument shown as what to type: NAME, [NAME], FIELD... (no <str>, no {name})."""

    def _plain_name(self) -> str:
        name = self.metavar or (self.name or "").upper()
        return name + ("..." if self.nargs != 1 else "")

    def _usage_display_name(self) -> str:
        return self._plain_name() if self.required else f"[{self._plain_name()}]"

    def _rich_display_name(self) -> str:
        return self._plain_name()

    def display_type_rich(self, ctx: Any) -> str | None:
        return None


def _plain_help(command: Any) -> None:
    """Every command's help in one style: arguments as _PlainArgument shows them,
    an option's value named by its metavar (its upper-case name when it has none)."""
    for param in command.params:
        if isinstance(param, TyperArgument):
            param.__class__ = _PlainArgument
        elif isinstance(param, TyperOption) and param.metavar is None and not param.is_flag:
            param.metavar = (param.name or "value").upper()
    for sub in getattr(command, "commands", {}).values():
        _plain_help(sub)


# Plain help (the argument parser's own layout): rich help shows types such as
# <bool> and <list[str]> that cannot be typed as shown; every value an option
# takes is named by its metavar instead (KEY=VALUE, DIR, FILE).
app = typer.Typer(
    name="fastgen",
    cls=_OneLineErrors,
    help="Generate layered FastAPI backends that work the moment they are made.",
    epilog=EXAMPLES,
    no_args_is_help=True,
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
)


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


def _status(quiet: bool) -> Callable[[str], AbstractContextManager[object]]:
    """A spinner with a message while a step runs; nothing under --quiet."""
    return (lambda _message: contextlib.nullcontext()) if quiet else out.status


class _CtrlC:
    """Ctrl-C raises KeyboardInterrupt, as by default, and is remembered: code that
    catches every exception may hand it on as an error of its own (pydantic-core
    does while copier's import builds its models), and it is still the user's Ctrl-C."""

    pressed = False

    @classmethod
    def handle(cls, _number: int, _frame: object) -> None:
        cls.pressed = True
        raise KeyboardInterrupt


@contextlib.contextmanager
def _exit_codes(interrupted: str) -> Iterator[None]:
    """Refused input: exit 2; a failed step: exit 1; Ctrl-C: exit 130. One line each."""
    try:
        yield
    except UserInputError as error:
        raise _fail(error.message, 2) from None
    except WorkFailed as error:
        raise _fail(error.message, 1) from None
    except (KeyboardInterrupt, Exception) as error:
        if not (isinstance(error, KeyboardInterrupt) or _CtrlC.pressed):
            raise
        err.print(f"interrupted: {interrupted}")
        raise typer.Exit(code=130) from None


@app.command(
    short_help="Create a new project.",
    epilog=(
        "Examples:\n\n\b\n"
        "  fastgen new shop\n"
        "  fastgen new shop --defaults --output-dir ~/code --no-git\n"
        "  fastgen new shop --spec shop.yaml --data redis=true --data database=postgresql\n"
        "  fastgen new --spec shop.yaml --defaults --dry-run"
    ),
)
def new(
    # Described in the docstring: the help's argument list would show it as `NAME <str>`.
    name: Annotated[str | None, typer.Argument(metavar="NAME", hidden=True)] = None,
    defaults: Annotated[
        bool, typer.Option("--defaults", help="Ask nothing; use defaults for what is not given.")
    ] = False,
    spec: Annotated[
        Path | None,
        typer.Option(
            "--spec",
            metavar="FILE",
            help="YAML file of answers (see `fastgen schema`).",
            dir_okay=False,
        ),
    ] = None,
    data: Annotated[
        list[str] | None,
        typer.Option(
            "--data",
            "-d",
            metavar="KEY=VALUE",
            help="One answer; repeatable; beats --spec.",
        ),
    ] = None,
    output_dir: Annotated[
        Path,
        typer.Option("--output-dir", "-o", metavar="DIR", help="Folder to create the project in."),
    ] = Path("."),
    force: Annotated[
        bool,
        typer.Option("--force", help="Write into a non-empty folder, replacing template files."),
    ] = False,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="List the files that would be written; write none.")
    ] = False,
    no_git: Annotated[
        bool, typer.Option("--no-git", help="Do not make the project a git repository.")
    ] = False,
    verbose: Annotated[
        bool, typer.Option("--verbose", "-v", help="List every file written.")
    ] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print nothing but errors.")] = False,
) -> None:
    """Create a new project named NAME, in the folder its slug names (`My Shop`: ./my-shop).

    NAME may be left out when the --spec file names the project (project_name);
    on a terminal, it is then asked for.
    """
    from fastgen.new import new_project
    from fastgen.prompt import ask_missing

    interactive = not defaults and sys.stdin.isatty()
    with _exit_codes("nothing was written"):
        result = new_project(
            name,
            spec=spec,
            data=data or (),
            output_dir=output_dir,
            force=force,
            dry_run=dry_run,
            git=not no_git,
            prompter=(
                (lambda q, given, resources: ask_missing(q, given, out, resources))
                if interactive
                else None
            ),
            status=_status(quiet),
        )
    if not quiet:
        _report(result, files=verbose or dry_run)


def _file_tree(result: NewResult) -> Tree:
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
    return tree


def _report(result: NewResult, files: bool) -> None:
    """The summary line and the next commands; the file tree when asked (or a dry run)."""
    answers = result.answers
    if files:
        out.print(_file_tree(result))
        out.print()
    variant = ", ".join(
        [f"python {answers['python_version']}", answers["database"]]
        + ["redis" if answers["redis"] else "no redis"]
        + [
            k
            for k in (
                "rate_limit",
                "csrf",
                "admin",
                "example_items",
                "docker",
                "kubernetes",
                "metrics",
                "tracing",
            )
            if answers[k]
        ]
        + ([f"ci={answers['ci']}"] if answers["ci"] != "none" else [])
    )
    verb = "Would write" if result.dry_run else "Wrote"
    summary = f"{verb} {len(result.files)} files to {result.target} ({variant})."
    out.print(summary, markup=False, highlight=False, soft_wrap=True)
    if result.resources:
        added = ", ".join(result.resources)
        verb = "Would add" if result.dry_run else "Added"
        out.print(f"{verb} resources: {added}.", markup=False, highlight=False, soft_wrap=True)
    if result.dry_run:
        return
    if result.git:
        out.print("Made a git repository with one commit.")
    for note in result.notes:
        out.print(f"note: {note}", markup=False, highlight=False, soft_wrap=True)
    out.print("\nNext:\n")
    for command in result.next_commands:
        out.print(f"  {command}", markup=False, highlight=False, soft_wrap=True)  # copy-pasteable


ProjectDir = Annotated[
    Path | None,
    typer.Option(
        "--project-dir", "-p", metavar="DIR", help="The project (default: the current folder)."
    ),
]


add_app = typer.Typer(help="Add to an existing project.", no_args_is_help=True)
app.add_typer(add_app, name="add")

FIELD_HELP = "\n\n".join(
    [
        "Fields are NAME:TYPE[:ARG][:MODIFIER]... (no quoting needed).",
        "TYPE: str, text, int, float, decimal, bool, date, datetime, uuid, json, email, enum, ref.",
        "ARG, right after the type: str:120 (maximum length, default 255), decimal:10,2 "
        "(precision, scale; default 10,2), enum:draft,published (the choices; required), "
        "ref:Category or ref:User (the referenced resource; required; becomes category_id).",
        "MODIFIER, any order: optional (nullable, may be left out), unique, index, default=VALUE, "
        "and on ref:User any_user (a writer may name any user, not only themselves; which "
        "user ids exist is then told by 404 against 201); and for a ref on_delete=RULE: what "
        "deleting the referenced row does to the rows pointing at it. restrict (the default; "
        "ref:User's is set_null when optional, cascade when required) refuses the delete with "
        "a 409 naming them, cascade deletes them too, set_null (optional refs only) empties "
        "their reference, as in order:ref:Order:on_delete=cascade.",
        "unique and index are refused on text, json and a str over 600 characters (an "
        "index row's limit); a default is checked as the API checks a value.",
    ]
)

LIST_HELP = (
    "The list (GET /api/v1/PLURAL/) takes skip, limit, sort=FIELD or -FIELD, and filters: "
    "FIELD=VALUE on every field but text and json; FIELD__gte and FIELD__lte (inclusive) on "
    "int, float, decimal, date and datetime; FIELD__contains (any case; % and _ are plain "
    "characters) on str and email. A ref category filters as category_id."
)


@add_app.command(
    "resource",
    help="Add a CRUD resource through every layer: model, schemas, repository, service, "
    "router, migration and tests.\n\n" + FIELD_HELP + "\n\n" + LIST_HELP,
    epilog=(
        "Examples:\n\n\b\n"
        "  fastgen add resource Category name:str:80:unique\n"
        "  fastgen add resource Product name:str:120:unique price:decimal:10,2 "
        "stock:int:default=0 status:enum:draft,published:default=draft "
        "notes:text:optional category:ref:Category\n"
        "  fastgen add resource Category name:str:80:unique --access catalog\n"
        "  fastgen add resource OrderLine order:ref:Order:on_delete=cascade product:ref:Product "
        "quantity:int --access parent:order --dry-run"
    ),
)
def add_resource(
    name: Annotated[str, typer.Argument(help="Class name of the resource (Product, OrderLine).")],
    fields: Annotated[
        list[str] | None,
        typer.Argument(metavar="FIELD", help="Fields as NAME:TYPE[:ARG][:MODIFIER]..."),
    ] = None,
    project_dir: ProjectDir = None,
    plural: Annotated[
        str | None, typer.Option("--plural", help="Table and URL name (default: English plural).")
    ] = None,
    access: Annotated[
        str | None,
        typer.Option(
            "--access",
            metavar="MODE",
            help="Who reads and writes the rows: owned (the default: each row its "
            "creator's; admins see all), catalog (every signed-in user reads; only admins "
            "write), shared (every signed-in user reads and writes every row) or "
            "parent:FIELD (a row follows the row its required reference FIELD points at, "
            "for every verb, as an order's lines follow their order).",
        ),
    ] = None,
    owned: Annotated[
        bool | None,
        typer.Option("--owned/--no-owned", help="Older synonyms of --access owned / shared."),
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="List what would be created and changed; write none.")
    ] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print nothing but errors.")] = False,
) -> None:
    from fastgen.commands.access import access_of
    from fastgen.commands.add_resource import add_resource as run

    with _exit_codes("the project was left as it was"):
        result = run(
            name,
            fields or (),
            project_dir=project_dir,
            plural=plural,
            access=access_of(owned, access),
            dry_run=dry_run,
            status=_status(quiet),
        )
    if not quiet:
        _report_resource(result)


def _report_resource(result: AddResult) -> None:
    verb = ("Would create", "Would change") if result.dry_run else ("Created", "Changed")
    for label, files in zip(verb, (result.created, result.changed), strict=True):
        tree = Tree(Text(f"{label} ({len(files)})", style="bold"))
        for rel in files:
            tree.add(Text(rel))
        out.print(tree)
    if result.dry_run:
        return
    out.print(f"\nAdded {result.names.plural} at /api/v1{result.names.url}.\n\nNext:\n")
    for command in result.next_commands:
        out.print(f"  {command}", markup=False, highlight=False, soft_wrap=True)


DryRun = Annotated[
    bool, typer.Option("--dry-run", help="Print the plan and the files; write nothing.")
]
Quiet = Annotated[bool, typer.Option("--quiet", "-q", help="Print nothing but errors.")]
Force = Annotated[
    bool,
    typer.Option(
        "--force", help="Allow removing enum choices: their rows get the default (or none)."
    ),
]
ResourceName = Annotated[
    str, typer.Argument(metavar="RESOURCE", help="The resource's class name (Product).")
]
CHANGE_HELP = (
    "Re-renders the resource's files with the same three-way merge as `fastgen update` "
    "(your edits stay; where they meet the change, conflict markers, exit 1) and writes "
    "one Alembic revision after the head. --dry-run prints the plan, data losses included."
)
EVOLVE_INTERRUPTED = "the project was left as it was"


@add_app.command(
    "field",
    help="Add fields to a resource, with a migration adding their columns.\n\n"
    + CHANGE_HELP
    + "\n\nA required field needs default=VALUE: it fills the rows the table has.\n\n"
    + FIELD_HELP,
    epilog=(
        "Examples:\n\n\b\n"
        "  fastgen add field Product rating:float:optional\n"
        "  fastgen add field Product stock:int:default=0 sku:str:40:unique:optional"
    ),
)
def add_field(
    resource: ResourceName,
    fields: Annotated[
        list[str], typer.Argument(metavar="FIELD", help="Fields as NAME:TYPE[:ARG][:MODIFIER]...")
    ],
    project_dir: ProjectDir = None,
    dry_run: DryRun = False,
    quiet: Quiet = False,
) -> None:
    _evolve("add_fields", resource, fields, project_dir=project_dir, dry_run=dry_run, quiet=quiet)


remove_app = typer.Typer(help="Remove from an existing project.", no_args_is_help=True)
app.add_typer(remove_app, name="remove")
rename_app = typer.Typer(help="Rename in an existing project.", no_args_is_help=True)
app.add_typer(rename_app, name="rename")
change_app = typer.Typer(help="Change in an existing project.", no_args_is_help=True)
app.add_typer(change_app, name="change")


@remove_app.command(
    "field",
    help="Remove fields from a resource, with a migration dropping their columns "
    "(their data is lost; downgrade re-adds them empty).\n\n" + CHANGE_HELP,
    epilog="Examples:\n\n\b\n  fastgen remove field Product notes --dry-run\n"
    "  fastgen remove field Product notes rating",
)
def remove_field(
    resource: ResourceName,
    names: Annotated[list[str], typer.Argument(metavar="NAME", help="The fields' names.")],
    project_dir: ProjectDir = None,
    dry_run: DryRun = False,
    quiet: Quiet = False,
) -> None:
    _evolve("remove_fields", resource, names, project_dir=project_dir, dry_run=dry_run, quiet=quiet)


@remove_app.command(
    "resource",
    help="Remove a resource: unwire its router and model, delete its files and record, "
    "and write a migration dropping its table (its rows are lost; downgrade recreates it "
    "empty). Refused while another resource references it.",
    epilog="Examples:\n\n\b\n  fastgen remove resource Category --dry-run\n"
    "  fastgen remove resource Category",
)
def remove_resource(
    resource: ResourceName,
    project_dir: ProjectDir = None,
    dry_run: DryRun = False,
    quiet: Quiet = False,
) -> None:
    _evolve("remove_resource", resource, project_dir=project_dir, dry_run=dry_run, quiet=quiet)


@rename_app.command(
    "field",
    help="Rename a field, with a migration renaming its column (values kept; its index, "
    "unique constraint and foreign key follow).\n\n" + CHANGE_HELP,
    epilog="Example:\n\n  fastgen rename field Product title name",
)
def rename_field(
    resource: ResourceName,
    old: Annotated[str, typer.Argument(help="The field's name now.")],
    new: Annotated[str, typer.Argument(help="Its new name.")],
    project_dir: ProjectDir = None,
    dry_run: DryRun = False,
    quiet: Quiet = False,
) -> None:
    _evolve(
        "rename_field", resource, old, new, project_dir=project_dir, dry_run=dry_run, quiet=quiet
    )


@change_app.command(
    "field",
    help="Change a field to a whole new definition (type, length, precision, optional, "
    "unique, index, default, choices), with a migration that converts the column.\n\n"
    + CHANGE_HELP
    + "\n\nType changes with a cast: int -> float, decimal, str, text; float -> decimal, "
    "str, text; decimal -> float, str, text; str <-> text; email -> str, text; enum -> str, "
    "text. Making a field required needs default=VALUE for its empty rows.",
    epilog=(
        "Examples:\n\n\b\n"
        "  fastgen change field Product name:str:200:unique\n"
        "  fastgen change field Product stock:decimal:12,3:default=0\n"
        "  fastgen change field Product status:enum:draft,live:default=draft --force"
    ),
)
def change_field(
    resource: ResourceName,
    definition: Annotated[
        str, typer.Argument(metavar="FIELD", help="The field's whole new definition.")
    ],
    project_dir: ProjectDir = None,
    force: Force = False,
    dry_run: DryRun = False,
    quiet: Quiet = False,
) -> None:
    _evolve(
        "change_field",
        resource,
        definition,
        project_dir=project_dir,
        force=force,
        dry_run=dry_run,
        quiet=quiet,
    )


@change_app.command(
    "access",
    help="Change who reads and writes a resource's rows among catalog, shared and "
    "parent:FIELD (see `fastgen add resource --help`). Their table stays as it is, so no "
    "migration is written; the resource's files, and the tests of the resources that "
    "reference it, are re-rendered with your edits kept. A change from or to owned is "
    "refused: owned rows hold their owner (owner_id), which the other modes' rows have not.",
    epilog="Examples:\n\n\b\n  fastgen change access Category catalog --dry-run\n"
    "  fastgen change access Note parent:order",
)
def change_access(
    resource: ResourceName,
    mode: Annotated[str, typer.Argument(metavar="MODE", help="catalog, shared or parent:FIELD.")],
    project_dir: ProjectDir = None,
    dry_run: DryRun = False,
    quiet: Quiet = False,
) -> None:
    _evolve("change_access", resource, mode, project_dir=project_dir, dry_run=dry_run, quiet=quiet)


@app.command(
    epilog=(
        "Examples:\n\n\b\n"
        "  fastgen resources > resources.yaml   write the definitions in force\n"
        "  fastgen apply --dry-run              the plan: files, migrations, data lost\n"
        "  fastgen apply                        carry it out"
    )
)
def apply(
    file: Annotated[
        Path | None,
        typer.Argument(
            metavar="FILE",
            help="The resources' definitions (default: resources.yaml in the project).",
        ),
    ] = None,
    project_dir: ProjectDir = None,
    force: Force = False,
    dry_run: DryRun = False,
    quiet: Quiet = False,
) -> None:
    """Bring the project's resources to the definitions in a file: `resources:` as in a
    spec file, each with the `renames:` it declares (old: new; a rename is never guessed).
    Resources the file leaves out are removed, new ones added, changed ones evolve: one
    migration each, your edits kept (conflicts listed, exit 1)."""
    _evolve("apply", file, project_dir=project_dir, force=force, dry_run=dry_run, quiet=quiet)


@app.command(epilog="Example:\n\n  fastgen resources > resources.yaml")
def resources(project_dir: ProjectDir = None) -> None:
    """Print the project's resources as `fastgen apply` reads them (YAML)."""
    from fastgen.commands.evolve import export_resources

    with _exit_codes("nothing was written"):
        text = export_resources(project_dir)
    out.print(text, end="", markup=False, highlight=False, soft_wrap=True)


def _evolve(command: str, *args: Any, quiet: bool, **options: Any) -> None:
    """Run a command of fastgen.commands.evolve, then report its plan and files."""
    from fastgen.commands import evolve

    with _exit_codes(EVOLVE_INTERRUPTED):
        result = getattr(evolve, command)(*args, status=_status(quiet), **options)
    _report_evolve(result, quiet)


def _report_evolve(result: EvolveResult, quiet: bool) -> None:
    if not quiet:
        for cls in result.added:
            verb = "Would add" if result.dry_run else "Added"
            out.print(Text(f"{verb} resource {cls} (see the files below)", style="bold"))
        for plan in result.plans:
            steps = plan.steps()
            if not steps:
                continue
            title = f"{plan.cls} ({plan.plural})"
            if plan.revision:
                title += f": {plan.revision}"
            tree = Tree(Text(title, style="bold"))
            for step, risks in steps:
                node = tree.add(Text(step))
                for risk in risks:
                    node.add(Text(risk, style="bold red" if "DATA" in risk else "yellow"))
            out.print(tree)
        verbs = ("Would create", "Would change", "Would delete") if result.dry_run else (
            "Created", "Changed", "Deleted"
        )  # fmt: skip
        for label, files in zip(
            verbs, (result.created, result.changed, result.deleted), strict=True
        ):
            if files:
                tree = Tree(Text(f"{label} ({len(files)})", style="bold"))
                for rel in files:
                    tree.add(Text(rel))
                out.print(tree)
        if not result.dry_run and not result.conflicts:
            out.print("\nNext:\n")
            for command in result.next_commands:
                out.print(f"  {command}", markup=False, highlight=False, soft_wrap=True)
    if result.conflicts:
        for rel in result.conflicts:
            err.print(f"conflict: {rel}", markup=False, highlight=False, soft_wrap=True)
        raise typer.Exit(code=1)


class ConflictMode(StrEnum):
    inline = "inline"
    rej = "rej"


@app.command(
    epilog=(
        "Examples:\n\n\b\n"
        "  fastgen update                      to this fastgen's template version\n"
        "  fastgen update --dry-run            list what would change; change nothing\n"
        "  fastgen update --data redis=true    change an answer while updating\n"
        "  fastgen update --to 0.2.0 --conflict rej"
    )
)
def update(
    project_dir: ProjectDir = None,
    to: Annotated[
        str | None,
        typer.Option("--to", metavar="VERSION", help="Template version (default: this fastgen's)."),
    ] = None,
    conflict: Annotated[
        ConflictMode,
        typer.Option(
            "--conflict",
            metavar="[inline|rej]",
            help="inline: conflict markers in the file; rej: the template's version, "
            "and the hunk in FILE.rej.",
        ),
    ] = ConflictMode.inline,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="List what would change; change nothing.")
    ] = False,
    data: Annotated[
        list[str] | None,
        typer.Option(
            "--data",
            "-d",
            metavar="KEY=VALUE",
            help="Change one answer, KEY=VALUE; repeatable. A table it adds or removes "
            "gets a new Alembic revision after the head.",
        ),
    ] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print nothing but errors.")] = False,
) -> None:
    """Bring the project to a newer template version, keeping your edits (3-way merge).

    Needs a clean git worktree. Exit 0: updated (review with `git diff`); 1: some
    files have conflicts (listed) to resolve by hand; 2: refused, nothing touched.
    """
    from fastgen.commands.update import update_project

    with _exit_codes("nothing was written"):
        result = update_project(
            project_dir,
            to=to,
            conflict=conflict.value,
            dry_run=dry_run,
            data=data or (),
            status=_status(quiet),
        )
    if not quiet:
        _report_update(result)
    if result.conflicts:
        for rel in result.conflicts:
            err.print(f"conflict: {rel}", markup=False, highlight=False, soft_wrap=True)
        raise typer.Exit(code=1)


def _report_update(result: UpdateResult) -> None:
    if result.old_version == result.new_version and not result.changes:
        out.print(f"Already at template version {result.new_version}; nothing to do.")
        return
    verb = "Would update" if result.dry_run else "Updated"
    out.print(
        f"{verb} {result.project} from {result.old_version} to {result.new_version}.",
        markup=False, highlight=False, soft_wrap=True,
    )  # fmt: skip
    for code, rel in result.changes:
        out.print(f"  {code} {rel}", markup=False, highlight=False, soft_wrap=True)
    if not result.changes:
        out.print("  (no file changed)")
        return
    if result.lock:
        out.print(f"\n{result.lock}", markup=False, highlight=False, soft_wrap=True)
    settings = ", ".join(key for key, _lines in result.follow_up.settings)
    if result.env_added:
        said = f".env: added {', '.join(result.env_added)}, at the defaults of .env.example"
        out.print(f"\n{said}", markup=False, highlight=False, soft_wrap=True)
    elif settings:
        said = ".env would get" if result.dry_run else "New settings, not in .env:"
        out.print(f"\n{said} {settings}", markup=False, highlight=False, soft_wrap=True)
    steps = result.next_steps()
    out.print("\nNext:" if not result.dry_run else "\nAfter the update:")
    width = max(len(command) for command, _why in steps)
    for command, why in steps:
        out.print(f"  {command.ljust(width)}  # {why}", markup=False, highlight=False,
                  soft_wrap=True)  # fmt: skip


@app.command(
    epilog=(
        "Exit codes: 0 up to date; 3 behind (an older template version than this "
        "fastgen's); 4 drifted (a template-owned file was edited); 5 both; 2 refused.\n\n"
        "Examples:\n\n\b\n"
        "  fastgen check\n"
        "  fastgen check --diff\n"
        "  fastgen check --project-dir services/api\n\n"
        "A file edited on purpose is taken over in pyproject.toml, and check skips it:\n\n\b\n"
        "  [tool.fastgen]\n"
        '  owned = ["Dockerfile"]'
    )
)
def check(
    project_dir: ProjectDir = None,
    diff: Annotated[
        bool,
        typer.Option(
            "--diff", help="Show each drifted file's diff from its template version's render."
        ),
    ] = False,
) -> None:
    """Check, writing nothing, that the project is on this fastgen's template version and
    that no template-owned file (CI, Docker, middleware, security) was edited, but those
    the project took over."""
    from fastgen.commands.check import check_project

    with _exit_codes("nothing was written"):
        result = check_project(project_dir, diff=diff)
    _report_check(result)
    raise typer.Exit(code=result.exit_code)


def _report_check(result: CheckResult) -> None:
    if result.behind:
        out.print(
            f"behind: the project is at template {result.recorded}, this fastgen has "
            f"{result.installed} (run `fastgen update`)",
            markup=False, highlight=False, soft_wrap=True,
        )  # fmt: skip
    if result.changed_within:
        out.print(
            f"behind: template {result.recorded} is this fastgen's development version, and "
            "it changed after the project was made (no version bump): "
            f"{', '.join(result.changed_within)} "
            f"{'is' if len(result.changed_within) == 1 else 'are'} as its earlier state made "
            "them, not edited; `fastgen update` cannot merge within one version",
            markup=False, highlight=False, soft_wrap=True,
        )  # fmt: skip
    for rel in result.owned:
        out.print(
            f"owned: {rel} is the project's ([tool.fastgen] owned in pyproject.toml), not checked",
            markup=False, highlight=False, soft_wrap=True,
        )  # fmt: skip
    for rel in result.drifted:
        out.print(
            f"drifted: {rel} differs from template {result.recorded}",
            markup=False, highlight=False, soft_wrap=True,
        )  # fmt: skip
    for text in result.diffs.values():
        out.print(text, markup=False, highlight=False, soft_wrap=True, end="")
    if not result.exit_code:
        mine = " but the project's own" if result.owned else ""
        out.print(
            f"up to date: template {result.recorded}, no template-owned file edited{mine}",
            markup=False, highlight=False, soft_wrap=True,
        )  # fmt: skip


@app.command(
    short_help="Print the JSON Schema of spec files.",
    epilog="Example:\n\n  fastgen schema > fastgen-spec.schema.json",
)
def schema() -> None:
    """Print the JSON Schema of spec files (answers and resources; for editors and checks)."""
    from fastgen import template
    from fastgen.questions import Questionnaire
    from fastgen.spec import spec_schema

    questions = Questionnaire.from_file(template.template_root() / "copier.yml")
    out.print_json(json.dumps(spec_schema(questions)))


def main() -> None:
    signal.signal(signal.SIGINT, _CtrlC.handle)
    app(prog_name="fastgen")  # also under `python -m fastgen`: help and errors name the command
