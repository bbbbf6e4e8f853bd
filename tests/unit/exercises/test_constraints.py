"""Parameter ranges on exercise entries: validated by sampling, honoured by every variant."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from quiz.decks import parse_deck_text
from quiz.decks.model import IntRange
from quiz.decks.problems import check_deck_bytes
from quiz.exercises.constraints import (
    NoVariantError,
    make_constrained,
    observed_ranges,
    params_from_json,
    satisfies,
)
from quiz.exercises.registry import get_family
from quiz.runtime import Stride
from quiz.services.deck_browser import deck_for_export
from quiz.services.decks import import_deck
from quiz.services.practice import exercise_for_item
from quiz.services.study import load_study_card
from quiz.store.models import Card
from tests.support import NOON

DECK = """---
title: Ranges
---

## Exercise: conv-output-size {#ex-sizes difficulty=2 height=28-64 kernel=3,5}
"""


def test_satisfies_ranges_sets_and_lists() -> None:
    params = {"height": 40, "kernel": [3, 3], "layout": "CHW"}
    assert satisfies(params, {"height": IntRange(28, 64), "kernel": (3, 5)})
    assert not satisfies(params, {"height": IntRange(50, 64)})
    assert not satisfies(params, {"kernel": (5,)})
    assert not satisfies(params, {"layout": (1,)})  # not an integer parameter


@pytest.mark.parametrize("seed", range(30))
def test_constrained_variants_meet_the_ranges(seed: int) -> None:
    family = get_family("conv-output-size")
    constraints = {"height": IntRange(28, 64), "kernel": (3, 5)}
    exercise = make_constrained(family, seed, 2, constraints)
    assert 28 <= exercise.params["height"] <= 64
    assert set(exercise.params["kernel"]) <= {3, 5}
    assert exercise == make_constrained(family, seed, 2, constraints)  # reproducible


def test_an_impossible_range_is_refused() -> None:
    with pytest.raises(NoVariantError, match="height in 300-400"):
        make_constrained(get_family("conv-output-size"), 1, 2, {"height": IntRange(300, 400)})
    assert observed_ranges("conv-output-size")["height"][1] < 300


@pytest.mark.parametrize(
    ("attributes", "message"),
    [
        ("height=28-64 colour=3", "has no parameter 'colour'"),
        ("height=900-1000", "out of range"),
        ("difficulty=1 filters=100-128", "no conv-output-size problem at difficulty 1"),
    ],
)
def test_bad_ranges_are_validation_errors_with_the_line(attributes: str, message: str) -> None:
    text = f"---\ntitle: T\n---\n\n## Exercise: conv-output-size {{#e {attributes}}}\n"
    problems = check_deck_bytes(text.encode(), "deck.md")
    assert problems and problems[0].line == 5, problems
    assert any(message in problem.message for problem in problems), problems


def test_ranges_are_stored_used_for_items_and_exported(stride: Stride) -> None:
    with stride.transaction() as session:
        import_deck(session, parse_deck_text(DECK), NOON)
        card = session.scalar(select(Card).where(Card.key == "ex-sizes"))
        assert card is not None and card.exercise_params is not None
        assert params_from_json(json.loads(card.exercise_params)) == {
            "height": IntRange(28, 64),
            "kernel": (3, 5),
        }
        item = load_study_card(session, stride.local_actor, card.id)
        exported = deck_for_export(session, card.deck_id)
    assert item is not None
    exercise = exercise_for_item(stride.local_actor, item)
    assert 28 <= exercise.params["height"] <= 64 and set(exercise.params["kernel"]) <= {3, 5}
    (entry,) = [c.exercise for c in exported.cards if c.exercise]
    assert dict(entry.params) == {"height": IntRange(28, 64), "kernel": (3, 5)}
