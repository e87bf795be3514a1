"""The Alembic revision that takes a resource's table from one definition to the next.

One revision per change, chained after the project's head; an existing revision
is never edited (a database may already be at it). Every operation runs inside
`op.batch_alter_table`: on SQLite, Alembic copies the table into its new shape
(SQLite cannot alter a column in place); on PostgreSQL the same operations are
plain ALTERs. Constraint and index names follow the project's naming convention
(`app/models/base.py`), so a renamed column's index, unique constraint, foreign
key and CHECK are renamed with it.

Names in the generated code are the project's checked identifiers; values
(defaults, enum choices) are written as Python literals (repr), never pasted.
"""

from __future__ import annotations

import decimal
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from fastgen.commands.fields import Field
from fastgen.commands.resource_diff import FieldChange
from fastgen.render import template_environment

MACROS = "templates/resource/macros.jinja"


@dataclass(frozen=True)
class Table:
    """The resource's table and what its fields need to be written as SQL."""

    name: str
    # the referenced table of each ref field's target class (User -> users)
    ref_tables: Mapping[str, str]
    # the resource template's migration_type macro: a field's SQLAlchemy type as code
    sa_type: Callable[[Field], str]
    # its ondelete macro: a ref's `, ondelete="..."` argument, or nothing
    ondelete: Callable[[Field], str]
    # its key_columns macro: the columns of a field's index or unique constraint
    key_columns: Callable[[Field], str]

    def fk(self, f: Field) -> str:
        return f"fk_{self.name}_{f.column}_{self.ref_tables[str(f.ref)]}"


def _macros(template_root: Path, context: Mapping[str, Any]) -> Any:
    """The resource template's macros: the one place field types become code."""
    return template_environment(template_root).get_template(MACROS).make_module(dict(context))


def make_table(
    template_root: Path, name: str, ref_tables: Mapping[str, str], *, owned: bool
) -> Table:
    """The table, with the macros that write a field's type (migration_type), its
    foreign key's rule (ondelete) and its key's columns (key_columns: on an owned
    resource, a unique value is unique per owner)."""
    macros = _macros(template_root, {"name": "", "owned": owned})
    return Table(
        name,
        ref_tables,
        lambda field: str(macros.migration_type(field)).strip(),
        lambda field: str(macros.ondelete(field)).strip(),
        lambda field: str(macros.key_columns(field)).strip(),
    )


def create_table_text(template_root: Path, record: Mapping[str, Any]) -> str:
    """The statements creating a resource's table as its record defines it now."""
    return str(_macros(template_root, record).create_table())


def literal(f: Field, value: str) -> str:
    """A field's default as a Python value for the migration (a bound parameter)."""
    if f.type in {"int"}:
        return str(int(value))
    if f.type == "float":
        return repr(float(value))
    if f.type == "decimal":
        return f"Decimal({str(decimal.Decimal(value))!r})"
    if f.type == "bool":
        return "True" if value == "true" else "False"
    if f.type == "date":
        return f"date.fromisoformat({value!r})"
    return repr(value)


def server_default(f: Field) -> str:
    """The default as SQL that fills existing rows, the same on SQLite and PostgreSQL."""
    assert f.default is not None
    if f.type == "bool":
        return "sa.true()" if f.default == "true" else "sa.false()"
    # A string literal: SQLAlchemy quotes it, and both databases cast it to the column's type.
    if f.type == "decimal":
        return repr(str(decimal.Decimal(f.default)))
    return repr(f.default)


def _column(table: Table, f: Field, *, nullable: bool, filled: bool) -> str:
    default = f", server_default={server_default(f)}" if filled and f.default is not None else ""
    return f'sa.Column("{f.column}", {table.sa_type(f)}, nullable={nullable}{default})'


def _keys(table: Table, f: Field) -> list[tuple[str, str]]:
    """(create, drop) lines of each of the field's keys: its foreign key, then its
    index or unique constraint."""
    keys = []
    if f.type == "ref":
        target = table.ref_tables[str(f.ref)]
        keys.append(
            (
                f'batch.create_foreign_key(op.f("{table.fk(f)}"), "{target}", ["{f.column}"], '
                f'["id"]{table.ondelete(f)})',
                f'batch.drop_constraint(op.f("{table.fk(f)}"), type_="foreignkey")',
            )
        )
    if f.index or f.type == "ref":
        keys.append(
            (
                f'batch.create_index(op.f("ix_{table.name}_{f.column}"), '
                f"[{table.key_columns(f)}], unique={f.unique})",
                f'batch.drop_index(op.f("ix_{table.name}_{f.column}"))',
            )
        )
    elif f.unique:
        keys.append(
            (
                f'batch.create_unique_constraint(op.f("uq_{table.name}_{f.column}"), '
                f"[{table.key_columns(f)}])",
                f'batch.drop_constraint(op.f("uq_{table.name}_{f.column}"), type_="unique")',
            )
        )
    return keys


def _creates(keys: list[tuple[str, str]]) -> list[str]:
    return [create for create, _ in keys]


def _drops(keys: list[tuple[str, str]]) -> list[str]:
    """Dropped in the reverse order of their creation: the index before the key."""
    return [drop for _, drop in reversed(keys)]


def _fill(table: Table, column: str, value: str, where: str) -> str:
    """An UPDATE of the rows matching where (SQLAlchemy Core: the value is a bound parameter)."""
    rows = f'sa.table("{table.name}", sa.column("{column}"))'
    return f'op.execute({rows}.update().where({where}).values({{"{column}": {value}}}))'


@dataclass
class Steps:
    """Upgrade and downgrade, each as blocks: one `batch_alter_table` block of lines,
    or a bare statement (an UPDATE) between them."""

    upgrade: list[list[str] | str]
    downgrade: list[list[str] | str]


def _add(table: Table, f: Field) -> Steps:
    create, drop = _creates(_keys(table, f)), _drops(_keys(table, f))
    # Keys go in a batch of their own: on SQLite, one that copies the table once the
    # column is there (within one copy, a key on a column being added or renamed is lost).
    up: list[list[str] | str] = [
        [f"batch.add_column({_column(table, f, nullable=f.optional, filled=True)})"],
        *([create] if create else []),
    ]
    if f.default is not None:
        # The server default filled the existing rows; the model's default serves new ones.
        up.append([f'batch.alter_column("{f.column}", server_default=None)'])
    # The column's CHECK goes first: SQLite's copy of the table would keep it,
    # naming a column that is gone.
    return Steps(up, [[*drop, *_check(table, f)[1], f'batch.drop_column("{f.column}")']])


def _check(table: Table, f: Field) -> tuple[list[str], list[str]]:
    """(create, drop) lines for an enum's CHECK of its choices, named after the field."""
    if f.type != "enum":
        return [], []
    name = f'op.f("ck_{table.name}_{f.name}")'
    choices = ", ".join(f"'{choice}'" for choice in f.choices)  # checked identifiers
    return (
        [f'batch.create_check_constraint({name}, "{f.column} IN ({choices})")'],
        [f'batch.drop_constraint({name}, type_="check")'],
    )


def _storage(table: Table, f: Field) -> str:
    """The column's type without an enum's CHECK (Alembic would drop it once more)."""
    if f.type == "enum":
        return f"sa.String(length={max(len(choice) for choice in f.choices)})"
    return table.sa_type(f)


def _drop(table: Table, f: Field) -> Steps:
    # Downgrade re-adds the column, empty (nullable) unless a default can fill it.
    back = _add(table, replace(f, optional=f.optional or f.default is None))
    return Steps(back.downgrade, back.upgrade)


def _rename(table: Table, old: Field, new: Field) -> Steps:
    return Steps(_renamed(table, old, new), _renamed(table, new, old))


def _renamed(table: Table, old: Field, new: Field) -> list[list[str] | str]:
    # Keys and an enum's CHECK are named after the column: dropped with the old
    # name, made again with the new one.
    drop = [*_drops(_keys(table, old)), *_check(table, old)[1]]
    create = [*_creates(_keys(table, new)), *_check(table, new)[0]]
    rename = (
        f'batch.alter_column("{old.column}", new_column_name="{new.column}", '
        f"existing_type={_storage(table, old)}, existing_nullable={old.optional})"
    )
    return [[*drop, rename], *([create] if create else [])]


def _alter(table: Table, old: Field, new: Field) -> Steps:
    return Steps(_altered(table, old, new), _altered(table, new, old))


def _altered(table: Table, old: Field, new: Field) -> list[list[str] | str]:
    steps: list[list[str] | str] = []
    column = f'sa.column("{new.column}")'
    removed = FieldChange("alter", old, new).removed_choices
    if removed and (new.default is not None or new.optional):
        fallback = "None" if new.default is None else literal(new, new.default)
        steps.append(_fill(table, new.column, fallback, f"{column}.in_({removed!r})"))
    if old.optional and not new.optional and new.default is not None:
        steps.append(_fill(table, new.column, literal(new, new.default), f"{column}.is_(None)"))
    # Only the keys that differ are made again (a new on_delete: the foreign key).
    gone = [key for key in _keys(table, old) if key not in _keys(table, new)]
    made = [key for key in _keys(table, new) if key not in _keys(table, old)]
    lines = _drops(gone)
    arguments = []
    if FieldChange("alter", old, new).retyped:
        # For SchemaTypes (an enum's choices) Alembic also replaces the CHECK constraint.
        arguments.append(f"type_={table.sa_type(new)}")
        arguments.append(f'postgresql_using="{new.column}::{_pg_type(new)}"')
    if old.optional != new.optional:
        arguments.append(f"nullable={new.optional}")
    if arguments:
        lines.append(
            f'batch.alter_column("{new.column}", {", ".join(arguments)}, '
            f"existing_type={table.sa_type(old)}, existing_nullable={old.optional})"
        )
    if lines:
        steps.append(lines)
    if made:
        steps.append(_creates(made))
    return steps


def _pg_type(f: Field) -> str:
    """The PostgreSQL type a cast converts the stored values to."""
    if f.type == "str":
        return f"varchar({f.length})"
    if f.type == "email":
        return "varchar(320)"
    if f.type == "enum":
        return f"varchar({max(len(c) for c in f.choices)})"
    if f.type == "decimal":
        return f"numeric({f.precision}, {f.scale})"
    return {"text": "text", "int": "integer", "float": "double precision"}[f.type]


def steps(table: Table, change: FieldChange) -> Steps:
    old, new = change.old, change.new
    if change.kind == "add":
        assert new is not None
        return _add(table, new)
    if change.kind == "drop":
        assert old is not None
        return _drop(table, old)
    assert old is not None and new is not None
    if change.kind == "rename":
        return _rename(table, old, new)
    return _alter(table, old, new)


def revision_text(
    table: Table,
    changes: Sequence[FieldChange],
    *,
    message: str,
    revision: str,
    down_revision: str,
) -> str:
    """The revision's source (ruff formats it with the project's settings afterwards)."""
    planned = [steps(table, change) for change in changes]
    upgrade = [block for step in planned for block in step.upgrade]
    downgrade = [block for step in reversed(planned) for block in step.downgrade]
    return _module(message, revision, down_revision, _body(table, upgrade), _body(table, downgrade))


def drop_table_text(
    create_table: str, *, table: str, message: str, revision: str, down_revision: str
) -> str:
    """A revision dropping a resource's table; its downgrade recreates it, empty."""
    return _module(
        message, revision, down_revision, f'    op.drop_table("{table}")\n', create_table
    )


def _body(table: Table, blocks: list[list[str] | str]) -> str:
    if not blocks:
        return "    pass\n"
    text = ""
    for block in blocks:
        if isinstance(block, str):
            text += f"    {block}\n"
            continue
        text += f'    with op.batch_alter_table("{table.name}") as batch:\n'
        text += "".join(f"        {line}\n" for line in block)
    return text


def _module(message: str, revision: str, down_revision: str, upgrade: str, downgrade: str) -> str:
    needs = upgrade + downgrade
    imports = ["from collections.abc import Sequence"]
    if "date.fromisoformat(" in needs:
        imports.append("from datetime import date")
    if "Decimal(" in needs:
        imports.append("from decimal import Decimal")
    libraries = ("import sqlalchemy as sa\n" if "sa." in needs else "") + "from alembic import op\n"
    return (
        f'"""{message}\n\nRevision ID: {revision}\nRevises: {down_revision}\n"""\n\n'
        + "\n".join(imports)
        + f"\n\n{libraries}\n"
        f'revision: str = "{revision}"\n'
        f'down_revision: str | None = "{down_revision}"\n'
        "branch_labels: str | Sequence[str] | None = None\n"
        "depends_on: str | Sequence[str] | None = None\n\n\n"
        f"def upgrade() -> None:\n{upgrade}\n\ndef downgrade() -> None:\n{downgrade}"
    )
