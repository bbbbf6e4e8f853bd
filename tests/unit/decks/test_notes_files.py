"""Notes files the parser has never seen: each ``tests/data/notes/NAME.txt`` has a hand-written
``NAME.expected.json`` holding the split a human reader makes ({"title", "cards": [...]}).

Each side is the source text as found in the file, trimmed; line endings are read as ``\\n``
(so a CRLF file gives the same strings as its LF twin) and a UTF-8 BOM is not part of the title.
Where the parser's heuristic disagrees with the human split, the expectation is kept and the case is
marked ``xfail(strict=True)`` with the reason, so that fixing the parser turns it into a failure
that asks for the marker to be removed.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from quiz.decks import parse_deck_file

REPO_ROOT = Path(__file__).resolve().parents[3]
NOTES_DIR = REPO_ROOT / "tests" / "data" / "notes"

# Files a human reads without trouble that the parser rejects (also in KNOWN_DISAGREEMENTS).
KNOWN_REJECTED: dict[str, str] = {}

# Human split vs parser: known disagreements, each with the reason the parser gets it wrong.
KNOWN_DISAGREEMENTS: dict[str, str] = {**KNOWN_REJECTED}

CASES = sorted(path.name.removesuffix(".expected.json") for path in NOTES_DIR.glob("*.json"))


def _expected(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((NOTES_DIR / f"{name}.expected.json").read_text("utf-8"))
    return data


def _param(name: str, known: dict[str, str]) -> Any:
    """``name`` as a test parameter, expected to fail (strictly) when it is in ``known``."""
    marks = [pytest.mark.xfail(strict=True, reason=known[name])] if name in known else []
    return pytest.param(name, id=name, marks=marks)


SPLIT_CASES = [_param(name, KNOWN_DISAGREEMENTS) for name in CASES]
PARSE_CASES = [_param(name, KNOWN_REJECTED) for name in CASES]


def test_the_data_set_is_complete() -> None:
    texts = sorted(path.stem for path in NOTES_DIR.glob("*.txt"))
    assert texts == CASES
    assert len(CASES) - len(KNOWN_DISAGREEMENTS) >= 5
    assert set(KNOWN_DISAGREEMENTS) <= set(CASES)


def test_the_line_ending_and_bom_files_really_are_so() -> None:
    """Guards against an editor or a git setting silently normalising the two special files."""
    crlf = (NOTES_DIR / "regularisation.txt").read_bytes()
    assert crlf.count(b"\r\n") == crlf.count(b"\n") > 50
    bom = (NOTES_DIR / "recurrent-networks.txt").read_bytes()
    assert bom.startswith(b"\xef\xbb\xbf") and b"\r" not in bom
    padded = (NOTES_DIR / "attention.txt").read_text("utf-8")
    assert "\n   \n" in padded and "\n\t \n" in padded


@pytest.mark.parametrize("name", SPLIT_CASES)
def test_file_parses_into_the_hand_written_cards(name: str) -> None:
    deck = parse_deck_file(NOTES_DIR / f"{name}.txt")
    assert deck.to_dict() == _expected(name)


@pytest.mark.slow  # runs the stride command in a new Python process
@pytest.mark.parametrize("name", SPLIT_CASES)
def test_cli_json_matches_the_hand_written_cards(name: str) -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "quiz.cli",
            "deck",
            "parse",
            str(NOTES_DIR / f"{name}.txt"),
            "--json",
        ],
        capture_output=True,
        text=True,
        encoding="utf-8",
        cwd=REPO_ROOT,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == _expected(name)


@pytest.mark.parametrize("name", PARSE_CASES)
def test_every_side_is_a_trimmed_slice_of_the_file(name: str) -> None:
    """Independent of the split: whatever the parser returns is source text, not rewritten."""
    text = (NOTES_DIR / f"{name}.txt").read_bytes().decode("utf-8-sig").replace("\r\n", "\n")
    deck = parse_deck_file(NOTES_DIR / f"{name}.txt")
    lines = text.split("\n")
    for card in deck.cards:
        for side in (card.front, card.back):
            assert side and side == side.strip()
            assert side in text
        assert lines[card.line - 1].strip() == card.front.split("\n")[0].strip()
    assert [card.line for card in deck.cards] == sorted({card.line for card in deck.cards})


@pytest.mark.parametrize("name", PARSE_CASES)
def test_nothing_after_the_end_headings_becomes_a_card(name: str) -> None:
    text = (NOTES_DIR / f"{name}.txt").read_bytes().decode("utf-8-sig").replace("\r\n", "\n")
    lines = text.split("\n")
    ends = [i + 1 for i, line in enumerate(lines) if line.strip() in {"Proofs", "Related posts"}]
    deck = parse_deck_file(NOTES_DIR / f"{name}.txt")
    if ends:
        assert all(card.line < ends[0] for card in deck.cards)
        tail = "\n".join(lines[ends[0] :])
        assert all(card.back not in tail for card in deck.cards)
