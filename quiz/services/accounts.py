"""Accounts: creating them (one by one or from a roster), listing, and password changes.

Usernames are case-insensitive (stored lower-case): letters, digits and ``. _ - @``, at most 100
characters. Passwords follow :func:`quiz.services.passwords.check_password_rules`; a generated
one-time password must be replaced at the next sign-in. An account may have no password (it signs
in with single sign-on only). E-mail addresses are optional, stored lower-case and unique: single
sign-on links a school account to the Stride account with its address
(:mod:`quiz.services.single_sign_on`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from quiz.services.access import Actor, PermissionDenied, require_instructor
from quiz.services.passwords import (
    PasswordRuleError,
    check_password_rules,
    generate_password,
    hash_password,
    verify_password,
)
from quiz.services.sign_in import end_all_sessions, normalise_username
from quiz.services.users import LOCAL_USERNAME
from quiz.store.models import User
from quiz.vocabulary import ROLE_STUDENT, ROLES

USERNAME_PATTERN = re.compile(r"[a-z0-9][a-z0-9._@-]{0,99}")
MAX_DISPLAY_NAME = 200
EMAIL_PATTERN = re.compile(r"[a-z0-9!#$%&'*+/=?^_`{|}~.-]+@[a-z0-9-]+(\.[a-z0-9-]+)+")
"""An address as schools hand them out (ASCII; checked after lower-casing)."""
MAX_EMAIL = 254


class AccountError(ValueError):
    """A request about accounts that cannot be done; the message says what was expected."""


@dataclass(frozen=True)
class Account:
    """What the pages and the CLI show about a user (never the hash)."""

    user_id: int
    username: str
    display_name: str
    role: str
    active: bool
    must_change_password: bool
    created_at: datetime
    email: str | None = None

    @property
    def label(self) -> str:
        """``Display Name (username)``, or the username alone."""
        return f"{self.display_name} ({self.username})" if self.display_name else self.username

    @classmethod
    def of(cls, user: User) -> Account:
        return cls(
            user.id,
            user.username,
            user.display_name,
            user.role,
            user.active,
            user.must_change_password,
            user.created_at,
            user.email,
        )


def check_username(username: str) -> str:
    """The normalised username, or :class:`AccountError` saying what a username may contain."""
    name = normalise_username(username)
    if not USERNAME_PATTERN.fullmatch(name):
        raise AccountError(
            f"{username!r} is not a valid username: expected 1–100 letters, digits or . _ - @, "
            "starting with a letter or digit"
        )
    if name == LOCAL_USERNAME:
        raise AccountError(f"{name!r} is reserved for local mode")
    return name


def normalise_email(email: str) -> str:
    """E-mail addresses are compared case-insensitively: stored lower-case, trimmed."""
    return email.strip().lower()


def check_email(email: str) -> str | None:
    """The normalised address (None for an empty one), or :class:`AccountError` saying what an
    address looks like."""
    address = normalise_email(email)
    if not address:
        return None
    if len(address) > MAX_EMAIL or not EMAIL_PATTERN.fullmatch(address):
        raise AccountError(
            f"{email.strip()[:MAX_EMAIL]!r} is not an e-mail address: expected one like "
            "name@school.example"
        )
    return address


def _check_email_free(session: Session, address: str | None) -> None:
    if address is None:
        return
    owner = session.scalar(select(User.username).where(User.email == address))
    if owner is not None:
        raise AccountError(f"the e-mail address {address!r} belongs to the account {owner!r}")


def create_user(
    session: Session,
    actor: Actor,
    username: str,
    role: str,
    password: str | None,
    now: datetime,
    *,
    display_name: str = "",
    one_time: bool = False,
    email: str = "",
    section: str = "",
) -> Account:
    """Add an account (instructors only). ``one_time``: the password must be changed at the
    next sign-in; ``password`` None: no password (single sign-on only). ``email`` is optional
    (the address single sign-on links by). Raises :class:`AccountError` for a bad or taken name,
    role, password or address."""
    require_instructor(actor, "create accounts")
    name = check_username(username)
    if role not in ROLES:
        raise AccountError(f"role {role!r}: expected one of {', '.join(ROLES)}")
    display_name = display_name.strip()
    if len(display_name) > MAX_DISPLAY_NAME:
        raise AccountError(f"the display name is longer than {MAX_DISPLAY_NAME} characters")
    address = check_email(email)
    if password is not None:
        try:
            check_password_rules(password, name)
        except PasswordRuleError as error:
            raise AccountError(str(error)) from None
    if session.scalar(select(User.id).where(User.username == name)) is not None:
        raise AccountError(f"the username {name!r} is taken")
    _check_email_free(session, address)
    user = User(
        username=name,
        display_name=display_name,
        role=role,
        created_at=now,
        password_hash=None if password is None else hash_password(password),
        must_change_password=one_time and password is not None,
        active=True,
        email=address,
        section=section.strip()[:100] or None,
    )
    session.add(user)
    session.flush()
    return Account.of(user)


def list_accounts(session: Session, actor: Actor, *, role: str | None = None) -> list[Account]:
    """Every account with a password (instructors only), by username; optionally one role."""
    require_instructor(actor, "list accounts")
    query = select(User).where(User.username != LOCAL_USERNAME).order_by(User.username)
    if role is not None:
        query = query.where(User.role == role)
    return [Account.of(user) for user in session.scalars(query)]


def list_students(session: Session, actor: Actor) -> list[Account]:
    """The active student accounts (instructors only), by username."""
    return [a for a in list_accounts(session, actor, role=ROLE_STUDENT) if a.active]


def reset_password(session: Session, actor: Actor, user_id: int, now: datetime) -> str:
    """Give a student a new one-time password (instructors only) and sign them out everywhere.

    Returns the password, to be shown once to the instructor. Instructors' passwords are reset
    from the command line (``stride user reset-password``), not by each other in the app.
    """
    require_instructor(actor, "reset passwords")
    user = session.get(User, user_id)
    if user is None or user.username == LOCAL_USERNAME:
        raise AccountError(f"there is no account {user_id}")
    if user.role != ROLE_STUDENT and not actor.is_command_line:
        raise PermissionDenied("Only a student's password can be reset in the app.")
    password = generate_password()
    user.password_hash = hash_password(password)
    user.must_change_password = True
    end_all_sessions(session, user.id)
    session.flush()
    return password


def set_password(session: Session, actor: Actor, user_id: int, password: str) -> None:
    """Set an account's password (the command line only: the administrator's own choice)."""
    if not actor.is_command_line:
        raise PermissionDenied("Passwords are set by their owners.")
    user = session.get(User, user_id)
    if user is None or user.username == LOCAL_USERNAME:
        raise AccountError(f"there is no account {user_id}")
    try:
        check_password_rules(password, user.username)
    except PasswordRuleError as error:
        raise AccountError(str(error)) from None
    user.password_hash = hash_password(password)
    user.must_change_password = False
    end_all_sessions(session, user.id)
    session.flush()


def change_password(
    session: Session,
    actor: Actor,
    current_password: str | None,
    new_password: str,
    *,
    keep_token: str | None = None,
) -> None:
    """Change the acting user's own password; other sessions of the user are ended.

    ``current_password`` may be None only while a one-time password is being replaced (the
    session was just opened with it).
    """
    user = session.get(User, actor.user_id)
    if user is None or not user.active:
        raise PermissionDenied("This account cannot change its password.")
    if current_password is None:
        if not user.must_change_password:
            raise AccountError("enter your current password")
    elif not verify_password(user.password_hash, current_password):
        raise AccountError("the current password is wrong")
    try:
        check_password_rules(new_password, user.username)
    except PasswordRuleError as error:
        raise AccountError(str(error)) from None
    if verify_password(user.password_hash, new_password):
        raise AccountError("the new password must differ from the old one")
    user.password_hash = hash_password(new_password)
    user.must_change_password = False
    end_all_sessions(session, user.id, keep_token=keep_token)
    session.flush()


def set_active(session: Session, actor: Actor, user_id: int, active: bool) -> None:
    """Deactivate (or reactivate) an account: a deactivated one cannot sign in and is signed out.
    Instructors only; nobody can deactivate themselves."""
    require_instructor(actor, "deactivate accounts")
    user = session.get(User, user_id)
    if user is None or user.username == LOCAL_USERNAME:
        raise AccountError(f"there is no account {user_id}")
    if user.id == actor.user_id:
        raise AccountError("you cannot deactivate your own account")
    user.active = active
    if not active:
        end_all_sessions(session, user.id)
    session.flush()


def find_account(session: Session, actor: Actor, username: str) -> Account | None:
    require_instructor(actor, "look up accounts")
    user = session.scalar(select(User).where(User.username == normalise_username(username)))
    if user is None or user.username == LOCAL_USERNAME:  # local mode's user is not an account
        return None
    return Account.of(user)


@dataclass(frozen=True)
class CreatedAccount:
    username: str
    role: str
    password: str


def create_accounts(
    session: Session, actor: Actor, rows: Sequence[Sequence[str]], now: datetime
) -> tuple[list[CreatedAccount], list[str]]:
    """Create ``(username, display_name, role[, email[, section]])`` accounts with one-time
    passwords.

    Usernames that exist already are skipped (their passwords are not touched) and returned
    second. All or nothing: any other error (an e-mail address another account has, too)
    raises before the caller's transaction commits. Only an instructor (or the command line)
    may call it, checked before any username is looked up.
    """
    require_instructor(actor, "create accounts")
    created: list[CreatedAccount] = []
    skipped: list[str] = []
    for username, display_name, role, *rest in rows:
        name = check_username(username)
        if session.scalar(select(User.id).where(User.username == name)) is not None:
            skipped.append(name)
            continue
        password = generate_password()
        create_user(
            session,
            actor,
            name,
            role,
            password,
            now,
            display_name=display_name,
            one_time=True,
            email=rest[0] if rest else "",
            section=rest[1] if len(rest) > 1 else "",
        )
        created.append(CreatedAccount(name, role, password))
    return created, skipped
