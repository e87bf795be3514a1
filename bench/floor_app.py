"""The floor under the generated app: bare_app.py plus what no app with the
generated app's features can skip on a response, and nothing else.

    BENCH_DATABASE_URL=... BENCH_FLOOR_HEADERS='{"/health": [[name, value], ...]}' \\
        PYTHONPATH=<generated project> uvicorn floor_app:app

Around the bare app: the extra response headers the generated app sent for
the same path (security headers, CORS `Vary`, rate-limit headers; bench/run.py
reads them off the generated app and passes them in), added in one pure ASGI
function, and the generated project's own request-id middleware, which writes
its access line through the project's logging set-up. The gap between this
floor and the bare app is the price of those features on this server; the gap
between the generated app and the floor is everything else.
"""

from __future__ import annotations

import json
import os

from app.core.logging import configure_logging
from app.middleware.request_id import RequestIdMiddleware
from starlette.types import Message, Receive, Scope, Send

from bare_app import app as bare

configure_logging("INFO", "text")
HEADERS = {
    path: [(name.encode("latin-1"), value.encode("latin-1")) for name, value in pairs]
    for path, pairs in json.loads(os.environ["BENCH_FLOOR_HEADERS"]).items()
}


async def with_headers(scope: Scope, receive: Receive, send: Send) -> None:
    if scope["type"] != "http":
        await bare(scope, receive, send)
        return
    extra = HEADERS.get(scope["path"], [])

    async def send_with_headers(message: Message) -> None:
        if message["type"] == "http.response.start":
            message["headers"] = [*message["headers"], *extra]
        await send(message)

    await bare(scope, receive, send_with_headers)


app = RequestIdMiddleware(with_headers, log_format="text")
