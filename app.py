"""Stride's page script: the navigation, then the page. ``stride run`` serves it through
``asgi.py``; ``streamlit run app.py`` and ``AppTest.from_file("app.py")`` run it directly."""

import streamlit as st

from quiz.ui.focus import show_focus_style
from quiz.ui.navigation import build_navigation
from quiz.ui.page_icon import page_icon_url
from quiz.ui.session import page_run

# Served by Stride itself: a ":material/…:" icon made every browser fetch it from Google's fonts.
st.set_page_config(page_title="Stride", page_icon=page_icon_url(), layout="centered")

show_focus_style()  # keyboard focus drawn plainly (Stride's own static CSS)
with page_run():  # the sign-in is checked once for the navigation and the page
    build_navigation().run()
