"""Build hook: ship the template's whole history inside the wheel as a git bundle.

One commit per release tag `vX.Y.Z` of this repository (copier.yml and templates/
as they were at that tag), then the tree being built, tagged with the package's
version; see src/fastgen/template.py for how fastgen and copier use it.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT / "src"))

from fastgen import __version__, template  # noqa: E402


def _release_tags() -> list[tuple[str, str]]:
    """(version, tag) of each `vX.Y.Z` tag of this repository, oldest first; none outside git."""
    listed = subprocess.run(
        ["git", "-C", str(ROOT), "tag", "--list", "v[0-9]*", "--sort=version:refname"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    if listed.returncode != 0:
        return []
    tags = [(tag.removeprefix("v"), tag) for tag in listed.stdout.split()]
    return [(version, tag) for version, tag in tags if version != __version__]


class TemplateHistoryHook(BuildHookInterface):  # type: ignore[type-arg]
    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        if self.target_name != "wheel":
            return
        self._scratch = scratch = Path(tempfile.mkdtemp(prefix="fastgen-build-"))
        repo = scratch / "repo"
        repo.mkdir()
        subprocess.run(["git", "init", "--quiet", str(repo)], check=True)
        trees = []
        for release, tag in _release_tags():
            folder = scratch / release
            folder.mkdir()
            archive = subprocess.run(
                ["git", "-C", str(ROOT), "archive", tag, *template.TEMPLATE_PATHS],
                capture_output=True, check=True,
            )  # fmt: skip
            subprocess.run(["tar", "-x", "-C", str(folder)], input=archive.stdout, check=True)
            trees.append((release, folder))
        trees.append((__version__, ROOT))
        template.add_versions(repo, trees)
        bundle = scratch / template.BUNDLE
        template.write_bundle(repo, bundle)
        build_data["force_include"][str(bundle)] = f"fastgen/_template/{template.BUNDLE}"

    def finalize(self, version: str, build_data: dict[str, Any], artifact_path: str) -> None:
        if self.target_name == "wheel":
            shutil.rmtree(self._scratch, ignore_errors=True)
