"""Render many resources at once, each as copier's `run_copy` renders one.

`add resource` renders its one resource with copier (add_resource.py). Rendering
every resource of a project that way costs a fresh copier worker each time, with
a fresh Jinja environment that parses and compiles every file of the template
again: about 0.25 s a resource a version, so `fastgen update`, which renders each
resource at its recorded version and at the new one, grew by half a second with
every resource. Here the resource template of a version is read once, into one
Jinja environment set up as copier's (its sandbox, the filters it offers,
copier.yml's `_envops`), whose compiled templates serve every resource; then ruff
formats the code of all of them in one run.

Only what the resource template's copier.yml uses is implemented: questions with
a type, a default and a `when`, answered from the data or their default as
copier does with `defaults=True`; the answers file; `_subdirectory`,
`_templates_suffix`, `_envops`. Any other setting or question key is refused, so
that a template change cannot make this render differ from copier's unnoticed;
tests/test_resource_render.py holds the two to the same bytes for the released
templates and this checkout's.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any

import yaml

from fastgen import template
from fastgen.commands.add_resource import format_python
from fastgen.errors import WorkFailed

if TYPE_CHECKING:
    import jinja2

RESOURCE_TEMPLATE = Path("templates/resource")
SETTINGS = {"_subdirectory", "_templates_suffix", "_answers_file", "_min_copier_version", "_envops"}
QUESTION_KEYS = {"type", "help", "default", "when"}
TYPES = {"str", "int", "float", "bool", "json", "yaml"}
_MISSING = object()


@dataclass(frozen=True)
class Job:
    """One resource to render: the template version and its answers."""

    version: str
    answers: Mapping[str, Any]


@dataclass(frozen=True)
class Rendered:
    """A job's render: its files (POSIX paths) under folder, which holds the renders
    of every job of the same version."""

    folder: Path
    files: list[str]


def render_resources(jobs: Iterable[Job], scratch: Path, project: Path) -> list[Rendered]:
    """Render each job's resource into `scratch/<version>`, then sort imports and
    format the Python of all of them in one ruff run, with the project's settings.

    The resources of a version share one folder, as they share a project: their
    files are named after each resource, so none is written twice (refused if one
    would be), and the folders the template makes are made once, not per resource."""
    templates: dict[str, ResourceTemplate] = {}
    written: dict[Path, str] = {}
    rendered = []
    for job in jobs:
        if job.version not in templates:
            root = template.tree(job.version) / RESOURCE_TEMPLATE
            templates[job.version] = ResourceTemplate(root)
        folder, plural = scratch / job.version, str(job.answers["plural"])
        files = templates[job.version].render(job.answers, folder)
        for rel in files:
            if folder / rel in written:
                raise WorkFailed(
                    f"resources {written[folder / rel]} and {plural} both render {rel}"
                )
            written[folder / rel] = plural
        rendered.append(Rendered(folder, files))
    python = [path for path in written if path.suffix == ".py"]
    if python:
        format_python(python, project)
    return rendered


class ResourceTemplate:
    """The resource template of one version (the folder of its copier.yml), ready to
    render any number of resources."""

    def __init__(self, root: Path) -> None:
        self.root = root
        config = yaml.safe_load((root / "copier.yml").read_text(encoding="utf-8"))
        _refuse_unknown(root / "copier.yml", config)
        self.subdirectory = str(config.get("_subdirectory", ""))
        self.suffix = str(config.get("_templates_suffix", ".jinja"))
        self.answers_file = str(config.get("_answers_file", ".copier-answers.yml"))
        self.envops = {"keep_trailing_newline": True, **config.get("_envops", {})}
        self.questions = {k: v for k, v in config.items() if not k.startswith("_")}
        self._strings: dict[str, jinja2.Template] = {}

    def render(self, data: Mapping[str, Any], staging: Path) -> list[str]:
        """Write the resource's files into staging, as `run_copy(root, staging,
        data=data, defaults=True)` would; their paths, as written."""
        context = self._context(data, staging)
        answers_file = PurePosixPath(self._render_string(self.answers_file, context))
        context["_copier_conf"]["answers_file"] = answers_file
        answers_path = str(answers_file)
        files = []
        for source, rel in self._sources:
            target = self._target(rel, context, answers_path)
            if target is None:
                continue
            if rel.name.endswith(self.suffix):
                name = source.relative_to(self.root).as_posix()
                data_out = self._env.get_template(name).render(context).encode()
            else:
                data_out = source.read_bytes()
            if not (staging / target).parent.is_dir():
                (staging / target).parent.mkdir(parents=True)
            (staging / target).write_bytes(data_out)
            files.append(target)
        return files

    @cached_property
    def _sources(self) -> list[tuple[Path, Path]]:
        """Each file copier renders or copies: its path, and its path in the render
        before the names are rendered."""
        top = self.root / self.subdirectory
        found = []
        for source in sorted(p for p in top.rglob("*") if p.is_file()):
            rel = source.relative_to(top)
            if not rel.name.endswith(self.suffix) and (top / f"{rel}{self.suffix}").exists():
                continue  # copier renders the templated sibling instead
            found.append((source, rel))
        return found

    def _context(self, data: Mapping[str, Any], staging: Path) -> dict[str, Any]:
        """copier's render context: the data, each question's answer (from the data or
        its default, in order), and the answers it records."""
        given = dict(data)
        answered: dict[str, Any] = {}
        hidden: set[str] = set()
        for name, spec in self.questions.items():
            context = {**given, **answered}
            if not _to_bool(self._render_value(spec.get("when", True), context)):
                hidden.add(name)
            if name in given:
                answered[name] = self._cast(name, spec, given[name])
                continue
            default = spec.get("default", _MISSING)
            if default is _MISSING:
                if name in hidden:
                    continue
                raise WorkFailed(f"{self.root}: question {name!r} needs an answer")
            answered[name] = self._cast(name, spec, self._render_value(default, context))
        combined = {**given, **answered}
        remembered = {"_src_path": str(self.root)} | {
            k: v for k, v in answered.items() if k not in hidden and not k.startswith("_")
        }
        conf = {"src_path": self.root, "dst_path": staging, "answers_file": ""}
        return {
            **combined,
            "_copier_answers": remembered,
            "_copier_conf": conf,
            "_folder_name": staging.name,
            "_copier_python": sys.executable,
        }

    def _target(self, rel: Path, context: dict[str, Any], answers_path: str) -> str | None:
        """A source file's path in the render (None: a part renders empty, so no file)."""
        parts = list(rel.parts)
        if parts[-1].endswith(self.suffix):
            parts[-1] = parts[-1].removesuffix(self.suffix)
        rendered = []
        for part in parts:
            text = self._render_string(part, context)
            if not text:
                return None
            if text == answers_path:
                return answers_path
            if "/" in text or text in {".", ".."}:  # where copier would check the path
                raise WorkFailed(f"{self.root}: {rel} renders a name {text!r}")
            rendered.append(text)
        return "/".join(rendered)

    def _cast(self, name: str, spec: Mapping[str, Any], value: Any) -> Any:
        """An answer in its question's type, as copier casts it."""
        kind = spec["type"]
        if kind in {"json", "yaml"}:  # parsed from text; given as data, taken as it is
            if not isinstance(value, str):
                return value
            return json.loads(value) if kind == "json" else yaml.safe_load(value)
        if value is None:
            raise WorkFailed(f"{self.root}: question {name!r}: no answer of type {kind}")
        return CASTS[kind](value)

    def _render_value(self, value: Any, context: Mapping[str, Any]) -> Any:
        """A templated default or condition rendered; other values as they are."""
        if isinstance(value, str):
            return self._render_string(value, context)
        if isinstance(value, list):
            return [self._render_value(item, context) for item in value]
        return value

    def _render_string(self, text: str, context: Mapping[str, Any]) -> str:
        compiled = self._strings.get(text)
        if compiled is None:
            compiled = self._strings[text] = self._env.from_string(text)
        return compiled.render(context)

    @cached_property
    def _env(self) -> jinja2.Environment:
        from jinja2 import FileSystemLoader
        from jinja2.sandbox import SandboxedEnvironment

        # The filters copier offers its templates (to_nice_yaml, regex_search, ...).
        return SandboxedEnvironment(
            loader=FileSystemLoader(str(self.root.resolve())),
            extensions=["jinja2_ansible_filters.AnsibleCoreFiltersExtension"],
            **self.envops,
        )


def _refuse_unknown(path: Path, config: Mapping[str, Any]) -> None:
    for key, spec in config.items():
        if key.startswith("_"):
            unknown = set() if key in SETTINGS else {key}
        elif isinstance(spec, Mapping) and spec.get("type") in TYPES:
            unknown = set(spec) - QUESTION_KEYS
        else:
            unknown = {key}
        if unknown:
            raise WorkFailed(
                f"{path}: {', '.join(sorted(unknown))}: not supported outside copier "
                "(fastgen/commands/resource_render.py renders resources without it)"
            )
    if set(config.get("_envops", {})) & {"undefined", "extensions", "loader"}:
        raise WorkFailed(f"{path}: _envops: only Jinja's plain options are supported")


def _to_bool(value: Any) -> bool:
    """copier's reading of a value as a bool (its cast_to_bool)."""
    try:
        return bool(float(value))
    except (TypeError, ValueError):
        pass
    if isinstance(value, str):
        word = value.strip().lower()
        if word in {"", "n", "no", "f", "false", "off", "~", "null", "none"}:
            return False
        if word in {"y", "yes", "t", "true", "on"}:
            return True
    return bool(value)


# How copier casts an answer given as data, or a rendered default, to its type.
CASTS: dict[str, Callable[[Any], Any]] = {"str": str, "int": int, "float": float, "bool": _to_bool}
