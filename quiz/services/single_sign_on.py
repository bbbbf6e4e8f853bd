"""Single sign-on (``STRIDE_AUTH=oidc``): which Stride account a school account signs in to.

The school's identity provider vouches for a person with claims: ``iss`` (the provider) and
``sub`` (the person there, never reused), and usually ``email``, ``email_verified`` and ``name``.
The account is, in this order:

1. the one linked to (``iss``, ``sub``) at an earlier sign-in;
2. else the account with that e-mail address (an instructor pre-creates accounts by e-mail, with
   their roles), linked from then on. Only when the provider does not say the address is
   unverified: ``email_verified`` true, or no such claim at all (several school providers, such
   as Microsoft Entra ID, send none and only issue addresses of the school's own domains). An
   account already linked to another subject of the same provider is not linked again (its
   address went to someone else): that sign-in is refused, for an instructor to sort out;
3. else a new student account (``STRIDE_OIDC_NEW_ACCOUNTS=student``, the default): its
   username from the address's local part (``ann``, or ``ann2`` … when taken), its display name
   from ``name``, no password; or a refusal (``refuse``): only pre-created accounts sign in.

A deactivated account is refused. The link, the account and the new session are written in the
caller's one transaction (:func:`sign_in_with_identity`); two first sign-ins racing each other
end with one account and one link.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from itertools import count

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from quiz.config import AuthSettings
from quiz.services.access import Actor
from quiz.services.accounts import MAX_DISPLAY_NAME, AccountError, check_email
from quiz.services.sign_in import SignInResult, start_session
from quiz.services.users import LOCAL_USERNAME
from quiz.store.models import User, UserIdentity
from quiz.vocabulary import ROLE_STUDENT

NEW_ACCOUNTS_STUDENT = "student"
NEW_ACCOUNTS_REFUSE = "refuse"
ATTEMPTS = 5
MAX_ISSUER = 500
MAX_SUBJECT = 255
_NOT_USERNAME = re.compile(r"[^a-z0-9._-]+")


class IdentityRefused(Exception):
    """This school account cannot sign in to Stride; ``message`` says why, for the person."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Identity:
    """What the provider said about the person (see :func:`identity_from_claims`)."""

    issuer: str
    subject: str
    email: str | None = None
    email_verified: bool | None = None
    name: str = ""


def identity_from_claims(claims: Mapping[str, object]) -> Identity:
    """The identity in an ID token's claims; :class:`IdentityRefused` without ``iss``/``sub``.

    An ``email`` that is not an address is left out; ``email_verified`` may be a boolean or the
    strings ``"true"``/``"false"`` (some providers send those)."""
    issuer, subject = claims.get("iss"), claims.get("sub")
    if not (isinstance(issuer, str) and issuer.strip() and isinstance(subject, str) and subject):
        raise IdentityRefused(
            "Your school's sign-in did not say who you are (no issuer or subject). "
            "Ask your instructor to check the single sign-on setup."
        )
    if len(issuer) > MAX_ISSUER or len(subject) > MAX_SUBJECT:
        raise IdentityRefused("Your school's sign-in gave an identity too long to store.")
    raw_email, raw_name = claims.get("email"), claims.get("name")
    try:
        email = check_email(raw_email) if isinstance(raw_email, str) else None
    except AccountError:
        email = None
    return Identity(
        issuer.strip(),
        subject,
        email,
        _verified(claims.get("email_verified")),
        raw_name.strip()[:MAX_DISPLAY_NAME] if isinstance(raw_name, str) else "",
    )


def _verified(raw: object) -> bool | None:
    if isinstance(raw, bool):
        return raw
    if isinstance(raw, str) and raw.strip().lower() in ("true", "false"):
        return raw.strip().lower() == "true"
    return None


def account_for_identity(
    session: Session,
    issuer: str,
    subject: str,
    email: str | None,
    name: str,
    now: datetime,
    settings: AuthSettings,
    *,
    email_verified: bool | None = None,
) -> User:
    """The active account this school account signs in to, linking or creating it as the module
    docstring says; :class:`IdentityRefused` with the reason otherwise."""
    try:
        address = check_email(email) if email else None
    except AccountError:
        address = None
    identity = Identity(issuer, subject, address, email_verified, name.strip()[:MAX_DISPLAY_NAME])
    for _ in range(ATTEMPTS):
        try:
            with session.begin_nested():  # a lost race undoes only this try
                return _resolve(session, identity, now, settings)
        except IntegrityError:
            continue  # another sign-in linked or created it meanwhile: look again
    raise IdentityRefused("Signing in collided with another sign-in. Please try again.")


def _resolve(session: Session, identity: Identity, now: datetime, settings: AuthSettings) -> User:
    linked = session.scalar(
        select(User)
        .join(UserIdentity, UserIdentity.user_id == User.id)
        .where(UserIdentity.issuer == identity.issuer, UserIdentity.subject == identity.subject)
    )
    if linked is not None:
        return _usable(linked)
    trusted = identity.email if identity.email_verified is not False else None
    if trusted is not None:
        owner = session.scalar(select(User).where(User.email == trusted))
        if owner is not None:
            _usable(owner)
            other = session.scalar(
                select(UserIdentity.id).where(
                    UserIdentity.user_id == owner.id, UserIdentity.issuer == identity.issuer
                )
            )
            if other is not None:
                raise IdentityRefused(
                    f"The Stride account for {trusted} is linked to another school account. "
                    "Ask your instructor."
                )
            _link(session, owner, identity, now)
            return owner
    if settings.oidc_new_accounts == NEW_ACCOUNTS_REFUSE:
        if identity.email is not None and identity.email_verified is False:
            raise IdentityRefused(
                f"Your school has not verified the e-mail address {identity.email}, so it "
                "cannot be matched with a Stride account. Ask your instructor."
            )
        who = identity.email or "this school account"
        raise IdentityRefused(
            f"There is no Stride account for {who}. Ask your instructor to add you "
            "(by your school e-mail address)."
        )
    user = User(
        username=_free_username(session, _username_base(identity.email, identity.name)),
        display_name=identity.name,
        role=ROLE_STUDENT,
        created_at=now,
        password_hash=None,
        must_change_password=False,
        active=True,
        email=trusted,
    )
    session.add(user)
    session.flush()
    _link(session, user, identity, now)
    return user


def _usable(user: User) -> User:
    if not user.active:
        raise IdentityRefused(
            f"Your Stride account ({user.username}) is deactivated. Ask your instructor."
        )
    if user.username == LOCAL_USERNAME:  # local mode's user is nobody's account
        raise IdentityRefused("This school account cannot sign in to Stride.")
    return user


def _link(session: Session, user: User, identity: Identity, now: datetime) -> None:
    session.add(
        UserIdentity(
            issuer=identity.issuer, subject=identity.subject, user_id=user.id, created_at=now
        )
    )
    session.flush()


def _username_base(email: str | None, name: str) -> str:
    """``ann.smith`` from ``Ann.Smith+tag@school.example`` (or from the name ``Ann Smith``):
    letters folded to ASCII, what a username may not hold dropped; ``student`` when nothing is
    left."""
    source = email.partition("@")[0].partition("+")[0] if email else name
    folded = unicodedata.normalize("NFKD", source).encode("ascii", "ignore").decode().lower()
    cleaned = _NOT_USERNAME.sub("", "".join("." if c.isspace() else c for c in folded))
    return cleaned.lstrip("._-")[:90].rstrip(".") or ROLE_STUDENT


def _free_username(session: Session, base: str) -> str:
    """``base``, or ``base2``, ``base3`` … whichever no account has (nor local mode's user)."""
    taken = set(
        session.scalars(
            select(User.username).where(User.username.startswith(base, autoescape=True))
        )
    )
    taken.add(LOCAL_USERNAME)
    if base not in taken:
        return base
    return next(f"{base}{n}" for n in count(2) if f"{base}{n}" not in taken)


def sign_in_with_identity(
    session: Session,
    claims: Mapping[str, object],
    client: str,
    now: datetime,
    settings: AuthSettings,
) -> SignInResult:
    """Sign in with the claims of a school account: its account (see
    :func:`account_for_identity`) and a new session, as a password sign-in starts one; or the
    reason it was refused, in ``message``."""
    try:
        identity = identity_from_claims(claims)
        user = account_for_identity(
            session,
            identity.issuer,
            identity.subject,
            identity.email,
            identity.name,
            now,
            settings,
            email_verified=identity.email_verified,
        )
    except IdentityRefused as refusal:
        return SignInResult(message=refusal.message)
    token = start_session(session, user, client, now, settings)
    return SignInResult(token, Actor.of(user), False)
