"""Stride's page script: the navigation, then the page. ``stride run`` serves it through
``asgi.py``; ``streamlit run app.py`` and ``AppTest.from_file("app.py")`` run it directly."""

import streamlit as st

from quiz.ui.navigation import build_navigation
from quiz.ui.session import page_run

st.set_page_config(page_title="Stride", page_icon=":material/neurology:", layout="centered")

with page_run():  # the sign-in is checked once for the navigation and the page
    build_navigation().run()
