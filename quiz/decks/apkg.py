"""Anki packages (``.apkg``, ``.colpkg``): a zip archive holding an SQLite collection.

The archive is checked before anything is read from it: at most :data:`MAX_ZIP_ENTRIES` entries
(the count and the size of the list of entries are checked in its end record before the list is
read: at most :data:`MAX_DIRECTORY_BYTES_PER_ENTRY` bytes per entry allowed), no absolute paths or
``..`` components, nothing encrypted, at most :data:`MAX_UNCOMPRESSED_BYTES` in all, and no large
entry that expands more than :data:`MAX_COMPRESSION_RATIO` times (a zip bomb). Then the newest
collection it holds is read:

* ``collection.anki21b`` (Anki 2.1.50+, Zstandard-compressed) with the ``zstandard`` package, its
  output capped like the archive; without that package the message asks for an export with
  "Support older Anki versions";
* else ``collection.anki21``, else ``collection.anki2`` (in new packages the latter is a dummy that
  only says "Please update to the latest Anki version": that is detected and explained).

The collection is copied to a temporary file and opened read-only. Only real tables are read (a
view or virtual table named ``notes`` is not a collection), and the reading may take at most
:data:`MAX_QUERY_STEPS` steps of SQLite's virtual machine in all and values of at most
:data:`MAX_VALUE_BYTES`: a collection that needs more is refused. Malformed contents (numbers that
are not whole, such as ``9e999``; JSON that is not an object, or nested too deeply) are refused
with a message naming what is wrong. Each note becomes a card: the
fields named ``Front`` and ``Back`` (else the first two fields) through
:func:`quiz.decks.anki_html.html_to_markdown`; a cloze note shows its deletions as ``[...]`` (or
``[hint]``) on the front and in bold on the back, followed by its second field. The note's GUID is
the card's ``key`` (at most 90 characters), its tags the card's tags, and the deck holding most of
its cards the title (at most 500 characters). Each side has at most 20,000 characters and nests
lists and block quotes at most 10 levels deep (:func:`quiz.decks.model.side_problems`).
Pictures and sounds are not imported (``<img>`` becomes ``[image: name]``, never an address).

Problems are reported with line 0 (the file as a whole) and name the note (``note 12``), which is
also each card's ``line``.
"""

from __future__ import annotations

import io
import json
import re
import reprlib
import shutil
import sqlite3
import struct
import tempfile
import zipfile
import zlib
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from quiz.decks.anki_html import cloze_sides, has_cloze, html_to_markdown
from quiz.decks.model import (
    MAX_CARDS,
    MAX_ID_CHARS,
    MAX_TITLE_CHARS,
    DeckFormatError,
    DeckProblem,
    ParsedCard,
    ParsedDeck,
    length_problem,
    side_problems,
)

FORMAT_NAME = "apkg"
DEFAULT_TITLE = "Imported deck"
MAX_ZIP_ENTRIES = 10_000
MAX_DIRECTORY_BYTES_PER_ENTRY = 256  # the zip's list of entries: 46 bytes each, plus the name
MAX_QUERY_STEPS = 50_000_000  # SQLite VM steps to read a collection (20,000 notes need ~1%)
MAX_VALUE_BYTES = 32 * 2**20  # the longest string or blob SQLite may produce while reading
_PROGRESS_INTERVAL = 10_000  # VM steps between two calls of the progress handler
MAX_UNCOMPRESSED_BYTES = 200 * 2**20
MAX_COMPRESSION_RATIO = 100
RATIO_CHECKED_ABOVE_BYTES = 2**20
COLLECTIONS = ("collection.anki21b", "collection.anki21", "collection.anki2")
UPDATE_NOTICE = "Please update to the latest Anki version"
EXPORT_ADVICE = (
    "in Anki, use File > Export, choose 'Anki Deck Package (*.apkg)' and tick "
    "'Support older Anki versions'"
)

_SQLITE_MAGIC = b"SQLite format 3\x00"
_ZIP_ERRORS = (
    zipfile.BadZipFile,
    zlib.error,
    NotImplementedError,
    RuntimeError,
    EOFError,
    OSError,
    ValueError,
    struct.error,
    IndexError,
    KeyError,
)


@dataclass(frozen=True)
class _NoteType:
    name: str
    fields: tuple[str, ...]
    cloze: bool


def looks_like_zip(data: bytes) -> bool:
    """True when ``data`` starts like a zip archive (every ``.apkg`` does)."""
    return data.startswith((b"PK\x03\x04", b"PK\x05\x06"))


def parse_apkg(data: bytes, *, title: str | None = None) -> ParsedDeck:
    """Parse an Anki package; raise :class:`DeckFormatError` for its first problem.

    ``title`` (e.g. the file name) is used when the collection names no deck.
    """
    deck, problems = _parse(data, title)
    if problems or deck is None:
        raise (problems[0] if problems else DeckProblem(0, "no deck")).error()
    return deck


def check_apkg(data: bytes, *, title: str | None = None) -> list[DeckProblem]:
    """Every problem in an Anki package (one, when the archive itself cannot be read)."""
    return _parse(data, title)[1]


def _parse(data: bytes, title: str | None) -> tuple[ParsedDeck | None, list[DeckProblem]]:
    try:
        with tempfile.TemporaryDirectory(prefix="stride-apkg-") as folder:
            path = Path(folder) / "collection.sqlite"
            collection = _extract_collection(data, path)
            with _open_readonly(path) as connection:
                return _read_collection(connection, collection, title)
    except DeckFormatError as error:
        return None, [DeckProblem.from_error(error)]


# -- the archive -------------------------------------------------------------------------------


def _extract_collection(data: bytes, target: Path) -> str:
    """Check the archive, copy its newest collection (unpacked) to ``target``; return its name."""
    _check_end_record(data)
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except _ZIP_ERRORS as error:
        raise DeckFormatError(
            0, f"expected an Anki package (a zip archive); this file is not one ({error})"
        ) from error
    with archive:
        try:
            infos = archive.infolist()
            _check_entries(infos)
            by_name = {info.filename: info for info in infos}
            name = next((name for name in COLLECTIONS if name in by_name), None)
            if name is None:
                raise DeckFormatError(
                    0,
                    "this zip archive holds no Anki collection (collection.anki21b, "
                    "collection.anki21 or collection.anki2); expected an .apkg exported by Anki",
                )
            with archive.open(by_name[name]) as source, target.open("wb") as sink:
                if name.endswith("b"):
                    _decompress_zstd(source, sink)
                else:
                    shutil.copyfileobj(source, sink)
        except DeckFormatError:
            raise  # a refusal, with its own message (it is a ValueError too)
        except _ZIP_ERRORS as error:
            raise DeckFormatError(0, f"the Anki package is damaged: {error}") from error
    return name


def _check_end_record(data: bytes) -> None:
    """Refuse too many entries, or too large a list of them, on the archive's end record alone.

    ``zipfile`` reads the whole list of entries (the central directory) before anything can be
    checked; a list of 400,000 entries costs seconds and hundreds of MB. The end record (found as
    ``zipfile`` finds it: the last 22 bytes when the archive has no comment, else the last end
    record signature in the last 64 KiB; its Zip64 version just before it when present) says how
    many entries there are and how many bytes the list takes. A file without a readable end
    record is left to ``zipfile`` to refuse.
    """
    end = len(data) - _END_RECORD.size
    if end < 0 or not (data.startswith(b"PK\x05\x06", end) and data.endswith(b"\x00\x00")):
        end = data.rfind(b"PK\x05\x06", max(0, len(data) - 2**16 - _END_RECORD.size))
    if end < 0 or end + _END_RECORD.size > len(data):
        return
    _sig, _disk, _first, _here, count, size, _offset, _comment = _END_RECORD.unpack_from(data, end)
    locator = end - _ZIP64_LOCATOR_SIZE
    record = locator - _ZIP64_END_RECORD.size
    if record >= 0 and data.startswith(b"PK\x06\x07", locator):
        fields = _ZIP64_END_RECORD.unpack_from(data, record)
        if fields[0] == b"PK\x06\x06":
            count, size = fields[7], fields[8]
    _check_count(count)
    if size > MAX_ZIP_ENTRIES * MAX_DIRECTORY_BYTES_PER_ENTRY:
        raise DeckFormatError(
            0,
            f"refused: the package's list of entries takes {size} bytes; at most "
            f"{MAX_ZIP_ENTRIES * MAX_DIRECTORY_BYTES_PER_ENTRY} allowed ({MAX_ZIP_ENTRIES} "
            f"entries of at most {MAX_DIRECTORY_BYTES_PER_ENTRY} bytes)",
        )


# The zip end record, and the Zip64 end record with its locator (as in ``zipfile``).
_END_RECORD = struct.Struct("<4s4H2LH")
_ZIP64_END_RECORD = struct.Struct("<4sQ2H2L4Q")
_ZIP64_LOCATOR_SIZE = 20


def _check_count(count: int) -> None:
    if count > MAX_ZIP_ENTRIES:
        raise DeckFormatError(
            0, f"refused: the package has {count} entries; at most {MAX_ZIP_ENTRIES} allowed"
        )


def _check_entries(infos: list[zipfile.ZipInfo]) -> None:
    _check_count(len(infos))
    total = 0
    for info in infos:
        if _unsafe_path(info.filename):
            raise DeckFormatError(
                0,
                f"refused: the package holds an entry with an unsafe path {info.filename!r} "
                "(absolute, or with '..')",
            )
        if info.flag_bits & 0x1:
            raise DeckFormatError(0, "refused: the package is encrypted")
        large = info.file_size > RATIO_CHECKED_ABOVE_BYTES
        if large and info.file_size > MAX_COMPRESSION_RATIO * max(info.compress_size, 1):
            raise DeckFormatError(
                0,
                f"refused: entry {info.filename!r} expands from {info.compress_size} to "
                f"{info.file_size} bytes (more than {MAX_COMPRESSION_RATIO}:1; a zip bomb?)",
            )
        total += info.file_size
    if total > MAX_UNCOMPRESSED_BYTES:
        raise DeckFormatError(
            0,
            f"refused: the package expands to {total / 2**20:.0f} MB; at most "
            f"{MAX_UNCOMPRESSED_BYTES // 2**20} MB allowed",
        )


def _unsafe_path(name: str) -> bool:
    parts = re.split(r"[/\\]", name)
    return (
        name.startswith(("/", "\\"))
        or bool(re.match(r"^[A-Za-z]:", name))
        or ".." in parts
        or "\x00" in name
    )


def _decompress_zstd(source: IO[bytes], sink: IO[bytes]) -> None:
    try:
        import zstandard
    except ImportError:
        raise DeckFormatError(
            0,
            "this package uses Anki's newer format (collection.anki21b), which needs the "
            f"'zstandard' package; {EXPORT_ADVICE}",
        ) from None
    written = 0
    try:
        with zstandard.ZstdDecompressor().stream_reader(source) as reader:
            while chunk := reader.read(2**20):
                written += len(chunk)
                if written > MAX_UNCOMPRESSED_BYTES:
                    raise DeckFormatError(
                        0,
                        f"refused: the collection expands past {MAX_UNCOMPRESSED_BYTES // 2**20} "
                        "MB",
                    )
                sink.write(chunk)
    except zstandard.ZstdError as error:
        raise DeckFormatError(0, f"the collection.anki21b is damaged: {error}") from error


# -- the collection ----------------------------------------------------------------------------


@contextmanager
def _open_readonly(path: Path) -> Iterator[sqlite3.Connection]:
    with path.open("rb") as handle:
        if handle.read(len(_SQLITE_MAGIC)) != _SQLITE_MAGIC:
            raise DeckFormatError(0, "the package's collection is not an SQLite database")
    try:
        connection = sqlite3.connect(f"{path.as_uri()}?mode=ro&immutable=1", uri=True)
    except sqlite3.Error as error:
        raise DeckFormatError(0, f"cannot open the package's collection: {error}") from error
    with closing(connection):
        try:
            connection.execute("PRAGMA trusted_schema = OFF")
            connection.execute("PRAGMA query_only = ON")
        except sqlite3.Error:
            pass
        connection.setlimit(sqlite3.SQLITE_LIMIT_LENGTH, MAX_VALUE_BYTES)
        budget = iter(range(MAX_QUERY_STEPS // _PROGRESS_INTERVAL))
        # Called every _PROGRESS_INTERVAL steps; non-zero interrupts the query (SQLITE_INTERRUPT).
        connection.set_progress_handler(lambda: next(budget, None) is None, _PROGRESS_INTERVAL)
        yield connection


def _read_collection(
    connection: sqlite3.Connection, collection: str, title: str | None
) -> tuple[ParsedDeck | None, list[DeckProblem]]:
    try:
        tables = _plain_tables(connection)
        new_schema = {"notetypes", "fields", "decks"} <= tables
        for table in ("notes", *(() if new_schema else ("col",))):
            if table not in tables:
                raise DeckFormatError(0, f"the package's collection has no {table} table")
        note_types = _note_types_new(connection) if new_schema else _note_types_legacy(connection)
        decks = _decks_new(connection) if new_schema else _decks_legacy(connection)
        (count,) = connection.execute("SELECT COUNT(*) FROM notes").fetchone()
        if count > MAX_CARDS:
            raise DeckFormatError(
                0, f"the package has {count} notes; a deck holds at most {MAX_CARDS} cards"
            )
        rows = connection.execute("SELECT guid, mid, tags, flds FROM notes ORDER BY id").fetchall()
        deck_title = _main_deck(connection, decks) if "cards" in tables else ""
        problems: list[DeckProblem] = []
        cards = _cards(rows, note_types, collection, problems)
    except DeckFormatError:
        raise  # already says what is wrong (and is a ValueError: not "malformed" twice)
    except sqlite3.Error as error:
        if getattr(error, "sqlite_errorcode", None) == sqlite3.SQLITE_INTERRUPT:
            raise DeckFormatError(
                0,
                "refused: reading the package's collection takes more than "
                f"{MAX_QUERY_STEPS:,} steps of work; expected an Anki collection",
            ) from error
        raise DeckFormatError(0, f"cannot read the package's collection: {error}") from error
    except (TypeError, AttributeError, KeyError, ValueError, ArithmeticError) as error:
        raise DeckFormatError(0, f"the package's collection is malformed: {error}") from error
    if not rows:
        problems.append(DeckProblem(0, "the package holds no notes"))
    deck_title = deck_title or title or DEFAULT_TITLE
    if too_long := length_problem("the deck's name", deck_title, MAX_TITLE_CHARS, 0):
        problems.append(too_long)
    if problems:
        return None, problems
    deck = ParsedDeck(title=deck_title, cards=tuple(cards), source_format=FORMAT_NAME)
    return deck, problems


_READ_TABLES = ("notes", "cards", "col", "notetypes", "fields", "decks")


def _plain_tables(connection: sqlite3.Connection) -> set[str]:
    """The tables the reader may query: real tables, not views or virtual tables.

    A view can run any query (an endless recursive one, say) and a virtual table any module;
    a table with a computed (generated) column, which SQLite computes on every read, is refused.
    """
    tables = {
        name
        for name, sql in connection.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'table'"
        )
        if not str(sql or "").lstrip().upper().startswith("CREATE VIRTUAL")
    }
    for table in sorted(tables.intersection(_READ_TABLES)):
        hidden = [row[6] for row in connection.execute(f"PRAGMA table_xinfo({table})")]
        if any(hidden):
            raise DeckFormatError(
                0,
                f"the package's collection has computed columns in its {table} table; "
                "expected an Anki collection",
            )
    return tables


def _json_object(connection: sqlite3.Connection, column: str) -> dict[str, Any]:
    """The JSON object in ``col.<column>`` (``{}`` when empty); DeckFormatError when it is not
    JSON, is nested too deeply for Python's parser, or is not an object."""
    row = connection.execute(f"SELECT {column} FROM col").fetchone()
    if not row or not row[0]:
        return {}
    try:
        value = json.loads(row[0])
    except (json.JSONDecodeError, UnicodeDecodeError, TypeError) as error:
        raise DeckFormatError(
            0, f"the package's collection is malformed: col.{column} is not JSON ({error})"
        ) from error
    except RecursionError as error:
        raise DeckFormatError(
            0, f"the package's collection is malformed: col.{column} is nested too deeply"
        ) from error
    if not isinstance(value, dict):
        raise DeckFormatError(
            0,
            f"the package's collection is malformed: col.{column} is a JSON "
            f"{type(value).__name__}; expected an object",
        )
    return value


def _whole(value: Any, what: str) -> int:
    """``value`` as a whole number; DeckFormatError naming ``what`` when it is not one (an
    infinite or huge REAL such as ``9e999``, text, a JSON list...)."""
    try:
        return int(value)
    except (TypeError, ValueError, OverflowError) as error:
        shown = reprlib.repr(value)  # bounded in length and depth
        raise DeckFormatError(
            0, f"the package's collection is malformed: {what} is {shown}; expected a whole number"
        ) from error


def _name(value: Any) -> str:
    """A name from ``col.models``/``col.decks`` JSON: a string, else none (``""``)."""
    return value if isinstance(value, str) else ""


def _note_types_legacy(connection: sqlite3.Connection) -> dict[int, _NoteType]:
    models = _json_object(connection, "models")
    types = {}
    for model_id, model in models.items():
        fields = sorted(
            model.get("flds", []), key=lambda field: _whole(field.get("ord", 0), "a field's ord")
        )
        types[_whole(model_id, "a note type id")] = _NoteType(
            name=_name(model.get("name")),
            fields=tuple(_name(field.get("name")) for field in fields),
            cloze=model.get("type") == 1,
        )
    return types


def _note_types_new(connection: sqlite3.Connection) -> dict[int, _NoteType]:
    names = dict(connection.execute("SELECT id, name FROM notetypes").fetchall())
    fields: dict[int, list[str]] = {}
    for note_type, _order, name in connection.execute(
        "SELECT ntid, ord, name FROM fields ORDER BY ntid, ord"
    ):
        fields.setdefault(_whole(note_type, "a field's note type"), []).append(str(name))
    types = {}
    for type_id, name in names.items():
        number = _whole(type_id, "a note type id")
        types[number] = _NoteType(str(name), tuple(fields.get(number, [])), cloze=False)
    return types


def _decks_legacy(connection: sqlite3.Connection) -> dict[int, str]:
    decks = _json_object(connection, "decks")
    return {
        _whole(deck_id, "a deck id"): _name(deck.get("name")) for deck_id, deck in decks.items()
    }


def _decks_new(connection: sqlite3.Connection) -> dict[int, str]:
    return {
        _whole(deck_id, "a deck id"): str(name).replace("\x1f", "::")
        for deck_id, name in connection.execute("SELECT id, name FROM decks")
    }


def _main_deck(connection: sqlite3.Connection, decks: dict[int, str]) -> str:
    """The name of the deck holding most cards ("Default" only when it is the only one).

    Only cards in the named decks are counted (their ids go to SQLite as a JSON list), so the
    work does not grow with the cards of other, unknown deck ids.
    """
    named = json.dumps([deck_id for deck_id, name in decks.items() if name])
    fallback = ""
    for deck_id, _count in connection.execute(
        "SELECT did, COUNT(*) AS n FROM cards WHERE did IN (SELECT value FROM json_each(?)) "
        "GROUP BY did ORDER BY n DESC, did",
        (named,),
    ):
        name = decks.get(_whole(deck_id, "a card's deck id"), "")
        if name and name != "Default":
            return name
        fallback = fallback or name
    return fallback


def _cards(
    rows: list[tuple[Any, ...]],
    note_types: dict[int, _NoteType],
    collection: str,
    problems: list[DeckProblem],
) -> list[ParsedCard]:
    cards: list[ParsedCard] = []
    first_use: dict[str, int] = {}
    for number, (guid, model_id, tags, fields_text) in enumerate(rows, start=1):
        fields = str(fields_text or "").split("\x1f")
        if collection == "collection.anki2" and UPDATE_NOTICE in fields[0]:
            raise DeckFormatError(
                0,
                "this package was exported by a recent Anki in its new format only (its "
                f"collection.anki2 just says '{UPDATE_NOTICE}'); {EXPORT_ADVICE}",
            )
        model = _whole(model_id or 0, f"note {number}'s note type")
        note_type = note_types.get(model, _NoteType("", (), cloze=False))
        front_index, back_index = _sides(note_type)
        front_html = fields[front_index] if front_index < len(fields) else ""
        back_html = fields[back_index] if back_index < len(fields) else ""
        if note_type.cloze or has_cloze(front_html):
            front_html, back_html = cloze_sides(front_html, back_html)
        front, back = html_to_markdown(front_html), html_to_markdown(back_html)
        key = str(guid).strip() if guid else None
        ok = True
        if key is not None and (too_long := length_problem("the GUID", key, MAX_ID_CHARS, 0)):
            problems.append(DeckProblem(0, f"note {number}: {too_long.message}"))
            key, ok = None, False
        where = f"note {number}" + (f" (GUID {key!r})" if key else "")
        for side, text, index in (("front", front, front_index), ("back", back, back_index)):
            field_name = note_type.fields[index] if index < len(note_type.fields) else index + 1
            if not text:
                problems.append(
                    DeckProblem(0, f"{where}: the {side} (field {field_name!r}) is empty")
                )
                ok = False
            elif found := side_problems(f"the {side} (field {field_name!r})", text, 0):
                problems += [DeckProblem(0, f"{where}: {problem.message}") for problem in found]
                ok = False
        if key is not None:
            if key in first_use:
                problems.append(
                    DeckProblem(0, f"{where}: the GUID is also note {first_use[key]}'s")
                )
                ok = False
            first_use.setdefault(key, number)
        if ok:
            card_tags = tuple(dict.fromkeys(str(tags or "").split()))
            cards.append(ParsedCard(front=front, back=back, line=number, key=key, tags=card_tags))
    return cards


def _sides(note_type: _NoteType) -> tuple[int, int]:
    """Indices of the front and back fields: those named Front/Back, else the first two."""
    lowered = [name.strip().lower() for name in note_type.fields]
    front = lowered.index("front") if "front" in lowered else 0
    back = lowered.index("back") if "back" in lowered else (1 if front != 1 else 0)
    return front, back
