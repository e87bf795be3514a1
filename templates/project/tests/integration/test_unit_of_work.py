"""One transaction per use case: a use case happens whole or not at all."""

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from app.core.resources import Resources
from app.repositories.token_repository import RefreshTokenRepository
from tests.conftest import UserFactory
from tests.integration.conftest import login

EXPIRED_HASH = "e" * 64


async def test_a_login_failing_half_way_leaves_nothing_written(
    client: httpx.AsyncClient,
    user_factory: UserFactory,
    resources: Resources,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    user = await user_factory(username="halfway")
    async with resources.sessions() as session:
        tokens = RefreshTokenRepository(session)
        async with tokens.uow:
            await tokens.add(
                user_id=user.id,
                token_hash=EXPIRED_HASH,
                family_id="e" * 32,
                expires_at=datetime.now(UTC) - timedelta(days=1),
            )

    async def insert_fails(*_args: Any, **_kwargs: Any) -> None:
        raise RuntimeError("the database went away after the purge")

    # Login purges the expired token, then fails to store the new one.
    monkeypatch.setattr(RefreshTokenRepository, "add", insert_fails)
    response = await login(client, "halfway")

    assert response.status_code == 500
    async with resources.sessions() as session:
        kept = await RefreshTokenRepository(session).get_by_hash(EXPIRED_HASH)
    assert kept is not None  # the purge was rolled back with the failed insert


async def test_a_use_case_that_fails_after_its_writes_rolls_them_back(
    user_factory: UserFactory, resources: Resources
) -> None:
    user = await user_factory()

    async def use_case(tokens: RefreshTokenRepository) -> None:
        async with tokens.uow:
            await tokens.add(
                user_id=user.id,
                token_hash="a" * 64,
                family_id="a" * 32,
                expires_at=datetime.now(UTC) + timedelta(days=1),
            )
            raise RuntimeError("a later step of the use case fails")

    async with resources.sessions() as session:
        with pytest.raises(RuntimeError):
            await use_case(RefreshTokenRepository(session))

    async with resources.sessions() as session:
        assert await RefreshTokenRepository(session).get_by_hash("a" * 64) is None
