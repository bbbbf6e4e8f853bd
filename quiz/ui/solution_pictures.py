"""Drawing a worked solution's bars or values picture in Streamlit (the figures are built in
:mod:`quiz.ui.solution_charts`; the sliding window is drawn by :mod:`quiz.ui.exercise_view`).

Each chart has its title above it and, under it, a caption that says its numbers in words (the
text alternative). Chart keys are prefixed with the caller's ``key``.
"""

from __future__ import annotations

import streamlit as st

from quiz.exercises.pictures import BarsPicture, ValuesPicture
from quiz.ui.solution_charts import (
    bars_figure,
    bars_summary,
    facts_text,
    values_figure,
    values_summary,
)

PLOTLY_CONFIG = {"displayModeBar": False, "staticPlot": False}  # as quiz.ui.exercise_view's


def show_picture(picture: BarsPicture | ValuesPicture, key: str) -> None:
    """The picture's chart with its title above and its numbers in a caption below."""
    if isinstance(picture, BarsPicture):
        st.markdown(f"**{picture.title}**")
        st.plotly_chart(
            bars_figure(picture), config=PLOTLY_CONFIG, width="content", key=f"{key}_bars"
        )
        st.caption(bars_summary(picture))
        return
    if picture.facts:
        st.markdown(f"**{facts_text(picture)}**")
    st.plotly_chart(
        values_figure(picture), config=PLOTLY_CONFIG, width="content", key=f"{key}_values"
    )
    st.caption(values_summary(picture))
