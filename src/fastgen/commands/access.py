"""Who reads and writes a resource's rows: `--access owned|catalog|shared|parent:FIELD`.

- owned: rows belong to their creator; admins see and change all (the default);
- catalog: every signed-in user reads, only admins create, change and delete;
- shared: every signed-in user reads and writes;
- parent:FIELD: a row is visible and changeable exactly when the row its required
  reference FIELD points at is (an order's lines follow their order).

A resource records its mode as `access:`; a record written before modes existed
has `owned: true|false` instead, read as owned or shared.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from fastgen.commands.fields import Field
from fastgen.errors import UserInputError

MODES = ("owned", "catalog", "shared", "parent:FIELD")
PARENT = "parent:"


class InvalidAccess(UserInputError):
    """An access mode that is not one of MODES, or a parent that cannot be one."""


def parse_access(text: str) -> str:
    """The access mode as recorded; its grammar only (the parent field is checked
    against the resource's fields by `check_parent`)."""
    if text in MODES[:3]:
        return text
    if text.startswith(PARENT) and text[len(PARENT) :]:
        return text
    raise InvalidAccess(f"access {text!r}: expected one of {', '.join(MODES)}")


def access_of(owned: bool | None, access: str | None) -> str:
    """The mode `--access` or its older synonym `--owned/--no-owned` asks for."""
    from_owned = None if owned is None else "owned" if owned else "shared"
    if access is not None and from_owned is not None and parse_access(access) != from_owned:
        raise InvalidAccess(
            f"access {access!r} and --{'' if owned else 'no-'}owned disagree; give one"
        )
    return parse_access(access) if access is not None else from_owned or "owned"


def parent_field(access: str) -> str | None:
    """The field a parent-owned resource follows, or None."""
    return access[len(PARENT) :] if access.startswith(PARENT) else None


def check_parent(access: str, fields: Sequence[Field]) -> None:
    """A parent mode names one of the resource's own required references to another
    resource (not User: rows that belong to a user are `owned`)."""
    name = parent_field(access)
    if name is None:
        return
    field = next((f for f in fields if f.name == name), None)
    problem = (
        "is not one of its fields"
        if field is None
        else "is not a reference (ref:RESOURCE)"
        if field.type != "ref"
        else "refers to User: rows that belong to a user are --access owned"
        if field.ref == "User"
        else "is optional: a row must always have its parent"
        if field.optional
        else None
    )
    if problem:
        raise InvalidAccess(f"access {access!r}: {name!r} {problem}")


def recorded_access(record: Mapping[str, Any]) -> str:
    """The mode a resource's record holds, whichever fastgen wrote it."""
    if "access" in record:
        return str(record["access"])
    return "owned" if record.get("owned", True) else "shared"
