"""Bare Streamlit, the framework's floor for the benchmarks: a title, one line, one button."""

import streamlit as st

st.title("Bare Streamlit")
st.write("The smallest page: a title, one line of text and one button.")
st.button("Press")
