"""Stride's page script: the navigation, then the page. ``stride run`` serves it through
``asgi.py``; ``streamlit run app.py`` and ``AppTest.from_file("app.py")`` run it directly."""

from pathlib import Path

import streamlit as st

from quiz.ui.navigation import build_navigation
from quiz.ui.session import page_run

# Served by Stride itself: a ":material/…:" icon made every browser fetch it from Google's fonts.
PAGE_ICON = Path(__file__).resolve().parent / "quiz" / "ui" / "assets" / "stride-icon.png"

st.set_page_config(page_title="Stride", page_icon=PAGE_ICON, layout="centered")

with page_run():  # the sign-in is checked once for the navigation and the page
    build_navigation().run()
