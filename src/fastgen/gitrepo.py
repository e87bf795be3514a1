"""The new project's git repository: `fastgen update` merges against its history."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from fastgen import __version__
from fastgen.errors import WorkFailed

# Used only where git has no identity configured, so that the commit can be made.
_FALLBACK_IDENTITY = {
    "user.name": (("GIT_AUTHOR_NAME", "GIT_COMMITTER_NAME"), "fastgen"),
    "user.email": (("GIT_AUTHOR_EMAIL", "GIT_COMMITTER_EMAIL"), "fastgen@localhost"),
}


def git_available() -> bool:
    return shutil.which("git") is not None


def _configured(key: str, cwd: Path) -> bool:
    found = subprocess.run(
        ["git", "config", "--get", key], cwd=cwd, capture_output=True, text=True, check=False
    )
    return bool(found.stdout.strip())


def init_with_commit(project: Path) -> None:
    """Make the project a git repository with one commit of everything git does not ignore."""
    env = dict(os.environ)
    for key, (variables, value) in _FALLBACK_IDENTITY.items():
        if not _configured(key, project):
            env.update(dict.fromkeys(variables, value))

    def git(*args: str) -> None:
        run = subprocess.run(["git", *args], cwd=project, env=env, capture_output=True, text=True)
        if run.returncode != 0:
            said = (run.stderr.strip().splitlines() or ["no message"])[-1]
            raise WorkFailed(f"git {args[0]} failed: {said} (use --no-git to skip the repository)")

    git("init", "--quiet")
    git("symbolic-ref", "HEAD", "refs/heads/main")  # --initial-branch needs git 2.28
    git("add", "--all")
    git("commit", "--quiet", "--no-verify", "-m", f"Initial commit from fastgen {__version__}")


def changes(project: Path) -> list[tuple[str, str]]:
    """(two-letter `git status` code, path) of every change against HEAD, untracked included.

    Raises WorkFailed where the project is not a git repository.
    """
    run = subprocess.run(
        ["git", "status", "--porcelain=v1", "-z", "--untracked-files=all", "--no-renames"],
        cwd=project, capture_output=True, text=True, check=False,
    )  # fmt: skip
    if run.returncode != 0:
        said = (run.stderr.strip().splitlines() or ["no message"])[-1]
        raise WorkFailed(f"{project}: git status failed: {said}")
    return [(entry[:2], entry[3:]) for entry in run.stdout.split("\0") if entry]


def is_conflict(code: str) -> bool:
    """Whether a `git status` code marks an unmerged path."""
    return "U" in code or code in ("AA", "DD")


def is_repository(folder: Path) -> bool:
    run = subprocess.run(
        ["git", "rev-parse", "--is-inside-work-tree"],
        cwd=folder, capture_output=True, text=True, check=False,
    )  # fmt: skip
    return run.stdout.strip() == "true"
