"""The wheel carries the whole template, so `pip install fastgen` renders what a checkout does,
and its history as a git bundle, so `fastgen update` works offline."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import fastgen
from conftest import REPO


def test_wheel_carries_copier_yml_and_every_template_file(tmp_path: Path) -> None:
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", str(tmp_path),
         str(REPO)],
        check=True, capture_output=True,
    )  # fmt: skip
    (wheel,) = tmp_path.glob("fastgen-*.whl")

    names = set(zipfile.ZipFile(wheel).namelist())
    packaged = {n.removeprefix("fastgen/_template/") for n in names if "/_template/" in n}
    expected = {"copier.yml", "template.bundle"} | {
        p.relative_to(REPO).as_posix()
        for p in (REPO / "templates").rglob("*")
        if p.is_file() and "__pycache__" not in p.parts
    }
    assert packaged == expected
    assert {"fastgen/cli.py", "fastgen/new.py"} <= names

    bundle = tmp_path / "template.bundle"
    bundle.write_bytes(zipfile.ZipFile(wheel).read("fastgen/_template/template.bundle"))
    heads = subprocess.run(["git", "bundle", "list-heads", str(bundle)],
                           capture_output=True, text=True, check=True).stdout  # fmt: skip
    assert f"refs/tags/{fastgen.__version__}" in heads.split()
