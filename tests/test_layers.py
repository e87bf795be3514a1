"""The generated app's layers, read from its imports: `app/core` is the floor.

Settings, database, security, cache, logging and errors are imported by every
layer and import none of them; the providers that build services for routes
(the composition root) belong to the API layer, the shared ones in
`app/api/deps.py` and each resource's beside its router. Checked on projects
with resources (one referencing another and one referencing User), for both
switch sets that change what `app/core` holds.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
import yaml

from conftest import fastgen

RESOURCES = [
    {"name": "Category", "fields": ["name:str:80:unique"]},
    {"name": "Product", "fields": ["name:str:120", "category:ref:Category"]},
    {"name": "Review", "fields": ["body:text", "reviewer:ref:User", "product:ref:Product"]},
]
VARIANTS = {
    "default": {},
    # With metrics and tracing, which add app/core/metrics.py and tracing.py.
    "postgresql-redis": {"database": "postgresql", "redis": True, "metrics": True, "tracing": True},
}


def app_imports(path: Path) -> set[str]:
    """The `app.*` modules a file imports, wherever the import stands (a function,
    an `if TYPE_CHECKING:` block)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module)
    return {name for name in found if name == "app" or name.startswith("app.")}


@pytest.fixture(scope="module", params=list(VARIANTS))
def project(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp(f"layers-{request.param}")
    spec = root / "shop.yaml"
    answers = {"project_name": "shop", **VARIANTS[request.param], "resources": RESOURCES}
    spec.write_text(yaml.safe_dump(answers), encoding="utf-8")
    # Set up before the autouse fixture that isolates each test's template cache:
    # isolated here too, never the user's cache, which another checkout may have
    # pointed at its own template.
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("FASTGEN_CACHE_DIR", str(tmp_path_factory.getbasetemp() / "cache"))
        run = fastgen("new", "--spec", str(spec), "--defaults", "-q", "--no-git", "-o", str(root))
    assert run.exit_code == 0, run.stderr
    return root / "shop"


def test_core_imports_no_other_layer_of_the_app(project: Path) -> None:
    core = sorted((project / "app/core").glob("*.py"))
    assert core, "app/core is empty"

    upward = {
        path.name: sorted(name for name in app_imports(path) if not name.startswith("app.core"))
        for path in core
    }

    assert {name: modules for name, modules in upward.items() if modules} == {}


def test_the_providers_live_in_the_api_layer_beside_their_routers(project: Path) -> None:
    assert not list((project / "app/core").glob("*dependencies*.py"))
    assert (project / "app/api/deps.py").is_file()
    for plural in ("items", "categories", "products", "reviews"):
        router = project / f"app/api/v1/{plural}.py"
        assert f"app.api.v1.{plural}_deps" in app_imports(router)
        provider = project / f"app/api/v1/{plural}_deps.py"
        assert "app.api.deps" in app_imports(provider)
    # Nothing below the API layer reaches up to its providers.
    for layer in ("core", "services", "repositories", "models", "schemas"):
        for path in (project / "app" / layer).glob("*.py"):
            assert not {m for m in app_imports(path) if m.startswith("app.api")}, path
