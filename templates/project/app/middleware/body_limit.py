"""A ceiling on request bodies, checked before the app reads a byte of them."""

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.core.exceptions import error_response


class BodyTooLarge(Exception):
    """Raised into the app from `receive`, so it stops reading the body."""


class BodyLimitMiddleware:
    """Refuses a body over `max_bytes` with 413 `PAYLOAD_TOO_LARGE`.

    A declared Content-Length is refused before anything is read. A body
    without one (chunked) is counted as it arrives: past the limit, `receive`
    raises, the app's answer to that error is dropped, and the 413 is sent in
    its place, so exactly one response goes out."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = next(
            (value for name, value in scope["headers"] if name == b"content-length"),
            b"",
        )
        if declared.isdigit() and int(declared) > self.max_bytes:
            await self._refuse(scope, receive, send)
            return

        received = 0
        exceeded = False
        started = False

        async def counting_receive() -> Message:
            nonlocal received, exceeded
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    exceeded = True
                    raise BodyTooLarge
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if exceeded and not started:
                # The app's answer to BodyTooLarge (FastAPI turns it into a
                # 400): the 413 below replaces it.
                return
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counting_receive, guarded_send)
        except BodyTooLarge:
            if started:
                # Too late for a 413: the app answered before reading it all.
                raise
        if exceeded and not started:
            await self._refuse(scope, receive, send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = error_response(
            413,
            "PAYLOAD_TOO_LARGE",
            f"Request body exceeds {self.max_bytes} bytes",
            scope["path"],
        )
        await response(scope, receive, send)
