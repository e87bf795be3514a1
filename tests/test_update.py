"""`fastgen update` and `fastgen check` on a project made at template A, with B installed."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from conftest import fastgen
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


def test_ci_runs_check_with_the_fastgen_that_made_the_project(cache: Path, tmp_path: Path) -> None:
    project = project_at(VERSION_A, tmp_path)

    workflow = yaml.safe_load((project / ".github/workflows/ci.yml").read_text())

    runs = [step.get("run") for step in workflow["jobs"]["template"]["steps"]]
    assert f'pip install "fastgen-backend=={VERSION_A}"' in runs
    assert runs[-1] == "fastgen check"


def test_update_data_changes_an_answer_and_renders_what_it_switches_on(
    cache: Path, tmp_path: Path
) -> None:
    project = project_at(VERSION_B, tmp_path)
    assert not (project / "app/core/redis.py").exists()

    run = fastgen("update", "-p", str(project), "--data", "redis=true")

    assert run.exit_code == 0, run.stderr
    assert yaml.safe_load((project / ".copier-answers.yml").read_text())["redis"] is True
    assert git_status(project)["app/core/redis.py"] == "??"


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
