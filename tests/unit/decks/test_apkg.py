"""Anki packages: decks built with genanki come back as the same cards; damaged, hostile and
newer-format packages give a clear :class:`DeckFormatError` (line 0, the file as a whole)."""

from __future__ import annotations

import io
import sqlite3
import struct
import sys
import zipfile
from collections.abc import Sequence
from pathlib import Path

import genanki
import pytest

from quiz.decks import DeckFormatError, apkg, parse_deck_file
from quiz.decks.model import ParsedCard
from quiz.decks.problems import check_deck_bytes
from quiz.decks.reader import parse_deck_bytes

BASIC = genanki.Model(
    1_607_392_319,
    "Basic",
    fields=[{"name": "Front"}, {"name": "Back"}],
    templates=[{"name": "Card 1", "qfmt": "{{Front}}", "afmt": "{{FrontSide}}<hr>{{Back}}"}],
)
REVERSED = genanki.Model(
    1_607_392_320,
    "Answer first",
    fields=[{"name": "Back"}, {"name": "Extra"}, {"name": "Front"}],
    templates=[{"name": "Card 1", "qfmt": "{{Front}}", "afmt": "{{Back}}"}],
)
NOTES = [
    (
        BASIC,
        ["What is the <b>stride</b>?", "The step.<br>\\(s \\geq 1\\)"],
        ["shapes", "cnn"],
        "g-1",
    ),
    (BASIC, ["Output size?", "\\[\\lfloor (n-k)/s \\rfloor + 1\\]"], [], "g-2"),
    (REVERSED, ["<div>max</div>", "ignored", "Max-pool keeps the?"], ["pool"], "g 3"),
    (
        genanki.CLOZE_MODEL,
        ["A {{c1::stride::step}} of {{c2::2}} halves the size.", "<i>Roughly.</i>"],
        ["cloze"],
        "g-4",
    ),
    (BASIC, ["<img src=x onerror=alert(1)>XSS?", "<script>alert(1)</script>safe"], [], "g-5"),
]
EXPECTED = [
    ParsedCard("What is the **stride**?", "The step.\n$s \\geq 1$", 1, "g-1", ("shapes", "cnn")),
    ParsedCard("Output size?", "\\[\\lfloor (n-k)/s \\rfloor + 1\\]", 2, "g-2"),
    ParsedCard("Max-pool keeps the?", "max", 3, "g 3", ("pool",)),
    ParsedCard(
        "A [step] of [...] halves the size.",
        "A **stride** of **2** halves the size.\n\n*Roughly.*",
        4,
        "g-4",
        ("cloze",),
    ),
    ParsedCard("[image: x]XSS?", "safe", 5, "g-5"),
]


def build_apkg(
    path: Path,
    notes: Sequence[tuple[genanki.Model, list[str], list[str], str]] = NOTES,
    deck_name: str = "CNN::Shapes",
) -> Path:
    deck = genanki.Deck(2_059_400_110, deck_name)
    for model, fields, tags, guid in notes:
        deck.add_note(genanki.Note(model=model, fields=fields, tags=tags, guid=guid))
    genanki.Package(deck).write_to_file(str(path), timestamp=1_700_000_000)
    return path


def zip_bytes(entries: dict[str, bytes], compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=compression) as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def collection_of(path: Path) -> bytes:
    with zipfile.ZipFile(path) as archive:
        return archive.read("collection.anki2")


def parse_error(data: bytes, filename: str = "deck.apkg") -> DeckFormatError:
    with pytest.raises(DeckFormatError) as caught:
        parse_deck_bytes(data, filename)
    assert caught.value.line == 0
    assert check_deck_bytes(data, filename)[0].message == caught.value.message
    return caught.value


@pytest.fixture(scope="module")
def package(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_apkg(tmp_path_factory.mktemp("apkg") / "cnn.apkg")


def test_a_genanki_package_comes_back_as_the_same_cards(package: Path) -> None:
    deck = parse_deck_file(package)
    assert deck.source_format == "apkg"
    assert deck.title == "CNN::Shapes"
    assert list(deck.cards) == EXPECTED
    assert check_deck_bytes(package.read_bytes(), package.name) == []


def test_any_file_name_works_for_a_zip(package: Path) -> None:
    assert parse_deck_bytes(package.read_bytes(), "upload.bin") == parse_deck_file(package)
    assert parse_deck_bytes(package.read_bytes()).cards == parse_deck_file(package).cards


def test_the_newest_collection_is_read(package: Path) -> None:
    dummy = build_apkg(
        package.parent / "dummy.apkg",
        [(BASIC, [apkg.UPDATE_NOTICE + ", then import again.", "x"], [], "dummy")],
        deck_name="Default",
    )
    data = zip_bytes(
        {"collection.anki2": collection_of(dummy), "collection.anki21": collection_of(package)}
    )
    assert list(parse_deck_bytes(data, "new.apkg").cards) == EXPECTED


def test_anki21b_is_read_with_zstandard(package: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    zstandard = pytest.importorskip("zstandard")
    dummy = build_apkg(
        package.parent / "dummy.apkg",
        [(BASIC, [apkg.UPDATE_NOTICE + ", then import again.", "x"], [], "dummy")],
        deck_name="Default",
    )
    compressed = zstandard.ZstdCompressor().compress(collection_of(package))
    data = zip_bytes(
        {"collection.anki2": collection_of(dummy), "collection.anki21b": compressed},
        zipfile.ZIP_STORED,
    )
    assert list(parse_deck_bytes(data, "new.apkg").cards) == EXPECTED

    monkeypatch.setitem(sys.modules, "zstandard", None)  # as if the package were not installed
    error = parse_error(data)
    assert "collection.anki21b" in error.message
    assert "Support older Anki versions" in error.message


def test_a_dummy_only_collection_is_explained(package: Path) -> None:
    dummy = build_apkg(
        package.parent / "dummy.apkg",
        [(BASIC, [apkg.UPDATE_NOTICE + ", then import again.", "x"], [], "dummy")],
    )
    error = parse_error(dummy.read_bytes())
    assert "Support older Anki versions" in error.message and "new format" in error.message


def test_damaged_zstandard_data() -> None:
    error = parse_error(zip_bytes({"collection.anki21b": b"\x28\xb5\x2f\xfd not really"}))
    assert "damaged" in error.message


def test_new_schema_collections_are_read(tmp_path: Path) -> None:
    """Anki 2.1.28+ keeps note types, fields and decks in tables instead of ``col`` JSON."""
    database = tmp_path / "collection.anki21"
    with sqlite3.connect(database) as connection:
        connection.executescript(
            """
            CREATE TABLE col (id integer primary key, models text, decks text);
            INSERT INTO col VALUES (1, '', '');
            CREATE TABLE notetypes (id integer primary key, name text, config blob);
            CREATE TABLE fields (ntid integer, ord integer, name text, config blob);
            CREATE TABLE decks (id integer primary key, name text);
            CREATE TABLE notes (id integer primary key, guid text, mid integer, tags text,
                                flds text);
            CREATE TABLE cards (id integer primary key, nid integer, did integer);
            INSERT INTO notetypes VALUES (7, 'Basic', x'');
            INSERT INTO fields VALUES (7, 1, 'Back', x''), (7, 0, 'Front', x'');
            INSERT INTO decks VALUES (1, 'Default'), (5, 'CNN' || char(31) || 'Pooling');
            INSERT INTO notes VALUES (10, 'n1', 7, ' pool ', 'What is pooling?' || char(31)
                                      || 'Taking the <b>max</b>.');
            INSERT INTO cards VALUES (100, 10, 5);
            """
        )
    connection.close()
    deck = parse_deck_bytes(zip_bytes({"collection.anki21": database.read_bytes()}))
    assert deck.title == "CNN::Pooling"
    assert list(deck.cards) == [
        ParsedCard("What is pooling?", "Taking the **max**.", 1, "n1", ("pool",))
    ]


def test_empty_sides_are_all_reported(tmp_path: Path) -> None:
    notes = [
        (BASIC, ["", "no front"], [], "a"),
        (BASIC, ["ok", "ok"], [], "b"),
        (BASIC, ["no back", "<br>"], [], "c"),
    ]
    data = build_apkg(tmp_path / "empty.apkg", notes).read_bytes()
    messages = [problem.message for problem in check_deck_bytes(data, "empty.apkg")]
    assert messages == [
        "note 1 (GUID 'a'): the front (field 'Front') is empty",
        "note 3 (GUID 'c'): the back (field 'Back') is empty",
    ]
    assert parse_error(data).message == messages[0]


# -- hostile and damaged archives --------------------------------------------------------------


def test_zip_bomb_is_refused_before_extraction() -> None:
    bomb = zip_bytes({"collection.anki2": bytes(4 * 2**20)})  # 4 MiB of zeros: ~4 KiB deflated
    assert len(bomb) < 100_000
    assert "zip bomb" in parse_error(bomb).message


def test_total_size_is_capped(monkeypatch: pytest.MonkeyPatch, package: Path) -> None:
    monkeypatch.setattr(apkg, "MAX_UNCOMPRESSED_BYTES", 10_000)
    error = parse_error(package.read_bytes())
    assert "refused: the package expands to" in error.message


def test_lying_sizes_in_the_central_directory(package: Path) -> None:
    """A directory that claims 1 TB for an entry is refused on its claim alone."""
    data = bytearray(package.read_bytes())
    start = data.find(b"PK\x01\x02")
    struct.pack_into("<I", data, start + 24, 0xFFFF_FFF0)
    assert "refused" in parse_error(bytes(data)).message


@pytest.mark.parametrize(
    "name", ["../evil.txt", "/etc/passwd", "C:\\windows\\x", "media/../../x", "a\\..\\b"]
)
def test_path_traversal_is_refused(name: str, package: Path) -> None:
    data = zip_bytes({"collection.anki2": collection_of(package), name: b"x"})
    error = parse_error(data)
    assert "unsafe path" in error.message and repr(name) in error.message


def test_too_many_entries(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(apkg, "MAX_ZIP_ENTRIES", 5)
    data = zip_bytes({str(index): b"" for index in range(6)})
    assert "6 entries; at most 5" in parse_error(data).message


def test_encrypted_entries_are_refused(package: Path) -> None:
    data = bytearray(package.read_bytes())
    start = data.find(b"PK\x01\x02")
    data[start + 8] |= 0x1
    assert "encrypted" in parse_error(bytes(data)).message


@pytest.mark.parametrize("fraction", [0.1, 0.5, 0.9, 0.99])
def test_truncated_packages(package: Path, fraction: float) -> None:
    data = package.read_bytes()
    parse_error(data[: int(len(data) * fraction)])


@pytest.mark.parametrize(
    ("entries", "words"),
    [
        ({"media": b"{}"}, "holds no Anki collection"),
        ({"collection.anki2": b"not sqlite at all"}, "not an SQLite database"),
        ({"collection.anki2": b"SQLite format 3\x00" + bytes(200)}, "collection"),
    ],
)
def test_packages_without_a_usable_collection(entries: dict[str, bytes], words: str) -> None:
    assert words in parse_error(zip_bytes(entries)).message


def test_collections_without_notes(tmp_path: Path) -> None:
    database = tmp_path / "c.anki2"
    with sqlite3.connect(database) as connection:
        connection.execute("CREATE TABLE other (x)")
    connection.close()
    assert (
        "no notes table"
        in parse_error(zip_bytes({"collection.anki2": database.read_bytes()})).message
    )
    empty = build_apkg(tmp_path / "empty.apkg", [])
    assert "holds no notes" in parse_error(empty.read_bytes()).message


def test_not_a_zip_with_an_apkg_name() -> None:
    error = parse_error(b"PK\x03\x04 but nothing else")
    assert "expected an Anki package" in error.message
    assert "expected an Anki package" in parse_error(b"plain text", "deck.colpkg").message


def test_file_size_limit_applies_to_packages(tmp_path: Path) -> None:
    big = tmp_path / "big.apkg"
    with big.open("wb") as handle:
        handle.truncate(20 * 2**20 + 1)
    with pytest.raises(DeckFormatError, match="limited to 20 MB"):
        parse_deck_file(big)


# -- refusals read as such; hostile collections --------------------------------------------------


def test_refusals_are_not_reported_as_damage(package: Path) -> None:
    data = zip_bytes({"collection.anki2": collection_of(package), "../evil": b"x"})
    assert parse_error(data).message.startswith("refused: the package holds an entry")
    assert parse_error(zip_bytes({"media": b"{}"})).message.startswith("this zip archive holds")


def test_the_entry_count_is_refused_before_the_list_of_entries_is_read(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The end record's count and directory size are checked without ``zipfile`` (which reads
    the whole list first: seconds and hundreds of MB for 400,000 entries)."""
    data = zip_bytes({str(index): b"" for index in range(6)})
    lying = bytearray(data)
    end = lying.rfind(b"PK\x05\x06")
    struct.pack_into("<HH", lying, end + 8, 1, 1)  # the counts say 1; the list holds 6
    monkeypatch.setattr(apkg, "MAX_ZIP_ENTRIES", 5)
    monkeypatch.setattr(apkg.zipfile, "ZipFile", None)  # never reached
    assert "6 entries; at most 5" in parse_error(data).message
    monkeypatch.setattr(apkg, "MAX_DIRECTORY_BYTES_PER_ENTRY", 40)
    message = parse_error(bytes(lying)).message
    assert "list of entries takes 282 bytes; at most 200 allowed" in message


def _collection(tmp_path: Path, script: str) -> bytes:
    database = tmp_path / "c.anki2"
    with sqlite3.connect(database) as connection:
        connection.executescript(script)
    connection.close()
    return zip_bytes({"collection.anki2": database.read_bytes()})


_COL = "CREATE TABLE col (models, decks); INSERT INTO col VALUES ('{}', '{}');"
_NOTES = "CREATE TABLE notes (id, guid, mid, tags, flds);"
_NOTE = "INSERT INTO notes VALUES (1, 'g', 1, '', 'Q' || char(31) || 'A');"
_ENDLESS = "WITH RECURSIVE r(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM r)"


@pytest.mark.parametrize(
    ("script", "words"),
    [
        (
            f"CREATE VIEW col AS {_ENDLESS} SELECT '{{}}' AS models, '{{}}' AS decks FROM r;"
            + _NOTES
            + _NOTE,
            "has no col table",
        ),
        (_COL + "CREATE VIRTUAL TABLE notes USING fts5(id, guid, mid, tags, flds);", "no notes"),
        (
            _COL + "CREATE TABLE notes (id, guid, mid, tags, x, flds AS "
            "(printf('%.*c', 9, 'x'))); INSERT INTO notes (id) VALUES (1);",
            "computed columns in its notes table",
        ),
        (_COL.replace("'{}', '{}'", "'[1]', '{}'") + _NOTES + _NOTE, "col.models is a JSON list"),
        (_COL.replace("'{}', '{}'", "'{}', '{\"1\": 5}'") + _NOTES + _NOTE, "'int' object"),
        (
            _COL.replace(
                "'{}', '{}'",
                "'{}', replace(printf('%.*c', 5000, 'x'), 'x', '[') "
                "|| replace(printf('%.*c', 5000, 'x'), 'x', ']')",
            )
            + _NOTES
            + _NOTE,
            "col.decks is nested too deeply",
        ),
        (_COL + _NOTES + _NOTE.replace("'g', 1", "'g', 9e999"), "note type is inf; expected"),
    ],
)
def test_hostile_collections_are_refused(tmp_path: Path, script: str, words: str) -> None:
    """Views, virtual tables and computed columns are not read (a view can loop forever), the
    work of the queries is bounded, and malformed values say what is wrong."""
    data = _collection(tmp_path, script)
    assert words in parse_error(data).message


def test_the_work_of_reading_a_collection_is_bounded(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A collection that needs more than MAX_QUERY_STEPS steps of SQLite's virtual machine (here
    lowered: 100,000 cards in one deck) is refused, not read for as long as it takes."""
    many_cards = _ENDLESS.replace("FROM r)", "FROM r LIMIT 100000)")
    script = (
        _COL.replace("'{}', '{}'", '\'{}\', \'{"1": {"name": "D"}}\'')
        + _NOTES
        + _NOTE
        + f"CREATE TABLE cards (nid, did); {many_cards} INSERT INTO cards SELECT x, 1 FROM r;"
    )
    data = _collection(tmp_path, script)
    assert parse_deck_bytes(data).title == "D"
    monkeypatch.setattr(apkg, "MAX_QUERY_STEPS", 100_000)
    assert "takes more than 100,000 steps of work" in parse_error(data).message


def test_a_view_named_cards_is_ignored(tmp_path: Path) -> None:
    script = _COL + _NOTES + _NOTE + f"CREATE VIEW cards AS {_ENDLESS} SELECT x AS did FROM r;"
    assert parse_deck_bytes(_collection(tmp_path, script), "named.apkg").title == "named"


def test_a_guid_or_deck_name_that_does_not_fit(tmp_path: Path) -> None:
    notes = [(BASIC, ["Q", "A"], [], "g" * 91), (BASIC, ["Q2", "A2"], [], "ok")]
    data = build_apkg(tmp_path / "long.apkg", notes, deck_name="D" * 501).read_bytes()
    assert [problem.message for problem in check_deck_bytes(data, "long.apkg")] == [
        "note 1: the GUID has 91 characters; at most 90 are allowed",
        "the deck's name has 501 characters; at most 500 are allowed",
    ]
