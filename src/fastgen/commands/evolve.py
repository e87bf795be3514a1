"""Changing resources after they are made: `add field`, `remove field`, `rename field`,
`change field`, `remove resource` and `apply`.

Every command states the definitions it wants (the records in
`.fastgen/resources/` are the definitions in force) and runs one pipeline:
find the project -> diff each resource's definition and check the changes ->
render the old and the new definition and merge their difference into the
project's files (the same three-way merge as `fastgen update`: hand edits stay)
-> write one Alembic revision per resource after the head -> write everything
at once (or nothing) -> report the plan, the files and any conflicts.
"""

from __future__ import annotations

import contextlib
import tempfile
from collections.abc import Callable, Iterable, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from fastgen import gitrepo, template
from fastgen.commands import resource_diff, resource_revision, wiring
from fastgen.commands.access import (
    PARENT,
    InvalidAccess,
    check_parent,
    parent_field,
    parse_access,
)
from fastgen.commands.add_resource import (
    add_resource,
    field_record,
    format_python,
    line_length,
    render_resource,
    write_all,
)
from fastgen.commands.fields import Field, InvalidField, parse_field, parse_fields
from fastgen.commands.links import refuse_links_out
from fastgen.commands.migrations import VERSIONS, head_and_next
from fastgen.commands.project import Project, find_project
from fastgen.commands.resource_diff import EvolutionRefused, FieldChange
from fastgen.commands.resource_merge import merge_bytes, resource_files
from fastgen.errors import SpecError
from fastgen.spec import RESOURCES, load_resources

Status = Callable[[str], AbstractContextManager[object]]
NEXT_COMMANDS = ["alembic upgrade head", "pytest"]
# Where `fastgen apply` reads the resources' definitions by default.
RESOURCES_FILE = "resources.yaml"


@dataclass(frozen=True)
class Wanted:
    """A resource's wanted definition: its fields (None: remove the resource) and
    the renames it declares (old field name -> new)."""

    cls: str
    fields: list[Field] | None
    renames: Mapping[str, str] = field(default_factory=dict)
    access: str | None = None  # a new access mode (None: as it is, renames followed)


@dataclass(frozen=True)
class ResourcePlan:
    cls: str
    plural: str
    fields: list[Field]  # the wanted definition (none when the resource goes)
    changes: list[FieldChange]
    removed: bool
    revision: str | None = None  # the new revision's path, when the database changes
    access: str = "owned"  # once changed: a parent-owned resource follows its field's renames
    old_access: str = "owned"
    # re-rendered though its definition stays: a resource it references changed mode
    referring: bool = False

    def steps(self) -> list[tuple[str, list[str]]]:
        """The plan of this resource: each step, with what it risks for stored rows."""
        if self.removed:
            return [
                (
                    f"drop table {self.plural}",
                    ["DATA LOST: every row (downgrade recreates it empty)"],
                ),
                ("unwire its router and model, delete its files and record", []),
            ]
        steps: list[tuple[str, list[str]]] = []
        if self.access != self.old_access:
            steps.append((f"access {self.old_access} -> {self.access} (no column changes)", []))
        if self.referring:
            steps.append(("re-rendered: a resource it references changed access", []))
        return steps + [(resource_diff.describe(change), change.risks()) for change in self.changes]


@dataclass(frozen=True)
class EvolveResult:
    project: Path
    plans: list[ResourcePlan]
    created: list[str]
    changed: list[str]
    deleted: list[str]
    conflicts: list[str]
    dry_run: bool
    added: list[str] = field(default_factory=list)  # resources `apply` added
    next_commands: list[str] = field(default_factory=lambda: list(NEXT_COMMANDS))


# ------------------------------------------------------------------ the commands


def add_fields(cls: str, texts: Iterable[str], **options: Any) -> EvolveResult:
    project, record = _resource(cls, options.get("project_dir"))
    fields = _fields(record)
    added = parse_fields(texts)
    if not added:
        raise InvalidField("add field: name at least one field, as NAME:TYPE[:ARG][:MODIFIER]...")
    for new in added:
        if _find(fields, new.name, new.column) is not None:
            raise InvalidField(f"field {new.name!r}: {cls} has it already")
    return evolve([Wanted(cls, [*fields, *added])], project=project, **options)


def remove_fields(cls: str, names: Iterable[str], **options: Any) -> EvolveResult:
    project, record = _resource(cls, options.get("project_dir"))
    fields = _fields(record)
    gone = {_known(cls, fields, name).name for name in names}
    if not gone:
        raise InvalidField("remove field: name at least one field")
    return evolve(
        [Wanted(cls, [f for f in fields if f.name not in gone])], project=project, **options
    )


def rename_field(cls: str, old: str, new: str, **options: Any) -> EvolveResult:
    project, record = _resource(cls, options.get("project_dir"))
    fields = _fields(record)
    current = _known(cls, fields, old)
    renamed = parse_field(replace(current, name=new).text())  # the new name's rules
    if _find(fields, renamed.name, renamed.column) is not None:
        raise InvalidField(f"field {new!r}: {cls} has a field of that name already")
    wanted = [renamed if f is current else f for f in fields]
    return evolve([Wanted(cls, wanted, {current.name: renamed.name})], project=project, **options)


def change_field(cls: str, text: str, **options: Any) -> EvolveResult:
    project, record = _resource(cls, options.get("project_dir"))
    fields = _fields(record)
    changed = parse_field(text)
    current = _known(cls, fields, changed.name)
    if changed == current:
        raise InvalidField(f"field {changed.name!r}: it is already {current.text()}")
    wanted = [changed if f is current else f for f in fields]
    return evolve([Wanted(cls, wanted)], project=project, **options)


def change_access(cls: str, mode: str, **options: Any) -> EvolveResult:
    project, record = _resource(cls, options.get("project_dir"))
    access = parse_access(mode)
    if access == record["access"]:
        raise InvalidAccess(f"resource {cls!r}: its access is already {access}")
    return evolve([Wanted(cls, _fields(record), access=access)], project=project, **options)


def remove_resource(cls: str, **options: Any) -> EvolveResult:
    project, _record = _resource(cls, options.get("project_dir"))
    return evolve([Wanted(cls, None)], project=project, **options)


def apply(
    path: Path | None = None,
    *,
    project_dir: Path | None = None,
    force: bool = False,
    dry_run: bool = False,
    status: Status = lambda _message: contextlib.nullcontext(),
) -> EvolveResult:
    """Bring the project's resources to a file's definitions (`resources:` as in a spec
    file, each entry with the `renames:` it declares): changed resources evolve,
    resources the file leaves out are removed, new ones are added after that."""
    project = find_project(project_dir)
    path = path or project.root / RESOURCES_FILE
    if not path.is_file():
        raise SpecError(
            f"{path}: not found; write the project's resources there with "
            f"`fastgen resources > {RESOURCES_FILE}`, edit, then apply"
        )
    specs = load_resources(path)
    wanted, new = [], []
    for spec in specs:
        record = project.resource_by_class(spec.name)
        if record is None:
            new.append(spec)
            continue
        if (spec.plural or record["plural"]) != record["plural"]:
            raise SpecError(
                f"{spec.where}: {spec.name}: plural cannot change once the resource is made"
            )
        access = None if spec.access == _renamed(record["access"], spec.renames) else spec.access
        wanted.append(Wanted(spec.name, parse_fields(spec.fields), spec.renames, access))
    listed = {spec.name for spec in specs}
    # The resources left out are removed, the latest made first (it may refer to an older one).
    left_out = sorted(
        (r for r in project.resources.values() if r["name"] not in listed),
        key=lambda r: str(r["revision"]),
        reverse=True,
    )
    wanted += [Wanted(r["name"], None) for r in left_out]
    result = evolve(wanted, project=project, force=force, dry_run=dry_run, status=status)
    if result.conflicts:
        return result  # resolve them first; the new resources come with the next apply
    created, changed = list(result.created), list(result.changed)
    for spec in new:
        with status(f"Adding {spec.name}"):
            added = add_resource(
                spec.name,
                spec.fields,
                project_dir=project.root,
                plural=spec.plural,
                access=spec.access,
                dry_run=dry_run,
            )
        created += added.created
        changed += [rel for rel in added.changed if rel not in changed]
    return replace(
        result, created=sorted(created), changed=sorted(changed), added=[s.name for s in new]
    )


def export_resources(project_dir: Path | None = None) -> str:
    """The project's resources as `fastgen apply` reads them."""
    import yaml

    project = find_project(project_dir)
    entries = [
        {
            "name": record["name"],
            "plural": record["plural"],
            "access": record["access"],
            "fields": [Field.from_record(values).text() for values in record["fields"]],
        }
        for record in sorted(project.resources.values(), key=lambda r: str(r["revision"]))
    ]
    header = (
        f"# The resources of {project.root.name}. Edit them here, declare renames\n"
        "# (renames: {old_name: new_name}), then `fastgen apply --dry-run` shows the plan.\n"
    )
    return header + yaml.safe_dump({RESOURCES: entries}, sort_keys=False, allow_unicode=True)


def _resource(cls: str, project_dir: Path | None) -> tuple[Project, dict[str, Any]]:
    project = find_project(project_dir)
    record = project.resource_by_class(cls)
    if record is None:
        known = ", ".join(r["name"] for r in project.resources.values()) or "none"
        raise InvalidField(f"resource {cls!r}: not in this project (known: {known})")
    return project, record


def _fields(record: Mapping[str, Any]) -> list[Field]:
    return [Field.from_record(values) for values in record["fields"]]


def _find(fields: Sequence[Field], *names: str) -> Field | None:
    return next((f for f in fields if f.name in names or f.column in names), None)


def _known(cls: str, fields: Sequence[Field], name: str) -> Field:
    found = _find(fields, name)
    if found is None:
        known = ", ".join(f.name for f in fields)
        raise InvalidField(f"field {name!r}: {cls} has no such field (fields: {known})")
    return found


# ------------------------------------------------------------------ the pipeline


def evolve(
    wanted: Sequence[Wanted],
    *,
    project: Project | None = None,
    project_dir: Path | None = None,
    force: bool = False,
    dry_run: bool = False,
    status: Status = lambda _message: contextlib.nullcontext(),
) -> EvolveResult:
    project = project or find_project(project_dir)
    plans = _plan(project, wanted, force)
    plans += _referring(project, plans)
    # The project as it reads once the modes change: references record their target's.
    modes = {plan.plural: plan.access for plan in plans if not plan.removed}
    after = replace(
        project,
        resources={
            plural: {**record, "access": modes.get(plural, record["access"])}
            for plural, record in project.resources.items()
        },
    )
    files = _Files()
    down_revision, revision = head_and_next(project.root)
    for at, plan in enumerate(plans):
        if not (plan.removed or plan.changes or plan.access != plan.old_access or plan.referring):
            continue
        record = project.resources[plan.plural]
        written: str | None
        with status(f"Rendering {plan.plural}"):
            if plan.removed:
                part, written = _removal(project, record, revision, down_revision)
            else:
                new_record = {
                    **record,
                    "access": plan.access,
                    "fields": [field_record(after, f) for f in plan.fields],
                }
                part, written = _change(project, record, new_record, plan, revision, down_revision)
        files.created |= part.created
        files.changed |= part.changed
        files.deleted += part.deleted
        files.conflicts |= part.conflicts
        if written is not None:
            plans[at] = replace(plan, revision=written)
            down_revision, revision = revision, f"{int(revision) + 1:04d}"
    files.changed |= _unwired(project, [p for p in plans if p.removed])
    paths = [*files.created, *files.changed, *files.deleted]
    refuse_links_out(project.root, paths)
    _require_clean(project, paths)
    if not dry_run:
        write_all(project.root, files.created, files.changed, files.deleted)
        # As `update` leaves them: unmerged in the index, for `git status` and merge tools.
        for rel, versions in files.conflicts.items():
            gitrepo.mark_unmerged(project.root, rel, *versions)
    return EvolveResult(
        project.root,
        plans,
        sorted(files.created),
        sorted(files.changed),
        sorted(files.deleted),
        sorted(files.conflicts),
        dry_run,
    )


def _plan(project: Project, wanted: Sequence[Wanted], force: bool) -> list[ResourcePlan]:
    """Each resource's changes, checked against the project before anything is rendered."""
    removing = {w.cls for w in wanted if w.fields is None}
    # Every resource's fields once the change is made: who would still refer to whom.
    after = {r["name"]: _fields(r) for r in project.resources.values()}
    after |= {w.cls: w.fields for w in wanted if w.fields is not None}
    plans: list[ResourcePlan] = []
    for want in wanted:
        record = project.resource_by_class(want.cls)
        if record is None:
            known = ", ".join(r["name"] for r in project.resources.values()) or "none"
            raise InvalidField(f"resource {want.cls!r}: not in this project (known: {known})")
        if want.fields is None:
            users = [
                f"{cls}.{f.name}"
                for cls, fields in after.items()
                if cls not in removing
                for f in fields
                if f.ref == want.cls
            ]
            if users:
                raise EvolutionRefused(
                    f"resource {want.cls!r}: still referenced by {', '.join(users)}; "
                    "remove those fields first"
                )
            plans.append(
                ResourcePlan(
                    want.cls,
                    record["plural"],
                    [],
                    [],
                    removed=True,
                    access=record["access"],
                    old_access=record["access"],
                )
            )
            continue
        _check_definition(project, want, removing)
        current = _fields(record)
        for old, new in want.renames.items():
            missing = old if _find(current, old) is None else None
            missing = missing or (new if _find(want.fields, new) is None else None)
            if missing is not None:
                raise InvalidField(
                    f"resource {want.cls!r}: renames {old} -> {new}, but has no field {missing!r}"
                )
        changes = resource_diff.diff(current, want.fields, want.renames)
        for change in changes:
            resource_diff.check(change, force=force)
        access = _access_after(want, record["access"])
        plans.append(
            ResourcePlan(
                want.cls,
                record["plural"],
                want.fields,
                changes,
                removed=False,
                access=access,
                old_access=record["access"],
            )
        )
    return plans


def _referring(project: Project, plans: Sequence[ResourcePlan]) -> list[ResourcePlan]:
    """Plans re-rendering the resources, not planned already, that reference one whose
    access changes: their tests and checks follow their references' modes."""
    changed = {plan.cls for plan in plans if plan.access != plan.old_access}
    planned = {plan.cls for plan in plans}
    return [
        ResourcePlan(
            record["name"],
            record["plural"],
            _fields(record),
            [],
            removed=False,
            access=record["access"],
            old_access=record["access"],
            referring=True,
        )
        for record in project.resources.values()
        if record["name"] not in planned
        and any(f["type"] == "ref" and f["ref"] in changed for f in record["fields"])
    ]


def _access_after(want: Wanted, now: str) -> str:
    """The resource's access once it changes: the one wanted, or a parent-owned
    resource's following its parent field's rename; a parent-owned resource keeps
    that field, required. Only the modes that differ in who may see and write, not
    in the table, change into each other: owned rows hold their owner (owner_id),
    which the others have not, so a change from or to owned is refused."""
    assert want.fields is not None
    access = want.access or _renamed(now, want.renames)
    if (now == "owned") != (access == "owned"):
        raise EvolutionRefused(
            f"resource {want.cls!r}: access {now} -> {access} is not supported: "
            + (
                "its rows' owners (owner_id) would be lost"
                if now == "owned"
                else "its rows have no owner to give them"
            )
            + "; add a resource of the new mode and move the rows"
        )
    try:
        check_parent(access, want.fields)
    except InvalidAccess as error:
        raise EvolutionRefused(
            f"resource {want.cls!r}: {error.message}; its rows follow that field"
        ) from None
    return access


def _renamed(access: str, renames: Mapping[str, str]) -> str:
    parent = parent_field(access)
    return f"{PARENT}{renames[parent]}" if parent is not None and parent in renames else access


def _check_definition(project: Project, want: Wanted, removing: set[str]) -> None:
    assert want.fields is not None
    if not want.fields:
        raise EvolutionRefused(
            f"resource {want.cls!r}: cannot lose its last field; remove the resource instead"
        )
    columns = [f.column for f in want.fields]
    if len(set(columns)) != len(columns):
        twice = next(c for c in columns if columns.count(c) > 1)
        raise InvalidField(f"resource {want.cls!r}: field {twice!r} is given twice")
    for f in want.fields:
        if f.ref is not None and (
            f.ref in removing or (f.ref != "User" and project.resource_by_class(f.ref) is None)
        ):
            raise InvalidField(
                f"field {f.name!r}: no resource {f.ref} in this project to reference"
            )


@dataclass
class _Files:
    created: dict[str, bytes] = field(default_factory=dict)
    changed: dict[str, bytes] = field(default_factory=dict)
    deleted: list[str] = field(default_factory=list)
    # path -> (base, ours, theirs) of each file left with conflict markers
    conflicts: dict[str, tuple[bytes | None, bytes, bytes]] = field(default_factory=dict)


def _change(
    project: Project,
    record: dict[str, Any],
    new_record: dict[str, Any],
    plan: ResourcePlan,
    revision: str,
    down_revision: str,
) -> tuple[_Files, str | None]:
    """The resource's files merged from its old render to its new one, and its revision."""
    files = _Files()
    version = str(record.get("template_version", project.template_version))
    with tempfile.TemporaryDirectory(prefix="fastgen-evolve-") as scratch:
        old, new = Path(scratch, "old"), Path(scratch, "new")
        render_resource(_answers(record, version), old, project.root, version)
        render_resource(_answers(new_record, version), new, project.root, version)
        for rel in sorted(set(resource_files(old)) | set(resource_files(new))):
            ours, base, theirs = _read(project.root / rel), _read(old / rel), _read(new / rel)
            merged, conflict = merge_bytes(ours, base, theirs)
            if merged == ours:
                continue
            if merged is None:
                files.deleted.append(rel)
            elif ours is None:
                files.created[rel] = merged
            else:
                files.changed[rel] = merged
            if conflict:
                assert ours is not None and theirs is not None
                files.conflicts[rel] = (base, ours, theirs)
    table = _table(project, plan.plural)
    if not any(_has_steps(table, change) for change in plan.changes):
        return files, None  # a default or nothing the database holds changed
    rel = f"{VERSIONS.as_posix()}/{revision}_{_slug(plan)}.py"
    text = resource_revision.revision_text(
        table, plan.changes, message=_message(plan), revision=revision, down_revision=down_revision
    )
    files.created[rel] = _formatted(project, text)
    return files, rel


def _removal(
    project: Project, record: dict[str, Any], revision: str, down_revision: str
) -> tuple[_Files, str]:
    """The resource's files to delete, and the revision that drops its table."""
    files = _Files()
    version = str(record.get("template_version", project.template_version))
    with tempfile.TemporaryDirectory(prefix="fastgen-evolve-") as scratch:
        render_resource(_answers(record, version), Path(scratch), project.root, version)
        files.deleted = [
            rel for rel in resource_files(Path(scratch)) if (project.root / rel).is_file()
        ]
        # Its revision stays (the database's history); the record goes with the files.
    plural = record["plural"]
    rel = f"{VERSIONS.as_posix()}/{revision}_drop_{plural}.py"
    create = resource_revision.create_table_text(template.template_root(), record)
    text = resource_revision.drop_table_text(
        create,
        table=plural,
        message=f"Drop {plural}.",
        revision=revision,
        down_revision=down_revision,
    )
    files.created[rel] = _formatted(project, text)
    return files, rel


def _answers(record: Mapping[str, Any], version: str) -> dict[str, Any]:
    return {
        **{k: v for k, v in record.items() if not k.startswith("_")},
        "template_version": version,
    }


def _read(path: Path) -> bytes | None:
    return path.read_bytes() if path.is_file() else None


def _table(project: Project, plural: str) -> resource_revision.Table:
    refs = {"User": "users"} | {r["name"]: r["plural"] for r in project.resources.values()}
    owned = project.resources[plural]["owned"]
    return resource_revision.make_table(template.template_root(), plural, refs, owned=owned)


def _has_steps(table: resource_revision.Table, change: FieldChange) -> bool:
    steps = resource_revision.steps(table, change)
    return bool(steps.upgrade or steps.downgrade)


def _slug(plan: ResourcePlan) -> str:
    """The revision's file name after its id: what it does, as far as one name can say."""
    if len(plan.changes) != 1:
        return f"change_{plan.plural}"
    change = plan.changes[0]
    old, new = change.old, change.new
    if change.kind == "add" and new is not None:
        return f"add_{new.column}_to_{plan.plural}"
    if change.kind == "drop" and old is not None:
        return f"drop_{old.column}_from_{plan.plural}"
    if change.kind == "rename" and old is not None and new is not None:
        return f"rename_{plan.plural}_{old.column}_to_{new.column}"
    return f"change_{plan.plural}_{change.name}"


def _message(plan: ResourcePlan) -> str:
    steps = "; ".join(resource_diff.describe(change) for change in plan.changes)
    return f"{plan.cls}: {steps}."


def _formatted(project: Project, text: str) -> bytes:
    with tempfile.TemporaryDirectory(prefix="fastgen-revision-") as scratch:
        path = Path(scratch, "revision.py")
        path.write_text(text, encoding="utf-8")
        format_python([path], project.root)
        return path.read_bytes()


def _unwired(project: Project, removed: Sequence[ResourcePlan]) -> dict[str, bytes]:
    """The wiring files without the removed resources' router and model."""
    if not removed:
        return {}
    length = line_length(project.root)
    texts = {
        rel: (project.root / rel).read_text(encoding="utf-8")
        for rel in (wiring.ROUTERS, wiring.MODELS)
    }
    for plan in removed:
        record = project.resources[plan.plural]
        texts[wiring.ROUTERS] = wiring.unwire_router(texts[wiring.ROUTERS], plan.plural, length)
        texts[wiring.MODELS] = wiring.unwire_model(
            texts[wiring.MODELS], record["module"], plan.cls, length
        )
    return {rel: text.encode("utf-8") for rel, text in texts.items()}


def _require_clean(project: Project, paths: Iterable[str]) -> None:
    """The files the change writes must be committed, so that it can be reviewed and undone."""
    if not gitrepo.is_repository(project.root):
        return
    wanted = set(paths)
    dirty = sorted(path for _code, path in gitrepo.changes(project.root) if path in wanted)
    if dirty:
        raise EvolutionRefused(
            f"{dirty[0]}: uncommitted changes{' (and more)' if len(dirty) > 1 else ''}; "
            "commit or stash them first, so the change can be reviewed and undone"
        )
