"""`fastgen new`: gather answers -> validate -> render into staging -> move into place -> report.

Usable as a library; the CLI only parses options, supplies the prompt and the
progress display, and prints the result.
"""

from __future__ import annotations

import contextlib
import shutil
import tempfile
from collections.abc import Callable, Iterable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path

from fastgen import gitrepo, template
from fastgen.errors import InvalidAnswer, TargetNotEmpty, UnsafeTarget
from fastgen.questions import Answers, Questionnaire
from fastgen.render import place, project_files, render, write_env
from fastgen.spec import load_spec

Prompter = Callable[[Questionnaire, Answers], Answers]
Status = Callable[[str], AbstractContextManager[object]]


@dataclass(frozen=True)
class NewResult:
    target: Path
    files: list[str]
    answers: Answers
    dry_run: bool
    git: bool


def new_project(
    name: str,
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
    source = template.snapshot()
    questions = Questionnaire.from_file(source / "copier.yml")

    given, origins = gather_answers(questions, name, spec, data)
    try:
        questions.complete(given)  # refuse bad given answers before asking anything else
    except InvalidAnswer as error:
        raise error.at(origins.get(error.key or "")) from None
    if prompter is not None:
        given = prompter(questions, given)
    answers = questions.complete(given)

    target = output_dir / answers["project_slug"]
    check_target(target, force)

    parent = Path(tempfile.gettempdir()) if dry_run else _existing_parent(output_dir)
    staging = Path(tempfile.mkdtemp(prefix=f".{answers['project_slug']}-", dir=parent))
    made_repo = False
    try:
        with status("Rendering the project"):
            render(source, questions, answers, staging)
        if not dry_run:
            made_repo = git and _is_new(target) and gitrepo.git_available()
            if made_repo:
                with status("Creating the git repository"):
                    gitrepo.init_with_commit(staging)
        # After the commit, so that the secret can never be in the history.
        write_env(staging)
        files = project_files(staging)
        if not dry_run:
            output_dir.mkdir(parents=True, exist_ok=True)
            place(staging, target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return NewResult(target=target, files=files, answers=answers, dry_run=dry_run, git=made_repo)


def gather_answers(
    questions: Questionnaire, name: str, spec: Path | None, data: Iterable[str]
) -> tuple[Answers, dict[str, str]]:
    """Merge answers by precedence (spec file < --data < NAME), with where each came from."""
    given, origins = load_spec(spec, questions) if spec else ({}, {})
    for pair in data:
        key, sep, value = pair.partition("=")
        if not sep:
            raise InvalidAnswer(f"--data {pair!r}: expected KEY=VALUE")
        key = key.strip()
        questions.check_known({key: value}, "--data: ")
        given[key] = questions.questions[key].coerce(value)
        origins.pop(key, None)
    given["project_name"] = name
    origins.pop("project_name", None)
    return given, origins


def check_target(target: Path, force: bool) -> None:
    if target.exists() and not target.is_dir():
        raise UnsafeTarget(f"{target}: exists and is not a folder")
    if target.is_dir() and any(target.iterdir()) and not force:
        raise TargetNotEmpty(f"{target}: folder is not empty (use --force to write into it)")


def _is_new(target: Path) -> bool:
    return not target.exists() or not any(target.iterdir())


def _existing_parent(output_dir: Path) -> Path:
    """The nearest existing folder at or above output_dir: staging sits beside the target.

    Staging on the same file system is what makes the final move one rename.
    """
    folder = output_dir.resolve()
    while not folder.exists():
        folder = folder.parent
    return folder
