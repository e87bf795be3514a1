"""`fastgen add resource`: parse and check -> plan -> render into staging -> wire
-> move into place -> report.

Nothing in the project changes until every file is rendered and every edit is
computed; then new and changed files are written together, and any failure
while writing puts back what was there.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import tempfile
import tomllib
from collections.abc import Callable, Iterable, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastgen import template
from fastgen.commands import wiring
from fastgen.commands.access import check_parent, parse_access, recorded_access
from fastgen.commands.fields import Field, InvalidField, parse_fields
from fastgen.commands.links import refuse_links_out
from fastgen.commands.migrations import head_and_next
from fastgen.commands.naming import ResourceNames
from fastgen.commands.project import Project, find_project
from fastgen.commands.staging import signals_held_back
from fastgen.errors import SpecError, UserInputError, WorkFailed
from fastgen.render import project_files
from fastgen.spec import RESOURCES, ResourceSpec

Status = Callable[[str], AbstractContextManager[object]]
NEXT_COMMANDS = ["alembic upgrade head", "pytest"]
# What a reference to User records of its target, as to any resource: users are
# no resource's rows, so they are neither owned (ref_owned) nor under a mode.
USER = {"ref_module": "user", "ref_plural": "users", "ref_owned": False, "ref_access": "user"}


class ResourceExists(UserInputError):
    """The resource, or a file it would create, is already in the project."""


@dataclass(frozen=True)
class AddResult:
    project: Path
    names: ResourceNames
    created: list[str]
    changed: list[str]
    dry_run: bool
    next_commands: list[str]


def add_resource(
    name: str,
    field_texts: Iterable[str],
    *,
    project_dir: Path | None = None,
    plural: str | None = None,
    access: str = "owned",
    dry_run: bool = False,
    status: Status = lambda _message: contextlib.nullcontext(),
) -> AddResult:
    project = find_project(project_dir)
    names = ResourceNames.of(name, plural)
    fields = parse_fields(field_texts)
    check_parent(parse_access(access), fields)
    answers = resource_answers(project, names, fields, access)

    with tempfile.TemporaryDirectory(prefix="fastgen-resource-") as staging:
        with status(f"Rendering {names.plural}"):
            render_resource(answers, Path(staging), project.root, project.template_version)
        created = {rel: (Path(staging) / rel).read_bytes() for rel in project_files(Path(staging))}
    # Before reading or writing any of them: never through a link out of the project.
    refuse_links_out(project.root, [*created, wiring.ROUTERS, wiring.MODELS])
    for rel in created:
        if os.path.lexists(project.root / rel):
            raise ResourceExists(f"resource {name!r}: {rel} already exists in the project")
    changed = wire(project, names)
    if not dry_run:
        write_all(project.root, created, changed)
    return AddResult(project.root, names, sorted(created), sorted(changed), dry_run, NEXT_COMMANDS)


def add_from_spec(project: Path, resources: Iterable[ResourceSpec]) -> None:
    """Add a spec file's resources, in order, to a project (`fastgen new --spec`)."""
    for spec in resources:
        try:
            add_resource(
                spec.name, spec.fields, project_dir=project, plural=spec.plural, access=spec.access
            )
        except UserInputError as error:
            raise SpecError(f"{spec.where}: {RESOURCES}: {error.message}") from None


def resource_answers(
    project: Project, names: ResourceNames, fields: list[Field], access: str
) -> dict[str, Any]:
    """The resource template's answers, recorded in the project for later updates."""
    if names.plural in project.resources:
        raise ResourceExists(f"resource {names.cls!r}: the project has it already")
    down_revision, revision = head_and_next(project.root)
    return {
        "name": names.cls,
        "module": names.module,
        "plural": names.plural,
        "access": access,
        "fields": [field_record(project, field) for field in fields],
        "revision": revision,
        "down_revision": down_revision,
        # The project's template version, not this fastgen's: a project stays of one
        # version, and `fastgen update` moves it and its resources on together.
        "template_version": project.template_version,
    }


def field_record(project: Project, field: Field) -> dict[str, Any]:
    """A field as the resource's record holds it: its answers, its column, and for a
    reference what the template needs of the resource it points at."""
    values = {**field.answers(), "column": field.column}
    if field.ref == "User":
        values.update(USER)
    elif field.ref is not None:
        target = project.resource_by_class(field.ref)
        if target is None:
            known = ", ".join(["User", *(r["name"] for r in project.resources.values())])
            raise InvalidField(
                f"field {field.name!r}: no resource {field.ref} in this project to "
                f"reference (known: {known}); add it first"
            )
        values.update(reference_extras(target))
    return values


def reference_extras(target: Mapping[str, Any]) -> dict[str, Any]:
    """What a reference records of the resource it points at, for the template."""
    access = recorded_access(target)
    return {
        "ref_module": target["module"],
        "ref_plural": target["plural"],
        "ref_owned": access == "owned",
        "ref_access": access,
    }


def render_resource(answers: dict[str, Any], staging: Path, project: Path, version: str) -> None:
    """Render the resource template of a fastgen version, then let ruff (with the
    project's own settings) sort imports and wrap lines as its `ruff format` would."""
    from copier import run_copy  # costs ~0.45 s to import: only commands that render pay it

    source = template.tree(version) / "templates" / "resource"
    run_copy(str(source), staging, data=answers, defaults=True, overwrite=True, quiet=True)
    format_python([staging / rel for rel in project_files(staging) if rel.endswith(".py")], project)


def format_python(paths: list[Path], project: Path) -> None:
    """Sort imports and format as the project's own `ruff format` would."""
    python = [str(path) for path in paths]
    config = project / "pyproject.toml"
    settings = ["--config", str(config)] if config.is_file() else ["--isolated"]
    # The resource's own modules are not in the project yet: name the app first-party.
    settings += ["--config", "lint.isort.known-first-party = ['app', 'tests']"]
    _ruff("check", "--select", "I", "--fix", "--quiet", *settings, *python)
    _ruff("format", "--quiet", *settings, *python)


def _ruff(*args: str) -> None:
    # ruff's own lookup finds the binary wherever pip put it beside fastgen, as
    # `python -m ruff` would, without starting another Python to run it.
    from ruff.__main__ import find_ruff_bin

    command = [find_ruff_bin(), *args]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        said = done.stderr.strip() or done.stdout.strip() or f"exit {done.returncode}"
        raise WorkFailed(f"ruff {args[0]} failed on the rendered code: {said.splitlines()[0]}")


def wire(project: Project, names: ResourceNames) -> dict[str, bytes]:
    """The wiring files' new contents, for those that change."""
    length = line_length(project.root)
    edits: dict[str, Callable[[str], str]] = {
        wiring.ROUTERS: lambda text: wiring.wire_router(text, names.plural, length),
        wiring.MODELS: lambda text: wiring.wire_model(text, names.module, names.cls, length),
    }
    changed: dict[str, bytes] = {}
    for rel, edit in edits.items():
        path = project.root / rel
        if not path.is_file():
            raise wiring.WiringError(f"{rel}: not found; the resource cannot be wired in")
        before = path.read_text(encoding="utf-8")
        after = edit(before)
        if after != before:
            changed[rel] = after.encode("utf-8")
    return changed


def line_length(root: Path) -> int:
    """The project's ruff line length (ruff's default, 88, when not set)."""
    try:
        config = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError):
        return 88
    length = config.get("tool", {}).get("ruff", {}).get("line-length", 88)
    return length if isinstance(length, int) else 88


def write_all(
    root: Path,
    created: dict[str, bytes],
    changed: dict[str, bytes],
    deleted: Iterable[str] = (),
) -> None:
    """Write and delete every file, or, on any error (Ctrl-C included), none of them.

    Ctrl-C is held back while writing and putting back, so that it cannot fall
    between a write and its record, or cut the putting back short."""
    gone = list(deleted)
    originals = {rel: (root / rel).read_bytes() for rel in [*changed, *gone]}
    new_folders = sorted(
        {p for rel in created for p in (root / rel).parents if not p.exists()},
        key=lambda p: len(p.parts),
    )
    done: list[str] = []
    with signals_held_back() as received:
        try:
            for folder in new_folders:
                folder.mkdir()
            for rel, data in {**created, **changed}.items():
                path = root / rel
                temporary = path.with_name(f".{path.name}.fastgen-new")
                temporary.write_bytes(data)
                if rel in changed:
                    shutil.copymode(path, temporary)
                os.replace(temporary, path)
                done.append(rel)
            for rel in gone:
                (root / rel).unlink()
                done.append(rel)
            if received:
                raise KeyboardInterrupt
        except BaseException:
            for rel in reversed(done):
                if rel in originals:
                    (root / rel).write_bytes(originals[rel])
                else:
                    (root / rel).unlink()
            for rel in {**created, **changed}:
                (root / rel).with_name(f".{(root / rel).name}.fastgen-new").unlink(missing_ok=True)
            for folder in reversed(new_folders):
                with contextlib.suppress(OSError):
                    folder.rmdir()
            raise
