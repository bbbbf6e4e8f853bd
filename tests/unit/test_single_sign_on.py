"""Single sign-on's accounts (quiz/services/single_sign_on.py), on both databases: which Stride
account a school account (issuer + subject, e-mail) signs in to, links, creates or is refused.

The HTTP side (the gate, the button, the cookies) is in test_web_single_sign_on.py; the whole
flow through a real provider in tests/browser/test_single_sign_on_browser.py.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

import quiz.services.single_sign_on as single_sign_on
from quiz.config import AuthSettings
from quiz.runtime import Stride
from quiz.services.access import COMMAND_LINE
from quiz.services.accounts import create_accounts, create_user, set_active
from quiz.services.sign_in import resume_session
from quiz.services.single_sign_on import (
    Identity,
    IdentityRefused,
    account_for_identity,
    identity_from_claims,
    sign_in_with_identity,
)
from quiz.store.models import User, UserIdentity
from tests.support import NOON

SCHOOL = "https://login.school.example"
OTHER_SCHOOL = "https://idp.other.example"
OIDC = AuthSettings(mode="oidc")
REFUSE = AuthSettings(mode="oidc", oidc_new_accounts="refuse")


@pytest.fixture
def db(database_url: str) -> Iterator[Stride]:
    stride = Stride.open(database_url, auth=OIDC, load_builtin=False)
    yield stride
    stride.close()


def link(
    stride: Stride,
    subject: str,
    email: str | None = None,
    name: str = "",
    *,
    verified: bool | None = True,
    settings: AuthSettings = OIDC,
    issuer: str = SCHOOL,
) -> tuple[str, str, str | None, str, str]:
    """Sign ``subject`` in: the account's (username, role, email, display name, password hash
    state); raises :class:`IdentityRefused` as the service does."""
    with stride.transaction() as session:
        user = account_for_identity(
            session, issuer, subject, email, name, NOON, settings, email_verified=verified
        )
        state = "no password" if user.password_hash is None else "password"
        return user.username, user.role, user.email, user.display_name, state


def refusal(stride: Stride, subject: str, email: str | None = None, **kwargs: object) -> str:
    with pytest.raises(IdentityRefused) as caught:
        link(stride, subject, email, **kwargs)  # type: ignore[arg-type]
    return caught.value.message


def precreate(stride: Stride, username: str, role: str, email: str, *, active: bool = True) -> int:
    with stride.transaction() as session:
        account = create_user(session, COMMAND_LINE, username, role, None, NOON, email=email)
        if not active:
            set_active(session, COMMAND_LINE, account.user_id, False)
        return account.user_id


def identities(stride: Stride) -> list[tuple[str, str, str]]:
    with stride.transaction() as session:
        rows = session.execute(
            select(UserIdentity.issuer, UserIdentity.subject, User.username)
            .join(User, User.id == UserIdentity.user_id)
            .order_by(UserIdentity.id)
        )
        return [tuple(row) for row in rows]  # type: ignore[misc]


def accounts(stride: Stride) -> int:
    with stride.transaction() as session:
        return int(session.scalar(select(func.count()).select_from(User)) or 0) - 1  # not local


# --- an unknown school account --------------------------------------------------------------------


def test_an_unknown_identity_becomes_a_student_named_after_the_address(db: Stride) -> None:
    got = link(db, "sub-ann", "Ann.Smith@School.Example", "Ann Smith")
    assert got == ("ann.smith", "student", "ann.smith@school.example", "Ann Smith", "no password")
    assert identities(db) == [(SCHOOL, "sub-ann", "ann.smith")]


def test_the_same_identity_comes_back_to_the_same_account_whatever_its_email_says(
    db: Stride,
) -> None:
    first = link(db, "sub-ann", "ann@school.example", "Ann")
    assert link(db, "sub-ann", "ann.renamed@school.example", "Ann R.") == first
    assert link(db, "sub-ann", None, "") == first
    assert accounts(db) == 1 and len(identities(db)) == 1


def test_new_usernames_are_unique(db: Stride) -> None:
    with db.transaction() as session:
        create_user(session, COMMAND_LINE, "ann", "student", None, NOON)
    assert link(db, "1", "ann@school.example")[0] == "ann2"
    assert link(db, "2", "ann@other.example")[0] == "ann3"
    assert link(db, "3", "local@school.example")[0] == "local2"  # local mode's name is taken
    assert link(db, "4", "ann_b@school.example")[0] == "ann_b"  # LIKE's _ is not a wildcard


@pytest.mark.parametrize(
    ("email", "name", "username"),
    [
        ("Chloe.Zhang@school.example", "", "chloe.zhang"),
        (None, "Chloé Zhāng", "chloe.zhang"),
        ("chloé@school.example", "Chloé", "chloe"),  # not an ASCII address: from the name
        ("ann+stride@school.example", "", "ann"),
        ("._-x@school.example", "", "x"),
        (None, "Ann Smith", "ann.smith"),
        (None, "张伟", "student"),
        ("测试@school.example", "", "student"),
        (None, "", "student"),
    ],
)
def test_usernames_are_made_from_the_address_or_the_name(
    db: Stride, email: str | None, name: str, username: str
) -> None:
    assert link(db, "sub", email, name)[0] == username


def test_refuse_mode_refuses_unknown_identities_with_the_reason(db: Stride) -> None:
    message = refusal(db, "sub-x", "x@school.example", settings=REFUSE)
    assert message == (
        "There is no Stride account for x@school.example. Ask your instructor to add you "
        "(by your school e-mail address)."
    )
    assert "this school account" in refusal(db, "sub-y", None, settings=REFUSE)
    assert accounts(db) == 0 and identities(db) == []


# --- accounts created by e-mail -------------------------------------------------------------------


def test_a_precreated_instructor_is_linked_by_verified_email_whatever_its_case(db: Stride) -> None:
    precreate(db, "tess", "instructor", "Tess.Teacher@School.Example")
    got = link(db, "sub-tess", "TESS.teacher@school.EXAMPLE", "Someone Else", settings=REFUSE)
    assert got == ("tess", "instructor", "tess.teacher@school.example", "", "no password")
    assert identities(db) == [(SCHOOL, "sub-tess", "tess")]
    # linked from now on: by subject, even after the address changes
    assert link(db, "sub-tess", "t.teacher@school.example", settings=REFUSE)[0] == "tess"


@pytest.mark.parametrize("verified", [True, None])  # None: the provider sends no such claim
def test_an_address_the_provider_does_not_call_unverified_links(
    db: Stride, verified: bool | None
) -> None:
    precreate(db, "tess", "instructor", "tess@school.example")
    assert link(db, "sub", "tess@school.example", verified=verified)[0] == "tess"


def test_an_unverified_address_links_to_nothing_and_is_not_stored(db: Stride) -> None:
    precreate(db, "tess", "instructor", "tess@school.example")
    got = link(db, "sub-mallory", "tess@school.example", "Mallory", verified=False)
    assert got == ("tess2", "student", None, "Mallory", "no password")
    message = refusal(db, "sub-eve", "tess@school.example", verified=False, settings=REFUSE)
    assert "has not verified the e-mail address tess@school.example" in message


def test_an_account_linked_to_another_subject_is_not_linked_again(db: Stride) -> None:
    precreate(db, "tess", "instructor", "tess@school.example")
    link(db, "sub-old", "tess@school.example")
    message = refusal(db, "sub-new", "tess@school.example")
    assert "linked to another school account" in message
    # another provider's account with the same address may link too
    assert link(db, "sub-x", "tess@school.example", issuer=OTHER_SCHOOL)[0] == "tess"
    assert len(identities(db)) == 2


def test_deactivated_accounts_are_refused_and_not_linked(db: Stride) -> None:
    precreate(db, "ann", "student", "ann@school.example", active=False)
    assert refusal(db, "sub-ann", "ann@school.example") == (
        "Your Stride account (ann) is deactivated. Ask your instructor."
    )
    assert identities(db) == []

    link(db, "sub-bob", "bob@school.example")
    with db.transaction() as session:
        bob = session.scalar(select(User.id).where(User.username == "bob"))
        assert bob is not None
        set_active(session, COMMAND_LINE, bob, False)
    assert "(bob) is deactivated" in refusal(db, "sub-bob", "bob@school.example")


def test_the_issuer_is_part_of_the_identity(db: Stride) -> None:
    first = link(db, "same-sub", "a@school.example")
    second = link(db, "same-sub", "b@other.example", issuer=OTHER_SCHOOL)
    assert first[0] == "a" and second[0] == "b"


def test_an_email_that_is_not_an_address_is_ignored(db: Stride) -> None:
    assert link(db, "sub", "not an address", "Ann")[:3] == ("ann", "student", None)


# --- claims and the session -----------------------------------------------------------------------


def test_claims_need_an_issuer_and_a_subject() -> None:
    for claims in (
        {"sub": "x"},
        {"iss": SCHOOL},
        {"iss": " ", "sub": "x"},
        {"iss": SCHOOL, "sub": 7},
    ):
        with pytest.raises(IdentityRefused, match="did not say who you are"):
            identity_from_claims(claims)
    identity = identity_from_claims(
        {"iss": SCHOOL, "sub": "s", "email": "A@B.example", "email_verified": "false", "name": 3}
    )
    assert (identity.email, identity.email_verified, identity.name) == ("a@b.example", False, "")


def test_signing_in_with_claims_starts_a_session_like_a_password_does(db: Stride) -> None:
    claims = {"iss": SCHOOL, "sub": "sub-ann", "email": "ann@school.example", "name": "Ann"}
    with db.transaction() as session:
        result = sign_in_with_identity(session, claims, "10.0.0.1", NOON, OIDC)
    assert result.ok and result.actor is not None and result.actor.username == "ann"
    with db.transaction() as session:
        active = resume_session(session, result.token, NOON + timedelta(minutes=5), OIDC)
    assert active is not None and active.actor.username == "ann" and active.display_name == "Ann"
    with db.transaction() as session:
        refused = sign_in_with_identity(session, {"sub": "x"}, "10.0.0.1", NOON, OIDC)
    assert not refused.ok and "did not say who you are" in refused.message


def test_a_one_time_password_from_a_roster_asks_nothing_with_single_sign_on(db: Stride) -> None:
    with db.transaction() as session:
        create_accounts(session, COMMAND_LINE, [("ann", "", "student", "ann@school.example")], NOON)
    claims = {"iss": SCHOOL, "sub": "s", "email": "ann@school.example"}
    with db.transaction() as session:
        result = sign_in_with_identity(session, claims, "", NOON, OIDC)
        active = resume_session(session, result.token, NOON, OIDC)
        with_passwords = resume_session(session, result.token, NOON, AuthSettings(mode="password"))
    assert active is not None and not active.must_change_password
    assert with_passwords is not None and with_passwords.must_change_password


def test_a_lost_race_to_link_ends_with_the_winners_link(
    db: Stride, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two first sign-ins of one identity at once (two tabs, two replicas): the one that links
    second finds the other's link instead of failing."""
    if database_url.startswith("sqlite"):
        pytest.skip("SQLite's writers take turns (BEGIN IMMEDIATE): no two link at once")
    precreate(db, "ann", "student", "ann@school.example")
    precreate(db, "winner", "student", "winner@school.example")
    real_link = single_sign_on._link
    raced: list[bool] = []

    def racing_link(session: Session, user: User, identity: Identity, now: object) -> None:
        if not raced:  # another server links this identity just before this one does
            raced.append(True)
            with db.transaction() as other:
                winner = other.scalars(select(User).where(User.username == "winner")).one()
                real_link(other, winner, identity, NOON)
        real_link(session, user, identity, NOON)

    monkeypatch.setattr(single_sign_on, "_link", racing_link)
    username = db.write(
        lambda session: (
            account_for_identity(
                session, SCHOOL, "sub", "ann@school.example", "", NOON, OIDC
            ).username
        )
    )
    assert raced and username == "winner"
    assert identities(db) == [(SCHOOL, "sub", "winner")]
