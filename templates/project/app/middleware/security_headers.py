"""Security headers on every response."""

from functools import cache

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.api.docs import ASSETS_PATH

# The API only serves JSON: nothing may load, frame or script anything.
API_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'"
# The docs pages (app/api/docs.py) run the app's own files only: no CDN, no
# inline script.
SWAGGER_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; "
    "img-src 'self' data:; connect-src 'self'; "
    "frame-ancestors 'none'; base-uri 'none'"
)
# ReDoc writes its styles into <style> elements it makes (styled-components),
# and runs its search index in a worker started from a blob: URL.
REDOC_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; connect-src 'self'; worker-src blob:; "
    "frame-ancestors 'none'; base-uri 'none'"
)
PAGE_CSP = {"/docs": SWAGGER_CSP, "/redoc": REDOC_CSP}

COMMON_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    # "1; mode=block" is outdated: the filters it drives were removed from
    # browsers and could be abused to blank or leak parts of a page. OWASP now
    # advises turning them off and relying on the Content-Security-Policy.
    "X-XSS-Protection": "0",
    "Strict-Transport-Security": "max-age=31536000; includeSubDomains",
    # Responses hold tokens and personal data: no shared or browser cache.
    "Cache-Control": "no-store",
}


# The docs' scripts and styles hold nothing private and change only with the
# pinned package: a day in the browser's cache, then revalidated by ETag. Only
# when served: a 404 or a 429 must not stick.
ASSET_CACHE_CONTROL = "public, max-age=86400"
CACHED_STATUSES = frozenset({200, 304})


def security_headers(path: str, status: int) -> dict[str, str]:
    return _headers(PAGE_CSP.get(path, API_CSP), _cached_asset(path, status))


def _cached_asset(path: str, status: int) -> bool:
    return status in CACHED_STATUSES and path.startswith(f"{ASSETS_PATH}/")


def _headers(csp: str, cached_asset: bool) -> dict[str, str]:
    # A new dict each call: callers add headers of their own (a 500's request id).
    headers = {**COMMON_HEADERS, "Content-Security-Policy": csp}
    if cached_asset:
        headers["Cache-Control"] = ASSET_CACHE_CONTROL
    return headers


@cache
def _encoded(csp: str, cached_asset: bool) -> tuple[tuple[bytes, bytes], ...]:
    # A handful of distinct sets, each made and encoded once, not per response.
    return tuple(
        (name.lower().encode("latin-1"), value.encode("latin-1"))
        for name, value in _headers(csp, cached_asset).items()
    )


class SecurityHeadersMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                path = scope["path"]
                extra = _encoded(
                    PAGE_CSP.get(path, API_CSP),
                    _cached_asset(path, message["status"]),
                )
                headers = list(message.get("headers", ()))
                # A header the route set itself wins.
                present = {name.lower() for name, _ in headers}
                headers += [header for header in extra if header[0] not in present]
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)
