"""The Pythons of the machine that runs fastgen.

A new project targets the Python running fastgen when copier.yml offers it (it
can surely make the project's venv); uv finds it from the project's
`.python-version`. `fastgen.locks` finds each Python the template offers.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path


def running_version() -> str:
    return f"{sys.version_info.major}.{sys.version_info.minor}"


def find(version: str) -> Path | None:
    """An interpreter of `version` ("3.12"): this one, pyenv's, or one on PATH."""
    if running_version() == version:
        return Path(sys.executable)
    candidates: list[Path] = []
    pyenv_root = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv"))
    candidates += sorted(pyenv_root.glob(f"versions/{version}.*/bin/python{version}"), reverse=True)
    on_path = shutil.which(f"python{version}")
    if on_path:
        candidates.append(Path(on_path))
    for candidate in candidates:
        probe = subprocess.run(
            [str(candidate), "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
            capture_output=True,
            text=True,
            check=False,
        )
        if probe.returncode == 0 and probe.stdout.strip() == version:
            return candidate
    return None
