"""Anki packages (``.apkg``, ``.colpkg``): a zip archive holding an SQLite collection.

The archive is checked before anything is read from it: at most :data:`MAX_ZIP_ENTRIES` entries,
no absolute paths or ``..`` components, nothing encrypted, at most :data:`MAX_UNCOMPRESSED_BYTES`
in all, and no large entry that expands more than :data:`MAX_COMPRESSION_RATIO` times (a zip
bomb). Then the newest collection it holds is read:

* ``collection.anki21b`` (Anki 2.1.50+, Zstandard-compressed) with the ``zstandard`` package, its
  output capped like the archive; without that package the message asks for an export with
  "Support older Anki versions";
* else ``collection.anki21``, else ``collection.anki2`` (in new packages the latter is a dummy that
  only says "Please update to the latest Anki version": that is detected and explained).

The collection is copied to a temporary file and opened read-only. Each note becomes a card: the
fields named ``Front`` and ``Back`` (else the first two fields) through
:func:`quiz.decks.anki_html.html_to_markdown`; a cloze note shows its deletions as ``[...]`` (or
``[hint]``) on the front and in bold on the back, followed by its second field. The note's GUID is
the card's ``key``, its tags the card's tags, and the deck holding most of its cards the title.
Pictures and sounds are not imported (``<img>`` becomes ``[image: name]``).

Problems are reported with line 0 (the file as a whole) and name the note (``note 12``), which is
also each card's ``line``.
"""

from __future__ import annotations

import io
import json
import re
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
from quiz.decks.model import MAX_CARDS, DeckFormatError, DeckProblem, ParsedCard, ParsedDeck

FORMAT_NAME = "apkg"
DEFAULT_TITLE = "Imported deck"
MAX_ZIP_ENTRIES = 10_000
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
        except _ZIP_ERRORS as error:
            raise DeckFormatError(0, f"the Anki package is damaged: {error}") from error
    return name


def _check_entries(infos: list[zipfile.ZipInfo]) -> None:
    if len(infos) > MAX_ZIP_ENTRIES:
        raise DeckFormatError(
            0, f"refused: the package has {len(infos)} entries; at most {MAX_ZIP_ENTRIES} allowed"
        )
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
        yield connection


def _read_collection(
    connection: sqlite3.Connection, collection: str, title: str | None
) -> tuple[ParsedDeck | None, list[DeckProblem]]:
    try:
        tables = {row[0] for row in connection.execute("SELECT name FROM sqlite_master")}
        if "notes" not in tables:
            raise DeckFormatError(0, "the package's collection has no notes table")
        new_schema = {"notetypes", "fields", "decks"} <= tables
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
    except sqlite3.Error as error:
        raise DeckFormatError(0, f"cannot read the package's collection: {error}") from error
    except (json.JSONDecodeError, TypeError, AttributeError, KeyError, ValueError) as error:
        raise DeckFormatError(0, f"the package's collection is malformed: {error}") from error
    if not rows:
        problems.append(DeckProblem(0, "the package holds no notes"))
    if problems:
        return None, problems
    deck = ParsedDeck(
        title=deck_title or title or DEFAULT_TITLE, cards=tuple(cards), source_format=FORMAT_NAME
    )
    return deck, problems


def _note_types_legacy(connection: sqlite3.Connection) -> dict[int, _NoteType]:
    row = connection.execute("SELECT models FROM col").fetchone()
    models: dict[str, Any] = json.loads(row[0]) if row and row[0] else {}
    types = {}
    for model_id, model in models.items():
        fields = sorted(model.get("flds", []), key=lambda field: int(field.get("ord", 0)))
        types[int(model_id)] = _NoteType(
            name=str(model.get("name", "")),
            fields=tuple(str(field.get("name", "")) for field in fields),
            cloze=model.get("type") == 1,
        )
    return types


def _note_types_new(connection: sqlite3.Connection) -> dict[int, _NoteType]:
    names = dict(connection.execute("SELECT id, name FROM notetypes").fetchall())
    fields: dict[int, list[str]] = {}
    for note_type, _order, name in connection.execute(
        "SELECT ntid, ord, name FROM fields ORDER BY ntid, ord"
    ):
        fields.setdefault(int(note_type), []).append(str(name))
    return {
        int(type_id): _NoteType(str(name), tuple(fields.get(int(type_id), [])), cloze=False)
        for type_id, name in names.items()
    }


def _decks_legacy(connection: sqlite3.Connection) -> dict[int, str]:
    row = connection.execute("SELECT decks FROM col").fetchone()
    decks: dict[str, Any] = json.loads(row[0]) if row and row[0] else {}
    return {int(deck_id): str(deck.get("name", "")) for deck_id, deck in decks.items()}


def _decks_new(connection: sqlite3.Connection) -> dict[int, str]:
    return {
        int(deck_id): str(name).replace("\x1f", "::")
        for deck_id, name in connection.execute("SELECT id, name FROM decks")
    }


def _main_deck(connection: sqlite3.Connection, decks: dict[int, str]) -> str:
    """The name of the deck holding most cards ("Default" only when it is the only one)."""
    counts = connection.execute(
        "SELECT did, COUNT(*) AS n FROM cards GROUP BY did ORDER BY n DESC, did"
    ).fetchall()
    names = [decks.get(int(deck_id), "") for deck_id, _count in counts]
    names = [name for name in names if name]
    preferred = [name for name in names if name != "Default"]
    return (preferred or names or [""])[0]


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
        note_type = note_types.get(int(model_id or 0), _NoteType("", (), cloze=False))
        front_index, back_index = _sides(note_type)
        front_html = fields[front_index] if front_index < len(fields) else ""
        back_html = fields[back_index] if back_index < len(fields) else ""
        if note_type.cloze or has_cloze(front_html):
            front_html, back_html = cloze_sides(front_html, back_html)
        front, back = html_to_markdown(front_html), html_to_markdown(back_html)
        key = str(guid).strip() if guid else None
        where = f"note {number}" + (f" (GUID {key!r})" if key else "")
        ok = True
        for side, text, index in (("front", front, front_index), ("back", back, back_index)):
            if not text:
                field_name = note_type.fields[index] if index < len(note_type.fields) else index + 1
                problems.append(
                    DeckProblem(0, f"{where}: the {side} (field {field_name!r}) is empty")
                )
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
