"""Where `fastgen update` does its work: a throw-away clone of the project's
repository, whose result is then moved into the project all at once.

- The merge (copier's update, then each resource's) runs in the clone, so a
  failure, a Ctrl-C or a kill while it runs leaves the project as it was.
- Symbolic links that leave the project (or are absolute) are replaced in the
  clone by plain placeholders, committed there, so nothing the merge does can
  write through them; when the merge would change one, the update is refused,
  naming the link, before the project is touched.
- The move into place (`Stage.place`) writes every changed file and the index
  with the interrupting signals held back; on any failure, or when a signal
  came in meanwhile, it puts every file and the index back as they were, then
  lets the signal take its course. A second Ctrl-C cannot cut the putting back
  short: it is held back too.
"""

from __future__ import annotations

import contextlib
import os
import signal
import stat
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from fastgen import gitrepo
from fastgen.commands.links import UnsafeLink, refuse_links_out
from fastgen.errors import WorkFailed

PLACEHOLDER = b"fastgen update: a symbolic link that leaves the project stands here\n"
HELD_BACK = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
_IDENTITY = ("-c", "user.name=fastgen", "-c", "user.email=fastgen@localhost")


@dataclass
class Stage:
    project: Path  # the project
    top: Path  # the top of the project's git work tree (the project, or a folder above it)
    clone: Path  # the top of the clone
    # top-relative path -> target, of each link replaced by a placeholder in the clone
    links: dict[str, str] = field(default_factory=dict)

    @property
    def root(self) -> Path:
        """The project inside the clone: where the update works."""
        return self.clone / self.project.relative_to(self.top)

    def changes(self) -> list[tuple[str, str]]:
        """(git status code, top-relative path) of what the update changed in the clone;
        UnsafeLink when it changed a link that leaves the project."""
        changes = gitrepo.changes(self.root)
        for _code, rel in changes:
            for link, target in self.links.items():
                if rel == link or rel.startswith(link + "/"):
                    raise UnsafeLink(
                        f"{Path(self.top, link).relative_to(self.project).as_posix()}: a symbolic "
                        f"link to {target}, outside the project; update does not write through "
                        "it (replace it with the file itself, commit, retry)"
                    )
        return changes

    def place(self, changes: list[tuple[str, str]]) -> None:
        """Make the project hold what the clone holds at the changed paths, index
        included: every change, or, on any failure or signal, none."""
        paths = sorted({rel for _code, rel in changes})
        refuse_links_out(self.project, paths, self.top)
        staged = {rel: _read(self.clone / rel) for rel in paths}
        index = self._index_lines([rel for code, rel in changes if code[0] not in " ?"])
        with signals_held_back() as received:
            undo = _Undo(self.top)
            try:
                for rel, content in staged.items():
                    undo.put(rel, content)
                if index:
                    undo.keep_index()
                    gitrepo.git(self.top, "update-index", "-z", "--index-info",
                                stdin=b"".join(index), detached=True)  # fmt: skip
                if received:
                    raise KeyboardInterrupt
            except BaseException:
                undo.roll_back()
                raise

    def _index_lines(self, paths: list[str]) -> list[bytes]:
        """`update-index --index-info` lines that give the project's index the clone's
        entries (conflict stages included) for paths; their blobs copied over first."""
        lines: list[bytes] = []
        for rel in paths:
            lines.append(f"0 {'0' * 40}\t{rel}\0".encode())
            listed = gitrepo.git(self.clone, "ls-files", "-s", "-z", "--", rel)
            for entry in filter(None, listed.split(b"\0")):
                _mode, blob, _stage = entry.split(b"\t", 1)[0].decode().split()
                data = gitrepo.git(self.clone, "cat-file", "blob", blob)
                copied = gitrepo.git(self.top, "hash-object", "-w", "--stdin", stdin=data)
                if copied.decode().strip() != blob:
                    raise WorkFailed(f"{rel}: cannot copy the merge's object {blob}")
                lines.append(entry + b"\0")
        return lines


@contextlib.contextmanager
def staged(project: Path) -> Iterator[Stage]:
    """A clone of the project's repository at its last commit (the worktree is clean:
    the same files), links out of the project neutralised; removed afterwards."""
    top = gitrepo.toplevel(project)
    with tempfile.TemporaryDirectory(prefix="fastgen-update-") as scratch:
        clone = Path(scratch) / top.name
        gitrepo.git(Path(scratch), "clone", "--quiet", "--shared", str(top), str(clone))
        stage = Stage(project.resolve(), top, clone)
        stage.links = _neutralise_links(stage)
        yield stage


def _neutralise_links(stage: Stage) -> dict[str, str]:
    """Replace (and commit, in the clone) each link of the project that is absolute or
    leads out of it (in the project or in the clone) with a placeholder: a file, or
    a folder holding one for a link to a folder."""
    listed = gitrepo.git(stage.root, "ls-files", "-s", "-z", "--full-name")
    links: dict[str, str] = {}
    for entry in filter(None, listed.decode().split("\0")):
        meta, rel = entry.split("\t", 1)
        if not meta.startswith("120000"):
            continue
        target = os.readlink(stage.clone / rel)
        outside = (
            os.path.isabs(target)
            or not (stage.top / rel).resolve().is_relative_to(stage.project)
            or not (stage.clone / rel).resolve().is_relative_to(stage.root.resolve())
        )
        if not outside:
            continue
        in_clone = stage.clone / rel
        to_folder = (stage.top / rel).is_dir()
        in_clone.unlink()
        if to_folder:
            in_clone.mkdir()
            (in_clone / ".fastgen-link").write_bytes(PLACEHOLDER)
        else:
            in_clone.write_bytes(PLACEHOLDER)
        links[rel] = target
    if links:
        gitrepo.git(stage.clone, "add", "--all", "--force", "--", *links)
        gitrepo.git(stage.clone, *_IDENTITY, "commit", "--quiet", "--no-verify",
                    "--no-gpg-sign", "-m", "links out of the project, neutralised")  # fmt: skip
    return links


# A file's content as it is to be written: bytes and permission bits, a link's
# target, or None for a file to delete.
Content = tuple[bytes, int] | str | None


def _read(path: Path) -> Content:
    if path.is_symlink():
        return os.readlink(path)
    if not path.exists():
        return None
    if not path.is_file():
        raise WorkFailed(f"{path}: the update made it a folder, not a file")
    return path.read_bytes(), stat.S_IMODE(path.stat().st_mode)


@dataclass
class _Undo:
    """Writes files, remembering what was there, and puts it all back on demand."""

    top: Path
    originals: dict[str, Content] = field(default_factory=dict)
    folders: list[Path] = field(default_factory=list)
    index: tuple[Path, bytes] | None = None

    def put(self, rel: str, content: Content) -> None:
        path = self.top / rel
        self.originals[rel] = _read(path) if os.path.lexists(path) else None
        missing = [p for p in reversed(path.parents) if not p.exists()]
        for folder in missing if content is not None else ():
            folder.mkdir()
            self.folders.append(folder)
        _write(path, content)

    def keep_index(self) -> None:
        index = Path(
            self.top, gitrepo.git(self.top, "rev-parse", "--git-path", "index").decode().strip()
        )
        self.index = (index, index.read_bytes())

    def roll_back(self) -> None:
        failed = []
        for rel, content in reversed(self.originals.items()):
            try:
                _write(self.top / rel, content)
            except OSError:
                failed.append(rel)
        for folder in reversed(self.folders):
            with contextlib.suppress(OSError):
                folder.rmdir()
        if self.index is not None:
            try:
                _write(self.index[0], (self.index[1], 0o644))
            except OSError:
                failed.append("the git index")
        if failed:
            raise WorkFailed(
                f"could not put back {', '.join(failed)}; `git checkout -- . && git clean -fd` "
                "restores the last commit"
            )


def _write(path: Path, content: Content) -> None:
    """Replace path (never writing through a link there) with content, in one rename."""
    if content is None:
        if os.path.lexists(path):
            path.unlink()
        return
    temporary = path.with_name(f".{path.name}.fastgen-new")
    temporary.unlink(missing_ok=True)
    try:
        if isinstance(content, str):
            temporary.symlink_to(content)
        else:
            temporary.write_bytes(content[0])
            temporary.chmod(content[1])
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)


@contextlib.contextmanager
def signals_held_back() -> Iterator[list[int]]:
    """Hold back Ctrl-C, SIGTERM and SIGHUP: the signals received meanwhile, then
    each is raised again once the block is over (after any rolling back)."""
    if threading.current_thread() is not threading.main_thread():
        yield []
        return
    received: list[int] = []
    previous = {
        held: signal.signal(held, lambda number, _frame: received.append(number))
        for held in HELD_BACK
    }
    try:
        yield received
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, signal.SIG_DFL if handler is None else handler)
        for number in dict.fromkeys(received):
            signal.raise_signal(number)
