"""People (instructors, classroom mode): the accounts, new students, password resets, and the
sign-ins being throttled now (with an Unlock per account or address).

A reset or a new account shows its one-time password once; the student replaces it at the
first sign-in. With single sign-on (``STRIDE_AUTH=oidc``) there are no passwords: a new student
is added by e-mail address, and their first sign-in with the school account links to it.
Instructor accounts are managed with ``stride user`` on the server.
"""

from __future__ import annotations

from datetime import datetime

import pandas as pd
import streamlit as st

from quiz.scheduling import utc_now
from quiz.services.access import PermissionDenied
from quiz.services.accounts import (
    AccountError,
    create_user,
    list_accounts,
    reset_password,
    set_active,
)
from quiz.services.passwords import generate_password
from quiz.services.throttle import Throttled, list_throttled, unlock_account, unlock_address
from quiz.ui.session import require_instructor_page
from quiz.ui.state import get_stride
from quiz.ui.text import escape_markdown
from quiz.vocabulary import ROLE_STUDENT

stride = get_stride()
actor = require_instructor_page()
state = st.session_state
single_sign_on = stride.auth.single_sign_on

st.title("People")
if shown := state.pop("people_password", None):
    username, password = shown
    st.success(
        f"One-time password for **{escape_markdown(username)}** — shown once; the student "
        "chooses their own at the first sign-in:",
        icon=":material/key:",
    )
    st.code(password, language=None)
if unlocked := state.pop("people_unlocked", None):
    st.success(
        f"Unlocked {escape_markdown(unlocked)}: it can be tried again at once.",
        icon=":material/lock_open:",
    )
if added_by_email := state.pop("people_added", None):
    username, email = added_by_email
    st.success(
        f"Added **{escape_markdown(username)}**: they sign in with their school account "
        f"({escape_markdown(email)}).",
        icon=":material/person_add:",
    )

with stride.transaction() as session:
    accounts = list_accounts(session, actor)

students = [a for a in accounts if a.role == ROLE_STUDENT]
st.caption(
    f"{len(students)} student{'s' if len(students) != 1 else ''}, "
    f"{len(accounts) - len(students)} instructor{'s' if len(accounts) - len(students) != 1 else ''}"
    ". Add a whole class with `stride user import roster.csv -o passwords.csv`"
    + (" (with an `email` column)." if single_sign_on else ".")
)
if accounts:
    table = pd.DataFrame(
        {
            "Username": [a.username for a in accounts],
            "Name": [a.display_name for a in accounts],
            "E-mail": [a.email or "" for a in accounts],
            "Role": [a.role for a in accounts],
            "State": [
                "deactivated"
                if not a.active
                else (
                    "one-time password"
                    if a.must_change_password and not single_sign_on
                    else "active"
                )
                for a in accounts
            ],
            "Created": [a.created_at.astimezone(stride.settings.timezone) for a in accounts],
        }
    )
    st.dataframe(
        table,
        hide_index=True,
        width="stretch",
        column_config={"Created": st.column_config.DatetimeColumn(format="YYYY-MM-DD HH:mm")},
    )

st.header("Add a student")
with st.form("people_add", clear_on_submit=True):
    new_name = st.text_input("Username", max_chars=100)
    new_display = st.text_input("Full name (optional)", max_chars=200)
    new_email = st.text_input(
        "School e-mail" if single_sign_on else "E-mail (optional)",
        max_chars=254,
        help="Their first sign-in with the school account links to this account by it."
        if single_sign_on
        else "Used if the class moves to single sign-on with the school's accounts.",
    )
    added = st.form_submit_button("Add student", icon=":material/person_add:")
if added:
    password = None if single_sign_on else generate_password()
    try:
        if single_sign_on and not new_email.strip():
            raise AccountError("enter the student's school e-mail address")
        with stride.transaction() as session:
            account = create_user(
                session,
                actor,
                new_name,
                ROLE_STUDENT,
                password,
                utc_now(),
                display_name=new_display,
                one_time=True,
                email=new_email,
            )
    except AccountError as error:
        st.error(f"No account was created: {error}.")
    else:
        if password is None:
            state.people_added = (account.username, account.email or "")
        else:
            state.people_password = (account.username, password)
        st.rerun()

if students:
    st.header("A student's account")
    by_id = {a.user_id: a for a in students}
    chosen = st.selectbox(
        "Student", list(by_id), format_func=lambda i: by_id[i].label, key="people_student"
    )
    account = by_id[chosen]
    reset, toggle = st.columns(2)
    if not single_sign_on and reset.button(
        "Reset password", icon=":material/lock_reset:", key="people_reset"
    ):
        try:
            with stride.transaction() as session:
                password = reset_password(session, actor, account.user_id, utc_now())
        except (AccountError, PermissionDenied) as error:
            st.error(str(error))
        else:
            state.people_password = (account.username, password)
            st.rerun()
    label = "Deactivate" if account.active else "Activate"
    if toggle.button(label, icon=":material/person_off:", key="people_toggle"):
        with stride.transaction() as session:
            set_active(session, actor, account.user_id, not account.active)
        st.rerun()
    st.caption(
        ("" if single_sign_on else "A reset signs the student out everywhere. ")
        + "A deactivated account cannot sign in; its work and grades are kept."
    )


def _at(moment: datetime) -> str:
    return moment.astimezone(stride.settings.timezone).strftime("%H:%M")


def _describe(row: Throttled) -> str:
    """One line about an account or address held back now (Markdown, names escaped)."""
    failures = f"{row.failures} failed sign-in{'s' if row.failures != 1 else ''} this hour"
    if row.kind == "address":
        return (
            f"**{escape_markdown(row.name)}** (address) — {failures}; only browsers that signed "
            f"in before until {_at(row.until)}"
        )
    label = f"{row.display_name} ({row.name})" if row.display_name else row.name
    parts = [
        f"from {escape_markdown(c.address) if c.address else 'a known browser'}: "
        f"{c.failures} failures, waits until {_at(c.until)}"
        for c in row.slowed
    ]
    if row.known_browsers_only and row.guarded_until is not None:
        parts.append(f"only browsers that signed in before until {_at(row.guarded_until)}")
    return f"**{escape_markdown(label)}** — {failures}; " + "; ".join(parts)


if not single_sign_on:
    st.header("Throttled sign-ins")
    with stride.transaction() as session:
        throttled = list_throttled(session, actor, utc_now(), stride.auth)
    if not throttled:
        st.caption("No account or address is being slowed down now.")
    for row in throttled:
        text, action = st.columns([5, 1], vertical_alignment="center")
        text.markdown(_describe(row))
        key = f"people_unlock_{row.kind}_{row.name}"
        if action.button("Unlock", icon=":material/lock_open:", key=key):
            with stride.transaction() as session:
                if row.kind == "address":
                    unlock_address(session, actor, row.name)
                else:
                    unlock_account(session, actor, row.name)
            state.people_unlocked = row.name if row.kind == "account" else f"address {row.name}"
            st.rerun()
    st.caption(
        "Wrong passwords slow down the browser or address that types them; an account or "
        "address with too many in an hour takes passwords only from browsers that signed in "
        "to it before. Unlock clears the waits and the count at once."
    )
