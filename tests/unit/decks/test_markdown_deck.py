"""The Markdown deck format: the documented example, its syntax, every error with its line, and
the choice of format by content and extension.

Files in ``tests/data/decks/good/`` parse into their ``NAME.expected.json`` (this module checks
the Markdown ones, ``test_anki_text`` the others); files in ``tests/data/decks/bad/`` fail with the
line and words listed here (or in the other format's test module), through ``parse_deck_file``
and, as the first of its problems, through ``check_deck_file``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from quiz.decks import DeckFormatError, markdown, parse_deck_file, parse_deck_text
from quiz.decks.model import DeckProblem, ExerciseEntry, IntRange, ParsedCard
from quiz.decks.problems import check_deck_bytes, check_deck_file, format_problems
from quiz.decks.reader import detect_text_format, parse_deck_bytes
from quiz.exercises.registry import FAMILIES

REPO_ROOT = Path(__file__).resolve().parents[3]
DECKS_DIR = REPO_ROOT / "tests" / "data" / "decks"
GOOD_DIR = DECKS_DIR / "good"
BAD_DIR = DECKS_DIR / "bad"
FRONT = "---\ntitle: Test deck\n---\n\n"


@dataclass(frozen=True)
class Bad:
    """A malformed file, the line its first problem names and words its message contains."""

    file: str
    line: int
    words: tuple[str, ...]


BAD_MARKDOWN = [
    Bad("md-no-front-matter.md", 1, ("expected front matter",)),
    Bad("md-unclosed-front-matter.md", 1, ("not closed with a line '---'",)),
    Bad("md-unknown-key.md", 3, ("unknown front-matter key 'author'", "expected title")),
    Bad("md-no-title.md", 1, ("expected a non-empty 'title:'",)),
    Bad("md-duplicate-id.md", 9, ("'stride' is already used on line 5",)),
    Bad("md-empty-front.md", 5, ("the question is empty", "expected")),
    Bad("md-empty-back.md", 5, ("the answer is empty",)),
    Bad("md-unknown-family.md", 9, ("unknown exercise family 'conv-output'", "conv-output-size")),
    Bad("md-bad-difficulty.md", 5, ("difficulty must be 1, 2 or 3", "'5'")),
    Bad("md-malformed-range.md", 5, ("malformed parameter kernel='3;5'", "expected a range")),
    Bad("md-empty-range.md", 5, ("height=224-28", "the range is empty")),
    Bad("md-unclosed-maths.md", 8, ("opened with \\[ is not closed",)),
    Bad("md-unclosed-fence.md", 7, ("code block opened here", "never closed")),
    Bad("md-other-heading.md", 9, ("expected '## Q: question' or '## Exercise: family-id'",)),
    Bad("md-no-cards.md", 5, ("expected at least one card",)),
    Bad("md-bad-attributes.md", 5, ("cannot read the attributes '{#two words}'",)),
    Bad("md-second-answer.md", 13, ("a second '### A' line", "starts on line 9")),
    Bad("md-card-attribute.md", 5, ("unknown attribute 'difficulty' on a card",)),
    Bad("md-latin-1.txt", 7, ("expected UTF-8", "0xe9")),  # .txt: ruff reads .md files
    Bad("md-many-problems.md", 3, ("unknown front-matter key 'author'",)),
]


def expected_json(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(Path(f"{path}.expected.json").read_text("utf-8"))
    return data


def assert_good_file(path: Path) -> None:
    """``path`` parses into its expected JSON (format, deck, card lines) and checks clean."""
    deck = parse_deck_file(path)
    expected = expected_json(path)
    assert deck.source_format == expected.pop("format")
    assert [card.line for card in deck.cards] == expected.pop("lines")
    assert deck.to_dict() == expected
    assert check_deck_file(path) == []


def assert_bad_file(bad: Bad) -> None:
    """``bad`` fails with its line and words, as the first problem ``check`` reports too."""
    path = BAD_DIR / bad.file
    with pytest.raises(DeckFormatError) as caught:
        parse_deck_file(path)
    error = caught.value
    assert error.line == bad.line, error.message
    for words in bad.words:
        assert words in error.message
    problems = check_deck_file(path)
    assert problems[0] == DeckProblem(error.line, error.message)
    assert problems == sorted(problems, key=lambda problem: problem.line)
    printed = format_problems(problems, str(path))
    assert printed.splitlines()[0] == f"{path}:{bad.line}: {error.message}"
    assert check_deck_bytes(path.read_bytes(), bad.file) == problems


@pytest.mark.parametrize("path", sorted(GOOD_DIR.glob("*.md")), ids=lambda path: path.name)
def test_good_markdown_files(path: Path) -> None:
    assert_good_file(path)


@pytest.mark.parametrize("bad", BAD_MARKDOWN, ids=lambda bad: bad.file)
def test_bad_markdown_files(bad: Bad) -> None:
    assert_bad_file(bad)


def test_check_lists_every_problem_with_its_line() -> None:
    path = BAD_DIR / "md-many-problems.md"
    problems = check_deck_file(path)
    assert [problem.line for problem in problems] == [3, 10, 14, 16, 18, 18]
    assert "already used on line 6" in problems[1].message
    assert "answer is empty" in problems[2].message
    assert "unknown exercise family 'no-such-family'" in problems[3].message
    assert "difficulty" in problems[4].message and "kernel='x'" in problems[5].message
    assert format_problems(problems, "deck.md").count("\n") == 6


def test_the_specification_example_is_the_good_file() -> None:
    """The complete example of docs/deck-formats.md is exactly ``good/cnn-basics.md``, and the
    shorter one in the README parses with no problem."""
    page = (REPO_ROOT / "docs" / "deck-formats.md").read_text("utf-8")
    start = page.index("```markdown\n", page.index("## Markdown decks")) + len("```markdown\n")
    assert page[start : page.index("```\n", start)] == (GOOD_DIR / "cnn-basics.md").read_text(
        "utf-8"
    )
    readme = (REPO_ROOT / "README.md").read_text("utf-8")
    start = readme.index("```markdown\n", readme.index("### Deck formats")) + len("```markdown\n")
    assert markdown.check_markdown(readme[start : readme.index("```\n", start)]) == []


# -- syntax ------------------------------------------------------------------------------------


def _cards(body: str, front_matter: str = FRONT) -> tuple[ParsedCard, ...]:
    return markdown.parse_markdown(front_matter + body).cards


def test_a_card_is_a_heading_and_the_text_below_it() -> None:
    (card,) = _cards("## Q: What is a stride?\n\nThe step.\n\nSecond paragraph.\n")
    assert card == ParsedCard("What is a stride?", "The step.\n\nSecond paragraph.", line=5)


def test_a_long_question_ends_at_an_answer_line() -> None:
    body = "## Q: First line {#k}\n\nSecond *paragraph*:\n\n- a\n- b\n\n### A:\n\n$$x$$\n"
    (card,) = _cards(body)
    assert card.front == "First line\n\nSecond *paragraph*:\n\n- a\n- b"
    assert card.back == "$$x$$"
    assert card.key == "k"


def test_attributes_ids_and_tags() -> None:
    cards = _cards(
        "## Q: One {#a-1 .x .y .x}\n\nA.\n\n"
        '## Q: Two {id="b \\"quoted\\" {id}" .z}\n\nB.\n\n'
        "## Q: Is {x} a set? {.sets}\n\nYes.\n\n"
        "## Q: Is {x} a set?\n\nYes.\n\n"
        "## Q: Ends with braces {}\n\nYes.\n"
    )
    assert [(card.front, card.key, card.tags) for card in cards] == [
        ("One", "a-1", ("x", "y")),
        ("Two", 'b "quoted" {id}', ("z",)),
        ("Is {x} a set?", None, ("sets",)),
        ("Is {x} a set?", None, ()),
        ("Ends with braces", None, ()),
    ]


def test_front_matter_forms() -> None:
    deck = markdown.parse_markdown(
        "\n---\n# a comment\ntitle: 'It''s a deck: CNNs'\ndescription: \"  padded \\\" \"\n"
        "tags:\n  - cnn\n  - shapes\n---\n## Q: a\n\nb\n"
    )
    assert deck.title == "It's a deck: CNNs"
    assert deck.description == '  padded " '
    assert deck.tags == ("cnn", "shapes")
    for tags in ("[cnn, shapes]", "cnn, shapes", "[cnn,shapes, cnn]"):
        text = f"---\ntitle: T\ntags: {tags}\n---\n## Q: a\n\nb\n"
        assert markdown.parse_markdown(text).tags == ("cnn", "shapes")


def test_exercise_entries() -> None:
    family = FAMILIES["conv-output-size"]
    cards = _cards(
        "## Exercise: conv-output-size\n\n"
        "## Exercise: conv-output-size {#e2 .drill difficulty=warm-up height=28-128 kernel=3,5,7 "
        "stride=2}\n\nPractise *this*.\n"
    )
    assert cards[0] == ParsedCard(
        family.title, family.description, line=5, exercise=ExerciseEntry("conv-output-size", 2)
    )
    assert cards[1].back == "Practise *this*."
    assert cards[1].key == "e2" and cards[1].tags == ("drill",)
    assert cards[1].exercise == ExerciseEntry(
        "conv-output-size",
        1,
        {"height": IntRange(28, 128), "kernel": (3, 5, 7), "stride": (2,)},
    )
    assert cards[1].to_dict()["exercise"] == {
        "family": "conv-output-size",
        "difficulty": 1,
        "params": {
            "height": {"min": 28, "max": 128},
            "kernel": {"any_of": [3, 5, 7]},
            "stride": {"any_of": [2]},
        },
    }


def test_parameters_are_checked_against_the_family_schema(monkeypatch: pytest.MonkeyPatch) -> None:
    """Families may declare ``parameter_ranges``; names and values are then checked."""
    base = FAMILIES["conv-output-size"]
    fake = SimpleNamespace(
        title=base.title,
        description=base.description,
        parameter_ranges={"height": (8, 256), "kernel": (1, 7)},
    )
    monkeypatch.setitem(FAMILIES, "fake-family", fake)
    ok = _cards("## Exercise: fake-family {height=28-128 kernel=3,5,7}\n")
    assert ok[0].exercise is not None and ok[0].exercise.params["kernel"] == (3, 5, 7)
    text = FRONT + "## Exercise: fake-family {height=4-300 kernel=3,9 padding=1}\n"
    messages = [problem.message for problem in markdown.check_markdown(text)]
    assert messages == [
        "height: 4 is out of range for 'fake-family'; expected values from 8 to 256",
        "kernel: 9 is out of range for 'fake-family'; expected values from 1 to 7",
        "exercise family 'fake-family' has no parameter 'padding'; known: height, kernel",
    ]


def test_headings_inside_code_blocks_and_deeper_headings_stay_in_the_card() -> None:
    (card,) = _cards("## Q: Show it\n\n```\n## Q: not a card\n### A\n```\n\n#### Note\n\nok\n")
    assert card.back == "```\n## Q: not a card\n### A\n```\n\n#### Note\n\nok"


def test_introduction_before_the_first_card_is_ignored() -> None:
    cards = _cards("# Title\n\nSome words.\n\n### A subsection\n\n## Q: a\n\nb\n")
    assert [(card.front, card.line) for card in cards] == [("a", 11)]


def test_line_endings_and_bom_do_not_matter() -> None:
    text = FRONT + "## Q: a {#k}\n\nb\n\n## Q: c\n\nd\n"
    plain = markdown.parse_markdown(text)
    assert markdown.parse_markdown("\ufeff" + text.replace("\n", "\r\n")) == plain
    assert parse_deck_bytes(b"\xef\xbb\xbf" + text.replace("\n", "\r").encode()) == plain


def test_ids_are_unique_across_cards_and_exercises() -> None:
    text = FRONT + "## Q: a {#k}\n\nb\n\n## Exercise: conv-output-size {#k}\n"
    assert markdown.check_markdown(text) == [
        DeckProblem(9, "the id 'k' is already used on line 5; expected a unique id per card")
    ]


def test_maths_checks_stay_within_one_side() -> None:
    problems = markdown.check_markdown(FRONT + "## Q: \\[x\n\n### A\n\n\\]\n")
    assert [problem.line for problem in problems] == [5, 9]
    assert markdown.check_markdown(FRONT + "## Q: $$x$$ and \\[y\\]\n\n$$\nz\n$$\n") == []
    unclosed = markdown.check_markdown(FRONT + "## Q: a\n\n$$\nz\n\n## Q: b\n\n$$c$$\n")
    assert unclosed == [
        DeckProblem(7, "display maths opened with $$ is not closed with $$ in this side")
    ]


def test_card_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(markdown, "MAX_CARDS", 2)
    text = FRONT + "".join(f"## Q: q{i}\n\na{i}\n\n" for i in range(3))
    with pytest.raises(DeckFormatError, match="at most 2 cards") as caught:
        markdown.parse_markdown(text)
    assert caught.value.line == 13


# -- choosing the format -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "filename", "expected"),
    [
        ("---\ntitle: x\n---\n", None, "markdown"),
        ("\n\n---\ntitle: x\n---\n", "deck.txt", "markdown"),
        ("anything", "deck.md", "markdown"),
        ("anything", "DECK.MARKDOWN", "markdown"),
        ("Title\n\nFlashcards\n\nQ?\n\n\nA.\n", "deck.md", "markdown"),
        ("Title\n\nFlashcards\n\nQ?\n\n\nA.\n", None, "notes"),
        ("Intro\n\n## Q: a\n\nb\n", None, "markdown"),
        ("Intro\n\n## Exercise: conv-output-size\n", "x.txt", "markdown"),
        ("#separator:tab\na\tb\n", None, "anki-text"),
        ("#html:true\na\tb\n", "x.md", "anki-text"),
        ("a,b\n", "x.csv", "anki-text"),
        ("a\tb\nc\td\n", "x.tsv", "anki-text"),
        ("a\tb\nc\td\n", "x.txt", "anki-text"),
        ("a\tb\nc\td\n", None, "notes"),
        ("Title\n\nno heading\n", "x.txt", "notes"),
    ],
)
def test_format_is_chosen_by_content_then_extension(
    text: str, filename: str | None, expected: str
) -> None:
    assert detect_text_format(text, filename) == expected


def test_the_built_in_notes_deck_is_still_read_as_notes() -> None:
    deck = parse_deck_file(REPO_ROOT / "data" / "seeds" / "cnn-notes.txt")
    assert deck.source_format == "notes" and len(deck.cards) >= 10
    assert all(card.key is None and card.exercise is None for card in deck.cards)
    assert set(deck.to_dict()) == {"title", "cards"}
    assert all(set(card) == {"front", "back"} for card in deck.to_dict()["cards"])  # type: ignore[attr-defined]


def test_markdown_text_without_a_file_name() -> None:
    deck = parse_deck_text(FRONT + "## Q: a\n\nb\n")
    assert deck.source_format == "markdown" and deck.title == "Test deck"
    with pytest.raises(DeckFormatError, match="expected front matter") as caught:
        parse_deck_text("Intro\n\n## Q: a\n\nb\n")
    assert caught.value.line == 1


# -- limits every format shares, and exercise ranges ------------------------------------------


@pytest.mark.parametrize(
    ("text", "filename", "line", "words"),
    [
        ("---\ntitle: " + "T" * 501 + "\n---\n\n## Q: a\n\nb\n", "d.md", 2, "the title has 501"),
        (FRONT + "## Q: a {#" + "k" * 91 + "}\n\nb\n", "d.md", 5, "the card id has 91"),
        ("T" * 501 + "\n\n\nFlashcards\n\nQ?\n\n\nA.\n", "notes.txt", 1, "the title has 501"),
        ("#separator:tab\n#guid column:1\n" + "g" * 91 + "\tQ\tA\n", "a.txt", 3, "the GUID has 91"),
        ("#separator:tab\n#deck:" + "D" * 501 + "\nQ\tA\n", "a.txt", 2, "deck title has 501"),
        ("#separator:tab\nQ\tA\n", "F" * 501 + ".txt", 0, "deck title has 501"),
    ],
)
def test_titles_and_ids_that_do_not_fit_are_refused_with_their_line(
    text: str, filename: str, line: int, words: str
) -> None:
    """What the database cannot store is a format error (so an upload preview that is clean
    imports): titles of at most 500 characters, card ids of at most 90."""
    (problem,) = check_deck_bytes(text.encode(), filename)
    assert problem.line == line and words in problem.message, problem
    assert "at most" in problem.message
    with pytest.raises(DeckFormatError) as raised:
        parse_deck_bytes(text.encode(), filename)
    assert (raised.value.line, raised.value.message) == (problem.line, problem.message)
    fits = text.replace("T" * 501, "T" * 500).replace("k" * 91, "k" * 90)
    fits = fits.replace("g" * 91, "g" * 90).replace("D" * 501, "D" * 500)
    assert parse_deck_bytes(fits.encode(), filename.replace("F" * 501, "F" * 500)).cards


def test_an_exercise_entry_that_passes_the_check_always_generates() -> None:
    """Ranges are checked on the variants sampled once per family and difficulty (no search per
    entry); one met only by a rare variant passes, and every item seed then finds a variant."""
    from quiz.exercises import constraints
    from quiz.exercises.registry import get_family

    samples = constraints._sampled("conv-output-size", 2)
    heights = [params["height"][0] for params in samples]
    rare = min(set(heights), key=heights.count)
    ranges = {"height": IntRange(rare, rare)}
    assert constraints.unmet("conv-output-size", 2, ranges) is None
    for seed in (1, 987_654_321):
        exercise = constraints.make_constrained(get_family("conv-output-size"), seed, 2, ranges)
        assert exercise.params["height"] == rare
    reason = constraints.unmet("conv-output-size", 2, {"height": IntRange(1, 1)})
    assert reason and "none of 200 sampled variants" in reason
