"""Asking the questions of copier.yml on a terminal.

Each answer is checked as soon as it is typed, with the validator from
copier.yml; a refused answer shows why and the question is asked again. Yes/no
questions take y, yes, n or no; choices take a prefix that names one of them
(`post`) or a common alias (`pg`). Before anything is written, the answers are
shown and confirmed; declining asks again, each answer given becoming the
default.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rich.console import Console
from rich.prompt import Prompt
from rich.table import Table
from rich.text import Text

from fastgen.errors import InvalidAnswer
from fastgen.questions import Answers, Question, Questionnaire, yes_or_no
from fastgen.spec import EXAMPLE_ITEMS

# Other names people give a choice; used only where the choice is offered.
_ALIASES = {"pg": "postgresql", "postgres": "postgresql", "sqlite3": "sqlite", "gh": "github"}


def ask_missing(
    questions: Questionnaire,
    given: Answers,
    console: Console,
    resources: Sequence[str] = (),
) -> Answers:
    """Ask every visible question that has no answer yet, in copier.yml's order,
    until the user confirms the answers (shown with the spec's `resources`)."""
    previous: Answers = {}
    while True:
        answers: Answers = {}
        for question in questions.asked:
            if question.name in given:
                answers[question.name] = given[question.name]
            else:
                default = previous.get(question.name, questions.default_for(question, answers))
                answers[question.name] = _ask_until_valid(
                    questions, question, answers, default, console
                )
        console.print(_summary(answers, resources))
        if _confirm("Write the project with these answers?", console):
            return answers
        previous = answers


def _confirm(question: str, console: Console) -> bool:
    while True:
        reply = Prompt.ask(Text(f"{question} [y/n]"), default="y", console=console)
        if (meant := yes_or_no(reply)) is not None:
            return meant
        console.print(Text("Please answer y or n.", style="red"))


def _summary(answers: Answers, resources: Sequence[str] = ()) -> Table:
    table = Table(show_header=False, box=None, padding=(0, 2))
    for name, value in answers.items():
        shown = ("yes" if value else "no") if isinstance(value, bool) else str(value)
        table.add_row(Text(name, style="bold"), Text(shown))  # Text: never markup
    added = resource_names(answers, resources)
    if added:
        table.add_row(Text("resources", style="bold"), Text(", ".join(added)))
    return table


def resource_names(answers: Answers, resources: Sequence[str]) -> list[str]:
    """The resources the project gets, in order: the example's, then the spec's."""
    return ([EXAMPLE_ITEMS.name] if answers.get("example_items") else []) + list(resources)


def _ask_until_valid(
    questions: Questionnaire, question: Question, answers: Answers, default: Any, console: Console
) -> object:
    if question.type == "bool":
        options, shown_default = " [y/n]", "y" if default else "n"
    else:
        options = f" [{'/'.join(question.choices)}]" if question.choices else ""
        shown_default = "" if default is None else str(default)
    while True:
        reply = Prompt.ask(
            Text(question.help + options),  # Text: the help's brackets are not markup
            default=shown_default,
            show_default=bool(shown_default),  # an empty default would show as "()"
            console=console,
        )
        try:
            value = question.coerce(_resolve_choice(question, reply.strip()))
        except InvalidAnswer as error:
            console.print(Text(error.message, style="red"))
            continue
        message = questions.problem(question, {**answers, question.name: value})
        if message is None:
            return value
        console.print(Text(message, style="red"))  # never markup: it echoes the answer


def _resolve_choice(question: Question, reply: str) -> str:
    """The choice a reply names: itself, an alias, or the one choice it begins."""
    if not question.choices or reply in question.choices:
        return reply
    lowered = reply.lower()
    alias = _ALIASES.get(lowered)
    if alias in question.choices:
        return alias
    matches = [choice for choice in question.choices if choice.startswith(lowered)]
    if len(matches) == 1 and lowered:
        return matches[0]
    if len(matches) > 1:
        raise InvalidAnswer(f"{question.name}: {reply!r} could be any of: {', '.join(matches)}")
    return reply  # coerce refuses it, listing the choices
