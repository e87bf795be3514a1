"""`fastgen add resource`: names, the field grammar, wiring, refusals and atomicity.

These run the command in a generated project and look at its files; the
generated code's own checks (ruff, mypy, Alembic, pytest) run in
tests/variants/test_resources.py.
"""

from __future__ import annotations

import ast
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from conftest import Run, fastgen, tree_bytes
from fastgen.commands import add_resource as pipeline
from fastgen.commands import naming
from fastgen.commands.fields import (
    FILTERABLE,
    RANGED,
    SEARCHED,
    InvalidField,
    parse_field,
    parse_fields,
)
from fastgen.commands.naming import ResourceNames
from fastgen.commands.wiring import WiringError, wire_model, wire_router
from fastgen.errors import UserInputError
from test_bad_input import assert_refused

CATEGORY = ["name:str:80:unique"]


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A default project (a git repository with one commit), made once."""
    root = tmp_path_factory.mktemp("made")
    run = fastgen("new", "shop", "--defaults", "-o", str(root))
    assert run.exit_code == 0, run.stderr
    return root / "shop"


@pytest.fixture
def project(made: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "shop"
    shutil.copytree(made, copy, symlinks=True)
    return copy


def git_status(project: Path) -> str:
    return subprocess.run(
        ["git", "status", "--porcelain", "--untracked-files=all"],
        cwd=project,
        capture_output=True,
        text=True,
        check=True,
    ).stdout


def add(project: Path, *args: str) -> Run:
    return fastgen("add", "resource", *args, "--project-dir", str(project))


# ------------------------------------------------------------------ names


@pytest.mark.parametrize(
    ("name", "cls", "module", "plural", "url"),
    [
        ("Category", "Category", "category", "categories", "/categories"),
        ("OrderLine", "OrderLine", "order_line", "order_lines", "/order-lines"),
        ("order_line", "OrderLine", "order_line", "order_lines", "/order-lines"),
        ("Box", "Box", "box", "boxes", "/boxes"),
        ("Day", "Day", "day", "days", "/days"),
        ("HTTPLog", "HttpLog", "http_log", "http_logs", "/http-logs"),
        # English plurals (inflect's), not a suffix rule
        ("Person", "Person", "person", "people", "/people"),
        ("SalesPerson", "SalesPerson", "sales_person", "sales_people", "/sales-people"),
        ("Child", "Child", "child", "children", "/children"),
        ("Bus", "Bus", "bus", "buses", "/buses"),
        ("Analysis", "Analysis", "analysis", "analyses", "/analyses"),
        ("Quiz", "Quiz", "quiz", "quizzes", "/quizzes"),
    ],
)
def test_names_follow_the_resource(name: str, cls: str, module: str, plural: str, url: str) -> None:
    names = ResourceNames.of(name)

    assert (names.cls, names.module, names.plural, names.url) == (cls, module, plural, url)


def test_plural_overrides_the_english_one() -> None:
    assert ResourceNames.of("Person", "persons").url == "/persons"
    assert ResourceNames.of("Sheep", "flock").plural == "flock"


@pytest.mark.parametrize(
    ("name", "words"),
    [
        ("Widgets", ["'Widgets'", "looks plural", "singular"]),
        ("OrderLines", ["looks plural"]),
        ("People", ["looks plural"]),
        ("Sheep", ["plural is the same word", "--plural"]),
        ("Series", ["plural is the same word", "--plural"]),
    ],
)
def test_a_name_with_no_plural_of_its_own_is_refused(name: str, words: list[str]) -> None:
    with pytest.raises(UserInputError) as refused:
        ResourceNames.of(name)
    assert all(word in refused.value.message for word in words), refused.value.message


# ------------------------------------------------------------------ fields


def test_every_type_and_modifier_parses() -> None:
    price = parse_field("price:decimal:12,3:optional:index:default=1.500")
    status = parse_field("status:enum:draft,published:default=draft:unique")
    owner = parse_field("category:ref:Category")

    assert (price.precision, price.scale, price.optional, price.index, price.default) == (
        12, 3, True, True, "1.500",
    )  # fmt: skip
    assert status.choices == ["draft", "published"]
    assert (status.default, status.unique) == ("draft", True)
    assert (owner.ref, owner.column) == ("Category", "category_id")
    assert parse_field("title:str").length == 255
    line = parse_field("order:ref:Order:optional:on_delete=set_null")
    assert (line.on_delete, parse_field(line.text())) == ("set_null", line)
    assert (parse_field("amount:decimal").precision, parse_field("amount:decimal").scale) == (10, 2)


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("title", "expected NAME:TYPE"),
        ("title::optional", "no empty part"),
        ("title:string", "unknown type 'string'"),
        ("title:str:huge", "length 'huge'"),
        ("title:str:120:sometimes", "unknown modifier 'sometimes'"),
        ("title:str:0", "length '0'"),
        ("class:str", "Python keyword"),
        ("id:int", "reserved"),
        ("owner_id:int", "reserved"),
        ("model_kind:str", "reserved"),
        ("Title:str", "lower_snake_case"),
        ("status:enum", "needs its argument"),
        ("status:enum:Draft,published", "choice 'Draft'"),
        ("status:enum:a,a", "given twice"),
        ("status:enum:a,b:default=c", "not one of a, b"),
        ("category:ref", "needs its argument"),
        ("category:ref:category", "name the resource's class"),
        ("category:ref:Category:on_delete=later", "expected one of restrict, cascade, set_null"),
        ("category:ref:Category:on_delete=set_null", "needs an optional reference"),
        ("author:ref:User:on_delete=set_null", "needs an optional reference"),
        ("title:str:on_delete=cascade", "for ref fields only"),
        ("category:ref:Category:on_delete=cascade:on_delete=restrict", "given twice"),
        ("price:decimal:2,5", "precision '2,5'"),
        ("price:decimal:10,2:default=1.234", "more than 2 decimal places"),
        ("stock:int:default=many", "not a valid int"),
        ("stock:int:default=3000000000", "32-bit"),
        ("when:datetime:default=now", "not supported"),
        ("data:json:unique", "cannot be unique"),
        ("title:str:unique:unique", "given twice"),
        # A default is held to the rules the API holds a value to: else every
        # create that leaves the field out answers 500, or stores what a client
        # could not send.
        ("contact:email:default=@", "not a valid email address"),
        ("contact:email:default=a@b.test", "special-use or reserved name"),
        ("contact:email:default=someone@Example.COM", "write it as 'someone@example.com'"),
        ("title:str:default=", "at least 1 character"),
        ("title:str:3:default=four", "longer than 3 characters"),
        ("title:str:default=a\x00b", "NUL"),
        ("notes:text:default=a\x00b", "NUL"),
        ("notes:text:default=a\udcffb", "lone surrogate"),
        # A PostgreSQL btree index row holds 2,704 bytes: a longer value would
        # answer 500 on write.
        ("title:str:601:unique", "at most 600 characters"),
        ("title:str:10000:index", "at most 600 characters"),
        ("notes:text:index", "use str:N"),
        ("notes:text:unique:optional", "use str:N"),
    ],
)
def test_bad_fields_are_refused_naming_the_part(text: str, why: str) -> None:
    with pytest.raises(InvalidField) as refused:
        parse_field(text)

    assert f"field {text!r}" in refused.value.message
    assert why in refused.value.message


@pytest.mark.parametrize(
    "text",
    [
        "contact:email:default=someone@example.com",
        "title:str:optional:default=",
        "notes:text:default=",
        "title:str:4:default=four",
    ],
)
def test_defaults_the_api_would_accept_are_accepted(text: str) -> None:
    assert parse_field(text).default == text.split("default=", 1)[1]


def test_the_longest_indexed_str_is_the_longest_an_index_row_holds() -> None:
    assert parse_field("title:str:600:unique").length == 600
    assert parse_field("title:str:600:index").length == 600
    assert parse_field("title:str:10000").length == 10_000


# ----------------------------------------------------------------- wiring

ROUTERS = '''"""Our API."""

from fastapi import APIRouter

# the routers, one per area
from app.api.v1 import (
    admin,  # admin only
    auth,
    items,
    reports,  # hand-written
    users,
)
from app.schemas.common import error_responses

router = APIRouter(prefix="/api/v1", responses=error_responses(429))
router.include_router(auth.router)
router.include_router(users.router)  # users first
router.include_router(items.router)
router.include_router(admin.router)
router.include_router(reports.router, prefix="/reports")
'''


def test_the_router_is_wired_among_a_users_own_edits() -> None:
    wired = wire_router(ROUTERS, "products", 120)

    assert "    products,\n    reports,  # hand-written\n" in wired
    assert wired.endswith(
        'router.include_router(reports.router, prefix="/reports")\n'
        "router.include_router(products.router)\n"
    )
    assert (
        wired.replace("    products,\n", "").replace("router.include_router(products.router)\n", "")
        == ROUTERS
    )
    assert wire_router(wired, "products", 120) == wired


def test_a_long_import_is_wrapped_as_ruff_format_would() -> None:
    source = (
        "from app.api.v1 import admin, auth, items, users\n\nrouter.include_router(auth.router)\n"
    )

    assert wire_router(source, "products", 120).startswith(
        "from app.api.v1 import admin, auth, items, products, users\n"
    )
    assert wire_router(source, "products", 40).startswith(
        "from app.api.v1 import (\n"
        "    admin,\n    auth,\n    items,\n    products,\n    users,\n)\n"
    )


def test_the_model_is_imported_and_exported_in_sorted_places() -> None:
    source = (
        "from app.models.base import Base  # the base\n"
        "from app.models.user import User\n\n"
        "__all__ = [\n"
        '    "Base",  # keep\n'
        '    "User",\n'
        "]\n"
    )

    wired = wire_model(source, "order_line", "OrderLine", 88)

    assert wired == (
        "from app.models.base import Base  # the base\n"
        "from app.models.order_line import OrderLine\n"
        "from app.models.user import User\n\n"
        "__all__ = [\n"
        '    "Base",  # keep\n'
        '    "OrderLine",\n'
        '    "User",\n'
        "]\n"
    )
    assert wire_model(wired, "order_line", "OrderLine", 88) == wired


@pytest.mark.parametrize(
    ("wire", "source", "hint"),
    [
        (lambda s: wire_router(s, "products", 88), "router = 1\n", "router.include_router"),
        (
            lambda s: wire_model(s, "product", "Product", 88),
            "from app.models.user import User\n",
            "__all__",
        ),
        (lambda s: wire_router(s, "products", 88), "def broken(:\n", "not valid Python"),
    ],
)
def test_wiring_that_finds_no_place_says_what_to_add_by_hand(wire, source: str, hint: str) -> None:
    with pytest.raises(WiringError) as refused:
        wire(source)

    assert hint in refused.value.message


# --------------------------------------------------------------- the command


def test_a_resource_is_added_through_every_layer(project: Path) -> None:
    run = add(project, "Category", *CATEGORY)

    assert run.exit_code == 0, run.stderr
    assert git_status(project).splitlines() == [
        " M app/api/v1/__init__.py",
        " M app/models/__init__.py",
        "?? .fastgen/resources/categories.yml",
        "?? alembic/versions/0004_create_categories.py",
        "?? app/api/v1/categories.py",
        "?? app/api/v1/categories_deps.py",
        "?? app/models/category.py",
        "?? app/repositories/category_repository.py",
        "?? app/schemas/category.py",
        "?? app/services/category_service.py",
        "?? tests/integration/test_categories.py",
        "?? tests/unit/test_categories_service.py",
    ]
    assert (
        'down_revision: str | None = "0003"'  # after 0003_create_items
        in (project / "alembic/versions/0004_create_categories.py").read_text()
    )
    assert "alembic upgrade head" in run.stdout and "pytest" in run.stdout
    recorded = (project / ".fastgen/resources/categories.yml").read_text()
    assert "name: Category" in recorded and "length: 80" in recorded


def test_a_second_resource_chains_its_migration_and_may_reference_the_first(
    project: Path,
) -> None:
    assert add(project, "Category", *CATEGORY).exit_code == 0

    run = add(project, "Product", "name:str", "category:ref:Category")

    assert run.exit_code == 0, run.stderr
    migration = (project / "alembic/versions/0005_create_products.py").read_text()
    assert 'down_revision: str | None = "0004"' in migration
    assert '["categories.id"]' in migration
    assert "CategoryNotFound" in (project / "app/services/product_service.py").read_text()


def test_each_access_mode_is_recorded_and_shapes_the_router_and_repository(
    project: Path,
) -> None:
    assert add(project, "Category", *CATEGORY, "--access", "catalog").exit_code == 0
    assert add(project, "Basket", "name:str").exit_code == 0
    run = add(project, "Line", "basket:ref:Basket", "qty:int", "--access", "parent:basket")
    assert run.exit_code == 0, run.stderr
    assert add(project, "Note", "body:text", "--no-owned").exit_code == 0

    def recorded(plural: str) -> str:
        record = yaml.safe_load((project / f".fastgen/resources/{plural}.yml").read_text())
        assert "owned" not in record  # access replaced it
        return str(record["access"])

    assert [recorded(p) for p in ("categories", "baskets", "lines", "notes")] == [
        "catalog", "owned", "parent:basket", "shared",
    ]  # fmt: skip
    router = (project / "app/api/v1/categories.py").read_text()
    # Every signed-in user reads the catalogue; its four writes take an admin.
    assert router.count("user: AdminUser") == 4 and router.count("user: CurrentUser") == 2
    lines = (project / "app/repositories/line_repository.py").read_text()
    assert "Line.basket_id.in_(" in lines and "BasketRepository.visible_to(user_id)" in lines
    assert "def visible_to" not in (project / "app/repositories/note_repository.py").read_text()


def test_a_parent_owned_resource_follows_its_field_and_keeps_it(project: Path) -> None:
    assert add(project, "Basket", "name:str").exit_code == 0
    run = add(project, "Line", "basket:ref:Basket", "qty:int", "--access", "parent:basket")
    assert run.exit_code == 0, run.stderr
    subprocess.run(["git", "add", "-A"], cwd=project, check=True)
    subprocess.run(["git", "commit", "-qm", "lines"], cwd=project, check=True)

    renamed = fastgen("rename", "field", "Line", "basket", "cart", "-p", str(project))
    subprocess.run(["git", "add", "-A"], cwd=project, check=True)
    subprocess.run(["git", "commit", "-qm", "renamed"], cwd=project, check=True)
    removed = fastgen("remove", "field", "Line", "cart", "-p", str(project))
    optional = fastgen("change", "field", "Line", "cart:ref:Basket:optional", "-p", str(project))

    assert renamed.exit_code == 0, renamed.stderr
    record = yaml.safe_load((project / ".fastgen/resources/lines.yml").read_text())
    assert record["access"] == "parent:cart"
    assert "Line.cart_id.in_(" in (project / "app/repositories/line_repository.py").read_text()
    assert_refused(removed, "'cart' is not one of its fields", "its rows follow that field")
    assert_refused(optional, "'cart' is optional")


# A field of every type, and names that look like another's filter parameters.
EVERY_TYPE = [
    "price:decimal:10,2", "price_min:int:optional", "price_gte:float:optional",
    "name:str:40:unique", "notes:text:optional", "stock:int:index", "active:bool",
    "released:date:optional", "seen_at:datetime:optional", "serial:uuid:optional",
    "meta:json:optional", "contact:email:optional", "status:enum:draft,published",
    "category:ref:Category",
]  # fmt: skip


def test_the_list_query_has_one_parameter_per_filter_and_no_two_alike(project: Path) -> None:
    assert add(project, "Category", *CATEGORY).exit_code == 0

    run = add(project, "Product", *EVERY_TYPE)

    assert run.exit_code == 0, run.stderr
    module = ast.parse((project / "app/schemas/product.py").read_text())
    query = next(
        node
        for node in module.body
        if isinstance(node, ast.ClassDef) and node.name == "ProductQuery"
    )
    names = [
        node.target.id
        for node in query.body
        if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name)
    ]
    expected = ["skip", "limit", "sort"]
    for field in parse_fields(EVERY_TYPE):
        if field.type in FILTERABLE:
            expected.append(field.column)
        if field.type in RANGED:
            expected += [f"{field.column}__gte", f"{field.column}__lte"]
        if field.type in SEARCHED:
            expected.append(f"{field.column}__contains")
    assert names == expected
    assert len(set(names)) == len(names)
    assert "notes" not in names and "meta" not in names


def test_a_field_named_as_a_filter_parameter_is_refused() -> None:
    # `__` is what keeps `price__gte` apart from every field: no field holds it.
    with pytest.raises(InvalidField, match="lower_snake_case"):
        parse_fields(["price:int", "price__gte:int"])


def test_a_dry_run_lists_the_files_and_changes_nothing(project: Path) -> None:
    before = tree_bytes(project)

    run = add(project, "Category", *CATEGORY, "--dry-run")

    assert run.exit_code == 0, run.stderr
    assert "app/models/category.py" in run.stdout
    assert "app/api/v1/__init__.py" in run.stdout
    assert tree_bytes(project) == before
    assert git_status(project) == ""


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["Category", *CATEGORY], ["'Category'", "has it already"]),
        (["class"], ["keyword"]),
        (["Users"], ["clashes with the app's own modules"]),
        (["Item"], ["'Item'", "has it already"]),
        (["String"], ["clashes"]),
        (["2fast"], ["resource name"]),
        (["Product", "name:text:120"], ["'name:text:120'", "unknown modifier '120'"]),
        (["Product", "name:varchar"], ["'name:varchar'", "unknown type"]),
        (["Product", "name"], ["'name'", "NAME:TYPE"]),
        (["Product", "name:str", "name:text"], ["'name' is given twice"]),
        (["Product", "brand:ref:Brand"], ["no resource Brand", "add it first"]),
        (["Product", "contact:email:default=a@b.test"], ["'contact:email:default=a@b.test'"]),
        (["Product", "name:str:10000:unique"], ["'name:str:10000:unique'", "600"]),
        (["Product", "notes:text:index"], ["'notes:text:index'", "str:N"]),
        (["Product", "--plural", "Products"], ["--plural"]),
        (["Product", "--access", "everyone"], ["access 'everyone'", "owned, catalog, shared"]),
        (["Product", "--access", "shared", "--owned"], ["disagree"]),
        (["Line", "qty:int", "--access", "parent:order"], ["'order' is not one of its fields"]),
        (["Line", "qty:int", "--access", "parent:qty"], ["'qty' is not a reference"]),
        (
            ["Line", "category:ref:Category:optional", "--access", "parent:category"],
            ["'category' is optional"],
        ),
        (["Line", "buyer:ref:User", "--access", "parent:buyer"], ["refers to User", "owned"]),
        (["Product", "category:ref:Category:any_user"], ["any_user", "ref:User fields only"]),
        (["Product", "name:str:unique=yes"], ["'name:str:unique=yes'"]),
    ],
)
def test_refusals_change_nothing(project: Path, args: list[str], words: list[str]) -> None:
    assert add(project, "Category", *CATEGORY).exit_code == 0
    subprocess.run(["git", "add", "-A"], cwd=project, check=True)
    before, status = tree_bytes(project), git_status(project)

    run = add(project, *args)

    assert_refused(run, *words)
    assert tree_bytes(project) == before
    assert git_status(project) == status


LONG = "A" + "a" * 249


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["RevokedToken"], ["'revoked_token'", "clashes with the app's own modules or tables"]),
        (["RefreshToken", "name:str"], ["'refresh_token'", "clashes"]),
        (["Thing", "--plural", "refresh_tokens"], ["--plural 'refresh_tokens'", "clashes"]),
        (["Thing", "--plural", "revoked_tokens"], ["--plural 'revoked_tokens'", "clashes"]),
        (["Thing", "--plural", "alembic_version"], ["'alembic_version'", "clashes"]),
        (["sqlite_master"], ["table 'sqlite_masters'", "SQLite or PostgreSQL keeps"]),
        (["Thing", "--plural", "sqlite_sequence"], ["table 'sqlite_sequence'", "keeps"]),
        (["PgClass"], ["table 'pg_classes'", "SQLite or PostgreSQL keeps"]),
        (["Thing", "--plural", "pg_class"], ["table 'pg_class'", "keeps"]),
        (["Thing", "--plural", "information_schema"], ["'information_schema'", "keeps"]),
        (["Thing", "--plural", "returning"], ["table 'returning'", "SQLite keyword"]),
        (["base_repository"], ["class BaseRepository clashes"]),
        (["UserFactory"], ["class UserFactory clashes"]),
    ],
)
def test_names_of_the_projects_or_the_databases_own_tables_are_refused(
    project: Path, args: list[str], words: list[str]
) -> None:
    """Defect 10: these were accepted, and the migrations or imports then failed."""
    before = tree_bytes(project)

    run = add(project, *args)

    assert_refused(run, *words)
    assert tree_bytes(project) == before


def test_every_table_and_model_module_of_a_project_is_reserved() -> None:
    """The reserved names cover what the project template makes (whatever its options)."""
    project = Path(__file__).parents[1] / "templates/project"
    tables = {
        match[1]
        for path in project.rglob("*.jinja")
        for match in re.finditer(r"__tablename__ = \"(\w+)\"", path.read_text())
    }
    models = {path.name.split(".")[0] for path in (project / "app/models").iterdir()}

    assert tables | {"alembic_version"} <= naming.TABLES <= naming.RESERVED_MODULES
    assert models - {"__init__"} <= naming.RESERVED_MODULES
    assert {"users", "refresh_tokens", "revoked_tokens"} <= tables


def test_every_class_a_resource_imports_is_reserved() -> None:
    """A resource `BaseRepository` (or `SessionDep`, ...) would be imported into
    its own files beside the name they import already."""
    files = Path(__file__).parents[1] / "templates/resource/files"
    imported = {
        name.strip()
        for path in files.rglob("*.jinja")
        for line in re.findall(r"^from [\w.]+ import (.*)$", path.read_text(), re.MULTILINE)
        for name in re.sub(r"{[{%].*?[%}]}", ",", line).split(",")
        if re.fullmatch(r"[A-Z]\w*", name.strip())
    }

    # Sequence: only the migration imports it, and never the resource's class.
    assert imported - {"Sequence"} <= naming.RESERVED_CLASSES
    assert {"BaseRepository", "CachedUser", "SessionDep"} <= imported


@pytest.mark.parametrize(
    ("text", "why"),
    [
        # the update schema's validator is `not_null`: ruff, mypy and the tests failed
        ("not_null:str", "reserved"),
        ("field_validator:int", "reserved"),
        ("classmethod:int", "reserved"),
        ("mapped_column:int", "reserved"),
        # the model's constructor takes `self` first: create answered 500
        ("self:str", "reserved"),
        # pydantic.BaseModel's own attributes: mypy failed
        ("copy:str", "an attribute of every model and schema"),
        ("schema:str", "an attribute of every model and schema"),
        ("validate:int", "an attribute of every model and schema"),
        ("construct:str", "an attribute of every model and schema"),
        ("dict:str", "an attribute of every model and schema"),
        ("schema_json:str", "an attribute of every model and schema"),
        ("json:str", "reserved"),
        ("metadata:str", "an attribute of every model and schema"),
        # PostgreSQL: system columns, and names it would cut to 63 characters
        ("xmin:int", "a column PostgreSQL gives every table"),
        ("ctid:int", "a column PostgreSQL gives every table"),
        ("c" * 64 + ":int", "has 64 characters; at most 63"),
        ("c" * 61 + ":ref:User", f"column '{'c' * 61}_id' has 64 characters"),
        # SQLite: keywords SQLAlchemy leaves unquoted
        ("returning:int", "an SQLite keyword"),
        ("nothing:str", "an SQLite keyword"),
        # enum choices are members of a str enum: `mro` stopped the import of the
        # model (the app did not start), a str method failed mypy
        ("status:enum:draft,mro", "choice 'mro'"),
        ("status:enum:title,draft", "choice 'title'"),
        ("status:enum:count,index", "choice 'count'"),
        # the project's ruff: E741 (ambiguous), S105 (a string taken for a password)
        ("l:int", "ambiguous"),
        ("kind:enum:l,o", "choice 'l'"),
        ("kind:enum:password,other", "choice 'password'"),
        ("kind:enum:api_token,other", "choice 'api_token'"),
        ("password:text:default=x", "S105"),
        ("api_token:email:default=a@b.io", "S105"),
        # an enum field's class beside the resource's own classes
        ("create:enum:a,b", "...Create"),
        ("not_found:enum:a,b", "...NotFound"),
    ],
)
def test_field_names_and_choices_that_broke_the_project_are_refused(text: str, why: str) -> None:
    """Defect 11: each was accepted and the project's ruff, mypy, migrations or app failed."""
    with pytest.raises(InvalidField) as refused:
        parse_field(text)

    assert f"field {text!r}" in refused.value.message
    assert why in refused.value.message


def test_two_enum_fields_of_one_class_name_are_refused() -> None:
    with pytest.raises(InvalidField, match="enum class would be that of 'a_1'"):
        parse_fields(["a_1:enum:x,y", "a1:enum:x,y"])


def test_names_that_are_still_fine_are_accepted() -> None:
    """What the refusals above must not take: names that work (checked by the
    generator fuzz), the longest ones included."""
    for text in ["fields:str", "model:int", "name:enum:name,value", "c" * 63 + ":int"]:
        parse_field(text)
    for text in ["password:str", "kind:enum:tokens,passage", "passing:text:default=x"]:
        parse_field(text)
    for text in ["first:int", "range:int", "select:str", "order:int", "user:ref:User"]:
        parse_field(text)
    assert ResourceNames.of("M" + "m" * 61).plural == "m" * 62 + "s"
    assert ResourceNames.of("Thing", "t" * 63).plural == "t" * 63


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["None"], ["resource name 'None'", "class None is a Python keyword"]),
        (["True"], ["class True is a Python keyword"]),
        (["False"], ["class False is a Python keyword"]),
        (["none"], ["class None is a Python keyword"]),
        (["Widget", "x:int:default=007"], ["default '007'", "write the number plainly, as 7"]),
        (["Widget", "x:int:default=\u0663"], ["default '\u0663'", "use ASCII digits"]),
        (["Widget", "x:float:default=\u0663.5"], ["use ASCII digits"]),
        (["Widget", "x:decimal:default=\u0663"], ["use ASCII digits"]),
        (["Widget", "x:float:default=007"], ["write the number plainly, as 7.0"]),
        ([LONG], ["'Aaaaaaaaaaaaaaaaaaaa...aaaaaaaaaa'", "250 characters; at most 63"]),
        (["Widget", "--plural", "w" * 64], ["--plural", "64 characters; at most 63"]),
    ],
    ids=["None", "True", "False", "none", "007", "arabic-3", "arabic-3.5", "arabic-decimal",
         "float-007", "250-characters", "long-plural"],
)  # fmt: skip
def test_keywords_long_names_and_numbers_python_cannot_read_are_refused_in_one_line(
    project: Path, args: list[str], words: list[str]
) -> None:
    """Defect 12: these exited 1 with `ruff check failed on the rendered resource: `
    and nothing after the colon, or (the long name) with a traceback."""
    before = tree_bytes(project)

    run = add(project, *args)

    assert_refused(run, *words)
    assert tree_bytes(project) == before


def test_a_model_that_sorts_before_base_is_imported_as_ruff_sorts_it(project: Path) -> None:
    from ruff.__main__ import find_ruff_bin

    assert add(project, "Address", "street:str").exit_code == 0
    done = subprocess.run(
        [find_ruff_bin(), "check", "--select", "I", "--config", str(project / "pyproject.toml"),
         str(project / "app/models/__init__.py")],
        capture_output=True, text=True, check=False,
    )  # fmt: skip

    assert done.returncode == 0, done.stdout


def test_models_named_with_numbers_are_imported_as_ruff_sorts_them(project: Path) -> None:
    from ruff.__main__ import find_ruff_bin

    assert add(project, "Level2", "name:str").exit_code == 0
    assert add(project, "Level10", "name:str").exit_code == 0
    done = subprocess.run(
        [find_ruff_bin(), "check", "--select", "I,RUF022", "--config",
         str(project / "pyproject.toml"), str(project / "app/models/__init__.py")],
        capture_output=True, text=True, check=False,
    )  # fmt: skip

    assert done.returncode == 0, done.stdout


def test_outside_a_project_the_command_is_refused(tmp_path: Path) -> None:
    run = fastgen("add", "resource", "Category", "--project-dir", str(tmp_path))

    assert_refused(run, "not a fastgen project", "--project-dir")
    assert list(tmp_path.iterdir()) == []


def test_wiring_it_cannot_place_writes_nothing(project: Path) -> None:
    routers = project / "app/api/v1/__init__.py"
    routers.write_text('"""Routers are mounted elsewhere."""\n')
    before = tree_bytes(project)

    run = add(project, "Category", *CATEGORY)

    assert_refused(run, "app/api/v1/__init__.py", "by hand")
    assert tree_bytes(project) == before


def test_a_failure_while_writing_puts_everything_back(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shutil.rmtree(project / "tests/integration")  # so that a folder is made, and must go
    before, status = tree_bytes(project), git_status(project)
    calls = 0
    replace = pipeline.os.replace

    def failing(source: str, target: str) -> None:
        nonlocal calls
        calls += 1
        if calls == 10:  # after the new files, inside the wiring files
            raise OSError("disk full")
        replace(source, target)

    monkeypatch.setattr(pipeline.os, "replace", failing)

    with pytest.raises(OSError, match="disk full"):
        pipeline.add_resource("Category", CATEGORY, project_dir=project)

    assert calls == 10
    assert tree_bytes(project) == before
    assert git_status(project) == status
    assert not (project / "tests/integration").exists()


# ------------------------------------------------------------- spec files

SPEC = """\
database: sqlite
resources:
  - name: Category
    fields: [name:str:80:unique]
  - name: Product
    fields:
      - name:str
      - category:ref:Category
    owned: false
    plural: wares
"""


def test_spec_resources_give_the_files_of_adding_them_one_by_one(tmp_path: Path) -> None:
    spec = tmp_path / "shop.yaml"
    spec.write_text(SPEC)

    at_once = fastgen("new", "shop", "--spec", str(spec), "--no-git", "-o", str(tmp_path / "a"))
    one_by_one = fastgen("new", "shop", "--defaults", "--no-git", "-o", str(tmp_path / "b"))
    second = tmp_path / "b/shop"
    add(second, "Category", "name:str:80:unique")
    add(second, "Product", "name:str", "category:ref:Category", "--no-owned", "--plural", "wares")

    assert at_once.exit_code == one_by_one.exit_code == 0, at_once.stderr
    first = tmp_path / "a/shop"
    assert (first / "app/api/v1/wares.py").is_file()
    assert tree_bytes(first, skip=(".env",)) == tree_bytes(second, skip=(".env",))


@pytest.mark.parametrize(
    ("entry", "words"),
    [
        ("  - name: Product\n    fields: [name:varchar]\n", ["shop.yaml:4", "unknown type"]),
        (
            "  - name: Product\n    fields: [brand:ref:Brand]\n",
            ["shop.yaml:3", "no resource Brand"],
        ),
        ("  - name: Product\n    colour: red\n", ["shop.yaml:4", "unknown key 'colour'"]),
        ("  - Product\n", ["shop.yaml:3", "needs `name:`"]),
        ("  - name: class\n", ["shop.yaml:3", "keyword"]),
        ("  - name: Product\n    access: public\n", ["shop.yaml:4", "access 'public'"]),
        (
            "  - name: Product\n    owned: true\n    access: catalog\n",
            ["shop.yaml:5", "disagree"],
        ),
        (
            "  - name: Line\n    access: parent:order\n    fields: [qty:int]\n",
            ["shop.yaml:4", "'order' is not one of its fields"],
        ),
    ],
)
def test_bad_spec_resources_are_refused_naming_the_line(
    tmp_path: Path, entry: str, words: list[str]
) -> None:
    spec = tmp_path / "shop.yaml"
    spec.write_text("redis: false\nresources:\n" + entry)

    run = fastgen("new", "shop", "--spec", str(spec), "-o", str(tmp_path / "out"))

    assert_refused(run, *words)
    assert not (tmp_path / "out").exists()


def test_a_broken_answers_file_is_refused_in_one_line(project: Path) -> None:
    (project / ".copier-answers.yml").write_text("a: [\nb: {\n")

    run = add(project, "Category", *CATEGORY)

    assert_refused(run, ".copier-answers.yml", "cannot be read")


def test_help_documents_the_field_grammar_with_examples() -> None:
    run = fastgen("add", "resource", "--help")

    assert run.exit_code == 0
    text = " ".join(run.stdout.split())
    assert "NAME:TYPE[:ARG][:MODIFIER]" in text
    assert "decimal:10,2" in text and "enum:draft,published" in text
    assert "fastgen add resource Product name:str:120:unique" in text
