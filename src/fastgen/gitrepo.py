"""The new project's git repository: `fastgen update` merges against its history."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from fastgen import __version__

_FALLBACK_IDENTITY = {"user.name": "fastgen", "user.email": "fastgen@localhost"}


def git_available() -> bool:
    return shutil.which("git") is not None


def _configured(key: str, cwd: Path) -> bool:
    found = subprocess.run(
        ["git", "config", "--get", key], cwd=cwd, capture_output=True, text=True, check=False
    )
    return bool(found.stdout.strip())


def init_with_commit(project: Path) -> None:
    """Make the project a git repository with one commit of everything git does not ignore."""

    def git(*args: str) -> None:
        subprocess.run(["git", *args], cwd=project, check=True, capture_output=True, text=True)

    git("init", "--quiet", "--initial-branch=main")
    identity: list[str] = []
    for key, value in _FALLBACK_IDENTITY.items():
        if not _configured(key, project):
            identity += ["-c", f"{key}={value}"]
    git("add", "--all")
    git(
        *identity,
        "commit",
        "--quiet",
        "--no-verify",
        "-m",
        f"Initial commit from fastgen {__version__}",
    )
