"""Asking the questions of copier.yml on a terminal.

Each answer is checked as soon as it is typed, with the validator from
copier.yml; a refused answer shows the validator's message and the question is
asked again.
"""

from __future__ import annotations

from rich.console import Console
from rich.prompt import Confirm, Prompt
from rich.text import Text

from fastgen.errors import InvalidAnswer
from fastgen.questions import Answers, Question, Questionnaire


def ask_missing(questions: Questionnaire, given: Answers, console: Console) -> Answers:
    """Ask every visible question that has no answer yet, in copier.yml's order."""
    answers: Answers = {}
    for question in questions.asked:
        if question.name in given:
            answers[question.name] = given[question.name]
        else:
            answers[question.name] = _ask_until_valid(questions, question, answers, console)
    return answers


def _ask_until_valid(
    questions: Questionnaire, question: Question, answers: Answers, console: Console
) -> object:
    default = questions.default_for(question, answers)
    while True:
        if question.type == "bool":
            raw: object = Confirm.ask(question.help, default=bool(default), console=console)
        else:
            raw = Prompt.ask(
                question.help,
                choices=list(question.choices) or None,
                default=default if default is not None else ...,
                show_default=bool(default),  # an empty default would show as "()"
                console=console,
            )
        try:
            value = question.coerce(raw)
        except InvalidAnswer as error:
            console.print(Text(error.message, style="red"))
            continue
        message = questions.problem(question, {**answers, question.name: value})
        if message is None:
            return value
        console.print(Text(message, style="red"))  # never markup: it echoes the answer
