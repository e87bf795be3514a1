"""`fastgen new`: gather answers -> validate -> render into staging -> move into place -> report.

Usable as a library; the CLI only parses options, supplies the prompt and the
progress display, and prints the result.
"""

from __future__ import annotations

import contextlib
import shlex
import shutil
import tempfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path

from fastgen import __version__, gitrepo, locks, pythons, template
from fastgen.commands.naming import ResourceNames
from fastgen.errors import InvalidAnswer, SpecError, TargetNotEmpty, UnsafeTarget
from fastgen.questions import Answers, Questionnaire
from fastgen.render import place, project_files, render, write_env
from fastgen.spec import EXAMPLE_ITEMS, RESOURCES, ResourceSpec, load_resources, load_spec

# Asks what is missing: the questions, the answers given, the spec's resources.
Prompter = Callable[[Questionnaire, Answers, Sequence[str]], Answers]
Status = Callable[[str], AbstractContextManager[object]]


@dataclass(frozen=True)
class NewResult:
    target: Path
    files: list[str]
    answers: Answers
    resources: list[str]  # the resources added, in order (class names)
    dry_run: bool
    git: bool
    next_commands: list[str]
    notes: list[str]  # what the user should know before running the next commands


def new_project(
    name: str | None,
    *,
    spec: Path | None = None,
    data: Iterable[str] = (),
    output_dir: Path = Path("."),
    force: bool = False,
    dry_run: bool = False,
    git: bool = True,
    prompter: Prompter | None = None,
    status: Status = lambda _message: contextlib.nullcontext(),
) -> NewResult:
    source = template.ensure()
    questions = local_defaults(Questionnaire.from_file(template.template_root() / "copier.yml"))
    from_spec = load_resources(spec) if spec else []
    answers = collect_answers(questions, name, spec, data, prompter, [r.name for r in from_spec])
    if answers["example_items"]:
        _refuse_the_example_name(from_spec)
    resources = ([EXAMPLE_ITEMS] if answers["example_items"] else []) + from_spec

    target = output_dir / answers["project_slug"]
    check_target(target, force)
    make_repo = git and not dry_run and _is_new(target) and gitrepo.git_available()

    with _staging(answers["project_slug"], None if dry_run else output_dir) as staging:
        with status("Rendering the project"):
            render(source, __version__, questions, answers, staging)
        if resources:
            from fastgen.commands.add_resource import add_from_spec

            with status("Adding the resources"):
                add_from_spec(staging, resources)
        locks.write_tested(staging, template.template_root(), answers["python_version"])
        if make_repo:
            with status("Creating the git repository"):
                gitrepo.init_with_commit(staging)
        write_env(staging)  # after the commit, so the secret can never be in the history
        files = project_files(staging)
        next_commands = [f"cd {shlex.quote(str(target))}", *quick_start(staging / "README.md")]
        if not dry_run:
            output_dir.mkdir(parents=True, exist_ok=True)
            place(staging, target)
    notes = [] if dry_run else _notes()
    added = [resource.name for resource in resources]
    return NewResult(target, files, answers, added, dry_run, make_repo, next_commands, notes)


def _refuse_the_example_name(resources: Iterable[ResourceSpec]) -> None:
    """A spec resource that takes the example's name or table, with the way out."""
    example = ResourceNames.of(EXAMPLE_ITEMS.name, EXAMPLE_ITEMS.plural)
    for resource in resources:
        names = ResourceNames.of(resource.name, resource.plural)
        if names.cls == example.cls or names.plural == example.plural:
            raise SpecError(
                f"{resource.where}: {RESOURCES}: {resource.name}: the example resource "
                f"{example.cls} ({example.plural}) of example_items takes this name; "
                "set `example_items: false` (or --data example_items=false) to define "
                "your own"
            )


def local_defaults(questions: Questionnaire) -> Questionnaire:
    """The questions with the defaults this machine knows better than copier.yml:
    the Python running fastgen, when the template offers it."""
    running = pythons.running_version()
    if running in _choices(questions):
        return questions.with_default("python_version", running)
    return questions


def _notes() -> list[str]:
    """What the user should know before running the next commands."""
    if shutil.which("uv") is None:  # what make runs, not what fastgen could find
        return ["`make install` needs uv, which is not on PATH here: pipx install uv"]
    return []


def _choices(questions: Questionnaire) -> tuple[str, ...]:
    return questions.questions["python_version"].choices


# Stands in for a name the prompt will ask, while the given answers are checked.
_NAME_TO_ASK = "Project"


def collect_answers(
    questions: Questionnaire,
    name: str | None,
    spec: Path | None,
    data: Iterable[str],
    prompter: Prompter | None,
    resources: Sequence[str] = (),
) -> Answers:
    """Given answers checked first, then the prompt (if any) fills the rest, then all again.

    On a terminal (a prompter), a project with no name yet is asked for one.
    """
    given, origins = gather_answers(questions, name, spec, data, ask_name=prompter is not None)
    try:
        questions.complete({"project_name": _NAME_TO_ASK, **given})
    except InvalidAnswer as error:
        raise error.at(origins.get(error.key or "")) from None
    if prompter is not None:
        given = prompter(questions, given, resources)
    return questions.complete(given)


def gather_answers(
    questions: Questionnaire,
    name: str | None,
    spec: Path | None,
    data: Iterable[str],
    ask_name: bool = False,
) -> tuple[Answers, dict[str, str]]:
    """Merge answers by precedence (spec file < --data), with where each came from.

    The project's name is NAME, or the spec's project_name (so that a spec file
    alone can regenerate a project in CI); a NAME that disagrees with the spec
    is refused rather than silently winning, and --data does not name projects.
    """
    given, origins = load_spec(spec, questions) if spec else ({}, {})
    for pair in data:
        key, value = questions.data_pair(pair)
        given[key] = value
        origins[key] = "--data"
    named = given.get("project_name")
    if origins.get("project_name") == "--data":
        raise InvalidAnswer("--data: project_name: give the name as NAME (or in the spec file)")
    if name is None and named is None:
        if ask_name:  # the prompt asks for it
            return given, origins
        raise InvalidAnswer("project_name: give the project's name as NAME (or in the spec file)")
    if name is not None and named is not None and name != named:
        where = origins["project_name"]
        raise InvalidAnswer(f"{where}: project_name: {named!r} disagrees with NAME {name!r}")
    given["project_name"] = name if name is not None else named
    return given, origins


def quick_start(readme: Path) -> list[str]:
    """The commands of the first shell block under the project README's "Quick start"
    and "Checks" headings.

    Printing the README's own commands keeps the two from ever disagreeing.
    """
    wanted = {"Quick start", "Checks"}
    commands: list[str] = []
    section, in_block = "", False
    lines = readme.read_text(encoding="utf-8").splitlines()
    # The title and the user's description come first: start at the first section.
    start = next((i for i, line in enumerate(lines) if line.startswith("## ")), len(lines))
    for line in lines[start:]:
        if line.startswith("```"):
            in_block = not in_block
            if not in_block:
                wanted.discard(section)  # only the first block of each section
        elif not in_block and line.startswith("#"):
            section = line.lstrip("#").strip()
        elif in_block and section in wanted and line.strip():
            commands.append(line)
    return commands


def check_target(target: Path, force: bool) -> None:
    for folder in reversed(target.parents):
        if folder.exists() and not folder.is_dir():
            raise UnsafeTarget(f"{folder}: is not a folder")
    if target.exists() and not target.is_dir():
        raise UnsafeTarget(f"{target}: exists and is not a folder")
    if target.is_dir() and any(target.iterdir()) and not force:
        raise TargetNotEmpty(f"{target}: folder is not empty (use --force to write into it)")


def _is_new(target: Path) -> bool:
    return not target.exists() or not any(target.iterdir())


@contextlib.contextmanager
def _staging(slug: str, output_dir: Path | None) -> Iterator[Path]:
    """A temporary folder, removed on the way out whatever happens (errors, Ctrl-C).

    It sits beside the target (in the nearest existing folder at or above
    output_dir), so that the final move is one rename on the same file system;
    a dry run (output_dir None) stages in the system's temporary folder instead.
    """
    parent = Path(tempfile.gettempdir())
    if output_dir is not None:
        parent = output_dir.resolve()
        while not parent.exists():
            parent = parent.parent
    try:
        staging = Path(tempfile.mkdtemp(prefix=f".{slug}-", dir=parent))
    except OSError as error:
        raise UnsafeTarget(f"{parent}: cannot write here: {error.strerror}") from None
    try:
        yield staging
    finally:
        shutil.rmtree(staging, ignore_errors=True)
