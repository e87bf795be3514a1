"""copier.yml is the one source: `copier copy` of this repository gives what `fastgen new` gives."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import yaml

from conftest import REPO, fastgen, tree_bytes
from fastgen.locks import LOCK

ANSWERS = ".copier-answers.yml"


def test_copier_copy_of_the_repository_equals_fastgen_new(tmp_path: Path) -> None:
    # The same answers, all given: fastgen's default Python is the one running it.
    # Without items, which `fastgen new` adds as a resource after copier's render.
    data = ["project_name=Shop", "python_version=3.13", "database=postgresql", "redis=true",
            "csrf=false", "example_items=false"]  # fmt: skip
    fastgen("new", "Shop", "--defaults", "--no-git", "-o", str(tmp_path / "fastgen"),
            *[arg for pair in data[1:] for arg in ("--data", pair)])  # fmt: skip
    copied = tmp_path / "copier" / "shop"
    run = subprocess.run(
        [sys.executable, "-m", "copier", "copy", "--defaults", "--quiet",
         *[arg for pair in data for arg in ("--data", pair)], str(REPO), str(copied)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr

    ours = tmp_path / "fastgen" / "shop"
    # fastgen adds what copier cannot make: the lock, cut from fastgen's tested one.
    assert tree_bytes(copied, skip=(ANSWERS,)) == tree_bytes(ours, skip=(ANSWERS, ".env", LOCK))
    assert (ours / LOCK).is_file() and not (copied / LOCK).exists()

    def answers(project: Path) -> dict[str, object]:
        recorded = yaml.safe_load((project / ANSWERS).read_text())
        # Where the template came from differs by design: this checkout vs fastgen's history.
        return {k: v for k, v in recorded.items() if k not in ("_src_path", "_commit")}

    assert answers(copied) == answers(ours)
    assert answers(ours)["redis"] is True
