"""Fixtures for the variant matrix (see support.py for how projects are run)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from .support import SharedVenv, ensure_shared_venv, require_python


@pytest.fixture(scope="session")
def shared_venv() -> Callable[[str], SharedVenv]:
    """A cached venv per Python version with every variant's dependencies, at the
    versions of fastgen's tested lock for it."""
    venvs: dict[str, SharedVenv] = {}

    def get(python_version: str) -> SharedVenv:
        if python_version not in venvs:
            python = require_python(python_version)
            venvs[python_version] = ensure_shared_venv(python, python_version)
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
