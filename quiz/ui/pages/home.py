"""Home: what is due today in each deck, and when the next card comes due when nothing is."""

from __future__ import annotations

import streamlit as st

from quiz.scheduling import utc_now
from quiz.services.study import due_counts
from quiz.ui.session import current_actor
from quiz.ui.state import get_stride
from quiz.ui.text import describe_due, escape_markdown

STUDY_PAGE = "quiz/ui/pages/study.py"

stride = get_stride()
actor = current_actor()
now = utc_now()
with stride.transaction() as session:
    decks = due_counts(session, actor, now, stride.settings)

st.title("Stride")
st.caption("Spaced repetition and worked problems for convolutional neural networks.")

if not decks:
    st.info("There are no decks yet. Import one with `stride deck import FILE`.")
    st.stop()

total = sum(deck.total for deck in decks)
if total:
    st.header(f"{total} card{'s' if total != 1 else ''} to study today")
else:
    st.header("All done for today")
    upcoming = [deck.next_due for deck in decks if deck.next_due is not None]
    if upcoming:
        st.write(
            f"The next card is due {describe_due(min(upcoming), now, stride.settings.timezone)}."
        )

for deck in decks:
    with st.container(border=True):
        title, new, learning, review, action = st.columns([5, 1.2, 1.2, 1.2, 1.6])
        title.markdown(f"**{escape_markdown(deck.title)}**")
        if deck.total == 0 and deck.next_due is not None:
            title.caption(f"Next due {describe_due(deck.next_due, now, stride.settings.timezone)}")
        new.metric("New", deck.new)
        learning.metric("Learning", deck.learning)
        review.metric("Review", deck.review)
        action.page_link(
            STUDY_PAGE,
            label="Study" if deck.total else "Open",
            icon=":material/play_arrow:",
            query_params={"deck": str(deck.deck_id)},
        )
