"""``plan_sync``: cards keep their identity (and so their review history) across re-imports."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from quiz.decks import ParsedCard, parse_deck_file
from quiz.decks.identity import ExistingCard, SyncPlan, card_keys, content_key, plan_sync

from .test_notes_seed import SEED_FILE

SEED = parse_deck_file(SEED_FILE).cards


def _existing(cards: Sequence[ParsedCard], first_id: int = 1) -> list[ExistingCard]:
    """The database rows an import of ``cards`` would have created (ids in file order)."""
    return [
        ExistingCard(id=first_id + index, key=key, front=card.front, back=card.back)
        for index, (key, card) in enumerate(zip(card_keys(cards), cards, strict=True))
    ]


def _ids(plan: SyncPlan) -> dict[str, int]:
    """Front -> id of the old card it was matched to."""
    return {card.front: old_id for old_id, _key, card in plan.matched}


OLD = _existing(SEED)
ID_OF = {card.front: index + 1 for index, card in enumerate(SEED)}


def test_unchanged_deck_matches_every_card_to_itself() -> None:
    plan = plan_sync(OLD, SEED)
    assert [(old_id, key) for old_id, key, _card in plan.matched] == [
        (old.id, old.key) for old in OLD
    ]
    assert [card for _id, _key, card in plan.matched] == list(SEED)
    assert plan.added == ()
    assert plan.retired == ()


def test_typo_fix_in_a_front_keeps_the_card() -> None:
    fixed = replace(SEED[7], front=SEED[7].front.replace("nerual", "neural"))
    assert fixed.front != SEED[7].front
    plan = plan_sync(OLD, [*SEED[:7], fixed, *SEED[8:]])
    assert _ids(plan)[fixed.front] == 8
    assert dict((old_id, key) for old_id, key, _card in plan.matched)[8] == content_key(fixed.front)
    assert plan.added == ()
    assert plan.retired == ()


def test_edit_in_a_shared_premise_keeps_each_suppose_card_apart() -> None:
    """Cards 10 and 11 share their four-bullet premise; editing it in both swaps nothing."""
    edited = [
        replace(card, front=card.front.replace("no zero-padding", "no padding")) for card in SEED
    ]
    assert edited[9].front != SEED[9].front and edited[10].front != SEED[10].front
    plan = plan_sync(OLD, edited)
    assert _ids(plan) == {card.front: index + 1 for index, card in enumerate(edited)}
    assert plan.added == () and plan.retired == ()


def test_edited_back_keeps_the_card_and_its_key() -> None:
    edited = replace(SEED[3], back="How far the filter moves between two applications.")
    plan = plan_sync(OLD, [*SEED[:3], edited, *SEED[4:]])
    matched = {old_id: (key, card) for old_id, key, card in plan.matched}
    assert matched[4] == (OLD[3].key, edited)
    assert plan.added == () and plan.retired == ()


def test_front_rewrapped_with_other_whitespace_has_the_same_key() -> None:
    rewrapped = replace(SEED[0], front=SEED[0].front.replace(" What is", "\nWhat  is"))
    assert content_key(rewrapped.front) == content_key(SEED[0].front)
    plan = plan_sync(OLD, [rewrapped, *SEED[1:]])
    assert _ids(plan)[rewrapped.front] == 1
    assert plan.added == () and plan.retired == ()


def test_reordered_deck_keeps_every_card() -> None:
    shuffled = [*SEED[6:], *reversed(SEED[:6])]
    plan = plan_sync(OLD, shuffled)
    assert _ids(plan) == ID_OF
    assert [card for _id, _key, card in plan.matched] == shuffled
    assert plan.added == () and plan.retired == ()


def test_removed_card_is_retired() -> None:
    plan = plan_sync(OLD, [*SEED[:5], *SEED[6:]])
    assert plan.retired == (6,)
    assert plan.added == ()
    assert sorted(_ids(plan).values()) == [i for i in range(1, 13) if i != 6]


def test_new_card_is_added() -> None:
    new = ParsedCard(
        front="What is the receptive field of a unit in a CNN?",
        back="The region of the input image that can affect the unit's value.",
    )
    plan = plan_sync(OLD, [*SEED[:4], new, *SEED[4:]])
    assert plan.added == ((content_key(new.front), new),)
    assert _ids(plan) == ID_OF
    assert plan.retired == ()


def test_rewritten_card_is_a_new_card_and_the_old_one_is_retired() -> None:
    new = ParsedCard(
        front="Which non-linearity is usually applied after a convolution?",
        back="A ReLU, applied elementwise.",
    )
    plan = plan_sync(OLD, [*SEED[:5], new, *SEED[6:]])
    assert plan.added == ((content_key(new.front), new),)
    assert plan.retired == (6,)


def test_repeated_fronts_are_told_apart_by_their_backs() -> None:
    first = ParsedCard(front="What is a stride?", back="The step of the filter.")
    second = ParsedCard(front="What  is a\nstride?", back="How far the filter moves.")
    third = ParsedCard(front="What is a stride?", back="A hyperparameter.")
    exact_repeat = ParsedCard(front="What is a stride?", back="A hyperparameter.")
    base = content_key(first.front)
    keys = card_keys([first, SEED[0], second, third, exact_repeat])
    assert keys[1] == content_key(SEED[0].front)
    assert [key.split(":")[:2] for key in (keys[0], keys[2], keys[3])] == [base.split(":")] * 3
    assert len({keys[0], keys[2], keys[3]}) == 3
    assert keys[4] == keys[3] + "#2"
    old = _existing([first, second, third])
    plan = plan_sync(old, [first, second, third])
    assert [old_id for old_id, _key, _card in plan.matched] == [1, 2, 3]
    assert plan.added == () and plan.retired == ()


def test_a_second_card_with_the_same_front_is_new_and_the_first_keeps_its_id() -> None:
    card = ParsedCard(front="What is a stride?", back="The step of the filter.")
    again = ParsedCard(front="What is a stride?", back="The step, in pixels.")
    plan = plan_sync(_existing([card]), [card, again])
    assert [old_id for old_id, _key, _card in plan.matched] == [1]
    assert [added for _key, added in plan.added] == [again]


def test_removing_the_first_of_two_duplicate_fronts_retires_that_one() -> None:
    first = ParsedCard(front="What is a stride?", back="The step of the filter.")
    second = ParsedCard(front="What is a stride?", back="A hyperparameter of a convolution.")
    plan = plan_sync(_existing([first, second]), [second])
    assert [old_id for old_id, _key, _card in plan.matched] == [2]
    assert plan.retired == (1,)


def test_replacing_a_card_by_a_different_concept_with_a_similar_front_is_a_new_card() -> None:
    dilation = ParsedCard(
        front="What is the dilation parameter of a convolutional filter?",
        back="The spacing between the taps of the filter.",
    )
    plan = plan_sync(OLD, [*SEED[:3], dilation, *SEED[4:]])
    assert plan.added == ((content_key(dilation.front), dilation),)
    assert plan.retired == (4,)


def test_explicit_keys_match_exactly_even_when_everything_else_changed() -> None:
    old = [
        ExistingCard(id=1, key="conv-stride", front="What is a stride?", back="The step."),
        ExistingCard(id=2, key="conv-pad", front="What is padding?", back="Zeros around."),
    ]
    incoming = [
        ParsedCard(front="Define padding.", back="Rows of zeros.", key="conv-pad"),
        ParsedCard(front="Explain the stride.", back="How far it moves.", key="conv-stride"),
    ]
    plan = plan_sync(old, incoming)
    assert plan.matched == ((2, "conv-pad", incoming[0]), (1, "conv-stride", incoming[1]))
    assert plan.added == () and plan.retired == ()


def test_explicit_keys_are_never_matched_by_similarity() -> None:
    old = [ExistingCard(id=1, key="conv-stride", front="What is a stride?", back="The step.")]
    renamed = ParsedCard(front="What is a stride?", back="The step.", key="stride")
    plan = plan_sync(old, [renamed])
    assert plan.matched == ()
    assert plan.added == (("stride", renamed),)
    assert plan.retired == (1,)


def test_explicit_and_content_keys_mix() -> None:
    keyed = ParsedCard(front="What is a stride?", back="The step.", key="stride")
    plain = ParsedCard(front="What is padding?", back="Zeros around the input.")
    old = _existing([keyed, plain])
    assert [card.key for card in old] == ["stride", content_key(plain.front)]
    plan = plan_sync(old, [plain, keyed])
    assert plan.matched == ((2, content_key(plain.front), plain), (1, "stride", keyed))


def test_empty_cases() -> None:
    assert plan_sync([], []) == SyncPlan(matched=(), added=(), retired=())
    assert plan_sync(OLD, []).retired == tuple(range(1, 13))
    assert len(plan_sync([], SEED).added) == 12


def test_a_deck_that_gains_ids_keeps_its_cards() -> None:
    """Rewriting an id-less deck with explicit ids (notes → Markdown) adopts the old cards."""
    old = _existing(list(SEED[:3]))
    rewritten = [
        ParsedCard(front=card.front, back=card.back + " (edited)", key=f"card-{n}")
        for n, card in enumerate(SEED[:3])
    ]
    plan = plan_sync(old, rewritten)
    assert [(old_id, key) for old_id, key, _card in plan.matched] == [
        (1, "card-0"),
        (2, "card-1"),
        (3, "card-2"),
    ]
    assert plan.added == () and plan.retired == ()


def test_an_explicit_id_never_takes_over_another_explicit_id() -> None:
    old = [ExistingCard(id=1, key="stride", front="What is a stride?", back="The step.")]
    renamed = ParsedCard(front="What is a stride?", back="The step.", key="stride-v2")
    plan = plan_sync(old, [renamed])
    assert plan.matched == () and plan.retired == (1,)
    assert plan.added == (("stride-v2", renamed),)
