"""Answers from a YAML spec file, checked against the questions before anything renders.

Errors name the file, the line and the key, so that an editor jumps right there.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from fastgen.commands.access import access_of, check_parent
from fastgen.commands.fields import parse_fields
from fastgen.commands.naming import ResourceNames
from fastgen.errors import InvalidAnswer, SpecError, UserInputError
from fastgen.questions import Answers, Questionnaire

# The one key of a spec that is not a question: resources to add, in order.
RESOURCES = "resources"
_RESOURCE_KEYS = {"name", "fields", "plural", "access", "owned", "renames"}


@dataclass(frozen=True)
class ResourceSpec:
    """One entry of `resources:`, as `fastgen add resource` takes it."""

    name: str
    fields: list[str]
    plural: str | None
    access: str  # see fastgen.commands.access
    where: str  # file:line, for errors found while adding it
    # old field name -> new, declared for `fastgen apply` (a rename is never guessed)
    renames: dict[str, str] = field(default_factory=dict)


# `example_items`: the example resource, added the way `add resource` adds any
# other (its contract: title 1-255 characters, an optional description, owned).
EXAMPLE_ITEMS = ResourceSpec(
    name="Item",
    fields=["title:str", "description:text:optional"],
    plural=None,
    access="owned",
    where="example_items",
)


def _compose(path: Path) -> tuple[str, yaml.Node | None]:
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
    if root is not None and not isinstance(root, yaml.MappingNode):
        raise SpecError(f"{path}:{root.start_mark.line + 1}: the spec must be a mapping of answers")
    return text, root


def load_spec(path: Path, questions: Questionnaire) -> tuple[Answers, dict[str, str]]:
    """Read a spec file into coerced answers and, for each key, its `file:line`.

    Defaults are not filled in here; the line lets later checks say where an
    answer that breaks a rule was written. `resources:` is read by load_resources.
    """
    text, root = _compose(path)
    if root is None:
        return {}, {}
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
        if key == RESOURCES:
            continue
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


def load_resources(path: Path) -> list[ResourceSpec]:
    """The spec's `resources:` list, each entry's shape checked and its line kept."""
    text, root = _compose(path)
    node = next(
        (v for k, v in (root.value if root else []) if getattr(k, "value", None) == RESOURCES),
        None,
    )
    if node is None:
        return []
    if not isinstance(node, yaml.SequenceNode):
        raise SpecError(f"{path}:{node.start_mark.line + 1}: {RESOURCES}: expected a list")
    loader = yaml.SafeLoader(text)
    specs = []
    for entry in node.value:
        where = f"{path}:{entry.start_mark.line + 1}"
        try:
            value = loader.construct_object(entry, deep=True)
        except yaml.YAMLError as error:
            raise SpecError(f"{where}: {RESOURCES}: {getattr(error, 'problem', error)}") from None
        specs.append(_resource(value, path, entry))
    return specs


@dataclass(frozen=True)
class _EntryLines:
    """Where one `resources:` entry and its parts are written (1-based lines)."""

    entry: int
    keys: dict[str, int]  # key -> the line of its value
    fields: list[int]  # the line of each field

    @classmethod
    def of(cls, entry: yaml.Node) -> _EntryLines:
        keys: dict[str, int] = {}
        fields: list[int] = []
        if isinstance(entry, yaml.MappingNode):
            for key_node, value_node in entry.value:
                keys[str(key_node.value)] = value_node.start_mark.line + 1
                if key_node.value == "fields" and isinstance(value_node, yaml.SequenceNode):
                    fields = [item.start_mark.line + 1 for item in value_node.value]
        return cls(entry.start_mark.line + 1, keys, fields)


def _resource(value: Any, path: Path, entry: yaml.Node) -> ResourceSpec:
    lines = _EntryLines.of(entry)
    where = f"{path}:{lines.entry}"

    def refuse(problem: str, key: str = "", line: int = 0) -> SpecError:
        at = line or lines.keys.get(key, lines.entry)
        return SpecError(f"{path}:{at}: {RESOURCES}: {problem}")

    if not isinstance(value, dict) or not isinstance(value.get("name"), str):
        raise refuse("each entry needs `name:` and may have fields, plural, access")
    if unknown := set(value) - _RESOURCE_KEYS:
        key = sorted(unknown)[0]
        known = ", ".join(sorted(_RESOURCE_KEYS))
        raise refuse(f"unknown key {key!r} (known: {known})", str(key))
    name = value["name"]
    fields = value.get("fields", [])
    if not isinstance(fields, list) or not all(isinstance(f, str) for f in fields):
        raise refuse(f"{name}: fields: expected a list of NAME:TYPE[:ARG][:MODIFIER]...", "fields")
    plural, owned, access = value.get("plural"), value.get("owned"), value.get("access")
    if plural is not None and not isinstance(plural, str):
        raise refuse(f"{name}: plural: expected text", "plural")
    if owned is not None and not isinstance(owned, bool):
        raise refuse(f"{name}: owned: expected true or false", "owned")
    if access is not None and not isinstance(access, str):
        raise refuse(f"{name}: access: expected text, as in catalog or parent:order", "access")
    try:
        access = access_of(owned, access)
    except UserInputError as error:
        raise refuse(f"{name}: {error.message}", "access") from None
    renames = value.get("renames", {})
    if not isinstance(renames, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in renames.items()
    ):
        raise refuse(f"{name}: renames: expected a mapping of OLD: NEW field names", "renames")
    # The name and the fields' grammar now; references once the project exists.
    try:
        ResourceNames.of(name, plural)
    except UserInputError as error:
        blamed = "plural" if plural is not None and "plural" in error.message else "name"
        raise refuse(error.message, blamed) from None
    for count in range(1, len(fields) + 1):  # the first field that breaks a rule
        try:
            parse_fields(fields[:count])
        except UserInputError as error:
            line = lines.fields[count - 1] if len(lines.fields) >= count else 0
            raise refuse(error.message, "fields", line) from None
    try:
        parsed = parse_fields(fields)
    except UserInputError as error:
        raise refuse(error.message, "fields") from None
    try:
        check_parent(access, parsed)
    except UserInputError as error:
        raise refuse(f"{name}: {error.message}", "access") from None
    return ResourceSpec(name, fields, plural, access, where, renames)


def spec_schema(questions: Questionnaire) -> dict[str, Any]:
    """The JSON Schema of a spec file: the questions, and `resources:`."""
    schema = questions.json_schema()
    schema["properties"][RESOURCES] = {
        "description": "Resources to add, in order (see `fastgen add resource --help`)",
        "type": "array",
        "items": {
            "type": "object",
            "properties": {
                "name": {"type": "string", "description": "Class name (Product, OrderLine)"},
                "fields": {
                    "type": "array",
                    "items": {"type": "string", "description": "NAME:TYPE[:ARG][:MODIFIER]..."},
                },
                "plural": {"type": "string"},
                "access": {
                    "type": "string",
                    "description": "owned (the default), catalog, shared or parent:FIELD",
                    "pattern": "^(owned|catalog|shared|parent:[a-z][a-z0-9_]*)$",
                    "default": "owned",
                },
                "owned": {"type": "boolean", "description": "true: access owned; false: shared"},
                "renames": {
                    "type": "object",
                    "description": "For `fastgen apply`: OLD: NEW field names (never guessed)",
                    "additionalProperties": {"type": "string"},
                },
            },
            "required": ["name"],
            "additionalProperties": False,
        },
    }
    return schema
