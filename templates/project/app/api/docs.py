"""The API documentation pages, served with their assets so they work offline.

Swagger UI and ReDoc come from the fastapi-offline package (pinned in
pyproject.toml), not from a CDN: behind a firewall the pages still render. The
script that starts Swagger UI is a file of its own rather than an inline
script, so the pages' Content-Security-Policy can forbid inline scripts
(middleware/security_headers.py).
"""

from html import escape

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from starlette.staticfiles import StaticFiles

ASSETS_PATH = "/docs/assets"

router = APIRouter(include_in_schema=False)

# Swagger UI's own start-up options, as FastAPI's default page sets them; the
# schema's URL comes from the page, so the script is the same for every app.
SWAGGER_INIT_JS = """\
const root = document.getElementById("swagger-ui");
window.ui = SwaggerUIBundle({
  url: root.dataset.openapiUrl,
  dom_id: "#swagger-ui",
  layout: "BaseLayout",
  deepLinking: true,
  showExtensions: true,
  showCommonExtensions: true,
  presets: [SwaggerUIBundle.presets.apis, SwaggerUIBundle.SwaggerUIStandalonePreset],
});
"""


def assets() -> StaticFiles:
    """Swagger UI's and ReDoc's scripts, styles and icon, from the package."""
    return StaticFiles(packages=[("fastapi_offline", "static")])


def _page(request: Request, title: str, head: str, body: str) -> HTMLResponse:
    return HTMLResponse(
        f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{escape(request.app.title)} - {title}</title>
<link rel="icon" type="image/png" href="{ASSETS_PATH}/favicon.png">
{head}
</head>
<body>
{body}
</body>
</html>
"""
    )


@router.get("/docs")
async def swagger_ui(request: Request) -> HTMLResponse:
    return _page(
        request,
        "Swagger UI",
        f'<link rel="stylesheet" href="{ASSETS_PATH}/swagger-ui.css">',
        f'<div id="swagger-ui" data-openapi-url="{escape(request.app.openapi_url)}"></div>\n'
        f'<script src="{ASSETS_PATH}/swagger-ui-bundle.js"></script>\n'
        '<script src="/docs/swagger-init.js"></script>',
    )


@router.get("/docs/swagger-init.js")
async def swagger_init() -> Response:
    return Response(SWAGGER_INIT_JS, media_type="text/javascript")


@router.get("/redoc")
async def redoc(request: Request) -> HTMLResponse:
    # ReDoc starts itself on the <redoc> element: no script of ours needed.
    return _page(
        request,
        "ReDoc",
        "",
        f'<redoc spec-url="{escape(request.app.openapi_url)}"></redoc>\n'
        f'<script src="{ASSETS_PATH}/redoc.standalone.js"></script>',
    )
