"""Limits on the files a browser uploads to Streamlit (issue 14, item 4).

A file uploader sends each file to ``PUT /_stcore/upload_file/{session_id}/{file_id}`` (and
removes it with ``DELETE`` there); Streamlit keeps it in the server's memory, for the Streamlit
session (the browser tab) ``session_id``, until that session ends. Streamlit itself only
checks that the session exists and that one file is under ``server.maxUploadSize``: anyone who
could open a websocket — a visitor on the sign-in page too — could hold any number of files.

:class:`UploadGuard` (middleware in ``asgi.py``) refuses, deciding before it reads the body:

* in classroom mode, a ``PUT`` or ``DELETE`` without a live sign-in session (the
  ``stride_session`` cookie, as :class:`quiz.web.sign_in.SignInGate` checks it): 403;
* a ``PUT`` that does not say its size (``Content-Length``; browsers always send it): 411;
* a ``PUT`` larger than ``server.maxUploadSize``: 413;
* a ``PUT`` that would make the files its Streamlit session holds exceed
  :data:`SESSION_UPLOAD_BYTES`, or those of one account's sessions together
  :data:`ACCOUNT_UPLOAD_BYTES` (classroom mode): 413.

A refused body is never kept: one within ``server.maxUploadSize`` is read and dropped so that
the client gets the answer (a client still sending when the server closes gets a reset
instead); a larger one is not read at all.

What a session holds is counted here (:class:`UploadLedger`): a ``PUT`` reserves its size
while it is sent (so parallel uploads cannot all pass the check at once), keeps it if
Streamlit accepts the file, and a ``DELETE`` gives it back; a session that has ended (its
files are gone with it) is forgotten when ``session_alive`` says so.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from starlette.concurrency import run_in_threadpool
from starlette.requests import HTTPConnection
from starlette.responses import PlainTextResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from quiz.web.sign_in import StrideProvider, live_session, session_cookie, shared_stride

MB = 1024 * 1024
SESSION_UPLOAD_BYTES = 50 * MB
"""What one Streamlit session (a browser tab) may hold in uploaded files at once."""
ACCOUNT_UPLOAD_BYTES = 100 * MB
"""What the sessions of one signed-in account may hold together (classroom mode)."""
DEFAULT_MAX_UPLOAD_BYTES = 200 * MB
"""Streamlit's own default ``server.maxUploadSize``, when ``asgi.py`` passes no reader."""

SIGN_IN_TO_UPLOAD = "Sign in to upload files."
LENGTH_REQUIRED = "An upload must state its size (Content-Length)."
FILE_TOO_LARGE = "This file is larger than the server accepts ({limit} MB)."
SESSION_FULL = (
    "This page holds too many uploaded files ({limit} MB in all): "
    "remove one, or reload the page, then upload again."
)
ACCOUNT_FULL = (
    "Your open pages hold too many uploaded files ({limit} MB in all): "
    "close some, or remove files, then upload again."
)

_UPLOAD_PATH = re.compile(r"/_stcore/upload_file/(?P<session>[^/]+)/(?P<file>[^/]+)/?$")


def upload_target(path: str) -> tuple[str, str] | None:
    """The ``(session_id, file_id)`` of an upload URL (also under ``server.baseUrlPath``)."""
    match = _UPLOAD_PATH.search(path)
    return (match["session"], match["file"]) if match else None


@dataclass
class _Session:
    owner: int | None
    files: dict[str, int] = field(default_factory=dict)
    sending: dict[int, int] = field(default_factory=dict)

    def total(self, replacing: str | None = None) -> int:
        held = sum(size for file_id, size in self.files.items() if file_id != replacing)
        return held + sum(self.sending.values())


class UploadLedger:
    """The bytes each Streamlit session holds (accepted files) or is sending (reservations).

    Used from the event loop only: a check and its reservation happen with no ``await``
    between them, so no lock is needed."""

    def __init__(
        self,
        session_bytes: int = SESSION_UPLOAD_BYTES,
        account_bytes: int = ACCOUNT_UPLOAD_BYTES,
    ) -> None:
        self.session_bytes = session_bytes
        self.account_bytes = account_bytes
        self._sessions: dict[str, _Session] = {}
        self._next_ticket = 0

    def held(self, session_id: str) -> int:
        """Bytes the session holds or is sending."""
        session = self._sessions.get(session_id)
        return session.total() if session else 0

    def reserve(self, session_id: str, file_id: str, size: int, owner: int | None) -> int | str:
        """Reserve ``size`` bytes for a ``PUT`` of ``file_id`` (replacing any file of that id):
        a ticket for :meth:`accept` / :meth:`cancel`, or the message refusing it."""
        session = self._sessions.get(session_id) or _Session(owner)
        if session.owner is None:
            session.owner = owner
        if session.total(replacing=file_id) + size > self.session_bytes:
            return SESSION_FULL.format(limit=self.session_bytes // MB)
        if owner is not None:
            others = (s for s in self._sessions.values() if s.owner == owner and s is not session)
            account = session.total(replacing=file_id) + sum(s.total() for s in others)
            if account + size > self.account_bytes:
                return ACCOUNT_FULL.format(limit=self.account_bytes // MB)
        self._sessions[session_id] = session
        self._next_ticket += 1
        session.sending[self._next_ticket] = size
        return self._next_ticket

    def accept(self, session_id: str, file_id: str, ticket: int) -> None:
        """Streamlit kept the file: its reserved bytes are now held."""
        session = self._sessions[session_id]
        session.files[file_id] = session.sending.pop(ticket)

    def cancel(self, session_id: str, ticket: int) -> None:
        """The upload failed or was refused: release its reservation."""
        session = self._sessions.get(session_id)
        if session is not None:
            session.sending.pop(ticket, None)
            self._drop_if_empty(session_id)

    def release(self, session_id: str, file_id: str) -> None:
        """The file was deleted."""
        session = self._sessions.get(session_id)
        if session is not None:
            session.files.pop(file_id, None)
            self._drop_if_empty(session_id)

    def forget_ended(self, session_alive: Callable[[str], bool]) -> None:
        """Drop the sessions that have ended (Streamlit dropped their files with them)."""
        for session_id in [s for s, entry in self._sessions.items() if not entry.sending]:
            if not session_alive(session_id):
                del self._sessions[session_id]

    def _drop_if_empty(self, session_id: str) -> None:
        session = self._sessions[session_id]
        if not session.files and not session.sending:
            del self._sessions[session_id]


class UploadGuard:
    """ASGI middleware: the upload limits of the module docstring.

    ``max_upload_bytes`` reads ``server.maxUploadSize`` (in bytes) when a request comes;
    ``session_alive`` says whether a Streamlit session is still open (``asgi.py`` passes
    Streamlit's runtime's); ``ledger`` counts the bytes (one per server)."""

    def __init__(
        self,
        app: ASGIApp,
        provider: StrideProvider = shared_stride,
        max_upload_bytes: Callable[[], int] = lambda: DEFAULT_MAX_UPLOAD_BYTES,
        session_alive: Callable[[str], bool] | None = None,
        ledger: UploadLedger | None = None,
    ) -> None:
        self.app = app
        self.provider = provider
        self.max_upload_bytes = max_upload_bytes
        self.session_alive = session_alive
        self.ledger = ledger or UploadLedger()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        target = upload_target(scope["path"]) if scope["type"] == "http" else None
        if target is None or scope["method"] not in ("PUT", "DELETE"):
            await self.app(scope, receive, send)
            return
        limit = self.max_upload_bytes()
        stride = await run_in_threadpool(self.provider)
        owner: int | None = None
        if stride.auth.classroom:
            token = session_cookie(HTTPConnection(scope))
            active = await run_in_threadpool(live_session, stride, token)
            if active is None:
                await _refuse(403, SIGN_IN_TO_UPLOAD, scope, receive, send, discard=limit)
                return
            owner = active.actor.user_id
        session_id, file_id = target
        if scope["method"] == "DELETE":
            status = await self._forward(scope, receive, send)
            if status is not None and status < 300:
                self.ledger.release(session_id, file_id)
            return
        length = HTTPConnection(scope).headers.get("content-length", "")
        if not length.isdigit():
            await _refuse(411, LENGTH_REQUIRED, scope, receive, send)
            return
        size = int(length)
        if size > limit:
            await _refuse(413, FILE_TOO_LARGE.format(limit=limit // MB), scope, receive, send)
            return
        if self.session_alive is not None:
            self.ledger.forget_ended(self.session_alive)
        ticket = self.ledger.reserve(session_id, file_id, size, owner)
        if isinstance(ticket, str):
            await _refuse(413, ticket, scope, receive, send, discard=limit)
            return
        status = None
        try:
            status = await self._forward(scope, receive, send)
        finally:
            if status is not None and status < 300:
                self.ledger.accept(session_id, file_id, ticket)
            else:
                self.ledger.cancel(session_id, ticket)

    async def _forward(self, scope: Scope, receive: Receive, send: Send) -> int | None:
        """Run the app; the status it answered with (None if it never started an answer)."""
        status: int | None = None

        async def send_and_note(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        await self.app(scope, receive, send_and_note)
        return status


async def _refuse(
    status: int, message: str, scope: Scope, receive: Receive, send: Send, *, discard: int = 0
) -> None:
    """Answer ``status`` with ``message``, the body unread. A body of at most ``discard`` bytes
    is read first and dropped (no memory held): a client still sending when the server closes
    the connection gets a reset instead of the answer. A larger one is not read at all; the
    connection closes after the answer."""
    drained = discard > 0 and await _discard_body(receive, discard)
    headers = {} if drained else {"Connection": "close"}
    response = PlainTextResponse(message, status_code=status, headers=headers)
    await response(scope, receive, send)


async def _discard_body(receive: Receive, budget: int) -> bool:
    """Read the request body and drop it; whether it ended within ``budget`` bytes."""
    received = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return False
        received += len(message.get("body", b""))
        if received > budget:
            return False
        if not message.get("more_body", False):
            return True
