"""A resource's names: `OrderLine` -> class OrderLine, module order_line, table
order_lines, URL /order-lines."""

from __future__ import annotations

import keyword
import re
from dataclasses import dataclass

from fastgen.errors import UserInputError


class InvalidName(UserInputError):
    """A resource or field name that cannot become Python, SQL and URL names."""


_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]*\Z")
_SNAKE = re.compile(r"[a-z][a-z0-9]*(_[a-z0-9]+)*\Z")
# Modules, tables and classes the project already has, and names imported
# into a resource's own files (a resource `String` would shadow sqlalchemy's).
RESERVED_MODULES = frozenset(
    {"admin", "api", "auth", "base", "common", "core", "health", "page", "resource"}
    | {"resources", "token", "tokens", "user", "users", "alembic_version", "v1"}
    # local names of the generated services, routers and tests
    | {"client", "data", "equal", "headers", "query", "response", "router", "status"}
    | {"url", "values", "write"}
)
RESERVED_CLASSES = frozenset(
    {"Any", "Annotated", "APIRouter", "AwareDatetime", "Base", "BaseModel", "Boolean"}
    | {"CachedUser", "ConfigDict", "Conflict", "Date", "Decimal", "EmailStr", "Enum"}
    | {"Field", "Float", "ForeignKey", "Integer", "JSON", "JsonData", "JsonValue"}
    | {"Literal", "Mapped", "NotFound", "Numeric", "Query", "Response", "StrEnum"}
    | {"String", "Text"}
    | {"TimestampMixin", "UTCDateTime", "UUID", "Uuid", "User", "UserNotFound"}
)


def snake_case(name: str) -> str:
    """`OrderLine`, `orderLine` and `order_line` -> `order_line`."""
    spaced = re.sub(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", "_", name)
    return re.sub(r"_+", "_", spaced).strip("_").lower()


def pluralize(snake: str) -> str:
    """English plural of the last word: category -> categories, box -> boxes."""
    if re.search(r"[^aeiou]y\Z", snake):
        return snake[:-1] + "ies"
    if snake.endswith(("s", "x", "z", "ch", "sh")):
        return snake + "es"
    return snake + "s"


@dataclass(frozen=True)
class ResourceNames:
    cls: str  # OrderLine
    module: str  # order_line
    plural: str  # order_lines

    @property
    def url(self) -> str:
        return "/" + self.plural.replace("_", "-")

    @classmethod
    def of(cls, name: str, plural: str | None = None) -> ResourceNames:
        """Check NAME (and --plural) and derive the rest; InvalidName says what is wrong."""
        if not _NAME.match(name):
            raise InvalidName(
                f"resource name {name!r}: use letters, digits and '_', starting with a letter"
            )
        module = snake_case(name)
        names = cls("".join(part.capitalize() for part in module.split("_")), module, "")
        if plural is not None and not _SNAKE.match(plural):
            raise InvalidName(f"--plural {plural!r}: use lower_snake_case, starting with a letter")
        names = cls(names.cls, module, plural or pluralize(module))
        if names.plural == module:
            raise InvalidName(
                f"--plural {names.plural!r}: must differ from the singular {module!r}"
            )
        for word in (module, names.plural):
            if keyword.iskeyword(word) or keyword.issoftkeyword(word):
                raise InvalidName(f"resource name {name!r}: {word!r} is a Python keyword")
            if word in RESERVED_MODULES:
                raise InvalidName(
                    f"resource name {name!r}: {word!r} clashes with the app's own modules"
                )
        if names.cls in RESERVED_CLASSES:
            raise InvalidName(
                f"resource name {name!r}: class {names.cls} clashes with a name "
                "the app already uses"
            )
        return names
