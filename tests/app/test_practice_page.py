"""The Practice page in AppTest: a reproducible problem from the URL, wrong then right answers."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from quiz.exercises.registry import FAMILIES, get_family
from tests.support import REPO_ROOT

PRACTICE = "quiz/ui/pages/practice.py"


@pytest.fixture
def practice() -> AppTest:
    at = AppTest.from_file(str(REPO_ROOT / "app.py"), default_timeout=30)
    at.query_params.update({"family": "conv-output-size", "seed": "7", "difficulty": "2"})
    at.run()
    at.switch_page(PRACTICE).run()
    assert not at.exception
    return at


def _submit(at: AppTest, answer: str) -> None:
    at.text_input[0].input(answer)
    next(b for b in at.button if b.label == "Submit").click().run()
    assert not at.exception


def test_problem_comes_from_the_url(practice: AppTest) -> None:
    exercise = get_family("conv-output-size").make(7, 2)
    prompts = [m.value for m in practice.markdown]
    assert exercise.prompt in prompts
    assert practice.query_params["seed"] == ["7"] or practice.query_params["seed"] == "7"


def test_format_error_then_wrong_then_right(practice: AppTest) -> None:
    exercise = get_family("conv-output-size").make(7, 2)
    _submit(practice, "48 by 4x")
    assert practice.warning, "a malformed answer gets a format message"
    assert not practice.error

    _submit(practice, "128 × 62 × 62")  # forgot the +1
    assert practice.error[0].value.startswith("Incorrect")
    assert any("**+ 1**" in m.value for m in practice.markdown)

    _submit(practice, exercise.answer)
    assert practice.success[0].value.startswith("Correct")


def test_worked_solution_and_new_problem(practice: AppTest) -> None:
    next(b for b in practice.button if b.label == "Worked solution").click().run()
    assert any(m.value.startswith("**Answer:**") for m in practice.markdown)
    next(b for b in practice.button if b.label == "New problem").click().run()
    assert not practice.exception
    assert practice.query_params["seed"] != ["7"]


@pytest.mark.parametrize("difficulty", [1, 2, 3])
@pytest.mark.parametrize("family_id", list(FAMILIES))
def test_every_family_renders_its_prompt_and_worked_solution(
    family_id: str, difficulty: int
) -> None:
    at = AppTest.from_file(str(REPO_ROOT / "app.py"), default_timeout=30)
    at.query_params.update({"family": family_id, "seed": "3", "difficulty": str(difficulty)})
    at.run()
    at.switch_page(PRACTICE).run()
    assert not at.exception
    next(b for b in at.button if b.label == "Worked solution").click().run()
    assert not at.exception, at.exception
    assert any(m.value.startswith("**Answer:**") for m in at.markdown)
    exercise = get_family(family_id).make(3, difficulty)
    if exercise.picture is not None:
        assert at.get("plotly_chart"), "the worked solution draws its picture"


def test_clicking_the_chosen_difficulty_off_keeps_the_problem(practice: AppTest) -> None:
    practice.get("button_group")[0].set_value(None).run()
    assert not practice.exception
    assert practice.query_params["difficulty"] in (["2"], "2")
