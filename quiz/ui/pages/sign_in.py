"""Sign in (classroom mode): the only page anyone sees before signing in."""

from __future__ import annotations

import streamlit as st

from quiz.scheduling import utc_now
from quiz.services.sign_in import sign_in
from quiz.ui.session import client_address, remember_sign_in
from quiz.ui.state import get_stride

stride = get_stride()

st.title("Sign in to Stride")
st.caption("Your instructor gave you a username and a password.")
with st.form("sign_in", border=True):
    username = st.text_input("Username", autocomplete="username", max_chars=100)
    password = st.text_input(
        "Password", type="password", autocomplete="current-password", max_chars=256
    )
    submitted = st.form_submit_button("Sign in", type="primary", icon=":material/login:")

if submitted:
    if not username.strip() or not password:
        st.error("Enter your username and your password.")
        st.stop()
    client, now = client_address(), utc_now()
    result = stride.write(
        lambda session: sign_in(session, username, password, client, now, stride.auth)
    )
    if not result.ok:
        st.error(result.message, icon=":material/error:")
        st.stop()
    assert result.token is not None
    remember_sign_in(result.token)
    st.rerun()
