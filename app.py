"""Stride's entry point: ``streamlit run app.py`` (or ``stride run``)."""

import streamlit as st

from quiz.ui.navigation import build_navigation

st.set_page_config(page_title="Stride", page_icon=":material/neurology:", layout="centered")

build_navigation().run()
