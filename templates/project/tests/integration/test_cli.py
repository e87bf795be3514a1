"""`python -m app.cli create-admin`."""

import asyncio
from collections.abc import Iterator

import pytest
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import create_async_engine

from app.cli import main
from app.core.config import get_settings
from app.models import User
from tests.conftest import PASSWORD, make_settings


@pytest.fixture
def cli_env(database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The CLI reads its settings from the environment, like the app."""
    for name, value in make_settings(database_url).model_dump().items():
        if isinstance(value, list):
            value = ",".join(value)
        monkeypatch.setenv(name.upper(), str(value))
    monkeypatch.setenv("ADMIN_PASSWORD", PASSWORD)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


async def deactivate(database_url: str, email: str) -> None:
    engine = create_async_engine(database_url)
    async with engine.begin() as connection:
        await connection.execute(
            update(User).where(User.email == email).values(is_active=False)
        )
    await engine.dispose()


def stored_user(database_url: str, email: str) -> User | None:
    async def fetch() -> User | None:
        engine = create_async_engine(database_url)
        async with engine.connect() as connection:
            row = (
                await connection.execute(select(User).where(User.email == email))
            ).first()
        await engine.dispose()
        return None if row is None else User(**row._asdict())

    return asyncio.run(fetch())


@pytest.mark.usefixtures("cli_env")
def test_create_admin_creates_an_admin(
    database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["create-admin", "--email", "Root@Example.com", "--username", "root"])

    assert code == 0
    assert "Created admin root@example.com" in capsys.readouterr().out
    user = stored_user(database_url, "root@example.com")
    assert user is not None
    assert user.is_admin
    assert user.hashed_password.startswith("$2b$")


@pytest.mark.usefixtures("cli_env")
def test_create_admin_promotes_an_existing_user(
    database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    main(["create-admin", "--email", "promo@example.com", "--username", "promo"])
    stored = stored_user(database_url, "promo@example.com")
    assert stored is not None

    code = main(["create-admin", "--email", "promo@example.com", "--username", "x"])

    assert code == 0
    assert "Promoted promo@example.com" in capsys.readouterr().out


@pytest.mark.usefixtures("cli_env")
def test_create_admin_reactivates_an_existing_user_without_asking_a_password(
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    main(["create-admin", "--email", "old@example.com", "--username", "old"])
    asyncio.run(deactivate(database_url, "old@example.com"))
    monkeypatch.delenv("ADMIN_PASSWORD")
    prompts: list[str] = []
    monkeypatch.setattr("getpass.getpass", prompts.append)

    code = main(["create-admin", "--email", "old@example.com", "--username", "old"])

    assert code == 0
    assert prompts == []
    assert "Promoted and reactivated old@example.com" in capsys.readouterr().out
    user = stored_user(database_url, "old@example.com")
    assert user is not None
    assert user.is_admin
    assert user.is_active


@pytest.mark.usefixtures("cli_env")
def test_create_admin_prompts_for_the_password_without_the_variable(
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.delenv("ADMIN_PASSWORD")
    prompts = []

    def fake_getpass(prompt: str) -> str:
        prompts.append(prompt)
        return PASSWORD

    monkeypatch.setattr("getpass.getpass", fake_getpass)

    assert (
        main(["create-admin", "--email", "p@example.com", "--username", "prompted"])
        == 0
    )
    assert len(prompts) == 2
    assert "at least 8 characters and at most 72 bytes" in capsys.readouterr().out
    assert stored_user(database_url, "p@example.com") is not None


@pytest.mark.usefixtures("cli_env")
def test_create_admin_stops_when_the_passwords_differ(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("ADMIN_PASSWORD")
    answers = iter(["first password", "second password"])
    monkeypatch.setattr("getpass.getpass", lambda _: next(answers))

    with pytest.raises(SystemExit, match="do not match"):
        main(["create-admin", "--email", "p@example.com", "--username", "prompted"])


@pytest.mark.usefixtures("cli_env")
def test_create_admin_refuses_a_weak_password(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("ADMIN_PASSWORD", "short")

    code = main(["create-admin", "--email", "w@example.com", "--username", "weak"])

    assert code == 2
    assert capsys.readouterr().err == (
        "ADMIN_PASSWORD: the password needs at least 8 characters, not 5\n"
    )


@pytest.mark.usefixtures("cli_env")
def test_create_admin_says_the_password_rule_at_the_first_answer(
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.delenv("ADMIN_PASSWORD")
    answers = iter(["short", "é" * 40, PASSWORD, PASSWORD])
    prompts: list[str] = []

    def fake_getpass(prompt: str) -> str:
        prompts.append(prompt)
        return next(answers)

    monkeypatch.setattr("getpass.getpass", fake_getpass)

    code = main(["create-admin", "--email", "r@example.com", "--username", "ruled"])

    assert code == 0
    assert prompts == ["Password: ", "Password: ", "Password: ", "Repeat password: "]
    assert capsys.readouterr().err.splitlines() == [
        "the password needs at least 8 characters, not 5; try again",
        "the password may have at most 72 bytes (UTF-8), not 80; try again",
    ]
    assert stored_user(database_url, "r@example.com") is not None


@pytest.mark.usefixtures("cli_env")
def test_create_admin_gives_up_after_three_unusable_passwords(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("ADMIN_PASSWORD")
    monkeypatch.setattr("getpass.getpass", lambda _: "short")

    code = main(["create-admin", "--email", "g@example.com", "--username", "gives"])

    assert code == 2
    assert capsys.readouterr().err.splitlines()[-1] == (
        "the password needs at least 8 characters, not 5 (3 tries)"
    )


@pytest.mark.usefixtures("cli_env")
def test_create_admin_refuses_a_taken_username(
    capsys: pytest.CaptureFixture[str],
) -> None:
    main(["create-admin", "--email", "one@example.com", "--username", "same"])

    code = main(["create-admin", "--email", "two@example.com", "--username", "same"])

    assert code == 2
    assert "Username already taken" in capsys.readouterr().err
