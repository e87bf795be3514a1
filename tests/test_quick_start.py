"""README.md's quick start, run as written in a fresh clone of this repository.

`.ci/run` runs both commands in CI, the second being this whole suite; a test
cannot run the suite inside itself, so here the second command runs only the
tests that a generated `./myapp` once broke (copier took the project, a git
repository of its own, for a submodule of the dirty checkout).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import REPO


def _git(*args: str, cwd: Path) -> str:
    return subprocess.run(
        ["git", *args], cwd=cwd, capture_output=True, text=True, check=True
    ).stdout


def clone_with_changes(repo: Path, dest: Path) -> None:
    """A clone of repo's HEAD with the working tree's uncommitted changes on top,
    so that the test runs the code under test, not the last commit."""
    _git("clone", "--quiet", str(repo), str(dest), cwd=repo)
    listed = _git("ls-files", "-z", "--cached", "--others", "--exclude-standard", cwd=repo)
    for rel in filter(None, listed.split("\0")):
        source, target = repo / rel, dest / rel
        if source.is_file():
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
        else:  # deleted in the working tree
            target.unlink(missing_ok=True)


def quick_start_commands(clone: Path) -> list[str]:
    listed = subprocess.run(
        [str(clone / ".ci" / "quick-start-commands")], capture_output=True, text=True, check=True
    )
    return listed.stdout.splitlines()


@pytest.mark.variants
def test_readme_quick_start_commands_pass_in_order_in_a_fresh_clone(tmp_path: Path) -> None:
    clone = tmp_path / "fastgen"
    clone_with_changes(REPO, clone)
    install_and_generate, run_tests = quick_start_commands(clone)
    env = {k: v for k, v in os.environ.items() if k != "VIRTUAL_ENV"}

    def sh(command: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["bash", "-euo", "pipefail", "-c", command],
            cwd=clone,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )

    first = sh(install_and_generate)
    assert first.returncode == 0, first.stdout[-3000:] + first.stderr[-3000:]
    assert (clone / "myapp" / ".git").is_dir(), "the quick start makes ./myapp, a git repository"

    broken_once = "tests/test_copier_copy.py tests/variants/test_matrix.py::test_variant[defaults]"
    # -n 0: in one process, so -v prints "<test> PASSED" lines to look for.
    second = sh(f"{run_tests} -n 0 -v -p no:cacheprovider {broken_once}")
    assert second.returncode == 0, second.stdout[-8000:] + second.stderr[-3000:]
    assert "test_copier_copy_of_the_repository_equals_fastgen_new PASSED" in second.stdout
    # The variant skips (saying why) only outside CI on a machine without its Python.
    assert "test_variant[defaults] PASSED" in second.stdout or "SKIPPED" in second.stdout
