"""`fastgen update` is all or nothing, never writes through a link out of the project,
and every command checks what the project recorded before trusting it.

Projects are made at template A with B installed (update_support.py).
"""

from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from conftest import fastgen, tree_bytes
from fastgen.commands import resource_merge, staging
from fastgen.errors import WorkFailed
from test_bad_input import assert_refused
from test_update import cache, edited_project, history  # noqa: F401 (fixtures)
from update_support import VERSION_A, commit_all, git_status, project_at

ITEM_MODEL = "app/models/item.py"
ITEMS_RECORD = ".fastgen/resources/items.yml"
WIRING = ("app/api/v1/__init__.py", "app/models/__init__.py")


def snapshot(project: Path) -> tuple[dict[str, bytes], dict[str, str], str]:
    """Every file's bytes, `git status`, and the index (`git ls-files --stage`)."""
    index = subprocess.run(
        ["git", "ls-files", "--stage"], cwd=project, capture_output=True, text=True, check=True
    ).stdout
    return tree_bytes(project), git_status(project), index


def python_m_fastgen(*args: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "fastgen", *args],
        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        env=dict(os.environ),
    )  # fmt: skip


def interrupt_at_random(
    made: Path, work: Path, args: list[str], runs: int
) -> tuple[list[str], int]:
    """Run `python -m fastgen ARGS -p COPY` to the end once, then `runs` times on fresh
    copies of made with SIGINT after a random delay: each copy is either as made or
    exactly as the full run left its copy. What each run did, and how many were cut."""
    reference = work / "reference"
    shutil.copytree(made, reference, symlinks=True)
    started = time.monotonic()
    full = python_m_fastgen(*args, "-p", str(reference))
    _out, err = full.communicate(timeout=300)
    assert full.returncode in (0, 1), err.decode()
    duration = time.monotonic() - started
    before, after = snapshot(made), snapshot(reference)
    assert before != after
    seen, cut = [], 0
    rng = random.Random()
    for number in range(runs):
        copy = work / f"run{number}"
        shutil.copytree(made, copy, symlinks=True)
        # Anywhere in the run (which may take longer now, on a busy machine).
        delay = rng.uniform(0.05, duration)
        process = python_m_fastgen(*args, "-p", str(copy))
        time.sleep(delay)
        process.send_signal(signal.SIGINT)
        _out, err = process.communicate(timeout=300)
        # The path differs from run to run; the files and the index may not.
        now = snapshot(copy)
        said = f"SIGINT after {delay:.2f}s of {duration:.2f}s: exit {process.returncode}"
        seen.append(said)
        if now == after:  # done (the signal may have come while it printed the report)
            assert process.returncode in (0, 1, 130, -signal.SIGINT), said
        else:
            cut += 1
            assert process.returncode in (130, -signal.SIGINT), f"{said}\n{err.decode()}"
            assert now == before, said
    return seen, cut


def test_sigint_at_random_points_of_an_update_leaves_it_undone_or_done(
    cache: Path,  # noqa: F811
    tmp_path: Path,
) -> None:
    made = edited_project(tmp_path / "made", conflicting=False)
    seen, cut = interrupt_at_random(made, tmp_path, ["update"], runs=6)
    assert cut >= 1, seen  # at least one run was cut short


def test_sigint_at_random_points_of_add_resource_leaves_it_undone_or_done(
    cache: Path,  # noqa: F811
    tmp_path: Path,
) -> None:
    made = project_at(VERSION_A, tmp_path / "made")
    args = ["add", "resource", "Category", "name:str:80:unique"]
    seen, cut = interrupt_at_random(made, tmp_path, args, runs=6)
    assert cut >= 1, seen


def test_a_failure_during_the_merge_leaves_the_project_untouched(
    cache: Path,  # noqa: F811
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    project = edited_project(tmp_path, conflicting=False)
    before = snapshot(project)

    def failing(*_args: object, **_kwargs: object) -> list[str]:
        raise WorkFailed("resource render failed")

    # After copier's update of the project (which rewrites the wiring files).
    monkeypatch.setattr(resource_merge, "update_resources", failing)
    run = fastgen("update", "-p", str(project))

    assert run.exit_code == 1 and "resource render failed" in run.stderr
    assert snapshot(project) == before


@pytest.mark.parametrize("at", [1, 4, 7])
def test_a_failure_while_moving_into_place_puts_everything_back(
    cache: Path,  # noqa: F811
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    at: int,
) -> None:
    project = edited_project(tmp_path, conflicting=True)  # an unmerged file in the index too
    before = snapshot(project)
    write, calls = staging._write, 0

    def failing(path: Path, content: staging.Content) -> None:
        nonlocal calls
        calls += 1
        if calls == at:
            raise OSError("disk full")
        write(path, content)

    monkeypatch.setattr(staging, "_write", failing)
    with pytest.raises(OSError, match="disk full"):
        staging_update(project)

    assert snapshot(project) == before


def test_ctrl_c_that_a_library_turns_into_its_own_error_still_exits_130(
    cache: Path,  # noqa: F811
    tmp_path: Path,
) -> None:
    """pydantic-core, building copier's models while copier is imported, catches the
    KeyboardInterrupt of a Ctrl-C and raises a SchemaError instead (seen in CI). The
    user pressed Ctrl-C: one `interrupted:` line, exit 130, the project as it was."""
    made = project_at(VERSION_A, tmp_path / "made")
    before = snapshot(made)
    swallowing = f"""
import os, signal, sys
from fastgen import cli
from fastgen.commands import add_resource

def render_resource(*_args):
    try:
        os.kill(os.getpid(), signal.SIGINT)
    except BaseException as error:  # as pydantic-core does
        raise RuntimeError("'cls' must be valid as the first argument to 'isinstance'") from error

add_resource.render_resource = render_resource
sys.argv = ["fastgen", "add", "resource", "Category", "name:str", "-p", {str(made)!r}]
cli.main()
"""
    run = subprocess.run(
        [sys.executable, "-c", swallowing], capture_output=True, text=True, timeout=120
    )
    assert run.returncode == 130, run.stderr
    assert run.stderr.splitlines() == ["interrupted: the project was left as it was"]
    assert snapshot(made) == before


def test_ctrl_c_while_moving_into_place_is_held_back_and_puts_everything_back(
    cache: Path,  # noqa: F811
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    project = edited_project(tmp_path, conflicting=True)
    before = snapshot(project)
    write, calls = staging._write, 0

    def interrupted(path: Path, content: staging.Content) -> None:
        nonlocal calls
        calls += 1
        if calls in (3, 9):  # twice: during the writes, and again while putting back
            os.kill(os.getpid(), signal.SIGINT)
        write(path, content)

    monkeypatch.setattr(staging, "_write", interrupted)
    with pytest.raises(KeyboardInterrupt):
        staging_update(project)

    assert calls > 9  # every write, then every file put back
    assert snapshot(project) == before


def staging_update(project: Path) -> None:
    from fastgen.commands.update import update_project

    update_project(project)


def test_a_record_naming_an_unknown_template_version_is_refused_before_any_write(
    cache: Path,  # noqa: F811
    tmp_path: Path,
) -> None:
    project = project_at(VERSION_A, tmp_path)
    record = project / ITEMS_RECORD
    record.write_text(
        record.read_text().replace(f"template_version: {VERSION_A}", "template_version: 0.0.0")
    )
    commit_all(project, "an old record")
    before = snapshot(project)

    run = fastgen("update", "-p", str(project))

    assert_refused(run, ITEMS_RECORD, "0.0.0", "no such template version")
    assert snapshot(project) == before


def test_update_refuses_to_write_through_a_link_out_of_the_project(
    cache: Path,  # noqa: F811
    tmp_path: Path,
) -> None:
    project = project_at(VERSION_A, tmp_path / "made")
    outside = tmp_path / "outside.py"
    model = project / ITEM_MODEL
    outside.write_bytes(model.read_bytes())
    model.unlink()
    model.symlink_to(outside)
    commit_all(project, "the model lives elsewhere")
    before, outside_before = snapshot(project), outside.read_bytes()

    run = fastgen("update", "-p", str(project))

    assert_refused(run, f"{ITEM_MODEL}: a symbolic link to {outside}", "outside the project")
    assert outside.read_bytes() == outside_before
    assert snapshot(project) == before


@pytest.mark.parametrize("link", ["app/api/v1/__init__.py", "tests/integration"])
def test_add_resource_refuses_to_write_through_a_link_out_of_the_project(
    cache: Path,  # noqa: F811
    tmp_path: Path,
    link: str,
) -> None:
    project = project_at(VERSION_A, tmp_path / "made")
    outside = tmp_path / "outside"
    shutil.move(project / link, outside)
    (project / link).symlink_to(outside)
    commit_all(project, "moved out")
    before, outside_before = snapshot(project), everything(outside)

    run = fastgen("add", "resource", "Category", "name:str:80:unique", "-p", str(project))

    assert_refused(run, f"{link}: a symbolic link to {outside}", "outside the project")
    assert everything(outside) == outside_before
    assert snapshot(project) == before


def everything(path: Path) -> dict[str, bytes]:
    return tree_bytes(path) if path.is_dir() else {"": path.read_bytes()}


TAMPERED = [
    (ITEMS_RECORD, "plural: items", "plural: ../../etc", "'../../etc'"),
    (ITEMS_RECORD, "    type: text", "    type: blob", "unknown type 'blob'"),
    (ITEMS_RECORD, "access: owned", "access: everyone", "access 'everyone': expected one of"),
    (ITEMS_RECORD, "revision: '0003'", "revision: ../0003", "not an Alembic revision id"),
    (ITEMS_RECORD, f"template_version: {VERSION_A}", "template_version: soon", "'soon'"),
    (".copier-answers.yml", "redis: false", "redis: [1]", "redis: expected yes or no"),
    (".copier-answers.yml", "database: sqlite", "database: oracle", "'oracle' is not one of"),
    (".copier-answers.yml", f"_template_version: {VERSION_A}", "_template_version: {}", "{}"),
]


@pytest.mark.parametrize("command", ["check", "update", "add"])
@pytest.mark.parametrize(("path", "old", "new", "said"), TAMPERED)
def test_every_command_refuses_a_tampered_record_in_one_line(
    cache: Path,  # noqa: F811
    tmp_path: Path,
    command: str,
    path: str,
    old: str,
    new: str,
    said: str,
) -> None:
    project = project_at(VERSION_A, tmp_path)
    text = (project / path).read_text()
    assert old in text.splitlines()
    (project / path).write_text(text.replace(old, new, 1))
    commit_all(project, "tampered")
    before = snapshot(project)
    args = {"check": ["check"], "update": ["update"], "add": ["add", "resource", "Tag"]}[command]

    run = fastgen(*args, "-p", str(project))

    assert_refused(run, path, said)
    assert snapshot(project) == before


def test_a_conflict_in_a_resource_file_is_unmerged_in_the_index(
    cache: Path,  # noqa: F811
    tmp_path: Path,
) -> None:
    project = conflicting_item_model(tmp_path)

    run = fastgen("update", "-p", str(project))

    assert run.exit_code == 1
    assert f"conflict: {ITEM_MODEL}" in run.stderr
    assert "<<<<<<< before updating" in (project / ITEM_MODEL).read_text()
    assert git_status(project)[ITEM_MODEL] == "UU"
    unmerged = subprocess.run(
        ["git", "diff", "--name-only", "--diff-filter=U"],
        cwd=project, capture_output=True, text=True, check=True,
    ).stdout.split()  # fmt: skip
    assert unmerged == [ITEM_MODEL]


def test_conflict_rej_is_honoured_for_resource_files(
    cache: Path,  # noqa: F811
    tmp_path: Path,
) -> None:
    project = conflicting_item_model(tmp_path)

    run = fastgen("update", "-p", str(project), "--conflict", "rej")

    assert run.exit_code == 1
    assert f"conflict: {ITEM_MODEL}" in run.stderr
    model = (project / ITEM_MODEL).read_text()
    assert "<<<<<<<" not in model and '__tablename__ = "items"\n' in model  # B's line
    assert "# our own table note" in (project / f"{ITEM_MODEL}.rej").read_text()


def conflicting_item_model(parent: Path) -> Path:
    """A project at A whose items model has the user's edit on the line B changes."""
    project = project_at(VERSION_A, parent)
    model = project / ITEM_MODEL
    lines = model.read_text().splitlines(keepends=True)
    number = next(i for i, line in enumerate(lines) if "__tablename__" in line)
    lines[number] = '    __tablename__ = "items"  # our own table note\n'
    model.write_text("".join(lines))
    commit_all(project, "a note on the table")
    return project


def test_commands_find_the_project_from_a_subfolder(
    cache: Path,  # noqa: F811
    tmp_path: Path,
) -> None:
    project = project_at(VERSION_A, tmp_path)

    # The installed command: `python -m` would put the folder on sys.path, where the
    # project's own app/models/token.py would shadow the standard library's.
    run = subprocess.run(
        [str(Path(sys.executable).with_name("fastgen")), "check"],
        cwd=project / "app" / "models", capture_output=True, text=True, check=False,
    )  # fmt: skip

    assert run.returncode == 3, run.stderr
    assert f"at template {VERSION_A}" in run.stdout
    assert yaml.safe_load((project / ".copier-answers.yml").read_text())["redis"] is False
