"""Process-wide resources for the Streamlit pages."""

from __future__ import annotations

import streamlit as st

from quiz.config import default_database_url
from quiz.runtime import Stride


@st.cache_resource(show_spinner="Opening the database…")
def _open(database_url: str) -> Stride:
    return Stride.open(database_url)


def get_stride() -> Stride:
    """The shared :class:`Stride` for the configured database (opened and migrated once)."""
    return _open(default_database_url())
