"""Answers from a YAML spec file, checked against the questions before anything renders.

Errors name the file, the line and the key, so that an editor jumps right there.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from fastgen.errors import InvalidAnswer, SpecError
from fastgen.questions import Answers, Questionnaire


def load_spec(path: Path, questions: Questionnaire) -> tuple[Answers, dict[str, str]]:
    """Read a spec file into coerced answers and, for each key, its `file:line`.

    Defaults are not filled in here; the line lets later checks say where an
    answer that breaks a rule was written.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise SpecError(f"{path}: cannot read the spec file: {error}") from None
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark else str(path)
        problem = getattr(error, "problem", None) or str(error)
        raise SpecError(f"{where}: not valid YAML: {problem}") from None
    if root is None:
        return {}, {}
    if not isinstance(root, yaml.MappingNode):
        raise SpecError(f"{path}:{root.start_mark.line + 1}: the spec must be a mapping of answers")

    answers: Answers = {}
    lines: dict[str, str] = {}
    loader = yaml.SafeLoader(text)
    for key_node, value_node in root.value:
        where = f"{path}:{key_node.start_mark.line + 1}"
        if not isinstance(key_node, yaml.ScalarNode):
            raise SpecError(f"{where}: keys must be plain names")
        key = key_node.value
        if key in lines:
            raise SpecError(f"{where}: {key!r} is given twice (first at {lines[key]})")
        lines[key] = where
        question = questions.question(key, f"{where}: ")
        try:
            value: Any = (
                # Text answers keep what was written: `python_version: 3.10` is
                # "3.10", not the float 3.1.
                value_node.value
                if question.type != "bool" and isinstance(value_node, yaml.ScalarNode)
                else loader.construct_object(value_node, deep=True)
            )
        except yaml.YAMLError as error:
            problem = getattr(error, "problem", None) or "cannot be read"
            raise SpecError(f"{where}: {key}: {problem}") from None
        try:
            answers[key] = question.coerce(value)
        except InvalidAnswer as error:
            raise error.at(where) from None
    return answers, lines
