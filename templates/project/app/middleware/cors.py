"""CORS, with a refused preflight answered in the error envelope."""

from starlette.datastructures import Headers
from starlette.middleware.cors import CORSMiddleware
from starlette.types import Receive, Scope, Send

from app.core.exceptions import error_response


class EnvelopeCORSMiddleware(CORSMiddleware):
    """Starlette's CORS middleware refuses a preflight with a plain-text 400; this
    one sends the same refusal in the envelope every other error uses."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "OPTIONS":
            headers = Headers(scope=scope)
            if "origin" in headers and "access-control-request-method" in headers:
                response = self.preflight_response(request_headers=headers)
                if response.status_code != 200:
                    response = error_response(
                        response.status_code,
                        "CORS_REJECTED",
                        bytes(response.body).decode(),
                        scope["path"],
                        {"Vary": "Origin"},
                    )
                await response(scope, receive, send)
                return
        await super().__call__(scope, receive, send)
