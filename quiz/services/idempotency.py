"""Idempotency keys ("client tokens") that make an answer count once under a double click or a
resend.

A page sends a token with each answer it records. The token names *that answer as the page
showed it*: :func:`answer_token` hashes the page session's random nonce with what identifies the
answer (for a review: the card and the review count shown; for an exercise attempt: the problem
and the raw answer). Sending the same thing again gives the same token, and the service returns
the stored result instead of writing a second row; a new card or a different answer gives a new
token. Tokens are unique per user in the database (``review_log`` and ``attempts``), so even two
servers racing with one token record it once.
"""

from __future__ import annotations

import hashlib
import re

from quiz.store.models import CLIENT_TOKEN_LENGTH

TOKEN_PATTERN = re.compile(rf"[A-Za-z0-9_-]{{1,{CLIENT_TOKEN_LENGTH}}}")


class ClientTokenError(ValueError):
    """A client token that is empty, too long or not made of ``[A-Za-z0-9_-]``."""


def check_client_token(token: str) -> None:
    """Refuse a malformed token (:class:`ClientTokenError`) before it reaches the database."""
    if not TOKEN_PATTERN.fullmatch(token):
        raise ClientTokenError(
            f"a client token is 1-{CLIENT_TOKEN_LENGTH} characters from A-Z, a-z, 0-9, _ and -"
        )


def answer_token(nonce: str, *parts: object) -> str:
    """``sha256(nonce, parts…)`` as 64 hex digits: the same answer on the same page, same token."""
    digest = hashlib.sha256(nonce.encode())
    for part in parts:
        digest.update(b"\x1f" + str(part).encode())
    return digest.hexdigest()
