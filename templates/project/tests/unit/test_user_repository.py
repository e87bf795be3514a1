"""UserRepository's read-through cache: a read never serves a user older than
the last committed write."""

from app.core.resources import Resources
from app.models import User
from app.repositories.user_repository import UserRepository
from tests.conftest import UserFactory


async def test_a_cached_read_after_an_update_sees_the_update(
    user_factory: UserFactory, resources: Resources
) -> None:
    user = await user_factory(username="cached")

    # One session per request, as in the app.
    async with resources.sessions() as session:
        warm = await UserRepository(session, resources.user_cache, 60).get_cached(
            user.id
        )
    async with resources.sessions() as session:
        writers = UserRepository(session, resources.user_cache, 60)
        stored = await writers.get(user.id)
        assert stored is not None
        async with writers.uow:
            await writers.update(stored, {"username": "renamed"})
    async with resources.sessions() as session:
        fresh = await UserRepository(session, resources.user_cache, 60).get_cached(
            user.id
        )

    assert warm is not None
    assert warm.username == "cached"
    assert fresh is not None
    assert fresh.username == "renamed"


async def test_a_read_racing_a_write_cannot_cache_the_old_user(
    user_factory: UserFactory, resources: Resources
) -> None:
    user = await user_factory()
    async with resources.sessions() as reader, resources.sessions() as writer:
        readers = UserRepository(reader, resources.user_cache, 60)
        writers = UserRepository(writer, resources.user_cache, 60)
        load = readers.get

        async def load_then_lose_the_race(user_id: int) -> User | None:
            # The reader has the old row when another request commits a new
            # password (token version) and invalidates the cache.
            old = await load(user_id)
            stored = await writers.get(user_id)
            assert stored is not None
            async with writers.uow:
                await writers.update(stored, {"token_version": 1})
            return old

        readers.get = load_then_lose_the_race  # type: ignore[method-assign]
        stale = await readers.get_cached(user.id)

    async with resources.sessions() as session:
        fresh = await UserRepository(session, resources.user_cache, 60).get_cached(
            user.id
        )
    assert stale is not None
    assert stale.token_version == 0
    assert fresh is not None
    assert fresh.token_version == 1
