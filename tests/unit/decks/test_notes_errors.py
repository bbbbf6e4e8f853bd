"""Files that are not in the notes format: a :class:`DeckFormatError` naming the line.

Each file in ``tests/data/notes/bad/`` is listed below with the line the error must name and words
the message must contain (it must say what was expected). Line 0 means "the file as a whole"
(binary data, unreadable file). The same files go through ``stride deck parse`` (``FILE:LINE:
message`` on stderr, exit status 1) and ``stride deck import`` (nothing imported, no database).
"""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from quiz.decks import DeckFormatError, parse_deck_file, parse_deck_text
from quiz.decks.reader import MAX_DECK_BYTES, parse_deck_bytes

REPO_ROOT = Path(__file__).resolve().parents[3]
BAD_DIR = REPO_ROOT / "tests" / "data" / "notes" / "bad"


@dataclass(frozen=True)
class Bad:
    file: str
    line: int
    words: tuple[str, ...]
    xfail: str = ""


BAD_FILES = [
    Bad("empty.txt", 1, ("empty", "expected a title line")),
    Bad("blank-only.txt", 1, ("empty", "expected a title line")),
    Bad("no-flashcards-heading.txt", 4, ("expected a line 'Flashcards'",)),
    Bad("heading-without-title.txt", 1, ("expected a title line before 'Flashcards'",)),
    Bad("heading-without-cards.txt", 4, ("expected at least one card",)),
    Bad("heading-at-end.txt", 4, ("expected at least one card",)),
    Bad(
        "question-without-double-gap.txt",
        6,
        ("expected two blank lines between this question and its answer",),
    ),
    Bad(
        "last-question-without-answer.txt",
        11,
        ("expected", "answer"),
    ),
    Bad(
        "middle-question-without-double-gap.txt",
        11,
        ("expected two blank lines",),
    ),
    Bad(
        "answer-then-double-gap.txt",
        9,
        ("expected one blank line between an answer and the next question",),
    ),
    Bad(
        "answer-then-double-gap-then-nothing.txt",
        14,
        ("expected one blank line between an answer and the next question",),
    ),
    Bad("latin-1.txt", 9, ("expected UTF-8", "0xef")),
    Bad("binary-png.txt", 1, ("expected UTF-8", "0x89")),
    Bad("utf-16.txt", 0, ("expected a text file",)),
]


def _params() -> list[Any]:
    return [
        pytest.param(
            bad,
            id=bad.file.removesuffix(".txt"),
            marks=[pytest.mark.xfail(strict=True, reason=bad.xfail)] if bad.xfail else [],
        )
        for bad in BAD_FILES
    ]


def test_every_bad_file_has_an_expectation() -> None:
    assert sorted(path.name for path in BAD_DIR.iterdir()) == sorted(b.file for b in BAD_FILES)


@pytest.mark.parametrize("bad", _params())
def test_parse_deck_file_names_the_line(bad: Bad) -> None:
    with pytest.raises(DeckFormatError) as caught:
        parse_deck_file(BAD_DIR / bad.file)
    error = caught.value
    assert error.line == bad.line
    for words in bad.words:
        assert words in error.message
    assert str(error) == (f"line {bad.line}: {error.message}" if bad.line else error.message)


@pytest.mark.slow  # runs the stride command in a new Python process
@pytest.mark.parametrize("bad", _params())
def test_cli_parse_prints_file_line_message_and_exits_1(bad: Bad) -> None:
    path = BAD_DIR / bad.file
    result = _cli("deck", "parse", str(path), "--json")
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr.startswith(f"{path}:{bad.line}: ")
    assert result.stderr.count("\n") == 1
    for words in bad.words:
        assert words in result.stderr


# ``deck import`` takes ~0.5 s to start, so a representative subset is enough here.
IMPORT_SAMPLE = {"empty.txt", "question-without-double-gap.txt", "latin-1.txt", "utf-16.txt"}


@pytest.mark.slow  # runs the stride command in a new Python process
@pytest.mark.parametrize("bad", [p for p in _params() if p.values[0].file in IMPORT_SAMPLE])
def test_cli_import_imports_nothing(bad: Bad, tmp_path: Path) -> None:
    data_dir = tmp_path / "stride-data"
    result = _cli("deck", "import", str(BAD_DIR / bad.file), data_dir=data_dir)
    assert result.returncode == 1
    assert result.stderr.splitlines()[0].startswith(f"{BAD_DIR / bad.file}:{bad.line}: ")
    assert "nothing was imported" in result.stderr
    assert not data_dir.exists() or not any(data_dir.iterdir())


def test_missing_file() -> None:
    with pytest.raises(DeckFormatError) as caught:
        parse_deck_file(BAD_DIR / "does-not-exist.txt")
    assert caught.value.line == 0
    assert "cannot read" in caught.value.message


def test_oversized_file(tmp_path: Path) -> None:
    big = tmp_path / "big.txt"
    with big.open("wb") as handle:
        handle.truncate(MAX_DECK_BYTES + 1)  # sparse: nothing is actually written
    with pytest.raises(DeckFormatError) as caught:
        parse_deck_file(big)
    assert caught.value.line == 0
    assert "limited to 20 MB" in caught.value.message


def test_oversized_bytes() -> None:
    with pytest.raises(DeckFormatError) as caught:
        parse_deck_bytes(b" " * (MAX_DECK_BYTES + 1))
    assert caught.value.line == 0


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        pytest.param("Title\n\nFlashcards\n\nQ?\n\n\nA.\n\x00", 0, "binary", id="nul-character"),
        pytest.param("Title\r\n\r\nCards\r\n", 3, "'Flashcards'", id="crlf-no-heading"),
        pytest.param(
            "Title\n\nFlashcards:\n\nQ?\n\n\nA.\n", 3, "'Flashcards'", id="heading-with-colon"
        ),
        pytest.param(
            "Title\n\nFlashcards\n\nWhat is a kernel?\n\n\nA small filter.\n\n\n\n"
            "What is a stride?\n\n\nThe step.\n",
            8,
            "expected one blank line",
            id="three-blank-lines-after-answer",
        ),
    ],
)
def test_more_malformed_texts(text: str, line: int, words: str) -> None:
    with pytest.raises(DeckFormatError) as caught:
        parse_deck_text(text)
    assert caught.value.line == line
    assert words in caught.value.message


def _cli(*args: str, data_dir: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("STRIDE_")}
    if data_dir is not None:
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
