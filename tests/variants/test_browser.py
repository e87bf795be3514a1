"""The default project's API docs, in a real headless Chromium with no network.

The project is served as its README says (servers.serve_as_documented) and
Chromium resolves no host name but the loopback address. Swagger UI at /docs
must render the API and let a user authorize with the login form and call
GET /api/v1/users/me; ReDoc at /redoc must render it too. Every request the
pages make is recorded: none may leave the machine, and the pages'
Content-Security-Policy (no CDN, no inline script) must not have to block
anything they need.

Chromium is Debian's package: with CI=true a missing one fails, elsewhere the
test skips saying how to install it.
"""

from __future__ import annotations

import json
import urllib.parse
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from .browser import CHROMIUM, Page, chromium, chromium_available
from .servers import Worker, serve_as_documented
from .support import IN_CI, SharedVenv, copier_questions, render

USER = {"email": "reader@example.com", "username": "reader", "password": "Correct-Horse-9"}
# ReDoc's sidebar credits its makers with a logo from their CDN; the page's CSP
# blocks it before it is sent, and ReDoc hides the image when it fails.
REDOC_ATTRIBUTION_LOGO = "https://cdn.redoc.ly/redoc/logo-mini.svg"


@pytest.fixture(scope="module")
def server(
    copie_session: Any,
    shared_venv: Callable[[str], SharedVenv],
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Worker]:
    if not chromium_available():
        message = f"no Chromium at {CHROMIUM}: apt-get install chromium"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    project = render(copie_session, {"project_name": "Docs Offline"})
    venv = shared_venv(copier_questions()["python_version"]["default"])
    with serve_as_documented(venv, project, tmp_path_factory.mktemp("served")) as worker:
        registered = worker.call("POST", "/api/v1/auth/register", json_body=USER)
        assert registered.status == 201, registered
        yield worker


@pytest.fixture
def page(tmp_path: Path) -> Iterator[Page]:
    with chromium(tmp_path / "profile") as opened:
        yield opened


def outside_requests(page: Page) -> list[str]:
    """The URLs the page asked for that are not on the loopback address."""
    return [
        url
        for url in page.requested
        if urllib.parse.urlsplit(url).scheme not in {"data", "blob"}
        and urllib.parse.urlsplit(url).hostname != "127.0.0.1"
    ]


def text_of(selector: str) -> str:
    """A JavaScript expression: the text of the first element matching selector."""
    return f"document.querySelector({json.dumps(selector)})?.innerText"


@pytest.mark.variants
def test_swagger_ui_renders_offline_and_authorizes_with_the_login_form(
    server: Worker, page: Page, tmp_path: Path
) -> None:
    base = f"http://127.0.0.1:{server.port}"
    page.goto(f"{base}/docs")
    page.wait_for(text_of(".info .title"), "the API's title")
    assert "Docs Offline" in page.evaluate(text_of(".info .title"))
    operations = page.wait_for("document.querySelectorAll('.opblock').length", "the operations")
    assert operations >= 10

    page.click(".auth-wrapper .btn.authorize")
    page.type_into("#oauth_username", USER["username"])
    page.type_into("#oauth_password", USER["password"])
    page.click(".auth-btn-wrapper .btn.authorize")
    # Swagger UI offers "Logout" once the login form's request returned a token.
    page.wait_for(
        "[...document.querySelectorAll('.auth-btn-wrapper button')]"
        ".some((b) => b.innerText.trim() === 'Logout')",
        "the login to succeed",
    )
    page.click(".auth-btn-wrapper .btn-done")

    me = "#operations-users-read_me_api_v1_users_me_get"
    page.click(f"{me} .opblock-summary-control")
    page.click(f"{me} .try-out__btn")
    page.click(f"{me} .execute")
    answer = f"{me} .live-responses-table"
    status = page.wait_for(text_of(f"{answer} tr.response .response-col_status"), "the status")
    body = page.wait_for(text_of(f"{answer} .response-col_description .microlight"), "the body")
    shot = page.screenshot(tmp_path / "swagger-ui.png")

    assert status.strip() == "200", shot
    assert json.loads(body)["username"] == USER["username"]
    assert f"{base}/api/v1/auth/login" in page.requested
    assert outside_requests(page) == []
    assert page.blocked == {}
    assert page.csp_violations() == []


@pytest.mark.variants
def test_redoc_renders_offline(server: Worker, page: Page, tmp_path: Path) -> None:
    page.goto(f"http://127.0.0.1:{server.port}/redoc")
    title = page.wait_for(text_of(".api-info h1"), "the API's title")
    menu = page.wait_for(text_of("[role=navigation], .menu-content"), "the menu")
    page.wait_for(text_of("[data-section-id='tag/auth']"), "the auth section")
    shot = page.screenshot(tmp_path / "redoc.png")

    assert "Docs Offline" in title, shot
    assert {"auth", "users"} <= set(menu.lower().split()), menu
    assert outside_requests(page) in ([], [REDOC_ATTRIBUTION_LOGO])
    assert {url: page.blocked.get(url) for url in outside_requests(page)} == {
        url: "csp" for url in outside_requests(page)
    }
    assert page.csp_violations() in ([], [f"img-src {REDOC_ATTRIBUTION_LOGO}"])
