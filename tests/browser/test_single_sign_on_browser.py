"""Single sign-on in a real Chromium, against a local OpenID provider the test starts
(``oidc-provider-mock``, on a free loopback port; never a real provider).

Stride runs as ``stride run`` serves it (``asgi.py``) with ``STRIDE_AUTH=oidc`` and its own
``secrets.toml`` (``--secrets.files``: the project's ``.streamlit/`` is not touched, and nothing
leaks between tests). A deep link opened signed out goes through the school's sign-in and comes
back to itself, signed in as the account an instructor created by e-mail; a reload keeps the
sign-in; sign-out ends both sessions. With ``STRIDE_OIDC_NEW_ACCOUNTS=refuse`` an unknown school
account is refused with the reason.
"""

from __future__ import annotations

import json
import re
import secrets
import threading
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from oidc_provider_mock import app as provider_app
from playwright.sync_api import Page, expect
from sqlalchemy import func, select
from werkzeug.serving import make_server

from quiz.benchmarks.server import free_port, running_server
from quiz.runtime import Stride
from quiz.scheduling import utc_now
from quiz.services.access import COMMAND_LINE
from quiz.services.accounts import create_user
from quiz.store.models import AuthSession

pytestmark = pytest.mark.browser

SIGN_IN = "Sign in with your school account"


@contextmanager
def school_provider() -> Iterator[str]:
    """An OpenID provider on a free loopback port (a thread of this process); yields its URL."""
    server = make_server("127.0.0.1", free_port(), provider_app(), threaded=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1})
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(5)
        server.server_close()


def give_claims(provider: str, subject: str, claims: dict[str, object]) -> None:
    """What the provider will say about ``subject`` (the mock's ``PUT /users/SUB``)."""
    request = urllib.request.Request(
        f"{provider}/users/{subject}",
        data=json.dumps(claims).encode(),
        method="PUT",
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 204


@contextmanager
def stride_with_single_sign_on(
    tmp_path: Path, provider: str, env: dict[str, str] | None = None
) -> Iterator[tuple[str, Stride]]:
    """Stride (STRIDE_AUTH=oidc) with instructor ``tess`` created by e-mail, no password; yields
    its URL and the database."""
    data = tmp_path / "data"
    data.mkdir()
    stride = Stride.open(f"sqlite:///{data / 'stride.db'}", load_builtin=False)
    with stride.transaction() as session:
        create_user(
            session,
            COMMAND_LINE,
            "tess",
            "instructor",
            None,
            utc_now(),
            display_name="Tess Teacher",
            email="tess.teacher@school.example",
        )
    secrets_file = tmp_path / "secrets.toml"
    secrets_file.write_text(
        "[auth]\n"
        'redirect_uri = "http://127.0.0.1:{port}/oauth2callback"\n'
        f'cookie_secret = "{secrets.token_urlsafe(32)}"\n'
        'client_id = "stride"\n'
        f'client_secret = "{secrets.token_urlsafe(16)}"\n'
        f'server_metadata_url = "{provider}/.well-known/openid-configuration"\n',
        encoding="utf-8",
    )
    with running_server(
        str(data),
        env={"STRIDE_AUTH": "oidc", **(env or {})},
        log=str(tmp_path / "streamlit.log"),
        options=["--secrets.files", str(secrets_file)],
    ) as server:
        yield server.url, stride
    stride.close()


def school_sign_in(page: Page, subject: str) -> None:
    """From Stride's sign-in page through the provider's form, as ``subject``."""
    page.get_by_role("button", name=SIGN_IN).click()
    page.get_by_placeholder("sub").fill(subject)
    page.get_by_role("button", name="Authorize").click()


def signed_in_as(page: Page, who: str) -> None:
    expect(page.get_by_text(re.compile(f"Signed in as {who}"))).to_be_visible(timeout=30_000)


def test_a_deep_link_through_the_school_sign_in_and_out_again(
    page: Page, chromium_path: str, tmp_path: Path, screenshot_dir: Path
) -> None:
    with (
        school_provider() as provider,
        stride_with_single_sign_on(tmp_path, provider) as (
            url,
            stride,
        ),
    ):
        give_claims(
            provider,
            "sub-tess",
            {"email": "Tess.Teacher@School.Example", "email_verified": True, "name": "T. T."},
        )
        page.goto(f"{url}/study")
        expect(page.get_by_role("heading", name="Sign in to Stride")).to_be_visible()
        page.screenshot(path=screenshot_dir / "single-sign-on-button.png")
        school_sign_in(page, "sub-tess")

        # back on the deep link, as the account created by e-mail: an instructor
        signed_in_as(page, "Tess Teacher · instructor")
        assert page.url == f"{url}/study"
        expect(page.get_by_role("heading", name="Study").first).to_be_visible()
        expect(page.get_by_role("link", name="Gradebook")).to_be_visible()
        page.screenshot(path=screenshot_dir / "single-sign-on-signed-in.png", full_page=True)

        page.reload()
        signed_in_as(page, "Tess Teacher · instructor")
        assert page.url == f"{url}/study"

        # sign-out: the Stride session ends, then Streamlit's logout ends the provider's
        page.get_by_role("button", name="Sign out").click()
        page.get_by_role("button", name="End session").click()  # the mock's confirmation
        expect(page.get_by_role("button", name=SIGN_IN)).to_be_visible(timeout=30_000)
        with stride.transaction() as session:
            assert session.scalar(select(func.count()).select_from(AuthSession)) == 0
        page.goto(f"{url}/study")  # the next page load asks to sign in again
        expect(page.get_by_role("button", name=SIGN_IN)).to_be_visible()
        expect(page.get_by_text("Signed in as")).to_have_count(0)
        cookies = {c["name"] for c in page.context.cookies()}
        assert "_streamlit_user" not in cookies and "stride_session" not in cookies


def test_an_unknown_school_account_is_refused_when_accounts_are_precreated(
    page: Page, chromium_path: str, tmp_path: Path, screenshot_dir: Path
) -> None:
    env = {"STRIDE_OIDC_NEW_ACCOUNTS": "refuse"}
    with (
        school_provider() as provider,
        stride_with_single_sign_on(tmp_path, provider, env) as (
            url,
            _stride,
        ),
    ):
        give_claims(provider, "sub-x", {"email": "stranger@school.example", "name": "Stranger"})
        page.goto(f"{url}/practice")
        school_sign_in(page, "sub-x")
        expect(page.get_by_role("heading", name="Stride cannot sign you in")).to_be_visible(
            timeout=30_000
        )
        expect(
            page.get_by_text("There is no Stride account for stranger@school.example.")
        ).to_be_visible()
        page.screenshot(path=screenshot_dir / "single-sign-on-refused.png")
        page.get_by_role("link", name="Sign out of your school account").click()
        page.get_by_role("button", name="End session").click()
        expect(page.get_by_role("button", name=SIGN_IN)).to_be_visible(timeout=30_000)
