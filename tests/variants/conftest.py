"""Fixtures for the variant matrix (see support.py for how projects are run)."""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from .support import (
    ALL_ON,
    MINIMUM,
    SharedVenv,
    build_wheelhouse,
    ensure_shared_venv,
    render,
    require_python,
    requirements,
)


@pytest.fixture(scope="session")
def variant_requirements(copie_session: Any) -> list[str]:
    """The union of the all-on and the minimum variant's runtime, dev and build
    requirements; each case checks that its own are satisfied by it."""
    wanted: set[str] = set()
    for answers in (ALL_ON, MINIMUM):
        project = render(copie_session, {"project_name": "venv probe", **answers})
        for group in requirements(project):
            wanted.update(group)
    return sorted(wanted)


@pytest.fixture(scope="session")
def shared_venv(
    variant_requirements: list[str], tmp_path_factory: pytest.TempPathFactory
) -> Callable[[str], SharedVenv]:
    """A cached venv per Python version with every variant's dependencies, fastgen's
    own (the projects' pinned dev dependency) from a wheel of this checkout."""
    venvs: dict[str, SharedVenv] = {}

    @functools.cache
    def wheelhouse() -> Path:
        return build_wheelhouse(tmp_path_factory.mktemp("wheelhouse"))

    def get(python_version: str) -> SharedVenv:
        if python_version not in venvs:
            python = require_python(python_version)
            venvs[python_version] = ensure_shared_venv(python, variant_requirements, wheelhouse)
        return venvs[python_version]

    return get


@pytest.fixture(scope="session")
def mypy_cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One mypy cache per pytest process (per xdist worker), reused by its cases
    (mypy keeps a folder per Python version inside).

    mypy checks each cached module against its source's hash, so a cache
    shared by projects that all call their package `app` is re-checked where
    they differ and reused for the third-party packages, which cost the most.
    """
    return tmp_path_factory.mktemp("mypy-cache")
