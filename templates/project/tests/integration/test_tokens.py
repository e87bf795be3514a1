"""Forged, altered and misused access tokens are all refused with 401."""

import base64
import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import jwt
import pytest

from app.models import User
from tests.conftest import AUDIENCE, ISSUER, SECRET_KEY, UserFactory
from tests.integration.conftest import login

ME = "/api/v1/users/me"


def claims_for(user: User, **changes: Any) -> dict[str, Any]:
    now = datetime.now(UTC)
    claims: dict[str, Any] = {
        "sub": str(user.id),
        "iat": now,
        "nbf": now,
        "exp": now + timedelta(minutes=5),
        "jti": uuid.uuid4().hex,
        "iss": ISSUER,
        "aud": AUDIENCE,
        "type": "access",
        "ver": user.token_version,
        "tkey": user.token_key,
    }
    claims.update(changes)
    return {key: value for key, value in claims.items() if value is not None}


def b64(data: dict[str, Any]) -> str:
    raw = json.dumps(data, default=str).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


async def status_with(client: httpx.AsyncClient, token: str) -> int:
    response = await client.get(ME, headers={"Authorization": f"Bearer {token}"})
    if response.status_code == 401:
        assert response.json()["error"] in {"INVALID_TOKEN", "TOKEN_REVOKED"}
    return response.status_code


@pytest.fixture
async def user(user_factory: UserFactory) -> User:
    return await user_factory(username="target")


async def test_a_well_formed_token_is_accepted(
    client: httpx.AsyncClient, user: User
) -> None:
    assert await status_with(client, jwt.encode(claims_for(user), SECRET_KEY)) == 200


async def test_a_token_naming_the_right_id_but_another_identity_is_refused(
    client: httpx.AsyncClient, user: User
) -> None:
    # What a deleted user's token looks like once its id names someone else.
    token = jwt.encode(claims_for(user, tkey=uuid.uuid4().hex), SECRET_KEY)

    assert await status_with(client, token) == 401


async def test_a_token_without_the_identity_key_is_refused(
    client: httpx.AsyncClient, user: User
) -> None:
    token = jwt.encode(claims_for(user, tkey=None), SECRET_KEY)

    assert await status_with(client, token) == 401


async def test_alg_none_is_refused(client: httpx.AsyncClient, user: User) -> None:
    token = f"{b64({'alg': 'none', 'typ': 'JWT'})}.{b64(claims_for(user))}."
    assert await status_with(client, token) == 401


async def test_another_algorithm_than_the_configured_one_is_refused(
    client: httpx.AsyncClient, user: User
) -> None:
    token = jwt.encode(claims_for(user), SECRET_KEY, algorithm="HS512")
    assert await status_with(client, token) == 401


async def test_an_edited_payload_under_the_old_signature_is_refused(
    client: httpx.AsyncClient, user: User
) -> None:
    header, _, signature = jwt.encode(claims_for(user), SECRET_KEY).split(".")
    forged = b64({**claims_for(user), "is_admin": True, "sub": "1"})
    assert await status_with(client, f"{header}.{forged}.{signature}") == 401


async def test_a_token_signed_with_another_key_is_refused(
    client: httpx.AsyncClient, user: User
) -> None:
    token = jwt.encode(claims_for(user), "another-key-" + "k" * 40)
    assert await status_with(client, token) == 401


# Offsets, not instants: the instant is taken when the test runs, however long
# the suite has been running since collection.
@pytest.mark.parametrize(
    ("claim", "offset"),
    [
        ("exp", timedelta(seconds=-1)),
        ("nbf", timedelta(minutes=1)),
        ("iat", timedelta(minutes=1)),
    ],
    ids=["expired", "not-yet-valid", "issued-in-the-future"],
)
async def test_tokens_outside_their_lifetime_are_refused(
    client: httpx.AsyncClient, user: User, claim: str, offset: timedelta
) -> None:
    claims = claims_for(user, **{claim: datetime.now(UTC) + offset})
    assert await status_with(client, jwt.encode(claims, SECRET_KEY)) == 401


@pytest.mark.parametrize(
    "claim", ["exp", "iat", "nbf", "jti", "sub", "iss", "aud", "type", "ver", "tkey"]
)
async def test_a_token_missing_a_required_claim_is_refused(
    client: httpx.AsyncClient, user: User, claim: str
) -> None:
    claims = claims_for(user)
    del claims[claim]
    assert await status_with(client, jwt.encode(claims, SECRET_KEY)) == 401


@pytest.mark.parametrize(
    "changes",
    [
        {"iss": "someone-else"},
        {"aud": "another-api"},
        {"type": "refresh"},
        {"sub": "not-a-number"},
        {"sub": "999999"},
    ],
    ids=["issuer", "audience", "type", "subject", "unknown-user"],
)
async def test_wrong_issuer_audience_type_or_subject_is_refused(
    client: httpx.AsyncClient, user: User, changes: dict[str, Any]
) -> None:
    assert (
        await status_with(client, jwt.encode(claims_for(user, **changes), SECRET_KEY))
        == 401
    )


@pytest.mark.parametrize(
    "header",
    [
        {"jwk": {"kty": "oct", "k": "a2V5"}},
        {"jku": "https://attacker.example/jwks.json"},
        {"x5u": "https://attacker.example/cert.pem"},
        {"kid": "https://attacker.example/key"},
    ],
    ids=["jwk", "jku", "x5u", "kid"],
)
async def test_key_naming_headers_are_refused(
    client: httpx.AsyncClient, user: User, header: dict[str, Any]
) -> None:
    token = jwt.encode(claims_for(user), SECRET_KEY, headers=header)
    assert await status_with(client, token) == 401


async def test_a_token_of_an_older_version_is_revoked(
    client: httpx.AsyncClient, user: User
) -> None:
    token = jwt.encode(claims_for(user, ver=user.token_version - 1), SECRET_KEY)
    assert await status_with(client, token) == 401


async def test_a_refresh_token_is_not_a_bearer_token(
    client: httpx.AsyncClient, user: User
) -> None:
    refresh_token = (await login(client, "target")).json()["refresh_token"]
    assert await status_with(client, refresh_token) == 401


async def test_garbage_is_refused(client: httpx.AsyncClient, user: User) -> None:
    assert await status_with(client, "not.a.jwt") == 401


async def test_no_token_gets_401_with_www_authenticate(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get(ME)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == "Bearer"
    assert response.json()["error"] == "NOT_AUTHENTICATED"
