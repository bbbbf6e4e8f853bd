"""Study: front → Show answer (Space) → back → Again/Hard/Good/Easy (1-4), with undo.

Session state (all keys start with ``study_``): the chosen deck, the card on screen, whether its
answer is revealed, when it was shown (for the review's duration), and how many cards this
session has answered (for the progress bar).

Everything below the deck box is one ``st.fragment``: revealing, rating, answering an exercise
item and undoing rerun only it (a fragment run checks the sign-in again, as a page run does).
The due counts behind the progress bar are read again only after an answer or an undo, or
when they are a minute old, not on every reveal.
"""

from __future__ import annotations

import time
from datetime import datetime
from typing import Any

import streamlit as st

from quiz.exercises.base import Exercise
from quiz.scheduling import Rating, format_interval, utc_now
from quiz.services.practice import AttemptContext, exercise_for_item, submit_item
from quiz.services.study import (
    CardNotFoundError,
    DueCounts,
    StaleAnswerError,
    StudyCard,
    answer_card,
    due_counts,
    load_study_card,
    next_card,
    undo_last_answer,
)
from quiz.ui.exercise_view import (
    answer_input,
    answer_mode,
    show_grade,
    show_prompt,
    show_solution,
)
from quiz.ui.focus import focus_answer_box
from quiz.ui.query import int_param
from quiz.ui.session import actor_in, current_actor, signed_in_reading
from quiz.ui.state import answer_token, get_stride, rerun_fragment, widget_slot
from quiz.ui.text import describe_due, escape_markdown, show_card_text

ALL_DECKS = 0

stride = get_stride()
actor = current_actor()
state = st.session_state
state.setdefault("study_answered", 0)
state.setdefault("study_revealed", False)
state.setdefault("study_card_id", None)
state.setdefault("study_undo_available", False)


def _deck_filter() -> int | None:
    return None if state.study_deck == ALL_DECKS else state.study_deck


def _show(card: StudyCard | None) -> None:
    state.study_card_id = card.card_id if card else None
    # The review count when the card was put on screen: an answer given after another tab or
    # replica answered it meanwhile is refused as stale, even though reruns reload the card.
    state.study_card_reps = card.schedule.reps if card else None
    state.study_revealed = False
    state.study_shown_at = time.monotonic()
    state.study_item_result = None
    state.study_item_format_error = None
    state.study_hint = False
    state.study_solution = False


def _reveal() -> None:
    state.study_revealed = True


def _elapsed_ms() -> int:
    return int((time.monotonic() - state.get("study_shown_at", time.monotonic())) * 1000)


def _answer(card_id: int, reps: int, rating: Rating) -> None:
    """Record the rating (a callback: it runs before the page run, so it checks the sign-in
    itself, in the same write transaction). The fragment then puts the next card on screen."""
    now = utc_now()
    token = answer_token("review", card_id, reps)

    def record(session: Any) -> bool:
        acting = actor_in(session)
        if acting is None:
            return False  # signed out meanwhile: the run that follows asks to sign in again
        answer_card(
            session,
            acting,
            card_id,
            rating,
            now,
            stride.scheduler,
            duration_ms=_elapsed_ms(),
            expected_reps=reps,
            client_token=token,
        )
        return True

    try:
        if not stride.write(record):
            return
    except CardNotFoundError:
        state.study_notice = "That card was removed from its deck; here is the next one."
    except StaleAnswerError:
        state.study_notice = "That card was already answered (another tab or a double press)."
    else:
        state.study_answered += 1
        state.study_undo_available = True
    _show(None)
    state.study_exclude = card_id  # the next card, unless it is the only one left


def _undo() -> None:
    def undo_and_reload(session: Any) -> tuple[bool, StudyCard | None]:
        """Undo the last answer and load its card again (one write transaction, which checks
        the sign-in too: a callback runs before the page run's check)."""
        acting = actor_in(session)
        if acting is None:
            return False, None
        card_id = undo_last_answer(session, acting)
        return True, load_study_card(session, acting, card_id) if card_id else None

    signed_in, card = stride.write(undo_and_reload)
    if not signed_in:
        return
    if card is None:
        state.study_notice = "There is nothing to undo."
        state.study_undo_available = False
        return
    state.study_answered = max(0, state.study_answered - 1)
    state.study_undo_count = state.get("study_undo_count", 0) + 1
    _show(card)
    state.study_revealed = True  # a flashcard comes back with its answer shown
    state.study_notice = "Undone: the card is back as it was before your answer."


def _change_deck() -> None:
    st.query_params["deck"] = str(state.study_deck)
    state.study_answered = 0
    _show(None)


COUNTS_MAX_AGE_S = 60.0


def _due_counts(session: Any, now: datetime) -> list[DueCounts]:
    """Today's counts per deck, read again after an answer or undo, or once a minute."""
    key = (state.study_answered, state.get("study_undo_count", 0))
    cached = state.get("study_counts")
    if cached is None or cached[0] != key or time.monotonic() - cached[1] > COUNTS_MAX_AGE_S:
        cached = (key, time.monotonic(), due_counts(session, actor, now, stride.settings))
        state.study_counts = cached
    return cached[2]


with stride.transaction() as session:
    decks = _due_counts(session, utc_now())
deck_titles = {ALL_DECKS: "All decks", **{deck.deck_id: deck.title for deck in decks}}
requested = int_param("deck", low=ALL_DECKS)
requested_deck = requested if requested in deck_titles else None
if "study_deck" not in state or (requested_deck is not None and requested_deck != state.study_deck):
    state.study_deck = ALL_DECKS if requested_deck is None else requested_deck
    state.study_answered = 0
    _show(None)

st.title("Study")
st.selectbox(
    "Deck",
    options=list(deck_titles),
    format_func=deck_titles.__getitem__,
    key="study_deck",
    on_change=_change_deck,
)


def _all_done(selected: list[DueCounts], now: datetime) -> None:
    st.success("All done for now!", icon=":material/celebration:")
    upcoming = [deck.next_due for deck in selected if deck.next_due is not None]
    if upcoming:
        due = describe_due(min(upcoming), now, stride.settings.timezone)
        st.write(f"The next card is due {due}.")
    else:
        st.write("Nothing is scheduled yet in this deck.")
    st.page_link("quiz/ui/pages/home.py", label="Back to Home", icon=":material/home:")


def _flashcard(card: StudyCard, now: datetime) -> None:
    with st.container(border=True, key="study_front"):
        show_card_text(card.front)
    if not state.study_revealed:
        st.button(
            "Show answer", type="primary", shortcut="Space", on_click=_reveal, width="stretch"
        )
        return
    with st.container(border=True, key="study_back"):
        show_card_text(card.back)
    intervals = stride.scheduler.preview(card.schedule, now)
    ratings = st.container(horizontal=True, key="study_ratings")  # one block, not 1 + 4 columns
    slot = widget_slot("study_rate", (card.card_id, card.schedule.reps))
    for rating in Rating:
        ratings.button(
            f"{rating.label} · {format_interval(intervals[rating])}",
            key=f"{slot}_{rating.name.lower()}",
            shortcut=str(int(rating)),
            on_click=_answer,
            args=(card.card_id, state.get("study_card_reps", card.schedule.reps), rating),
            type="primary" if rating == Rating.GOOD else "secondary",
            width="stretch",
        )


def _exercise_item(card: StudyCard) -> None:
    """A scheduled exercise: a new variant; the first graded answer rates the item."""
    result = state.get("study_item_result")
    # Once answered, keep showing the variant that was answered (the item's review count, and so
    # the variant it would generate now, has moved on).
    shown_reps = state.get("study_card_reps", card.schedule.reps)
    exercise = result[2] if result else exercise_for_item(actor, card, shown_reps)
    st.caption(
        f"Exercise · {card.front} · `{exercise.family}` seed {exercise.seed}, difficulty "
        f"{exercise.difficulty} · a new variant each time it comes back"
    )
    key = widget_slot("study_item", (card.card_id, exercise.seed))
    with st.container(border=True, key="study_exercise"):
        show_prompt(exercise, key=f"{key}_tensors")
    if result is None:
        mode = answer_mode(exercise, key)
        with st.form("study_exercise_form", border=False):
            raw = answer_input(exercise, key, mode)
            submitted = st.form_submit_button("Check", type="primary")
        focus_answer_box(key)  # typing starts in the box, as Space starts a flashcard
        if submitted:
            _submit_item(card, exercise, raw or "")
            rerun_fragment()
        if state.get("study_item_format_error"):
            st.warning(escape_markdown(state.study_item_format_error), icon=":material/edit_note:")
        hint, solution = st.columns(2)
        if hint.button("Hint (rates Hard at best)", icon=":material/lightbulb:"):
            state.study_hint = True
        if solution.button("Worked solution (rates Hard at best)", icon=":material/menu_book:"):
            state.study_solution = True
        if state.get("study_hint") and exercise.hint:
            st.info(exercise.hint, icon=":material/lightbulb:")
    else:
        grade, rating, _answered, raw = result
        show_grade(grade, exercise, key=f"{key}_marks", answer=raw, show_expected=True)
        st.caption(f"Rated **{rating.label}** automatically (see the README for the rule).")
        st.button(
            "Continue",
            type="primary",
            shortcut="Space",
            width="stretch",
            on_click=_continue_after_item,
            args=(card.card_id,),
        )
    if state.get("study_solution") or result is not None:
        key = f"{key}_solution"
        solution = st.expander(
            "Worked solution",
            expanded=bool(state.get("study_solution")),
            key=f"{key}_open",
            on_change="rerun",
        )
        if solution.open:  # built only while open: its pictures are the costly part
            with solution:
                show_solution(exercise, key=key)


def _submit_item(card: StudyCard, exercise: Exercise, raw: str) -> None:
    shown_reps = state.get("study_card_reps", card.schedule.reps)
    context = AttemptContext(
        _elapsed_ms(),
        bool(state.get("study_hint")),
        bool(state.get("study_solution")),
        client_token=answer_token("item", card.card_id, shown_reps, exercise.seed, raw),
    )
    now = utc_now()
    try:
        result = stride.write(
            lambda session: submit_item(
                session,
                actor,
                card,
                exercise,
                raw,
                context,
                now,
                stride.scheduler,
                expected_reps=shown_reps,
            )
        )
    except (CardNotFoundError, StaleAnswerError):
        state.study_notice = "That exercise was already answered or removed; here is the next item."
        _continue_after_item(card.card_id)
        return
    if result.rating is None:
        state.study_item_format_error = result.grade.format_error
        return
    state.study_item_format_error = None
    state.study_item_result = (result.grade, result.rating, exercise, raw)
    state.study_answered += 1
    state.study_undo_available = True


def _continue_after_item(card_id: int) -> None:
    """On to the next item (the fragment puts it on screen, skipping this one if it can)."""
    _show(None)
    state.study_exclude = card_id


@st.fragment
def _study_area() -> None:
    """Progress, the item on screen and Undo: reruns alone when any of them is clicked."""
    global actor
    now = utc_now()
    with signed_in_reading() as (session, actor):  # one read: the sign-in, counts and card
        decks = _due_counts(session, now)
        card = (
            load_study_card(session, actor, state.study_card_id)
            if state.study_card_id is not None
            else None
        )
        if card is not None and _deck_filter() not in (None, card.deck_id):
            card = None  # left over from another deck
        if card is None:
            exclude = state.pop("study_exclude", None)
            card = next_card(
                session, actor, now, stride.settings, deck_id=_deck_filter(), exclude=exclude
            )
            _show(card)
    selected = [deck for deck in decks if _deck_filter() in (None, deck.deck_id)]

    new = sum(deck.new for deck in selected)
    learning = sum(deck.learning for deck in selected)
    review = sum(deck.review for deck in selected)
    remaining = new + learning + review
    answered = state.study_answered
    progress = answered / (answered + remaining) if answered + remaining else 1.0
    st.progress(
        progress,
        text=(
            f"{answered} answered this session · {new} new · {learning} learning · "
            f"{review} to review"
        ),
    )
    if notice := state.pop("study_notice", None):
        st.toast(notice)

    if card is None:
        _all_done(selected, now)
    elif card.is_exercise:
        _exercise_item(card)
    else:
        _flashcard(card, now)
        if card.schedule.is_new:
            st.caption("New card")
        else:
            st.caption(
                f"{card.schedule.state.label} · reviewed {card.schedule.reps} times · "
                f"{card.schedule.lapses} lapses"
            )

    if state.study_undo_available:
        st.button("Undo last answer", icon=":material/undo:", shortcut="Ctrl+Z", on_click=_undo)


_study_area()
