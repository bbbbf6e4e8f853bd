"""Fuzzing Anki packages (``.apkg``): valid packages built in the test, then damaged and made
hostile. Every package goes through the upload path (:func:`preview_upload`) and the parser and
gives a deck or a :class:`DeckFormatError` (line 0: the file as a whole) with a message -- never
another exception, never a hang -- in bounded time and memory.

* damaged collections: the SQLite file's bytes flipped, overwritten or cut, then zipped again
  with a correct CRC, so the damage reaches SQLite (a flip in a stored zip entry only trips the
  zip's CRC check, which ``tests/unit/decks/test_formats_fuzz.py`` already covers);
* crafted collections: well-formed SQLite holding hostile values (infinite or huge numbers,
  blobs where text belongs, odd JSON in ``col.models``/``col.decks``, odd fields), in the
  legacy and the new (Anki 2.1.28+) schema;
* damaged central directories (not covered by any CRC): sizes, flags, methods, name lengths;
* zip bombs: a highly compressible large member, members claiming huge sizes, a package inside
  a package, too many members, unsafe member names, a Zstandard bomb in ``collection.anki21b``.
"""

from __future__ import annotations

import io
import json
import random
import sqlite3
import struct
import tempfile
import tracemalloc
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import genanki
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from quiz.decks import DeckFormatError, ParsedDeck, apkg
from quiz.decks.reader import parse_deck_bytes
from quiz.services.deck_browser import preview_upload

from .mutations import SLOW_FUZZ, Repeated, mutated_bytes, run_in_child, time_limit

pytestmark = pytest.mark.slow  # fuzzing (hypothesis, many examples)

PER_FILE_SECONDS = 10

# --- a valid package ---------------------------------------------------------------------------

BASIC = genanki.Model(
    1_607_392_319,
    "Basic",
    fields=[{"name": "Front"}, {"name": "Back"}],
    templates=[{"name": "Card 1", "qfmt": "{{Front}}", "afmt": "{{Back}}"}],
)


def _package() -> bytes:
    deck = genanki.Deck(2_059_400_110, "Fuzz::Packages")
    notes = [
        (BASIC, ["What is the <b>stride</b>?", "The step.<br>\\(s \\geq 1\\)"], ["a", "b"], "g1"),
        (BASIC, ["Output size?", "\\[\\lfloor (n-k)/s \\rfloor + 1\\]"], [], "g2"),
        (genanki.CLOZE_MODEL, ["A {{c1::stride::step}} of {{c2::2}}.", "<i>Extra</i>"], [], "g3"),
    ]
    for model, fields, tags, guid in notes:
        deck.add_note(genanki.Note(model=model, fields=fields, tags=tags, guid=guid))
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "fuzz.apkg"
        genanki.Package(deck).write_to_file(str(path), timestamp=1_700_000_000)
        return path.read_bytes()


PACKAGE = _package()
with zipfile.ZipFile(io.BytesIO(PACKAGE)) as _archive:
    COLLECTION = _archive.read("collection.anki2")
PAGE = int.from_bytes(COLLECTION[16:18], "big")


def zip_bytes(entries: dict[str, bytes], compression: int = zipfile.ZIP_STORED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=compression) as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def assert_deck_or_clear_error(data: bytes, filename: str = "deck.apkg") -> ParsedDeck | None:
    """Upload preview and parser agree: a deck, or a DeckFormatError about the whole file."""
    with time_limit(PER_FILE_SECONDS, f"reading a {len(data)} byte package"):
        preview = preview_upload(data, filename)
        try:
            deck = parse_deck_bytes(data, filename)
        except DeckFormatError as error:
            assert error.message.strip()
            assert error.line == 0, "a package's problems are about the file as a whole"
            deck = None
    assert preview.ok == (deck is not None), preview.problems
    assert all(problem.message.strip() for problem in preview.problems)
    if deck is not None:
        assert deck.title.strip() and deck.cards
        for card in deck.cards:
            assert card.front.strip() and card.back.strip()
    return deck


def refusal(data: bytes, filename: str = "deck.apkg") -> str:
    """The message of the DeckFormatError ``data`` must give."""
    with pytest.raises(DeckFormatError) as raised:
        parse_deck_bytes(data, filename)
    assert raised.value.line == 0 and raised.value.message
    return raised.value.message


def test_the_seed_package_is_valid() -> None:
    deck = assert_deck_or_clear_error(PACKAGE)
    assert deck is not None and len(deck.cards) == 3
    assert assert_deck_or_clear_error(zip_bytes({"collection.anki2": COLLECTION})) == deck


# --- damaged collections -----------------------------------------------------------------------


@st.composite
def damaged_collections(draw: st.DrawFn) -> bytes:
    """The collection with edits where SQLite looks: the header, page headers, anywhere."""
    data = bytearray(COLLECTION)
    for _ in range(draw(st.integers(1, 4))):
        page = draw(st.integers(0, max(len(data) // PAGE - 1, 0)))
        header = page * PAGE + (100 if page == 0 else 0)  # page 1 starts after the file header
        at = draw(
            st.one_of(
                st.integers(16, 99),  # the file header: page size, counts, schema cookie
                st.integers(header, header + 16),  # a page header: type, cells, offsets
                st.integers(0, len(data) - 1),
            )
        )
        at = min(at, len(data) - 1)
        action = draw(st.sampled_from(["flip", "set", "zero-page", "cut"]))
        if action == "flip":
            data[at] ^= 1 << draw(st.integers(0, 7))
        elif action == "set":
            data[at] = draw(st.sampled_from([0x00, 0x01, 0x7F, 0x80, 0xFF, 0x0D]))
        elif action == "zero-page":
            data[page * PAGE : (page + 1) * PAGE] = bytes(PAGE)
        else:
            del data[max(at, 100) :]
    return bytes(data)


@SLOW_FUZZ
@given(damaged_collections(), st.sampled_from(["collection.anki2", "collection.anki21"]))
def test_damaged_collections(collection: bytes, name: str) -> None:
    assert_deck_or_clear_error(zip_bytes({name: collection, "media": b"{}"}))


@SLOW_FUZZ
@given(mutated_bytes(PACKAGE, max_edits=3))
def test_damaged_packages(data: bytes) -> None:
    assert_deck_or_clear_error(data)


# --- crafted collections -----------------------------------------------------------------------

HOSTILE_VALUES = st.one_of(
    st.none(),
    st.sampled_from([0, 1, -1, 2**63 - 1, -(2**63), BASIC.model_id, 1]),
    st.sampled_from([float("inf"), float("-inf"), 1e308, 0.5, -0.0]),
    st.sampled_from(
        [
            "", "x", "1", "Front", "\x1f", "Q\x1fA", "<b>Q</b>\x1f<i>A</i>", "{{c1::x}}\x1f",
            "<![ x\x1fA", "Please update to the latest Anki version\x1fx", Repeated("9", 5000),
            "\x00", "Q\x1fA\x1fC\x1fD", "Default", "a\x1fb",
        ]
    ),
    st.sampled_from([b"", b"\xff\x1f", b"Q\x1fA", b"\x00" * 8]),
)  # fmt: skip
JSON_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**70), 2**70),
    st.sampled_from([float("inf"), float("-inf"), float("nan"), 1e300, 0.5]),
    st.text(max_size=6),
)
JSON_ANY = st.recursive(
    JSON_SCALARS,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner, max_size=3)
    ),
    max_leaves=8,
)
FIELD = st.fixed_dictionaries({}, optional={"name": JSON_ANY | st.just("Front"), "ord": JSON_ANY})
MODEL = st.fixed_dictionaries(
    {},
    optional={
        "name": JSON_ANY,
        "type": st.sampled_from([0, 1, "1", None]),
        "flds": st.lists(FIELD | JSON_ANY, max_size=3) | JSON_ANY,
    },
)
ID_KEYS = st.sampled_from([str(BASIC.model_id), "1", "-1", "x", "", "1e3", "9" * 30, " 7 "])
MODELS_JSON = st.one_of(
    st.dictionaries(ID_KEYS, MODEL | JSON_ANY, max_size=3).map(json.dumps),
    JSON_ANY.map(json.dumps),
    st.sampled_from(["", "{", "null", Repeated("[", 5000, "]"), Repeated('{"1": ', 5000)]),
)
DECKS_JSON = st.one_of(
    st.dictionaries(
        ID_KEYS, st.fixed_dictionaries({}, optional={"name": JSON_ANY}) | JSON_ANY, max_size=3
    ).map(json.dumps),
    MODELS_JSON,
)


@dataclass(frozen=True)
class Collection:
    """An SQLite collection to build: the legacy schema (note types and decks as JSON in
    ``col``) or the new one (tables ``notetypes``, ``fields``, ``decks``)."""

    new_schema: bool
    models: str
    decks: str
    notes: tuple[tuple[object, ...], ...]  # guid, mid, tags, flds
    cards: tuple[tuple[object, ...], ...]  # nid, did
    note_types: tuple[tuple[object, ...], ...] = ()  # id, name
    fields: tuple[tuple[object, ...], ...] = ()  # ntid, ord, name
    deck_rows: tuple[tuple[object, ...], ...] = ()  # id, name

    def build(self) -> bytes:
        """The collection file. Columns have no declared type, so values stay as they are."""
        tables = {
            "col": ("models", "decks"),
            "notes": ("id", "guid", "mid", "tags", "flds"),
            "cards": ("nid", "did"),
        }
        rows = {
            "col": [(str(self.models), str(self.decks))],
            "notes": [(index, *note) for index, note in enumerate(self.notes, start=1)],
            "cards": list(self.cards),
        }
        if self.new_schema:
            tables |= {"notetypes": ("id", "name"), "fields": ("ntid", "ord", "name")}
            tables["decks"] = ("id", "name")
            rows |= {"notetypes": list(self.note_types), "fields": list(self.fields)}
            rows["decks"] = list(self.deck_rows)
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "collection.db"
            connection = sqlite3.connect(path)
            with connection:
                for table, columns in tables.items():
                    connection.execute(f"CREATE TABLE {table} ({', '.join(columns)})")
                    marks = ", ".join("?" * len(columns))
                    connection.executemany(f"INSERT INTO {table} VALUES ({marks})", rows[table])
            connection.close()
            return path.read_bytes()


@st.composite
def collections(draw: st.DrawFn) -> Collection:
    new_schema = draw(st.booleans())
    notes = draw(st.lists(st.tuples(*[HOSTILE_VALUES] * 4), min_size=1, max_size=3))
    note_ids = st.integers(1, len(notes)) | HOSTILE_VALUES
    return Collection(
        new_schema=new_schema,
        models=draw(MODELS_JSON),
        decks=draw(DECKS_JSON),
        notes=tuple(notes),
        cards=tuple(draw(st.lists(st.tuples(note_ids, HOSTILE_VALUES), max_size=3))),
        note_types=tuple(draw(st.lists(st.tuples(HOSTILE_VALUES, HOSTILE_VALUES), max_size=2))),
        fields=tuple(draw(st.lists(st.tuples(*[HOSTILE_VALUES] * 3), max_size=3))),
        deck_rows=tuple(draw(st.lists(st.tuples(HOSTILE_VALUES, HOSTILE_VALUES), max_size=2))),
    )


_GOOD_NOTE = ("g", BASIC.model_id, "", "Q\x1fA")
_BASIC_MODELS = json.dumps(
    {str(BASIC.model_id): {"name": "Basic", "flds": [{"name": "Front", "ord": 0}]}}
)


@SLOW_FUZZ
@given(collections())
@example(Collection(False, "{}", "{}", (("g", float("inf"), "", "Q\x1fA"),), ()))
@example(Collection(False, "{}", "{}", (_GOOD_NOTE,), ((1, float("inf")),)))
@example(Collection(False, '{"1": {"flds": [{"ord": Infinity}]}}', "{}", (_GOOD_NOTE,), ()))
@example(Collection(False, Repeated("[", 5000, "]"), "{}", (_GOOD_NOTE,), ()))
@example(Collection(False, _BASIC_MODELS, "{}", (("g", BASIC.model_id, "", "<![ x\x1fA"),), ()))
def test_crafted_collections(collection: Collection) -> None:
    """BUG: well-formed collections holding hostile values raise other exceptions than
    DeckFormatError from ``quiz/decks/apkg.py`` (the Decks page's upload preview crashes):

    * ``OverflowError: cannot convert float infinity to integer`` for an infinite REAL
      (``9e999``) in ``notes.mid`` (``_cards``: ``int(model_id or 0)``) or ``cards.did``
      (``_main_deck``), or ``Infinity`` as a field's ``"ord"`` in ``col.models``
      (``_note_types_legacy``: ``int(field.get("ord", 0))``) -- ``_read_collection`` catches
      ValueError/TypeError/... but not OverflowError (nor ArithmeticError);
    * ``RecursionError: maximum recursion depth exceeded while decoding a JSON array`` for
      deeply nested JSON (``"[" * 5000 + "]" * 5000``) in ``col.models`` or ``col.decks``;
    * ``AssertionError: expected name token at '<![ x'`` for a note field ``<![ x`` (the HTML
      converter, see ``test_fuzz_deck_text.py::test_any_html_field_converts``).
    """
    data = zip_bytes({"collection.anki21": collection.build()})
    assert_deck_or_clear_error(data)


def _read_package(data: bytes) -> None:
    parse_deck_bytes(data, "deck.apkg")


def test_a_notes_view_cannot_hang_the_reader() -> None:
    """BUG (a hang): a collection whose ``notes`` is a VIEW over an endless recursive query --
    ``CREATE VIEW notes AS WITH RECURSIVE r(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM r)
    SELECT x AS id, 'g' || x AS guid, 1 AS mid, '' AS tags, 'Q' || char(31) || 'A' AS flds
    FROM r`` -- makes ``parse_deck_bytes`` run forever (in SQLite, inside ``SELECT COUNT(*)
    FROM notes``; a few hundred bytes upload ties up the server). The reader only checks that a
    ``notes`` name exists in ``sqlite_master``. Fix in ``quiz/decks/apkg.py``: require ``type =
    'table'`` for notes/cards/col/notetypes/fields/decks, and bound the work of every query
    (``connection.set_progress_handler`` returning non-zero after N steps, turning the
    ``OperationalError: interrupted`` into a DeckFormatError)."""
    view = (
        "CREATE TABLE col (models, decks); INSERT INTO col VALUES ('{}', '{}');"
        "CREATE VIEW notes AS WITH RECURSIVE r(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM r) "
        "SELECT x AS id, 'g' || x AS guid, 1 AS mid, '' AS tags, 'Q' || char(31) || 'A' AS flds "
        "FROM r;"
    )
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "c.db"
        with sqlite3.connect(path) as connection:
            connection.executescript(view)
        connection.close()
        data = zip_bytes({"collection.anki2": path.read_bytes()})
    outcome, message = run_in_child(_read_package, data, seconds=3)
    assert outcome == "DeckFormatError" and message, (outcome, message)


# --- damaged central directories ---------------------------------------------------------------

# Offsets in a central directory record: (field, struct format).
_DIRECTORY_FIELDS = {
    "flags": (8, "<H"),
    "method": (10, "<H"),
    "crc": (16, "<I"),
    "compressed size": (20, "<I"),
    "size": (24, "<I"),
    "name length": (28, "<H"),
    "extra length": (30, "<H"),
    "comment length": (32, "<H"),
    "local header offset": (42, "<I"),
}
_DIRECTORY_RECORDS = [i for i in range(len(PACKAGE)) if PACKAGE[i : i + 4] == b"PK\x01\x02"]
_NUMBERS = st.one_of(
    st.sampled_from([0, 1, 2, 8, 12, 14, 99, 0xFFFF, 0xFFFF_FFFF, 0xFFFF_FFF0, 2**31]),
    st.integers(0, 0xFFFF_FFFF),
)


@SLOW_FUZZ
@given(
    st.lists(
        st.tuples(st.sampled_from(sorted(_DIRECTORY_FIELDS)), _NUMBERS, st.integers(0, 1)),
        min_size=1,
        max_size=3,
    )
)
def test_damaged_central_directories(changes: list[tuple[str, int, int]]) -> None:
    data = bytearray(PACKAGE)
    records = _DIRECTORY_RECORDS
    for field, value, which in changes:
        offset, layout = _DIRECTORY_FIELDS[field]
        width = struct.calcsize(layout)
        struct.pack_into(layout, data, records[which % len(records)] + offset, value % 256**width)
    tracemalloc.start()
    try:
        assert_deck_or_clear_error(bytes(data))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 64 * 2**20, f"{peak / 2**20:.0f} MB of Python memory for a 53 kB upload"


# --- zip bombs ---------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["collection.anki2", "collection.anki21", "media", "0"])
def test_a_highly_compressible_member_is_refused_before_it_is_expanded(name: str) -> None:
    bomb = zip_bytes(
        {"collection.anki2": COLLECTION, name: bytes(32 * 2**20)}, zipfile.ZIP_DEFLATED
    )
    assert len(bomb) < 200_000
    tracemalloc.start()
    try:
        with time_limit(2, "refusing a zip bomb"):
            message = refusal(bomb)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert "zip bomb" in message
    assert peak < 8 * 2**20, f"{peak / 2**20:.0f} MB"


def test_a_large_member_under_the_ratio_is_streamed_not_loaded() -> None:
    """A 48 MB collection compressed about 30:1 passes the bomb checks; it is copied to disk in
    chunks, so Python memory stays small (SQLite then refuses it: it is not a database)."""
    chunk = random.Random(7).randbytes(2048) + bytes(2**16 - 2048)
    member = chunk * (48 * 2**20 // len(chunk))
    data = zip_bytes({"collection.anki2": member}, zipfile.ZIP_DEFLATED)
    assert len(data) * apkg.MAX_COMPRESSION_RATIO > len(member)
    tracemalloc.start()
    try:
        message = refusal(data)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert "not an SQLite database" in message
    assert peak < 16 * 2**20, f"{peak / 2**20:.0f} MB"


@SLOW_FUZZ
@given(
    st.sampled_from(["collection.anki2", "media"]),
    st.integers(2**20 + 1, 2**64 - 1) | st.sampled_from([2**32 - 1, 2**63, 10**12]),
    st.integers(0, 2**32 - 1),
)
def test_members_claiming_huge_sizes(name: str, size: int, compressed: int) -> None:
    """Zip64 records let a member claim any size (and any compressed size); a claim is refused
    or read in bounded time and memory, never trusted."""
    info = zipfile.ZipInfo(name)
    info.compress_type = zipfile.ZIP_STORED
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("collection.anki2" if name == "media" else "media", b"{}")
        archive.writestr(info, COLLECTION if name == "collection.anki2" else b"x" * 100)
    data = bytearray(buffer.getvalue())
    start = data.rfind(b"PK\x01\x02")
    extra = struct.pack("<HHQQ", 0x0001, 16, size, compressed)
    name_length, extra_length = struct.unpack_from("<HH", data, start + 28)
    assert extra_length == 0
    struct.pack_into("<II", data, start + 20, 0xFFFF_FFFF, 0xFFFF_FFFF)
    struct.pack_into("<H", data, start + 30, len(extra))
    at = start + 46 + name_length
    data[at:at] = extra
    end = data.rfind(b"PK\x05\x06")
    size_of_directory = struct.unpack_from("<I", data, end + 12)[0]
    struct.pack_into("<I", data, end + 12, size_of_directory + len(extra))
    tracemalloc.start()
    try:
        assert_deck_or_clear_error(bytes(data))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 32 * 2**20


def test_a_package_inside_a_package() -> None:
    assert "not an SQLite database" in refusal(zip_bytes({"collection.anki2": PACKAGE}))
    inner_bomb = zip_bytes({"collection.anki2": bytes(32 * 2**20)}, zipfile.ZIP_DEFLATED)
    message = refusal(zip_bytes({"collection.anki21": inner_bomb, "media": inner_bomb}))
    assert "not an SQLite database" in message


def test_too_many_members() -> None:
    entries = {f"{index}": b"" for index in range(apkg.MAX_ZIP_ENTRIES + 1)}
    entries["collection.anki2"] = COLLECTION
    data = zip_bytes(entries)
    with time_limit(3, f"refusing {len(entries)} members"):
        message = refusal(data)
    assert f"at most {apkg.MAX_ZIP_ENTRIES}" in message


def _unsafe(name: str) -> bool:
    """The rule, stated on its own: absolute, on a drive, or with a '..' component."""
    parts = PurePosixPath(name.replace("\\", "/")).parts
    drive = len(name) > 1 and name[1] == ":" and name[0].isascii() and name[0].isalpha()
    return name.startswith(("/", "\\")) or drive or ".." in parts


@SLOW_FUZZ
@given(
    st.lists(
        st.sampled_from(["..", ".", "", "a", "media", "C:", "c:", "/", "\\", "..\\", "x..y"]),
        min_size=1,
        max_size=5,
    ).map("/".join)
)
@example("../evil")
@example("/etc/passwd")
@example("C:\\windows")
@example("a\\..\\b")
def test_member_names(name: str) -> None:
    """A member with an unsafe name is refused (nothing is ever extracted by name, but such a
    package is hostile); any other name next to a valid collection leaves a valid package."""
    if name in apkg.COLLECTIONS or not name:  # zipfile itself cannot write an empty name
        return
    data = zip_bytes({"collection.anki2": COLLECTION, name: b"x"})
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        stored = archive.namelist()[-1]  # the name as the reader sees it
    deck = assert_deck_or_clear_error(data)
    assert (deck is None) == _unsafe(stored), stored
    if deck is None:
        assert "unsafe path" in refusal(data)


def test_a_zstandard_bomb_is_capped(monkeypatch: pytest.MonkeyPatch) -> None:
    zstandard = pytest.importorskip("zstandard")
    monkeypatch.setattr(apkg, "MAX_UNCOMPRESSED_BYTES", 8 * 2**20)
    compressor = zstandard.ZstdCompressor(level=1).compressobj()
    frame = b"".join(compressor.compress(bytes(2**20)) for _ in range(16)) + compressor.flush()
    assert len(frame) < 100_000
    data = zip_bytes({"collection.anki21b": frame, "collection.anki2": COLLECTION})
    tracemalloc.start()
    try:
        message = refusal(data)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert "expands past 8 MB" in message and peak < 16 * 2**20


def test_a_zstandard_frame_claiming_a_huge_size() -> None:
    pytest.importorskip("zstandard")
    # Frame header: 8-byte content size (2**62), a window descriptor; then one raw 10-byte block.
    frame = b"\x28\xb5\x2f\xfd" + b"\xc0\x00" + (2**62).to_bytes(8, "little")
    frame += ((10 << 3) | 1).to_bytes(3, "little") + b"0123456789"
    message = refusal(zip_bytes({"collection.anki21b": frame}))
    assert "damaged" in message or "not an SQLite database" in message


@SLOW_FUZZ
@given(st.binary(max_size=64))
def test_random_zstandard_data(body: bytes) -> None:
    pytest.importorskip("zstandard")
    assert_deck_or_clear_error(zip_bytes({"collection.anki21b": b"\x28\xb5\x2f\xfd" + body}))
