"""Single sign-on over HTTP (quiz/web/single_sign_on.py), with Starlette's TestClient.

The gate and the button's route run in front of a stand-in for the Streamlit app, on both
databases, with a stand-in for Streamlit's side (:class:`FakeIdentity`: the claims behind an
identity cookie, and the login and logout URLs). The real reader of Streamlit's signed cookie
(quiz/ui/streamlit_identity.py) is tested at the end; the whole flow, with Streamlit's own
``/auth/login`` and ``/oauth2callback`` and a real provider, in
tests/browser/test_single_sign_on_browser.py.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator, Mapping
from datetime import timedelta

import itsdangerous.timed
import pytest
import streamlit.auth_util
import streamlit.errors
import streamlit.web.server.server_util
from sqlalchemy import select
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route
from starlette.testclient import TestClient
from streamlit.web.server.starlette.starlette_app_utils import create_signed_value

from quiz.config import AuthSettings
from quiz.runtime import Stride
from quiz.scheduling import utc_now
from quiz.services.access import COMMAND_LINE
from quiz.services.accounts import create_user
from quiz.services.sign_in import sign_out
from quiz.store.models import User
from quiz.ui.streamlit_identity import StreamlitIdentity
from quiz.web.cookies import SESSION_COOKIE
from quiz.web.sign_in import PLEASE_SIGN_IN, SignInGate, sign_in_routes
from quiz.web.sign_in_form import SCHOOL_BUTTON, render_refused, render_school
from quiz.web.single_sign_on import (
    IDENTITY_FRESH,
    NEXT_COOKIE,
    NOT_SET_UP,
    SingleSignOn,
    SingleSignOnUnavailable,
)

OIDC = AuthSettings(mode="oidc")
SCHOOL = "https://login.school.example"
DEEP_LINK = "/gradebook?assignment=3"
IDENTITY = "_streamlit_user"
LOGIN = "/auth/login?provider=signed-provider-token"
_NEXT = re.compile(r'name="next" value="([^"]*)"')


class FakeIdentity:
    """Streamlit's side: identity cookie values and the claims behind them."""

    def __init__(self) -> None:
        self.accounts: dict[str, dict[str, object]] = {}
        self.configured = True
        self.asked_max_age: list[timedelta] = []

    def signed_in(self, cookie: str, subject: str, email: str, **more: object) -> str:
        self.accounts[cookie] = {"iss": SCHOOL, "sub": subject, "email": email, **more}
        return cookie

    def claims(self, cookies: Mapping[str, str], max_age: timedelta) -> dict[str, object] | None:
        self.asked_max_age.append(max_age)
        return self.accounts.get(cookies.get(IDENTITY, ""))

    def login_url(self) -> str:
        if not self.configured:
            raise SingleSignOnUnavailable("[auth] is missing from secrets.toml")
        return LOGIN

    def logout_url(self) -> str:
        return "/auth/logout"


def _client(stride: Stride, identity: FakeIdentity | None) -> TestClient:
    async def the_app(request: Request) -> PlainTextResponse:
        return PlainTextResponse(f"THE APP at {request.url.path}")

    routes = [*sign_in_routes(lambda: stride)]
    single_sign_on = None
    if identity is not None:
        single_sign_on = SingleSignOn(identity, lambda: stride)
        routes.extend(single_sign_on.routes())
    app = Starlette(
        routes=[*routes, Route("/{path:path}", the_app)],
        middleware=[Middleware(SignInGate, provider=lambda: stride, single_sign_on=single_sign_on)],
    )
    return TestClient(app, follow_redirects=False)


def _stride(database_url: str, auth: AuthSettings) -> Stride:
    stride = Stride.open(database_url, auth=auth, load_builtin=False)
    with stride.transaction() as session:
        create_user(
            session,
            COMMAND_LINE,
            "tess",
            "instructor",
            None,
            utc_now(),
            email="tess@school.example",
        )
    return stride


@pytest.fixture
def school(database_url: str) -> Iterator[Stride]:
    stride = _stride(database_url, OIDC)
    yield stride
    stride.close()


@pytest.fixture
def identity() -> FakeIdentity:
    return FakeIdentity()


@pytest.fixture
def client(school: Stride, identity: FakeIdentity) -> TestClient:
    return _client(school, identity)


def _cookie_header(response: object, name: str) -> str:
    return next(c for c in response.headers.get_list("set-cookie") if c.startswith(f"{name}="))  # type: ignore[attr-defined]


def _flags(cookie: str) -> set[str]:
    return {part.strip().lower() for part in cookie.split(";")[1:]}


def _sign_in(client: TestClient, identity: FakeIdentity, deep_link: str = DEEP_LINK) -> str:
    """The whole flow as a browser goes through it; returns the session token."""
    page = client.get(deep_link)
    assert _NEXT.search(page.text)[1].replace("&amp;", "&") == deep_link  # type: ignore[index]
    start = client.get("/auth/school", params={"next": deep_link})
    assert start.status_code == 303 and start.headers["location"] == LOGIN
    # ... the provider, then Streamlit's /oauth2callback sets its cookie and sends the browser to /
    client.cookies.set(
        IDENTITY, identity.signed_in("cookie-tess", "sub-tess", "tess@school.example")
    )
    landing = client.get("/")
    assert landing.status_code == 303 and landing.headers["location"] == deep_link
    token: str = landing.cookies[SESSION_COOKIE]
    return token


# --- signed out -----------------------------------------------------------------------------------


def test_a_page_without_a_session_offers_the_school_sign_in_keeping_the_deep_link(
    client: TestClient,
) -> None:
    response = client.get(DEEP_LINK)
    assert response.status_code == 200 and response.headers["cache-control"] == "no-store"
    assert SCHOOL_BUTTON in response.text and 'action="/auth/school"' in response.text
    assert _NEXT.search(response.text)[1] == "/gradebook?assignment=3"  # type: ignore[index]
    assert 'type="password"' not in response.text and PLEASE_SIGN_IN in response.text
    assert PLEASE_SIGN_IN not in client.get("/").text  # the plain address: no notice
    assert client.get("/auth/sign-in").status_code == 404  # no password form in this mode


def test_every_outside_value_is_escaped_in_the_pages() -> None:
    page = render_school(next_url='/study?x="><script>', action="/auth/school", notice="<b>")
    assert "<script>" not in page and 'value="/study?x=&quot;&gt;&lt;script&gt;"' in page
    assert "&lt;b&gt;" in page
    refused = render_refused(message="<i>no</i>", sign_out_url='/auth/logout?"x')
    assert "&lt;i&gt;no&lt;/i&gt;" in refused and 'href="/auth/logout?&quot;x"' in refused


@pytest.mark.parametrize("path", ["/_stcore/health", "/oauth2callback", "/auth/login"])
def test_streamlits_own_routes_go_through(client: TestClient, path: str) -> None:
    assert client.get(path).text == f"THE APP at {path}"


def test_the_button_remembers_the_page_and_goes_to_the_providers_sign_in(
    client: TestClient,
) -> None:
    response = client.get("/auth/school", params={"next": DEEP_LINK})
    assert response.status_code == 303 and response.headers["location"] == LOGIN
    cookie = _cookie_header(response, NEXT_COOKIE)
    assert {"httponly", "path=/", "samesite=lax", "max-age=600"} <= _flags(cookie)
    assert response.cookies[NEXT_COOKIE].strip('"') == DEEP_LINK


@pytest.mark.parametrize("wanted", ["https://evil.example/", "//evil.example", "/\\evil", ""])
def test_the_remembered_page_is_always_on_this_site(client: TestClient, wanted: str) -> None:
    response = client.get("/auth/school", params={"next": wanted})
    assert response.cookies[NEXT_COOKIE].strip('"') == "/"


def test_without_single_sign_on_configured_the_button_says_so(
    client: TestClient, identity: FakeIdentity
) -> None:
    identity.configured = False
    response = client.get("/auth/school", params={"next": DEEP_LINK})
    assert response.status_code == 503 and NOT_SET_UP in response.text
    assert "secrets.toml" not in response.text  # the details go to the server's log
    assert NEXT_COOKIE not in response.cookies


# --- back from the provider -----------------------------------------------------------------------


def test_a_fresh_identity_starts_a_session_and_continues_to_the_deep_link(
    client: TestClient, identity: FakeIdentity
) -> None:
    token = _sign_in(client, identity)
    assert identity.asked_max_age == [IDENTITY_FRESH, IDENTITY_FRESH]
    assert client.get(DEEP_LINK).text == "THE APP at /gradebook"
    assert NEXT_COOKIE not in client.cookies  # used once
    assert client.cookies[SESSION_COOKIE] == token


def test_the_session_cookie_has_the_password_modes_flags(
    client: TestClient, identity: FakeIdentity
) -> None:
    client.cookies.set(IDENTITY, identity.signed_in("c", "sub-tess", "tess@school.example"))
    landing = client.get("/")
    cookie = _cookie_header(landing, SESSION_COOKIE)
    assert {"httponly", "path=/", "samesite=lax", "max-age=43200"} <= _flags(cookie)
    assert landing.headers["location"] == "/"  # nothing remembered: the page itself


def test_signed_in_with_a_live_session_the_identity_is_not_read(
    client: TestClient, identity: FakeIdentity
) -> None:
    _sign_in(client, identity)
    identity.asked_max_age.clear()
    assert client.get("/study").text == "THE APP at /study"
    assert identity.asked_max_age == []
    start = client.get("/auth/school", params={"next": "/study"})
    assert start.status_code == 303 and start.headers["location"] == "/study"


def test_when_the_session_ends_an_older_identity_cookie_asks_to_sign_in_again(
    school: Stride, client: TestClient, identity: FakeIdentity
) -> None:
    token = _sign_in(client, identity)
    with school.transaction() as session:
        sign_out(session, token)
    identity.accounts.clear()  # the cookie is now older than IDENTITY_FRESH
    response = client.get("/study")
    assert response.status_code == 200 and SCHOOL_BUTTON in response.text
    assert "max-age=0" in _cookie_header(response, SESSION_COOKIE).lower()


def test_a_refused_identity_gets_the_reason_and_a_way_out(
    database_url: str, identity: FakeIdentity
) -> None:
    stride = _stride(database_url, AuthSettings(mode="oidc", oidc_new_accounts="refuse"))
    client = _client(stride, identity)
    client.get("/auth/school", params={"next": DEEP_LINK})
    client.cookies.set(IDENTITY, identity.signed_in("c", "sub-x", "x<b>@school.example"))
    response = client.get("/")
    assert response.status_code == 403 and "Stride cannot sign you in" in response.text
    assert "There is no Stride account for this school account" in response.text
    assert 'href="/auth/logout"' in response.text and "Sign out of your school account" in (
        response.text
    )
    assert SESSION_COOKIE not in response.cookies and NEXT_COOKIE not in client.cookies
    client.cookies.set(IDENTITY, identity.signed_in("d", "sub-y", "y@school.example"))
    assert "There is no Stride account for y@school.example." in client.get("/study").text
    with stride.transaction() as session:
        assert session.scalar(select(User.id).where(User.username == "y")) is None
    stride.close()


def test_the_refusal_message_is_escaped(database_url: str, identity: FakeIdentity) -> None:
    stride = _stride(database_url, OIDC)
    with stride.transaction() as session:
        create_user(session, COMMAND_LINE, "ann", "student", None, utc_now(), email="a@s.example")
        ann = session.scalars(select(User).where(User.username == "ann")).one()
        ann.active = False
        ann.username = "ann<i>"  # not a valid name, but whatever the message holds is escaped
    client = _client(stride, identity)
    client.cookies.set(IDENTITY, identity.signed_in("c", "sub-ann", "a@s.example"))
    response = client.get("/")
    assert response.status_code == 403 and "(ann&lt;i&gt;) is deactivated" in response.text
    stride.close()


def test_signed_out_in_this_mode_clears_the_cookie_and_goes_home(
    school: Stride, client: TestClient, identity: FakeIdentity
) -> None:
    token = _sign_in(client, identity)
    with school.transaction() as session:
        sign_out(session, token)
    response = client.get("/auth/signed-out")
    assert response.status_code == 303 and response.headers["location"] == "/"
    assert "max-age=0" in _cookie_header(response, SESSION_COOKIE).lower()


def test_without_the_single_sign_on_part_the_gate_says_it_is_not_available(
    school: Stride,
) -> None:
    response = _client(school, None).get(DEEP_LINK)
    assert response.status_code == 503 and "not available" in response.text


def test_password_mode_has_no_school_sign_in(database_url: str, identity: FakeIdentity) -> None:
    stride = _stride(database_url, AuthSettings(mode="password"))
    client = _client(stride, identity)
    assert client.get("/auth/school").status_code == 404
    client.cookies.set(IDENTITY, identity.signed_in("c", "sub-tess", "tess@school.example"))
    page = client.get("/")
    assert page.status_code == 200 and 'type="password"' in page.text  # the password form
    assert SESSION_COOKIE not in page.cookies
    stride.close()


# --- Streamlit's identity cookie ------------------------------------------------------------------

SECRET = "a cookie secret for the tests"
ORIGIN = "https://stride.school.example"


@pytest.fixture
def streamlit_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    """What ``[auth]`` in secrets.toml would give: the cookie secret and the redirect's origin."""
    monkeypatch.setattr(streamlit.web.server.server_util, "get_cookie_secret", lambda: SECRET)
    monkeypatch.setattr(streamlit.auth_util, "get_origin_from_redirect_uri", lambda: ORIGIN)


def _signed(name: str, value: str, *, age: int = 0, secret: str = SECRET) -> str:
    real = itsdangerous.timed.TimestampSigner.get_timestamp
    try:
        itsdangerous.timed.TimestampSigner.get_timestamp = lambda self: int(time.time()) - age  # type: ignore[method-assign]
        return create_signed_value(secret, name, value).decode()
    finally:
        itsdangerous.timed.TimestampSigner.get_timestamp = real  # type: ignore[method-assign]


def _payload(**changes: object) -> str:
    claims = {"iss": SCHOOL, "sub": "s", "email": "a@s.example", "origin": ORIGIN}
    return json.dumps({**claims, "is_logged_in": True, "provider": "default", **changes})


def test_streamlits_cookie_is_read_when_signed_fresh_and_for_this_site(
    streamlit_secrets: None,
) -> None:
    read = StreamlitIdentity().claims
    fresh = timedelta(minutes=5)
    claims = read({IDENTITY: _signed(IDENTITY, _payload())}, fresh)
    assert claims is not None and claims["sub"] == "s" and claims["iss"] == SCHOOL
    assert read({}, fresh) is None
    assert read({IDENTITY: _signed(IDENTITY, _payload(), age=301)}, fresh) is None
    assert read({IDENTITY: _signed(IDENTITY, _payload(), age=299)}, fresh) is not None
    assert read({IDENTITY: _signed(IDENTITY, _payload(), secret="another")}, fresh) is None
    assert read({IDENTITY: _signed("_other_name", _payload())}, fresh) is None
    foreign = _payload(origin="https://elsewhere.example")
    assert read({IDENTITY: _signed(IDENTITY, foreign)}, fresh) is None
    assert read({IDENTITY: _signed(IDENTITY, _payload(is_logged_in=False))}, fresh) is None
    assert read({IDENTITY: _signed(IDENTITY, "not json")}, fresh) is None
    assert read({IDENTITY: "garbage"}, fresh) is None


def test_streamlits_chunked_cookie_is_put_back_together(streamlit_secrets: None) -> None:
    payload = _payload(name="x" * 5000)
    half = len(payload) // 2
    cookies = {
        IDENTITY: _signed(IDENTITY, "chunks-2"),
        f"{IDENTITY}_1": _signed(f"{IDENTITY}_1", payload[:half]),
        f"{IDENTITY}_2": _signed(f"{IDENTITY}_2", payload[half:]),
    }
    claims = StreamlitIdentity().claims(cookies, timedelta(minutes=5))
    assert claims is not None and claims["name"] == "x" * 5000
    del cookies[f"{IDENTITY}_2"]
    assert StreamlitIdentity().claims(cookies, timedelta(minutes=5)) is None


def test_without_auth_in_the_secrets_the_login_url_says_what_is_missing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def missing(provider: str) -> None:
        raise streamlit.errors.StreamlitAuthError("missing the\n   'redirect_uri' key")

    monkeypatch.setattr(streamlit.auth_util, "validate_auth_credentials", missing)
    with pytest.raises(SingleSignOnUnavailable, match="missing the 'redirect_uri' key"):
        StreamlitIdentity().login_url()
    assert StreamlitIdentity().logout_url() == "/auth/logout"
