"""The wheel carries the whole template, so an installed fastgen-backend renders what a checkout
does, and its history as a git bundle, so `fastgen update` works offline."""

from __future__ import annotations

import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

import fastgen
from conftest import REPO
from conftest import fastgen as run_fastgen
from fastgen import template


def test_wheel_carries_copier_yml_and_every_template_file(tmp_path: Path) -> None:
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", str(tmp_path),
         str(REPO)],
        check=True, capture_output=True,
    )  # fmt: skip
    (wheel,) = tmp_path.glob("fastgen_backend-*.whl")

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
    # Every release older than this fastgen, each holding its commit's template files.
    listed = {line.split()[1]: line.split()[0] for line in heads.splitlines()}
    releases = template.releases(REPO, below=fastgen.__version__)
    assert {f"refs/tags/{version}" for version, _ in releases} | {
        f"refs/tags/{fastgen.__version__}"
    } == set(listed)
    history = tmp_path / "history"
    subprocess.run(["git", "init", "--quiet", str(history)], check=True)
    subprocess.run(["git", "-C", str(history), "fetch", "--quiet", str(bundle),
                    "refs/tags/*:refs/tags/*"], check=True)  # fmt: skip
    for version, commit in releases:
        shipped = _ls_tree(history, version)
        assert shipped == _ls_tree(REPO, commit), f"{version}: not the template of {commit}"


def _ls_tree(repo: Path, ref: str) -> str:
    return subprocess.run(["git", "-C", str(repo), "ls-tree", ref, "--", *template.TEMPLATE_PATHS],
                          capture_output=True, text=True, check=True).stdout  # fmt: skip


def test_a_build_carries_exactly_the_releases_older_than_itself(tmp_path: Path) -> None:
    (tmp_path / template.RELEASES).write_text(
        '[releases]\n"0.10.0" = "c3"\n"0.2.0" = "c2"\n"0.1.0" = "c1"\n"1.0.0rc1" = "c4"\n'
    )
    assert template.releases(tmp_path, below="0.3.0.dev0") == [("0.1.0", "c1"), ("0.2.0", "c2")]
    assert template.releases(tmp_path, below="0.10.0") == [("0.1.0", "c1"), ("0.2.0", "c2")]
    assert [v for v, _ in template.releases(tmp_path, below="1.0.0")] == [
        "0.1.0", "0.2.0", "0.10.0", "1.0.0rc1"
    ]  # fmt: skip


def test_an_unreadable_releases_file_is_named(tmp_path: Path) -> None:
    (tmp_path / template.RELEASES).write_text('[releases]\n"one" = "c1"\n')
    with pytest.raises(template.TemplateError, match=r"releases\.toml: cannot be read"):
        template.releases(tmp_path, below="0.1.0")


# `fastgen` on the package index is another project: whatever installs fastgen
# names the distribution, never the bare command name.
_INSTALL = re.compile(r"\b(?:pip|pipx|uv(?: pip| tool)?)\s+install\b([^\n&;|]*)")
# uvx runs a package's command: the package is the word after --from.
_UVX = re.compile(r"\buvx\s+--from[ =]+(\S+)")


def bare_installs(text: str) -> list[str]:
    """The install commands in text that name `fastgen` itself as a package."""
    return [
        found.group(0)
        for pattern in (_INSTALL, _UVX)
        for found in pattern.finditer(text)
        if any(
            re.match(r"fastgen($|[=<>!~\[])", token.strip("\"'"))
            for token in found.group(1).split()
        )
    ]


def test_bare_installs_finds_the_bare_name_only() -> None:
    assert bare_installs('run: pip install "fastgen==0.1.0"') == ['pip install "fastgen==0.1.0"']
    assert bare_installs("pip install --upgrade fastgen\n") == ["pip install --upgrade fastgen"]
    assert bare_installs("pipx install fastgen[test]") == ["pipx install fastgen[test]"]
    assert bare_installs('pip install "fastgen-backend==0.1.0" && .venv/bin/fastgen new') == []
    assert bare_installs("uvx --from fastgen==0.1.0 fastgen check") == ["uvx --from fastgen==0.1.0"]
    assert bare_installs("uvx --from fastgen-backend==0.1.0 fastgen check") == []


def test_no_generated_file_nor_readme_installs_the_bare_name(tmp_path: Path) -> None:
    run = run_fastgen("new", "Shop", "--defaults", "--no-git", "-q", "-o", str(tmp_path),
                  "--data", "database=postgresql", "--data", "redis=true")  # fmt: skip
    assert run.exit_code == 0, run.stderr
    texts = {path: path.read_text(encoding="utf-8") for path in (tmp_path / "shop").rglob("*")
             if path.is_file()}  # fmt: skip
    texts |= {REPO / name: (REPO / name).read_text(encoding="utf-8") for name in ("README.md",)}
    # The project runs fastgen with uvx, pinned, by its distribution name.
    makefile = texts[tmp_path / "shop/Makefile"]
    assert f"uvx --from {fastgen.DISTRIBUTION}=={fastgen.__version__} fastgen" in makefile
    assert {
        str(path): bare_installs(text) for path, text in texts.items() if bare_installs(text)
    } == {}
