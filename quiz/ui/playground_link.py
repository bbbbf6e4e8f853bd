"""The "Open in Playground" link under a worked solution (Streamlit only; the mapping is in
``quiz.playground.links``)."""

from __future__ import annotations

import streamlit as st

from quiz.exercises.base import Exercise
from quiz.playground.links import playground_params

PLAYGROUND_PAGE = "quiz/ui/pages/playground.py"


def show_playground_link(exercise: Exercise) -> bool:
    """Link to the Playground showing ``exercise``'s layer; returns whether a link was shown.

    Nothing is shown for exercises that are not about one layer the Playground can draw. The
    page must be in the app's ``st.navigation``, or Streamlit raises when the link is drawn.
    """
    query = playground_params(exercise)
    if query is None:
        return False
    st.page_link(
        PLAYGROUND_PAGE,
        label="Open in Playground",
        icon=":material/grid_on:",
        query_params=query,
        help="The same layer (input size, kernel, stride, padding, dilation, channels), "
        "animated, with the Playground's own example numbers.",
    )
    return True
