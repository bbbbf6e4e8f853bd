"""Streamlit pages and small view helpers. No SQL and no maths here: pages call quiz.services."""
