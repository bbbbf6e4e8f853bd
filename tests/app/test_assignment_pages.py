"""AppTest for the Assignments and Gradebook pages, in local mode and as signed-in accounts."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select
from streamlit.testing.v1 import AppTest, local_script_runner

from quiz.runtime import Stride
from quiz.scheduling import utc_now
from quiz.services.access import COMMAND_LINE, Actor
from quiz.services.accounts import create_user
from quiz.services.assignments import AssignmentSpec, ItemSpec, create_assignment, variant
from quiz.store.models import Assignment, User
from quiz.store.server_secret import session_secret
from tests.app.signed_in import Cookies, start
from tests.support import REPO_ROOT

ASSIGNMENTS = "quiz/ui/pages/assignments.py"
GRADEBOOK = "quiz/ui/pages/gradebook.py"


@pytest.fixture
def stride() -> Iterator[Stride]:
    """The database the app under test opens (the default one in the per-test data dir)."""
    app = Stride.open()
    yield app
    app.close()


@pytest.fixture(autouse=True)
def cookies(monkeypatch: pytest.MonkeyPatch) -> Cookies:
    """Each AppTest's ``stride_session`` cookie (classroom mode)."""
    return Cookies(monkeypatch)


def _app() -> AppTest:
    at = AppTest.from_file(str(REPO_ROOT / "app.py"), default_timeout=60)
    at.run()
    assert not at.exception
    return at


def _signed_in(cookies: Cookies, stride: Stride, username: str) -> AppTest:
    """The app in a browser signed in as ``username`` (its cookie holds a session started by the
    service, as the sign-in form's POST does)."""
    at = AppTest.from_file(str(REPO_ROOT / "app.py"), default_timeout=60)
    cookies.give(at, start(stride, username))
    at.run()
    assert not at.exception
    return at


def _classroom(stride: Stride, monkeypatch: pytest.MonkeyPatch, mode: str = "homework") -> int:
    monkeypatch.setenv("STRIDE_AUTH", "password")
    now = utc_now()
    with stride.transaction() as session:
        create_user(session, COMMAND_LINE, "teacher", "instructor", "teacher-pass-1", now)
        create_user(session, COMMAND_LINE, "ada", "student", "student-pass-1", now)
        create_user(session, COMMAND_LINE, "bob", "student", "student-pass-2", now)
        teacher = session.scalar(select(User.id).where(User.username == "teacher"))
        spec = AssignmentSpec(
            title="Week 1",
            instructions="Show **all** steps.",
            mode=mode,
            opens_at=now - timedelta(hours=1),
            due_at=now + timedelta(days=1),  # due soon: within 48 hours
            max_attempts=3,
            items=[ItemSpec("conv-output-size", 2)],
        )
        return create_assignment(session, Actor(teacher, "teacher", "instructor"), spec, now)


def _answers(stride: Stride, username: str, attempt: int) -> str:
    with stride.transaction() as session:
        assignment = session.scalars(select(Assignment)).one()
        user = session.scalar(select(User.id).where(User.username == username))
        secret = session_secret(session)
        return variant(assignment.items[0], assignment.mode, user, attempt, secret).answer


def _texts(at: AppTest) -> str:
    parts = [m.value for m in at.markdown] + [c.value for c in at.caption]
    parts += (
        [e.value for e in at.error] + [s.value for s in at.success] + [i.value for i in at.info]
    )
    return "\n".join(str(p) for p in parts)


def test_local_instructor_creates_an_assignment(stride: Stride) -> None:
    at = _app()
    at.switch_page(ASSIGNMENTS).run()
    assert "No assignments yet" in _texts(at)
    next(t for t in at.text_input if t.label == "Title").input("Pooling drill")
    next(b for b in at.button if b.label == "Create assignment").click().run()
    assert not at.exception
    assert "Pooling drill" in _texts(at)
    with stride.transaction() as session:
        (assignment,) = session.scalars(select(Assignment)).all()
        assert assignment.mode == "homework" and len(assignment.items) == 1
    at.switch_page(GRADEBOOK).run()
    assert "Nobody has this assignment yet" in _texts(at)


def test_an_empty_title_is_refused_with_the_reason(stride: Stride) -> None:
    at = _app()
    at.switch_page(ASSIGNMENTS).run()
    next(b for b in at.button if b.label == "Create assignment").click().run()
    assert "The assignment was not created" in _texts(at)
    with stride.transaction() as session:
        assert session.scalars(select(Assignment)).all() == []


def test_a_student_takes_homework_wrong_then_right(
    stride: Stride, cookies: Cookies, monkeypatch: pytest.MonkeyPatch
) -> None:
    _classroom(stride, monkeypatch)
    at = _signed_in(cookies, stride, "ada")
    at.switch_page(ASSIGNMENTS).run()
    assert "Week 1" in _texts(at) and "Due soon" in [h.value for h in at.header]
    next(b for b in at.button if b.label == "Open").click().run()
    assert [t.value for t in at.title] == ["Week 1"]
    assert "Show **all** steps." in _texts(at)

    at.text_input[0].input("1 x 1 x 1")
    next(b for b in at.button if b.label == "Submit").click().run()
    assert "attempt 1 of 3: score 0%" in _texts(at)
    at.text_input[0].input(_answers(stride, "ada", 2))
    next(b for b in at.button if b.label == "Submit").click().run()
    assert "attempt 2 of 3: correct" in _texts(at)
    assert "Done." in _texts(at)
    assert [m.value for m in at.metric] == ["1 / 1"]


def test_a_format_error_uses_no_attempt(
    stride: Stride, cookies: Cookies, monkeypatch: pytest.MonkeyPatch
) -> None:
    assignment_id = _classroom(stride, monkeypatch)
    at = _signed_in(cookies, stride, "ada")
    at.query_params["assignment"] = str(assignment_id)
    at.switch_page(ASSIGNMENTS).run()
    at.text_input[0].input("48 by 4x")
    next(b for b in at.button if b.label == "Submit").click().run()
    assert "0 of 3 attempts used" in _texts(at)
    assert at.warning, "the format error is shown as a warning"


def test_an_exam_answer_is_recorded_without_a_verdict(
    stride: Stride, cookies: Cookies, monkeypatch: pytest.MonkeyPatch
) -> None:
    assignment_id = _classroom(stride, monkeypatch, mode="exam")
    at = _signed_in(cookies, stride, "ada")
    at.query_params["assignment"] = str(assignment_id)
    at.switch_page(ASSIGNMENTS).run()
    at.text_input[0].input(_answers(stride, "ada", 1))
    next(b for b in at.button if b.label == "Submit").click().run()
    texts = _texts(at)
    assert "Answer recorded, attempt 1 of 3." in texts
    assert not at.success and not at.metric  # no verdict, no score: an exam hides them
    assert "Score 100%" not in texts and "The score appears when scores are released" in texts
    assert "Scores and worked solutions are shown when released by hand (not yet)." in texts


def test_a_student_cannot_open_an_assignment_not_given_to_them(
    stride: Stride, cookies: Cookies, monkeypatch: pytest.MonkeyPatch
) -> None:
    assignment_id = _classroom(stride, monkeypatch)
    with stride.transaction() as session:
        assignment = session.get(Assignment, assignment_id)
        assignment.for_all_students = False  # given to nobody now
    at = _signed_in(cookies, stride, "bob")
    for requested in (str(assignment_id), "999", "abc"):
        at.query_params["assignment"] = requested
        at.switch_page(ASSIGNMENTS).run()
        assert not at.exception
        assert "does not exist or was not given to you" in _texts(at)
        assert not [b for b in at.button if b.label == "Submit"]


def test_the_instructor_gradebook_shows_scores_and_history(
    stride: Stride, cookies: Cookies, monkeypatch: pytest.MonkeyPatch
) -> None:
    _classroom(stride, monkeypatch)
    student = _signed_in(cookies, stride, "ada")
    student.switch_page(ASSIGNMENTS).run()
    next(b for b in student.button if b.label == "Open").click().run()
    student.text_input[0].input(_answers(stride, "ada", 1))
    next(b for b in student.button if b.label == "Submit").click().run()

    at = _signed_in(cookies, stride, "teacher")
    at.switch_page(GRADEBOOK).run()
    assert not at.exception
    table = at.dataframe[0].value
    assert list(table["Student"]) == ["ada", "bob"]
    assert list(table["Total"]) == [1.0, 0.0]
    assert len(at.get("plotly_chart")) == 2
    history = at.dataframe[-1].value
    assert list(history["Attempt"]) == [1] and list(history["Score"]) == [1.0]
    next(b for b in at.button if b.label == "Regrade all answers").click().run()
    assert "no scores changed (1 submission checked)" in _texts(at)


class Sent:
    """Every message the app under test sends to the browser, as text (ids hold widget keys)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.messages: list[str] = []
        real = local_script_runner.parse_tree_from_messages

        def recording(messages: list[Any]) -> Any:
            self.messages.extend(str(message) for message in messages)
            return real(messages)

        monkeypatch.setattr(local_script_runner, "parse_tree_from_messages", recording)

    def text(self) -> str:
        return "\n".join(self.messages)


def test_no_variant_seed_reaches_the_student(
    stride: Stride, cookies: Cookies, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 14, item 2: a seed regenerates the variant and its solution, so none is sent in
    text, widget keys or the URL (keys become element ids in the browser)."""
    sent = Sent(monkeypatch)
    monkeypatch.setenv("STRIDE_AUTH", "password")
    now = utc_now()
    with stride.transaction() as session:
        create_user(session, COMMAND_LINE, "ada", "student", "student-pass-1", now)
        spec = AssignmentSpec(
            title="Convolutions",
            instructions="",
            mode="homework",
            opens_at=now - timedelta(hours=1),
            due_at=now + timedelta(days=3),
            max_attempts=3,
            items=[ItemSpec("conv-forward", 2)],  # tensors, a grid answer, marks, a picture
        )
        assignment_id = create_assignment(session, stride.local_actor, spec, now)
        ada = session.scalar(select(User.id).where(User.username == "ada"))
        item = session.get(Assignment, assignment_id).items[0]  # type: ignore[union-attr]
        secret = session_secret(session)
        first, second = (variant(item, "homework", ada, k, secret) for k in (1, 2))
    wrong = "\n".join(" ".join(str(v + 1) for v in row) for row in first.expected)
    at = _signed_in(cookies, stride, "ada")
    at.query_params["assignment"] = str(assignment_id)
    at.switch_page(ASSIGNMENTS).run()
    assert [e.label for e in at.expander] == ["Tensors as heatmaps"]
    at.session_state[f"assignment_{assignment_id}_{item.id}_0_tensors"] = True  # open it
    at.run()
    assert at.get("plotly_chart"), "the tensors are drawn"

    next(g for g in at.button_group if g.label == "Enter the answer as").set_value("Text").run()
    at.text_area[0].input(wrong)  # marked cell by cell
    next(b for b in at.button if b.label == "Submit").click().run()
    assert not at.exception
    assert "attempt 1 of 3" in _texts(at)
    next(t for t in at.toggle if t.label == "Worked solution").set_value(True).run()
    assert any(m.value.startswith("**Answer:**") for m in at.markdown)
    everything = sent.text() + str(dict(at.query_params))
    assert str(item.id) in everything and len(sent.messages) > 50  # it did record the pages
    for seed in (first.seed, second.seed):
        assert str(seed) not in everything, seed
