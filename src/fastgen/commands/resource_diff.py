"""What changes between two definitions of a resource's fields, and whether the
database can follow without losing what it holds.

Fields are paired by name. A rename is declared, never guessed: a field that
disappears while another appears is a drop and an add. Each change is checked
before anything is written; what the database cannot do safely is refused with
the way out, and what loses or may reject data is said in the plan.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Literal

from fastgen.commands.fields import Field, InvalidField

Kind = Literal["add", "drop", "rename", "alter"]

# Type changes with a defined cast (both databases convert the stored values);
# any other type change is refused, naming the way out.
CASTS = {
    "int": {"float", "decimal", "str", "text"},
    "float": {"decimal", "str", "text"},
    "decimal": {"float", "str", "text"},
    "str": {"text"},
    "text": {"str"},
    "email": {"str", "text"},
    "enum": {"str", "text"},
}


class EvolutionRefused(InvalidField):
    """A change the database cannot follow as asked; nothing was written."""


@dataclass(frozen=True)
class FieldChange:
    kind: Kind
    old: Field | None
    new: Field | None

    @property
    def name(self) -> str:
        field = self.new or self.old
        assert field is not None
        return field.name

    @property
    def retyped(self) -> bool:
        """The column's type changes (a cast, a length, a precision, the choices)."""
        old, new = self.old, self.new
        return (
            old is not None
            and new is not None
            and (old.type, old.length, old.precision, old.scale, old.choices)
            != (new.type, new.length, new.precision, new.scale, new.choices)
        )

    @property
    def removed_choices(self) -> list[str]:
        # Only a narrower enum drops values: as str or text every value stays.
        if self.old is None or self.new is None or (self.old.type, self.new.type) != ("enum",) * 2:
            return []
        return [choice for choice in self.old.choices if choice not in self.new.choices]

    def risks(self) -> list[str]:
        """What this change does to the rows already stored, in a person's words."""
        old, new = self.old, self.new
        if self.kind == "drop":
            return ["DATA LOST: the column and its values are deleted (downgrade re-adds it empty)"]
        if self.kind == "add":
            assert new is not None
            return (
                [f"existing rows get {_shown(new, new.default)}"] if new.default is not None else []
            )
        assert old is not None and new is not None
        risks = []
        if old.optional and not new.optional:
            risks.append(f"empty values become {_shown(new, new.default)}")
        if new.type == "str" and (old.type == "text" or (old.length or 0) > (new.length or 0)):
            risks.append(
                f"the upgrade fails on PostgreSQL if a stored value is longer than {new.length} "
                "characters (SQLite does not enforce lengths)"
            )
        if new.type == "decimal" and old.type == "decimal":
            if (new.scale or 0) < (old.scale or 0):
                risks.append(f"values are rounded to {new.scale} decimal places")
            if (new.precision or 0) - (new.scale or 0) < (old.precision or 0) - (old.scale or 0):
                risks.append("the upgrade fails if a stored value has too many digits")
        elif new.type == "decimal" or (new.type == "float" and old.type == "decimal"):
            risks.append(f"values may be rounded ({old.type} -> {new.type})")
        if removed := self.removed_choices:
            fallback = "empty" if new.default is None else _shown(new, new.default)
            risks.append(f"DATA CHANGED: rows holding {', '.join(removed)} become {fallback}")
        if new.unique and not old.unique:
            risks.append("the upgrade fails if stored rows share a value")
        return risks


def _shown(field: Field, value: str | None) -> str:
    """A default as a person reads it: text quoted, numbers and dates as they are."""
    return repr(value) if field.type in {"str", "text", "email", "enum"} else str(value)


def diff(old: list[Field], new: list[Field], renames: Mapping[str, str]) -> list[FieldChange]:
    """The changes from old to new fields; renames maps an old name to its new one."""
    by_name = {field.name: field for field in new}
    changes: list[FieldChange] = []
    matched: set[str] = set()
    for field in old:
        target = renames.get(field.name, field.name)
        if target not in by_name:
            changes.append(FieldChange("drop", field, None))
            continue
        matched.add(target)
        if target != field.name:
            changes.append(FieldChange("rename", field, replace(field, name=target)))
            field = replace(field, name=target)
        if field != by_name[target]:
            changes.append(FieldChange("alter", field, by_name[target]))
    changes += [FieldChange("add", None, f) for f in new if f.name not in matched]
    return changes


def check(change: FieldChange, *, force: bool = False) -> None:
    """Refuse, with the way out, a change the stored rows cannot follow."""
    old, new = change.old, change.new

    def refuse(problem: str) -> EvolutionRefused:
        return EvolutionRefused(f"field {change.name!r}: {problem}")

    if change.kind == "add":
        assert new is not None
        if new.type == "ref" and not new.optional:
            raise refuse(
                "a required reference cannot be filled in for the rows the table has; "
                "add it with :optional"
            )
        if not new.optional and new.default is None:
            raise refuse(
                "a required field added to an existing table needs default=VALUE to fill "
                "the rows it has, or :optional"
            )
    if change.kind != "alter":
        return
    assert old is not None and new is not None
    if old.type != new.type and new.type not in CASTS.get(old.type, set()):
        raise refuse(
            f"{old.type} -> {new.type} has no safe cast; add a new field, copy the values "
            f"over in a data migration, then remove {change.name!r}"
        )
    if old.type == "ref" and new.type == "ref" and old.ref != new.ref:
        raise refuse(
            f"a reference to {old.ref} cannot become one to {new.ref}; add a new field "
            f"and remove {change.name!r}"
        )
    if old.optional and not new.optional and new.default is None:
        raise refuse(
            "made required, it needs default=VALUE for the rows where it is empty"
            + ("" if new.type != "ref" else "; a reference has none, so keep it optional")
        )
    if change.removed_choices:
        if not force:
            raise refuse(
                f"removing choice {', '.join(change.removed_choices)} changes the rows that "
                "hold it; pass --force to give them the default (or empty, if optional)"
            )
        if new.default is None and not new.optional:
            raise refuse(
                f"removing choice {', '.join(change.removed_choices)} needs default=VALUE "
                "(or :optional) for the rows that hold it"
            )


def describe(change: FieldChange) -> str:
    """One line of the plan: what happens to the column."""
    old, new = change.old, change.new
    if change.kind == "add":
        assert new is not None
        return f"add column {new.column} ({new.text()})"
    if change.kind == "drop":
        assert old is not None
        return f"drop column {old.column} ({old.text()})"
    assert old is not None and new is not None
    if change.kind == "rename":
        return f"rename column {old.column} -> {new.column} (values kept)"
    return f"change column {new.column}: {old.text()} -> {new.text()}"
