"""Stride's entry point: ``streamlit run app.py`` (or ``stride run``)."""

import streamlit as st

st.set_page_config(page_title="Stride", page_icon=":material/neurology:", layout="centered")

PAGES = [
    st.Page("quiz/ui/pages/home.py", title="Home", icon=":material/home:", default=True),
    st.Page("quiz/ui/pages/study.py", title="Study", icon=":material/school:"),
    st.Page("quiz/ui/pages/practice.py", title="Practice", icon=":material/calculate:"),
    st.Page("quiz/ui/pages/decks.py", title="Decks", icon=":material/style:"),
]

st.navigation(PAGES).run()
