from typing import Literal

from pydantic import BaseModel

from app.schemas.common import Text


class TokenPair(BaseModel):
    access_token: str
    refresh_token: str
    token_type: Literal["bearer"] = "bearer"  # noqa: S105 (the OAuth2 scheme)
    expires_in: int


class LoginForm(BaseModel):
    """The OAuth2 password form; `username` takes an email or a username. Other
    fields of the OAuth2 form (grant_type, scope, client_id) are ignored."""

    username: Text
    password: Text


class RefreshRequest(BaseModel):
    refresh_token: Text


class LogoutRequest(BaseModel):
    refresh_token: Text | None = None
