"""Anki plain-text exports and CSV/TSV files: one note per record, fields split by a separator.

The file may open with Anki's headers, one per line::

    #separator:tab
    #html:true
    #deck:Convolutional neural networks
    #tags:cnn imported
    #columns:GUID	Front	Back	Tags
    #guid column:1
    #tags column:4
    abc123	What is a <b>stride</b>?	The step of the filter.<br>\\(s \\geq 1\\)	shapes

``#separator:`` is ``tab``, ``semicolon``, ``comma``, ``space``, ``pipe``, ``colon`` or the
character itself; without it the first record decides (a tab, else ``;``, else ``,``, else ``|``).
``#html:true`` reads fields as HTML (:func:`quiz.decks.anki_html.html_to_markdown`); without the
header, fields that contain HTML tags or entities are read as HTML. ``#tags:`` adds tags to every
note; ``#columns:`` names the columns (``Front`` and ``Back`` are used when named, else the first
two columns that are not the GUID, tags, deck or note type column); ``#guid column:`` gives each
card its stable id (at most 90 characters); ``#deck:`` (or the most common value of ``#deck
column:``, else the file name) is the deck title (at most 500 characters).
``#notetype:`` and ``#notetype column:`` are accepted and ignored. Other lines starting with ``#``
are comments. Fields may be quoted with ``"`` (a ``"`` inside is written ``""``), which lets them
hold separators and line breaks. Records with fewer fields than columns get empty fields; extra
fields are ignored (as Anki does).

A front or back has at most 20,000 characters (as converted) and nests lists and block quotes at
most 10 levels deep (:func:`quiz.decks.model.side_problems`).

Problems (a bad header, an unclosed quote, an empty front or back, a repeated or too long GUID, a
too long title, a side too long or nested too deeply) are reported with their line (0 for a title
from the file name):
:func:`check_anki_text` lists them all, :func:`parse_anki_text` raises the first.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

from quiz.decks.anki_html import (
    cloze_sides,
    has_cloze,
    html_to_markdown,
    looks_like_html,
    plain_to_markdown,
)
from quiz.decks.model import (
    MAX_CARDS,
    MAX_ID_CHARS,
    MAX_TITLE_CHARS,
    DeckProblem,
    ParsedCard,
    ParsedDeck,
    card_name,
    length_problem,
    side_problems,
)

FORMAT_NAME = "anki-text"
DEFAULT_TITLE = "Imported deck"
SEPARATOR_NAMES = {
    "tab": "\t",
    "semicolon": ";",
    "comma": ",",
    "space": " ",
    "pipe": "|",
    "colon": ":",
}
GUESSED_SEPARATORS = ("\t", ";", ",", "|")
COLUMN_HEADERS = ("guid column", "tags column", "deck column", "notetype column")
KNOWN_HEADERS = ("separator", "html", "tags", "columns", "deck", "notetype", *COLUMN_HEADERS)

# The key is possessive (a lazy key before \s* rescans the line from every space:
# quadratic); it may end with spaces, so callers strip it.
_HEADER = re.compile(r"^#([A-Za-z][A-Za-z ]*+)\s*:(.*)$")


@dataclass
class _Headers:
    """What the ``#key:value`` lines at the top of the file say (``lines``: 1-based, by key)."""

    separator: str | None = None
    html: bool | None = None
    tags: tuple[str, ...] = ()
    columns: str | None = None
    deck: str = ""
    column_numbers: dict[str, int] = field(default_factory=dict)
    lines: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class _Layout:
    """Which column (0-based) holds what."""

    front: int
    back: int
    guid: int | None = None
    tags: int | None = None
    deck: int | None = None


def parse_anki_text(text: str, *, title: str | None = None) -> ParsedDeck:
    """Parse an Anki text export; raise :class:`DeckFormatError` for its first problem.

    ``title`` (e.g. the file name) is used when the file has no ``#deck:`` header or deck column.
    """
    deck, problems = _parse(text, title)
    if problems or deck is None:
        raise (problems[0] if problems else DeckProblem(0, "no deck")).error()
    return deck


def check_anki_text(text: str, *, title: str | None = None) -> list[DeckProblem]:
    """Every problem in an Anki text export, in line order (empty: the file is valid)."""
    return _parse(text, title)[1]


def looks_like_anki_text(text: str) -> bool:
    """True when the first line is an Anki header such as ``#separator:tab`` or ``#html:true``."""
    first = text.lstrip("\ufeff").split("\n", 1)[0].strip()
    match = _HEADER.match(first)
    return bool(match and match.group(1).strip().lower() in KNOWN_HEADERS)


def looks_tabular(text: str) -> bool:
    """True when every record line holds a tab: a headerless tab-separated export."""
    lines = [line for line in text.splitlines() if line.strip() and not line.startswith("#")]
    return bool(lines) and all("\t" in line for line in lines)


# -- the parser --------------------------------------------------------------------------------


def _parse(text: str, title: str | None) -> tuple[ParsedDeck | None, list[DeckProblem]]:
    text = text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    problems: list[DeckProblem] = []
    headers, body_start = _headers(text, problems)
    lines_before = text[:body_start].count("\n")
    body = text[body_start:]
    separator = headers.separator or _guess_separator(body, headers.columns)
    records = _records(body, lines_before + 1, separator, problems)
    if not records:
        problems.append(
            DeckProblem(
                lines_before + 1 if body.strip() else max(lines_before, 1),
                "expected at least one note: a line with the front and the back, "
                "separated by a tab, ';' or ','",
            )
        )
        return None, sorted(problems, key=_by_line)
    names = headers.columns.split(separator) if headers.columns is not None else None
    width = len(names) if names else max(len(fields) for _line, fields in records)
    layout = _layout(headers, names, width, records[0][0], problems)
    if layout is None:
        return None, sorted(problems, key=_by_line)
    is_html = headers.html if headers.html is not None else looks_like_html(body)
    cards = _cards(records, layout, headers, is_html, problems)
    problems.sort(key=_by_line)
    if problems:
        return None, problems
    deck_title = headers.deck or _most_common_deck(records, layout) or title or DEFAULT_TITLE
    if too_long := length_problem(
        "the deck title",
        deck_title,
        MAX_TITLE_CHARS,
        _title_line(deck_title, headers, records, layout),
    ):
        return None, [too_long]
    return ParsedDeck(title=deck_title, cards=tuple(cards), source_format=FORMAT_NAME), problems


def _title_line(
    deck_title: str, headers: _Headers, records: list[tuple[int, list[str]]], layout: _Layout
) -> int:
    """Where the deck title comes from: the ``#deck:`` line, the first line whose deck column
    holds it, else 0 (the file name)."""
    if headers.deck:
        return headers.lines.get("deck", 0)
    if layout.deck is not None:
        for line, fields in records:
            if _column(fields, layout.deck).strip() == deck_title:
                return line
    return 0


def _by_line(problem: DeckProblem) -> int:
    return problem.line


def _headers(text: str, problems: list[DeckProblem]) -> tuple[_Headers, int]:
    """Read the ``#`` lines at the top; return them and where the records start."""
    headers = _Headers()
    position = 0
    number = 0
    while position < len(text) and text.startswith("#", position):
        end = text.find("\n", position)
        end = len(text) if end == -1 else end
        line = text[position:end]
        number += 1
        position = end + 1
        match = _HEADER.match(line)
        if match is None:
            continue  # a comment
        key, value = match.group(1).strip().lower(), match.group(2).strip()
        if key not in KNOWN_HEADERS:
            problems.append(
                DeckProblem(
                    number,
                    f"unknown header '#{match.group(1).strip()}:'; expected one of "
                    + ", ".join(f"#{name}:" for name in KNOWN_HEADERS),
                )
            )
            continue
        headers.lines[key] = number
        _set_header(headers, key, match.group(2), value, number, problems)
    return headers, min(position, len(text))


def _set_header(
    headers: _Headers, key: str, raw: str, value: str, line: int, problems: list[DeckProblem]
) -> None:
    if key == "separator":
        separator = SEPARATOR_NAMES.get(value.lower(), value if len(value) == 1 else None)
        if separator is None and raw in ("\t", " "):
            separator = raw
        if separator is None or separator in ('"', "\n"):
            problems.append(
                DeckProblem(
                    line,
                    f"unknown separator {value!r}; expected tab, semicolon, comma, space, pipe, "
                    "colon or a single character",
                )
            )
        else:
            headers.separator = separator
    elif key == "html":
        if value.lower() not in ("true", "false"):
            problems.append(DeckProblem(line, f"#html: expects true or false; got {value!r}"))
        else:
            headers.html = value.lower() == "true"
    elif key == "tags":
        headers.tags = tuple(value.split())
    elif key == "columns":
        headers.columns = raw.strip("\n")
    elif key == "deck":
        headers.deck = value
    elif key in COLUMN_HEADERS:
        if not re.fullmatch(r"[0-9]{1,6}", value) or int(value) < 1:
            problems.append(
                DeckProblem(line, f"#{key}: expects a column number (1, 2, ...); got {value!r}")
            )
        else:
            headers.column_numbers[key] = int(value)


def _guess_separator(body: str, columns: str | None) -> str:
    sample = next((line for line in body.split("\n") if line.strip() and line[0] != "#"), "")
    for candidates in (sample, columns or ""):
        for separator in GUESSED_SEPARATORS:
            if separator in candidates:
                return separator
    return "\t"


def _records(
    body: str, first_line: int, separator: str, problems: list[DeckProblem]
) -> list[tuple[int, list[str]]]:
    """Split ``body`` into records of fields: ``(line of the record, fields)``."""
    records: list[tuple[int, list[str]]] = []
    position, line, size = 0, first_line, len(body)
    while position < size:
        if body[position] == "\n":
            position, line = position + 1, line + 1
            continue
        if body[position] == "#":  # a comment line
            end = body.find("\n", position)
            position = size if end == -1 else end
            continue
        start_line = line
        fields: list[str] = []
        while True:
            parsed = _field(body, position, line, separator, problems)
            if parsed is None:
                return records  # an unclosed quote swallowed the rest of the file
            value, position, line = parsed
            fields.append(value)
            if position < size and body[position] == separator:
                position += 1
                continue
            if position < size:  # a newline ends the record
                position, line = position + 1, line + 1
            break
        if any(value.strip() for value in fields):
            records.append((start_line, fields))
        if len(records) > MAX_CARDS:
            problems.append(DeckProblem(start_line, f"a deck holds at most {MAX_CARDS} cards"))
            return records
    return records


def _field(
    body: str, position: int, line: int, separator: str, problems: list[DeckProblem]
) -> tuple[str, int, int] | None:
    """Read one field at ``position``: ``(value, position after it, line after it)``."""
    start = position
    while start < len(body) and body[start] in " \t" and body[start] != separator:
        start += 1
    if start >= len(body) or body[start] != '"':
        end = _next_stop(body, position, separator)
        return body[position:end], end, line
    chunks: list[str] = []
    cursor = start + 1
    while True:
        quote = body.find('"', cursor)
        if quote == -1:
            problems.append(
                DeckProblem(
                    line,
                    "a quoted field opened here is never closed; expected a closing '\"' "
                    "(a '\"' inside a quoted field is written '\"\"')",
                )
            )
            return None
        chunks.append(body[cursor:quote])
        if body.startswith('""', quote):
            chunks.append('"')
            cursor = quote + 2
            continue
        break
    value = "".join(chunks)
    line += body.count("\n", start, quote)
    after = quote + 1
    stop = after
    while stop < len(body) and body[stop] in " \t" and body[stop] != separator:
        stop += 1
    if stop < len(body) and body[stop] not in (separator, "\n"):
        problems.append(
            DeckProblem(
                line,
                "expected the separator or the end of the line after a closing '\"'; "
                "a '\"' inside a quoted field is written '\"\"'",
            )
        )
        stop = _next_stop(body, stop, separator)
        value += body[after:stop]
    return value, stop, line


def _next_stop(body: str, position: int, separator: str) -> int:
    """Where the unquoted field at ``position`` ends: the next separator on its line, or the
    line's end (never searching past the line, so each line is scanned once)."""
    end = body.find("\n", position)
    end = len(body) if end == -1 else end
    stop = body.find(separator, position, end)
    return end if stop == -1 else stop


def _layout(
    headers: _Headers,
    names: list[str] | None,
    width: int,
    first_record: int,
    problems: list[DeckProblem],
) -> _Layout | None:
    roles: dict[str, int] = {}
    for key, number in headers.column_numbers.items():
        if number > width:
            problems.append(
                DeckProblem(
                    headers.lines[key],
                    f"#{key}: {number} is past the last column ({width})",
                )
            )
        else:
            roles[key.removesuffix(" column")] = number - 1
    lowered = [name.strip().lower() for name in names or []]
    for role in ("guid", "tags", "deck"):
        if role not in roles and role in lowered:
            roles[role] = lowered.index(role)
    taken = set(roles.values())
    free = [index for index in range(width) if index not in taken]
    front = lowered.index("front") if "front" in lowered else None
    back = lowered.index("back") if "back" in lowered else None
    rest = [index for index in free if index not in (front, back)]
    if front is None and rest:
        front = rest.pop(0)
    if back is None and rest:
        back = rest.pop(0)
    if front is None or back is None:
        where = headers.lines.get("columns", first_record)
        problems.append(
            DeckProblem(
                where,
                "expected a front and a back column; this file has "
                f"{len(free)} column(s) for fields",
            )
        )
        return None
    return _Layout(
        front=front,
        back=back,
        guid=roles.get("guid"),
        tags=roles.get("tags"),
        deck=roles.get("deck"),
    )


def _cards(
    records: list[tuple[int, list[str]]],
    layout: _Layout,
    headers: _Headers,
    is_html: bool,
    problems: list[DeckProblem],
) -> list[ParsedCard]:
    convert = html_to_markdown if is_html else plain_to_markdown
    cards: list[ParsedCard] = []
    first_use: dict[str, int] = {}
    for line, fields in records[:MAX_CARDS]:
        front_field, back_field = _column(fields, layout.front), _column(fields, layout.back)
        if has_cloze(front_field):
            front_field, back_field = cloze_sides(front_field, back_field, is_html=is_html)
        front, back = convert(front_field), convert(back_field)
        key = _column(fields, layout.guid).strip() or None
        ok = True
        if key is not None and (too_long := length_problem("the GUID", key, MAX_ID_CHARS, line)):
            problems.append(too_long)
            ok = False
        name = card_name(front, key)
        for side, text, index in (("front", front, layout.front), ("back", back, layout.back)):
            if not text:
                problems.append(DeckProblem(line, f"the {side} (column {index + 1}) is empty"))
                ok = False
            elif found := side_problems(f"the {side} (column {index + 1}) of {name}", text, line):
                problems += found
                ok = False
        if key is not None:
            if key in first_use:
                problems.append(
                    DeckProblem(line, f"GUID {key!r} is already used on line {first_use[key]}")
                )
                ok = False
            else:
                first_use[key] = line
        if ok:
            tags = tuple(dict.fromkeys((*headers.tags, *_column(fields, layout.tags).split())))
            cards.append(ParsedCard(front=front, back=back, line=line, key=key, tags=tags))
    return cards


def _column(fields: list[str], index: int | None) -> str:
    return fields[index] if index is not None and index < len(fields) else ""


def _most_common_deck(records: list[tuple[int, list[str]]], layout: _Layout) -> str:
    if layout.deck is None:
        return ""
    column = layout.deck
    names = Counter(fields[column].strip() for _line, fields in records if column < len(fields))
    names.pop("", None)
    return names.most_common(1)[0][0] if names else ""
