"""The floor the generated app is measured against: a bare FastAPI app.

    BENCH_DATABASE_URL=sqlite+aiosqlite:///path/app.db uvicorn bare_app:app

It serves the same rows through the same driver (one async SQLAlchemy session
per request, a Pydantic list out) and nothing else: no auth, no middleware, no
layers. The items table is the one the generated project's migrations made.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime

from fastapi import FastAPI
from pydantic import BaseModel, ConfigDict
from sqlalchemy import text
from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine

engine = create_async_engine(os.environ["BENCH_DATABASE_URL"])
sessions = async_sessionmaker(engine, expire_on_commit=False)
# The same page the generated list serves: the total, then the rows.
COUNT = text("SELECT count(*) FROM items")
ROWS = text(
    "SELECT id, title, description, owner_id, created_at, updated_at"
    " FROM items ORDER BY id LIMIT :limit OFFSET :skip"
)


class Item(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    title: str
    description: str | None
    owner_id: int
    created_at: datetime
    updated_at: datetime


class Page(BaseModel):
    items: list[Item]
    total: int
    skip: int
    limit: int


class Health(BaseModel):
    status: str


@asynccontextmanager
async def lifespan(_: FastAPI) -> AsyncIterator[None]:
    yield
    await engine.dispose()


app = FastAPI(lifespan=lifespan)


@app.get("/health", response_model=Health)
async def health() -> Health:
    return Health(status="ok")


@app.get("/api/v1/items/", response_model=Page)
async def items(skip: int = 0, limit: int = 20) -> Page:
    async with sessions() as session:
        total = (await session.execute(COUNT)).scalar_one()
        rows = (await session.execute(ROWS, {"limit": limit, "skip": skip})).all()
    items = [Item.model_validate(row) for row in rows]
    return Page(items=items, total=total, skip=skip, limit=limit)
