"""The questions of copier.yml, read and enforced outside copier.

copier.yml is the one source of questions: their names, types, choices,
defaults and validators. fastgen reads it to prompt, to check `--data` and spec
files before anything renders, and to print a JSON Schema. Validators and
templated defaults are evaluated with the same sandboxed Jinja that copier uses,
so a rule written once in copier.yml holds for `fastgen new` and `copier copy`.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass, replace
from functools import cached_property
from pathlib import Path
from typing import Any

import yaml
from jinja2.sandbox import SandboxedEnvironment

from fastgen.errors import InvalidAnswer, UnknownQuestion

Answers = dict[str, Any]

_TRUE = {"true", "yes", "y", "on", "1"}
_FALSE = {"false", "no", "n", "off", "0"}


@dataclass(frozen=True)
class Question:
    name: str
    type: str
    help: str
    default: Any
    choices: tuple[str, ...]
    validator: str | None
    hidden: bool

    def coerce(self, value: Any) -> Any:
        """Turn a value from YAML, --data or a prompt into this question's type."""
        if self.type == "bool":
            if isinstance(value, bool):
                return value
            if isinstance(value, str) and (meant := yes_or_no(value)) is not None:
                return meant
            raise InvalidAnswer(
                f"{self.name}: expected yes or no (y, yes, n, no; or true, false), got {value!r}",
                self.name,
            )
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            raise InvalidAnswer(f"{self.name}: expected text, got {_describe(value)}", self.name)
        text = str(value)
        if self.choices and text not in self.choices:
            options = ", ".join(self.choices)
            raise InvalidAnswer(f"{self.name}: {text!r} is not one of: {options}", self.name)
        return text


def yes_or_no(text: str) -> bool | None:
    """What a written yes/no means (y, yes, true, on, 1 / n, no, false, off, 0), or None."""
    word = text.strip().lower()
    return True if word in _TRUE else False if word in _FALSE else None


def _describe(value: Any) -> str:
    kinds = {list: "a list", dict: "a mapping", type(None): "nothing"}
    return kinds.get(type(value), f"{value!r}")


class Questionnaire:
    """The questions of one copier.yml and the Jinja that evaluates their rules."""

    def __init__(self, config: Mapping[str, Any]) -> None:
        self.envops = dict(config.get("_envops", {}))
        self.questions: dict[str, Question] = {}
        for name, spec in config.items():
            if name.startswith("_"):
                continue
            self.questions[name] = Question(
                name=name,
                type=spec.get("type", "str"),
                help=spec.get("help", name),
                default=spec.get("default"),
                choices=tuple(str(c) for c in spec.get("choices", ())),
                validator=spec.get("validator"),
                hidden=spec.get("when") is False,
            )

    @classmethod
    def from_file(cls, path: Path) -> Questionnaire:
        return cls(yaml.safe_load(path.read_text(encoding="utf-8")))

    def with_default(self, name: str, default: Any) -> Questionnaire:
        """The same questions, but `name` defaulting to `default`."""
        changed = copy.copy(self)
        changed.questions = {**self.questions, name: replace(self.questions[name], default=default)}
        return changed

    @cached_property
    def _jinja(self) -> SandboxedEnvironment:
        # The filters copier offers its templates (regex_search, to_json, ...).
        return SandboxedEnvironment(
            extensions=["jinja2_ansible_filters.AnsibleCoreFiltersExtension"], **self.envops
        )

    @property
    def asked(self) -> list[Question]:
        return [q for q in self.questions.values() if not q.hidden]

    def question(self, key: str, where: str = "") -> Question:
        """The visible question named key; UnknownQuestion (prefixed by where) otherwise."""
        if key not in self.questions or self.questions[key].hidden:
            known = ", ".join(q.name for q in self.asked)
            raise UnknownQuestion(f"{where}unknown key {key!r} (known: {known})")
        return self.questions[key]

    def data_pair(self, pair: str) -> tuple[str, Any]:
        """One `--data KEY=VALUE`: the key and its value in the question's type."""
        key, sep, value = pair.partition("=")
        if not sep:
            raise InvalidAnswer(f"--data {pair!r}: expected KEY=VALUE")
        key = key.strip()
        return key, self.question(key, "--data: ").coerce(value)

    def default_for(self, question: Question, answers: Mapping[str, Any]) -> Any:
        """The default shown for a question, rendered against the answers so far."""
        default = question.default
        if isinstance(default, str) and "{" in default:
            default = self._jinja.from_string(default).render(**answers)
        return default

    def problem(self, question: Question, answers: Mapping[str, Any]) -> str | None:
        """The validator's message for this question's answer, or None when it is fine."""
        if not question.validator:
            return None
        message = self._jinja.from_string(question.validator).render(**answers).strip()
        return message or None

    def complete(self, given: Mapping[str, Any]) -> Answers:
        """Coerce the given answers, fill defaults in question order, and validate all.

        Raises InvalidAnswer naming the first key whose answer breaks a rule.
        """
        for key in given:
            self.question(key)
        answers: Answers = {}
        for question in self.questions.values():
            if question.name in given:
                answers[question.name] = question.coerce(given[question.name])
            else:
                answers[question.name] = self.default_for(question, answers)
            if question.name in given or not question.hidden:
                message = self.problem(question, answers)
                if message:
                    raise InvalidAnswer(message, question.name)
        return answers

    def json_schema(self) -> dict[str, Any]:
        """A JSON Schema of the spec file, for editors' completion and checks."""
        properties: dict[str, Any] = {}
        for q in self.asked:
            prop: dict[str, Any] = {"description": q.help}
            if q.type == "bool":
                prop["type"] = "boolean"
            else:
                prop["type"] = "string"
            if q.choices:
                prop["enum"] = list(q.choices)
            if q.default is not None and not (isinstance(q.default, str) and "{" in q.default):
                prop["default"] = q.default
            properties[q.name] = prop
        return {
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "title": "fastgen project spec",
            "type": "object",
            "properties": properties,
            "additionalProperties": False,
        }
