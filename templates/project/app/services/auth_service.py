import logging
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from app.core.exceptions import (
    InvalidCredentials,
    InvalidToken,
    TokenRevoked,
    UserInactive,
)
from app.core.security import (
    AccessClaims,
    PasswordHasher,
    TokenCodec,
    hash_refresh_token,
    new_refresh_token,
)
from app.repositories.token_repository import RefreshTokenRepository, TokenBlacklist
from app.repositories.user_repository import UserRepository
from app.schemas.auth import TokenPair
from app.schemas.user import CachedUser

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Principal:
    """Who a request is authenticated as, and by which access token."""

    user: CachedUser
    claims: AccessClaims


class AuthService:
    def __init__(
        self,
        users: UserRepository,
        refresh_tokens: RefreshTokenRepository,
        blacklist: TokenBlacklist,
        hasher: PasswordHasher,
        codec: TokenCodec,
        refresh_ttl: timedelta,
    ) -> None:
        self.users = users
        self.refresh_tokens = refresh_tokens
        self.blacklist = blacklist
        self.hasher = hasher
        self.codec = codec
        self.refresh_ttl = refresh_ttl

    async def login(self, login: str, password: str) -> TokenPair:
        user = await self.users.get_by_login(login)
        # Unknown users still cost one bcrypt check, so timing tells nothing.
        valid = await self.hasher.verify(
            password, user.hashed_password if user else None
        )
        if user is None or not valid:
            raise InvalidCredentials
        if not user.is_active:
            raise UserInactive
        now = datetime.now(UTC)
        await self.refresh_tokens.purge_expired(user.id, now)
        refresh_token = new_refresh_token()
        await self.refresh_tokens.add(
            user_id=user.id,
            token_hash=hash_refresh_token(refresh_token),
            family_id=uuid.uuid4().hex,
            expires_at=now + self.refresh_ttl,
        )
        return self._pair(user.id, user.token_version, refresh_token)

    async def refresh(self, refresh_token: str) -> TokenPair:
        now = datetime.now(UTC)
        token_hash = hash_refresh_token(refresh_token)
        successor = new_refresh_token()
        rotated = await self.refresh_tokens.rotate(
            token_hash, hash_refresh_token(successor), now
        )
        if rotated is None:
            known = await self.refresh_tokens.get_by_hash(token_hash)
            if known is not None and known.used_at is not None:
                # A spent token came back: it was stolen, or the legitimate
                # client lost a race with the thief. End the whole login.
                logger.warning("refresh token replayed; family revoked")
                await self.refresh_tokens.revoke_family(known.family_id, now)
            raise InvalidToken
        user = await self.users.get_cached(rotated.user_id)
        if user is None or not user.is_active:
            await self.refresh_tokens.revoke_family(rotated.family_id, now)
            raise InvalidToken
        return self._pair(user.id, user.token_version, successor)

    async def logout(self, principal: Principal, refresh_token: str | None) -> None:
        await self.blacklist.revoke(principal.claims.jti, principal.claims.expires_at)
        if refresh_token is None:
            return
        known = await self.refresh_tokens.get_by_hash(hash_refresh_token(refresh_token))
        if known is not None and known.user_id == principal.user.id:
            await self.refresh_tokens.revoke_family(known.family_id, datetime.now(UTC))

    async def authenticate(self, access_token: str) -> Principal:
        """One signature check, one blacklist lookup and one cached user read."""
        claims = self.codec.decode_access_token(access_token)
        if await self.blacklist.is_revoked(claims.jti):
            raise TokenRevoked
        user = await self.users.get_cached(claims.user_id)
        if user is None or not user.is_active:
            raise InvalidToken
        if user.token_version != claims.token_version:
            raise TokenRevoked
        return Principal(user=user, claims=claims)

    def _pair(self, user_id: int, token_version: int, refresh_token: str) -> TokenPair:
        return TokenPair(
            access_token=self.codec.create_access_token(user_id, token_version),
            refresh_token=refresh_token,
            expires_in=int(self.codec.access_ttl.total_seconds()),
        )
