"""The field grammar of `add resource`: `NAME:TYPE[:ARG][:MODIFIER]...`.

`price:decimal:10,2`, `title:str:120:unique`, `status:enum:draft,published:default=draft`,
`category:ref:Category`, `notes:text:optional`. Every refusal names the field
and the part of it that is wrong.
"""

from __future__ import annotations

import datetime
import decimal
import keyword
import re
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import Any

from fastgen.commands.naming import MAX_IDENTIFIER, UNQUOTED_KEYWORDS
from fastgen.errors import UserInputError

TYPES = (
    "str", "text", "int", "float", "decimal", "bool", "date",
    "datetime", "uuid", "json", "email", "enum", "ref",
)  # fmt: skip
MODIFIERS = (
    "optional", "unique", "unique=global", "index", "any_user", "default=VALUE", "on_delete=RULE"
)  # fmt: skip
# Boolean modifiers, in the order a field's text gives them.
FLAGS = ("optional", "unique", "index", "any_user")
# What deleting the referenced row does to the rows of a ref field that point at
# it: refuse (409), delete them too, or empty the reference.
DELETE_RULES = ("restrict", "cascade", "set_null")
# Types whose values can be sorted on. A resource's list filters: `NAME=` on
# FILTERABLE, `NAME__gte=` and `NAME__lte=` on RANGED, `NAME__contains=` on
# SEARCHED (the schema template holds the same sets). `__` keeps the names
# apart from every field's: a field name never holds a double underscore.
SORTABLE = frozenset(TYPES) - {"json", "ref"}
FILTERABLE = frozenset(TYPES) - {"text", "json"}
RANGED = frozenset({"int", "float", "decimal", "date", "datetime"})
SEARCHED = frozenset({"str", "email"})
DEFAULTABLE = frozenset({"str", "text", "email", "int", "float", "decimal", "bool", "date", "enum"})
INT32 = 2**31 - 1
# The longest str that may be unique or indexed. A PostgreSQL btree index row
# holds 2,704 bytes (a third of a page, less its headers); 600 characters take
# at most 2,400 in UTF-8. A longer value would fail the write with a 500, so the
# field is refused instead, on every database alike.
INDEXABLE_LENGTH = 600

_FIELD_NAME = re.compile(r"[a-z][a-z0-9]*(_[a-z0-9]+)*\Z")
_CHOICE = re.compile(r"[a-z][a-z0-9_]*\Z")
_REF = re.compile(r"[A-Z][A-Za-z0-9]*\Z")
# Number defaults land in the code as written: a plain ASCII literal, as Python
# reads it (int() also takes `007`, ` 7` and `٣`, which are no Python literals).
_INT_LITERAL = re.compile(r"-?(0|[1-9][0-9]*)\Z")
_FLOAT_LITERAL = re.compile(r"-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][-+]?[0-9]+)?\Z")
# pydantic.BaseModel's own attributes besides model_* (a field must not
# override them: mypy refuses the schema); tests/attack/test_generator.py holds
# this list to the pydantic the generated project installs.
PYDANTIC_ATTRIBUTES = frozenset(
    {"construct", "copy", "dict", "from_orm", "json", "parse_file", "parse_obj"}
    | {"parse_raw", "schema", "schema_json", "update_forward_refs", "validate"}
)
# sqlalchemy.orm.DeclarativeBase's, likewise held to the project's SQLAlchemy.
SQLALCHEMY_ATTRIBUTES = frozenset({"metadata", "registry"})
# Columns PostgreSQL gives every table itself (CREATE TABLE refuses them).
SYSTEM_COLUMNS = frozenset({"tableoid", "xmin", "cmin", "xmax", "cmax", "ctid"})
# Columns every resource has, list query parameters, the names the generated
# classes use in their bodies after the fields (a field `date` would shadow the
# type `date` in its class body; the update schema's validator is `not_null`,
# decorated with `field_validator` and `classmethod`, taking an `object`; the
# model's columns are `mapped_column`s), and `self`, which the model's
# constructor takes first.
_RESERVED = frozenset(
    {"id", "owner", "owner_id", "created_at", "updated_at", "skip", "limit", "sort"}
    | {"str", "int", "float", "bool", "date", "datetime", "decimal", "uuid", "json", "sa", "op"}
    | {"not_null", "field_validator", "classmethod", "object", "mapped_column", "self"}
)
# The project's ruff: `l = ...` is E741 (ambiguous name), and a string assigned
# to a name like these is S105 (a hard-coded password), as an enum member
# `token = "token"` or a schema's `password: Text = "..."` would be.
_AMBIGUOUS = frozenset({"l"})
_SECRET_LIKE = re.compile(r"(^|_)(pas+wo?r?d|pass(phrase)?|pwd|token|secrete?)($|_)")
_TAKEN = (
    (_RESERVED, "reserved (every resource has or uses it)"),
    (PYDANTIC_ATTRIBUTES | SQLALCHEMY_ATTRIBUTES, "an attribute of every model and schema"),
    (SYSTEM_COLUMNS, "a column PostgreSQL gives every table"),
    (UNQUOTED_KEYWORDS, "an SQLite keyword"),
    (_AMBIGUOUS, "ambiguous (ruff's E741)"),
)
# An enum's choices become its members: a member named as a method of str (the
# members are strs) fails mypy, and `mro` fails the import of the model.
_ENUM_TAKEN = frozenset(name for name in dir(str) if not name.startswith("_")) | {"mro"}
# An enum field `status` of Product is the class ProductStatus, beside the
# resource's own classes ProductCreate, ProductNotFound, ...
_CLASS_SUFFIXES = frozenset(
    {"Create", "Update", "Read", "Query", "Sort", "NotFound", "Conflict", "InUse"}
    | {"Service", "ServiceDep", "Repository"}
)


class InvalidField(UserInputError):
    """A field that breaks the grammar; the message names the field and the part."""


@dataclass(frozen=True)
class Field:
    """One parsed field, as recorded in the resource's answers (plain data)."""

    name: str
    type: str
    length: int | None = None
    precision: int | None = None
    scale: int | None = None
    choices: list[str] = field(default_factory=list)
    ref: str | None = None
    optional: bool = False
    unique: bool = False
    # `unique=global`: on an owned resource, unique across every user's rows, not
    # only among each owner's (so a 409 tells that someone holds the value).
    unique_global: bool = False
    index: bool = False
    # On a ref:User: a writer may name any user, not only themselves (which tells
    # them which user ids exist).
    any_user: bool = False
    default: str | None = None
    # A ref's rule as given (None: the default; see the macro `ondelete`).
    on_delete: str | None = None

    @property
    def column(self) -> str:
        """The column and JSON name: a `ref` field `category` is `category_id`."""
        if self.type == "ref" and not self.name.endswith("_id"):
            return f"{self.name}_id"
        return self.name

    def answers(self) -> dict[str, Any]:
        values = asdict(self)
        # Recorded only when given, so records written before them read back unchanged.
        if self.on_delete is None:
            del values["on_delete"]
        for flag in ("any_user", "unique_global"):
            if not values[flag]:
                del values[flag]
        return values

    @classmethod
    def from_record(cls, values: dict[str, Any]) -> Field:
        """The field a resource's record holds (its answers, with extras left out)."""
        return cls(**{key: values[key] for key in cls.__dataclass_fields__ if key in values})

    def text(self) -> str:
        """The field in the grammar: `parse_field(field.text()) == field`."""
        parts = [self.name, self.type]
        if self.type == "str":
            parts.append(str(self.length))
        elif self.type == "decimal":
            parts.append(f"{self.precision},{self.scale}")
        elif self.type == "enum":
            parts.append(",".join(self.choices))
        elif self.type == "ref":
            parts.append(str(self.ref))
        parts += [
            _flag(modifier, self.unique_global) for modifier in FLAGS if getattr(self, modifier)
        ]
        if self.default is not None:
            parts.append(f"default={self.default}")
        if self.on_delete is not None:
            parts.append(f"on_delete={self.on_delete}")
        return ":".join(parts)


def parse_fields(texts: Iterable[str]) -> list[Field]:
    fields: list[Field] = []
    seen: set[str] = set()
    enum_classes: dict[str, str] = {}  # ProductA1 -> a_1
    for text in texts:
        parsed = parse_field(text)
        if parsed.column in seen:
            raise InvalidField(f"field {text!r}: {parsed.column!r} is given twice")
        seen.add(parsed.column)
        if parsed.type == "enum":
            # `a_1` and `a1` would both be the enum class ...A1.
            first = enum_classes.setdefault(_pascal(parsed.name), parsed.name)
            if first != parsed.name:
                raise InvalidField(
                    f"field {text!r}: its enum class would be that of {first!r} "
                    f"(...{_pascal(parsed.name)})"
                )
        fields.append(parsed)
    return fields


def parse_field(text: str, *, recorded: bool = False) -> Field:
    """A field of the grammar. `recorded`: one read back from a resource's record,
    which an earlier fastgen wrote under the rules of its day: its shape and what is
    written into code as it stands (numbers, dates) are checked; the rules added
    since to keep new projects out of trouble (reserved names, index sizes, the
    API's rules for string defaults) are not, so that a project they would refuse
    today can still be read, updated and changed."""
    strict = not recorded

    def refuse(problem: str) -> InvalidField:
        return InvalidField(f"field {text!r}: {problem}")

    parts = text.split(":")
    if len(parts) < 2 or not all(parts):
        raise refuse("expected NAME:TYPE[:ARG][:MODIFIER]... with no empty part")
    name, type_, rest = parts[0], parts[1], parts[2:]
    if not _FIELD_NAME.match(name):
        raise refuse(f"name {name!r}: use lower_snake_case, starting with a letter")
    if keyword.iskeyword(name) or keyword.issoftkeyword(name):
        raise refuse(f"name {name!r} is a Python keyword")
    if strict and name.startswith("model_"):
        raise refuse(f"name {name!r} is reserved (pydantic's models have model_* names)")
    for names, why in _TAKEN if strict else ():
        if name in names:
            raise refuse(f"name {name!r} is {why}")
    if strict and type_ == "enum" and _pascal(name) in _CLASS_SUFFIXES:
        raise refuse(
            f"name {name!r}: an enum field's class would take the name of the resource's "
            f"class ...{_pascal(name)}"
        )
    if type_ not in TYPES:
        raise refuse(f"unknown type {type_!r} (known: {', '.join(TYPES)})")

    values: dict[str, Any] = {"name": name, "type": type_}
    if rest and not _is_modifier(rest[0]) and type_ in {"str", "decimal", "enum", "ref"}:
        values.update(_argument(type_, rest.pop(0), refuse))
    elif type_ in {"enum", "ref"}:
        example = "enum:draft,published" if type_ == "enum" else "ref:Category"
        raise refuse(f"{type_} needs its argument, as in {example}")
    elif type_ == "str":
        values["length"] = 255
    elif type_ == "decimal":
        values["precision"], values["scale"] = 10, 2

    for modifier in rest:
        key, _, value = modifier.partition("=")
        if not _is_modifier(modifier):
            raise refuse(f"unknown modifier {modifier!r} (known: {', '.join(MODIFIERS)})")
        if key in values:
            raise refuse(f"modifier {key!r} is given twice")
        values[key] = value if key in {"default", "on_delete"} else True
        if modifier == "unique=global":
            values["unique_global"] = True
    parsed = Field(**values)
    if strict and len(parsed.column) > MAX_IDENTIFIER:
        raise refuse(
            f"column {parsed.column!r} has {len(parsed.column)} characters; at most "
            f"{MAX_IDENTIFIER} (PostgreSQL's limit for names)"
        )
    _check_modifiers(parsed, refuse, strict)
    return parsed


def _pascal(snake: str) -> str:
    """The class-name form of a snake_case name, as the resource template makes it."""
    return "".join(part.capitalize() for part in snake.split("_"))


def _is_modifier(part: str) -> bool:
    return part in FLAGS or part == "unique=global" or part.startswith(("default=", "on_delete="))


def _flag(modifier: str, unique_global: bool) -> str:
    """A boolean modifier as the grammar writes it."""
    return "unique=global" if modifier == "unique" and unique_global else modifier


def _argument(type_: str, arg: str, refuse: Any) -> dict[str, Any]:
    if type_ == "str":
        if not arg.isdigit() or not 1 <= int(arg) <= 10_000:
            raise refuse(f"length {arg!r}: expected a number from 1 to 10000")
        return {"length": int(arg)}
    if type_ == "decimal":
        match = re.fullmatch(r"(\d+),(\d+)", arg)
        if not match or not 1 <= int(match[1]) <= 38 or int(match[2]) > int(match[1]):
            raise refuse(
                f"precision {arg!r}: expected PRECISION,SCALE as in 10,2 (1-38, scale <= precision)"
            )
        return {"precision": int(match[1]), "scale": int(match[2])}
    if type_ == "enum":
        choices = arg.split(",")
        for choice in choices:
            if not _CHOICE.match(choice) or keyword.iskeyword(choice):
                raise refuse(f"choice {choice!r}: use lower_snake_case names, not keywords")
            if choice in _ENUM_TAKEN:
                raise refuse(
                    f"choice {choice!r}: the choices become attributes of a str enum "
                    f"class, which has {choice!r} already"
                )
            if choice in _AMBIGUOUS or _SECRET_LIKE.search(choice):
                raise refuse(
                    f"choice {choice!r}: the member {choice} = {choice!r} fails the project's "
                    "ruff (an ambiguous name, or a string taken for a hard-coded password)"
                )
        if len(set(choices)) != len(choices):
            raise refuse("a choice is given twice")
        return {"choices": choices}
    if not _REF.match(arg):
        raise refuse(f"reference {arg!r}: name the resource's class, as in ref:Category")
    return {"ref": arg}


def _check_modifiers(parsed: Field, refuse: Any, strict: bool = True) -> None:
    if parsed.any_user and parsed.ref != "User":
        raise refuse("any_user is a modifier of ref:User fields only")
    if parsed.on_delete is not None:
        if parsed.type != "ref":
            raise refuse("on_delete is for ref fields only")
        if parsed.on_delete not in DELETE_RULES:
            raise refuse(f"on_delete={parsed.on_delete}: expected one of {', '.join(DELETE_RULES)}")
        if parsed.on_delete == "set_null" and not parsed.optional:
            raise refuse("on_delete=set_null needs an optional reference (add :optional)")
    if parsed.default is None:
        pass
    elif parsed.type not in DEFAULTABLE:
        raise refuse(f"a default is not supported for {parsed.type} fields")
    else:
        # A string default is written into code as a JSON literal whatever it holds;
        # the API's rules for it are policy, which a recorded field predates.
        policy = strict or parsed.type not in {"str", "text", "email"}
        problem = (_default_problem(parsed, parsed.default) if policy else None) or (
            _literal_problem(parsed.type, parsed.default)
        )
        if problem:
            raise refuse(f"default {parsed.default!r}: {problem}")
    if not strict:
        return
    if (
        parsed.default is not None
        and parsed.type in {"str", "text", "email"}
        and _SECRET_LIKE.search(parsed.name)
    ):
        raise refuse(
            f"a default for {parsed.name!r}: the project's ruff (S105) takes a string "
            "assigned to a name like that for a hard-coded password"
        )
    if parsed.type == "json" and (parsed.unique or parsed.index):
        raise refuse("json fields cannot be unique or indexed")
    indexed = "unique" if parsed.unique else "indexed" if parsed.index else None
    if indexed and parsed.type == "text":
        raise refuse(
            f"text fields cannot be {indexed}: a long value outgrows an index row;"
            f" use str:N (N at most {INDEXABLE_LENGTH})"
        )
    if indexed and parsed.type == "str" and (parsed.length or 255) > INDEXABLE_LENGTH:
        raise refuse(
            f"a str that is {indexed} may hold at most {INDEXABLE_LENGTH} characters"
            " (an index row must fit a long value)"
        )


def _literal_problem(type_: str, value: str) -> str | None:
    """Why a valid number default cannot stand in the code as written, or None."""
    if type_ in {"int", "float", "decimal"} and not value.isascii():
        return "use ASCII digits"
    literal = {"int": _INT_LITERAL, "float": _FLOAT_LITERAL}.get(type_)
    if literal is None or literal.match(value):
        return None
    plain = int(value) if type_ == "int" else float(value)
    return f"write the number plainly, as {plain!r}"


def _default_problem(parsed: Field, value: str) -> str | None:
    """Why `value` is no valid default for the field, or None."""
    try:
        if parsed.type == "int":
            number = int(value)
            return None if -INT32 - 1 <= number <= INT32 else "out of the 32-bit range"
        if parsed.type == "float":
            return None if float(value) - float(value) == 0 else "must be a finite number"
        if parsed.type == "decimal":
            amount = decimal.Decimal(value)
            return _decimal_problem(amount, parsed.precision or 10, parsed.scale or 0)
        if parsed.type == "date":
            datetime.date.fromisoformat(value)
            return None
    except (ValueError, decimal.InvalidOperation):
        return f"not a valid {parsed.type}"
    if parsed.type == "bool":
        return None if value in {"true", "false"} else "expected true or false"
    if parsed.type == "enum":
        return None if value in parsed.choices else f"not one of {', '.join(parsed.choices)}"
    if parsed.type in {"str", "text"}:
        return _text_problem(parsed, value)
    if parsed.type == "email":
        return _email_problem(value)
    return None


def _text_problem(parsed: Field, value: str) -> str | None:
    """The generated app's rules for a str or text value: its Text type
    (app.schemas.common) and, for str, the field's length limits."""
    if "\x00" in value:
        return "must not contain NUL characters"
    try:
        value.encode()
    except UnicodeEncodeError:
        return "contains a lone surrogate, which has no UTF-8 form"
    if parsed.type == "str" and len(value) > (parsed.length or 255):
        return f"longer than {parsed.length} characters"
    if parsed.type == "str" and not parsed.optional and not value:
        # The schema gives a required str min_length=1, as a client's value.
        return "a required str needs at least 1 character (or make it optional)"
    return None


def _email_problem(value: str) -> str | None:
    """What the generated app's AsciiEmail (app.schemas.common) says of `value`:
    the same check, by email-validator, so `a@b.test` (a special-use domain the
    API refuses) is refused here and not by a 500 on every create that omits
    it, and a default is answered in the ASCII form `format: email` holds."""
    # Imported here: only an email default needs it.
    from email_validator import EmailNotValidError, validate_email

    if not value.isascii():
        return "not a valid email address: only ASCII characters are allowed"
    try:
        address = validate_email(value, check_deliverability=False)
    except EmailNotValidError as error:
        return f"not a valid email address: {' '.join(str(error).split())}"
    normalized = address.ascii_email or address.normalized
    if normalized != value:
        # A client's value is stored normalized; the default must be too.
        return f"the API stores it normalized: write it as {normalized!r}"
    return None


def _decimal_problem(amount: decimal.Decimal, precision: int, scale: int) -> str | None:
    if not amount.is_finite():
        return "must be a finite number"
    exponent = amount.as_tuple().exponent
    assert isinstance(exponent, int)
    if -exponent > scale:
        return f"more than {scale} decimal places"
    if len(amount.as_tuple().digits) - max(0, -exponent) > precision - scale:
        return f"more than {precision - scale} digits before the point"
    return None
