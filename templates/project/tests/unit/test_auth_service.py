"""AuthService: logins, refresh-token rotation with reuse detection, logout and
revocation."""

from datetime import UTC, datetime, timedelta

import bcrypt
import pytest

from app.core.exceptions import InvalidCredentials, InvalidToken, TokenRevoked
from app.core.resources import Resources
from app.core.security import hash_refresh_token
from app.services.auth_service import AuthService
from app.services.user_service import UserService
from tests.conftest import PASSWORD, UserFactory
from tests.unit.conftest import RefreshTokenFactory, Services


async def test_an_unknown_user_costs_one_bcrypt_check_like_a_wrong_password(
    auth_service: AuthService,
    user_factory: UserFactory,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    await user_factory(username="carol")
    checks: list[bytes] = []
    checkpw = bcrypt.checkpw

    def counting_checkpw(password: bytes, hashed: bytes) -> bool:
        checks.append(hashed)
        return checkpw(password, hashed)

    monkeypatch.setattr(bcrypt, "checkpw", counting_checkpw)

    with pytest.raises(InvalidCredentials):
        await auth_service.login("nobody", PASSWORD)
    unknown, checks[:] = list(checks), []
    with pytest.raises(InvalidCredentials):
        await auth_service.login("carol", "wrong password")

    # One check each, at one cost: the two answers take the same work.
    assert len(unknown) == len(checks) == 1
    assert unknown[0][:7] == checks[0][:7] == b"$2b$04$"


async def test_a_login_drops_the_users_expired_refresh_tokens(
    auth_service: AuthService,
    services: Services,
    user_factory: UserFactory,
    refresh_token_factory: RefreshTokenFactory,
) -> None:
    user = await user_factory(username="tidy")
    expired = await refresh_token_factory(user, expires_in=-timedelta(seconds=1))
    live = await refresh_token_factory(user)

    await auth_service.login("tidy", PASSWORD)

    tokens = services.refresh_tokens
    assert await tokens.get_by_hash(hash_refresh_token(expired)) is None
    assert await tokens.get_by_hash(hash_refresh_token(live)) is not None


async def test_rotation_spends_the_token_and_keeps_its_family_and_expiry(
    auth_service: AuthService,
    services: Services,
    user_factory: UserFactory,
    resources: Resources,
) -> None:
    await user_factory(username="hank")
    first = (await auth_service.login("hank", PASSWORD)).refresh_token

    second = (await auth_service.refresh(first)).refresh_token

    tokens = services.refresh_tokens
    old = await tokens.get_by_hash(hash_refresh_token(first))
    new = await tokens.get_by_hash(hash_refresh_token(second))
    assert old is not None
    assert new is not None
    assert old.used_at is not None
    assert new.used_at is None
    assert new.family_id == old.family_id
    assert new.expires_at == old.expires_at
    lifetime = timedelta(days=resources.settings.refresh_token_expire_days)
    assert old.expires_at - datetime.now(UTC) <= lifetime


async def test_replayed_refresh_token_revokes_the_family_but_not_other_logins(
    auth_service: AuthService, user_factory: UserFactory
) -> None:
    await user_factory(username="frank")
    stolen = (await auth_service.login("frank", PASSWORD)).refresh_token
    other_login = (await auth_service.login("frank", PASSWORD)).refresh_token
    newest = (await auth_service.refresh(stolen)).refresh_token

    with pytest.raises(InvalidToken):
        await auth_service.refresh(stolen)
    with pytest.raises(InvalidToken):
        await auth_service.refresh(newest)
    assert await auth_service.refresh(other_login)


async def test_a_refresh_for_a_deactivated_user_is_refused_and_ends_the_login(
    auth_service: AuthService,
    user_service: UserService,
    services: Services,
    user_factory: UserFactory,
    refresh_token_factory: RefreshTokenFactory,
) -> None:
    user = await user_factory(username="judy")
    token = await refresh_token_factory(user)
    # Changed on the row, not through the service: a deactivation there revokes
    # the user's tokens first, and the refresh would never look at the user.
    stored = await user_service.get(user.id)
    stored.is_active = False

    with pytest.raises(InvalidToken):
        await auth_service.refresh(token)

    spent = await services.refresh_tokens.get_by_hash(hash_refresh_token(token))
    assert spent is not None
    assert spent.revoked_at is not None


async def test_logout_without_a_refresh_token_revokes_only_that_access_token(
    auth_service: AuthService, user_factory: UserFactory
) -> None:
    await user_factory(username="leo")
    pair = await auth_service.login("leo", PASSWORD)
    other = await auth_service.login("leo", PASSWORD)

    await auth_service.logout(await auth_service.authenticate(pair.access_token), None)

    with pytest.raises(TokenRevoked):
        await auth_service.authenticate(pair.access_token)
    assert await auth_service.authenticate(other.access_token)
    assert await auth_service.refresh(pair.refresh_token)


async def test_logout_ignores_another_users_refresh_token(
    auth_service: AuthService, user_factory: UserFactory
) -> None:
    await user_factory(username="mallory")
    await user_factory(username="victim")
    mallory = await auth_service.login("mallory", PASSWORD)
    victims = (await auth_service.login("victim", PASSWORD)).refresh_token

    principal = await auth_service.authenticate(mallory.access_token)
    await auth_service.logout(principal, victims)

    assert await auth_service.refresh(victims)


async def test_revoking_a_spent_token_ends_its_login_and_no_other(
    auth_service: AuthService, user_factory: UserFactory
) -> None:
    await user_factory(username="rita")
    first = (await auth_service.login("rita", PASSWORD)).refresh_token
    other_login = (await auth_service.login("rita", PASSWORD)).refresh_token
    second = (await auth_service.refresh(first)).refresh_token

    # The spent token still names its login: revoking it ends the successor too.
    await auth_service.revoke(first)

    with pytest.raises(InvalidToken):
        await auth_service.refresh(second)
    assert await auth_service.refresh(other_login)
