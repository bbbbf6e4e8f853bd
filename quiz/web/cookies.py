"""The sign-in cookie and the sign-in form's CSRF cookie: names and flags in one place.

``stride_session`` carries the session token (the database keeps only its SHA-256): set only by
the server in an HTTP response, ``HttpOnly`` (no script can read it), ``SameSite=Lax`` (not sent
on cross-site sub-requests or POSTs), ``Path=/``, ``Max-Age`` the session's absolute lifetime,
and ``Secure`` per ``STRIDE_COOKIE_SECURE`` (``auto``: when the request came over HTTPS, directly
or — from a trusted proxy — per ``X-Forwarded-Proto``). It never appears in a URL.

``stride_device`` marks a browser that has signed in to an account before (a random token; the
database keeps its SHA-256 per account, :mod:`quiz.services.throttle`): sent only to ``/auth``,
``HttpOnly``, ``SameSite=Strict``, kept ``known_device_lifetime`` (90 days) and not cleared at
sign-out — it lets its owner past the throttle's budgets while someone else is guessing.
"""

from __future__ import annotations

from typing import Literal

from starlette.requests import HTTPConnection
from starlette.responses import Response

from quiz.config import AuthSettings

SESSION_COOKIE = "stride_session"
CSRF_COOKIE = "stride_csrf"
CSRF_FIELD = "csrf"
DEVICE_COOKIE = "stride_device"
DEVICE_COOKIE_PATH = "/auth"


def is_https(connection: HTTPConnection, settings: AuthSettings) -> bool:
    if connection.url.scheme in ("https", "wss"):
        return True
    forwarded = connection.headers.get("x-forwarded-proto", "").split(",")[-1].strip().lower()
    return settings.trust_forwarded_for and forwarded == "https"


def secure_cookies(connection: HTTPConnection, settings: AuthSettings) -> bool:
    if settings.cookie_secure == "auto":
        return is_https(connection, settings)
    return settings.cookie_secure == "on"


def set_server_cookie(
    response: Response,
    name: str,
    value: str,
    connection: HTTPConnection,
    settings: AuthSettings,
    *,
    max_age: int,
    samesite: Literal["lax", "strict"],
    path: str = "/",
) -> None:
    """Set a cookie only the server reads: ``HttpOnly``, and ``Secure`` per
    :func:`secure_cookies`. Every cookie Stride sets goes through here."""
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        path=path,
        httponly=True,
        samesite=samesite,
        secure=secure_cookies(connection, settings),
    )


def clear_server_cookie(
    response: Response,
    name: str,
    connection: HTTPConnection,
    settings: AuthSettings,
    *,
    samesite: Literal["lax", "strict"],
    path: str = "/",
) -> None:
    """Delete a cookie set by :func:`set_server_cookie` (same path and flags)."""
    response.delete_cookie(
        name,
        path=path,
        httponly=True,
        samesite=samesite,
        secure=secure_cookies(connection, settings),
    )


def set_session_cookie(
    response: Response, token: str, connection: HTTPConnection, settings: AuthSettings
) -> None:
    lifetime = int(settings.session_lifetime.total_seconds())
    set_server_cookie(
        response, SESSION_COOKIE, token, connection, settings, max_age=lifetime, samesite="lax"
    )


def clear_session_cookie(
    response: Response, connection: HTTPConnection, settings: AuthSettings
) -> None:
    clear_server_cookie(response, SESSION_COOKIE, connection, settings, samesite="lax")


def set_csrf_cookie(
    response: Response, value: str, connection: HTTPConnection, settings: AuthSettings
) -> None:
    """The form's double-submit token: the POST must carry the same value as a field."""
    set_server_cookie(
        response, CSRF_COOKIE, value, connection, settings, max_age=3600, samesite="strict"
    )


def set_device_cookie(
    response: Response, token: str, connection: HTTPConnection, settings: AuthSettings
) -> None:
    """The browser's known-device token, renewed at every successful password sign-in."""
    set_server_cookie(
        response,
        DEVICE_COOKIE,
        token,
        connection,
        settings,
        max_age=int(settings.known_device_lifetime.total_seconds()),
        samesite="strict",
        path=DEVICE_COOKIE_PATH,
    )
