"""Command line: `python -m app.cli create-admin --email E --username U`."""

import argparse
import asyncio
import getpass
import os
import sys
from collections.abc import Callable, Sequence

from pydantic import ValidationError

from app.core.config import Settings, get_settings
from app.core.exceptions import AppException
from app.core.resources import Resources
from app.core.security import BCRYPT_MAX_BYTES, password_fits_bcrypt
from app.repositories.token_repository import RefreshTokenRepository
from app.repositories.user_repository import UserRepository
from app.schemas.user import PASSWORD_MIN_LENGTH, UserAdminCreate, UserUpdate
from app.services.user_service import UserService


async def create_admin(
    settings: Settings, email: str, username: str, read_password: Callable[[], str]
) -> str:
    """Create an admin, or promote (and reactivate) the existing user with this
    email; the password is read only to create one."""
    resources = Resources.from_settings(settings)
    try:
        async with resources.sessions() as session:
            users = UserService(
                UserRepository(
                    session, resources.user_cache, settings.user_cache_ttl_seconds
                ),
                RefreshTokenRepository(session),
                resources.hasher,
            )
            existing = await users.find_by_email(email.lower())
            if existing is not None:
                was_active = existing.is_active
                await users.update(existing, UserUpdate(is_admin=True, is_active=True))
                reactivated = "" if was_active else " and reactivated"
                return f"Promoted{reactivated} {existing.email} to admin"
            data = UserAdminCreate(
                email=email, username=username, password=read_password(), is_admin=True
            )
            user = await users.create(data)
            return f"Created admin {user.email}"
    finally:
        await resources.close()


# Answers to the password prompt before create-admin gives up.
PASSWORD_ATTEMPTS = 3


class PasswordRefused(Exception):
    """The password breaks a rule (said in words)."""


def password_problem(password: str) -> str | None:
    """The rule a password breaks, in words, or None when it keeps them all."""
    if len(password) < PASSWORD_MIN_LENGTH:
        return (
            f"the password needs at least {PASSWORD_MIN_LENGTH} characters,"
            f" not {len(password)}"
        )
    if not password_fits_bcrypt(password):
        return (
            f"the password may have at most {BCRYPT_MAX_BYTES} bytes (UTF-8),"
            f" not {len(password.encode())}"
        )
    return None


def _read_password() -> str:
    # Never an argument: it would stay in the shell history and the process list.
    if password := os.environ.get("ADMIN_PASSWORD"):
        if problem := password_problem(password):
            raise PasswordRefused(f"ADMIN_PASSWORD: {problem}")
        return password
    print(
        f"The password needs at least {PASSWORD_MIN_LENGTH} characters"
        f" and at most {BCRYPT_MAX_BYTES} bytes."
    )
    problem = None
    for _ in range(PASSWORD_ATTEMPTS):
        password = getpass.getpass("Password: ")
        # Said at once: asking to repeat a password that cannot be used wastes it.
        if problem := password_problem(password):
            print(f"{problem}; try again", file=sys.stderr)
            continue
        if getpass.getpass("Repeat password: ") != password:
            raise SystemExit("Passwords do not match")
        return password
    raise PasswordRefused(f"{problem} ({PASSWORD_ATTEMPTS} tries)")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m app.cli")
    commands = parser.add_subparsers(dest="command", required=True)
    create = commands.add_parser(
        "create-admin",
        help="create an admin, or promote the user with this email",
        description="The password of a new admin is read from ADMIN_PASSWORD,"
        " else prompted for; an existing user keeps theirs.",
    )
    create.add_argument("--email", required=True)
    create.add_argument("--username", required=True)
    args = parser.parse_args(argv)

    try:
        message = asyncio.run(
            create_admin(get_settings(), args.email, args.username, _read_password)
        )
    except ValidationError as exc:
        for error in exc.errors():
            field = ".".join(str(part) for part in error["loc"])
            print(f"{field}: {error['msg']}", file=sys.stderr)
        return 2
    except AppException as exc:
        print(exc.detail, file=sys.stderr)
        return 2
    except PasswordRefused as exc:
        print(exc, file=sys.stderr)
        return 2
    print(message)
    return 0


if __name__ == "__main__":
    sys.exit(main())
