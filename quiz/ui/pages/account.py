"""Your account (classroom mode): change your password; first, replace a one-time password.
With single sign-on there is no password here: the school's provider checks who you are."""

from __future__ import annotations

import streamlit as st

from quiz.services.accounts import AccountError, change_password
from quiz.services.passwords import MIN_LENGTH
from quiz.ui.session import active_session, session_token, sign_in_again
from quiz.ui.state import get_stride
from quiz.ui.text import escape_markdown

stride = get_stride()
active = active_session()
if active is None:
    sign_in_again()
assert active is not None

st.title("Your account")
forced = active.must_change_password
st.markdown(f"Signed in as **{escape_markdown(active.actor.username)}** ({active.actor.role}).")
if stride.auth.single_sign_on:
    st.info(
        "You sign in with your school account: Stride keeps no password for you. "
        "**Sign out** in the sidebar signs you out of Stride and of your school account.",
        icon=":material/badge:",
    )
    st.stop()
if forced:
    st.info(
        "You signed in with a one-time password. Choose your own password to continue.",
        icon=":material/key:",
    )

with st.form("change_password"):
    current = (
        None
        if forced
        else st.text_input("Current password", type="password", autocomplete="current-password")
    )
    new = st.text_input(
        "New password",
        type="password",
        autocomplete="new-password",
        help=f"At least {MIN_LENGTH} characters, and not your username.",
    )
    again = st.text_input("New password again", type="password", autocomplete="new-password")
    submitted = st.form_submit_button("Change password", type="primary")

if submitted:
    if new != again:
        st.error("The two new passwords differ; type the same one twice.")
        st.stop()
    try:
        with stride.transaction() as session:
            change_password(
                session,
                active.actor,
                current,
                new,
                keep_token=session_token(),
            )
    except AccountError as error:
        st.error(f"The password was not changed: {error}.")
        st.stop()
    st.session_state["password_changed"] = True
    st.rerun()
