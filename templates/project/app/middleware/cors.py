"""CORS, with a refused preflight answered in the error envelope."""

from starlette.datastructures import Headers
from starlette.middleware.cors import CORSMiddleware
from starlette.types import Message, Receive, Scope, Send

from app.core.exceptions import error_response


class EnvelopeCORSMiddleware(CORSMiddleware):
    """Starlette's CORS middleware refuses a preflight with a plain-text 400; this
    one sends the same refusal in the envelope every other error uses."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and not any(
            name == b"origin" for name, _ in scope["headers"]
        ):
            # Not a cross-origin request (most are not): what the parent class
            # would do, without its header objects on every response.
            await self.app(scope, receive, _varying_on_origin(send))
            return
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


def _varying_on_origin(send: Send) -> Send:
    """`send` with Origin added to the response's Vary, as CORSMiddleware adds
    it to a response to a request without Origin: the answer to the same URL
    with an Origin differs, and caches must keep them apart."""

    async def send_varying(message: Message) -> None:
        if message["type"] == "http.response.start":
            headers = list(message.get("headers", ()))
            vary = [i for i, (name, _) in enumerate(headers) if name.lower() == b"vary"]
            if vary:
                merged = b", ".join([*(headers[i][1] for i in vary), b"Origin"])
                headers[vary[0]] = (b"vary", merged)
                headers = [h for i, h in enumerate(headers) if i not in vary[1:]]
            else:
                headers.append((b"vary", b"Origin"))
            message["headers"] = headers
        await send(message)

    return send_varying
