"""A resource's names: `OrderLine` -> class OrderLine, module order_line, table
order_lines, URL /order-lines."""

from __future__ import annotations

import functools
import keyword
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from fastgen.errors import UserInputError

if TYPE_CHECKING:
    import inflect


class InvalidName(UserInputError):
    """A resource or field name that cannot become Python, SQL and URL names."""


_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]*\Z")
_SNAKE = re.compile(r"[a-z][a-z0-9]*(_[a-z0-9]+)*\Z")
# PostgreSQL cuts longer names to 63 bytes (NAMEDATALEN - 1) without a word, and
# the shortened table or column then differs from the models (`alembic check`).
# Constraint and index names are not limited by it: SQLAlchemy shortens the
# names it builds from the naming convention alike in models and migrations.
MAX_IDENTIFIER = 63
# Modules, tables and classes the project already has, and names imported
# into a resource's own files (a resource `String` would shadow sqlalchemy's).
# tests/test_add_resource.py holds TABLES to every table a project can have.
TABLES = frozenset({"users", "refresh_tokens", "revoked_tokens", "alembic_version"})
RESERVED_MODULES = frozenset(
    {"admin", "api", "auth", "base", "common", "core", "health", "page", "resource"}
    | {"resources", "token", "tokens", "user", "v1"}
    | TABLES
    | {"refresh_token", "revoked_token"}
    # local names of the generated services, routers and tests
    | {"client", "data", "equal", "headers", "query", "response", "router", "status"}
    | {"url", "values", "write", "self", "ref_id", "rows", "total"}
)
# Tables the databases keep for themselves: SQLite refuses to create any table
# named sqlite_*, and PostgreSQL finds its catalogs (pg_*) before the app's tables.
SYSTEM_PREFIXES = ("sqlite_", "pg_")
SYSTEM_TABLES = frozenset({"information_schema"})
# SQLite keywords that SQLAlchemy writes unquoted although SQLite cannot take
# them as a table or column name there (`INSERT ... RETURNING`); SQLite's other
# keywords are quoted or taken as names (tests/attack/test_generator.py).
UNQUOTED_KEYWORDS = frozenset({"nothing", "returning"})
RESERVED_CLASSES = frozenset(
    {"Any", "Annotated", "APIRouter", "AwareDatetime", "Base", "BaseModel", "Boolean"}
    | {"CachedUser", "ConfigDict", "Conflict", "Date", "Decimal", "EmailStr", "Enum"}
    | {"Field", "Float", "ForeignKey", "Integer", "JSON", "JsonData", "JsonValue"}
    | {"InUse", "Literal", "Mapped", "NotFound", "Numeric", "PageRow", "Query", "Response"}
    | {"StrEnum", "String", "Text"}
    | {"TimestampMixin", "UTCDateTime", "UUID", "Uuid", "User", "UserNotFound"}
    | {"AsyncSession", "Awaitable", "BaseRepository", "BaseService", "CurrentUser"}
    | {"Depends", "DuplicateError", "IdPath", "MissingReferenceError", "SessionDep"}
    | {"Page", "Resources", "SkipJsonSchema", "UserFactory", "UserRepository"}
    | {"UserRepositoryDep", "StrictBool", "StrictFloat", "StrictInt", "JsonInt"}
    | {"AdminUser", "ColumnElement", "Index", "UniqueConstraint"}
)


def _short(text: str) -> str:
    """`text` quoted, its middle left out when long (a refusal stays one readable line)."""
    return repr(text) if len(text) <= 40 else repr(f"{text[:20]}...{text[-10:]}")


def snake_case(name: str) -> str:
    """`OrderLine`, `orderLine` and `order_line` -> `order_line`."""
    spaced = re.sub(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", "_", name)
    return re.sub(r"_+", "_", spaced).strip("_").lower()


def pluralize(snake: str) -> str:
    """The English plural of the last word (inflect's): category -> categories,
    person -> people, datum -> data, order_line -> order_lines. A word that is
    its own plural (sheep, series) comes back as it is."""
    head, _, last = snake.rpartition("_")
    return f"{head}_{_english().plural_noun(last)}" if head else _english().plural_noun(last)


def looks_plural(snake: str) -> bool:
    """Whether the last word is a plural already (widgets, boxes, people, data).

    inflect's singular_noun also strips the s of singulars (bus -> bu), so a word
    ending in s counts as plural only when inflect would pluralise it by a bare s
    (widgets -> widgetss); other words when they are the plural of their singular."""
    last = snake.rpartition("_")[2]
    english = _english()
    if last.endswith("s"):
        return bool(english.plural_noun(last) == last + "s")
    singular = english.singular_noun(last)
    return isinstance(singular, str) and singular != last and english.plural_noun(singular) == last


@functools.cache
def _english() -> inflect.engine:
    import inflect

    return inflect.engine()


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
        for word in (module, names.plural):
            said = f"--plural {_short(word)}" if plural == word else f"resource name {_short(name)}"
            if len(word) > MAX_IDENTIFIER:
                raise InvalidName(
                    f"{said}: {_short(word)} has {len(word)} characters; at most "
                    f"{MAX_IDENTIFIER} (PostgreSQL's limit for table and other names)"
                )
            if keyword.iskeyword(word) or keyword.issoftkeyword(word):
                raise InvalidName(f"{said}: {word!r} is a Python keyword")
            if word in RESERVED_MODULES:
                raise InvalidName(f"{said}: {word!r} clashes with the app's own modules or tables")
        said = f"--plural {plural!r}" if plural else f"resource name {name!r}"
        if names.plural.startswith(SYSTEM_PREFIXES) or names.plural in SYSTEM_TABLES:
            raise InvalidName(
                f"{said}: table {names.plural!r} is a name SQLite or PostgreSQL keeps for "
                "its own tables (sqlite_*, pg_*, information_schema)"
            )
        if names.plural in UNQUOTED_KEYWORDS:
            raise InvalidName(f"{said}: table {names.plural!r} is an SQLite keyword")
        if keyword.iskeyword(names.cls):
            raise InvalidName(f"resource name {name!r}: class {names.cls} is a Python keyword")
        if plural is None and looks_plural(module):
            raise InvalidName(
                f"resource name {_short(name)} looks plural; name the resource in the "
                "singular (its table and URL take the plural), or give --plural"
            )
        if names.plural == module and plural:
            raise InvalidName(f"--plural {plural!r}: must differ from the singular {module!r}")
        if names.plural == module:
            raise InvalidName(
                f"resource name {_short(name)}: its plural is the same word ({module!r}); "
                "give the table and URL a name of their own with --plural"
            )
        if names.cls in RESERVED_CLASSES:
            raise InvalidName(
                f"resource name {name!r}: class {names.cls} clashes with a name "
                "the app already uses"
            )
        return names
