"""Practice: endless generated problems, graded against the engine, with targeted feedback.

The problem on screen is ``(family, seed, difficulty)`` in the URL (``?family=...&seed=...&
difficulty=...``), so a link reproduces it exactly. Practice seeds are ``0 … 2**30 − 1``; a link
with any other seed (every assignment variant's seed is above them) gets a new problem and a
message, never that variant. Answers are checked at most 30 times a minute per student and
capped in length (:mod:`quiz.services.practice`). Attempts are logged; free practice does not
change the study schedule (scheduled exercise items come up on the Study page).
"""

from __future__ import annotations

import random
import time

import streamlit as st

from quiz.exercises.base import DIFFICULTIES, DIFFICULTY_NAMES, Exercise
from quiz.exercises.registry import FAMILIES, UnknownFamilyError
from quiz.scheduling import utc_now
from quiz.services.practice import (
    PRACTICE_SEEDS,
    AttemptContext,
    PracticeRateLimited,
    fresh_seed,
    make_exercise,
    practice_seed_message,
    submit_practice,
)
from quiz.ui.exercise_view import (
    answer_input,
    answer_mode,
    show_grade,
    show_prompt,
    show_solution,
)
from quiz.ui.query import choice_param, has_param, int_param
from quiz.ui.session import current_actor
from quiz.ui.state import answer_token, get_stride, widget_slot

MIXED = "mixed"

stride = get_stride()
current_actor()  # signed in (the answer fragment checks again on each of its runs)
state = st.session_state
params = st.query_params


def _new_problem() -> None:
    choice = state.practice_family
    family = random.choice(list(FAMILIES)) if choice == MIXED else choice
    _set_problem(family, fresh_seed(), _difficulty())


def _difficulty() -> int:
    """The chosen difficulty; clicking the selected one off keeps the current problem's."""
    chosen = state.get("practice_difficulty")
    return int(chosen) if chosen is not None else state.practice_problem[2]


def _change_difficulty() -> None:
    if state.practice_difficulty is None:
        state.practice_difficulty = state.practice_problem[2]  # allowed: inside a callback
        return
    _new_problem()


def _set_problem(family: str, seed: int, difficulty: int) -> None:
    params.update({"family": family, "seed": str(seed), "difficulty": str(difficulty)})
    state.practice_problem = (family, seed, difficulty)
    state.practice_started = time.monotonic()
    state.practice_hint = False
    state.practice_solution = False
    state.practice_grade = None


def _seed_from_url() -> int | None:
    """The URL's seed when it is a Practice seed: never an assignment's (those have bit 30
    set, see :data:`quiz.services.practice.PRACTICE_SEEDS`)."""
    return int_param("seed", low=PRACTICE_SEEDS.start, high=PRACTICE_SEEDS.stop - 1)


def _from_url() -> tuple[str, int, int] | None:
    family = choice_param("family", FAMILIES)
    seed = _seed_from_url()
    difficulty = int_param("difficulty", low=min(DIFFICULTIES), high=max(DIFFICULTIES))
    if family is None or seed is None or difficulty is None:
        return None
    return family, seed, difficulty


refused_seed = has_param("seed") and _seed_from_url() is None
st.title("Practice")
if refused_seed:  # an assignment's seed, or not a seed: a new problem, never that variant
    st.warning(
        f"That link's seed is not one Practice shows ({practice_seed_message()}); "
        "here is a new problem instead.",
        icon=":material/info:",
    )
state.setdefault("practice_family", MIXED)
state.setdefault("practice_difficulty", 2)
if "practice_problem" not in state or _from_url() not in (None, state.practice_problem):
    requested = _from_url()
    if requested is not None:
        state.practice_family = requested[0]
        state.practice_difficulty = requested[2]
        _set_problem(*requested)
    else:
        _new_problem()
elif _from_url() is None:  # back from another page: the URL names the problem on screen again
    family_id, seed, difficulty = state.practice_problem
    params.update({"family": family_id, "seed": str(seed), "difficulty": str(difficulty)})

titles = {MIXED: "Mixed (a random family each time)"} | {
    family_id: family.title for family_id, family in FAMILIES.items()
}
st.selectbox(
    "Exercise family",
    list(titles),
    format_func=titles.__getitem__,
    key="practice_family",
    on_change=_new_problem,
)
st.segmented_control(
    "Difficulty",
    list(DIFFICULTIES),
    key="practice_difficulty",
    on_change=_change_difficulty,
    format_func=lambda d: f"{d} · {DIFFICULTY_NAMES[d]}",
)

family_id, seed, difficulty = state.practice_problem
try:
    exercise = make_exercise(family_id, seed, difficulty)
except UnknownFamilyError as error:
    st.error(str(error))
    st.stop()

st.caption(f"{FAMILIES[family_id].title} · difficulty {difficulty} · seed {seed}")
with st.container(border=True, key="practice_prompt"):
    show_prompt(exercise, key=f"{widget_slot('practice', state.practice_problem)}_tensors")


@st.fragment
def _answer_area(exercise: Exercise) -> None:
    """Answer, verdict, hint and solution: reruns alone, so the prompt is not redrawn (and
    checks the sign-in again, as a page run does)."""
    student = current_actor()
    key = widget_slot("practice", state.practice_problem)
    mode = answer_mode(exercise, key)
    with st.form("practice_form", border=False):
        raw = answer_input(exercise, key, mode)
        submitted = st.form_submit_button("Check", type="primary")
    if submitted:
        elapsed = int((time.monotonic() - state.practice_started) * 1000)
        answer = raw or ""
        token = answer_token(
            "practice", exercise.family, exercise.seed, exercise.difficulty, answer
        )
        context = AttemptContext(
            elapsed, state.practice_hint, state.practice_solution, client_token=token
        )
        now = utc_now()
        try:
            result = stride.write(
                lambda session: submit_practice(session, student, exercise, answer, context, now)
            )
        except PracticeRateLimited as error:  # nothing was graded or stored
            state.practice_grade = None
            st.warning(str(error), icon=":material/hourglass_top:")
        else:
            state.practice_grade = result.grade
    if state.practice_grade is not None:
        show_grade(state.practice_grade, exercise, key=f"{key}_marks")

    hint, solution, new = st.columns(3)
    if hint.button("Hint", icon=":material/lightbulb:", disabled=not exercise.hint):
        state.practice_hint = True
    if solution.button("Worked solution", icon=":material/menu_book:"):
        state.practice_solution = True
    if new.button("New problem", icon=":material/refresh:", shortcut="N"):
        _new_problem()
        st.rerun(scope="app")
    if state.practice_hint and exercise.hint:
        st.info(exercise.hint, icon=":material/lightbulb:")
    if state.practice_solution:
        with st.container(border=True, key="practice_solution"):
            st.header("Worked solution")
            show_solution(exercise, key=f"{key}_solution")


_answer_area(exercise)
