"""Who is acting, and the checks every service runs before it reads or writes per-user data.

Pages only hide what these checks already refuse: a service called with the wrong actor raises
:class:`PermissionDenied` whatever the URL, query parameter or session state said.
"""

from __future__ import annotations

from dataclasses import dataclass

from quiz.store.models import User
from quiz.vocabulary import ROLE_INSTRUCTOR


class PermissionDenied(PermissionError):
    """The acting user may not do this; the message says what was refused, never why in detail."""


@dataclass(frozen=True)
class Actor:
    """The user a request acts for: their id, username and role (``student`` / ``instructor``)."""

    user_id: int
    username: str
    role: str

    @classmethod
    def of(cls, user: User) -> Actor:
        return cls(user.id, user.username, user.role)

    @property
    def is_instructor(self) -> bool:
        return self.role == ROLE_INSTRUCTOR

    @property
    def is_command_line(self) -> bool:
        """The server's administrator at the ``stride`` command (no account of its own)."""
        return self.user_id == COMMAND_LINE_USER_ID


COMMAND_LINE_USER_ID = 0
COMMAND_LINE = Actor(COMMAND_LINE_USER_ID, "stride-cli", ROLE_INSTRUCTOR)
"""Who the ``stride`` command acts as: whoever can run it owns the database anyway."""


def require_instructor(actor: Actor, action: str) -> None:
    """Refuse ``action`` (e.g. ``"create assignments"``) unless ``actor`` is an instructor."""
    if not actor.is_instructor:
        raise PermissionDenied(f"Only instructors can {action}.")


def require_self_or_instructor(actor: Actor, user_id: int, what: str) -> None:
    """Refuse reading ``what`` of another user unless ``actor`` is that user or an instructor."""
    if actor.user_id != user_id and not actor.is_instructor:
        raise PermissionDenied(f"You can only see your own {what}.")
