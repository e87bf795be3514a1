"""The Pythons of the machine that runs fastgen.

A new project targets the Python running fastgen when copier.yml offers it (it
can surely make the project's venv), and the next commands name that Python as
`python3.X`: fastgen says so when that command does not run here.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterable
from pathlib import Path


def running_version() -> str:
    return f"{sys.version_info.major}.{sys.version_info.minor}"


def runs(version: str) -> bool:
    """Whether the command `python<version>` runs on this machine."""
    command = shutil.which(f"python{version}")
    if command is None:
        return False
    try:
        # Found is not enough: pyenv puts a shim on PATH for every installed
        # version, and a shim of a version that is not selected fails.
        probe = subprocess.run([command, "-c", ""], capture_output=True, timeout=30, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return probe.returncode == 0


def missing_note(version: str, choices: Iterable[str]) -> str | None:
    """What to say when the next commands' `python<version>` does not run here."""
    if runs(version):
        return None
    others = [choice for choice in choices if choice != version and runs(choice)]
    instead = f", or make the project for one you have (--data python_version={others[0]})"
    return (
        f"the project targets Python {version} and python{version} is not found here: "
        f"install it{instead if others else ''}"
    )


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
