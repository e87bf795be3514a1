"""Security headers on every response."""

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

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


def security_headers(path: str) -> dict[str, str]:
    return {**COMMON_HEADERS, "Content-Security-Policy": PAGE_CSP.get(path, API_CSP)}


class SecurityHeadersMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        extra = security_headers(scope["path"])

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in extra.items():
                    headers.setdefault(name, value)
            await send(message)

        await self.app(scope, receive, send_with_headers)
