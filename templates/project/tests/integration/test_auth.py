import asyncio
from typing import Any

import httpx
import jwt
import pytest

from app.core.resources import Resources
from tests.conftest import PASSWORD, UserFactory
from tests.integration.conftest import login


async def test_user_registration_flow(client: httpx.AsyncClient) -> None:
    # Register
    response = await client.post(
        "/api/v1/auth/register",
        json={
            "email": "newuser@example.com",
            "username": "newuser",
            "password": "NewUser123!",
        },
    )
    assert response.status_code == 201

    # Login
    response = await client.post(
        "/api/v1/auth/login",
        data={"username": "newuser@example.com", "password": "NewUser123!"},
    )
    assert response.status_code == 200
    token = response.json()["access_token"]

    # Access protected route
    response = await client.get(
        "/api/v1/users/me", headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code == 200


async def test_register_returns_the_user_without_any_password(
    client: httpx.AsyncClient,
) -> None:
    response = await client.post(
        "/api/v1/auth/register",
        json={"email": "Ann@Example.com", "username": "ann", "password": PASSWORD},
    )
    assert response.status_code == 201
    body = response.json()
    assert body["email"] == "ann@example.com"
    assert body["is_admin"] is False
    assert not {"password", "hashed_password"} & body.keys()


async def test_register_ignores_is_admin(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/api/v1/auth/register",
        json={
            "email": "eve@example.com",
            "username": "eve",
            "password": PASSWORD,
            "is_admin": True,
        },
    )
    assert response.json()["is_admin"] is False


async def test_register_refuses_a_taken_email_or_username(
    client: httpx.AsyncClient, user_factory: UserFactory
) -> None:
    await user_factory(email="taken@example.com", username="taken")
    same_email = {
        "email": "TAKEN@example.com",
        "username": "other",
        "password": PASSWORD,
    }
    same_name = {
        "email": "other@example.com",
        "username": "taken",
        "password": PASSWORD,
    }

    first = await client.post("/api/v1/auth/register", json=same_email)
    second = await client.post("/api/v1/auth/register", json=same_name)

    assert (first.status_code, first.json()["error"]) == (409, "EMAIL_ALREADY_EXISTS")
    assert (second.status_code, second.json()["error"]) == (
        409,
        "USERNAME_ALREADY_EXISTS",
    )


async def test_register_validates_email_username_and_password(
    client: httpx.AsyncClient,
) -> None:
    bad = [
        {"email": "not-an-email", "username": "valid", "password": PASSWORD},
        {"email": "a@example.com", "username": "no spaces", "password": PASSWORD},
        {"email": "a@example.com", "username": "ab", "password": PASSWORD},
        {"email": "a@example.com", "username": "valid", "password": "7chars!"},
        {"email": "a@example.com", "username": "valid", "password": "é" * 37},
    ]
    for body in bad:
        response = await client.post("/api/v1/auth/register", json=body)
        assert response.status_code == 422, body
        error = response.json()
        assert error["error"] == "VALIDATION_ERROR"
        assert isinstance(error["detail"], list)
        assert PASSWORD not in response.text


async def test_register_accepts_a_long_lowercase_passphrase(
    client: httpx.AsyncClient,
) -> None:
    response = await client.post(
        "/api/v1/auth/register",
        json={
            "email": "p@example.com",
            "username": "phrase",
            "password": "x" * 72,
        },
    )
    assert response.status_code == 201


async def test_login_by_email_or_username_returns_a_token_pair(
    client: httpx.AsyncClient, user_factory: UserFactory, resources: Resources
) -> None:
    await user_factory(email="bob@example.com", username="bob")

    by_email = await login(client, "BOB@example.com")
    by_name = await login(client, "bob")

    assert by_email.status_code == by_name.status_code == 200
    body = by_email.json()
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == resources.settings.access_token_expire_minutes * 60
    assert body["refresh_token"] != by_name.json()["refresh_token"]
    assert by_email.headers["Cache-Control"] == "no-store"


async def test_login_takes_json_as_well_as_the_form(
    client: httpx.AsyncClient, user_factory: UserFactory
) -> None:
    await user_factory(username="jason")

    response = await client.post(
        "/api/v1/auth/login", json={"username": "jason", "password": PASSWORD}
    )

    assert response.status_code == 200
    assert response.json()["token_type"] == "bearer"


@pytest.mark.parametrize(
    ("request_body", "loc"),
    [
        ({"json": {"username": "jason"}}, ["body", "password"]),
        ({"data": {"username": "jason"}}, ["body", "password"]),
        (
            {"content": b"{not json", "headers": {"Content-Type": "application/json"}},
            ["body"],
        ),
    ],
    ids=["json", "form", "broken-json"],
)
async def test_a_login_body_missing_a_field_is_a_422_naming_it(
    client: httpx.AsyncClient, request_body: dict[str, Any], loc: list[str]
) -> None:
    response = await client.post("/api/v1/auth/login", **request_body)

    assert response.status_code == 422
    assert response.json()["error"] == "VALIDATION_ERROR"
    assert [error["loc"] for error in response.json()["detail"]] == [loc]


async def test_openapi_documents_both_login_bodies(client: httpx.AsyncClient) -> None:
    schema = (await client.get("/openapi.json")).json()

    login_body = schema["paths"]["/api/v1/auth/login"]["post"]["requestBody"]
    assert list(login_body["content"]) == [
        "application/x-www-form-urlencoded",
        "application/json",
    ]
    password_flow = schema["components"]["securitySchemes"]["OAuth2PasswordBearer"]
    assert password_flow["flows"]["password"]["tokenUrl"] == "/api/v1/auth/login"


async def test_unknown_user_and_wrong_password_get_the_same_answer(
    client: httpx.AsyncClient, user_factory: UserFactory
) -> None:
    await user_factory(username="carol")

    unknown = await login(client, "nobody", PASSWORD)
    wrong = await login(client, "carol", "wrong password")

    assert unknown.status_code == wrong.status_code == 401
    assert unknown.json()["error"] == wrong.json()["error"] == "INVALID_CREDENTIALS"
    assert unknown.json()["detail"] == wrong.json()["detail"]
    assert unknown.headers["WWW-Authenticate"] == "Bearer"


async def test_login_with_a_password_over_72_bytes_is_401_not_500(
    client: httpx.AsyncClient, user_factory: UserFactory
) -> None:
    await user_factory(username="dave")

    response = await login(client, "dave", "a" * 100)

    assert response.status_code == 401
    assert response.json()["error"] == "INVALID_CREDENTIALS"


async def test_inactive_user_with_the_right_password_gets_403(
    client: httpx.AsyncClient, user_factory: UserFactory
) -> None:
    await user_factory(username="frozen", is_active=False)

    response = await login(client, "frozen")

    assert response.status_code == 403
    assert response.json()["error"] == "USER_INACTIVE"


async def test_refresh_returns_a_new_pair_and_spends_the_old_token(
    client: httpx.AsyncClient, user_factory: UserFactory
) -> None:
    await user_factory(username="erin")
    first = (await login(client, "erin")).json()

    response = await client.post(
        "/api/v1/auth/refresh", json={"refresh_token": first["refresh_token"]}
    )

    assert response.status_code == 200
    second = response.json()
    assert second["refresh_token"] != first["refresh_token"]
    me = await client.get(
        "/api/v1/users/me",
        headers={"Authorization": f"Bearer {second['access_token']}"},
    )
    assert me.status_code == 200


async def test_concurrent_refreshes_with_one_token_let_exactly_one_win(
    client: httpx.AsyncClient, user_factory: UserFactory
) -> None:
    await user_factory(username="gina")
    token = (await login(client, "gina")).json()["refresh_token"]

    responses = await asyncio.gather(
        *(
            client.post("/api/v1/auth/refresh", json={"refresh_token": token})
            for _ in range(2)
        )
    )

    assert sorted(r.status_code for r in responses) == [200, 401]


async def test_unknown_or_access_token_on_refresh_is_401(
    client: httpx.AsyncClient, user_factory: UserFactory
) -> None:
    await user_factory(username="ivan")
    pair = (await login(client, "ivan")).json()

    access = await client.post(
        "/api/v1/auth/refresh", json={"refresh_token": pair["access_token"]}
    )
    unknown = await client.post(
        "/api/v1/auth/refresh", json={"refresh_token": "made-up"}
    )

    assert access.status_code == unknown.status_code == 401


async def test_logout_revokes_the_access_token_and_the_refresh_family(
    client: httpx.AsyncClient, user_factory: UserFactory
) -> None:
    await user_factory(username="kate")
    pair = (await login(client, "kate")).json()
    headers = {"Authorization": f"Bearer {pair['access_token']}"}

    response = await client.post(
        "/api/v1/auth/logout",
        json={"refresh_token": pair["refresh_token"]},
        headers=headers,
    )

    assert response.status_code == 204
    me = await client.get("/api/v1/users/me", headers=headers)
    assert me.status_code == 401
    assert me.json()["error"] == "TOKEN_REVOKED"
    refresh = await client.post(
        "/api/v1/auth/refresh", json={"refresh_token": pair["refresh_token"]}
    )
    assert refresh.status_code == 401


async def test_revoke_answers_an_unknown_token_as_a_known_one(
    client: httpx.AsyncClient, user_factory: UserFactory
) -> None:
    await user_factory(username="sam")
    known = (await login(client, "sam")).json()["refresh_token"]

    answers = [
        await client.post("/api/v1/auth/revoke", json={"refresh_token": token})
        for token in (known, "never-issued", known)
    ]

    assert {(answer.status_code, answer.content) for answer in answers} == {(204, b"")}


async def test_an_access_token_lives_as_long_as_the_settings_say(
    client: httpx.AsyncClient, user_factory: UserFactory, resources: Resources
) -> None:
    await user_factory(username="clock")
    token = (await login(client, "clock")).json()["access_token"]

    settings = resources.settings
    claims = jwt.decode(
        token,
        settings.secret_key,
        algorithms=[settings.jwt_algorithm],
        audience=settings.jwt_audience,
        issuer=settings.jwt_issuer,
    )

    assert claims["exp"] - claims["iat"] == settings.access_token_expire_minutes * 60
