"""User accounts. In local mode there is one implicit user, ``local``."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from quiz.store.models import User
from quiz.vocabulary import ROLE_INSTRUCTOR

LOCAL_USERNAME = "local"


def ensure_local_user(session: Session, now: datetime) -> User:
    """The local-mode user, created on first use."""
    user = session.scalar(select(User).where(User.username == LOCAL_USERNAME))
    if user is None:
        user = User(
            username=LOCAL_USERNAME, display_name="You", role=ROLE_INSTRUCTOR, created_at=now
        )
        session.add(user)
        session.flush()
    return user
