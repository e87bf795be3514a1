"""/docs and /redoc: their assets come from the app, never from a CDN."""

import re

import httpx
import pytest

from tests.integration.conftest import ClientFactory

ASSET = re.compile(r'(?:src|href)="([^"]+)"')


def directives(response: httpx.Response) -> dict[str, list[str]]:
    policy = response.headers["Content-Security-Policy"]
    return {
        name: values
        for name, *values in (
            part.split() for part in policy.split(";") if part.strip()
        )
    }


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
async def test_docs_pages_load_every_asset_from_the_app(
    client: httpx.AsyncClient, page: str
) -> None:
    response = await client.get(page)

    assert response.status_code == 200
    assets = ASSET.findall(response.text)
    assert any(asset.endswith(".js") for asset in assets)
    for asset in assets:
        assert asset.startswith("/"), f"{page} loads {asset} from elsewhere"
        loaded = await client.get(asset)
        assert loaded.status_code == 200, asset
        assert loaded.content, asset


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
async def test_docs_pages_run_only_the_apps_own_scripts(
    client: httpx.AsyncClient, page: str
) -> None:
    policy = directives(await client.get(page))

    assert policy["default-src"] == ["'none'"]
    assert policy["script-src"] == ["'self'"]
    assert policy["connect-src"] == ["'self'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert not [
        value for values in policy.values() for value in values if "http" in value
    ]


async def test_swagger_ui_is_started_by_a_script_file_not_an_inline_script(
    client: httpx.AsyncClient,
) -> None:
    page = await client.get("/docs")
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", page.text, re.DOTALL)
    init = await client.get("/docs/swagger-init.js")

    assert scripts
    assert all('src="' in attrs and not body.strip() for attrs, body in scripts)
    assert directives(page)["style-src"] == ["'self'"]
    assert init.headers["content-type"].startswith("text/javascript")
    assert "SwaggerUIBundle(" in init.text


async def test_the_schema_and_assets_keep_the_api_policy(
    client: httpx.AsyncClient,
) -> None:
    for path in ("/openapi.json", "/docs/assets/swagger-ui-bundle.js"):
        response = await client.get(path)
        assert directives(response)["default-src"] == ["'none'"], path
        assert "script-src" not in directives(response), path


async def test_production_serves_no_docs_pages_nor_assets(
    make_client: ClientFactory,
) -> None:
    client = await make_client(environment="production")

    for path in (
        "/docs",
        "/redoc",
        "/docs/swagger-init.js",
        "/docs/assets/swagger-ui-bundle.js",
        "/docs/assets/redoc.standalone.js",
        "/openapi.json",
    ):
        assert (await client.get(path)).status_code == 404, path


async def test_the_assets_are_cached_and_nothing_else_is(
    client: httpx.AsyncClient,
) -> None:
    # The assets are public and change only with the pinned package.
    asset = await client.get("/docs/assets/swagger-ui-bundle.js")
    revalidated = await client.get(
        "/docs/assets/swagger-ui-bundle.js",
        headers={"If-None-Match": asset.headers["ETag"]},
    )
    missing = await client.get("/docs/assets/no-such-file.js")
    schema = await client.get("/openapi.json")

    assert asset.status_code == 200
    assert asset.headers["Cache-Control"] == "public, max-age=86400"
    assert revalidated.status_code == 304
    assert revalidated.headers["Cache-Control"] == "public, max-age=86400"
    assert missing.status_code == 404
    assert missing.headers["Cache-Control"] == "no-store"
    assert schema.headers["Cache-Control"] == "no-store"
