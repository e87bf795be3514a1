"""Changing a resource after it is made: what each command writes, its plan, and
its refusals (exit 2, one line, nothing written).

The generated project's own checks on a database that holds rows, on SQLite
and PostgreSQL, run in tests/variants/test_evolution.py.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from conftest import Run, fastgen, tree_bytes
from test_bad_input import assert_refused
from update_support import commit_all

PRODUCT = [
    "Product", "name:str:120:unique", "price:decimal:10,2", "notes:text:optional",
    "stock:int:default=0", "status:enum:draft,live:default=draft", "meta:json:optional",
    "category:ref:Category",
]  # fmt: skip


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A project with Category and Product, committed, made once."""
    root = tmp_path_factory.mktemp("evolve")
    assert fastgen("new", "shop", "--defaults", "-q", "-o", str(root)).exit_code == 0
    project = root / "shop"
    for resource in (["Category", "name:str:80:unique"], PRODUCT):
        run = fastgen("add", "resource", *resource, "-q", "-p", str(project))
        assert run.exit_code == 0, run.stderr
    commit_all(project, "Category and Product")
    return project


@pytest.fixture
def project(made: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "shop"
    shutil.copytree(made, copy, symlinks=True)
    return copy


def run(project: Path, *args: str) -> Run:
    return fastgen(*args, "--project-dir", str(project))


def status(project: Path) -> str:
    argv = ["git", "status", "--porcelain", "--untracked-files=all"]
    return subprocess.run(argv, cwd=project, capture_output=True, text=True, check=True).stdout


def new_revision(project: Path) -> str:
    (path,) = [line[3:] for line in status(project).splitlines() if line[3:].startswith("alembic/")]
    return (project / path).read_text()


def test_add_field_adds_the_column_through_every_layer(project: Path) -> None:
    done = run(
        project, "add", "field", "Product", "rating:float:optional", "featured:bool:default=false"
    )

    assert done.exit_code == 0, done.stderr
    changed = {line[3:] for line in status(project).splitlines()}
    assert {
        ".fastgen/resources/products.yml", "app/models/product.py", "app/schemas/product.py",
        "tests/integration/test_products.py", "alembic/versions/0006_change_products.py",
    } <= changed  # fmt: skip
    model = (project / "app/models/product.py").read_text()
    assert "rating: Mapped[float | None]" in model and "featured: Mapped[bool]" in model
    revision = new_revision(project)
    assert 'down_revision: str | None = "0005"' in revision  # after the head, Product's
    assert 'batch.add_column(sa.Column("rating", sa.Float(), nullable=True))' in revision
    # The default fills the rows the table has, then leaves the column to the model.
    assert "server_default=sa.false()" in revision
    assert 'batch.alter_column("featured", server_default=None)' in revision
    assert 'batch.drop_column("featured")' in revision.split("def downgrade")[1]


def test_a_value_unique_across_every_owner_is_a_change_of_its_own(project: Path) -> None:
    done = run(project, "change", "field", "Product", "name:str:120:unique=global")

    assert done.exit_code == 0, done.stderr
    upgrade, downgrade = new_revision(project).split("def downgrade")
    made = 'batch.create_unique_constraint(op.f("uq_products_name"), ["name"])'
    per_owner = 'batch.create_unique_constraint(op.f("uq_products_name"), ["name", "owner_id"])'
    assert made in upgrade and per_owner in downgrade
    record = yaml.safe_load((project / ".fastgen/resources/products.yml").read_text())
    name = next(f for f in record["fields"] if f["name"] == "name")
    assert (name["unique"], name["unique_global"]) == (True, True)
    assert "unique=True" in (project / "app/models/product.py").read_text()


def test_access_changes_among_the_modes_without_an_owner_and_rewrites_no_table(
    project: Path,
) -> None:
    for resource in (["Shelf", "name:str:40", "--access", "shared"],
                     ["Book", "title:str", "shelf:ref:Shelf"]):  # fmt: skip
        assert run(project, "add", "resource", *resource, "-q").exit_code == 0
    commit_all(project, "Shelf and Book")

    planned = run(project, "change", "access", "Shelf", "catalog", "--dry-run")
    done = run(project, "change", "access", "Shelf", "catalog")

    assert "access shared -> catalog (no column changes)" in planned.stdout
    assert "re-rendered: a resource it references changed access" in planned.stdout
    assert done.exit_code == 0, done.stderr
    changed = {line[3:] for line in status(project).splitlines()}
    assert not any(rel.startswith("alembic/") for rel in changed)  # the table stays
    rewritten = {".fastgen/resources/shelves.yml", "app/api/v1/shelves.py",
                 ".fastgen/resources/books.yml", "tests/integration/test_books.py"}  # fmt: skip
    assert rewritten <= changed
    assert "user: AdminUser" in (project / "app/api/v1/shelves.py").read_text()
    books = yaml.safe_load((project / ".fastgen/resources/books.yml").read_text())
    assert [f["ref_access"] for f in books["fields"] if f["type"] == "ref"] == ["catalog"]


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["Product", "shared"], ["owned -> shared", "owners (owner_id) would be lost"]),
        (["Product", "owned"], ["already owned"]),
        (["Product", "parent:name"], ["owned -> parent:name", "not supported"]),
        (["Product", "public"], ["access 'public'"]),
    ],
)
def test_access_changes_that_would_need_another_table_are_refused(
    project: Path, args: list[str], words: list[str]
) -> None:
    before = tree_bytes(project)

    assert_refused(run(project, "change", "access", *args), *words)
    assert tree_bytes(project) == before


def test_rename_keeps_values_and_renames_the_keys(project: Path) -> None:
    done = run(project, "rename", "field", "Product", "name", "title")

    assert done.exit_code == 0, done.stderr
    revision = new_revision(project)
    upgrade, downgrade = revision.split("def downgrade")
    assert 'batch.drop_constraint(op.f("uq_products_name"), type_="unique")' in upgrade
    assert (
        'batch.alter_column(\n            "name",\n            new_column_name="title",' in upgrade
    )
    # Product is owned: its names are unique among each owner's products.
    assert 'create_unique_constraint(op.f("uq_products_title"), ["title", "owner_id"])' in upgrade
    assert '"title",\n            new_column_name="name",' in downgrade
    schema = (project / "app/schemas/product.py").read_text()
    assert "title: Text" in schema and "name: Text" not in schema
    assert "rename column name -> title (values kept)" in done.stdout


def test_a_reference_renamed_renames_its_foreign_key_and_index(project: Path) -> None:
    assert run(project, "rename", "field", "Product", "category", "group").exit_code == 0

    upgrade = new_revision(project).split("def downgrade")[0]
    for old in ("ix_products_category_id", "fk_products_category_id_categories"):
        assert old in upgrade
        assert old.replace("category_id", "group_id") in upgrade


def test_a_new_on_delete_remakes_only_the_foreign_key(project: Path) -> None:
    done = run(project, "change", "field", "Product", "category:ref:Category:on_delete=cascade")

    assert done.exit_code == 0, done.stderr
    upgrade, downgrade = new_revision(project).split("def downgrade")
    fk = 'op.f("fk_products_category_id_categories")'
    for part in (upgrade, downgrade):
        assert f'drop_constraint(\n            {fk}, type_="foreignkey"' in part
        assert "create_foreign_key" in part
        assert "index" not in part  # the index stays as it is
    assert 'ondelete="CASCADE"' in upgrade and "ondelete" not in downgrade
    assert (
        'ForeignKey("categories.id", ondelete="CASCADE")'
        in (project / "app/models/product.py").read_text()
    )
    recorded = yaml.safe_load((project / ".fastgen/resources/products.yml").read_text())
    assert [f.get("on_delete") for f in recorded["fields"] if f["type"] == "ref"] == ["cascade"]


def test_restrict_given_is_the_default_and_writes_no_revision(project: Path) -> None:
    done = run(project, "change", "field", "Product", "category:ref:Category:on_delete=restrict")

    assert done.exit_code == 0, done.stderr
    assert not [line for line in status(project).splitlines() if "alembic/" in line]


def test_remove_field_says_the_data_is_lost(project: Path) -> None:
    done = run(project, "remove", "field", "Product", "notes", "--dry-run")

    assert done.exit_code == 0, done.stderr
    assert "drop column notes" in done.stdout and "DATA LOST" in done.stdout
    assert status(project) == ""


def test_remove_resource_unwires_it_and_drops_its_table(project: Path) -> None:
    assert run(project, "remove", "field", "Product", "category").exit_code == 0
    commit_all(project, "no category")

    done = run(project, "remove", "resource", "Category")

    assert done.exit_code == 0, done.stderr
    lines = status(project).splitlines()
    assert " D app/models/category.py" in lines and " D .fastgen/resources/categories.yml" in lines
    assert "category" not in (project / "app/models/__init__.py").read_text().lower()
    assert "categories" not in (project / "app/api/v1/__init__.py").read_text()
    revision = new_revision(project)
    assert 'op.drop_table("categories")' in revision.split("def downgrade")[0]
    assert 'op.create_table(\n        "categories",' in revision.split("def downgrade")[1]
    # The revision that created it stays: a database may be at it.
    assert (project / "alembic/versions/0004_create_categories.py").is_file()


def test_a_hand_edit_the_change_meets_is_a_conflict(project: Path) -> None:
    service = project / "app/services/product_service.py"
    service.write_text(service.read_text() + "\n# Hand edit after the reference check.\n")
    commit_all(project, "hand edit")

    done = run(project, "remove", "field", "Product", "category")

    assert done.exit_code == 1
    assert "conflict: app/services/product_service.py" in done.stderr
    assert "<<<<<<<" in service.read_text() and "# Hand edit" in service.read_text()


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["add", "field", "Order", "x:int:optional"], ["'Order'", "not in this project"]),
        (["add", "field", "Product", "name:str"], ["'name'", "has it already"]),
        (["add", "field", "Product", "sku:str:40"], ["'sku'", "default=VALUE", ":optional"]),
        (["add", "field", "Product", "maker:ref:User"], ["'maker'", "optional"]),
        (["add", "field", "Product", "shop:ref:Shop:optional"], ["no resource Shop"]),
        (["remove", "field", "Product", "colour"], ["'colour'", "no such field"]),
        (["rename", "field", "Product", "name", "price"], ["'price'", "already"]),
        (["rename", "field", "Product", "name", "class"], ["'class'", "keyword"]),
        (["rename", "field", "Product", "name", "owner_id"], ["'owner_id'", "reserved"]),
        (["change", "field", "Product", "meta:int"], ["json -> int", "add a new field"]),
        (["change", "field", "Product", "name:int"], ["str -> int", "data migration"]),
        (["change", "field", "Product", "notes:text"], ["'notes'", "default=VALUE"]),
        (["change", "field", "Product", "status:enum:live:default=live"], ["draft", "--force"]),
        (["change", "field", "Product", "price:decimal:10,2"], ["'price'", "already"]),
        (["change", "field", "Product", "category:ref:User"], ["Category", "User"]),
        (["remove", "resource", "Category"], ["Product.category", "referenced"]),
    ],
)
def test_refusals_write_nothing(project: Path, args: list[str], words: list[str]) -> None:
    before = tree_bytes(project)

    assert_refused(run(project, *args), *words)

    assert tree_bytes(project) == before and status(project) == ""


def test_the_last_field_cannot_go(project: Path) -> None:
    assert_refused(run(project, "remove", "field", "Category", "name"), "last field")


def test_uncommitted_edits_in_a_file_the_change_writes_are_refused(project: Path) -> None:
    model = project / "app/models/product.py"
    model.write_text(model.read_text() + "# not committed\n")
    before = tree_bytes(project)

    assert_refused(
        run(project, "add", "field", "Product", "x:int:optional"), "app/models/product.py", "commit"
    )

    assert tree_bytes(project) == before


def test_choices_go_with_force_and_their_rows_get_the_default(project: Path) -> None:
    done = run(
        project, "change", "field", "Product", "status:enum:live,gone:default=live", "--force"
    )

    assert done.exit_code == 0, done.stderr
    upgrade = new_revision(project).split("def downgrade")[0]
    assert '.where(sa.column("status").in_(["draft"]))' in upgrade
    assert '.values({"status": "live"})' in upgrade
    assert "rows holding draft become 'live'" in done.stdout


# ------------------------------------------------------------------ apply


def test_apply_of_the_definitions_in_force_changes_nothing(project: Path) -> None:
    exported = run_resources(project)
    (project / "resources.yaml").write_text(exported)
    commit_all(project, "resources.yaml")

    done = run(project, "apply")

    assert done.exit_code == 0, done.stderr
    assert status(project) == ""
    assert "- name:str:120:unique" in exported and "renames" in exported


def test_a_unique_value_recorded_before_access_modes_stays_unique_across_owners(
    project: Path,
) -> None:
    record = project / ".fastgen/resources/products.yml"
    record.write_text(record.read_text().replace("access: owned", "owned: true"))
    commit_all(project, "Product recorded as fastgen 0.1.0 records it")

    exported = run_resources(project)

    # Its table holds the value unique across owners: so does the definition, until
    # a `change field` says otherwise (and writes the migration).
    assert "- name:str:120:unique=global" in exported
    assert "access: owned" in exported


def run_resources(project: Path) -> str:
    done = run(project, "resources")
    assert done.exit_code == 0, done.stderr
    return done.stdout


def test_apply_plans_then_brings_the_project_to_the_file(project: Path) -> None:
    (project / "resources.yaml").write_text(
        "resources:\n"
        "- name: Item\n  fields: [title:str:255, description:text:optional]\n"
        "- name: Product\n"
        "  renames: {name: title}\n"
        "  fields:\n"
        "  - title:str:120:unique\n  - price:decimal:10,2\n  - remarks:text:optional\n"
        "  - stock:int:default=0\n  - status:enum:draft,live:default=draft\n"
        "  - meta:json:optional\n"
        "- name: Order\n  fields: [total:int:default=0, product:ref:Product:optional]\n"
    )
    commit_all(project, "the wanted resources")

    planned = run(project, "apply", "--dry-run")

    assert planned.exit_code == 0, planned.stderr
    assert status(project) == ""
    plan = planned.stdout
    assert "rename column name -> title (values kept)" in plan
    # Not declared as a rename: notes goes, with its data, and remarks comes.
    assert "drop column notes" in plan and "add column remarks" in plan and "DATA LOST" in plan
    assert "drop column category_id" in plan and "drop table categories" in plan
    assert "Would add resource Order" in plan

    done = run(project, "apply", "-q")

    assert done.exit_code == 0, done.stderr
    revisions = sorted(line[3:] for line in status(project).splitlines() if "alembic/" in line)
    assert revisions == [
        "alembic/versions/0006_change_products.py",
        "alembic/versions/0007_drop_categories.py",  # after the reference to it went
        "alembic/versions/0008_create_orders.py",
    ]
    assert not (project / "app/models/category.py").exists()
    assert (project / "app/models/order.py").is_file()
    assert "title: Mapped[str]" in (project / "app/models/product.py").read_text()


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("resources:\n- name: Product\n  renames: {colour: hue}\n  fields: [hue:str:optional]\n",
         ["colour"]),
        ("resources:\n- name: Product\n  owned: false\n  fields: [name:str]\n", ["access"]),
        ("resources: [1]\n", ["resources.yaml:1"]),
    ],
)  # fmt: skip
def test_apply_refuses_a_file_it_cannot_follow(project: Path, text: str, words: list[str]) -> None:
    (project / "resources.yaml").write_text(text)
    commit_all(project, "a wrong file")
    before = tree_bytes(project)

    assert_refused(run(project, "apply"), *words)

    assert tree_bytes(project) == before


def test_apply_without_its_file_says_how_to_write_it(project: Path) -> None:
    assert_refused(run(project, "apply"), "resources.yaml", "fastgen resources")


def test_a_record_an_earlier_fastgen_wrote_under_looser_rules_is_still_read(
    project: Path,
) -> None:
    """0.1.0 let `text` fields be indexed and `str` fields of any length be unique;
    its projects must stay readable, updatable and changeable."""
    record = project / ".fastgen/resources/products.yml"
    text = record.read_text()
    fields = yaml.safe_load(text)["fields"]
    notes = next(f for f in fields if f["name"] == "notes")
    assert notes["type"] == "text" and notes["index"] is False
    record.write_text(
        text.replace(
            "    index: false\n    length: null\n    name: notes",
            "    index: true\n    length: null\n    name: notes",
        )
    )
    assert yaml.safe_load(record.read_text())["fields"][2]["index"] is True
    commit_all(project, "a record of 0.1.0's rules")

    assert run(project, "check").exit_code in (0, 3)
    done = run(project, "add", "field", "Product", "rank:int:optional")

    assert done.exit_code == 0, done.stderr
    # The rules of today still hold for what is written now.
    assert_refused(run(project, "change", "field", "Product", "notes:text:index:optional"), "text")


def test_an_enum_becoming_text_keeps_every_value(project: Path) -> None:
    done = run(project, "change", "field", "Product", "status:str:10:default=draft")

    assert done.exit_code == 0, done.stderr
    upgrade = new_revision(project).split("def downgrade")[0]
    assert "update()" not in upgrade and "DATA" not in done.stdout  # no row is rewritten
    assert "type_=sa.String(length=10)" in upgrade


def test_a_revision_of_indexes_only_imports_what_it_uses(project: Path) -> None:
    assert run(project, "change", "field", "Product", "stock:int:index:default=0").exit_code == 0

    revision = new_revision(project)
    assert "import sqlalchemy" not in revision and "create_index" in revision


def test_an_enum_renamed_takes_its_check_along(project: Path) -> None:
    assert run(project, "rename", "field", "Product", "status", "state").exit_code == 0

    upgrade = new_revision(project).split("def downgrade")[0]
    assert 'drop_constraint(op.f("ck_products_status"), type_="check")' in upgrade
    assert "create_check_constraint(" in upgrade and "state IN ('draft', 'live')" in upgrade
