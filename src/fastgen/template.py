"""The template's history: a git repository with one commit per fastgen version.

copier can only update a project from a git template with PEP 440 version tags
(it renders the recorded version and the new one and merges the difference into
the project). So every fastgen version's template (copier.yml and templates/) is
one commit of a repository, tagged with that version, kept in the user's cache:
`~/.cache/fastgen/template` (or under $XDG_CACHE_HOME, or $FASTGEN_CACHE_DIR).

- The releases are recorded in `releases.toml` at the root of fastgen's own
  repository: each version and the commit it was made from.
- An installed wheel carries that history as a git bundle (built by
  hatch_build.py: one commit per release older than the wheel, plus the wheel's
  own tree). Tags the cache lacks are fetched from it; a tag already in the
  cache is never replaced, so an older fastgen cannot rewrite history.
- A source checkout (editable install) tags each release's template from its
  commit, and commits its working tree under the installed version's tag on
  demand; while a version is in development that tag follows the working tree.

Projects record the repository as `_src_path` in the home-relative form
(`~/.cache/fastgen/template`), which copier expands when it reads it, so
a teammate's or CI's fastgen, or plain `copier update`, finds the same history
once fastgen has run there; `_commit` records the version tag.

Only the standard library is used here: hatch_build.py imports this module
while building the wheel, before fastgen's dependencies exist.
"""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
import tempfile
import tomllib
from collections.abc import Iterable
from pathlib import Path

from fastgen import __version__
from fastgen.errors import WorkFailed

_CHECKOUT = Path(__file__).resolve().parents[2]
_PACKAGED = Path(__file__).resolve().parent / "_template"
BUNDLE = "template.bundle"
RELEASES = "releases.toml"
TEMPLATE_PATHS = ("copier.yml", "templates")
_NOT_TEMPLATE = (":(exclude,glob)**/__pycache__/**", ":(exclude,glob)**/*.py[cod]")

# Fixed identity and dates: the same trees in the same order give the same
# commits on every machine.
_COMMIT_ENV = {
    "GIT_AUTHOR_NAME": "fastgen",
    "GIT_AUTHOR_EMAIL": "fastgen@localhost",
    "GIT_COMMITTER_NAME": "fastgen",
    "GIT_COMMITTER_EMAIL": "fastgen@localhost",
    "GIT_AUTHOR_DATE": "2000-01-01T00:00:00+0000",
    "GIT_COMMITTER_DATE": "2000-01-01T00:00:00+0000",
}


class TemplateError(WorkFailed):
    """The template history cannot be built or read (git failed)."""


def template_root() -> Path:
    """The folder holding this fastgen's copier.yml and templates/."""
    if _is_checkout():
        return _CHECKOUT
    return _PACKAGED


def _is_checkout() -> bool:
    return (_CHECKOUT / "copier.yml").is_file() and (_CHECKOUT / "templates").is_dir()


def cache_dir() -> Path:
    if explicit := os.environ.get("FASTGEN_CACHE_DIR"):
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "fastgen"


def repository() -> Path:
    # No `.git` suffix: copier would take such a path for a remote URL and not expand `~`.
    return cache_dir() / "template"


def source() -> str:
    """The repository as projects record it: home-relative when it is under home."""
    repo = repository().absolute()
    home = Path.home().absolute()
    if repo.is_relative_to(home):
        return "~/" + repo.relative_to(home).as_posix()
    return repo.as_posix()


def ensure() -> str:
    """Make sure the cache repository holds this fastgen's version; its recorded source."""
    _ensure(repository())
    return source()


@functools.cache  # once per process and repository
def _ensure(repo: Path) -> None:
    _init(repo)
    if _is_checkout():
        _add_releases(repo, _CHECKOUT)
        add_versions(repo, [(__version__, _CHECKOUT)], move=True)
    elif not has_version(__version__, repo):
        _fetch_missing_tags(repo, _PACKAGED / BUNDLE)


def versions(repo: Path | None = None) -> list[str]:
    """The version tags in the repository (unsorted)."""
    return _git(repo or repository(), "tag", "--list").split()


def has_version(version: str, repo: Path | None = None) -> bool:
    return version in versions(repo)


def tree(version: str) -> Path:
    """A read-only checkout of one version's files (copier.yml, templates/), cached."""
    ensure()
    repo = repository()
    commit = _tagged(repo, version)
    if not commit:
        raise TemplateError(f"template version {version} is not in {repo}")
    target = cache_dir() / "trees" / commit
    if target.is_dir():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".tree-", dir=target.parent))
    try:
        _git(repo, "--work-tree", str(staging), "checkout", commit, "--", ".",
             env={"GIT_INDEX_FILE": str(staging / ".index")})  # fmt: skip
        (staging / ".index").unlink()
        try:
            staging.rename(target)
        except OSError:
            # Another fastgen process checked out the same commit first; theirs is identical.
            if not target.is_dir():
                raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return target


def earlier_states(version: str, limit: int = 10) -> list[str]:
    """The commits a version's tag pointed at before, newest first (at most limit).

    Only a development version in a source checkout moves: each time its template
    changes, it gets a new commit whose parent is the one it replaces."""
    tagged = _tagged(repository(), version)
    if not tagged:
        return []
    log = _git(repository(), "log", "--first-parent", f"--max-count={limit + 1}",
               "--format=%H %s", tagged)  # fmt: skip
    states = []
    for line in log.splitlines()[1:]:
        commit, _, subject = line.partition(" ")
        if subject != f"fastgen {version}":
            break
        states.append(commit)
    return states


def project_template_id(ref: str) -> str:
    """What a project's render at ref depends on (copier.yml and templates/project), as
    git ids: equal ids render equal projects."""
    return _git(repository(), "rev-parse", f"{ref}:copier.yml", f"{ref}:templates/project")


def releases(root: Path, below: str) -> list[tuple[str, str]]:
    """(version, commit) of each release in root's releases.toml older than `below`,
    oldest first: exactly the history a build of version `below` carries."""
    from packaging.version import InvalidVersion, Version  # hatchling brings it to builds

    path = root / RELEASES
    try:
        recorded = tomllib.loads(path.read_text(encoding="utf-8")).get("releases", {})
        listed = sorted((Version(version), version, commit) for version, commit in recorded.items())
    except (OSError, tomllib.TOMLDecodeError, InvalidVersion, TypeError) as error:
        raise TemplateError(f"{path}: cannot be read: {error}") from None
    return [(version, str(commit)) for key, version, commit in listed if key < Version(below)]


def release_files(checkout: Path, commit: str, target: Path) -> None:
    """Write the template files (copier.yml, templates/) of a commit of fastgen's
    repository at `checkout` into target."""
    archive = subprocess.run(
        ["git", "-C", str(checkout), "archive", commit, *TEMPLATE_PATHS],
        capture_output=True, check=False,
    )  # fmt: skip
    if archive.returncode != 0:
        raise TemplateError(
            f"{checkout}: commit {commit} of a release in {RELEASES} is not in this clone "
            "(a shallow clone? git fetch --unshallow)"
        )
    subprocess.run(["tar", "-x", "-C", str(target)], input=archive.stdout, check=True)


def _add_releases(repo: Path, checkout: Path) -> None:
    """Tag each release older than this fastgen with its template, from the checkout's
    own history; a tag that already holds the same files is left as it is."""
    paths = ("--", *TEMPLATE_PATHS)
    for version, commit in releases(checkout, below=__version__):
        tagged = _tagged(repo, version)
        if tagged and _git(repo, "ls-tree", tagged, *paths) == _git(
            checkout, "ls-tree", commit, *paths, check=False
        ):
            continue
        with tempfile.TemporaryDirectory(prefix="fastgen-release-") as folder:
            release_files(checkout, commit, Path(folder))
            add_versions(repo, [(version, Path(folder))], move=True)


def add_versions(repo: Path, trees: Iterable[tuple[str, Path]], *, move: bool = False) -> None:
    """Commit each (version, folder holding copier.yml and templates/) in turn and tag it.

    A version already tagged with the same files is left alone; with other files
    it is refused, or (move, a source checkout only) committed anew and re-tagged.
    """
    parent = None
    for version, root in trees:
        tree_id = _write_tree(repo, root)
        tagged = _tagged(repo, version)
        if tagged and _git(repo, "rev-parse", f"{tagged}^{{tree}}").strip() == tree_id:
            parent = tagged
            continue
        if tagged and not move:
            raise TemplateError(f"template version {version} exists with other files")
        parents = ["-p", parent or tagged] if (parent or tagged) else []
        commit = _git(repo, "commit-tree", tree_id, *parents, "-m", f"fastgen {version}",
                      env=_COMMIT_ENV).strip()  # fmt: skip
        _git(repo, "update-ref", f"refs/tags/{version}", commit)
        parent = commit


def _tagged(repo: Path, version: str) -> str:
    """The commit tagged with version, or an empty string."""
    ref = f"refs/tags/{version}^{{commit}}"
    return _git(repo, "rev-parse", "--verify", "--quiet", ref, check=False).strip()


def write_bundle(repo: Path, bundle: Path) -> None:
    _git(repo, "bundle", "create", str(bundle), "--tags")


def _init(repo: Path) -> Path:
    """The cache repository, made (in one rename, so processes never see half of it) if missing."""
    if (repo / ".git").is_dir():
        return repo
    repo.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".template-", dir=repo.parent))
    try:
        _git(staging, "init", "--quiet")
        try:
            staging.rename(repo)
        except OSError:
            if not (repo / ".git").is_dir():
                raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return repo


def _write_tree(repo: Path, root: Path) -> str:
    """The git tree of root's copier.yml and templates/, without touching any index in use."""
    with tempfile.TemporaryDirectory(prefix="fastgen-index-") as scratch:
        env = {"GIT_INDEX_FILE": str(Path(scratch) / "index")}
        # --force: the template's own .gitignore (rendered into projects) must not
        # hide template files; only bytecode is left out.
        _git(repo, "--work-tree", str(root), "add", "--all", "--force", "--", *TEMPLATE_PATHS,
             *_NOT_TEMPLATE, env=env)  # fmt: skip
        return _git(repo, "write-tree", env=env).strip()


def _fetch_missing_tags(repo: Path, bundle: Path) -> None:
    if not bundle.is_file():
        raise TemplateError(f"{bundle}: missing; reinstall fastgen")
    have = set(versions(repo))
    heads = _git(repo, "bundle", "list-heads", str(bundle)).splitlines()
    tags = [ref for _sha, ref in (line.split() for line in heads) if ref.startswith("refs/tags/")]
    missing = [ref for ref in tags if ref.removeprefix("refs/tags/") not in have]
    if missing:
        _git(repo, "fetch", "--quiet", "--no-tags", str(bundle), *(f"{r}:{r}" for r in missing))


def _git(repo: Path, *args: str, env: dict[str, str] | None = None, check: bool = True) -> str:
    try:
        run = subprocess.run(
            ["git", "-C", str(repo), *args],
            env={**os.environ, **(env or {})},
            capture_output=True,
            text=True,
            check=False,
        )
    except FileNotFoundError:
        raise TemplateError(
            "git not found: fastgen keeps the template's history with git"
        ) from None
    if check and run.returncode != 0:
        said = (run.stderr.strip().splitlines() or ["no message"])[-1]
        raise TemplateError(f"git {args[0]} in {repo}: {said}")
    return run.stdout
