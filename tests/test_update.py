"""`fastgen update` and `fastgen check` on a project made at template A, with B installed."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import yaml

from conftest import fastgen
from fastgen.commands.add_resource import add_resource as add
from fastgen.commands.migrations import VERSIONS, head_and_next
from update_support import (
    ADDED,
    B_CHANGES,
    GITIGNORE_A,
    GITIGNORE_B,
    ITEMS_B_CHANGES,
    RESOURCE_MARK_A,
    VERSION_A,
    VERSION_B,
    build_history,
    commit_all,
    first_line,
    git_status,
    project_at,
    replace_line,
)

USER_IGNORE = "/.idea/"


@pytest.fixture(scope="module")
def history(tmp_path_factory: pytest.TempPathFactory) -> Path:
    cache = tmp_path_factory.mktemp("history-cache")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("FASTGEN_CACHE_DIR", str(cache))
        build_history(tmp_path_factory.mktemp("history"))
    return cache


@pytest.fixture
def cache(history: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("FASTGEN_CACHE_DIR", str(history))
    return history


def edited_project(parent: Path, *, conflicting: bool) -> Path:
    """A project at A with the user's edits committed: a line appended to .gitignore,
    and (conflicting) the first line of alembic.ini, which B changes too."""
    project = project_at(VERSION_A, parent)
    with (project / ".gitignore").open("a", encoding="utf-8") as file:
        file.write(f"{USER_IGNORE}\n")
    if conflicting:
        ini = project / "alembic.ini"
        text = ini.read_text(encoding="utf-8")
        ini.write_text(text.replace(first_line(ini), "# Our own alembic notes", 1))
    commit_all(project, "user edits")
    return project


def test_update_merges_the_template_change_around_the_users_edits(
    cache: Path, tmp_path: Path
) -> None:
    project = edited_project(tmp_path, conflicting=False)

    run = fastgen("update", "--project-dir", str(project))

    assert run.exit_code == 0, run.stderr
    changed = B_CHANGES | ITEMS_B_CHANGES
    assert git_status(project) == {rel: "??" if rel == ADDED else " M" for rel in changed}
    gitignore = (project / ".gitignore").read_text().splitlines()
    assert gitignore[0] == GITIGNORE_B and GITIGNORE_A not in gitignore
    assert gitignore[-1] == USER_IGNORE  # the user's edit survived
    assert not first_line(project / "alembic.ini").endswith("(version A)")
    answers = yaml.safe_load((project / ".copier-answers.yml").read_text())
    assert (answers["_commit"], answers["_template_version"]) == (VERSION_B, VERSION_B)
    assert f"from {VERSION_A} to {VERSION_B}" in run.stdout


def test_update_marks_and_lists_a_conflict_and_exits_1(cache: Path, tmp_path: Path) -> None:
    project = edited_project(tmp_path, conflicting=True)

    run = fastgen("update", "--project-dir", str(project))

    assert run.exit_code == 1
    assert "conflict: alembic.ini" in run.stderr
    ini = (project / "alembic.ini").read_text()
    assert "<<<<<<<" in ini and ">>>>>>>" in ini
    assert "# Our own alembic notes" in ini  # the user's line is kept inside the markers
    assert git_status(project)["alembic.ini"] == "UU"
    # The other changes still landed, the other user edit still there.
    assert (project / ".gitignore").read_text().splitlines()[-1] == USER_IGNORE
    assert (project / ADDED).is_file()


def test_update_refuses_a_dirty_worktree_and_touches_nothing(cache: Path, tmp_path: Path) -> None:
    project = project_at(VERSION_A, tmp_path)
    (project / "notes.txt").write_text("mine\n")
    before = (project / ".gitignore").read_text()

    run = fastgen("update", "--project-dir", str(project))

    assert run.exit_code == 2
    assert run.stderr.startswith("error: ") and "uncommitted changes (notes.txt)" in run.stderr
    assert git_status(project) == {"notes.txt": "??"}
    assert (project / ".gitignore").read_text() == before


def test_update_refuses_a_downgrade_and_an_unknown_version(cache: Path, tmp_path: Path) -> None:
    project = project_at(VERSION_B, tmp_path)

    older = fastgen("update", "-p", str(project), "--to", VERSION_A)
    unknown = fastgen("update", "-p", str(project), "--to", "9.9.9")

    assert older.exit_code == 2 and "downgrades are not supported" in older.stderr
    assert unknown.exit_code == 2 and "no such template version" in unknown.stderr
    assert git_status(project) == {}


def test_dry_run_lists_the_changes_and_writes_nothing(cache: Path, tmp_path: Path) -> None:
    project = edited_project(tmp_path, conflicting=False)

    run = fastgen("update", "-p", str(project), "--dry-run")

    assert run.exit_code == 0, run.stderr
    assert f"Would update {project}" in run.stdout
    assert f"?? {ADDED}" in run.stdout and "M .gitignore" in run.stdout
    assert git_status(project) == {}


def test_check_codes_up_to_date_behind_drifted_and_both(cache: Path, tmp_path: Path) -> None:
    fresh = project_at(VERSION_B, tmp_path / "fresh")
    old = project_at(VERSION_A, tmp_path / "old")

    assert fastgen("check", "-p", str(fresh)).exit_code == 0
    behind = fastgen("check", "-p", str(old))
    assert behind.exit_code == 3
    assert f"at template {VERSION_A}" in behind.stdout

    for project in (fresh, old):
        with (project / "Dockerfile").open("a") as file:
            file.write("# tuned by hand\n")
        commit_all(project, "edit a template-owned file")
    drifted = fastgen("check", "-p", str(fresh))
    assert drifted.exit_code == 4
    assert "drifted: Dockerfile" in drifted.stdout
    assert fastgen("check", "-p", str(old)).exit_code == 5


def test_check_is_0_again_after_update(cache: Path, tmp_path: Path) -> None:
    project = edited_project(tmp_path, conflicting=False)
    assert fastgen("check", "-p", str(project)).exit_code == 3

    assert fastgen("update", "-p", str(project)).exit_code == 0
    commit_all(project, "update to B")

    run = fastgen("check", "-p", str(project))
    assert run.exit_code == 0, run.stdout


def test_check_writes_nothing(cache: Path, tmp_path: Path) -> None:
    project = project_at(VERSION_A, tmp_path)
    (project / "app" / "middleware" / "cors.py").write_text("# mine\n")

    assert fastgen("check", "-p", str(project)).exit_code == 5
    assert git_status(project) == {"app/middleware/cors.py": " M"}


def test_plain_copier_update_works_with_the_recorded_references(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With the default cache under home, the project records `~/...`: portable."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.delenv("FASTGEN_CACHE_DIR")
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    build_history(tmp_path)
    project = edited_project(tmp_path, conflicting=False)
    answers = yaml.safe_load((project / ".copier-answers.yml").read_text())
    assert answers["_src_path"] == "~/.cache/fastgen/template"
    assert answers["_commit"] == VERSION_A

    run = subprocess.run(
        [sys.executable, "-m", "copier", "update", "--defaults", "--quiet", "--vcs-ref",
         VERSION_B],
        cwd=project, capture_output=True, text=True, check=False, env=dict(os.environ),
    )  # fmt: skip

    assert run.returncode == 0, run.stderr
    assert set(git_status(project)) == B_CHANGES
    assert (project / ".gitignore").read_text().splitlines()[-1] == USER_IGNORE


def fastgen_runs(project: Path) -> list[str]:
    """The fastgen commands the Makefile and the CI workflow's template job run."""
    workflow = yaml.safe_load((project / ".github/workflows/ci.yml").read_text())
    steps = [step.get("run") for step in workflow["jobs"]["template"]["steps"]]
    makefile = (project / "Makefile").read_text()
    return [*(s for s in steps if s), *re.findall(r"^FASTGEN := (.*)$", makefile, re.M)]


def test_the_fastgen_that_made_the_project_is_the_one_ci_and_make_run(
    cache: Path, tmp_path: Path
) -> None:
    """fastgen is a tool beside the project, not one of its dependencies (a development
    version is on no index, so the project could not be locked): the Makefile and CI
    run the version the project records with uvx, and `fastgen update` moves it."""
    project = project_at(VERSION_A, tmp_path)

    assert fastgen_runs(project) == [
        f"uvx --from fastgen-backend=={VERSION_A} fastgen check",
        f"uvx --from fastgen-backend=={VERSION_A} fastgen",
    ]
    pyproject = tomllib.loads((project / "pyproject.toml").read_text())
    requirements = [*pyproject["project"]["dependencies"], *pyproject["dependency-groups"]["dev"]]
    assert [r for r in requirements if r.startswith("fastgen")] == []
    assert "\t$(FASTGEN) check\n" in (project / "Makefile").read_text()

    assert fastgen("update", "-p", str(project)).exit_code == 0

    assert fastgen_runs(project) == [
        f"uvx --from fastgen-backend=={VERSION_B} fastgen check",
        f"uvx --from fastgen-backend=={VERSION_B} fastgen",
    ]


def test_update_data_changes_an_answer_and_renders_what_it_switches_on(
    cache: Path, tmp_path: Path
) -> None:
    project = project_at(VERSION_B, tmp_path)
    assert not (project / "app/core/redis.py").exists()

    run = fastgen("update", "-p", str(project), "--data", "redis=true")

    assert run.exit_code == 0, run.stderr
    assert yaml.safe_load((project / ".copier-answers.yml").read_text())["redis"] is True
    assert git_status(project)["app/core/redis.py"] == "??"


def test_update_data_says_what_the_change_needs_and_adds_new_settings_to_env(
    cache: Path, tmp_path: Path
) -> None:
    """redis=true brings a dependency (make install), a revision (make migrate) and a
    setting: REDIS_URL lands in .env.example (tracked) and in .env (ignored by git),
    whose own values stay as they were."""
    project = project_at(VERSION_B, tmp_path)
    example = (project / ".env.example").read_text()
    assert "REDIS_URL=" not in example
    env = example.replace("SECRET_KEY=change-me", "SECRET_KEY=mine") + "LOG_LEVEL=DEBUG\n"
    (project / ".env").write_text(env)

    planned = fastgen("update", "-p", str(project), "--data", "redis=true", "--dry-run")

    assert planned.exit_code == 0, planned.stderr
    assert ".env would get REDIS_URL" in planned.stdout
    assert (project / ".env").read_text() == env

    run = fastgen("update", "-p", str(project), "--data", "redis=true")

    assert run.exit_code == 0, run.stderr
    steps = run.stdout.partition("Next:")[2]
    assert "make install" in steps and "dependencies in pyproject.toml changed" in steps
    assert f"make migrate  # new revision: {VERSIONS}/0004_drop_revoked_tokens.py" in steps
    assert steps.index("make install") < steps.index("make migrate")
    assert ".env: added REDIS_URL" in run.stdout
    assert "REDIS_URL=redis://127.0.0.1:6379/0" in (project / ".env.example").read_text()
    written = (project / ".env").read_text()
    assert written.startswith(env)  # every line of the user's as it was
    added = written.removeprefix(env).splitlines()
    assert added[-1] == "REDIS_URL=redis://127.0.0.1:6379/0"
    assert [line for line in added if "=" in line and not line.startswith("#")] == [added[-1]]
    assert ".env" not in git_status(project)  # ignored by git, as before
    commit_all(project, "redis")

    # Back again: no dependency to add is still a changed requirement list; REDIS_URL
    # stays in .env (the app ignores a setting it does not know), nothing is added.
    back = fastgen("update", "-p", str(project), "--data", "redis=false")

    assert back.exit_code == 0, back.stderr
    assert "make migrate" in back.stdout and ".env:" not in back.stdout
    assert (project / ".env").read_text() == written


def test_an_update_whose_lock_uv_cannot_make_is_not_made(
    cache: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """redis=true adds a requirement, so uv.lock must be re-locked; uv offline with an
    empty cache cannot: a stale lock beside the new pyproject.toml would fail every
    `uv sync --locked`, so nothing of the update is placed."""
    project = project_at(VERSION_B, tmp_path)
    assert (project / "uv.lock").is_file()
    monkeypatch.setenv("UV_OFFLINE", "1")
    monkeypatch.setenv("UV_CACHE_DIR", str(tmp_path / "empty-uv-cache"))

    run = fastgen("update", "-p", str(project), "--data", "redis=true")

    assert run.exit_code == 1
    assert "uv.lock no longer matches pyproject.toml and `uv lock` failed (" in run.stderr
    assert "nothing was changed" in run.stderr
    assert git_status(project) == {}
    assert yaml.safe_load((project / ".copier-answers.yml").read_text())["redis"] is False


def test_an_update_that_adds_no_revision_asks_for_no_migration(cache: Path, tmp_path: Path) -> None:
    project = project_at(VERSION_B, tmp_path)

    run = fastgen("update", "-p", str(project), "--data", "csrf=false")

    assert run.exit_code == 0, run.stderr
    assert "make migrate" not in run.stdout and "make install" not in run.stdout
    assert "git diff" in run.stdout.partition("Next:")[2]


def revisions(project: Path) -> dict[str, bytes]:
    """The project's Alembic revision files: name -> bytes."""
    return {path.name: path.read_bytes() for path in (project / VERSIONS).glob("*.py")}


def test_switching_redis_only_grows_the_migration_history(cache: Path, tmp_path: Path) -> None:
    project = project_at(VERSION_B, tmp_path)
    made = revisions(project)
    assert sorted(made) == [
        "0001_initial_schema.py", "0002_create_revoked_tokens.py", "0003_create_items.py"
    ]  # fmt: skip

    to_redis = fastgen("update", "-p", str(project), "--data", "redis=true")

    assert to_redis.exit_code == 0, to_redis.stderr
    switched = revisions(project)
    assert {name: switched[name] for name in made} == made  # every old revision untouched
    assert sorted(set(switched) - set(made)) == ["0004_drop_revoked_tokens.py"]
    assert head_and_next(project) == ("0004", "0005")  # one head, right after the old one
    drop = switched["0004_drop_revoked_tokens.py"].decode()
    assert 'down_revision: str | None = "0003"' in drop
    assert 'def upgrade() -> None:\n    op.drop_table("revoked_tokens")' in drop
    assert git_status(project)[f"{VERSIONS}/0004_drop_revoked_tokens.py"] == "??"
    commit_all(project, "redis")

    back = fastgen("update", "-p", str(project), "--data", "redis=false")

    assert back.exit_code == 0, back.stderr
    again = revisions(project)
    assert {name: again[name] for name in switched} == switched
    assert sorted(set(again) - set(switched)) == ["0005_create_revoked_tokens.py"]
    assert head_and_next(project) == ("0005", "0006")
    # The same table as the project was made with: only the revision ids differ.
    body = again["0005_create_revoked_tokens.py"].partition(b"def upgrade")[2]
    assert body == made["0002_create_revoked_tokens.py"].partition(b"def upgrade")[2]


def test_an_update_that_switches_nothing_adds_no_revision(cache: Path, tmp_path: Path) -> None:
    project = project_at(VERSION_A, tmp_path)
    made = revisions(project)

    assert fastgen("update", "-p", str(project), "--data", "redis=false").exit_code == 0

    assert revisions(project) == made
    assert not any(path.startswith(str(VERSIONS)) for path in git_status(project))


@pytest.mark.parametrize("pair", ["admin=false", "rate_limit=false", "csrf=false", "redis=true"])
def test_switching_an_option_merges_cleanly_around_the_wired_items(
    cache: Path, tmp_path: Path, pair: str
) -> None:
    # items is wired into the routers and the models, as any added resource is.
    project = project_at(VERSION_B, tmp_path)

    run = fastgen("update", "-p", str(project), "--data", pair)

    assert run.exit_code == 0, run.stderr
    assert "conflict" not in run.stderr
    routers = (project / "app/api/v1/__init__.py").read_text()
    assert "from app.api.v1 import auth, items, users" in routers
    assert "router.include_router(items.router)" in routers
    assert '"Item"' in (project / "app/models/__init__.py").read_text()


@pytest.mark.parametrize(
    ("pair", "said"),
    [
        ("redis=maybe", "redis: expected yes or no"),
        ("colour=blue", "colour"),
        ("project_name=other", "project_name: cannot be changed by update"),
        ("example_items=false", "example_items: cannot be changed by update"),
        ("redis", "expected KEY=VALUE"),
        ("example_items=false", "example_items: cannot be changed by update: items is a resource"),
    ],
)
def test_update_refuses_bad_data_and_touches_nothing(
    cache: Path, tmp_path: Path, pair: str, said: str
) -> None:
    project = project_at(VERSION_A, tmp_path)

    run = fastgen("update", "-p", str(project), "--data", pair)

    assert run.exit_code == 2
    assert run.stderr.startswith("error: ") and said in run.stderr
    assert git_status(project) == {}


def test_conflict_rej_keeps_the_template_version_and_writes_the_hunk_beside_it(
    cache: Path, tmp_path: Path
) -> None:
    project = edited_project(tmp_path, conflicting=True)

    run = fastgen("update", "-p", str(project), "--conflict", "rej")

    assert run.exit_code == 1
    assert "conflict: alembic.ini" in run.stderr
    assert "<<<<<<<" not in (project / "alembic.ini").read_text()
    assert "# Our own alembic notes" in (project / "alembic.ini.rej").read_text()


def test_new_records_the_template_history_and_its_version_tag(tmp_path: Path) -> None:
    from fastgen import template

    assert fastgen("new", "Shop", "--defaults", "-q", "-o", str(tmp_path)).exit_code == 0
    project = tmp_path / "shop"

    answers = yaml.safe_load((project / ".copier-answers.yml").read_text())
    assert answers["_commit"] == VERSION_B
    assert answers["_src_path"] == template.source() == str(template.repository())
    assert fastgen("check", "-p", str(project)).exit_code == 0


def test_update_refuses_answers_that_do_not_name_this_fastgens_history(
    cache: Path, tmp_path: Path
) -> None:
    project = project_at(VERSION_A, tmp_path)
    answers_file = project / ".copier-answers.yml"
    answers = yaml.safe_load(answers_file.read_text())
    del answers["_commit"]
    answers["_src_path"] = str(tmp_path / "elsewhere")
    answers_file.write_text(yaml.safe_dump(answers))
    commit_all(project, "answers from another fastgen")

    run = fastgen("update", "-p", str(project))

    assert run.exit_code == 2
    assert run.stderr.startswith("error: .copier-answers.yml: records _src_path")
    assert git_status(project) == {}


def test_resources_that_evolved_are_updated_from_their_records(cache: Path, tmp_path: Path) -> None:
    """The records are the truth update re-renders from: a field added after the
    resource was made is still there after the update, and the update applies."""
    project = project_at(VERSION_A, tmp_path)
    assert fastgen("add", "resource", "Category", "name:str:80", "-p", str(project)).exit_code == 0
    commit_all(project, "Category")
    assert (
        fastgen("add", "field", "Category", "rank:int:default=0", "-p", str(project)).exit_code == 0
    )
    commit_all(project, "Category.rank")
    model = project / "app/models/category.py"
    assert RESOURCE_MARK_A in model.read_text()

    run = fastgen("update", "-p", str(project))

    assert run.exit_code == 0, run.stderr
    assert RESOURCE_MARK_A not in model.read_text()  # B's template change arrived
    assert "rank: Mapped[int]" in model.read_text()  # and the evolved shape stayed
    revisions = sorted(p.name for p in (project / VERSIONS).glob("*.py"))
    assert revisions[-1] == "0005_add_rank_to_categories.py"  # no revision rewritten or added
    commit_all(project, "update")
    assert fastgen("check", "-p", str(project)).exit_code == 0


# Every command that reads a project, with arguments that would otherwise work on it.
PROJECT_COMMANDS = [
    ["add", "resource", "Category", "name:str:80"],
    ["add", "field", "Item", "rank:int:default=0"],
    ["remove", "field", "Item", "description"],
    ["rename", "field", "Item", "title", "name"],
    ["change", "field", "Item", "title:str:200"],
    ["remove", "resource", "Item"],
    ["apply"],
    ["resources"],
    ["update"],
    ["check"],
]


@pytest.mark.parametrize(("newer", "known"), [("9.9.9", False), ("9.0.0", True)])
def test_every_command_refuses_a_project_of_a_newer_fastgen_the_same_way(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, newer: str, known: bool
) -> None:
    """Made (or last updated) by a newer fastgen: whether or not that fastgen left its
    template in the shared cache, each command says which fastgen to install, exit 2."""
    from fastgen import template
    from update_support import copy_template

    monkeypatch.setenv("FASTGEN_CACHE_DIR", str(tmp_path / "cache"))
    project = project_at(VERSION_B, tmp_path)
    if known:  # a newer fastgen ran on this machine and tagged its template
        copy_template(tmp_path / "newer")
        template.add_versions(template.repository(), [(newer, tmp_path / "newer")])
    answers_file = project / ".copier-answers.yml"
    text = answers_file.read_text()
    answers_file.write_text(text.replace(f": {VERSION_B}\n", f": {newer}\n"))
    assert answers_file.read_text().count(newer) == 2  # _commit and _template_version
    commit_all(project, f"updated by fastgen {newer}")

    for args in PROJECT_COMMANDS:
        run = fastgen(*args, "-p", str(project))

        assert run.exit_code == 2, (args, run.stdout, run.stderr)
        said = f"error: .copier-answers.yml: made with fastgen {newer}, "
        assert run.stderr.startswith(said), (args, run.stderr)
        assert f"install fastgen-backend=={newer}" in run.stderr, (args, run.stderr)
        assert "--to" not in run.stderr and "cache" not in run.stderr
        assert git_status(project) == {}


def test_a_template_changed_under_the_same_development_version_is_said_plainly(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """fastgen's own development: the template is edited without a version bump after
    the project was made. check does not blame the untouched file, update does not
    say there is nothing to do; a file the user did edit is still drifted."""
    from fastgen import template
    from update_support import PROJECT, copy_template

    monkeypatch.setenv("FASTGEN_CACHE_DIR", str(tmp_path / "cache"))
    assert fastgen("new", "Shop", "--defaults", "-q", "-o", str(tmp_path)).exit_code == 0
    project = tmp_path / "shop"
    # The developer edits a template-owned file's template; the tag follows the tree.
    edited = tmp_path / "edited"
    copy_template(edited)
    dockerfile = edited / PROJECT / "{% if docker or kubernetes %}Dockerfile{% endif %}.jinja"
    dockerfile.write_text(dockerfile.read_text() + "# a change under the same version\n")
    template.add_versions(template.repository(), [(VERSION_B, edited)], move=True)

    check = fastgen("check", "-p", str(project))
    update = fastgen("update", "-p", str(project))

    assert check.exit_code == 3, check.stdout
    assert "drifted" not in check.stdout
    assert f"template {VERSION_B} is this fastgen's development version" in check.stdout
    assert "changed after the project was made (no version bump): Dockerfile is" in check.stdout
    assert update.exit_code == 2, update.stdout
    assert "nothing to do" not in update.stdout
    assert "whose template changed after the project was made (Dockerfile)" in update.stderr
    assert git_status(project) == {}

    # An edit of the user's own is still theirs.
    with (project / "app/middleware/security_headers.py").open("a") as file:
        file.write("# tuned by hand\n")
    commit_all(project, "edit a template-owned file")
    both = fastgen("check", "-p", str(project))
    assert both.exit_code == 5, both.stdout
    assert "drifted: app/middleware/security_headers.py" in both.stdout
    assert "drifted: Dockerfile" not in both.stdout


# ------------------------------------------- providers moved out of app/core (0.1.0)

RELEASE = "0.1.0"  # its providers live in app/core; this fastgen's in app/api
DEPS_EDIT = "\n\n# Our own note on the providers.\n"
ITEMS_DEPS_EDIT = "\n\n# Items are built per request.\n"
OUR_DOCSTRING = '"""Our providers, and the aliases routes declare."""'


def release_project_with_edited_providers(parent: Path, *, conflicting: bool) -> Path:
    """A project made at 0.1.0 with items and categories; the shared providers and
    the items' edited (conflicting: the first line too, which the move changes),
    the categories' left as rendered."""
    project = project_at(RELEASE, parent)
    assert add("Category", ["name:str:80:unique"], project_dir=project).created
    commit_all(project, "categories")
    shared = project / "app/core/dependencies.py"
    text = shared.read_text(encoding="utf-8") + DEPS_EDIT
    if conflicting:
        text = text.replace(text.splitlines()[0], OUR_DOCSTRING, 1)
    shared.write_text(text, encoding="utf-8")
    items = project / "app/core/item_dependencies.py"
    items.write_text(items.read_text(encoding="utf-8") + ITEMS_DEPS_EDIT, encoding="utf-8")
    commit_all(project, "provider edits")
    return project


def test_update_moves_the_providers_to_the_api_layer_with_the_users_edits(
    cache: Path, tmp_path: Path
) -> None:
    project = release_project_with_edited_providers(tmp_path, conflicting=False)

    run = fastgen("update", "-p", str(project))

    assert run.exit_code == 0, run.stdout + run.stderr
    status = git_status(project)
    for gone in ("dependencies", "item_dependencies", "category_dependencies"):
        assert status[f"app/core/{gone}.py"] == " D"
    assert not list((project / "app/core").glob("*dependencies*"))
    shared = (project / "app/api/deps.py").read_text(encoding="utf-8")
    assert shared.endswith(DEPS_EDIT) and "stays the floor" in shared
    assert (project / "app/api/v1/items_deps.py").read_text().endswith(ITEMS_DEPS_EDIT)
    categories = (project / "app/api/v1/categories_deps.py").read_text(encoding="utf-8")
    assert "from app.api.deps import SessionDep" in categories
    assert "app.api.v1.categories_deps" in (project / "app/api/v1/categories.py").read_text()


@pytest.mark.parametrize("conflict", ["inline", "rej"])
def test_an_edit_the_move_also_changes_is_a_conflict_at_the_new_place(
    cache: Path, tmp_path: Path, conflict: str
) -> None:
    project = release_project_with_edited_providers(tmp_path, conflicting=True)

    run = fastgen("update", "-p", str(project), "--conflict", conflict)

    assert run.exit_code == 1
    assert "conflict: app/api/deps.py" in run.stderr
    shared = (project / "app/api/deps.py").read_text(encoding="utf-8")
    status = git_status(project)
    if conflict == "inline":
        assert status["app/api/deps.py"] == "UU"
        assert OUR_DOCSTRING in shared and "<<<<<<<" in shared
    else:
        assert OUR_DOCSTRING in (project / "app/api/deps.py.rej").read_text()
        assert not (project / "app/core/dependencies.py.rej").exists()
    assert shared.rstrip().endswith(DEPS_EDIT.strip())  # the edit away from it merged
    assert status["app/core/dependencies.py"] == " D"
    assert (project / "app/api/v1/items_deps.py").read_text().endswith(ITEMS_DEPS_EDIT)


# ------------------------------------------------- check --diff, files the project owns

OWN_DOCKERFILE = '\n[tool.fastgen]\n# Tuned for our hosts.\nowned = ["Dockerfile"]\n'


def tuned_dockerfile(parent: Path) -> Path:
    """A project at B (with Redis: several workers) whose Dockerfile runs four."""
    project = project_at(VERSION_B, parent, redis=True)
    dockerfile = project / "Dockerfile"
    text = dockerfile.read_text(encoding="utf-8")
    assert "ENV WEB_CONCURRENCY=2\n" in text
    dockerfile.write_text(text.replace("ENV WEB_CONCURRENCY=2\n", "ENV WEB_CONCURRENCY=4\n"))
    commit_all(project, "four workers")
    return project


def test_check_diff_shows_what_drifted_against_the_recorded_render(
    cache: Path, tmp_path: Path
) -> None:
    project = tuned_dockerfile(tmp_path)

    plain = fastgen("check", "-p", str(project))
    run = fastgen("check", "-p", str(project), "--diff")

    assert plain.exit_code == run.exit_code == 4
    assert "@@" not in plain.stdout
    assert f"--- a/Dockerfile (template {VERSION_B})\n+++ b/Dockerfile\n@@ " in run.stdout
    changed = [line for line in run.stdout.splitlines() if line[:1] in "+-"]
    assert changed[2:] == ["-ENV WEB_CONCURRENCY=2", "+ENV WEB_CONCURRENCY=4"]


def test_a_template_owned_file_the_project_owns_is_no_longer_checked(
    cache: Path, tmp_path: Path
) -> None:
    project = tuned_dockerfile(tmp_path)
    with (project / "pyproject.toml").open("a", encoding="utf-8") as file:
        file.write(OWN_DOCKERFILE)
    commit_all(project, "the Dockerfile is ours")

    run = fastgen("check", "-p", str(project), "--diff")

    assert run.exit_code == 0, run.stdout
    assert "owned: Dockerfile" in run.stdout and "drifted" not in run.stdout
    # Only that file: an edit elsewhere among the template's still drifts.
    with (project / "compose.yaml").open("a", encoding="utf-8") as file:
        file.write("# ours too\n")
    assert fastgen("check", "-p", str(project)).exit_code == 4


@pytest.mark.parametrize(
    ("table", "words"),
    [
        ('owned = ["README.md"]', "'README.md' is not a template-owned file"),
        ('owned = "Dockerfile"', "must be a list of paths"),
        ("owned = [1]", "must be a list of paths"),
    ],
)
def test_check_refuses_an_owned_list_it_cannot_honour(
    cache: Path, tmp_path: Path, table: str, words: str
) -> None:
    project = project_at(VERSION_B, tmp_path)
    with (project / "pyproject.toml").open("a", encoding="utf-8") as file:
        file.write(f"\n[tool.fastgen]\n{table}\n")

    run = fastgen("check", "-p", str(project))

    assert run.exit_code == 2
    assert run.stderr.startswith("error: pyproject.toml: [tool.fastgen] owned: ")
    assert words in run.stderr


def test_update_still_merges_the_template_into_a_file_the_project_owns(
    cache: Path, tmp_path: Path
) -> None:
    project = project_at(VERSION_A, tmp_path)
    workflow = project / ".github/workflows/ci.yml"
    replace_line(workflow, first_line(workflow), "name: CI (ours)")
    with (project / "pyproject.toml").open("a", encoding="utf-8") as file:
        file.write('\n[tool.fastgen]\nowned = [".github/workflows/ci.yml"]\n')
    commit_all(project, "our CI")
    assert fastgen("check", "-p", str(project)).exit_code == 3  # behind, not drifted

    assert fastgen("update", "-p", str(project)).exit_code == 0
    commit_all(project, "update to B")

    text = workflow.read_text(encoding="utf-8")
    assert first_line(workflow) == "name: CI (ours)"
    assert f"# fastgen {VERSION_B} made them" in text  # the template's change, merged in
    assert fastgen("check", "-p", str(project)).exit_code == 0
