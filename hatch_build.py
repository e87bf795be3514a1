"""Build hook: ship the template's whole history inside the wheel as a git bundle.

One commit per release older than the package's version (copier.yml and
templates/ as they were at the commit releases.toml names for it), then the tree
being built, tagged with the package's version; see src/fastgen/template.py for
how fastgen and copier use it. An editable install reads the releases from the
checkout itself and gets no bundle.
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


class TemplateHistoryHook(BuildHookInterface):  # type: ignore[type-arg]
    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        if self.target_name != "wheel" or version == "editable":
            return
        self._scratch = scratch = Path(tempfile.mkdtemp(prefix="fastgen-build-"))
        repo = scratch / "repo"
        repo.mkdir()
        subprocess.run(["git", "init", "--quiet", str(repo)], check=True)
        trees = []
        for release, commit in template.releases(ROOT, below=__version__):
            folder = scratch / release
            folder.mkdir()
            template.release_files(ROOT, commit, folder)
            trees.append((release, folder))
        trees.append((__version__, ROOT))
        template.add_versions(repo, trees)
        bundle = scratch / template.BUNDLE
        template.write_bundle(repo, bundle)
        build_data["force_include"][str(bundle)] = f"fastgen/_template/{template.BUNDLE}"

    def finalize(self, version: str, build_data: dict[str, Any], artifact_path: str) -> None:
        if hasattr(self, "_scratch"):
            shutil.rmtree(self._scratch, ignore_errors=True)
