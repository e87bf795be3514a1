"""A verified access token is remembered, so PyJWT checks its signature once in
its life; its expiry is still checked on every use."""

from dataclasses import dataclass

import jwt
import pytest

from app.core.exceptions import InvalidToken
from app.core.security import TokenCodec
from tests.conftest import make_settings


@dataclass(frozen=True)
class Subject:
    id: int = 7
    token_version: int = 0
    token_key: str = "k" * 32


@pytest.fixture
def verified(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The tokens PyJWT verified, in order."""
    calls: list[str] = []
    decode = jwt.decode

    def counting_decode(token: str, *args: object, **kwargs: object) -> object:
        calls.append(token)
        return decode(token, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(jwt, "decode", counting_decode)
    return calls


def test_a_token_is_verified_once_while_it_lives(
    database_url: str, verified: list[str]
) -> None:
    codec = TokenCodec(make_settings(database_url))
    token = codec.create_access_token(Subject())

    first = codec.decode_access_token(token)

    assert codec.decode_access_token(token) == first
    assert first.user_id == Subject.id
    assert verified == [token]


def test_a_remembered_token_still_expires(
    database_url: str, verified: list[str]
) -> None:
    now = 0.0
    codec = TokenCodec(make_settings(database_url), clock=lambda: now)
    token = codec.create_access_token(Subject())
    claims = codec.decode_access_token(token)

    now = claims.expires_at.timestamp() - 1
    assert codec.decode_access_token(token) == claims
    now = claims.expires_at.timestamp()
    with pytest.raises(InvalidToken):
        codec.decode_access_token(token)
    assert verified == [token]


def test_a_refused_token_is_checked_again_each_time(
    database_url: str, verified: list[str]
) -> None:
    codec = TokenCodec(make_settings(database_url))
    forger = TokenCodec(make_settings(database_url, secret_key="f" * 64))
    forged = forger.create_access_token(Subject())

    for _ in range(2):
        with pytest.raises(InvalidToken):
            codec.decode_access_token(forged)
    assert verified == [forged, forged]


def test_the_oldest_remembered_token_makes_room(
    database_url: str, verified: list[str]
) -> None:
    codec = TokenCodec(make_settings(database_url), keep=2)
    first, second, third = (codec.create_access_token(Subject()) for _ in range(3))

    for token in (first, second, third, third, first):
        codec.decode_access_token(token)

    assert verified == [first, second, third, first]
