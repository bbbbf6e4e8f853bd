"""Grades out (quiz.services.grade_exports): Stride's CSV, Canvas's and Moodle's import layouts,
exact text, formula-safe, with overrides and removed items as the gradebook counts them.

The class: alice (alice@example.edu, section A), bob (bob@example.edu, no section), carol (no
e-mail, section B, no display name). "Homework 1" (id 1): item 1 worth 2 points, item 2 worth 1;
alice answers both right (3), bob item 1 right (2), carol nothing (0).
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy.orm import Session

from quiz.runtime import Stride
from quiz.services.access import Actor
from quiz.services.assignments import (
    AssignmentSpec,
    ItemSpec,
    create_assignment,
    open_assignment,
    submit_assignment_answer,
)
from quiz.services.grade_exports import (
    ExportError,
    canvas_csv,
    export_grades,
    grades_csv,
    moodle_csv,
)
from quiz.services.gradebook import Gradebook, GradebookItem, GradebookRow, gradebook
from quiz.services.term_admin import override_score, remove_item
from quiz.store.models import User
from quiz.vocabulary import MODE_HOMEWORK, ROLE_STUDENT
from tests.support import NOON

DUE = NOON + timedelta(days=7)
DURING = NOON + timedelta(hours=1)


def add_user(
    session: Session, username: str, display_name: str, email: str | None, section: str | None
) -> Actor:
    user = User(
        username=username,
        display_name=display_name,
        role=ROLE_STUDENT,
        created_at=NOON,
        email=email,
        section=section,
    )
    session.add(user)
    session.flush()
    return Actor.of(user)


def spec(title: str, items: tuple[ItemSpec, ...], student_ids: list[int] | None = None):  # type: ignore[no-untyped-def]
    return AssignmentSpec(
        title=title,
        instructions="",
        mode=MODE_HOMEWORK,
        opens_at=NOON,
        due_at=DUE,
        max_attempts=2,
        items=items,
        student_ids=student_ids,
    )


def answer(stride: Stride, actor: Actor, assignment_id: int, position: int) -> None:
    with stride.transaction() as session:
        item = open_assignment(session, actor, assignment_id, DURING).items[position - 1]
        result = submit_assignment_answer(
            session, actor, assignment_id, item.item_id, item.exercise.answer, DURING
        )
        assert result.grade is not None and result.grade.correct


class Class:
    def __init__(self, stride: Stride) -> None:
        self.stride = stride
        with stride.transaction() as session:
            self.alice = add_user(session, "alice", "Alice", "alice@example.edu", "A")
            self.bob = add_user(session, "bob", "Bob", "bob@example.edu", None)
            self.carol = add_user(session, "carol", "", None, "B")
            items = (ItemSpec("parameter-count", 2, points=2.0), ItemSpec("same-padding", 1))
            self.homework = create_assignment(
                session, stride.local_actor, spec("Homework 1", items), NOON
            )
        answer(stride, self.alice, self.homework, 1)
        answer(stride, self.alice, self.homework, 2)
        answer(stride, self.bob, self.homework, 1)

    def book(self, assignment_id: int) -> Gradebook:
        with self.stride.transaction() as session:
            return gradebook(session, self.stride.local_actor, assignment_id, DURING)


@pytest.fixture
def klass(stride: Stride) -> Class:
    return Class(stride)


def test_canvas_layout_exact(klass: Class) -> None:
    assert canvas_csv([klass.book(klass.homework)]) == (
        f"Student,ID,SIS User ID,SIS Login ID,Section,Homework 1 ({klass.homework})\r\n"
        "Points Possible,,,,,3\r\n"
        "Alice,,alice,alice@example.edu,A,3\r\n"
        "Bob,,bob,bob@example.edu,,2\r\n"
        "carol,,carol,carol,B,0\r\n"  # no display name, no e-mail: the username
    )


def test_moodle_uses_usernames_unless_every_student_has_an_email(klass: Class) -> None:
    book = klass.book(klass.homework)
    expected = f"Username,Homework 1 ({klass.homework})\r\nalice,3\r\nbob,2\r\ncarol,0\r\n"
    assert moodle_csv([book]) == expected
    assert moodle_csv([book], "username") == expected
    assert export_grades([book], "moodle") == expected
    with pytest.raises(ExportError) as caught:
        moodle_csv([book], "email")
    assert str(caught.value) == (
        "1 student has no e-mail address (carol): set them (roster import or the People page) "
        "or identify users by username."
    )


def test_moodle_uses_emails_when_every_student_has_one(stride: Stride, klass: Class) -> None:
    with stride.transaction() as session:
        pair = create_assignment(
            session,
            stride.local_actor,
            spec(
                "Quiz 2",
                (ItemSpec("same-padding", 1, points=4.0),),
                [klass.alice.user_id, klass.bob.user_id],
            ),
            NOON,
        )
    answer(stride, klass.bob, pair, 1)
    assert moodle_csv([klass.book(pair)]) == (
        f"Email address,Quiz 2 ({pair})\r\nalice@example.edu,0\r\nbob@example.edu,4\r\n"
    )
    assert moodle_csv([klass.book(pair)], "username") == (
        f"Username,Quiz 2 ({pair})\r\nalice,0\r\nbob,4\r\n"
    )


def test_several_assignments_in_one_canvas_and_one_moodle_file(
    stride: Stride, klass: Class
) -> None:
    with stride.transaction() as session:
        pair = create_assignment(
            session,
            stride.local_actor,
            spec(
                "Quiz 2",
                (ItemSpec("same-padding", 1, points=4.0),),
                [klass.alice.user_id, klass.bob.user_id],
            ),
            NOON,
        )
    answer(stride, klass.alice, pair, 1)
    books = [klass.book(klass.homework), klass.book(pair)]
    h, q = klass.homework, pair
    assert export_grades(books, "canvas") == (
        f"Student,ID,SIS User ID,SIS Login ID,Section,Homework 1 ({h}),Quiz 2 ({q})\r\n"
        "Points Possible,,,,,3,4\r\n"
        "Alice,,alice,alice@example.edu,A,3,4\r\n"
        "Bob,,bob,bob@example.edu,,2,0\r\n"
        "carol,,carol,carol,B,0,\r\n"  # Quiz 2 is not given to carol: an empty cell
    )
    assert export_grades(books, "moodle") == (
        f"Username,Homework 1 ({h}),Quiz 2 ({q})\r\nalice,3,4\r\nbob,2,0\r\ncarol,0,\r\n"
    )


def test_overrides_and_removed_items_count_as_in_the_gradebook(
    stride: Stride, klass: Class
) -> None:
    with stride.transaction() as session:
        override_score(session, stride.local_actor, klass.homework, "bob", 2, 0.5, "oral", DURING)
        override_score(
            session, stride.local_actor, klass.homework, "carol", 1, 1.25, "on paper", DURING
        )
    overridden = klass.book(klass.homework)
    assert canvas_csv([overridden]).split("\r\n")[2:] == [
        "Alice,,alice,alice@example.edu,A,3",
        "Bob,,bob,bob@example.edu,,2.5",
        "carol,,carol,carol,B,1.25",
        "",
    ]
    assert grades_csv(overridden) == (
        "username,display_name,item 1 (2 pts),item 2 (1 pt),total,max\r\n"
        "alice,Alice,2,1,3,3\r\n"
        "bob,Bob,2,0.5,2.5,3\r\n"
        "carol,,1.25,,1.25,3\r\n"
    )
    with stride.transaction() as session:
        remove_item(session, stride.local_actor, klass.homework, 1, DURING)
    removed = klass.book(klass.homework)
    assert canvas_csv([removed]) == (
        f"Student,ID,SIS User ID,SIS Login ID,Section,Homework 1 ({klass.homework})\r\n"
        "Points Possible,,,,,1\r\n"
        "Alice,,alice,alice@example.edu,A,1\r\n"
        "Bob,,bob,bob@example.edu,,0.5\r\n"
        "carol,,carol,carol,B,0\r\n"
    )
    assert grades_csv(removed) == (
        "username,display_name,item 2 (1 pt),total,max\r\n"
        "alice,Alice,1,1,1\r\n"
        "bob,Bob,0.5,0.5,1\r\n"
        "carol,,,0,1\r\n"
    )
    assert export_grades([removed], "moodle", "username").split("\r\n")[1:] == [
        "alice,1",
        "bob,0.5",
        "carol,0",
        "",
    ]


# --- formula safety and layout rules, on gradebooks in memory ---------------------------------


def _row(user_id: int, username: str, name: str, total: float, email=None, section=None):  # type: ignore[no-untyped-def]
    return GradebookRow(
        user_id=user_id,
        username=username,
        display_name=name,
        points=(total,),
        total=total,
        submissions=1,
        email=email,
        section=section,
    )


ITEM = GradebookItem(1, 1, "same-padding", "Same", 2, 2.0, None, 0, ())


def _book(assignment_id: int, title: str, rows: tuple[GradebookRow, ...]) -> Gradebook:
    return Gradebook(assignment_id, title, MODE_HOMEWORK, DUE, (ITEM,), rows, 2.0)


def test_formulas_in_titles_names_emails_and_sections_are_neutralised() -> None:
    rows = (
        _row(1, "u1", "+SUM(A1:A9)", 1.5, email="@evil.example", section="-2+3"),
        _row(2, "=u2", '=HYPERLINK("http://x","y")', 1 / 3, section="\tcalc"),
        _row(3, "u3", "O'Brien, Pat", 2.0, email="pat@example.edu", section="=1+1"),
    )
    book = _book(7, "=cmd|' /C calc'!A0", rows)
    assert canvas_csv([book]) == (
        "Student,ID,SIS User ID,SIS Login ID,Section,'=cmd|' /C calc'!A0 (7)\r\n"
        "Points Possible,,,,,2\r\n"  # rows by username: "=u2" sorts first
        '"\'=HYPERLINK(""http://x"",""y"")",,\'=u2,\'=u2,\'\tcalc,0.33\r\n'
        "'+SUM(A1:A9),,u1,'@evil.example,'-2+3,1.5\r\n"
        "\"O'Brien, Pat\",,u3,pat@example.edu,'=1+1,2\r\n"
    )
    assert moodle_csv([book], "username") == (
        "Username,'=cmd|' /C calc'!A0 (7)\r\n'=u2,0.33\r\nu1,1.5\r\nu3,2\r\n"
    )
    assert moodle_csv([_book(7, "@T", (rows[0], rows[2]))]) == (
        "Email address,'@T (7)\r\n'@evil.example,1.5\r\npat@example.edu,2\r\n"
    )
    assert grades_csv(book).split("\r\n")[1:3] == [
        "u1,'+SUM(A1:A9),1.5,1.5,2",
        '\'=u2,"\'=HYPERLINK(""http://x"",""y"")",0.33,0.33,2',
    ]


def test_a_student_in_several_gradebooks_is_one_row_sorted_by_username() -> None:
    first = _book(1, "A", (_row(2, "zoe", "Zoe", 1.0), _row(1, "adam", "Adam", 2.0)))
    second = _book(2, "B", (_row(3, "mia", "Mia", 0.5), _row(2, "zoe", "Zoe", 2.0)))
    assert canvas_csv([first, second]).split("\r\n") == [
        "Student,ID,SIS User ID,SIS Login ID,Section,A (1),B (2)",
        "Points Possible,,,,,2,2",
        "Adam,,adam,adam,,2,",
        "Mia,,mia,mia,,,0.5",
        "Zoe,,zoe,zoe,,1,2",
        "",
    ]


def test_layout_errors() -> None:
    book = _book(1, "A", (_row(1, "adam", "Adam", 2.0),))
    cases = [
        (lambda: export_grades([], "canvas"), "No assignment to export: name at least one."),
        (
            lambda: export_grades([book, book], "csv"),
            "The csv layout holds one assignment (its items as columns); use canvas or moodle "
            "for several.",
        ),
        (
            lambda: export_grades([book], "xlsx"),
            "Unknown export format 'xlsx'; expected one of csv, canvas, moodle.",
        ),
        (
            lambda: export_grades([book], "moodle", "id"),
            "Moodle rows identify users by email or username; got 'id'.",
        ),
    ]
    for action, message in cases:
        with pytest.raises(ExportError) as caught:
            action()
        assert str(caught.value) == message
    many = _book(1, "A", tuple(_row(n, f"s{n}", "", 1.0) for n in range(1, 8)))
    with pytest.raises(ExportError) as caught:
        moodle_csv([many], "email")
    assert str(caught.value) == (
        "7 students have no e-mail address (s1, s2, s3, s4, s5, …): set them (roster import or "
        "the People page) or identify users by username."
    )
    assert export_grades([book], "csv") == grades_csv(book)


def test_an_empty_class_exports_headers_only() -> None:
    empty = _book(4, "Nobody", ())
    assert canvas_csv([empty]) == (
        "Student,ID,SIS User ID,SIS Login ID,Section,Nobody (4)\r\nPoints Possible,,,,,2\r\n"
    )
    assert moodle_csv([empty]) == "Username,Nobody (4)\r\n"
