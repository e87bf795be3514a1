"""Wire a new resource into the project's own files, by their structure (libcst).

The router joins the API router's includes in `app/api/v1/__init__.py`; the
model joins the imports and `__all__` of `app/models/__init__.py`, the module
Alembic's metadata comes from. Each edit is idempotent, keeps the user's
comments and layout, and writes what `ruff format` would (one line when it
fits the project's line length, otherwise one name per line). Where the place
cannot be found, WiringError says what to add by hand.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TypeVar

import libcst as cst

from fastgen.errors import UserInputError

ROUTERS = "app/api/v1/__init__.py"
MODELS = "app/models/__init__.py"

_Listed = TypeVar("_Listed", cst.ImportAlias, cst.Element)


class WiringError(UserInputError):
    """A file the resource must be wired into has no recognisable place for it."""


def wire_router(source: str, module: str, line_length: int) -> str:
    """Import `app.api.v1.<module>` and include its router in the API router."""
    tree = _parse(source, ROUTERS)
    by_hand = (
        f"{ROUTERS}: cannot find where the API router includes the others; add "
        f"`from app.api.v1 import {module}` and `router.include_router({module}.router)` "
        "by hand, then run the command again"
    )
    body = list(tree.body)
    imports = [i for i, s in enumerate(body) if _import_from(s, "app.api.v1")]
    includes = [i for i, s in enumerate(body) if _include_target(s) is not None]
    if not imports or not includes:
        raise WiringError(by_hand)
    first = body[imports[0]]
    assert isinstance(first, cst.SimpleStatementLine)
    body[imports[0]] = _add_import_name(tree, first, module, line_length)
    if not any(_include_target(body[i])[1] == module for i in includes):  # type: ignore[index]
        receiver = _include_target(body[includes[-1]])
        assert receiver is not None
        line = cst.parse_statement(f"{receiver[0]}.include_router({module}.router)\n")
        body.insert(includes[-1] + 1, line)
    return tree.with_changes(body=body).code


def wire_model(source: str, module: str, cls: str, line_length: int) -> str:
    """Import the model class in the models package and list it in `__all__`."""
    tree = _parse(source, MODELS)
    body = list(tree.body)
    models = [i for i, s in enumerate(body) if _import_from(s, "app.models.")]
    exports = [i for i, s in enumerate(body) if _all_list(s) is not None]
    if not models or not exports:
        raise WiringError(
            f"{MODELS}: cannot find its model imports and `__all__`; add "
            f"`from app.models.{module} import {cls}` and {cls!r} to `__all__` by hand, "
            "then run the command again"
        )
    wanted = f"app.models.{module}"
    if not any(_import_from(body[i], wanted) for i in models):
        # isort's place: before the first model module sorting after this one.
        names = {i: _module_name(body[i]) for i in models}
        at = next((i for i in models if natural(names[i]) > natural(wanted)), models[-1] + 1)
        line = cst.parse_statement(f"from {wanted} import {cls}\n")
        if at == models[0]:
            # First of the block: the blank line or comment above the block stays above it.
            line = line.with_changes(leading_lines=body[at].leading_lines)
            body[at] = body[at].with_changes(leading_lines=[])
        body.insert(at, line)
        exports = [i + 1 if i >= at else i for i in exports]
    statement = body[exports[0]]
    listed = _all_list(statement)
    assert isinstance(statement, cst.SimpleStatementLine) and listed is not None
    if cls not in _strings(listed.elements):
        new_list = _insert_sorted(listed, cls, "__all__ = ", line_length, tree)
        assignment = statement.body[0]
        assert isinstance(assignment, cst.Assign)
        body[exports[0]] = statement.with_changes(body=[assignment.with_changes(value=new_list)])
    return tree.with_changes(body=body).code


def unwire_router(source: str, module: str, line_length: int) -> str:
    """Take `app.api.v1.<module>`'s import and include out of the API router."""
    tree = _parse(source, ROUTERS)
    body: list[cst.BaseStatement] = []
    for statement in tree.body:
        included = _include_target(statement)
        if included is not None and included[1] == module:
            continue
        if _import_from(statement, "app.api.v1"):
            assert isinstance(statement, cst.SimpleStatementLine)
            kept = _remove_import_name(tree, statement, module, line_length)
            if kept is None:
                continue
            statement = kept
        body.append(statement)
    return tree.with_changes(body=body).code


def unwire_model(source: str, module: str, cls: str, line_length: int) -> str:
    """Take the model's import and its `__all__` entry out of the models package."""
    tree = _parse(source, MODELS)
    body: list[cst.BaseStatement] = []
    for statement in tree.body:
        if _import_from(statement, f"app.models.{module}"):
            continue
        listed = _all_list(statement)
        if listed is not None and cls in _strings(listed.elements):
            assert isinstance(statement, cst.SimpleStatementLine)
            kept = [e for e in listed.elements if _strings([e]) != [cls]]
            items = [f'"{item}"' for item in _strings(kept)]
            text = f"__all__ = [{', '.join(items)}]"
            if len(text) > line_length or "\n" in tree.code_for_node(listed):
                text = "__all__ = [\n" + "".join(f"    {item},\n" for item in items) + "]"
            new = cst.parse_statement(text + "\n")
            statement = new.with_changes(leading_lines=statement.leading_lines)
        body.append(statement)
    return tree.with_changes(body=body).code


def _remove_import_name(
    tree: cst.Module, statement: cst.SimpleStatementLine, name: str, line_length: int
) -> cst.SimpleStatementLine | None:
    """The import without `name`; None when nothing is left of it."""
    small = _small(statement)
    assert isinstance(small, cst.ImportFrom) and not isinstance(small.names, cst.ImportStar)
    present = [_dotted(alias.name) for alias in small.names]
    if name not in present:
        return statement
    items = [item for item in present if item != name]
    if not items:
        return None
    module = _dotted(small.module)
    text = f"from {module} import {', '.join(items)}"
    if len(text) > line_length or "\n" in tree.code_for_node(small):
        text = f"from {module} import (\n" + "".join(f"    {item},\n" for item in items) + ")"
    new = cst.parse_statement(text + "\n")
    assert isinstance(new, cst.SimpleStatementLine)
    return new.with_changes(
        leading_lines=statement.leading_lines, trailing_whitespace=statement.trailing_whitespace
    )


def natural(name: str) -> list[str | int]:
    """The order ruff's isort (and RUF022) gives names: numbers by their value, so
    level2 comes before level10."""
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", name)]


def _parse(source: str, path: str) -> cst.Module:
    try:
        return cst.parse_module(source)
    except cst.ParserSyntaxError as error:
        raise WiringError(f"{path}:{error.raw_line}: not valid Python; fix it first") from None


def _small(statement: cst.CSTNode) -> cst.BaseSmallStatement | None:
    if isinstance(statement, cst.SimpleStatementLine) and len(statement.body) == 1:
        return statement.body[0]
    return None


def _dotted(node: cst.BaseExpression | None) -> str:
    if isinstance(node, cst.Name):
        return node.value
    if isinstance(node, cst.Attribute):
        return f"{_dotted(node.value)}.{node.attr.value}"
    return ""


def _module_name(statement: cst.CSTNode) -> str:
    small = _small(statement)
    return _dotted(small.module) if isinstance(small, cst.ImportFrom) else ""


def _import_from(statement: cst.CSTNode, prefix: str) -> bool:
    """An import `from <prefix>...` (prefix ending in '.') or `from <prefix> import`."""
    name = _module_name(statement)
    return name.startswith(prefix) if prefix.endswith(".") else name == prefix


def _include_target(statement: cst.CSTNode) -> tuple[str, str | None] | None:
    """For `R.include_router(X.router)`: (R, X); None for any other statement."""
    small = _small(statement)
    if not isinstance(small, cst.Expr) or not isinstance(small.value, cst.Call):
        return None
    func = small.value.func
    if not isinstance(func, cst.Attribute) or func.attr.value != "include_router":
        return None
    args = small.value.args
    included = _dotted(args[0].value) if args else ""
    return _dotted(func.value), included.removesuffix(".router") if included else None


def _all_list(statement: cst.CSTNode) -> cst.List | None:
    small = _small(statement)
    if (
        isinstance(small, cst.Assign)
        and len(small.targets) == 1
        and _dotted(small.targets[0].target) == "__all__"
        and isinstance(small.value, cst.List)
    ):
        return small.value
    return None


def _strings(elements: Sequence[cst.BaseElement]) -> list[str]:
    return [
        e.value.evaluated_value
        for e in elements
        if isinstance(e.value, cst.SimpleString) and isinstance(e.value.evaluated_value, str)
    ]


def _add_import_name(
    tree: cst.Module, statement: cst.SimpleStatementLine, name: str, line_length: int
) -> cst.SimpleStatementLine:
    small = _small(statement)
    assert isinstance(small, cst.ImportFrom) and not isinstance(small.names, cst.ImportStar)
    present = [_dotted(alias.name) for alias in small.names]
    if name in present:
        return statement
    if "\n" in tree.code_for_node(small):
        names = _insert_element(small.names, present, name, cst.ImportAlias(cst.Name(name)))
        return statement.with_changes(body=[small.with_changes(names=names)])
    items = sorted([*present, name], key=natural)
    text = f"from {_dotted(small.module)} import {', '.join(items)}"
    if len(text) > line_length:
        text = (
            f"from {_dotted(small.module)} import (\n"
            + "".join(f"    {item},\n" for item in items)
            + ")"
        )
    new = cst.parse_statement(text + "\n")
    assert isinstance(new, cst.SimpleStatementLine)
    return new.with_changes(
        leading_lines=statement.leading_lines, trailing_whitespace=statement.trailing_whitespace
    )


def _insert_sorted(
    listed: cst.List, value: str, prefix: str, line_length: int, tree: cst.Module
) -> cst.List:
    present = _strings(listed.elements)
    quoted = cst.SimpleString(f'"{value}"')
    if "\n" in tree.code_for_node(listed):
        return listed.with_changes(
            elements=_insert_element(listed.elements, present, value, cst.Element(quoted))
        )
    items = [f'"{item}"' for item in sorted([*present, value], key=natural)]
    text = f"[{', '.join(items)}]"
    if len(prefix) + len(text) > line_length:
        text = "[\n" + "".join(f"    {item},\n" for item in items) + "]"
    expression = cst.parse_expression(text)
    assert isinstance(expression, cst.List)
    return expression


def _insert_element(
    elements: Sequence[_Listed], present: list[str], value: str, new: _Listed
) -> list[_Listed]:
    """Insert `new` into a one-per-line sequence at its sorted place, keeping
    every existing element and the comment after it."""
    at = next((i for i, item in enumerate(present) if natural(item) > natural(value)), len(present))
    result = list(elements)
    separator = next(
        (
            e.comma
            for e in result[:-1]
            if isinstance(e.comma, cst.Comma) and _line_break(e.comma) and not _commented(e.comma)
        ),
        _NEXT_LINE,
    )
    if at < len(result):
        result.insert(at, new.with_changes(comma=separator))
        return result
    # Appended: the old last element now needs the separator of the middle ones
    # (keeping its comment), the new one takes the closing line break.
    last = result[-1]
    closing = last.comma
    if isinstance(closing, cst.Comma) and (after := _line_break(closing)):
        kept = separator.with_changes(
            whitespace_after=after.with_changes(last_line=_line_break(separator).last_line)  # type: ignore[union-attr]
        )
        result[-1] = last.with_changes(comma=kept)
        closing = closing.with_changes(
            whitespace_after=after.with_changes(first_line=cst.TrailingWhitespace())
        )
    else:
        result[-1] = last.with_changes(comma=separator)
    result.append(new.with_changes(comma=closing))
    return result


_NEXT_LINE = cst.Comma(
    whitespace_after=cst.ParenthesizedWhitespace(
        first_line=cst.TrailingWhitespace(), indent=True, last_line=cst.SimpleWhitespace("    ")
    )
)


def _line_break(comma: cst.Comma) -> cst.ParenthesizedWhitespace | None:
    after = comma.whitespace_after
    return after if isinstance(after, cst.ParenthesizedWhitespace) else None


def _commented(comma: cst.Comma) -> bool:
    after = _line_break(comma)
    return after is not None and after.first_line.comment is not None
