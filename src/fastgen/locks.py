"""uv.lock for a generated project, from the versions fastgen's own CI tested.

Each fastgen version carries, for each Python the template offers, one lock of
the union of every variant's dependencies (`templates/locks/python3.X.lock`,
made by `python -m fastgen.locks`, which runs `uv lock`). fastgen's CI installs
every variant of its matrix from it with `uv sync --locked` and runs the
variant's suite, lint and type check there. A project's lock is that lock cut
down to the packages its own pyproject.toml reaches, under its own name: what
`uv lock` would write from the same versions, made offline, so `fastgen new`
needs no network and a project starts from a tested set.

After `fastgen update`, a lock that still matches pyproject.toml is the team's
and is kept as it is; a project without one gets the tested lock; a lock that no
longer matches is re-locked with `uv lock`, which keeps the project's pins where
the new requirements allow them. Lines of a lock are never merged, and an update
whose lock cannot be made to match is not made at all (WorkFailed, in staging).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tomllib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from uv import find_uv_bin

from fastgen.errors import WorkFailed

LOCK = "uv.lock"
LOCKS = Path("templates") / "locks"
_BLOCK = "\n[[package]]\n"


def lock_path(template_root: Path, python_version: str) -> Path:
    return template_root / LOCKS / f"python{python_version}.lock"


@dataclass(frozen=True)
class Requirement:
    name: str
    extras: tuple[str, ...]
    specifier: str
    marker: str

    @classmethod
    def parse(cls, text: str) -> Requirement:
        from packaging.requirements import Requirement as Parsed
        from packaging.utils import canonicalize_name

        parsed = Parsed(text)
        return cls(
            canonicalize_name(parsed.name),
            tuple(sorted(parsed.extras)),
            str(parsed.specifier),
            str(parsed.marker) if parsed.marker else "",
        )

    def edge(self) -> str:
        """This requirement as a root package's dependency: `{ name = ..., extra = [...] }`."""
        extra = f", extra = {_toml_list(self.extras)}" if self.extras else ""
        marker = f", marker = {_toml_str(self.marker)}" if self.marker else ""
        return f"{{ name = {_toml_str(self.name)}{extra}{marker} }}"

    def metadata(self) -> str:
        """This requirement as the root's `requires-dist` records it."""
        parts = [f"name = {_toml_str(self.name)}"]
        if self.extras:
            parts.append(f"extras = {_toml_list(self.extras)}")
        if self.marker:
            parts.append(f"marker = {_toml_str(self.marker)}")
        if self.specifier:
            parts.append(f"specifier = {_toml_str(self.specifier)}")
        return "{ " + ", ".join(parts) + " }"


@dataclass(frozen=True)
class Project:
    """What of a pyproject.toml a lock records."""

    name: str
    version: str
    requires_python: str
    dependencies: tuple[Requirement, ...]
    groups: dict[str, tuple[Requirement, ...]]

    @classmethod
    def read(cls, pyproject: Path) -> Project:
        from packaging.utils import canonicalize_name

        data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
        project = data["project"]
        groups = data.get("dependency-groups", {})
        return cls(
            canonicalize_name(project["name"]),
            project["version"],
            project["requires-python"],
            tuple(Requirement.parse(r) for r in project.get("dependencies", [])),
            {
                canonicalize_name(group): tuple(Requirement.parse(r) for r in reqs)
                for group, reqs in sorted(groups.items())
            },
        )

    def requirements(self) -> Iterator[Requirement]:
        yield from self.dependencies
        for reqs in self.groups.values():
            yield from reqs

    def root_block(self) -> str:
        """The project's own package entry, as uv writes it."""
        lines = [
            f"name = {_toml_str(self.name)}",
            f"version = {_toml_str(self.version)}",
            'source = { editable = "." }',
        ]
        if self.dependencies:
            lines += _array("dependencies", sorted(r.edge() for r in self.dependencies))
        if self.groups:
            lines += ["", "[package.dev-dependencies]"]
            for group, reqs in self.groups.items():
                lines += _array(group, sorted(r.edge() for r in reqs))
        lines += ["", "[package.metadata]"]
        lines += _array("requires-dist", [r.metadata() for r in _by_name(self.dependencies)])
        if self.groups:
            lines += ["", "[package.metadata.requires-dev]"]
            for group, reqs in self.groups.items():
                lines += _array(group, [r.metadata() for r in _by_name(reqs)])
        return "\n".join(lines) + "\n"


def tested_lock(project: Path, template_root: Path, python_version: str) -> str | None:
    """The project's lock cut from the tested one; None when the project asks for a
    package, or a version of one, that the tested lock does not hold."""
    from packaging.specifiers import SpecifierSet

    tested = lock_path(template_root, python_version)
    if not tested.is_file():
        return None
    wanted = Project.read(project / "pyproject.toml")
    header, blocks = _split(tested.read_text(encoding="utf-8"))
    if not _python_matches(header, wanted):
        return None
    packages = {name: [entry for entry, _text in found] for name, found in blocks.items()}
    for requirement in wanted.requirements():
        versions = [entry["version"] for entry in packages.get(requirement.name, [])]
        if not any(SpecifierSet(requirement.specifier).contains(v) for v in versions):
            return None
    keep = _reachable(packages, wanted.requirements())
    kept = [(name, text) for name in sorted(keep) for _entry, text in blocks[name]]
    kept.append((wanted.name, wanted.root_block()))
    kept.sort(key=lambda item: item[0])
    return header + "".join(_BLOCK + text for _name, text in kept)


def write_tested(project: Path, template_root: Path, python_version: str) -> None:
    """Give a new project its lock (the template's requirements are all in the tested
    lock: tests/test_locks.py holds every variant to it)."""
    lock = tested_lock(project, template_root, python_version)
    if lock is None:
        raise WorkFailed(
            f"pyproject.toml asks for a package outside fastgen's tested lock "
            f"({lock_path(template_root, python_version).name}): re-make it with "
            "`python -m fastgen.locks`"
        )
    (project / LOCK).write_text(lock, encoding="utf-8")


def after_update(project: Path, template_root: Path, python_version: str) -> str:
    """Bring an updated project's lock in line with its pyproject.toml; say what was done."""
    path = project / LOCK
    try:
        wanted = Project.read(project / "pyproject.toml")
    except (KeyError, tomllib.TOMLDecodeError, ValueError):
        return f"{LOCK}: pyproject.toml does not parse (a conflict?); fix it, then run `uv lock`"
    if not path.exists():
        lock = tested_lock(project, template_root, python_version)
        if lock is not None:
            path.write_text(lock, encoding="utf-8")
            return f"{LOCK}: written from the versions fastgen's CI tested"
    elif _matches(path.read_text(encoding="utf-8"), wanted):
        return f"{LOCK}: kept (it matches pyproject.toml)"
    uv = find_uv()
    before = path.read_bytes() if path.exists() else None
    # UV_LOCKED or UV_FROZEN, which a CI may export for its own steps, would
    # forbid the very change asked for here.
    env = {k: v for k, v in os.environ.items() if k not in {"UV_LOCKED", "UV_FROZEN"}}
    run = subprocess.run(
        [uv, "lock", "--quiet"], cwd=project, capture_output=True, text=True, env=env
    )
    if run.returncode != 0:
        raise WorkFailed(
            f"{LOCK} no longer matches pyproject.toml and `uv lock` failed "
            f"({_uv_reason(run.stderr)}); nothing was changed: run the update again "
            "once uv can lock"
        )
    if path.read_bytes() == before:
        # A root entry uv spells otherwise than fastgen (a requirement's markers,
        # say) is not a change: uv found the lock current.
        return f"{LOCK}: kept (`uv lock` found it matches pyproject.toml)"
    return f"{LOCK}: re-locked with `uv lock` (your pins kept where pyproject.toml allows them)"


def _uv_reason(stderr: str) -> str:
    """uv's one line that says why: its last cause (the root one), else its error,
    else its last line."""
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    for start in ("cause: ", "error: "):
        if found := [line for line in lines if line.startswith(start)]:
            return found[-1].removeprefix(start)
    return lines[-1] if lines else "no message"


def find_uv() -> str:
    """uv's path: the one running fastgen (uvx, `uv run` say where in $UV, and put
    nothing on PATH), else the user's on PATH, else the one installed with fastgen."""
    running = os.environ.get("UV")
    if running and Path(running).is_file():
        return running
    try:
        return shutil.which("uv") or find_uv_bin()
    except FileNotFoundError:
        raise WorkFailed("no uv found: reinstall fastgen-backend, which brings it") from None


def _matches(lock: str, wanted: Project) -> bool:
    """Whether uv would find the lock current: its Python range and its own entry
    are what pyproject.toml now says."""
    header = lock.split(_BLOCK, 1)[0]
    return _python_matches(header, wanted) and _recorded_root(lock) == wanted.root_block()


def _python_matches(header: str, wanted: Project) -> bool:
    return f"requires-python = {_toml_str(wanted.requires_python)}" in header.splitlines()


def _recorded_root(lock: str) -> str | None:
    """The text of the lock's entry for its own project."""
    for text in lock.split(_BLOCK)[1:]:
        if text.splitlines()[2:3] == ['source = { editable = "." }']:
            return text
    return None


def _split(lock: str) -> tuple[str, dict[str, list[tuple[dict[str, Any], str]]]]:
    """A lock's header, and its package entries by name with their text, leaving
    out the project the lock was made for (its source is the lock's own folder)."""
    header, *texts = lock.split(_BLOCK)
    blocks: dict[str, list[tuple[dict[str, Any], str]]] = {}
    for text in texts:
        (entry,) = tomllib.loads("[[package]]\n" + text)["package"]
        if "editable" in entry["source"] or "virtual" in entry["source"]:
            continue
        blocks.setdefault(entry["name"], []).append((entry, text))
    return header, blocks


def _reachable(packages: dict[str, list[dict[str, Any]]], roots: Iterable[Requirement]) -> set[str]:
    """The names of every package the requirements bring, on any platform (a
    lock holds them all), with the extras they ask for."""
    seen: set[tuple[str, str]] = set()
    todo = [(r.name, extra) for r in roots for extra in ("", *r.extras)]
    while todo:
        name, extra = todo.pop()
        if (name, extra) in seen:
            continue
        seen.add((name, extra))
        for entry in packages.get(name, []):
            edges = (
                entry.get("optional-dependencies", {}).get(extra, [])
                if extra
                else entry.get("dependencies", [])
            )
            for edge in edges:
                todo += [(edge["name"], e) for e in ("", *edge.get("extra", []))]
    return {name for name, _extra in seen}


def _by_name(reqs: Iterable[Requirement]) -> list[Requirement]:
    return sorted(reqs, key=lambda r: (r.name, r.marker))


def _array(key: str, items: list[str]) -> list[str]:
    return [f"{key} = [", *(f"    {item}," for item in items), "]"]


def _toml_str(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _toml_list(items: Iterable[str]) -> str:
    return "[" + ", ".join(_toml_str(i) for i in items) + "]"


# ------------------------------------------------------------ making the locks


def refresh(template_root: Path) -> list[Path]:
    """Re-make the tested locks with `uv lock` (for fastgen's maintainers: the
    network is needed, and CI tests the new versions before a release)."""
    import tempfile

    from fastgen import pythons
    from fastgen.questions import Questionnaire

    questions = Questionnaire.from_file(template_root / "copier.yml")
    written = []
    for python_version in questions.questions["python_version"].choices:
        python = pythons.find(python_version)
        if python is None:
            raise SystemExit(f"no Python {python_version} here: uv lock needs one")
        with tempfile.TemporaryDirectory(prefix="fastgen-lock-") as scratch:
            folder = Path(scratch)
            (folder / "pyproject.toml").write_text(tested_set(template_root, python_version))
            python_args = ["--no-python-downloads", "--python", str(python)]
            command = [find_uv(), "lock", "--quiet", *python_args]
            subprocess.run(command, cwd=folder, check=True)
            target = lock_path(template_root, python_version)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(folder / LOCK, target)
        written.append(target)
    return written


def tested_set(template_root: Path, python_version: str) -> str:
    """The pyproject.toml of the tested lock: every requirement of every variant
    for this Python (each database, every yes/no question answered yes), as one
    project that installs nothing of its own."""
    from fastgen.questions import Questionnaire

    questions = Questionnaire.from_file(template_root / "copier.yml")
    union: dict[str, list[str]] = {"dependencies": []}
    for database in questions.questions["database"].choices:
        answers = questions.complete(
            {
                "project_name": "tested set",
                "python_version": python_version,
                "database": database,
                **{q.name: True for q in questions.asked if q.type == "bool"},
            }
        )
        rendered = tomllib.loads(_render_pyproject(template_root, answers))
        for key, reqs in [
            ("dependencies", rendered["project"]["dependencies"]),
            *rendered.get("dependency-groups", {}).items(),
        ]:
            union.setdefault(key, [])
            union[key] += [r for r in reqs if r not in union[key]]
    lines = [
        "[project]",
        'name = "tested-set"',
        'version = "0"',
        f'requires-python = ">={python_version}"',
        *_array("dependencies", [_toml_str(r) for r in union.pop("dependencies")]),
        "",
        "[dependency-groups]",
    ]
    for group, reqs in union.items():
        lines += _array(group, [_toml_str(r) for r in reqs])
    return "\n".join(lines) + "\n"


def _render_pyproject(template_root: Path, answers: dict[str, Any]) -> str:
    from fastgen.render import template_environment

    env = template_environment(template_root / "templates" / "project")
    return env.get_template("pyproject.toml.jinja").render(**answers)


if __name__ == "__main__":
    from fastgen.template import template_root

    for path in refresh(template_root()):
        print(path)
