"""A long session draws a bounded set of widget ids (Streamlit never forgets one).

Streamlit 1.67 keeps the metadata of every widget id a session has drawn (it drops a stale
widget's value, not its metadata and key mapping), so widget keys made per card or per problem
grew a studying session's memory with every answer (``stride bench class --phases soak``). Study
and Practice take their keys from :func:`quiz.ui.state.widget_slot`: two per role, alternating as
the item changes, with a fresh (empty) widget for every new item.
"""

from __future__ import annotations

import re

from streamlit.testing.v1 import AppTest

from quiz.exercises.registry import get_family
from tests.support import REPO_ROOT

STUDY = "quiz/ui/pages/study.py"
PRACTICE = "quiz/ui/pages/practice.py"
SLOT_KEY = re.compile(r"^study_rate_[01]_[a-z]+$")
EXERCISE_CAPTION = re.compile(r"`([a-z-]+)` seed (\d+), difficulty (\d)")


def _keys(at: AppTest) -> set[str]:
    widgets = [*at.button, *at.text_input, *at.text_area, *at.button_group, *at.select_slider]
    return {w.key for w in widgets if w.key}


def _button(at: AppTest, label_start: str):  # type: ignore[no-untyped-def]
    return next(b for b in at.button if b.label.startswith(label_start))


def _solve_exercise_item(at: AppTest) -> None:
    caption = next(c.value for c in at.caption if "` seed " in c.value)
    found = EXERCISE_CAPTION.search(caption)
    assert found is not None, caption
    exercise = get_family(found[1]).make(int(found[2]), int(found[3]))
    for group in at.button_group:
        if group.label == "Enter the answer as":  # a matrix: type it rather than fill a grid
            group.set_value("Text").run()
    box = at.text_input[0] if at.text_input else at.text_area[0]
    box.input(exercise.answer)
    _button(at, "Check").click().run()
    _button(at, "Continue").click().run()


def test_studying_many_items_reuses_two_sets_of_keys() -> None:
    at = AppTest.from_file(str(REPO_ROOT / "app.py"), default_timeout=30)
    at.run()
    at.switch_page(STUDY).run()
    seen: set[str] = set()
    fronts: set[str] = set()
    exercises = 0
    while len(fronts) < 8 or exercises < 3:
        if any(b.label == "Check" for b in at.button):
            seen |= _keys(at)
            _solve_exercise_item(at)
            exercises += 1
        else:
            fronts.add(at.markdown[0].value)
            _button(at, "Show answer").click().run()
            seen |= _keys(at)
            _button(at, "Good").click().run()
        assert not at.exception
    rating_keys = {key for key in seen if key.startswith("study_rate")}
    assert len(rating_keys) == 8, rating_keys  # 2 slots x 4 ratings, not 4 per card
    assert all(SLOT_KEY.match(key) for key in rating_keys)
    item_keys = {key for key in seen if key.startswith("study_item")}
    assert {key[: len("study_item_0")] for key in item_keys} == {"study_item_0", "study_item_1"}


def test_practice_problems_reuse_two_slots_and_start_empty() -> None:
    at = AppTest.from_file(str(REPO_ROOT / "app.py"), default_timeout=30)
    answer_keys: set[str] = set()
    for seed in range(1, 7):  # six problems, one after another, each from its own link
        at.query_params.update({"family": "conv-output-size", "seed": str(seed), "difficulty": "2"})
        at.run()
        if seed == 1:
            at.switch_page(PRACTICE).run()
        assert not at.exception
        assert get_family("conv-output-size").make(seed, 2).prompt in [m.value for m in at.markdown]
        answer = at.text_input[0]
        assert answer.value == "", "a new problem starts with an empty answer"
        answer_keys.add(answer.key)
        answer.input("1x2x3")
        next(b for b in at.button if b.label == "Check").click().run()
        assert at.error, "the wrong answer was graded"
    assert answer_keys == {"practice_0_text", "practice_1_text"}
