"""Importing decks: idempotent, edits keep review history, removals retire, errors write nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from quiz.decks import DeckFormatError, parse_deck_file, parse_deck_text
from quiz.exercises.registry import FAMILIES
from quiz.runtime import Stride
from quiz.scheduling import Rating
from quiz.services.decks import import_deck, list_decks, slugify
from quiz.services.study import answer_card
from quiz.store.models import Card, CardSchedule, Deck, ReviewLog
from tests.support import BUILTIN_DECK, NOON, SEED_DECK, notes_text

CARDS = [
    ("What is a stride?", "The step of the filter."),
    ("What is padding?", "Zeros added around the input."),
    ("What does max-pooling keep?", "The largest value of each window."),
]


def _snapshot(stride: Stride) -> list[tuple]:
    with stride.transaction() as session:
        rows = session.execute(select(Card).order_by(Card.id)).scalars()
        return [(c.id, c.key, c.position, c.front, c.back, c.active, c.updated_at) for c in rows]


def test_builtin_seed_deck_is_loaded_on_first_start(stride: Stride) -> None:
    with stride.transaction() as session:
        decks = list_decks(session)
    builtin = parse_deck_file(BUILTIN_DECK)
    assert [(d.title, d.card_count) for d in decks] == [(builtin.title, len(builtin.cards))]
    assert {card.exercise.family for card in builtin.cards if card.exercise} == set(FAMILIES)


def test_reopening_does_not_reload_or_duplicate(stride: Stride, database_url: str) -> None:
    before = _snapshot(stride)
    again = Stride.open(database_url, stride.settings)
    assert _snapshot(again) == before
    again.close()


def test_reimporting_the_same_file_changes_nothing(stride: Stride) -> None:
    before = _snapshot(stride)
    with stride.transaction() as session:
        report = import_deck(session, parse_deck_file(BUILTIN_DECK), NOON + timedelta(days=3))
    assert not report.changed
    count = len(parse_deck_file(BUILTIN_DECK).cards)
    assert (report.added, report.updated, report.unchanged, report.retired) == (0, 0, count, 0)
    assert _snapshot(stride) == before


def test_an_edited_card_keeps_its_review_history(stride: Stride) -> None:
    with stride.transaction() as session:
        import_deck(session, parse_deck_text(notes_text("Edits", CARDS)), NOON)
        card_id = session.scalar(select(Card.id).where(Card.front == "What is padding?"))
        assert card_id is not None
        answer_card(session, stride.local_actor, card_id, Rating.GOOD, NOON, stride.scheduler)

    edited = [CARDS[0], ("What is zero padding?", "Zeros added around the input image."), CARDS[2]]
    with stride.transaction() as session:
        report = import_deck(session, parse_deck_text(notes_text("Edits", edited)), NOON)
        assert (report.added, report.updated, report.unchanged) == (0, 1, 2)
        card = session.get(Card, card_id)
        assert card is not None and card.front == "What is zero padding?" and card.active
        assert session.scalar(select(func.count()).where(ReviewLog.card_id == card_id)) == 1
        assert session.scalar(select(func.count()).where(CardSchedule.card_id == card_id)) == 1


def test_removed_cards_are_retired_and_come_back(stride: Stride) -> None:
    with stride.transaction() as session:
        import_deck(session, parse_deck_text(notes_text("Retire", CARDS)), NOON)
        report = import_deck(session, parse_deck_text(notes_text("Retire", CARDS[:2])), NOON)
        assert report.retired == 1
        deck = session.scalar(select(Deck).where(Deck.slug == "retire"))
        assert deck is not None
        assert [c.active for c in deck.cards] == [True, True, False]
        report = import_deck(session, parse_deck_text(notes_text("Retire", CARDS)), NOON)
        assert (report.added, report.updated, report.retired) == (0, 1, 0)
        assert all(c.active for c in deck.cards)


def test_reordering_keeps_identity(stride: Stride) -> None:
    with stride.transaction() as session:
        import_deck(session, parse_deck_text(notes_text("Order", CARDS)), NOON)
        ids = dict(session.execute(select(Card.front, Card.id)).all())
        report = import_deck(session, parse_deck_text(notes_text("Order", CARDS[::-1])), NOON)
        assert (report.added, report.updated, report.retired) == (0, 0, 0)
        rows = session.execute(select(Card.front, Card.id, Card.position)).all()
        for front, card_id, position in rows:
            assert ids[front] == card_id
            if front in dict(CARDS):
                assert position == [c[0] for c in CARDS[::-1]].index(front)


def test_a_bad_file_imports_nothing(stride: Stride) -> None:
    before = _snapshot(stride)
    with pytest.raises(DeckFormatError):
        parse_deck_text("Title\n\nno heading here\n")
    # A failure inside the transaction rolls back everything written before it.
    with pytest.raises(RuntimeError), stride.transaction() as session:
        import_deck(session, parse_deck_text(notes_text("Half", CARDS)), NOON)
        raise RuntimeError("simulated failure after the cards were added")
    assert _snapshot(stride) == before


@pytest.mark.parametrize(
    ("title", "slug"),
    [("CNNs: the Notes", "cnns-the-notes"), ("Ünïcode  deck!", "unicode-deck"), ("???", "deck")],
)
def test_slugify(title: str, slug: str) -> None:
    assert slugify(title) == slug


def test_the_markdown_deck_takes_over_the_notes_deck_with_its_history(database_url: str) -> None:
    """A database made when the notes were the built-in deck keeps its reviews after the switch."""
    from quiz.services.decks import load_builtin_decks

    app = Stride.open(database_url, load_builtin=False)
    with app.transaction() as session:
        import_deck(session, parse_deck_file(SEED_DECK), NOON)
        first = session.scalar(select(Card).where(Card.position == 0))
        answer_card(session, app.local_actor, first.id, Rating.GOOD, NOON, app.scheduler)
        first_id = first.id
    with app.transaction() as session:
        (report,) = load_builtin_decks(session, NOON)
        assert report.slug == "convolutional-neural-networks" and not report.created_deck
        assert report.retired == 0 and report.updated + report.unchanged >= 12
        card = session.get(Card, first_id)
        assert card is not None and card.active and card.key == "conv-output-size-example"
        assert session.scalar(select(func.count(ReviewLog.id))) == 1
        assert session.scalar(select(func.count(Deck.id))) == 1
    app.close()


def test_reimport_updates_the_title_and_description(stride: Stride) -> None:
    from quiz.decks.markdown import parse_markdown

    def deck(title: str, description: str) -> str:
        return (
            f"---\ntitle: {title}\ndescription: {description}\n---\n\n"
            "## Q: What is a stride? {#stride}\n\nThe step.\n"
        )

    with stride.transaction() as session:
        import_deck(session, parse_markdown(deck("My deck", "old")), NOON, slug="mine")
        report = import_deck(session, parse_markdown(deck("My Deck", "new")), NOON, slug="mine")
        assert report.changed and report.details_changed and report.unchanged == 1
        row = session.scalar(select(Deck).where(Deck.slug == "mine"))
        assert row is not None and (row.title, row.description) == ("My Deck", "new")


def test_overlong_ids_are_refused_before_anything_is_written(stride: Stride) -> None:
    from quiz.decks.markdown import parse_markdown

    text = "---\ntitle: Long\n---\n\n## Q: What? {#" + "x" * 150 + "}\n\nThat.\n"
    before = _snapshot(stride)
    with (
        pytest.raises(DeckFormatError, match="the card id has 150 characters"),
        stride.transaction() as session,
    ):
        import_deck(session, parse_markdown(text), NOON)
    assert _snapshot(stride) == before


def test_a_builtin_deck_is_parsed_again_only_when_its_file_changed(
    database_url: str, tmp_path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Starting the app compares each built-in file's SHA-256 with the deck's: an unchanged file
    is not even parsed; an edited one updates its deck in place, history kept."""
    import quiz.services.decks as decks

    folder = tmp_path / "decks"
    folder.mkdir()
    path = folder / "mine.txt"
    path.write_text(notes_text("Built in", CARDS), encoding="utf-8")
    app = Stride.open(database_url, load_builtin=False)
    with app.transaction() as session:
        (created,) = decks.load_builtin_decks(session, NOON, folder)
        assert created.created_deck and created.added == len(CARDS)
        card_id = session.scalar(select(Card.id).where(Card.front == "What is a stride?"))
        answer_card(session, app.local_actor, card_id, Rating.GOOD, NOON, app.scheduler)

    def no_parsing(_path: object) -> None:
        raise AssertionError("an unchanged built-in deck was parsed")

    monkeypatch.setattr(decks, "parse_deck_file", no_parsing)
    with app.transaction() as session:
        assert decks.load_builtin_decks(session, NOON, folder) == []
    monkeypatch.undo()

    edited = [("What is a stride?", "The step of the filter, in pixels."), *CARDS[1:]]
    path.write_text(notes_text("Built in", edited), encoding="utf-8")
    with app.transaction() as session:
        (report,) = decks.load_builtin_decks(session, NOON, folder)
        assert not report.created_deck and (report.updated, report.added) == (1, 0)
        card = session.get(Card, card_id)
        assert card is not None and card.back == "The step of the filter, in pixels."
        assert session.scalar(select(func.count(ReviewLog.id))) == 1
        deck = session.scalar(select(Deck).where(Deck.slug == report.slug))
        assert deck is not None and deck.source_hash is not None and len(deck.source_hash) == 64
    app.close()
