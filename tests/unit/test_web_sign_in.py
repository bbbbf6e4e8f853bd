"""Classroom sign-in over HTTP (quiz/web/sign_in.py), with Starlette's TestClient.

The routes and the gate run in front of a stand-in for the Streamlit app ("THE APP"), on both
databases. What a browser session sees after signing in is tested with AppTest and Chromium.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta

import pytest
from argon2 import PasswordHasher
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select, update
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route
from starlette.testclient import TestClient

import quiz.services.passwords as passwords
from quiz.config import AuthSettings
from quiz.runtime import Stride
from quiz.scheduling import utc_now
from quiz.services.access import COMMAND_LINE
from quiz.services.accounts import create_user
from quiz.services.sign_in import WRONG_CREDENTIALS, sign_out
from quiz.store.models import AuthSession, SignInThrottle
from quiz.web.cookies import CSRF_COOKIE, DEVICE_COOKIE, SESSION_COOKIE
from quiz.web.sign_in import (
    FORM_EXPIRED,
    PLEASE_SIGN_IN,
    SIGNED_OUT,
    SignInGate,
    safe_next,
    sign_in_routes,
)

PASSWORD = "ada's long password"
AUTH = AuthSettings(mode="password")
DEEP_LINK = "/gradebook?assignment=3"
_CSRF = re.compile(r'name="csrf" value="([^"]+)"')
_NEXT = re.compile(r'name="next" value="([^"]*)"')


class CountingHasher(PasswordHasher):
    def __init__(self) -> None:
        super().__init__(time_cost=1, memory_cost=64, parallelism=1)
        self.verifications = 0

    def verify(self, hash: str | bytes, password: str | bytes) -> bool:
        self.verifications += 1
        return super().verify(hash, password)


@pytest.fixture(autouse=True)
def hasher(monkeypatch: pytest.MonkeyPatch) -> CountingHasher:
    counting = CountingHasher()
    monkeypatch.setattr(passwords, "_hasher", counting)
    monkeypatch.setattr(passwords, "_DUMMY_HASH", counting.hash("dummy password for timing"))
    return counting


def _stride(database_url: str, auth: AuthSettings) -> Stride:
    stride = Stride.open(database_url, auth=auth, load_builtin=False)
    with stride.transaction() as session:
        create_user(session, COMMAND_LINE, "ada", "student", PASSWORD, utc_now())
    return stride


def _client(stride: Stride, base_url: str = "http://testserver") -> TestClient:
    async def the_app(request: Request) -> PlainTextResponse:
        return PlainTextResponse(f"THE APP at {request.url.path}")

    app = Starlette(
        routes=[*sign_in_routes(lambda: stride), Route("/{path:path}", the_app)],
        middleware=[Middleware(SignInGate, provider=lambda: stride)],
    )
    return TestClient(app, base_url=base_url, follow_redirects=False)


@pytest.fixture
def classroom(database_url: str) -> Iterator[Stride]:
    stride = _stride(database_url, AUTH)
    yield stride
    stride.close()


@pytest.fixture
def client(classroom: Stride) -> TestClient:
    return _client(classroom)


def _form(client: TestClient, page: str = DEEP_LINK) -> tuple[str, str]:
    """Open ``page`` signed out: the form's ``next`` and CSRF token."""
    response = client.get(page)
    assert response.status_code == 200 and "Sign in to Stride" in response.text
    next_found, csrf_found = _NEXT.search(response.text), _CSRF.search(response.text)
    assert next_found and csrf_found
    assert client.cookies.get(CSRF_COOKIE) == csrf_found[1]
    return next_found[1].replace("&amp;", "&"), csrf_found[1]


def _post(
    client: TestClient,
    csrf: str,
    *,
    username: str = "ada",
    password: str = PASSWORD,
    next_url: str = DEEP_LINK,
    origin: str | None = "http://testserver",
    headers: dict[str, str] | None = None,
):  # type: ignore[no-untyped-def]
    sent = {**({"Origin": origin} if origin else {}), **(headers or {})}
    fields = {"username": username, "password": password, "next": next_url, "csrf": csrf}
    return client.post("/auth/sign-in", data=fields, headers=sent)


def test_a_page_without_a_session_gets_the_form_keeping_the_deep_link(client: TestClient) -> None:
    next_url, _csrf = _form(client)
    assert next_url == DEEP_LINK
    assert "Page not found" not in client.get("/people").text
    assert client.get("/").status_code == 200 and "Sign in to Stride" in client.get("/").text


@pytest.mark.parametrize(
    "path", ["/_stcore/health", "/_stcore/stream", "/static/js/app.js", "/favicon.png"]
)
def test_what_is_not_a_page_goes_through_the_gate(client: TestClient, path: str) -> None:
    assert client.get(path).text == f"THE APP at {path}"


def test_signing_in_sets_the_cookie_and_continues_to_the_deep_link(client: TestClient) -> None:
    _next, csrf = _form(client)
    response = _post(client, csrf)
    assert response.status_code == 303 and response.headers["location"] == DEEP_LINK
    cookie = next(c for c in response.headers.get_list("set-cookie") if SESSION_COOKIE in c)
    flags = {part.strip().lower() for part in cookie.split(";")[1:]}
    assert {"httponly", "path=/", "samesite=lax", "max-age=43200"} <= flags
    assert "secure" not in flags  # plain HTTP here (auto)
    token = response.cookies[SESSION_COOKIE]
    assert token not in response.headers["location"]
    page = _with_cookie(client, token).get(DEEP_LINK)
    assert page.text == "THE APP at /gradebook"


def test_a_wrong_password_and_an_unknown_name_get_the_same_answer_and_cost(
    client: TestClient, hasher: CountingHasher
) -> None:
    for username in ("ada", "nobody"):
        _next, csrf = _form(client)
        hasher.verifications = 0
        response = _post(client, csrf, username=username, password="not the password")
        assert response.status_code == 401 and SESSION_COOKIE not in response.cookies
        assert WRONG_CREDENTIALS in response.text and f'value="{username}"' in response.text
        assert hasher.verifications == 1  # one argon2 check either way


def test_both_fields_are_needed(client: TestClient) -> None:
    _next, csrf = _form(client)
    response = _post(client, csrf, password="")
    assert response.status_code == 400 and "Enter your username and your password." in response.text


def test_the_form_refuses_a_missing_or_foreign_token_and_other_origins(client: TestClient) -> None:
    _next, csrf = _form(client)
    for response in (
        _post(client, "not the token"),
        _post(client, csrf, origin="http://evil.example"),
        _post(client, csrf, origin="null"),
    ):
        assert response.status_code == 403 and FORM_EXPIRED in response.text
        assert SESSION_COOKIE not in response.cookies
    client.cookies.clear()
    assert _post(client, csrf).status_code == 403  # the token without its cookie


def test_an_oversized_form_is_refused(client: TestClient) -> None:
    _next, csrf = _form(client)
    response = _post(client, csrf, password="x" * 10_000)
    assert response.status_code == 413


@pytest.mark.parametrize(
    "wanted",
    ["//evil.example/x", "https://evil.example/", "/\\evil.example", "javascript:alert(1)", ""],
)
def test_next_never_leaves_the_site(client: TestClient, wanted: str) -> None:
    _next, csrf = _form(client)
    response = _post(client, csrf, next_url=wanted)
    assert response.status_code == 303 and response.headers["location"] == "/"


@given(st.text(max_size=60))
def test_safe_next_is_always_a_path_on_this_site(raw: str) -> None:
    result = safe_next(raw)
    assert result.startswith("/") and not result.startswith(("//", "/\\"))
    assert "://" not in result.split("?")[0] or result == raw
    assert result in ("/", raw)


def test_failures_slow_the_failing_browser_not_the_owners_known_one(classroom: Stride) -> None:
    """Two browsers behind one address (a school's NAT): a classmate guessing ada's password
    waits; ada's own browser, which signed in before, is a client of its own and gets in."""
    owner, guesser = _client(classroom), _client(classroom)
    _next, csrf = _form(owner)
    signed_in = _post(owner, csrf)
    assert signed_in.status_code == 303
    cookie = next(c for c in signed_in.headers.get_list("set-cookie") if DEVICE_COOKIE in c)
    flags = {part.strip().lower() for part in cookie.split(";")[1:]}
    assert {"httponly", "path=/auth", "samesite=strict", f"max-age={90 * 86400}"} <= flags
    owner.cookies.delete(SESSION_COOKIE)  # signed out: the known-browser cookie stays

    for _ in range(5):
        _next, csrf = _form(guesser)
        _post(guesser, csrf, password="wrong password!")
    _next, csrf = _form(guesser)
    response = _post(guesser, csrf)  # even the right password waits, from that browser
    assert response.status_code == 401 and "Too many failed sign-ins: wait" in response.text
    assert SESSION_COOKIE not in response.cookies

    _next, csrf = _form(owner)
    again = _post(owner, csrf)
    assert again.status_code == 303 and SESSION_COOKIE in again.cookies
    assert again.cookies.get(DEVICE_COOKIE) == signed_in.cookies.get(DEVICE_COOKIE)


def test_the_client_address_is_the_one_our_proxy_recorded(database_url: str) -> None:
    """Behind a trusted proxy the rightmost X-Forwarded-For entry counts, so rotating the
    entries the client writes itself does not escape the per-address limit."""
    stride = _stride(database_url, AuthSettings(mode="password", trust_forwarded_for=True))
    client = _client(stride)
    for spoofed in ("1.1.1.1", "2.2.2.2", "3.3.3.3"):
        _next, csrf = _form(client)
        forwarded = {"X-Forwarded-For": f"{spoofed}, 203.0.113.9"}
        _post(client, csrf, password="wrong password!", headers=forwarded)
    with stride.transaction() as session:
        keys = set(session.scalars(select(SignInThrottle.key)))
    assert "203.0.113.9" in keys and not {"1.1.1.1", "2.2.2.2", "3.3.3.3"} & keys
    stride.close()


def _with_cookie(client: TestClient, token: str) -> TestClient:
    client.cookies.set(SESSION_COOKIE, token)
    return client


def _signed_in(client: TestClient) -> str:
    _next, csrf = _form(client)
    token: str = _post(client, csrf).cookies[SESSION_COOKIE]
    return token


def test_signed_out_clears_the_cookie_only_once_the_session_is_gone(
    classroom: Stride, client: TestClient
) -> None:
    token = _signed_in(client)
    kept = _with_cookie(client, token).get("/auth/signed-out")
    assert kept.status_code == 303 and SESSION_COOKIE not in kept.headers.get("set-cookie", "")
    with classroom.transaction() as session:
        sign_out(session, token)
    response = _with_cookie(client, token).get("/auth/signed-out")
    assert response.status_code == 200 and SIGNED_OUT in response.text
    cleared = next(c for c in response.headers.get_list("set-cookie") if SESSION_COOKIE in c)
    assert "max-age=0" in cleared.lower()


def test_an_expired_session_gets_the_form_and_loses_its_cookie(
    classroom: Stride, client: TestClient
) -> None:
    token = _signed_in(client)
    with classroom.transaction() as session:
        session.execute(update(AuthSession).values(idle_expires_at=utc_now() - timedelta(1)))
    response = _with_cookie(client, token).get(DEEP_LINK)
    assert response.status_code == 200 and PLEASE_SIGN_IN in response.text
    assert _NEXT.search(response.text)[1].replace("&amp;", "&") == DEEP_LINK  # type: ignore[index]
    cleared = next(c for c in response.headers.get_list("set-cookie") if SESSION_COOKIE in c)
    assert "max-age=0" in cleared.lower()


@pytest.mark.parametrize(
    ("setting", "base_url", "headers", "secure"),
    [
        ("on", "https://testserver", {}, True),
        ("off", "https://testserver", {}, False),
        ("auto", "https://testserver", {}, True),
        ("auto", "http://testserver", {"X-Forwarded-Proto": "https"}, False),
    ],
)
def test_the_secure_flag_follows_the_setting(
    database_url: str, setting: str, base_url: str, headers: dict[str, str], secure: bool
) -> None:
    stride = _stride(database_url, AuthSettings(mode="password", cookie_secure=setting))
    client = _client(stride, base_url)
    _next, csrf = _form(client)
    response = _post(client, csrf, origin=base_url, headers=headers)
    cookie = next(c for c in response.headers.get_list("set-cookie") if SESSION_COOKIE in c)
    assert ("secure" in cookie.lower()) is secure
    stride.close()


def test_behind_a_trusted_proxy_forwarded_https_makes_the_cookie_secure(database_url: str) -> None:
    auth = AuthSettings(mode="password", trust_forwarded_for=True)
    stride = _stride(database_url, auth)
    client = _client(stride)
    _next, csrf = _form(client)
    response = _post(client, csrf, headers={"X-Forwarded-Proto": "https"})
    cookie = next(c for c in response.headers.get_list("set-cookie") if SESSION_COOKIE in c)
    assert "secure" in cookie.lower()
    stride.close()


def test_local_mode_has_no_gate_and_no_sign_in(database_url: str) -> None:
    stride = _stride(database_url, AuthSettings())
    client = _client(stride)
    assert client.get(DEEP_LINK).text == "THE APP at /gradebook"
    assert client.get("/auth/sign-in").status_code == 404
    stride.close()


def test_in_local_mode_the_process_gate_answers_a_page_before_the_database_is_open(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A new process's first page load must not wait for the import and opening of the
    database (the warm-up does that while the browser loads Streamlit's JavaScript): with the
    process's own Stride, local mode is read from the environment."""
    monkeypatch.delenv("STRIDE_AUTH", raising=False)

    def not_yet() -> Stride:
        raise AssertionError("the gate opened the database for a page in local mode")

    monkeypatch.setattr(Stride, "shared", classmethod(lambda cls, url=None: not_yet()))

    async def the_app(request: Request) -> PlainTextResponse:
        return PlainTextResponse(f"THE APP at {request.url.path}")

    app = Starlette(routes=[Route("/{path:path}", the_app)], middleware=[Middleware(SignInGate)])
    client = TestClient(app, follow_redirects=False)
    assert client.get(DEEP_LINK, headers={"Sec-Fetch-Dest": "document"}).text == (
        "THE APP at /gradebook"
    )
    monkeypatch.setenv("STRIDE_AUTH", "password")  # classroom: the gate needs the database
    with pytest.raises(AssertionError, match="opened the database"):
        client.get(DEEP_LINK, headers={"Sec-Fetch-Dest": "document"})


@pytest.mark.parametrize(
    ("path", "headers", "page"),
    [
        ("/study", {"Sec-Fetch-Dest": "document"}, True),
        ("/study", {"Accept": "text/html,application/xhtml+xml"}, True),
        ("/favicon.ico", {"Sec-Fetch-Dest": "image"}, False),
        ("/favicon.ico", {}, False),
        ("/anything.png", {"Sec-Fetch-Dest": "image", "Accept": "image/avif,*/*"}, False),
        ("/study/_stcore/health", {}, False),
        ("/study/_stcore/host-config", {"Accept": "*/*"}, False),
        ("/script.js", {"Accept": "application/javascript"}, False),
    ],
)
def test_only_a_browser_loading_a_page_meets_the_gate(
    client: TestClient, path: str, headers: dict[str, str], page: bool
) -> None:
    """The favicon a browser asks for after the form must not get a form (and a new CSRF
    cookie) of its own; Streamlit's routes under a page's path are not pages either."""
    response = client.get(path, headers=headers)
    assert ("Sign in to Stride" in response.text) is page


def test_two_forms_open_at_once_share_their_token(client: TestClient) -> None:
    """Two tabs opened signed out: the second form keeps the first one's token, so both post."""
    _next, first = _form(client, "/study")
    _next, second = _form(client, "/stats")
    assert first == second
    assert _post(client, first, next_url="/study").status_code == 303


def test_no_write_lock_is_held_while_the_password_is_checked(
    classroom: Stride, client: TestClient, hasher: CountingHasher, monkeypatch: pytest.MonkeyPatch
) -> None:
    """argon2 takes ~25 ms; a sign-in used to run it inside its write transaction, so on SQLite
    every answer of the class waited behind every sign-in. Another writer must get through
    while the password is being checked."""
    written: list[int] = []
    real = hasher.verify

    def verify_while_someone_writes(hash: str | bytes, password: str | bytes) -> bool:
        written.append(
            classroom.write(lambda session: session.execute(select(1)).scalar_one(), attempts=1)
        )
        return real(hash, password)

    monkeypatch.setattr(hasher, "verify", verify_while_someone_writes)
    _next, csrf = _form(client)
    assert _post(client, csrf).status_code == 303
    assert written == [1]
