"""The Markdown deck format: hand-written decks of cards and generated exercises.

The format (front matter, ``## Q:`` cards, ``### A``, ``{#id .tag}`` attributes, ``## Exercise:``
entries with their parameter ranges, maths, the limits) is specified once, in
``docs/deck-formats.md`` ("Markdown decks"); this module implements it. Every problem is reported
with its line: :func:`check_markdown` lists them all; :func:`parse_markdown` raises the first.
What an exercise entry means (its family, parameter ranges, variants) is asked of
:mod:`quiz.decks.exercise_entries`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from quiz.decks import exercise_entries
from quiz.decks.fences import closes_fence, fence_opening
from quiz.decks.model import (
    MAX_CARDS,
    MAX_ID_CHARS,
    MAX_TITLE_CHARS,
    DeckProblem,
    ExerciseEntry,
    IntRange,
    ParameterValues,
    ParsedCard,
    ParsedDeck,
    card_name,
    length_problem,
    side_problems,
)

FORMAT_NAME = "markdown"
FRONT_MATTER_KEYS = ("title", "description", "tags")
DIFFICULTY_NAMES = {"warm-up": 1, "standard": 2, "challenge": 3}
DEFAULT_DIFFICULTY = 2

_ANSWER = re.compile(r"^###\s+A:?\s*$")
_QUESTION = re.compile(r"^Q:(.*)$", re.IGNORECASE)
_EXERCISE = re.compile(r"^Exercise:(.*)$", re.IGNORECASE)
# The key is possessive (a lazy key before \s* rescans the line from every space:
# quadratic); it may end with spaces, so callers strip it.
_KEY_VALUE = re.compile(r"^([A-Za-z][\w -]*+)\s*:(.*)$")
_LIST_ITEM = re.compile(r"^\s*-\s+(.*)$")
_ATTRIBUTE = re.compile(
    r"\s*(?:(?P<id>#[^\s{}\"]+)|(?P<tag>\.[^\s{}\"=]+)"
    r"|(?P<name>[A-Za-z_][\w-]*)=(?:\"(?P<quoted>(?:[^\"\\]|\\.)*)\"|(?P<bare>[^\s{}\"]+)))"
)
_TAG = re.compile(r"^[^\s{}\"=]+$")
_NUMBER = re.compile(r"^[0-9]{1,9}$")
_RANGE = re.compile(r"^([0-9]{1,9})-([0-9]{1,9})$")
_CHOICES = re.compile(r"^[0-9]{1,9}(?:,[0-9]{1,9})*$")
_MAX_ATTRIBUTE_STARTS = 8
_MATHS_TOKEN = re.compile(r"(?<!\\)(?:\\\\)*(\\\[|\\\]|\$\$)")


@dataclass
class _Item:
    """A ``##`` heading and the lines below it, up to the next one (0-based, end exclusive)."""

    heading: int
    text: str
    end: int = 0
    answers: list[int] = field(default_factory=list)
    code_lines: set[int] = field(default_factory=set)


@dataclass
class _FrontMatter:
    title: str = ""
    description: str = ""
    tags: tuple[str, ...] = ()


def parse_markdown(text: str) -> ParsedDeck:
    """Parse a Markdown deck; raise :class:`DeckFormatError` for its first problem."""
    deck, problems = _parse(text)
    if problems or deck is None:
        raise (problems[0] if problems else DeckProblem(0, "no deck")).error()
    return deck


def check_markdown(text: str) -> list[DeckProblem]:
    """Every problem in a Markdown deck, in line order (empty: the deck is valid)."""
    return _parse(text)[1]


def has_front_matter(text: str) -> bool:
    """True when the first non-blank line of ``text`` is ``---``: the Markdown format's opening."""
    lines = text.removeprefix("\ufeff").splitlines()
    return next((line for line in lines if line.strip()), "").strip() == "---"


def looks_like_markdown(text: str) -> bool:
    """True when ``text`` opens with front matter or has a ``## Q:`` or ``## Exercise:`` heading."""
    if has_front_matter(text):
        return True
    for line in text.splitlines():
        heading = _heading_text(line)
        if heading is not None and (_QUESTION.match(heading) or _EXERCISE.match(heading)):
            return True
    return False


# -- the parser --------------------------------------------------------------------------------


def _parse(text: str) -> tuple[ParsedDeck | None, list[DeckProblem]]:
    lines = text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n").split("\n")
    problems: list[DeckProblem] = []
    meta, start = _front_matter(lines, problems)
    items = _items(lines, start, problems)
    cards: list[ParsedCard] = []
    first_use: dict[str, int] = {}
    for count, item in enumerate(items, start=1):
        if count > MAX_CARDS:
            problems.append(
                DeckProblem(item.heading + 1, f"a deck holds at most {MAX_CARDS} cards")
            )
            break
        card = _item(lines, item, problems)
        if card is None:
            continue
        if card.key is not None:
            if card.key in first_use:
                problems.append(
                    DeckProblem(
                        card.line,
                        f"the id {card.key!r} is already used on line {first_use[card.key]}; "
                        "expected a unique id per card",
                    )
                )
                continue
            first_use[card.key] = card.line
        cards.append(card)
    if not items and any(line.strip() for line in lines):
        after = next((i for i in range(start, len(lines)) if lines[i].strip()), len(lines) - 1)
        problems.append(
            DeckProblem(
                after + 1,
                "expected at least one card: a heading '## Q: question' followed by its answer",
            )
        )
    problems.sort(key=lambda problem: problem.line)
    if problems or not meta.title:
        return None, problems
    deck = ParsedDeck(
        title=meta.title,
        cards=tuple(cards),
        source_format=FORMAT_NAME,
        description=meta.description,
        tags=meta.tags,
    )
    return deck, problems


def _front_matter(lines: list[str], problems: list[DeckProblem]) -> tuple[_FrontMatter, int]:
    """Read the front matter; return it and the index of the first line after it."""
    meta = _FrontMatter()
    first = next((i for i, line in enumerate(lines) if line.strip()), None)
    if first is None:
        problems.append(
            DeckProblem(1, "the file is empty; expected front matter: '---', 'title: ...', '---'")
        )
        return meta, len(lines)
    if lines[first].strip() != "---":
        problems.append(
            DeckProblem(
                first + 1,
                "expected front matter first: a line '---', then 'title: ...', then '---'",
            )
        )
        return meta, first
    close = next((i for i in range(first + 1, len(lines)) if lines[i].strip() == "---"), None)
    heading = next(
        (i for i in range(first + 1, len(lines)) if _heading_text(lines[i]) is not None), None
    )
    if close is None or (heading is not None and heading < close):
        end = heading if heading is not None else len(lines)
        problems.append(
            DeckProblem(first + 1, "the front matter opened here is not closed with a line '---'")
        )
    else:
        end = close
    seen: dict[str, int] = {}
    list_key = ""
    tags: list[str] = []
    for index in range(first + 1, end):
        line = lines[index]
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        item = _LIST_ITEM.match(line)
        if item and list_key == "tags":
            tags.extend(_tag_values(item.group(1), index + 1, problems))
            continue
        match = _KEY_VALUE.match(stripped)
        if not match:
            problems.append(
                DeckProblem(index + 1, f"expected 'key: value' in the front matter; found {line!r}")
            )
            continue
        key, value = match.group(1).strip().lower(), match.group(2).strip()
        list_key = key if not value else ""
        if key not in FRONT_MATTER_KEYS:
            problems.append(
                DeckProblem(
                    index + 1,
                    f"unknown front-matter key {match.group(1).strip()!r}; expected "
                    + ", ".join(FRONT_MATTER_KEYS),
                )
            )
            continue
        if key in seen:
            problems.append(DeckProblem(index + 1, f"{key!r} is already set on line {seen[key]}"))
            continue
        seen[key] = index + 1
        if key == "tags":
            tags.extend(_tag_values(value, index + 1, problems))
        elif key == "title":
            meta.title = _unquote(value)
        else:
            meta.description = _unquote(value)
    meta.tags = tuple(dict.fromkeys(tags))
    if not meta.title:
        where = seen.get("title", first + 1)
        problems.append(DeckProblem(where, "expected a non-empty 'title:' in the front matter"))
    elif too_long := length_problem("the title", meta.title, MAX_TITLE_CHARS, seen["title"]):
        problems.append(too_long)
    return meta, end + 1 if close is not None and end == close else end


def _tag_values(value: str, line: int, problems: list[DeckProblem]) -> list[str]:
    value = value.strip()
    if value.startswith("["):
        if not value.endswith("]"):
            problems.append(DeckProblem(line, "a tag list opened with '[' is not closed with ']'"))
            return []
        value = value[1:-1]
    tags = []
    for raw in value.split(","):
        tag = _unquote(raw.strip())
        if not tag:
            continue
        if not _TAG.match(tag):
            problems.append(
                DeckProblem(
                    line, f"tag {tag!r} has a space, a quote, '=' or a brace; expected one word"
                )
            )
            continue
        tags.append(tag)
    return tags


def _unquote(value: str) -> str:
    if len(value) >= 2 and value[0] == value[-1] == '"':
        return re.sub(r"\\(.)", r"\1", value[1:-1])
    if len(value) >= 2 and value[0] == value[-1] == "'":
        return value[1:-1].replace("''", "'")
    return value


def _heading_text(line: str) -> str | None:
    """The text of a level-2 heading line (``## text``), or ``None`` for any other line."""
    if line.startswith("## ") or line.rstrip() == "##":
        return line[3:].strip()
    return None


def _items(lines: list[str], start: int, problems: list[DeckProblem]) -> list[_Item]:
    """Split the lines after the front matter at ``##`` headings (not inside code fences)."""
    items: list[_Item] = []
    fence = ""
    fence_line = 0
    for index in range(start, len(lines)):
        line = lines[index]
        if fence:
            if items:
                items[-1].code_lines.add(index)
            if closes_fence(line, fence):
                fence = ""
            continue
        if opener := fence_opening(line):
            fence, fence_line = opener, index
            if items:
                items[-1].code_lines.add(index)
            continue
        text = _heading_text(line)
        if text is not None:
            if items:
                items[-1].end = index
            items.append(_Item(heading=index, text=text))
        elif items and _ANSWER.match(line):
            items[-1].answers.append(index)
    if items:
        items[-1].end = len(lines)
    if fence:
        problems.append(
            DeckProblem(fence_line + 1, f"the code block opened here with {fence} is never closed")
        )
    return items


def _item(lines: list[str], item: _Item, problems: list[DeckProblem]) -> ParsedCard | None:
    line = item.heading + 1
    question = _QUESTION.match(item.text)
    exercise = _EXERCISE.match(item.text)
    found = question or exercise
    if found is None:
        problems.append(
            DeckProblem(
                line,
                "expected '## Q: question' or '## Exercise: family-id'; headings inside a card "
                "are '###' or deeper",
            )
        )
        return None
    before = len(problems)
    heading, attributes = _split_attributes(found.group(1).strip(), line, problems)
    if len(item.answers) > 1:
        problems.append(
            DeckProblem(
                item.answers[1] + 1,
                f"a second '### A' line; this card's answer starts on line {item.answers[0] + 1}",
            )
        )
    card = (
        _card(lines, item, heading, attributes, problems)
        if question
        else _exercise(lines, item, heading, attributes, problems)
    )
    return card if len(problems) == before else None


def _card(
    lines: list[str],
    item: _Item,
    heading: str,
    attributes: list[tuple[str, str]],
    problems: list[DeckProblem],
) -> ParsedCard | None:
    line = item.heading + 1
    key, tags, rest = _common_attributes(attributes, line, problems)
    for name, _value in rest:
        problems.append(
            DeckProblem(line, f"unknown attribute {name!r} on a card; expected {{#id .tag}}")
        )
    if item.answers:
        answer = item.answers[0]
        body = _side(lines, item.heading + 1, answer)
        front = "\n\n".join(part for part in (heading, body) if part)
        back = _side(lines, answer + 1, item.end)
        _check_maths(_region(lines, item, item.heading + 1, answer, heading), problems)
        _check_maths(_region(lines, item, answer + 1, item.end), problems)
    else:
        front, back = heading, _side(lines, item.heading + 1, item.end)
        _check_maths([(item.heading, heading)], problems)
        _check_maths(_region(lines, item, item.heading + 1, item.end), problems)
    if not front:
        problems.append(
            DeckProblem(
                line,
                "the question is empty; expected it after 'Q:', or below the heading and "
                "followed by a line '### A'",
            )
        )
    if not back:
        where = item.answers[0] + 1 if item.answers else line
        problems.append(DeckProblem(where, "the answer is empty; expected text below the question"))
    name = card_name(front, key)
    problems += side_problems(f"the question of {name}", front, line)
    problems += side_problems(f"the answer of {name}", back, line)
    return ParsedCard(front=front, back=back, line=line, key=key, tags=tags)


def _exercise(
    lines: list[str],
    item: _Item,
    family_id: str,
    attributes: list[tuple[str, str]],
    problems: list[DeckProblem],
) -> ParsedCard | None:
    line = item.heading + 1
    key, tags, rest = _common_attributes(attributes, line, problems)
    families = exercise_entries.family_ids()
    if item.answers:
        problems.append(
            DeckProblem(
                item.answers[0] + 1,
                "an exercise entry has no '### A' line: its text is shown with each problem",
            )
        )
    if not family_id or " " in family_id:
        problems.append(
            DeckProblem(
                line,
                f"expected one family id after 'Exercise:'; known: {', '.join(families)}",
            )
        )
        return None
    family = exercise_entries.family_or_none(family_id)
    if family is None:
        problems.append(
            DeckProblem(
                line,
                f"unknown exercise family {family_id!r}; known: {', '.join(families)}",
            )
        )
    difficulty = DEFAULT_DIFFICULTY
    params: dict[str, ParameterValues] = {}
    schema = exercise_entries.parameter_ranges(family_id) if family is not None else None
    for name, value in rest:
        if name == "difficulty":
            difficulty = _difficulty(value, line, problems)
        elif name in params:
            problems.append(DeckProblem(line, f"parameter {name!r} is given twice"))
        else:
            parsed = _parameter(name, value, line, problems)
            if parsed is not None and exercise_entries.within_ranges(
                family_id, name, parsed, schema, line, problems
            ):
                params[name] = parsed
    if family is None:
        return None
    if params and (reason := exercise_entries.unmet_reason(family_id, difficulty, params)):
        problems.append(DeckProblem(line, reason))
    blurb = _side(lines, item.heading + 1, item.end)
    _check_maths(_region(lines, item, item.heading + 1, item.end), problems)
    problems += side_problems(f"the text of the exercise entry {family_id!r}", blurb, line)
    return ParsedCard(
        front=family.title,
        back=blurb or family.description,
        line=line,
        key=key,
        tags=tags,
        exercise=ExerciseEntry(family=family_id, difficulty=difficulty, params=params),
    )


def split_attributes(text: str) -> tuple[str, list[tuple[str, str]]]:
    """Heading text without its ``{...}`` attribute block, and the block's ``(name, value)`` pairs.

    Names are ``"#"`` (an id), ``"."`` (a tag) or the name of a ``name=value`` pair.
    """
    return _split_attributes(text, 0, [])


def _difficulty(value: str, line: int, problems: list[DeckProblem]) -> int:
    number = int(value) if _NUMBER.match(value) else DIFFICULTY_NAMES.get(value.lower(), 0)
    if number not in DIFFICULTY_NAMES.values():
        problems.append(
            DeckProblem(
                line,
                f"difficulty must be 1, 2 or 3 (warm-up, standard, challenge); got {value!r}",
            )
        )
        return DEFAULT_DIFFICULTY
    return number


def _parameter(
    name: str, value: str, line: int, problems: list[DeckProblem]
) -> ParameterValues | None:
    span = _RANGE.match(value)
    if span:
        low, high = int(span.group(1)), int(span.group(2))
        if low > high:
            problems.append(
                DeckProblem(
                    line, f"{name}={value}: the range is empty (expected low-high, low ≤ high)"
                )
            )
            return None
        return IntRange(low, high)
    if _CHOICES.match(value):
        choices = tuple(int(part) for part in value.split(","))
        if len(set(choices)) != len(choices):
            problems.append(DeckProblem(line, f"{name}={value}: a value is listed twice"))
            return None
        return choices
    problems.append(
        DeckProblem(
            line,
            f"malformed parameter {name}={value!r}: expected a range like 28-224 or values "
            "like 3,5,7 (whole numbers)",
        )
    )
    return None


def _common_attributes(
    attributes: list[tuple[str, str]], line: int, problems: list[DeckProblem]
) -> tuple[str | None, tuple[str, ...], list[tuple[str, str]]]:
    """Split attributes into the id, the tags and the rest (``name=value`` pairs)."""
    key: str | None = None
    tags: list[str] = []
    rest: list[tuple[str, str]] = []
    for name, value in attributes:
        if name in ("#", "id"):
            if key is not None:
                problems.append(DeckProblem(line, f"a second id {value!r}; the id is {key!r}"))
            elif not value.strip():
                problems.append(DeckProblem(line, "the id is empty"))
            elif too_long := length_problem("the card id", value, MAX_ID_CHARS, line):
                problems.append(too_long)
            else:
                key = value
        elif name == ".":
            tags.append(value)
        else:
            rest.append((name, value))
    return key, tuple(dict.fromkeys(tags)), rest


def _split_attributes(
    text: str, line: int, problems: list[DeckProblem]
) -> tuple[str, list[tuple[str, str]]]:
    """Separate ``{#id .tag name=value}`` at the end of a heading from its text."""
    starts = [i for i, char in enumerate(text) if char == "{" and (i == 0 or text[i - 1].isspace())]
    starts = starts[-_MAX_ATTRIBUTE_STARTS:]  # the block is near the end; keeps this linear
    for start in starts:
        attributes = _attributes(text[start + 1 :])
        if attributes is not None:
            return text[:start].rstrip(), attributes
    if starts and text.endswith("}") and re.match(r"\{\s*[#.]", text[starts[-1] :]):
        problems.append(
            DeckProblem(
                line,
                f"cannot read the attributes {text[starts[-1] :]!r}: expected "
                "{#id .tag name=value}, with ids and tags free of spaces, quotes and braces",
            )
        )
        return text[: starts[-1]].rstrip(), []
    return text, []


def _attributes(text: str) -> list[tuple[str, str]] | None:
    """Tokens of an attribute block (after its ``{``) that ends the text, else ``None``."""
    attributes: list[tuple[str, str]] = []
    position = 0
    while True:
        match = _ATTRIBUTE.match(text, position)
        if match is None:
            rest = text[position:].strip()
            return attributes if rest == "}" else None
        if match.group("id"):
            attributes.append(("#", match.group("id")[1:]))
        elif match.group("tag"):
            attributes.append((".", match.group("tag")[1:]))
        else:
            quoted = match.group("quoted")
            value = re.sub(r"\\(.)", r"\1", quoted) if quoted is not None else match.group("bare")
            attributes.append((match.group("name"), value))
        position = match.end()


def _side(lines: list[str], start: int, end: int) -> str:
    return "\n".join(lines[start:end]).strip()


def _region(
    lines: list[str], item: _Item, start: int, end: int, heading: str = ""
) -> list[tuple[int, str]]:
    """The ``(index, text)`` lines of one side outside code blocks, after its heading text."""
    region = [(item.heading, heading)] if heading else []
    return region + [(i, lines[i]) for i in range(start, end) if i not in item.code_lines]


def _check_maths(region: list[tuple[int, str]], problems: list[DeckProblem]) -> None:
    """Display maths ``\\[...\\]`` and ``$$...$$`` close within one side (outside code)."""
    opened: tuple[str, int] | None = None
    for index, text in region:
        for match in _MATHS_TOKEN.finditer(text):
            token = match.group(1)
            if opened is None:
                if token == "\\]":
                    problems.append(DeckProblem(index + 1, "found \\] with no \\[ before it"))
                    return
                opened = (token, index)
            elif (opened[0], token) in (("\\[", "\\]"), ("$$", "$$")):
                opened = None
            elif opened[0] == "\\[" and token == "\\[":
                problems.append(
                    DeckProblem(
                        opened[1] + 1,
                        "display maths opened with \\[ is not closed with \\] before the next \\[",
                    )
                )
                return
    if opened is not None:
        closer = "\\]" if opened[0] == "\\[" else "$$"
        problems.append(
            DeckProblem(
                opened[1] + 1,
                f"display maths opened with {opened[0]} is not closed with {closer} in this side",
            )
        )
