"""Requests hold a database session in turns, first come first served, on
connections the pool keeps."""

import asyncio
from collections.abc import AsyncIterator
from types import SimpleNamespace

from fastapi import Request
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession

from app.api.deps import get_session
from app.core.database import MAX_CONNECTIONS
from app.core.resources import Resources


def request_to(resources: Resources) -> Request:
    app = SimpleNamespace(state=SimpleNamespace(resources=resources))
    return Request({"type": "http", "app": app})


async def end(session: AsyncIterator[AsyncSession]) -> None:
    """Run the provider past its `yield`: the session closes, its turn is back."""
    await anext(session, None)


async def test_a_request_that_waits_for_a_session_is_not_overtaken(
    resources: Resources,
) -> None:
    request = request_to(resources)
    held: list[AsyncIterator[AsyncSession]] = []
    for _ in range(MAX_CONNECTIONS):
        session = get_session(request)
        await anext(session)
        held.append(session)
    served: list[str] = []

    async def use_a_session(name: str) -> None:
        session = get_session(request)
        await anext(session)
        served.append(name)
        await end(session)

    first = asyncio.create_task(use_a_session("first"))
    await asyncio.sleep(0)
    second = asyncio.create_task(use_a_session("second"))
    await asyncio.sleep(0)
    assert served == []

    # One session ends; a request arriving right then, before the first waiter
    # has run, still queues behind both waiters.
    await end(held.pop())
    late = asyncio.create_task(use_a_session("late"))
    await asyncio.gather(first, second, late)

    assert served == ["first", "second", "late"]
    for session in held:
        await end(session)


async def test_connections_opened_for_a_burst_serve_the_next_one(
    resources: Resources,
) -> None:
    opened: list[object] = []
    event.listen(
        resources.engine.sync_engine, "connect", lambda *_: opened.append(None)
    )
    request = request_to(resources)
    after_each_burst = []
    for _ in range(2):
        held = []
        for _ in range(MAX_CONNECTIONS):
            session = get_session(request)
            await (await anext(session)).connection()
            held.append(session)
        for session in held:
            await end(session)
        after_each_burst.append(len(opened))

    first, second = after_each_burst
    assert second == first
