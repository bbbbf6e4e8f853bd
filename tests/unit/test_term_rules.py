"""Each student's deadline and release rules (quiz.services.term_rules, and the gradebook's
rules_text), on objects in memory.

One homework throughout unless a test says otherwise: opens Wed 2026-11-25 12:00 UTC, due a week
later (Wed 2026-12-02 12:00), late answers until Fri 2026-12-04 12:00 with 20 % off, 2 attempts.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from quiz.services.gradebook import rules_text
from quiz.services.term_rules import (
    PHASE_CLOSED,
    PHASE_LATE,
    PHASE_ON_TIME,
    PHASE_UPCOMING,
    Deadline,
    Release,
    answers_visible,
    assignment_deadline,
    deadline,
    default_release,
    due_line,
    release_description,
    release_note,
    scores_visible,
    when,
)
from quiz.store.models import Assignment, AssignmentExtension
from quiz.vocabulary import (
    MODE_EXAM,
    MODE_HOMEWORK,
    RELEASE_AFTER_DUE,
    RELEASE_BY_HAND,
    RELEASE_IMMEDIATELY,
    RELEASE_ON_DATE,
    RELEASE_RULES,
)
from tests.support import NOON

OPENS = NOON
DUE = NOON + timedelta(days=7)
LATE_UNTIL = DUE + timedelta(days=2)
SECOND = timedelta(seconds=1)


def homework(**changes: object) -> Assignment:
    """An assignment in memory (every column set: defaults apply only on insert)."""
    fields: dict[str, object] = {
        "id": 1,
        "title": "Homework 1",
        "instructions": "",
        "mode": MODE_HOMEWORK,
        "opens_at": OPENS,
        "due_at": DUE,
        "max_attempts": 2,
        "credit_schedule": "1",
        "for_all_students": True,
        "created_at": NOON,
        "updated_at": NOON,
        "late_until": LATE_UNTIL,
        "late_penalty": 0.2,
        "scores_release": RELEASE_IMMEDIATELY,
        "scores_release_at": None,
        "answers_release": RELEASE_IMMEDIATELY,
        "answers_release_at": None,
    }
    fields.update(changes)
    return Assignment(**fields)


def own(due_at: datetime, extra_attempts: int = 0) -> AssignmentExtension:
    return AssignmentExtension(
        assignment_id=1, user_id=7, section=None, due_at=due_at, extra_attempts=extra_attempts
    )


def section(name: str, due_at: datetime, extra_attempts: int = 0) -> AssignmentExtension:
    return AssignmentExtension(
        assignment_id=1, user_id=None, section=name, due_at=due_at, extra_attempts=extra_attempts
    )


# --- a student's deadline ----------------------------------------------------------------------


def test_without_an_extension_the_assignments_times_apply() -> None:
    rules = deadline(homework())
    assert rules == Deadline(
        opens_at=OPENS,
        due_at=DUE,
        late_until=LATE_UNTIL,
        late_penalty=0.2,
        max_attempts=2,
        assignment_due_at=DUE,
        extended_by=None,
    )
    assert rules.closes_at == LATE_UNTIL
    assert assignment_deadline(homework()) == rules


def test_an_own_extension_moves_the_due_time_and_the_late_window_keeps_its_length() -> None:
    extended = DUE + timedelta(days=3)  # Sat 2026-12-05 12:00
    rules = deadline(homework(), own(extended, extra_attempts=1))
    assert (rules.due_at, rules.late_until) == (extended, extended + timedelta(days=2))
    assert rules.late_until - rules.due_at == LATE_UNTIL - DUE
    assert (rules.max_attempts, rules.late_penalty) == (3, 0.2)
    assert rules.assignment_due_at == DUE and rules.extended_by == "you"
    assert rules.closes_at == datetime(2026, 12, 7, 12, 0, tzinfo=UTC)


def test_a_section_extension_says_whose_it_is() -> None:
    rules = deadline(homework(), section("B", DUE + timedelta(days=1), extra_attempts=2))
    assert rules.extended_by == "section B"
    assert (rules.due_at, rules.max_attempts) == (DUE + timedelta(days=1), 4)
    assert rules.late_until == LATE_UNTIL + timedelta(days=1)


def test_extra_attempts_add_to_the_assignments_attempts() -> None:
    # grant_extension takes only a due time after the assignment's: one minute later here
    rules = deadline(homework(), own(DUE + timedelta(minutes=1), extra_attempts=5))
    assert (rules.due_at, rules.max_attempts) == (DUE + timedelta(minutes=1), 7)
    assert rules.late_until == LATE_UNTIL + timedelta(minutes=1)
    assert (
        deadline(homework(max_attempts=20), own(DUE + SECOND, extra_attempts=20)).max_attempts == 40
    )


def test_without_a_late_window_there_is_no_penalty_and_nothing_after_the_due_time() -> None:
    rules = deadline(homework(late_until=None, late_penalty=0.2))
    assert (rules.late_until, rules.late_penalty, rules.closes_at) == (None, 0.0, DUE)
    assert rules.phase(DUE + SECOND) == PHASE_CLOSED
    extended = deadline(homework(late_until=None), own(DUE + timedelta(days=1)))
    assert extended.late_until is None and extended.closes_at == DUE + timedelta(days=1)


def test_a_late_window_that_ends_before_the_due_time_counts_as_none() -> None:
    rules = deadline(homework(late_until=DUE, late_penalty=0.5))
    assert (rules.late_until, rules.late_penalty) == (None, 0.0)
    assert deadline(homework(late_until=DUE - timedelta(hours=1))).late_until is None


# --- phases and credit -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("moment", "phase"),
    [
        (OPENS - SECOND, PHASE_UPCOMING),
        (OPENS, PHASE_ON_TIME),  # opening included
        (DUE, PHASE_ON_TIME),  # the due time included
        (DUE + SECOND, PHASE_LATE),
        (LATE_UNTIL, PHASE_LATE),  # the end of the window included
        (LATE_UNTIL + SECOND, PHASE_CLOSED),
    ],
)
def test_phase_boundaries(moment: datetime, phase: str) -> None:
    rules = deadline(homework())
    assert rules.phase(moment) == phase
    assert rules.accepting(moment) == (phase in (PHASE_ON_TIME, PHASE_LATE))


def test_an_extended_student_is_on_time_after_the_assignments_due_time() -> None:
    rules = deadline(homework(), own(DUE + timedelta(days=3)))
    assert rules.phase(DUE + timedelta(days=1)) == PHASE_ON_TIME
    assert rules.phase(LATE_UNTIL + SECOND) == PHASE_ON_TIME  # the class's window is over
    assert rules.phase(DUE + timedelta(days=3, hours=1)) == PHASE_LATE
    assert rules.phase(DUE + timedelta(days=5) + SECOND) == PHASE_CLOSED


def test_credit_is_kept_whole_on_time_and_loses_the_penalty_when_late() -> None:
    rules = deadline(homework(late_penalty=0.25))
    assert rules.credit_factor(OPENS) == 1.0
    assert rules.credit_factor(DUE) == 1.0
    assert rules.credit_factor(DUE + SECOND) == 0.75
    assert rules.credit_factor(LATE_UNTIL) == 0.75
    free = deadline(homework(late_penalty=0.0))
    assert free.phase(DUE + SECOND) == PHASE_LATE and free.credit_factor(DUE + SECOND) == 1.0
    total = deadline(homework(late_penalty=1.0))
    assert total.credit_factor(DUE + SECOND) == 0.0


# --- release -----------------------------------------------------------------------------------


def _shown(assignment: Assignment, moment: datetime, rules: Deadline | None = None) -> tuple:
    rules = rules or deadline(assignment)
    return scores_visible(assignment, rules, moment), answers_visible(assignment, rules, moment)


def test_default_release_hides_an_exam_and_shows_homework() -> None:
    assert default_release(MODE_EXAM) == RELEASE_BY_HAND
    assert default_release(MODE_HOMEWORK) == RELEASE_IMMEDIATELY


def test_immediately_shows_everything_even_before_opening() -> None:
    assert _shown(homework(), OPENS - timedelta(days=1)) == (True, True)


def test_after_due_waits_for_the_end_of_the_students_late_window() -> None:
    exam = homework(scores_release=RELEASE_AFTER_DUE, answers_release=RELEASE_AFTER_DUE)
    assert _shown(exam, DUE) == (False, False)
    assert _shown(exam, DUE + SECOND) == (False, False)  # late answers still come in
    assert _shown(exam, LATE_UNTIL) == (False, False)
    assert _shown(exam, LATE_UNTIL + SECOND) == (True, True)
    extended = deadline(exam, own(DUE + timedelta(days=3)))
    assert _shown(exam, LATE_UNTIL + SECOND, extended) == (False, False)
    assert _shown(exam, DUE + timedelta(days=5) + SECOND, extended) == (True, True)
    no_window = homework(
        late_until=None, scores_release=RELEASE_AFTER_DUE, answers_release=RELEASE_AFTER_DUE
    )
    assert _shown(no_window, DUE) == (False, False)
    assert _shown(no_window, DUE + SECOND) == (True, True)


def test_on_a_date_shows_from_that_moment_on() -> None:
    day = DUE + timedelta(days=9)
    exam = homework(
        scores_release=RELEASE_ON_DATE,
        scores_release_at=day,
        answers_release=RELEASE_ON_DATE,
        answers_release_at=day + timedelta(days=1),
    )
    assert _shown(exam, day - SECOND) == (False, False)
    assert _shown(exam, day) == (True, False)
    assert _shown(exam, day + timedelta(days=1)) == (True, True)
    undated = homework(scores_release=RELEASE_ON_DATE, scores_release_at=None)
    assert _shown(undated, day) == (False, False)


def test_by_hand_is_hidden_until_released() -> None:
    hidden = homework(scores_release=RELEASE_BY_HAND, answers_release=RELEASE_BY_HAND)
    assert _shown(hidden, DUE + timedelta(days=365)) == (False, False)
    released = homework(
        scores_release=RELEASE_BY_HAND,
        scores_release_at=DUE,
        answers_release=RELEASE_BY_HAND,
        answers_release_at=None,
    )
    assert _shown(released, DUE - SECOND) == (False, False)
    assert _shown(released, DUE) == (True, False)


def test_answers_are_never_shown_while_scores_are_hidden() -> None:
    exam = homework(scores_release=RELEASE_BY_HAND, answers_release=RELEASE_IMMEDIATELY)
    assert _shown(exam, DUE + timedelta(days=30)) == (False, False)
    dated = homework(
        scores_release=RELEASE_ON_DATE,
        scores_release_at=DUE + timedelta(days=3),
        answers_release=RELEASE_AFTER_DUE,
    )
    assert _shown(dated, LATE_UNTIL + SECOND) == (False, False)  # answers' rule met, not scores'
    assert _shown(dated, DUE + timedelta(days=3)) == (True, True)


def test_an_unknown_rule_shows_nothing() -> None:
    assert _shown(homework(scores_release="someday"), DUE + timedelta(days=99)) == (False, False)
    assert _shown(homework(answers_release="someday"), DUE) == (True, False)


@given(
    scores=st.sampled_from(RELEASE_RULES),
    answers=st.sampled_from(RELEASE_RULES),
    scores_at=st.one_of(st.none(), st.integers(0, 20 * 24)),
    answers_at=st.one_of(st.none(), st.integers(0, 20 * 24)),
    hour=st.integers(-24, 30 * 24),
)
def test_answers_visible_implies_scores_visible(
    scores: str, answers: str, scores_at: int | None, answers_at: int | None, hour: int
) -> None:
    def at(hours: int | None) -> datetime | None:
        return None if hours is None else OPENS + timedelta(hours=hours)

    exam = homework(
        scores_release=scores,
        scores_release_at=at(scores_at),
        answers_release=answers,
        answers_release_at=at(answers_at),
    )
    rules = deadline(exam)
    moment = OPENS + timedelta(hours=hour)
    if answers_visible(exam, rules, moment):
        assert scores_visible(exam, rules, moment)


# --- words -------------------------------------------------------------------------------------


def test_when_writes_utc_minutes() -> None:
    eastern = datetime(2026, 12, 2, 7, 30, tzinfo=timezone(timedelta(hours=-5)))
    assert when(eastern) == "2026-12-02 12:30 UTC"


def test_release_descriptions() -> None:
    day = datetime(2026, 12, 11, 9, 0, tzinfo=UTC)
    assert release_description(RELEASE_IMMEDIATELY, None) == "immediately"
    assert release_description(RELEASE_AFTER_DUE, None) == "after the due time"
    assert release_description(RELEASE_ON_DATE, day) == "on 2026-12-11 09:00 UTC"
    assert release_description(RELEASE_BY_HAND, None) == "when released by hand (not yet)"
    assert release_description(RELEASE_BY_HAND, day) == "released 2026-12-11 09:00 UTC"
    assert release_description(RELEASE_ON_DATE, day, lambda d: d.strftime("%a %d")) == "on Fri 11"


def test_release_note_says_what_appears_and_when() -> None:
    day = datetime(2026, 12, 11, 9, 0, tzinfo=UTC)
    hand = Release(RELEASE_BY_HAND, None, RELEASE_BY_HAND, None)
    assert release_note(hand, scores_shown=False, answers_shown=False) == (
        "Scores and worked solutions are shown when released by hand (not yet)."
    )
    dated = Release(RELEASE_ON_DATE, day, RELEASE_AFTER_DUE, None)
    assert release_note(dated, scores_shown=False, answers_shown=False) == (
        "Scores are shown on 2026-12-11 09:00 UTC; correct answers and worked solutions "
        "after the due time, not before the scores."
    )
    assert release_note(dated, scores_shown=True, answers_shown=False) == (
        "Correct answers and worked solutions are shown after the due time."
    )
    assert release_note(dated, scores_shown=True, answers_shown=True) == ""
    # hidden scores with answers "immediately": the answers come with the scores
    with_scores = Release(RELEASE_ON_DATE, day, RELEASE_IMMEDIATELY, None)
    assert release_note(with_scores, scores_shown=False, answers_shown=False) == (
        "Scores and worked solutions are shown on 2026-12-11 09:00 UTC."
    )
    # the same date for both reads as one sentence too
    same_day = Release(RELEASE_ON_DATE, day, RELEASE_ON_DATE, day)
    assert release_note(same_day, scores_shown=False, answers_shown=False) == (
        "Scores and worked solutions are shown on 2026-12-11 09:00 UTC."
    )
    later = Release(RELEASE_ON_DATE, day, RELEASE_ON_DATE, day + timedelta(days=1))
    assert release_note(later, scores_shown=False, answers_shown=False) == (
        "Scores are shown on 2026-12-11 09:00 UTC; correct answers and worked solutions "
        "on 2026-12-12 09:00 UTC, not before the scores."
    )
    by_hand_answers = Release(RELEASE_AFTER_DUE, None, RELEASE_BY_HAND, None)
    assert release_note(by_hand_answers, scores_shown=False, answers_shown=False) == (
        "Scores are shown after the due time; correct answers and worked solutions "
        "when released by hand (not yet), not before the scores."
    )
    assert release_note(
        later, scores_shown=False, answers_shown=False, fmt=lambda d: d.strftime("%a %d %b")
    ) == (
        "Scores are shown on Fri 11 Dec; correct answers and worked solutions on Sat 12 Dec, "
        "not before the scores."
    )
    assert Release.of(homework(scores_release=RELEASE_ON_DATE, scores_release_at=day)) == Release(
        RELEASE_ON_DATE, day, RELEASE_IMMEDIATELY, None
    )


def test_rules_text_says_the_late_window_and_the_release_rules() -> None:
    assert rules_text(homework()) == [
        "Late answers until 2026-12-04 12:00 UTC (20% off).",
        "Scores shown to students immediately; answers and worked solutions immediately.",
    ]
    assert rules_text(homework(late_until=None))[0] == "No late answers after the due time."
    assert rules_text(homework(late_penalty=0.0))[0] == (
        "Late answers until 2026-12-04 12:00 UTC (no penalty)."
    )
    day = datetime(2026, 12, 11, 9, 0, tzinfo=UTC)
    differ = homework(
        scores_release=RELEASE_ON_DATE, scores_release_at=day, answers_release=RELEASE_AFTER_DUE
    )
    assert rules_text(differ)[1] == (
        "Scores shown to students on 2026-12-11 09:00 UTC; answers and worked solutions after "
        "the due time (not before the scores)."
    )
    same = homework(
        scores_release=RELEASE_ON_DATE,
        scores_release_at=day,
        answers_release=RELEASE_ON_DATE,
        answers_release_at=day,
    )
    assert rules_text(same)[1] == (
        "Scores shown to students on 2026-12-11 09:00 UTC; answers and worked solutions "
        "on 2026-12-11 09:00 UTC."
    )
    local = rules_text(differ, lambda d: d.strftime("%a %d %b %H:%M"))
    assert local == [
        "Late answers until Fri 04 Dec 12:00 (20% off).",
        "Scores shown to students on Fri 11 Dec 09:00; answers and worked solutions after the "
        "due time (not before the scores).",
    ]


def test_due_line_for_everyone_for_an_extended_student_and_for_a_section() -> None:
    assert due_line(deadline(homework(late_until=None))) == "due 2026-12-02 12:00 UTC"
    assert due_line(deadline(homework())) == (
        "due 2026-12-02 12:00 UTC · late answers until 2026-12-04 12:00 UTC (20% off)"
    )
    assert due_line(deadline(homework(), own(DUE + timedelta(days=3)))) == (
        "due 2026-12-02 12:00 UTC · you have an extension to 2026-12-05 12:00 UTC · "
        "late answers until 2026-12-07 12:00 UTC (20% off)"
    )
    free = homework(late_penalty=0.0, late_until=DUE + timedelta(hours=6))
    assert due_line(deadline(free, section("A", DUE + timedelta(days=1)))) == (
        "due 2026-12-02 12:00 UTC · section A has an extension to 2026-12-03 12:00 UTC · "
        "late answers until 2026-12-03 18:00 UTC (no penalty)"
    )
    short = due_line(deadline(homework(late_until=None)), lambda d: d.strftime("%a %H:%M"))
    assert short == "due Wed 12:00"


# --- the phase sequence, for any times ---------------------------------------------------------

ORDER = [PHASE_UPCOMING, PHASE_ON_TIME, PHASE_LATE, PHASE_CLOSED]
MINUTES = st.integers(min_value=1, max_value=60 * 24 * 60)


@given(
    due=MINUTES,
    window=st.one_of(st.none(), MINUTES),
    extension=st.one_of(st.none(), MINUTES),
    extra=st.integers(0, 20),
    penalty=st.floats(0, 1, allow_nan=False),
    probes=st.lists(st.integers(-60 * 24, 60 * 24 * 200), min_size=1, max_size=40),
)
def test_phases_run_forward_and_credit_follows_them(
    due: int,
    window: int | None,
    extension: int | None,
    extra: int,
    penalty: float,
    probes: list[int],
) -> None:
    """For random due, late-window and extension times (an extension is after the assignment's
    due time, as grant_extension requires): over time the phase goes upcoming → on time →
    (late) → closed and never back; on time keeps the whole credit, late keeps 1 − penalty."""
    due_at = OPENS + timedelta(minutes=due)
    late_until = None if window is None else due_at + timedelta(minutes=window)
    assignment = homework(due_at=due_at, late_until=late_until, late_penalty=penalty)
    granted = None if extension is None else own(due_at + timedelta(minutes=extension), extra)
    rules = deadline(assignment, granted)
    student_due = due_at if granted is None else granted.due_at
    assert rules.due_at == student_due and rules.due_at >= due_at
    assert rules.max_attempts == 2 + (0 if granted is None else extra)
    if late_until is None:
        assert rules.late_until is None and rules.closes_at == student_due
    else:
        assert rules.late_until - rules.due_at == late_until - due_at

    moments = sorted({OPENS + timedelta(minutes=m) for m in probes})
    # the boundaries themselves, and one second either side
    for edge in (OPENS, rules.due_at, rules.closes_at):
        moments += [edge - SECOND, edge, edge + SECOND]
    moments.sort()
    phases = [rules.phase(m) for m in moments]
    ranks = [ORDER.index(p) for p in phases]
    assert ranks == sorted(ranks), list(zip(moments, phases, strict=True))
    if late_until is None:
        assert PHASE_LATE not in phases
    else:
        assert PHASE_LATE in phases  # the second after the due time is late
    assert phases[0] == PHASE_UPCOMING and phases[-1] == PHASE_CLOSED
    for moment, phase in zip(moments, phases, strict=True):
        assert rules.accepting(moment) == (phase in (PHASE_ON_TIME, PHASE_LATE))
        if phase == PHASE_ON_TIME:
            assert rules.credit_factor(moment) == 1.0
        elif phase == PHASE_LATE:
            assert rules.credit_factor(moment) == pytest.approx(1.0 - penalty)
