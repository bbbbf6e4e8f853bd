"""The Practice page in AppTest: a reproducible problem from the URL, wrong then right answers."""

from __future__ import annotations

from datetime import timedelta

import pytest
from streamlit.testing.v1 import AppTest

import quiz.services.practice as practice_service
from quiz.exercises import latex
from quiz.exercises.base import Exercise
from quiz.exercises.registry import FAMILIES, get_family
from quiz.runtime import Stride
from quiz.scheduling import utc_now
from quiz.services.access import Actor
from quiz.services.assignments import AssignmentSpec, ItemSpec, create_assignment, open_assignment
from quiz.store.models import User
from quiz.vocabulary import MODE_EXAM, ROLE_STUDENT
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
    next(b for b in at.button if b.label == "Check").click().run()
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


@pytest.mark.slow  # a page run per family and difficulty
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


# --- issue 14: an assignment's variant is out of Practice's reach; checks are bounded -----------


def _exam_variant() -> Exercise:
    """An exam in the app's database and one student's variant of it: the problem a student
    would like Practice to show, with its worked solution."""
    stride = Stride.open()  # the database the app under test opens
    now = utc_now()
    spec = AssignmentSpec(
        title="Midterm",
        instructions="",
        mode=MODE_EXAM,
        opens_at=now - timedelta(hours=1),
        due_at=now + timedelta(days=1),
        max_attempts=1,
        items=[ItemSpec("conv-forward", 2)],
    )
    try:
        with stride.transaction() as session:
            student = User(username="ada", role=ROLE_STUDENT, created_at=now)
            session.add(student)
            session.flush()
            assignment_id = create_assignment(session, stride.local_actor, spec, now)
            view = open_assignment(session, Actor.of(student), assignment_id, now)
    finally:
        stride.close()
    return view.items[0].exercise


def test_an_assignment_seed_in_the_url_gets_a_new_problem_never_the_variant() -> None:
    exam = _exam_variant()
    at = AppTest.from_file(str(REPO_ROOT / "app.py"), default_timeout=30)
    query = {"family": exam.family, "seed": str(exam.seed), "difficulty": str(exam.difficulty)}
    at.query_params.update(query)
    at.run()
    at.switch_page(PRACTICE).run()
    assert not at.exception
    assert any("practice seeds are 0 … 1073741823" in w.value for w in at.warning)
    shown = at.query_params["seed"]
    shown_seed = int(shown[0] if isinstance(shown, list) else shown)
    assert shown_seed != exam.seed and 0 <= shown_seed < 2**30
    next(b for b in at.button if b.label == "Worked solution").click().run()
    assert not at.exception
    texts = [m.value for m in at.markdown] + [c.value for c in at.caption]
    assert exam.prompt not in texts and str(exam.seed) not in " ".join(texts)
    assert f"**Answer:** $${latex.matrix(exam.expected)}$$" not in texts
    assert any(t.startswith("**Answer:**") for t in texts)  # a solution: the new problem's


def test_an_answer_too_long_is_refused_with_the_limit(practice: AppTest) -> None:
    _submit(practice, "7" + " " * 2000)
    assert any("at most 2,000 characters" in w.value for w in practice.warning)
    assert not practice.error and not practice.success


def test_too_many_checks_a_minute_are_refused_with_the_wait(
    practice: AppTest, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(practice_service, "PRACTICE_CHECKS_PER_MINUTE", 2)
    _submit(practice, "1 x 1 x 1")
    _submit(practice, "2 x 2 x 2")
    assert practice.error[0].value.startswith("Incorrect")
    exercise = get_family("conv-output-size").make(7, 2)
    _submit(practice, exercise.answer)
    slow = [w.value for w in practice.warning if w.value.startswith("Slow down")]
    assert slow and "at most 2 answers are checked per minute" in slow[0]
    assert "Try again in" in slow[0]
    assert not practice.success, "a refused check is not graded"
