"""Limits on a side of a card, checked at import in every format (:mod:`quiz.decks.model`).

* at most :data:`~quiz.decks.model.MAX_SIDE_CHARS` characters per side (20,000; the longest side
  of the built-in decks has under 2,000): the renderer is linear, and this bounds it too;
* lists and block quotes nested at most :data:`~quiz.decks.model.MAX_NESTING` levels deep (10)
  once rendered: a list nested 3,000 levels deep froze a student's tab for over a minute.

A side over a limit is a problem with the card's line and a message naming the card; ``stride
deck check`` prints it as ``FILE:LINE: message`` and ``stride deck import`` imports nothing.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from quiz.decks import DeckFormatError
from quiz.decks.model import MAX_NESTING, MAX_SIDE_CHARS
from quiz.decks.nesting import nesting_depth
from quiz.decks.problems import check_deck_bytes, check_deck_file, format_problems
from quiz.decks.reader import parse_deck_bytes
from quiz.decks.render import to_markdown

from .test_apkg import BASIC, build_apkg

REPO_ROOT = Path(__file__).resolve().parents[3]
FRONT = "---\ntitle: Limits\n---\n\n"
DEEP = "- " * 3000 + "deep"  # a list nested 3,000 levels deep, on one line


def _deep(levels: int) -> str:
    return "- " * levels + "x"


@pytest.mark.parametrize(
    ("text", "depth"),
    [
        ("plain text", 0),
        ("- a\n- b", 1),
        ("- a\n  - b\n    - c", 3),
        ("- a\n    - b\n        - c", 3),  # four-space indents
        ("1. a\n   1. b\n      1. c", 3),
        ("- - a", 2),
        ("> a\n> > b\n> > > c", 3),
        ("> - > - x", 4),
        ("-\t-\t-\tx", 3),  # tabs after the markers
        ("- a\n\t- b", 2),  # a tab is four columns
        ("- - -", 0),  # a thematic break, not three lists
        ("* * * * * * * * * * * *", 0),
        ("    - - - code", 0),  # indented code
        ("```\n- - - x\n```", 3),  # code is not told apart: counted (more, never less)
        ("- a\r- - b", 2),  # a lone carriage return ends a line
        ("- a\nlazy\n  - b", 2),
        (DEEP, 3000),
        ("> " * 3000 + "x", 3000),
        ("\n".join("  " * level + "- x" for level in range(200)), 200),
        ("\n".join(">" * level + " x" for level in range(1, 200)), 199),
    ],
)
def test_nesting_depth(text: str, depth: int) -> None:
    assert nesting_depth(text) == depth


def test_the_built_in_decks_nest_little_and_stay_short() -> None:
    for path in (REPO_ROOT / "data" / "decks" / "cnn.md", REPO_ROOT / "data" / "seeds"):
        files = [path] if path.is_file() else sorted(path.iterdir())
        for file in files:
            for card in parse_deck_bytes(file.read_bytes(), file.name).cards:
                for side in (card.front, card.back):
                    assert nesting_depth(to_markdown(side)) <= 3
                    assert len(side) < MAX_SIDE_CHARS / 10


# --- every format refuses a side over a limit, naming the card and its line ----------------------


def _notes(question: str, answer: str) -> str:
    return f"Notes\n\nFlashcards\n\nFirst?\n\n\nYes.\n\n{question}\n\n\n{answer}\n"


CASES = [
    pytest.param(
        FRONT + "## Q: Long? {#long}\n\n" + "x" * (MAX_SIDE_CHARS + 1) + "\n",
        "deck.md",
        5,
        "the answer of card 'long' has 20,001 characters; at most 20,000 are allowed",
        id="markdown-length",
    ),
    pytest.param(
        FRONT + "## Q: Deep?\n\n" + DEEP + "\n",
        "deck.md",
        5,
        "the answer of card 'Deep?' nests lists or block quotes 3,000 levels deep; at most 10",
        id="markdown-nesting",
    ),
    pytest.param(
        FRONT + "## Q: " + _deep(11) + "\n\nshallow\n",
        "deck.md",
        5,
        "the question of card '- - - - - - - - - - - x' nests lists or block quotes 11 levels",
        id="markdown-question-nesting",
    ),
    pytest.param(
        FRONT + "## Exercise: conv-output-size\n\n" + DEEP + "\n",
        "deck.md",
        5,
        "the text of the exercise entry 'conv-output-size' nests lists or block quotes 3,000",
        id="markdown-exercise-nesting",
    ),
    pytest.param(
        _notes("Second?", "y" * (MAX_SIDE_CHARS + 1)),
        "notes.txt",
        10,
        "the answer of card 'Second?' has 20,001 characters",
        id="notes-length",
    ),
    pytest.param(
        _notes("Second?", "  • " + DEEP),  # the bullet becomes one more level when rendered
        "notes.txt",
        10,
        "the answer of card 'Second?' nests lists or block quotes 3,001 levels deep",
        id="notes-nesting",
    ),
    pytest.param(
        "#separator:tab\n#html:false\nQ\tA\nLong\t" + "z" * (MAX_SIDE_CHARS + 1) + "\n",
        "export.txt",
        4,
        "the back (column 2) of card 'Long' has 20,001 characters",
        id="anki-text-length",
    ),
    pytest.param(
        "#separator:tab\n#html:true\n#guid column:1\ng1\tDeep<div>" + DEEP + "</div>\tA\n",
        "export.txt",
        4,
        "the front (column 2) of card 'g1' nests lists or block quotes 3,000 levels deep",
        id="anki-html-nesting",
    ),
]


@pytest.mark.parametrize(("text", "filename", "line", "message"), CASES)
def test_a_side_over_a_limit_is_a_problem_on_its_card_line(
    text: str, filename: str, line: int, message: str
) -> None:
    data = text.encode()
    problems = check_deck_bytes(data, filename)
    assert [problem.line for problem in problems] == [line]
    assert message in problems[0].message
    with pytest.raises(DeckFormatError) as raised:
        parse_deck_bytes(data, filename)
    assert (raised.value.line, raised.value.message) == (line, problems[0].message)


def test_sides_at_the_limits_are_accepted() -> None:
    text = FRONT + "## Q: " + _deep(MAX_NESTING) + "\n\n" + "x" * MAX_SIDE_CHARS + "\n"
    (card,) = parse_deck_bytes(text.encode(), "deck.md").cards
    assert len(card.back) == MAX_SIDE_CHARS
    assert nesting_depth(to_markdown(card.front)) == MAX_NESTING


def test_check_lists_every_side_over_a_limit() -> None:
    text = FRONT + "".join(
        f"## Q: Card {number}?\n\n{DEEP}\n\n" if number % 2 else f"## Q: Fine {number}?\n\nOK\n\n"
        for number in range(1, 6)
    )
    problems = check_deck_bytes(text.encode(), "deck.md")
    assert [problem.line for problem in problems] == [5, 13, 21]
    assert all("3,000 levels deep" in problem.message for problem in problems)


def test_anki_packages_name_the_note(tmp_path: Path) -> None:
    notes = [(BASIC, ["Fine?", "Yes"], [], "ok"), (BASIC, ["Deep?", DEEP], [], "deep-guid")]
    data = build_apkg(tmp_path / "deep.apkg", notes).read_bytes()
    (problem,) = check_deck_bytes(data, "deep.apkg")
    assert problem.line == 0
    assert problem.message.startswith("note 2 (GUID 'deep-guid'): the back (field 'Back') nests")
    with pytest.raises(DeckFormatError):
        parse_deck_bytes(data, "deep.apkg")


def test_messages_escape_control_characters_in_the_card_name(tmp_path: Path) -> None:
    path = tmp_path / "deck.md"
    path.write_text(FRONT + "## Q: \x1b]0;owned\x07?\n\n" + DEEP + "\n", encoding="utf-8")
    (problem,) = check_deck_file(path)
    assert "\x1b" not in problem.message and "\\x1b]0;owned\\x07?" in problem.message


def _cli(*args: str, data_dir: Path) -> subprocess.CompletedProcess[str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("STRIDE_")}
    env["STRIDE_DATA_DIR"] = str(data_dir)
    return subprocess.run(
        [sys.executable, "-m", "quiz.cli", *args],
        capture_output=True,
        text=True,
        encoding="utf-8",
        cwd=REPO_ROOT,
        env=env,
        timeout=60,
        check=False,
    )


@pytest.mark.slow  # runs the stride command in new Python processes
def test_stride_deck_check_reports_file_line_and_import_imports_nothing(tmp_path: Path) -> None:
    path = tmp_path / "deep.md"
    path.write_text(FRONT + "## Q: Fine?\n\nYes.\n\n## Q: Deep?\n\n" + DEEP + "\n", "utf-8")
    data_dir = tmp_path / "stride-data"
    checked = _cli("deck", "check", str(path), data_dir=data_dir)
    assert checked.returncode == 1
    output = checked.stdout + checked.stderr
    assert output.startswith(format_problems(check_deck_file(path), str(path)))
    assert output.startswith(f"{path}:9: the answer of card 'Deep?' nests lists or block quotes")
    assert "nothing would be imported" in output
    imported = _cli("deck", "import", str(path), data_dir=data_dir)
    assert imported.returncode == 1
    assert imported.stderr.startswith(f"{path}:9: ")
    assert "nothing was imported" in imported.stderr
    assert not data_dir.exists() or not any(data_dir.iterdir())
