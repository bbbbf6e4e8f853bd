"""Upload limits (quiz/web/uploads.py), with Starlette's TestClient.

:class:`UploadGuard` runs in front of a stand-in for Streamlit's upload route (it reads the
whole body, as Streamlit does, and keeps the file), on both databases. The same limits against
the real server, with a websocket session of its own, are in tests/browser/test_security_browser.py.
"""

from __future__ import annotations

from collections.abc import Iterator
from types import SimpleNamespace

import pytest
from sqlalchemy import select
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.testclient import TestClient

from quiz.config import AuthSettings
from quiz.runtime import Stride
from quiz.scheduling import utc_now
from quiz.services.access import COMMAND_LINE
from quiz.services.accounts import create_user
from quiz.services.sign_in import start_session
from quiz.store.models import User
from quiz.web.cookies import SESSION_COOKIE
from quiz.web.uploads import (
    ACCOUNT_FULL,
    FILE_TOO_LARGE,
    LENGTH_REQUIRED,
    SESSION_FULL,
    SIGN_IN_TO_UPLOAD,
    UploadGuard,
    UploadLedger,
    upload_target,
)

AUTH = AuthSettings(mode="password")
MAX_UPLOAD = 1000
"""``server.maxUploadSize`` of these tests, in bytes."""
SESSION_CAP = 250
ACCOUNT_CAP = 400


class FakeStreamlit:
    """Streamlit's upload route: reads the body and keeps the file per session (or refuses)."""

    def __init__(self) -> None:
        self.files: dict[tuple[str, str], int] = {}
        self.refuse = False

    async def endpoint(self, request: Request) -> Response:
        key = (request.path_params["session_id"], request.path_params["file_id"])
        if request.method == "DELETE":
            self.files.pop(key, None)
            return Response(status_code=204)
        body = await request.body()
        if self.refuse:
            return Response("Invalid session_id", status_code=400)
        self.files[key] = len(body)
        return Response(status_code=204)


def _client(
    stride: Stride, streamlit: FakeStreamlit, alive: set[str] | None = None
) -> tuple[TestClient, UploadLedger]:
    ledger = UploadLedger(session_bytes=SESSION_CAP, account_bytes=ACCOUNT_CAP)
    app = Starlette(
        routes=[
            Route(
                "/_stcore/upload_file/{session_id}/{file_id}",
                streamlit.endpoint,
                methods=["PUT", "DELETE"],
            )
        ],
        middleware=[
            Middleware(
                UploadGuard,
                provider=lambda: stride,
                max_upload_bytes=lambda: MAX_UPLOAD,
                session_alive=None if alive is None else alive.__contains__,
                ledger=ledger,
            )
        ],
    )
    return TestClient(app), ledger


def _stride(database_url: str, auth: AuthSettings) -> Stride:
    stride = Stride.open(database_url, auth=auth, load_builtin=False)
    with stride.transaction() as session:
        for name in ("ada", "grace"):
            create_user(
                session, COMMAND_LINE, name, "student", f"{name}'s long password", utc_now()
            )
    return stride


def _token(stride: Stride, username: str) -> str:
    """A live session for ``username``, as a successful sign-in starts it."""
    with stride.transaction() as session:
        user = session.scalars(select(User).where(User.username == username)).one()
        return start_session(session, user, "test", utc_now(), stride.auth)


@pytest.fixture
def classroom(database_url: str) -> Iterator[Stride]:
    stride = _stride(database_url, AUTH)
    yield stride
    stride.close()


@pytest.fixture
def local() -> Stride:
    """Local mode: the guard reads only the settings (no sign-in, no database)."""
    return SimpleNamespace(auth=AuthSettings())  # type: ignore[return-value]


def _as(client: TestClient, token: str | None) -> TestClient:
    """``client`` with the ``stride_session`` cookie ``token`` (or none)."""
    client.cookies.clear()
    if token:
        client.cookies.set(SESSION_COOKIE, token)
    return client


def _put(client: TestClient, session_id: str, file_id: str, size: int, token: str | None = None):  # type: ignore[no-untyped-def]
    return _as(client, token).put(
        f"/_stcore/upload_file/{session_id}/{file_id}", content=b"x" * size
    )


def _delete(client: TestClient, session_id: str, file_id: str, token: str | None = None):  # type: ignore[no-untyped-def]
    return _as(client, token).delete(f"/_stcore/upload_file/{session_id}/{file_id}")


def test_a_signed_out_upload_is_refused_and_nothing_is_kept(classroom: Stride) -> None:
    streamlit = FakeStreamlit()
    client, ledger = _client(classroom, streamlit)
    for token in (None, "not-a-session"):
        response = _put(client, "s1", "f1", 200, token)
        assert response.status_code == 403 and response.text == SIGN_IN_TO_UPLOAD
        assert _delete(client, "s1", "f1", token).status_code == 403
    assert streamlit.files == {} and ledger.held("s1") == 0


def test_a_signed_in_upload_is_accepted_and_counted(classroom: Stride) -> None:
    streamlit = FakeStreamlit()
    client, ledger = _client(classroom, streamlit)
    token = _token(classroom, "ada")
    assert _put(client, "s1", "f1", 200, token).status_code == 204
    assert streamlit.files == {("s1", "f1"): 200} and ledger.held("s1") == 200
    assert _delete(client, "s1", "f1", token).status_code == 204
    assert ledger.held("s1") == 0


def test_local_mode_needs_no_sign_in_but_keeps_the_cap(local: Stride) -> None:
    streamlit = FakeStreamlit()
    client, _ledger = _client(local, streamlit)
    assert _put(client, "s1", "f1", 200).status_code == 204
    assert streamlit.files == {("s1", "f1"): 200}
    assert _put(client, "s1", "f2", 100).status_code == 413


def test_one_session_holds_at_most_its_cap(classroom: Stride) -> None:
    stride, token = classroom, _token(classroom, "ada")
    streamlit = FakeStreamlit()
    client, ledger = _client(stride, streamlit)
    assert _put(client, "s1", "f1", 200, token).status_code == 204
    refused = _put(client, "s1", "f2", 100, token)
    assert refused.status_code == 413 and refused.text == SESSION_FULL.format(limit=0)
    assert ("s1", "f2") not in streamlit.files and ledger.held("s1") == 200
    assert _put(client, "s1", "f1", 240, token).status_code == 204  # a file replaced, not added
    assert _put(client, "s2", "f1", 150, token).status_code == 204  # another tab: its own cap
    assert _delete(client, "s1", "f1", token).status_code == 204
    assert _put(client, "s1", "f2", 200, token).status_code == 204  # room again


def test_the_sessions_of_one_account_share_a_cap(classroom: Stride) -> None:
    streamlit = FakeStreamlit()
    client, _ledger = _client(classroom, streamlit)
    ada, grace = _token(classroom, "ada"), _token(classroom, "grace")
    assert _put(client, "tab1", "f1", 200, ada).status_code == 204
    assert _put(client, "tab2", "f1", 200, ada).status_code == 204
    refused = _put(client, "tab3", "f1", 100, ada)
    assert refused.status_code == 413 and refused.text == ACCOUNT_FULL.format(limit=0)
    assert _put(client, "tab4", "f1", 200, grace).status_code == 204  # another account


def test_an_oversized_or_unsized_upload_is_refused_unread(local: Stride) -> None:
    streamlit = FakeStreamlit()
    client, ledger = _client(local, streamlit)
    response = _put(client, "s1", "f1", MAX_UPLOAD + 1)
    assert response.status_code == 413
    assert response.text == FILE_TOO_LARGE.format(limit=0)
    assert response.headers["connection"] == "close"

    def chunks() -> Iterator[bytes]:
        yield b"x" * 10  # sent chunked: no Content-Length

    response = client.put("/_stcore/upload_file/s1/f1", content=chunks())
    assert response.status_code == 411 and response.text == LENGTH_REQUIRED
    assert streamlit.files == {} and ledger.held("s1") == 0


def test_a_failed_upload_gives_its_bytes_back(local: Stride) -> None:
    streamlit = FakeStreamlit()
    client, ledger = _client(local, streamlit)
    streamlit.refuse = True
    assert _put(client, "s1", "f1", 200).status_code == 400
    assert ledger.held("s1") == 0
    streamlit.refuse = False
    assert _put(client, "s1", "f1", 200).status_code == 204


def test_an_ended_session_is_forgotten(local: Stride) -> None:
    alive = {"s1", "s2"}
    client, ledger = _client(local, FakeStreamlit(), alive)
    assert _put(client, "s1", "f1", 200).status_code == 204
    alive.discard("s1")  # the tab was closed: Streamlit dropped its files
    assert _put(client, "s2", "f1", 10).status_code == 204
    assert ledger.held("s1") == 0 and ledger.held("s2") == 10


def test_uploads_being_sent_count_against_the_cap() -> None:
    """Two uploads sent at once cannot both pass the check before either is stored."""
    ledger = UploadLedger(session_bytes=SESSION_CAP, account_bytes=ACCOUNT_CAP)
    first = ledger.reserve("s1", "f1", 200, owner=None)
    assert isinstance(first, int)
    assert isinstance(ledger.reserve("s1", "f2", 200, owner=None), str)
    assert isinstance(ledger.reserve("s2", "f1", 300, owner=None), str)  # over the cap alone
    assert ledger.held("s2") == 0 and "s2" not in ledger._sessions  # nothing kept for it
    ledger.cancel("s1", first)
    assert ledger.held("s1") == 0
    assert isinstance(ledger.reserve("s1", "f2", 200, owner=None), int)


@pytest.mark.parametrize(
    ("path", "target"),
    [
        ("/_stcore/upload_file/abc/def", ("abc", "def")),
        ("/stride/_stcore/upload_file/abc/def", ("abc", "def")),  # server.baseUrlPath
        ("/_stcore/upload_file/abc", None),
        ("/_stcore/health", None),
    ],
)
def test_upload_urls_are_recognised(path: str, target: tuple[str, str] | None) -> None:
    assert upload_target(path) == target
