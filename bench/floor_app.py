"""The floor under the generated app: bare_app.py plus what no app with the
generated app's features can skip on a response, and nothing else.

    BENCH_DATABASE_URL=... BENCH_FLOOR_HEADERS='{"/health": [[name, value], ...]}' \\
        PYTHONPATH=<generated project> uvicorn floor_app:app

It adds, in one pure ASGI function: the extra response headers the generated
app sent for the same path (security headers, CORS `Vary`, rate-limit headers;
bench/run.py reads them off the generated app and passes them in), a fresh
request id, and one access line per request through the generated project's
own logging set-up (app/core/logging.py), as its request-id middleware writes it.
The gap between this floor and the bare app is the price of those features on
this server; the gap between the generated app and the floor is everything else.
"""

from __future__ import annotations

import json
import logging
import os
import secrets
import time

from app.core.logging import configure_logging, request_id_var
from starlette.types import Message, Receive, Scope, Send

from bare_app import app as bare

configure_logging("INFO")
access_log = logging.getLogger("app.access")
HEADERS = {
    path: [(name.encode("latin-1"), value.encode("latin-1")) for name, value in pairs]
    for path, pairs in json.loads(os.environ["BENCH_FLOOR_HEADERS"]).items()
}


async def app(scope: Scope, receive: Receive, send: Send) -> None:
    if scope["type"] != "http":
        await bare(scope, receive, send)
        return
    request_id = secrets.token_hex(16)
    request_id_var.set(request_id)
    extra = [*HEADERS.get(scope["path"], []), (b"x-request-id", request_id.encode())]
    status = 500
    started = time.perf_counter()

    async def send_with_headers(message: Message) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]
            message["headers"] = [*message["headers"], *extra]
        await send(message)

    try:
        await bare(scope, receive, send_with_headers)
    finally:
        client = scope.get("client")
        access_log.info(
            "%s %r %d %.1fms client=%s",
            scope["method"],
            scope["path"],
            status,
            (time.perf_counter() - started) * 1000,
            client[0] if client else "-",
        )
