"""Token attacks, black-box: forged, altered and replayed tokens get 401.

Tokens are forged by hand (base64url + HMAC), so the suite depends on no JWT
library and can sign what a careful library would refuse to (`alg: none`).
Each forgery starts from the claims of a token the app itself issued; a
re-signed copy of those claims is accepted (the control), so every 401 below
comes from the one change the case makes.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from .apps import SECRET_KEY, ServedApp, User

ME = "/api/v1/users/me"
REFRESH = "/api/v1/auth/refresh"
CONCURRENT_REFRESHES = 20


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(part: str) -> Any:
    return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))


def forge(header: dict[str, Any], claims: dict[str, Any], key: str = SECRET_KEY) -> str:
    signing_input = f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(claims).encode())}"
    digest = {"HS256": hashlib.sha256, "HS384": hashlib.sha384, "HS512": hashlib.sha512}
    algorithm = header.get("alg", "none")
    if algorithm == "none":
        return f"{signing_input}."
    mac = hmac.new(key.encode(), signing_input.encode(), digest[algorithm]).digest()
    return f"{signing_input}.{_b64(mac)}"


def issued(user: User) -> tuple[dict[str, Any], dict[str, Any]]:
    """The header and claims of the access token the app gave `user`."""
    header, claims, _ = user.access.split(".")
    return _unb64(header), _unb64(claims)


def _status_with(user: User, token: str) -> int:
    return user.call("GET", ME, token=token).status


def test_resigned_copy_of_an_issued_token_is_accepted(any_app: ServedApp) -> None:
    """The control: the forger makes tokens the app accepts."""
    user = any_app.new_user("control")
    header, claims = issued(user)
    assert header["alg"] == "HS256"
    assert _status_with(user, forge(header, claims)) == 200


def _altered(user: User, case: str) -> str:
    header, claims = issued(user)
    now = int(time.time())
    if case == "alg none":
        return forge({**header, "alg": "none"}, claims)
    if case == "alg none, signature kept":
        return forge({**header, "alg": "none"}, claims) + user.access.rsplit(".", 1)[1]
    if case == "wrong key":
        return forge(header, claims, key=SECRET_KEY[::-1])
    if case in {"HS384", "HS512"}:
        return forge({**header, "alg": case}, claims)
    if case == "payload edited under the old signature":
        edited = forge(header, {**claims, "is_admin": True})
        return edited.rsplit(".", 1)[0] + "." + user.access.rsplit(".", 1)[1]
    if case == "expired":
        return forge(header, {**claims, "iat": now - 3600, "nbf": now - 3600, "exp": now - 60})
    if case == "nbf in the future":
        return forge(header, {**claims, "nbf": now + 3600})
    if case == "iat in the future":
        return forge(header, {**claims, "iat": now + 3600})
    if case == "wrong issuer":
        return forge(header, {**claims, "iss": "someone-else"})
    if case == "wrong audience":
        return forge(header, {**claims, "aud": "someone-else-api"})
    if case == "type refresh":
        return forge(header, {**claims, "type": "refresh"})
    if case.startswith("header "):
        name = case.removeprefix("header ")
        return forge({**header, name: "https://attacker.example/key"}, claims)
    raise AssertionError(case)


ALTERATIONS = [
    "alg none",
    "alg none, signature kept",
    "wrong key",
    "HS384",
    "HS512",
    "payload edited under the old signature",
    "expired",
    "nbf in the future",
    "iat in the future",
    "wrong issuer",
    "wrong audience",
    "type refresh",
    "header jwk",
    "header jku",
    "header x5u",
]


@pytest.mark.parametrize("case", ALTERATIONS)
def test_altered_token_is_refused(any_app: ServedApp, case: str) -> None:
    user = any_app.new_user("altered")
    refused = user.call("GET", ME, token=_altered(user, case))
    assert refused.status == 401, (case, refused)
    assert refused.body["error"] in {"INVALID_TOKEN", "NOT_AUTHENTICATED"}, refused
    assert refused.headers.get("WWW-Authenticate") == "Bearer"


def test_token_missing_any_claim_is_refused(any_app: ServedApp, record_property: Any) -> None:
    user = any_app.new_user("claims")
    header, claims = issued(user)
    assert {"sub", "exp", "iat", "jti", "iss", "aud"} <= claims.keys(), claims
    statuses = {
        name: _status_with(user, forge(header, {k: v for k, v in claims.items() if k != name}))
        for name in claims
    }
    record_property("cases", len(statuses))
    assert statuses == dict.fromkeys(claims, 401)


def test_refresh_token_as_bearer_and_access_token_as_refresh_are_refused(
    any_app: ServedApp,
) -> None:
    user = any_app.new_user("swap")
    assert _status_with(user, user.refresh) == 401
    swapped = user.call("POST", REFRESH, json_body={"refresh_token": user.access})
    assert swapped.status == 401, swapped


def test_replayed_refresh_token_revokes_its_family_only(any_app: ServedApp) -> None:
    user = any_app.new_user("replay")
    other_login = any_app.login(user.name)
    first = user.call("POST", REFRESH, json_body={"refresh_token": user.refresh})
    assert first.status == 200, first
    newest = first.body["refresh_token"]
    assert newest != user.refresh

    replayed = user.call("POST", REFRESH, json_body={"refresh_token": user.refresh})
    assert replayed.status == 401, replayed
    descendant = user.call("POST", REFRESH, json_body={"refresh_token": newest})
    assert descendant.status == 401, descendant
    unrelated = other_login.call("POST", REFRESH, json_body={"refresh_token": other_login.refresh})
    assert unrelated.status == 200, unrelated


def test_concurrent_refreshes_of_one_token_have_one_winner(any_app: ServedApp) -> None:
    user = any_app.new_user("racer")
    clients = [any_app.client(n % len(any_app.workers)) for n in range(CONCURRENT_REFRESHES)]
    with ThreadPoolExecutor(CONCURRENT_REFRESHES) as pool:
        answers = list(
            pool.map(
                lambda c: c.call("POST", REFRESH, json_body={"refresh_token": user.refresh}),
                clients,
            )
        )
    statuses = sorted(answer.status for answer in answers)
    assert statuses == [200] + [401] * (CONCURRENT_REFRESHES - 1), statuses
