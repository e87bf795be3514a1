"""Request ids: echoed when sane, generated otherwise, on every log line."""

import logging
import re
import secrets
import time

from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.core.logging import request_id_var

# A client-chosen id lands in our logs: allow no spaces or control characters
# that could forge or split a log line. (Paths are logged with %r for the same
# reason: they arrive percent-decoded and may hold a newline.)
SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,128}")

access_log = logging.getLogger("app.access")


def route_template(scope: Scope) -> str | None:
    """The path as its route declares it (/api/v1/users/{user_id} for
    /api/v1/users/7), or None when no route answered (a 404).

    Built from the path and the parameters the route matched: a route of a
    router included in another knows only its own part of the path. Each
    parameter, last first, replaces the nearest segment before the previous
    one that spells its value, since parameters follow their fixed segments.
    """
    if scope.get("route") is None:
        return None
    segments: list[str] = scope["path"].split("/")
    index = len(segments) - 1
    for name, value in reversed(list(scope.get("path_params", {}).items())):
        while index > 0 and segments[index] != str(value):
            index -= 1
        if index == 0:
            break
        segments[index] = "{" + name + "}"
        index -= 1
    return "/".join(segments)


class RequestIdMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = Headers(scope=scope).get("x-request-id", "")
        if SANE_REQUEST_ID.fullmatch(incoming):
            request_id = incoming
        else:
            # 128 random bits as 32 hex digits, like uuid4().hex at a third of its cost.
            request_id = secrets.token_hex(16)
        scope.setdefault("state", {})["request_id"] = request_id
        request_id_var.set(request_id)
        status = 500
        started = time.perf_counter()

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                MutableHeaders(scope=message).append("X-Request-ID", request_id)
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            client = scope.get("client")
            duration_ms = (time.perf_counter() - started) * 1000
            route = route_template(scope)
            access_log.info(
                "%s %r %d %.1fms client=%s",
                scope["method"],
                scope["path"],
                status,
                duration_ms,
                client[0] if client else "-",
                extra={
                    "http": {
                        "method": scope["method"],
                        "route": route,
                        "status": status,
                        "duration_ms": round(duration_ms, 1),
                        "client": client[0] if client else None,
                    }
                },
            )
