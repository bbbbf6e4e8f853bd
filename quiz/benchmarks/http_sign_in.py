"""Signing in over HTTP as a browser does (classroom mode), for the protocol-level benchmarks.

The gate answers a page without a session with the sign-in form and a CSRF cookie; posting the
form sets the ``stride_session`` cookie (``quiz.web.sign_in``). The returned ``Cookie`` header
goes with the websocket's handshake, as a browser sends it.
"""

from __future__ import annotations

import re
import ssl
import time
from dataclasses import dataclass
from functools import cache

import httpx

from quiz.benchmarks.proxy import ROUTE_COOKIE
from quiz.web.cookies import CSRF_COOKIE, CSRF_FIELD, SESSION_COOKIE
from quiz.web.sign_in import SIGN_IN_PATH

_CSRF = re.compile(rf'name="{CSRF_FIELD}" value="([^"]+)"')


@cache
def _tls() -> ssl.SSLContext:
    return ssl.create_default_context()


def browser_client(timeout: float = 120) -> httpx.AsyncClient:
    """An HTTP client with a cookie jar of its own (one browser), sharing one TLS context: making
    one per client cost the load generator ~28 ms of CPU per student (the benchmarks talk plain
    HTTP on loopback, but httpx builds the context anyway)."""
    return httpx.AsyncClient(timeout=timeout, verify=_tls())


class SignInRefused(RuntimeError):
    """The form came back instead of a session (a wrong password, throttling, an expired form)."""


@dataclass(frozen=True)
class SignedIn:
    cookie_header: str
    """``stride_session=…`` (and nginx's ``stride_route=…`` behind the proxy): what the
    browser sends with its requests from now on."""
    location: str
    """Where the server sent the browser after signing in (the page asked for)."""
    form_seconds: float
    post_seconds: float


async def sign_in(
    client: httpx.AsyncClient, base_url: str, username: str, password: str, page: str = "/"
) -> SignedIn:
    """Open ``page`` signed out (the gate's form), then post the form; the session cookie."""
    started = time.perf_counter()
    form = await client.get(f"{base_url}{page}")
    found = _CSRF.search(form.text)
    csrf = form.cookies.get(CSRF_COOKIE)
    if form.status_code != 200 or found is None or csrf is None:
        raise SignInRefused(f"no sign-in form at {page} (HTTP {form.status_code})")
    opened = time.perf_counter()
    posted = await client.post(
        f"{base_url}{SIGN_IN_PATH}",
        data={"username": username, "password": password, "next": page, CSRF_FIELD: found[1]},
        headers={"Origin": base_url},
        cookies={CSRF_COOKIE: csrf},
        follow_redirects=False,
    )
    token = posted.cookies.get(SESSION_COOKIE)
    if posted.status_code != 303 or token is None:
        raise SignInRefused(f"sign-in refused (HTTP {posted.status_code})")
    cookies = {SESSION_COOKIE: token}
    if route := client.cookies.get(ROUTE_COOKIE):  # behind nginx: the replica's route cookie
        cookies[ROUTE_COOKIE] = route
    return SignedIn(
        "; ".join(f"{name}={value}" for name, value in cookies.items()),
        posted.headers.get("location", ""),
        opened - started,
        time.perf_counter() - opened,
    )
