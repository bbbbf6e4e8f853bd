"""The Decks page's use cases: summaries, search by every filter, suspension (out of the study
queue and counts), edits that keep history, deletion with history, export rebuild round trips,
upload preview with every problem, and uploads with problems refused with nothing written."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from quiz.config import StudySettings
from quiz.decks import parse_deck_text
from quiz.decks.export import to_anki_text, to_markdown_text, write_apkg
from quiz.decks.markdown import parse_markdown
from quiz.decks.model import MAX_NESTING, MAX_SIDE_CHARS, ExerciseEntry
from quiz.runtime import Stride
from quiz.scheduling import Rating
from quiz.services.access import Actor
from quiz.services.deck_browser import (
    CardEditError,
    UploadRejectedError,
    all_tags,
    deck_for_export,
    deck_summaries,
    delete_card,
    import_upload,
    load_card_row,
    normalise_tags,
    preview_upload,
    search_cards,
    suspend,
    unsuspend,
    update_card,
)
from quiz.services.decks import import_deck
from quiz.services.study import CardNotFoundError, answer_card, due_counts, next_card
from quiz.store.models import (
    Attempt,
    Card,
    CardSchedule,
    CardSuspension,
    Deck,
    ReviewLog,
    User,
)
from tests.support import NOON, notes_text

MARKDOWN_DECK = """\
---
title: Pooling basics
description: Max and average pooling.
---

## Q: What does max-pooling keep? {#max-pool .pooling .basics}

The largest value of each window: $\\max_{(a,b) \\in W} x_{ab}$.

## Q: What does average pooling compute? {#avg-pool .pooling}

The mean of each window.

## Q: What is a stride? {#stride .basics}

The step of the window.

## Exercise: conv-output-size {#ex-out difficulty=3}
"""

NOTES_CARDS = [
    ("What is padding?", "Zeros added around the input."),
    ("What is a kernel?", "The small weight tensor slid over the input."),
]

BAD_DECK = b"""\
---
title: Broken
---

## Q: What is a stride? {#a}

The step.

## Q: What is padding? {#a}

Zeros.

## Q: What is pooling?

## Exercise: no-such-family
"""


@pytest.fixture
def app(database_url: str, settings: StudySettings) -> Stride:
    """A database with a Markdown deck (ids, tags, an exercise) and a notes deck (content keys)."""
    stride = Stride.open(database_url, settings, load_builtin=False)
    with stride.transaction() as session:
        import_deck(session, parse_markdown(MARKDOWN_DECK), NOON)
        import_deck(session, parse_deck_text(notes_text("Notes deck", NOTES_CARDS)), NOON)
        _tag_cards(session)  # until import stores tags (see test_import_stores_tags)
    return stride


def _tag_cards(session) -> None:  # type: ignore[no-untyped-def]
    tags = {"max-pool": "pooling basics", "avg-pool": "pooling", "stride": "basics"}
    for card in session.scalars(select(Card)):
        if card.key in tags:
            card.tags = tags[card.key]


def _card_id(app: Stride, front_start: str) -> int:
    with app.transaction() as session:
        card_id = session.scalar(select(Card.id).where(Card.front.startswith(front_start)))
    assert card_id is not None, front_start
    return card_id


def _deck_id(app: Stride, title: str) -> int:
    with app.transaction() as session:
        deck_id = session.scalar(select(Deck.id).where(Deck.title == title))
    assert deck_id is not None
    return deck_id


def _answer(app: Stride, card_id: int, rating: Rating, when=NOON) -> None:  # type: ignore[no-untyped-def]
    with app.transaction() as session:
        answer_card(session, app.local_actor, card_id, rating, when, app.scheduler)


def _search(app: Stride, when=NOON, **filters):  # type: ignore[no-untyped-def]
    with app.transaction() as session:
        return search_cards(session, app.local_actor, when, app.scheduler, **filters)


def _fronts(rows) -> list[str]:  # type: ignore[no-untyped-def]
    return [row.front for row in rows]


# --- summaries --------------------------------------------------------------------------------


def test_deck_summaries_count_cards_by_state_and_due_today(app: Stride) -> None:
    _answer(app, _card_id(app, "What does max"), Rating.GOOD)  # learning
    _answer(app, _card_id(app, "What is a stride"), Rating.EASY)  # review, due in days
    with app.transaction() as session:
        suspend(session, app.local_actor, [_card_id(app, "What does average")], NOON)
        summaries = {
            s.title: s for s in deck_summaries(session, app.local_actor, NOON, app.settings)
        }
    pooling = summaries["Pooling basics"]
    assert (pooling.cards, pooling.new, pooling.learning, pooling.review, pooling.suspended) == (
        4,
        1,
        1,
        1,
        1,
    )
    assert (pooling.due_new, pooling.due_learning, pooling.due_review) == (1, 1, 0)
    assert pooling.due_today == 2
    assert pooling.description == "Max and average pooling."
    assert pooling.next_due is not None
    notes = summaries["Notes deck"]
    assert (notes.cards, notes.new, notes.due_today, notes.suspended) == (2, 2, 2, 0)


# --- search -----------------------------------------------------------------------------------


def test_search_lists_every_active_card_by_deck_then_position(app: Stride) -> None:
    rows = _search(app)
    assert [row.deck_title for row in rows] == ["Notes deck"] * 2 + ["Pooling basics"] * 4
    assert _fronts(rows)[2:5] == [
        "What does max-pooling keep?",
        "What does average pooling compute?",
        "What is a stride?",
    ]
    exercise = rows[-1]
    assert exercise.is_exercise and exercise.exercise_family == "conv-output-size"
    assert exercise.exercise_difficulty == 3
    assert all(row.state == "new" and row.retrievability is None for row in rows)


def test_search_by_deck_text_and_tag(app: Stride) -> None:
    pooling = _deck_id(app, "Pooling basics")
    assert len(_search(app, deck_id=pooling)) == 4
    assert _fronts(_search(app, text="A STRIDE")) == ["What is a stride?"]
    assert _fronts(_search(app, text="mean of each")) == ["What does average pooling compute?"]
    assert _fronts(_search(app, text="100%")) == []  # % is literal, not a wildcard
    assert _fronts(_search(app, text="max_pool")) == []  # so is _ (not max-pool)
    assert _fronts(_search(app, tag="basics")) == [
        "What does max-pooling keep?",
        "What is a stride?",
    ]
    assert _fronts(_search(app, tag="Pooling")) == [
        "What does max-pooling keep?",
        "What does average pooling compute?",
    ]
    assert _search(app, tag="pool") == []  # whole tags only
    assert _fronts(_search(app, tag="basics", text="window")) == [
        "What does max-pooling keep?",
        "What is a stride?",
    ]
    assert _search(app, deck_id=_deck_id(app, "Notes deck"), tag="basics") == []


def test_search_by_state(app: Stride) -> None:
    max_pool, stride = _card_id(app, "What does max"), _card_id(app, "What is a stride")
    padding = _card_id(app, "What is padding")
    _answer(app, max_pool, Rating.GOOD)  # learning
    _answer(app, stride, Rating.EASY)  # review
    _answer(app, padding, Rating.EASY)
    _answer(app, padding, Rating.AGAIN, NOON + timedelta(days=10))  # relearning
    with app.transaction() as session:
        suspend(session, app.local_actor, [_card_id(app, "What is a kernel")], NOON)
    later = NOON + timedelta(days=10)
    assert {row.id for row in _search(app, later, state="learning")} == {max_pool, padding}
    assert [row.id for row in _search(app, later, state="relearning")] == [padding]
    assert [row.id for row in _search(app, later, state="review")] == [stride]
    (suspended,) = _search(app, later, state="suspended")
    assert suspended.front == "What is a kernel?" and suspended.suspended
    assert suspended.state == "suspended" and suspended.schedule_state == "new"
    assert len(_search(app, later, state="new")) == 2  # average pooling, the exercise
    with pytest.raises(ValueError, match="unknown state"):
        _search(app, state="buried")


def test_search_by_fsrs_properties(app: Stride) -> None:
    easy, hard = _card_id(app, "What is a stride"), _card_id(app, "What does max")
    _answer(app, easy, Rating.EASY)
    _answer(app, hard, Rating.HARD)
    rows = {row.id: row for row in _search(app)}
    assert rows[easy].stability > rows[hard].stability
    assert rows[easy].difficulty < rows[hard].difficulty
    assert rows[easy].reps == 1 and rows[easy].lapses == 0
    assert rows[easy].due is not None and rows[easy].due > NOON
    assert rows[easy].retrievability == pytest.approx(1.0)

    middle = (rows[easy].stability + rows[hard].stability) / 2
    assert [r.id for r in _search(app, min_stability=middle)] == [easy]
    assert [r.id for r in _search(app, max_stability=middle)] == [hard]
    split = (rows[easy].difficulty + rows[hard].difficulty) / 2
    assert [r.id for r in _search(app, min_difficulty=split)] == [hard]
    assert [r.id for r in _search(app, max_difficulty=split)] == [easy]
    assert {r.id for r in _search(app, min_difficulty=1, max_difficulty=10)} == {easy, hard}

    later = NOON + timedelta(days=20)  # the hard card's memory has faded more
    faded = {r.id: r.retrievability for r in _search(app, later)}
    assert faded[hard] < faded[easy] < 1
    cut = (faded[hard] + faded[easy]) / 2
    assert [r.id for r in _search(app, later, max_retrievability=cut)] == [hard]
    assert [r.id for r in _search(app, later, min_retrievability=cut)] == [easy]


def test_search_limit_and_retired_cards(app: Stride) -> None:
    assert len(_search(app, limit=3)) == 3
    assert len(_search(app, limit=1, min_difficulty=0)) == 0
    with app.transaction() as session:
        import_deck(session, parse_deck_text(notes_text("Notes deck", NOTES_CARDS[:1])), NOON)
    assert "What is a kernel?" not in _fronts(_search(app))


def test_all_tags_and_tag_normalising(app: Stride) -> None:
    with app.transaction() as session:
        assert all_tags(session) == ["basics", "pooling"]
        assert all_tags(session, _deck_id(app, "Notes deck")) == []
    assert normalise_tags("a, b  a\tc") == ("a", "b", "c")
    assert normalise_tags(["x", "y z", "x"]) == ("x", "y", "z")


# --- suspension -------------------------------------------------------------------------------


def test_suspended_cards_leave_the_study_queue_and_counts(app: Stride) -> None:
    notes = _deck_id(app, "Notes deck")
    padding, kernel = _card_id(app, "What is padding"), _card_id(app, "What is a kernel")
    user = app.local_actor
    with app.transaction() as session:
        assert next_card(session, user, NOON, app.settings, deck_id=notes).card_id == padding
        assert suspend(session, user, [padding], NOON) == 1
        assert suspend(session, user, [padding], NOON) == 0  # already suspended
        assert next_card(session, user, NOON, app.settings, deck_id=notes).card_id == kernel
        counts = {c.title: c for c in due_counts(session, user, NOON, app.settings)}
        assert counts["Notes deck"].new == 1

    _answer(app, kernel, Rating.GOOD)  # learning, due in 10 minutes
    with app.transaction() as session:
        suspend(session, user, [kernel], NOON)
        soon = NOON + timedelta(minutes=11)
        assert next_card(session, user, soon, app.settings, deck_id=notes) is None
        counts = {c.title: c for c in due_counts(session, user, soon, app.settings)}
        assert (counts["Notes deck"].total, counts["Notes deck"].next_due) == (0, None)

        assert unsuspend(session, user, [padding, kernel]) == 2
        assert unsuspend(session, user, [padding]) == 0
        assert next_card(session, user, soon, app.settings, deck_id=notes).card_id == kernel
        counts = {c.title: c for c in due_counts(session, user, soon, app.settings)}
        assert (counts["Notes deck"].new, counts["Notes deck"].learning) == (1, 1)
        row = load_card_row(session, user, kernel, soon, app.scheduler)
        assert row.state == "learning" and row.reps == 1  # the schedule was kept


def test_suspension_is_per_user(app: Stride) -> None:
    padding = _card_id(app, "What is padding")
    with app.transaction() as session:
        other = User(username="other", display_name="Other", created_at=NOON)
        session.add(other)
        session.flush()
        suspend(session, app.local_actor, [padding], NOON)
        theirs = next_card(
            session, Actor.of(other), NOON, app.settings, deck_id=_deck_id(app, "Notes deck")
        )
    assert theirs is not None and theirs.card_id == padding


def test_suspending_an_unknown_card_writes_nothing(app: Stride) -> None:
    padding = _card_id(app, "What is padding")
    with pytest.raises(CardNotFoundError, match="99999"), app.transaction() as session:
        suspend(session, app.local_actor, [padding, 99999], NOON)
    with app.transaction() as session:
        assert session.scalar(select(func.count(CardSuspension.id))) == 0


# --- edits ------------------------------------------------------------------------------------


def test_update_card_keeps_key_schedule_and_history(app: Stride) -> None:
    padding, stride = _card_id(app, "What is padding"), _card_id(app, "What is a stride")
    _answer(app, padding, Rating.GOOD)
    _answer(app, stride, Rating.GOOD)
    with app.transaction() as session:
        keys = {padding: session.get(Card, padding).key, stride: session.get(Card, stride).key}
        later = NOON + timedelta(hours=1)
        assert update_card(
            session,
            app.local_actor,
            padding,
            "What is zero padding?",
            "Zeros.",
            "shapes, basics",
            later,
        )
        assert update_card(
            session,
            app.local_actor,
            stride,
            " What is the stride? ",
            "The step.",
            ["basics"],
            later,
        )
        assert not update_card(
            session, app.local_actor, stride, "What is the stride?", "The step.", "basics", later
        )
    with app.transaction() as session:
        for card_id in (padding, stride):
            card = session.get(Card, card_id)
            assert card.key == keys[card_id]  # a content key ("h:...") is kept too
            assert card.updated_at == NOON + timedelta(hours=1)
            assert session.scalar(select(func.count()).where(ReviewLog.card_id == card_id)) == 1
            assert session.scalar(select(func.count()).where(CardSchedule.card_id == card_id)) == 1
        assert keys[padding].startswith("h:") and keys[stride] == "stride"
        card = session.get(Card, padding)
        assert (card.front, card.back, card.tags) == (
            "What is zero padding?",
            "Zeros.",
            "shapes basics",
        )
        assert session.get(Card, stride).front == "What is the stride?"
    assert _fronts(_search(app, tag="shapes")) == ["What is zero padding?"]


@pytest.mark.parametrize(
    ("front", "back", "message"),
    [
        ("", "A", "the front is empty"),
        ("Q", "   \n", "the back is empty"),
        ("Q" * (MAX_SIDE_CHARS + 1), "A", "the front has 20,001 characters; at most 20,000"),
        ("Q\x00", "A", "NUL"),
        # the rules of an import (side_problems): an edit cannot store what a file could not
        ("Q", "- " * (MAX_NESTING + 1) + "deep", "the back nests lists or block quotes 11 levels"),
        ("Q", ">" * 3_000 + " deep", "the back nests lists or block quotes 3,000 levels"),
    ],
)
def test_update_card_refuses_bad_text(app: Stride, front: str, back: str, message: str) -> None:
    padding = _card_id(app, "What is padding")
    with pytest.raises(CardEditError, match=message), app.transaction() as session:
        update_card(session, app.local_actor, padding, front, back, "", NOON)
    with app.transaction() as session:
        assert session.get(Card, padding).front == "What is padding?"


def test_update_of_a_missing_card(app: Stride) -> None:
    with pytest.raises(CardNotFoundError), app.transaction() as session:
        update_card(session, app.local_actor, 99999, "Q", "A", "", NOON)


def test_delete_card_removes_it_with_its_history(app: Stride) -> None:
    padding, kernel = _card_id(app, "What is padding"), _card_id(app, "What is a kernel")
    _answer(app, padding, Rating.GOOD)
    _answer(app, padding, Rating.GOOD, NOON + timedelta(minutes=10))
    _answer(app, kernel, Rating.GOOD)
    with app.transaction() as session:
        review_id = session.scalar(select(ReviewLog.id).where(ReviewLog.card_id == padding))
        session.add(
            Attempt(
                user_id=app.local_actor.user_id,
                card_id=padding,
                review_id=review_id,
                source="study",
                family="conv-output-size",
                seed=1,
                difficulty=2,
                raw_answer="3",
                score=1.0,
                correct=True,
                created_at=NOON,
            )
        )
        suspend(session, app.local_actor, [padding], NOON)
    with app.transaction() as session:
        report = delete_card(session, app.local_actor, padding)
    assert (report.reviews, report.schedules) == (2, 1)
    with app.transaction() as session:
        assert session.get(Card, padding) is None
        for model in (ReviewLog, CardSchedule, CardSuspension):
            assert session.scalar(select(func.count()).where(model.card_id == padding)) == 0
        attempt = session.scalar(select(Attempt))
        assert (attempt.card_id, attempt.review_id, attempt.score) == (None, None, 1.0)
        assert session.scalar(select(func.count()).where(ReviewLog.card_id == kernel)) == 1
    assert "What is padding?" not in _fronts(_search(app))
    with pytest.raises(CardNotFoundError), app.transaction() as session:
        delete_card(session, app.local_actor, padding)


# --- export -----------------------------------------------------------------------------------


def test_export_rebuild_round_trips_through_markdown(app: Stride) -> None:
    with app.transaction() as session:
        deck = deck_for_export(session, _deck_id(app, "Pooling basics"))
    assert deck.title == "Pooling basics" and deck.description == "Max and average pooling."
    assert [card.key for card in deck.cards] == ["max-pool", "avg-pool", "stride", "ex-out"]
    assert deck.cards[0].tags == ("pooling", "basics")
    assert deck.cards[-1].exercise == ExerciseEntry("conv-output-size", 3)
    again = parse_markdown(to_markdown_text(deck))
    assert (again.title, again.description) == (deck.title, deck.description)
    strip = lambda cards: [(c.front, c.back, c.key, c.tags, c.exercise) for c in cards]  # noqa: E731
    assert strip(again.cards) == strip(deck.cards)


def test_export_rebuild_of_a_content_keyed_deck_and_the_anki_formats(app: Stride, tmp_path) -> None:  # type: ignore[no-untyped-def]
    notes = _deck_id(app, "Notes deck")
    with app.transaction() as session:
        update_card(
            session,
            app.local_actor,
            _card_id(app, "What is padding"),
            "What is padding?",
            "Zeros!",
            "x",
            NOON,
        )
        deck = deck_for_export(session, notes)
    assert [card.key for card in deck.cards] == [None, None]  # content keys are derived again
    again = parse_markdown(to_markdown_text(deck))
    assert [(c.front, c.back, c.tags) for c in again.cards] == [
        ("What is padding?", "Zeros!", ("x",)),
        NOTES_CARDS[1] + ((),),
    ]
    with app.transaction() as session:  # importing the export matches the same rows
        report = import_deck(session, again, NOON, slug=session.get(Deck, notes).slug)
    assert (report.added, report.retired) == (0, 0)
    assert "What is padding?" in to_anki_text(deck)
    assert write_apkg(deck, tmp_path / "notes.apkg").cards == 2
    with pytest.raises(LookupError), app.transaction() as session:
        deck_for_export(session, 99999)


# --- upload -----------------------------------------------------------------------------------


def test_preview_of_a_good_upload(app: Stride) -> None:
    preview = preview_upload(MARKDOWN_DECK.encode(), "pooling.md")
    assert preview.ok and preview.format == "markdown" and preview.problems == ()
    assert preview.deck is not None and len(preview.deck.cards) == 4
    notes = preview_upload(notes_text("N", NOTES_CARDS).encode(), "n.txt")
    assert notes.ok and notes.format == "notes"


def test_preview_lists_every_problem_with_its_line() -> None:
    preview = preview_upload(BAD_DECK, "broken.md")
    assert not preview.ok and preview.deck is None
    lines = preview.problem_lines()
    assert len(lines) >= 3
    assert all(line.startswith("broken.md:") for line in lines)
    assert any(line.startswith("broken.md:9: ") and "already used" in line for line in lines)
    assert any(line.startswith("broken.md:13: ") for line in lines)  # empty answer
    assert any("no-such-family" in line for line in lines)
    assert [p.line for p in preview.problems] == sorted(p.line for p in preview.problems)


@pytest.mark.parametrize(
    ("data", "filename", "message"),
    [
        (b"\xff\xfeT\x00", "deck.txt", "UTF-16"),
        (b"PK\x03\x04not really", "deck.apkg", ""),
        (b"", "empty.md", ""),
    ],
)
def test_preview_of_unreadable_files(data: bytes, filename: str, message: str) -> None:
    preview = preview_upload(data, filename)
    assert not preview.ok and preview.problems
    assert message in preview.problems[0].message


def test_import_upload_creates_then_updates_the_deck(app: Stride) -> None:
    data = notes_text("Uploaded", NOTES_CARDS).encode()
    with app.transaction() as session:
        report = import_upload(session, app.local_actor, data, "uploaded.txt", NOON)
    assert report.created_deck and report.added == 2
    with app.transaction() as session:
        again = import_upload(session, app.local_actor, data, "uploaded.txt", NOON)
        deck = session.scalar(select(Deck).where(Deck.slug == "uploaded"))
        assert deck is not None and deck.source_name == "uploaded.txt"
    assert not again.changed


def test_import_upload_with_problems_writes_nothing(app: Stride) -> None:
    with app.transaction() as session:
        before = session.scalar(select(func.count(Card.id)))
    with pytest.raises(UploadRejectedError) as raised, app.transaction() as session:
        import_upload(session, app.local_actor, BAD_DECK, "broken.md", NOON)
    assert "nothing was imported" in str(raised.value) and len(raised.value.problems) >= 3
    with app.transaction() as session:
        assert session.scalar(select(func.count(Card.id))) == before
        assert session.scalar(select(Deck.id).where(Deck.title == "Broken")) is None


def test_import_stores_tags(database_url: str, settings: StudySettings) -> None:
    stride = Stride.open(database_url, settings, load_builtin=False)
    with stride.transaction() as session:
        import_deck(session, parse_markdown(MARKDOWN_DECK), NOON)
        tags = session.scalar(select(Card.tags).where(Card.key == "max-pool"))
    stride.close()
    assert tags == "pooling basics"
