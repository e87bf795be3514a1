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


def git(folder: Path, *args: str, stdin: bytes | None = None, detached: bool = False) -> bytes:
    """Run git in folder; its output, or WorkFailed with git's last line.

    detached: in a process group of its own, so that a Ctrl-C at the terminal
    reaches fastgen (which decides what to do) and not git halfway through.
    """
    run = subprocess.run(
        ["git", "--literal-pathspecs", *args],
        cwd=folder, input=stdin, capture_output=True, check=False,
        process_group=0 if detached else None,
    )  # fmt: skip
    if run.returncode != 0:
        said = (run.stderr.decode(errors="replace").strip().splitlines() or ["no message"])[-1]
        raise WorkFailed(f"git {args[0]} in {folder}: {said}")
    return run.stdout


def toplevel(folder: Path) -> Path:
    """The top of the work tree holding folder."""
    return Path(git(folder, "rev-parse", "--show-toplevel").decode().strip()).resolve()


def mark_unmerged(root: Path, rel: str, base: bytes | None, ours: bytes, theirs: bytes) -> None:
    """Record root/rel as unmerged in the index (stages 1, 2, 3: base, ours, theirs),
    as git leaves a file a merge could not resolve, so `git status` shows it as UU."""
    top = toplevel(root)
    path = (root / rel).resolve().relative_to(top).as_posix()
    mode = "100755" if os.access(root / rel, os.X_OK) else "100644"
    lines = [f"0 {'0' * 40}\t{path}"]
    for stage, data in ((1, base), (2, ours), (3, theirs)):
        if data is not None:
            blob = git(top, "hash-object", "-w", "--stdin", stdin=data).decode().strip()
            lines.append(f"{mode} {blob} {stage}\t{path}")
    git(top, "update-index", "-z", "--index-info", stdin="\0".join(lines).encode() + b"\0")
