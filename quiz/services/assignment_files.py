"""Assignments as files: a small TOML file that a course keeps in git, read and written.

The format (every key but ``title``, ``due`` and ``items`` may be left out)::

    title = "Homework 3: pooling"
    mode = "homework"                  # or "exam"
    opens = 2026-12-01T09:00:00Z       # TOML date-times with a zone (Z or +01:00); default: now
    due = 2026-12-08T23:59:00Z
    attempts = 3                       # per item, 1–20
    credit_schedule = [1.0, 0.7, 0.5]  # exam: credit of attempt 1, 2, 3, …
    students = ["alice", "bob"]        # default: every student, now and later
    instructions = \"\"\"Markdown with $\\KaTeX$ maths.\"\"\"
    items = [
      "conv-output-size:2",            # family:difficulty[:points]
      "maxpool-backward:3:2",
      { family = "conv-forward", difficulty = 2, points = 2, count = 3 },
      { deck = "cnn", entry = "ex-im2col", points = 1 },   # a deck's exercise entry
    ]

    [late]                             # optional: a late window
    until = 2026-12-11T23:59:00Z
    penalty = 0.2                      # 20 % off a late answer's credit

    [release]                          # optional: immediately | after_due | on_date | by_hand
    scores = "after_due"
    answers = "on_date"
    answers_at = 2026-12-12T09:00:00Z

A deck entry copies its family, difficulty and parameter ranges (the deck's ``## Exercise:``
block), as the creation form does. Every problem is reported as ``FILE:LINE: message``, all of
them at once; nothing is created while any is left. :func:`dump` writes an assignment back in
this format (items repeated in a row become one entry with ``count``), so export → create gives
the same assignment.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import tomli_w
from sqlalchemy import select
from sqlalchemy.orm import Session

from quiz.services.assignments import (
    AssignmentSpec,
    AssignmentSpecError,
    ItemSpec,
    attempts_problems,
    instructions_problems,
    item_problems,
    late_problems,
    live_items,
    release_problems,
    schedule_problems,
    time_problems,
    title_problems,
)
from quiz.store.models import Assignment, AssignmentMember, Card, Deck, User
from quiz.vocabulary import (
    ASSIGNMENT_MODES,
    CARD_KIND_EXERCISE,
    MODE_HOMEWORK,
    RELEASE_RULES,
    ROLE_STUDENT,
)

TOP_LEVEL_KEYS = (
    "title",
    "mode",
    "opens",
    "due",
    "attempts",
    "credit_schedule",
    "students",
    "instructions",
    "items",
    "late",
    "release",
)
ITEM_KEYS = ("family", "difficulty", "points", "count", "deck", "entry")
MAX_FILE_BYTES = 256 * 1024


@dataclass(frozen=True)
class FileProblem:
    """One thing wrong with an assignment file, at ``line`` (1-based; 0 when unknown)."""

    line: int
    message: str

    def at(self, path: str) -> str:
        return f"{path}:{self.line}: {self.message}" if self.line else f"{path}: {self.message}"


class AssignmentFileError(ValueError):
    """An assignment file that cannot be used; ``problems`` lists every reason."""

    def __init__(self, problems: Sequence[FileProblem]) -> None:
        self.problems = tuple(problems)
        super().__init__("\n".join(p.at("<file>") for p in self.problems))


class _Lines:
    """Finds the line a key or a value was written on (tomllib does not keep positions)."""

    def __init__(self, text: str) -> None:
        self.lines = text.splitlines()

    def of_key(self, key: str, table: str | None = None) -> int:
        start = 0
        if table is not None:
            start = next(
                (
                    n
                    for n, line in enumerate(self.lines)
                    if re.match(rf"\s*\[\s*{re.escape(table)}\s*\]", line)
                ),
                -1,
            )
            if start < 0:
                return 0
        pattern = re.compile(rf"\s*{re.escape(key)}\s*=")
        for n in range(start, len(self.lines)):
            if pattern.match(self.lines[n]):
                return n + 1
        return 0

    def of_text(self, text: str, after: int = 0) -> int:
        for n in range(max(after - 1, 0), len(self.lines)):
            if text in self.lines[n]:
                return n + 1
        return 0


def parse_text(text: str, session: Session, now: datetime) -> AssignmentSpec:
    """The :class:`AssignmentSpec` a file describes; :class:`AssignmentFileError` lists every
    problem with its line. Usernames and deck entries are looked up in ``session``."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        found = re.search(r"\(at line (\d+), column \d+\)", str(error))
        message = re.sub(r"\s*\(at line \d+, column \d+\)", "", str(error))
        raise AssignmentFileError(
            [FileProblem(int(found.group(1)) if found else 0, f"not valid TOML: {message}")]
        ) from None
    lines = _Lines(text)
    problems: list[FileProblem] = []

    def problem(message: str, key: str, table: str | None = None) -> None:
        problems.append(FileProblem(lines.of_key(key, table), message))

    for key in data:
        if key not in TOP_LEVEL_KEYS:
            problem(f"unknown key {key!r}; expected one of {', '.join(TOP_LEVEL_KEYS)}", key)
    title = data.get("title")
    if not isinstance(title, str) or not title.strip():
        problem('"title" is missing or empty: give the assignment a title', "title")
    else:
        for message in title_problems(title):
            problem(message, "title")
    mode = data.get("mode", MODE_HOMEWORK)
    if mode not in ASSIGNMENT_MODES:
        problem(f'"mode" must be "homework" or "exam"; got {mode!r}', "mode")
    opens = _moment(data, "opens", problem, default=now)
    due = _moment(data, "due", problem, required=True)
    if opens is not None and due is not None:
        for message in time_problems(opens, due):
            problem(message, "due")
    attempts = data.get("attempts", 3)
    for message in attempts_problems(attempts):
        problem(message, "attempts")
    schedule = data.get("credit_schedule", [1.0, 0.7, 0.5])
    if not isinstance(schedule, list) or not all(
        isinstance(v, int | float) and not isinstance(v, bool) for v in schedule
    ):
        problem(f'"credit_schedule" must be a list of numbers; got {schedule!r}', "credit_schedule")
        schedule = [1.0]
    else:
        for message in schedule_problems(schedule):
            problem(message, "credit_schedule")
    instructions = data.get("instructions", "")
    if not isinstance(instructions, str):
        problem('"instructions" must be text', "instructions")
        instructions = ""
    else:
        for message in instructions_problems(instructions):
            problem(message, "instructions")
    student_ids = _students(session, data.get("students"), lines, problems)
    late = _table(data, "late", ("until", "penalty"), lines, problems)
    late_until = _moment(late, "until", problem, table="late")
    penalty = late.get("penalty", 0.0)
    if "penalty" in late and late_until is None and "until" not in late:
        problem('"late.penalty" needs "late.until" (when the late window ends)', "penalty", "late")
    elif penalty_problems := late_problems(None, None, penalty):
        for message in penalty_problems:
            problem(message, "penalty", "late")
    elif late_until is not None and due is not None:
        for message in late_problems(due, late_until, penalty):
            problem(message, "until", "late")
    release = _table(
        data, "release", ("scores", "scores_at", "answers", "answers_at"), lines, problems
    )
    released_at = {}
    for what in ("scores", "answers"):
        rule = release.get(what)
        released_at[what] = _moment(release, f"{what}_at", problem, table="release")
        if rule is not None and rule not in RELEASE_RULES:
            problem(
                f'"release.{what}" must be one of {", ".join(RELEASE_RULES)}; got {rule!r}',
                what,
                "release",
            )
        elif f"{what}_at" not in release or released_at[what] is not None:
            for message in release_problems(what, rule, released_at[what]):
                problem(message, what, "release")
    items = _items(session, data.get("items"), lines, problems)
    if problems:
        raise AssignmentFileError(problems)
    return AssignmentSpec(
        title=title,  # type: ignore[arg-type]
        instructions=instructions,
        mode=mode,
        opens_at=opens,  # type: ignore[arg-type]
        due_at=due,  # type: ignore[arg-type]
        max_attempts=attempts,
        items=items,
        credit_schedule=tuple(float(v) for v in schedule),
        student_ids=student_ids,
        late_until=late_until,
        late_penalty=penalty,
        scores_release=release.get("scores"),
        scores_release_at=released_at["scores"],
        answers_release=release.get("answers"),
        answers_release_at=released_at["answers"],
    )


def spec_problems_at_lines(error: AssignmentSpecError, text: str) -> AssignmentFileError:
    """The service's problems with a spec (the few the file's own checks cannot see), placed on
    the line of the key they concern, or on no line."""
    lines = _Lines(text)
    keys = (  # most specific first: a late-window message also names the due time
        ("late penalty", "penalty", "late"),
        ("late window", "until", "late"),
        ("scores release", "scores", "release"),
        ("answers release", "answers", "release"),
        ("credit schedule", "credit_schedule", None),
        ("attempts", "attempts", None),
        ("opening time", "opens", None),
        ("due time", "due", None),
        ("instructions", "instructions", None),
        ("title", "title", None),
        ("student", "students", None),
        ("item ", "items", None),
    )
    problems = []
    for message in error.problems:
        lowered = message.lower()
        line = next((lines.of_key(key, table) for words, key, table in keys if words in lowered), 0)
        problems.append(FileProblem(line, message))
    return AssignmentFileError(problems)


def _moment(
    data: dict[str, Any],
    key: str,
    problem: Any,
    *,
    table: str | None = None,
    default: datetime | None = None,
    required: bool = False,
) -> datetime | None:
    value = data.get(key)
    name = f"{table}.{key}" if table else key
    if value is None:
        if required:
            problem(f'"{name}" is missing: give a date and time such as 2026-12-08T23:59:00Z', key)
        return default
    if not isinstance(value, datetime):
        problem(
            f'"{name}" must be a TOML date and time such as 2026-12-08T23:59:00Z; got {value!r}',
            key,
            table,
        )
        return default
    if value.tzinfo is None:
        problem(
            f'"{name}" ({value.isoformat()}) has no time zone: end it with Z (UTC) or an offset '
            "such as +01:00",
            key,
            table,
        )
        return default
    return value


def _table(
    data: dict[str, Any],
    name: str,
    keys: tuple[str, ...],
    lines: _Lines,
    problems: list[FileProblem],
) -> dict[str, Any]:
    table = data.get(name, {})
    if not isinstance(table, dict):
        problems.append(FileProblem(lines.of_key(name), f'"{name}" must be a table [{name}]'))
        return {}
    for key in table:
        if key not in keys:
            problems.append(
                FileProblem(
                    lines.of_key(key, name),
                    f"unknown key {key!r} in [{name}]; expected one of {', '.join(keys)}",
                )
            )
    return table


def _students(
    session: Session, names: Any, lines: _Lines, problems: list[FileProblem]
) -> list[int] | None:
    if names is None:
        return None
    line = lines.of_key("students")
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        problems.append(FileProblem(line, '"students" must be a list of usernames'))
        return None
    found = {
        user.username: user
        for user in session.scalars(select(User).where(User.username.in_(names)))
    }
    if not names:
        problems.append(
            FileProblem(
                line,
                "The list of students is empty: choose at least one student, "
                "or give the assignment to all students.",
            )
        )
    ids = []
    for name in names:
        user = found.get(name)
        where = lines.of_text(f'"{name}"', line) or line
        if user is None or user.role != ROLE_STUDENT:
            problems.append(FileProblem(where, f"no student {name!r}"))
        elif not user.active:
            problems.append(FileProblem(where, f"Student {user.id} ({name}) is deactivated."))
        else:
            ids.append(user.id)
    return ids


def _items(
    session: Session, items: Any, lines: _Lines, problems: list[FileProblem]
) -> list[ItemSpec]:
    line = lines.of_key("items")
    if not isinstance(items, list) or not items:
        problems.append(FileProblem(line, '"items" must be a non-empty list of problems'))
        return []
    specs = []
    after = line
    for number, item in enumerate(items, start=1):
        where = _item_line(lines, item, after) or line
        after = where + 1  # the next item is on a later line (or this one: then found again)
        try:
            if isinstance(item, str):
                spec = _short_item(item)
            elif isinstance(item, dict):
                spec = _table_item(session, item)
            else:
                raise ValueError("each item is a string or an inline table")
        except ValueError as error:
            problems.append(FileProblem(where, f"item {number}: {error}"))
            continue
        problems += [
            FileProblem(where, f"item {number}: {p}") for p in item_problems(session, spec)
        ]
        specs.append(spec)
    return specs


def _item_line(lines: _Lines, item: Any, after: int) -> int:
    """The line of an item: its string, or its table's deck entry or family name."""
    if isinstance(item, str):
        return lines.of_text(f'"{item}"', after)
    if isinstance(item, dict):
        for key in ("entry", "family"):
            if isinstance(item.get(key), str):
                return lines.of_text(f'"{item[key]}"', after)
        return 0
    return lines.of_text(str(item).lower() if isinstance(item, bool) else str(item), after)


def _short_item(text: str) -> ItemSpec:
    """``family:difficulty[:points]``."""
    parts = text.split(":")
    if len(parts) not in (2, 3):
        raise ValueError(f'write "family:difficulty" or "family:difficulty:points"; got {text!r}')
    family = parts[0].strip()
    try:
        difficulty = int(parts[1])
        points = float(parts[2]) if len(parts) == 3 else 1.0
    except ValueError:
        raise ValueError(
            f"the difficulty must be 1, 2 or 3 and the points a number; got {text!r}"
        ) from None
    return ItemSpec(family, difficulty, points=points)


def _table_item(session: Session, item: dict[str, Any]) -> ItemSpec:
    unknown = [key for key in item if key not in ITEM_KEYS]
    if unknown:
        raise ValueError(f"unknown key {unknown[0]!r}; expected {', '.join(ITEM_KEYS)}")
    count = item.get("count", 1)
    points = item.get("points", 1.0)
    if "deck" in item or "entry" in item:
        deck, entry = item.get("deck"), item.get("entry")
        card_id = session.scalar(
            select(Card.id)
            .join(Deck, Deck.id == Card.deck_id)
            .where(
                Deck.slug == deck,
                Card.key == entry,
                Card.kind == CARD_KIND_EXERCISE,
                Card.active,
            )
        )
        if card_id is None:
            raise ValueError(_no_entry(session, deck, entry))
        return ItemSpec(None, None, count=count, points=points, card_id=card_id)
    return ItemSpec(item.get("family"), item.get("difficulty", 2), count=count, points=points)


def _no_entry(session: Session, deck: Any, entry: Any) -> str:
    known = session.scalar(select(Deck.id).where(Deck.slug == deck))
    if known is None:
        return f"there is no deck {deck!r} (`stride deck list` shows the slugs)"
    entries = list(
        session.scalars(
            select(Card.key)
            .where(Card.deck_id == known, Card.kind == CARD_KIND_EXERCISE, Card.active)
            .order_by(Card.position)
        )
    )
    listed = ", ".join(entries[:8]) + (", …" if len(entries) > 8 else "")
    return f"deck {deck!r} has no exercise entry {entry!r}; its entries: {listed or 'none'}"


# --- writing -----------------------------------------------------------------------------------


def dump(session: Session, assignment: Assignment) -> str:
    """``assignment`` in the file format (items not removed; a run of equal items as one entry
    with ``count``)."""
    data: dict[str, Any] = {
        "title": assignment.title,
        "mode": assignment.mode,
        "opens": assignment.opens_at,
        "due": assignment.due_at,
        "attempts": assignment.max_attempts,
        "credit_schedule": [float(v) for v in assignment.credit_schedule.split(",")],
    }
    if not assignment.for_all_students:
        data["students"] = list(
            session.scalars(
                select(User.username)
                .join(AssignmentMember, AssignmentMember.user_id == User.id)
                .where(AssignmentMember.assignment_id == assignment.id)
                .order_by(User.username)
            )
        )
    if assignment.instructions:
        data["instructions"] = assignment.instructions
    data["items"] = _dumped_items(session, assignment)
    if assignment.late_until is not None:
        data["late"] = {"until": assignment.late_until, "penalty": assignment.late_penalty}
    release: dict[str, Any] = {
        "scores": assignment.scores_release,
        "answers": assignment.answers_release,
    }
    if assignment.scores_release_at is not None:
        release["scores_at"] = assignment.scores_release_at
    if assignment.answers_release_at is not None:
        release["answers_at"] = assignment.answers_release_at
    data["release"] = release
    header = f"# Stride assignment {assignment.id}: stride assignment create FILE reads it back\n"
    return header + tomli_w.dumps(data, multiline_strings=True)


def _dumped_items(session: Session, assignment: Assignment) -> list[Any]:
    entries: list[dict[str, Any]] = []
    for item in live_items(assignment):
        entry: dict[str, Any]
        card = session.get(Card, item.card_id) if item.card_id is not None else None
        if card is not None:
            deck = session.get(Deck, card.deck_id)
            entry = {"deck": deck.slug if deck else "", "entry": card.key, "points": item.points}
        else:
            entry = {"family": item.family, "difficulty": item.difficulty, "points": item.points}
        if entries and {k: v for k, v in entries[-1].items() if k != "count"} == entry:
            entries[-1]["count"] = entries[-1].get("count", 1) + 1
        else:
            entries.append(entry)
    return [
        f"{e['family']}:{e['difficulty']}:{_points(e['points'])}"
        if "family" in e and "count" not in e
        else e
        for e in entries
    ]


def _points(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(float(value))
