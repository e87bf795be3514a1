"""Find and read a generated project once, for every command that grows it."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from fastgen.errors import UserInputError

ANSWERS_FILE = ".copier-answers.yml"
RESOURCES_DIR = Path(".fastgen/resources")


class NotAProject(UserInputError):
    """The folder is not a project made by fastgen."""


@dataclass(frozen=True)
class Project:
    root: Path
    answers: dict[str, Any]
    template_version: str
    # plural -> the recorded answers of each resource added so far
    resources: dict[str, dict[str, Any]]

    def resource_by_class(self, cls: str) -> dict[str, Any] | None:
        return next((r for r in self.resources.values() if r.get("name") == cls), None)


def find_project(project_dir: Path | None = None) -> Project:
    """The project at project_dir (default: the current folder); NotAProject elsewhere."""
    root = (project_dir or Path.cwd()).resolve()
    answers = _read_yaml(root / ANSWERS_FILE, root)
    if answers is None or "_template_version" not in answers:
        raise NotAProject(
            f"{root}: not a fastgen project (no {ANSWERS_FILE} written by fastgen); "
            "run inside one or pass --project-dir"
        )
    resources: dict[str, dict[str, Any]] = {}
    folder = root / RESOURCES_DIR
    for path in sorted(folder.glob("*.yml")) if folder.is_dir() else ():
        recorded = _read_yaml(path, root)
        if recorded is None or "plural" not in recorded:
            raise NotAProject(f"{path}: not a resource's answers file")
        resources[recorded["plural"]] = recorded
    return Project(root, answers, str(answers["_template_version"]), resources)


def _read_yaml(path: Path, root: Path) -> dict[str, Any] | None:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as error:
        problem = getattr(error, "problem", None) or getattr(error, "strerror", None) or error
        raise NotAProject(f"{path}: cannot be read: {problem}") from None
    return data if isinstance(data, dict) else None
