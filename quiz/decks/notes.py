"""Parser for the lecture-notes text format (the format of the seed deck).

The format::

    Title line


    Flashcards

    First question (one or more paragraphs)


    Its answer (one or more paragraphs)

    Second question


    Its answer

    Proofs
    ...
    Related posts

A question is followed by **two** blank lines, then its answer; an answer is followed by **one**
blank line, then the next question. Questions and answers may span several paragraphs (separated
by single blank lines): bullet lines ``  • ``, display maths ``\\[...\\]`` and inline ``$...$``.
The card list ends at a ``Proofs`` or ``Related posts`` heading (or the end of the file). The
title line has at most 500 characters; a question or an answer at most 20,000, with lists and
block quotes nested at most 10 levels deep once rendered (:func:`quiz.decks.model.side_problems`).

Because one blank line separates both the paragraphs *within* a side and an answer from the next
question, the text between two double gaps ("answer + next question") has to be split; the rule is
in :func:`_question_start`. Everything else about the format is fixed, and a file that breaks it
gets a :class:`DeckFormatError` naming the line.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass

from quiz.decks.model import (
    MAX_TITLE_CHARS,
    DeckFormatError,
    ParsedCard,
    ParsedDeck,
    card_name,
    length_problem,
    side_problems,
)

FORMAT_NAME = "notes"
FLASHCARDS_HEADING = "Flashcards"
END_HEADINGS = frozenset({"Proofs", "Related posts"})

# A question that opens with one of these sets up a premise ("Suppose:" + bullets + "How ...?"),
# so every paragraph after it belongs to the same question.
PREMISE_WORDS = frozenset({"Suppose", "Consider", "Assume", "Imagine", "Let", "Given"})
SHORT_PREMISE_WORDS = 15

# Words that ask a question; they open one only when a "?" follows in the same block.
QUESTION_WORDS = frozenset(
    """
    What What's Whats Which Why How How's When Where Who Whom Whose Is Are Was Were Does Do Did
    Can Could Would Should Will Must Has Have In For
    """.split()
)
# Words that open an instruction, which needs no "?".
INSTRUCTION_WORDS = frozenset(
    """
    Explain Describe Define State Give Derive Prove Show Compute Calculate Find Write List Name
    Compare Contrast Discuss Distinguish Sketch Draw Quickly Briefly Recall Identify Determine
    Evaluate Estimate Express Outline Summarise Summarize Justify Interpret Solve Verify Suggest
    Fill Complete True Suppose Consider Assume Imagine
    """.split()
)
_REFERS_BACK = re.compile(r"\b(it|its|this|these|that|those|they|them|above|then)\b", re.I)

_BULLET = re.compile(r"^\s*(?:[•◦▪‣·*-]|\d+[.)])\s")
_FIRST_WORD = re.compile(r"[A-Za-z][A-Za-z']*")


@dataclass(frozen=True)
class _Paragraph:
    """Consecutive non-blank lines ``lines[start:end]`` (0-based, end exclusive)."""

    start: int
    end: int
    text: str

    @property
    def line(self) -> int:
        """1-based line number of the paragraph's first line."""
        return self.start + 1

    @property
    def is_maths(self) -> bool:
        return self.text.startswith("\\[") and self.text.endswith("\\]")

    @property
    def is_bullets(self) -> bool:
        return bool(_BULLET.match(self.text))

    @property
    def first_word(self) -> str:
        match = _FIRST_WORD.match(self.text)
        return match.group(0) if match else ""

    @property
    def is_heading(self) -> bool:
        """A short label such as ``Where:`` or ``Inputs:`` that introduces what follows."""
        return "\n" not in self.text and self.text.endswith(":") and len(self.text.split()) <= 2


def parse_notes(text: str) -> ParsedDeck:
    """Parse notes-format ``text`` into a deck; raise :class:`DeckFormatError` naming the line."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    title_index = _first_non_blank(lines, 0)
    if title_index is None:
        raise DeckFormatError(1, "the file is empty; expected a title line, then 'Flashcards'")
    heading_index = _find_heading(lines, title_index)
    end_index = _find_end(lines, heading_index + 1)
    paragraphs = _paragraphs(lines, heading_index + 1, end_index)
    if not paragraphs:
        raise DeckFormatError(
            heading_index + 1,
            "expected at least one card after the 'Flashcards' heading: a question, "
            "two blank lines, then its answer",
        )
    for paragraph in paragraphs:
        _check_display_maths(lines, paragraph)
    cards = _cards(lines, _segments(lines, paragraphs))
    title = lines[title_index].strip()
    if too_long := length_problem("the title", title, MAX_TITLE_CHARS, title_index + 1):
        raise too_long.error()
    return ParsedDeck(title=title, cards=tuple(cards), source_format=FORMAT_NAME)


def looks_like_notes(text: str) -> bool:
    """True when ``text`` has a ``Flashcards`` heading line: the notes format's signature."""
    return any(line.strip() == FLASHCARDS_HEADING for line in text.splitlines())


def _first_non_blank(lines: list[str], start: int) -> int | None:
    return next((i for i in range(start, len(lines)) if lines[i].strip()), None)


def _find_heading(lines: list[str], title_index: int) -> int:
    for i in range(title_index + 1, len(lines)):
        if lines[i].strip() == FLASHCARDS_HEADING:
            return i
    if lines[title_index].strip() == FLASHCARDS_HEADING:
        raise DeckFormatError(title_index + 1, "expected a title line before 'Flashcards'")
    expected_at = _first_non_blank(lines, title_index + 1)
    line = (expected_at if expected_at is not None else title_index) + 1
    raise DeckFormatError(
        line,
        f"expected a line 'Flashcards' after the title {lines[title_index].strip()!r}; "
        "this does not look like a notes file (title, 'Flashcards', then cards)",
    )


def _find_end(lines: list[str], start: int) -> int:
    """Index of the ``Proofs``/``Related posts`` heading that ends the cards, or ``len(lines)``."""
    for i in range(start, len(lines)):
        previous_blank = i == 0 or not lines[i - 1].strip()
        if previous_blank and lines[i].strip() in END_HEADINGS:
            return i
    return len(lines)


def _paragraphs(lines: list[str], start: int, end: int) -> list[_Paragraph]:
    paragraphs: list[_Paragraph] = []
    i = start
    while i < end:
        if not lines[i].strip():
            i += 1
            continue
        j = i
        while j < end and lines[j].strip():
            j += 1
        paragraphs.append(_Paragraph(i, j, "\n".join(lines[i:j]).strip()))
        i = j
    return paragraphs


_DISPLAY_DELIMITER = re.compile(r"(?<!\\)(?:\\\\)*(\\[\[\]])")


def _check_display_maths(lines: list[str], paragraph: _Paragraph) -> None:
    """Every ``\\[`` closes with ``\\]`` in the same paragraph (a blank line ends maths)."""
    open_line: int | None = None
    for index in range(paragraph.start, paragraph.end):
        for match in _DISPLAY_DELIMITER.finditer(lines[index]):
            if match.group(1) == "\\[":
                if open_line is not None:
                    raise DeckFormatError(
                        open_line + 1,
                        "display maths opened with \\[ is not closed with \\] before the next \\[",
                    )
                open_line = index
            elif open_line is None:
                raise DeckFormatError(index + 1, "found \\] with no \\[ before it")
            else:
                open_line = None
    if open_line is not None:
        raise DeckFormatError(
            open_line + 1,
            "display maths opened with \\[ is not closed with \\] in the same paragraph",
        )


def _segments(lines: list[str], paragraphs: list[_Paragraph]) -> list[list[_Paragraph]]:
    """Group paragraphs into runs separated by two or more blank lines."""
    segments = [[paragraphs[0]]]
    for previous, paragraph in itertools.pairwise(paragraphs):
        blank_lines = paragraph.start - previous.end
        if blank_lines >= 2:
            segments.append([paragraph])
        else:
            segments[-1].append(paragraph)
    return segments


def _cards(lines: list[str], segments: list[list[_Paragraph]]) -> list[ParsedCard]:
    """Pair questions with answers.

    ``segments[0]`` is the first question; each middle segment is "answer, then next question";
    the last segment is the last answer.
    """
    if len(segments) == 1:
        first = segments[0][0]
        raise DeckFormatError(
            first.line,
            "expected two blank lines between this question and its answer; none found",
        )
    cards: list[ParsedCard] = []
    question = segments[0]
    for segment in segments[1:-1]:
        if len(segment) == 1:
            raise DeckFormatError(
                segment[0].line,
                "this paragraph is both preceded and followed by two blank lines, so it is an "
                "answer with no next question; expected one blank line between an answer and "
                "the next question",
            )
        split = _question_start(segment)
        cards.append(_card(lines, question, segment[:split]))
        question = segment[split:]
    cards.append(_card(lines, question, segments[-1]))
    return cards


def _card(lines: list[str], question: list[_Paragraph], answer: list[_Paragraph]) -> ParsedCard:
    _check_no_stray_question(answer)
    front, back, line = _source(lines, question), _source(lines, answer), question[0].line
    name = card_name(front)
    for what, text in ((f"the question of {name}", front), (f"the answer of {name}", back)):
        for problem in side_problems(what, text, line):
            raise problem.error()
    return ParsedCard(front=front, back=back, line=line)


def _source(lines: list[str], paragraphs: list[_Paragraph]) -> str:
    return "\n".join(lines[paragraphs[0].start : paragraphs[-1].end]).strip()


def _question_start(segment: list[_Paragraph]) -> int:
    """Index of the paragraph where the next question begins in "answer + question" text.

    A question can begin only at a prose paragraph: not maths, not bullets, not introduced by a
    preceding ``...:``, and not a lower-case continuation (unless it ends with ``?``). Then:

    1. the first *premise* wins (``Suppose:`` + bullets, ``Let $f = ...$.``): a premise word that
       ends its paragraph with ``:``, asks a ``?`` itself, or is a short setting-up sentence —
       everything after a premise belongs to its question;
    2. otherwise the last paragraph that opens a question: an instruction (``Describe``,
       ``Define``, ...) or a question word (``What``, ``Where``, ...) with a ``?`` to come, or
       any paragraph containing ``?``; a lead-in statement and its formula just before it join
       the question when the question refers back to them ("Why does *it* ...?");
    3. otherwise the last prose paragraph.
    """
    candidates = [k for k in range(1, len(segment)) if _can_start_question(segment, k)]
    premises = [k for k in candidates if _is_premise(segment[k])]
    if premises:
        return premises[0]
    asks_from = [False] * (len(segment) + 1)  # asks_from[k]: a "?" in segment[k:] (linear time)
    for k in range(len(segment) - 1, -1, -1):
        asks_from[k] = asks_from[k + 1] or "?" in segment[k].text
    openers = [k for k in candidates if _opens_question(segment[k], asks_from[k])]
    if openers:
        return _with_lead_in(segment, openers[-1], candidates)
    return candidates[-1] if candidates else len(segment) - 1


def _can_start_question(segment: list[_Paragraph], k: int) -> bool:
    paragraph = segment[k]
    if paragraph.is_maths or paragraph.is_bullets:
        return False
    first = paragraph.text[0]
    if first in "?()[],.;:!" or (first.islower() and not paragraph.text.endswith("?")):
        return False
    return not segment[k - 1].text.endswith(":")


def _is_premise(paragraph: _Paragraph) -> bool:
    if paragraph.first_word not in PREMISE_WORDS:
        return False
    text = paragraph.text
    return text.endswith(":") or "?" in text or len(text.split()) <= SHORT_PREMISE_WORDS


def _opens_question(paragraph: _Paragraph, asks_later: bool) -> bool:
    """``asks_later``: this paragraph or a later one of its segment holds a ``?``."""
    if paragraph.is_heading and paragraph.first_word not in PREMISE_WORDS:
        return False
    if "?" in paragraph.text or paragraph.first_word in INSTRUCTION_WORDS:
        return True
    return paragraph.first_word in QUESTION_WORDS and asks_later


def _with_lead_in(segment: list[_Paragraph], start: int, candidates: list[int]) -> int:
    """Move ``start`` back over "statement + formula" that the question refers back to."""
    lead_in = start - 2
    if (
        lead_in in candidates
        and segment[start - 1].is_maths
        and _REFERS_BACK.search(segment[start].text)
        and len(segment[lead_in].text.split()) >= 3
        and not segment[lead_in].text.endswith((".", "!", "?", ")"))
    ):
        return lead_in
    return start


def _check_no_stray_question(answer: list[_Paragraph]) -> None:
    """An answer whose later paragraph is a question lost its own answer: a gap is missing."""
    for paragraph in answer[1:]:
        text = paragraph.text
        looks_like_question = paragraph.first_word in QUESTION_WORDS | INSTRUCTION_WORDS
        if looks_like_question and text.endswith("?") and len(text.split()) >= 3:
            raise DeckFormatError(
                paragraph.line,
                "this looks like a question, but it is read as part of the previous answer: "
                "expected two blank lines after it, then its answer",
            )
