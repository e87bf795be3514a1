"""Find and read a generated project once, for every command that grows it.

What the project records (`.copier-answers.yml` and each resource's
`.fastgen/resources/<plural>.yml`) is checked here like user input, with the
rules `fastgen new` and `add resource` apply to what they record: every
command that reads a record reads it through `find_project`, so a record edited
by hand (a wrong type, an unknown field type, a name with `..` in it) is
refused in one line before anything renders or writes.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from fastgen.errors import UserInputError

ANSWERS_FILE = ".copier-answers.yml"
RESOURCES_DIR = Path(".fastgen/resources")
# The keys `add resource` records (and either `access` or, before access modes,
# `owned`), and the extra keys of a field beside Field.answers().
RESOURCE_KEYS = frozenset(
    {"name", "module", "plural", "fields", "revision", "down_revision", "template_version"}
)
ACCESS_KEYS = frozenset({"access", "owned"})
FIELD_EXTRAS = frozenset({"column", "ref_module", "ref_plural", "ref_owned", "ref_access"})
# Alembic revision ids: fastgen numbers them (0001); alembic's own are hex.
_REVISION = re.compile(r"[A-Za-z0-9_]{1,64}\Z")


class NotAProject(UserInputError):
    """The folder is not a project made by fastgen."""


class InvalidRecord(UserInputError):
    """What the project recorded breaks a rule it was recorded under (edited by hand)."""


class NewerProject(UserInputError):
    """The project was made (or last updated) by a fastgen this one cannot stand in for:
    a newer one, or one whose template this fastgen does not have."""


@dataclass(frozen=True)
class Project:
    root: Path
    answers: dict[str, Any]
    template_version: str
    # plural -> the recorded answers of each resource added so far
    resources: dict[str, dict[str, Any]]

    def resource_by_class(self, cls: str) -> dict[str, Any] | None:
        return next((r for r in self.resources.values() if r.get("name") == cls), None)


def find_project(project_dir: Path | None = None) -> Project:
    """The project at project_dir (default: the current folder) or the nearest folder
    above it holding an answers file, as git finds its repository; NotAProject
    elsewhere, NewerProject when this fastgen cannot work on the project's template
    version, InvalidRecord when a record breaks its rules."""
    start = (project_dir or Path.cwd()).resolve()
    root = next((p for p in (start, *start.parents) if (p / ANSWERS_FILE).is_file()), start)
    answers = _read_yaml(root / ANSWERS_FILE, root)
    if answers is None or "_template_version" not in answers:
        raise NotAProject(
            f"{start}: not a fastgen project (no {ANSWERS_FILE} written by fastgen); "
            "run inside one or pass --project-dir"
        )
    version = _check_answers(answers)
    resources: dict[str, dict[str, Any]] = {}
    folder = root / RESOURCES_DIR
    for path in sorted(folder.glob("*.yml")) if folder.is_dir() else ():
        recorded = _read_yaml(path, root)
        where = path.relative_to(root).as_posix()
        if recorded is None or "plural" not in recorded:
            raise NotAProject(f"{where}: not a resource's answers file")
        _check_resource(recorded, where, version)
        if path.name != f"{recorded['plural']}.yml":
            raise InvalidRecord(
                f"{where}: records plural {recorded['plural']!r}, not {path.stem!r}"
            )
        resources[recorded["plural"]] = as_read_now(recorded)
    _check_references(resources)
    return Project(root, answers, version, resources)


def _read_yaml(path: Path, root: Path) -> dict[str, Any] | None:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as error:
        problem = getattr(error, "problem", None) or getattr(error, "strerror", None) or error
        raise NotAProject(f"{path}: cannot be read: {problem}") from None
    return data if isinstance(data, dict) else None


def _version(value: Any, where: str) -> str:
    """A recorded template version: PEP 440, as fastgen's versions are."""
    from packaging.version import InvalidVersion, Version

    if isinstance(value, str) and value.strip() == value:
        try:
            Version(value)
            return value
        except InvalidVersion:
            pass
    raise InvalidRecord(f"{where}: {value!r} is not a template version (such as 0.1.0)")


def _check_answers(answers: dict[str, Any]) -> str:
    """The project's answers: the template version and the questions' rules (of
    copier.yml of the recorded version when this fastgen has it, else its own)."""
    from fastgen import template
    from fastgen.errors import InvalidAnswer
    from fastgen.questions import Questionnaire

    version = _version(answers["_template_version"], f"{ANSWERS_FILE}: _template_version")
    for key in ("_commit", "_src_path"):
        if key in answers and not (isinstance(answers[key], str) and answers[key].isprintable()):
            raise InvalidRecord(f"{ANSWERS_FILE}: {key}: expected text, got {answers[key]!r}")
    template.ensure()
    require_known_version(version)
    questions = Questionnaire.from_file(template.tree(version) / "copier.yml")
    given = {k: v for k, v in answers.items() if k in questions.questions}
    hidden = [k for k in given if questions.questions[k].hidden]
    try:
        questions.complete({k: v for k, v in given.items() if k not in hidden})
    except InvalidAnswer as error:
        raise InvalidRecord(f"{ANSWERS_FILE}: {error.message}") from None
    return version


def require_known_version(version: str) -> None:
    """Every command that reads a project works from its template version: refuse one
    newer than this fastgen (even when a newer fastgen left its template in the shared
    cache) or one this fastgen does not have, naming the fastgen to install."""
    from packaging.version import Version

    from fastgen import DISTRIBUTION, __version__, template

    if Version(version) > Version(__version__):
        problem = f"newer than this fastgen ({__version__})"
    elif not template.has_version(version):
        problem = f"which this fastgen ({__version__}) does not know"
    else:
        return
    raise NewerProject(
        f"{ANSWERS_FILE}: made with fastgen {version}, {problem}; "
        f"install {DISTRIBUTION}=={version} to work on this project"
    )


def _check_resource(recorded: dict[str, Any], where: str, project_version: str) -> None:
    """A resource's record, by the rules `add resource` recorded it under."""
    from packaging.version import Version

    from fastgen.commands.naming import ResourceNames

    unknown = sorted(
        str(k)
        for k in recorded
        if k not in RESOURCE_KEYS | ACCESS_KEYS and not str(k).startswith("_")
    )
    missing = sorted(RESOURCE_KEYS - set(recorded))
    given = ACCESS_KEYS & set(recorded)
    if len(given) == 2:
        unknown = unknown or ["owned"]  # what access replaced
    elif not given:
        missing = missing or ["access"]
    if unknown or missing:
        problem = f"unknown key {unknown[0]!r}" if unknown else f"no {missing[0]!r}"
        raise InvalidRecord(f"{where}: {problem}; not as `add resource` records a resource")
    name, module, plural = recorded["name"], recorded["module"], recorded["plural"]
    if not all(isinstance(value, str) for value in (name, module, plural)):
        raise InvalidRecord(f"{where}: name, module and plural must be text")
    try:
        names = ResourceNames.of(name, plural)
    except UserInputError as error:
        message = error.message.replace("--plural ", "plural ", 1)
        raise InvalidRecord(f"{where}: {message}") from None
    if (names.cls, names.module) != (name, module):
        raise InvalidRecord(
            f"{where}: name {name!r} and module {module!r} do not match: "
            f"add resource records {names.cls!r} and {names.module!r}"
        )
    if "owned" in recorded and not isinstance(recorded["owned"], bool):
        raise InvalidRecord(f"{where}: owned: expected true or false, got {recorded['owned']!r}")
    if "access" in recorded:
        _check_access(recorded, where)
    for key in ("revision", "down_revision"):
        value = recorded[key]
        if not (isinstance(value, str) and _REVISION.match(value)):
            raise InvalidRecord(f"{where}: {key}: {value!r} is not an Alembic revision id")
    version = _version(recorded["template_version"], f"{where}: template_version")
    if Version(version) > Version(project_version):
        raise InvalidRecord(
            f"{where}: template_version {version} is newer than the project's ({project_version})"
        )
    fields = recorded["fields"]
    if not isinstance(fields, list):
        raise InvalidRecord(f"{where}: fields: expected a list, got {fields!r}")
    columns: set[str] = set()
    for number, values in enumerate(fields, 1):
        column = _check_field(values, f"{where}: field {number}")
        if column in columns:
            raise InvalidRecord(f"{where}: field {number}: {column!r} is recorded twice")
        columns.add(column)


def _check_access(recorded: dict[str, Any], where: str) -> None:
    from fastgen.commands.access import check_parent, parse_access
    from fastgen.commands.fields import Field

    try:
        if not isinstance(recorded["access"], str):
            raise InvalidRecord(f"access: expected text, got {recorded['access']!r}")
        fields = recorded["fields"] if isinstance(recorded["fields"], list) else []
        check_parent(
            parse_access(recorded["access"]),
            [Field.from_record(f) for f in fields if isinstance(f, dict)],
        )
    except (UserInputError, TypeError) as error:
        raise InvalidRecord(f"{where}: {getattr(error, 'message', error)}") from None


def as_read_now(recorded: dict[str, Any]) -> dict[str, Any]:
    """The record as this fastgen reads it, whichever fastgen wrote it:
    - `access` and `owned` both: this template reads the mode, the templates of
      releases before modes read `owned` (an update renders the resource with both);
      a reference's `ref_access` likewise;
    - `unique` on an owned resource recorded before access modes (and with them
      per-owner unique values) is `unique=global`, what its table holds: the
      meaning changes only by a `change field`, which writes the migration."""
    from fastgen.commands.access import recorded_access

    access = recorded_access(recorded)
    globally = access == "owned" and "access" not in recorded
    fields = [
        {**values, "ref_access": _ref_access(values)} if values["type"] == "ref" else values
        for values in recorded["fields"]
    ]
    fields = [
        {**values, "unique_global": True} if globally and values.get("unique") else values
        for values in fields
    ]
    return {**recorded, "access": access, "owned": access == "owned", "fields": fields}


def _ref_access(values: Mapping[str, Any]) -> str:
    if "ref_access" in values:
        return str(values["ref_access"])
    if values["ref"] == "User":
        return "user"
    return "owned" if values["ref_owned"] else "shared"


def _check_field(values: Any, where: str) -> str:
    """One recorded field: it must read back through the field grammar unchanged.

    Returns its column."""
    from dataclasses import fields as dataclass_fields

    from fastgen.commands.fields import Field, parse_field

    core = {f.name for f in dataclass_fields(Field)}
    if not isinstance(values, dict) or not set(values) <= core | FIELD_EXTRAS:
        keys = sorted(str(k) for k in values) if isinstance(values, dict) else values
        raise InvalidRecord(f"{where}: not a recorded field: {keys!r}")
    recorded = {k: v for k, v in values.items() if k in core}
    try:
        parsed = parse_field(_field_text(recorded), recorded=True)
    except UserInputError as error:
        raise InvalidRecord(f"{where}: {error.message}") from None
    if _typed(parsed.answers()) != _typed({**Field(name="", type="").answers(), **recorded}):
        raise InvalidRecord(f"{where}: {recorded.get('name')!r}: does not read back as recorded")
    if values.get("column") != parsed.column:
        raise InvalidRecord(
            f"{where}: column: expected {parsed.column!r}, got {values.get('column')!r}"
        )
    extras = {k: values.get(k) for k in ("ref_module", "ref_plural", "ref_owned", "ref_access")}
    if parsed.type != "ref":
        if any(k in values for k in extras):
            raise InvalidRecord(
                f"{where}: a {parsed.type} field records no ref_module, ref_plural, ref_owned"
            )
    elif not (
        isinstance(extras["ref_module"], str)
        and isinstance(extras["ref_plural"], str)
        and isinstance(extras["ref_owned"], bool)
        and isinstance(extras["ref_access"], str | None)
    ):
        raise InvalidRecord(f"{where}: a ref field records ref_module, ref_plural and ref_owned")
    return parsed.column


def _field_text(values: Mapping[str, Any]) -> str:
    """The `NAME:TYPE[:ARG][:MODIFIER]...` text that records these values."""
    from fastgen.commands.fields import FLAGS

    parts = [values.get("name"), values.get("type")]
    type_ = values.get("type")
    if type_ == "str" and values.get("length") is not None:
        parts.append(values["length"])
    elif type_ == "decimal" and values.get("precision") is not None:
        parts.append(f"{values['precision']},{values.get('scale')}")
    elif type_ == "enum":
        choices = values.get("choices")
        parts.append(",".join(map(str, choices)) if isinstance(choices, list) else choices)
    elif type_ == "ref":
        parts.append(values.get("ref"))
    parts += [
        "unique=global" if key == "unique" and values.get("unique_global") is True else key
        for key in FLAGS
        if values.get(key) is True
    ]
    if values.get("default") is not None:
        parts.append(f"default={values['default']}")
    if values.get("on_delete") is not None:
        parts.append(f"on_delete={values['on_delete']}")
    if not all(isinstance(part, str | int) and not isinstance(part, bool) for part in parts):
        raise InvalidRecord(f"field {values.get('name')!r}: a part is not text: {parts!r}")
    return ":".join(map(str, parts))


def _typed(values: Mapping[str, Any]) -> list[tuple[str, str]]:
    """Values with their types, so that 1 is not taken for true."""
    return sorted((key, f"{type(value).__name__}:{value!r}") for key, value in values.items())


def _check_references(resources: Mapping[str, Mapping[str, Any]]) -> None:
    """Each ref field names User or a recorded resource, as it was when recorded."""
    from fastgen.commands.add_resource import USER, reference_extras

    by_class = {r["name"]: r for r in resources.values()}
    for plural, recorded in resources.items():
        for values in recorded["fields"]:
            if values["type"] != "ref":
                continue
            target = by_class.get(values["ref"])
            expected = (
                USER
                if values["ref"] == "User"
                else None
                if target is None
                else reference_extras(target)
            )
            if expected is None or any(values[k] != v for k, v in expected.items()):
                raise InvalidRecord(
                    f"{RESOURCES_DIR.as_posix()}/{plural}.yml: field {values['name']!r}: "
                    f"references {values['ref']}, which is not recorded as it says"
                )
