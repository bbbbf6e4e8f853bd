"""The words the pages, the services and the database share: kinds of card, roles, assignment
modes and release rules. Stored as these strings (``quiz.store.models`` uses them for its
columns); the pages import them from here, never from the store (see ``docs/architecture.md``).
"""

from __future__ import annotations

CARD_KIND_FLASHCARD = "flashcard"
CARD_KIND_EXERCISE = "exercise"

ROLE_STUDENT = "student"
ROLE_INSTRUCTOR = "instructor"
ROLES = (ROLE_STUDENT, ROLE_INSTRUCTOR)

MODE_HOMEWORK = "homework"
MODE_EXAM = "exam"
ASSIGNMENT_MODES = (MODE_HOMEWORK, MODE_EXAM)

RELEASE_IMMEDIATELY = "immediately"
RELEASE_AFTER_DUE = "after_due"
RELEASE_ON_DATE = "on_date"
RELEASE_BY_HAND = "by_hand"
RELEASE_RULES = (RELEASE_IMMEDIATELY, RELEASE_AFTER_DUE, RELEASE_ON_DATE, RELEASE_BY_HAND)
"""When students see their scores (and, separately, correct answers and worked solutions):
at once, once their due time has passed, from ``*_release_at`` on, or when an instructor
releases them (which sets ``*_release_at``). See ``docs/assignment-rules.md``."""
