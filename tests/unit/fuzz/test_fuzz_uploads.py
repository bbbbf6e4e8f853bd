"""Fuzzing the deck upload path of the Decks page (:func:`preview_upload`, then
:func:`import_upload` in one transaction) and its size limits.

* The limit is enforced twice: by the server (``server.maxUploadSize`` in
  ``.streamlit/config.toml``, in MiB, applied by Streamlit to every upload request) and by Stride
  itself (:data:`quiz.decks.reader.MAX_DECK_BYTES`, for uploads, the command line and any caller
  that skips the widget). The two agree; a file of exactly the limit is read, one byte more is
  refused with a message that names the limit, and nothing is written.
* Any damaged file is either imported or refused with :class:`UploadRejectedError` -- and then
  the database is exactly as before; the preview says which it will be.
"""

from __future__ import annotations

import io
import tomllib
import zipfile
from collections.abc import Iterator
from pathlib import Path
from tempfile import TemporaryDirectory

import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from sqlalchemy import select

from quiz.config import PROJECT_ROOT, AuthSettings, StudySettings
from quiz.decks.reader import MAX_DECK_BYTES
from quiz.playground.images import MAX_UPLOAD_BYTES
from quiz.runtime import Stride
from quiz.services.deck_browser import UploadRejectedError, import_upload, preview_upload
from quiz.store.models import Card, Deck
from tests.support import NOON

from .mutations import SLOW_FUZZ, encode, mutated_bytes, time_limit
from .test_fuzz_apkg import PACKAGE
from .test_fuzz_deck_text import CSV, SMALL_MARKDOWN

pytestmark = pytest.mark.slow  # fuzzing (hypothesis, many examples)

CONFIG = PROJECT_ROOT / ".streamlit" / "config.toml"


class Server:
    """The module's database (a short repr: Hypothesis prints the arguments of a failure)."""

    def __init__(self, stride: Stride) -> None:
        self.stride = stride

    def __repr__(self) -> str:
        return "Server(<the module's database>)"


@pytest.fixture(scope="module")
def server() -> Iterator[Server]:
    """One empty database for the module, kept across tests and examples: imports accumulate
    as on a real server, and each upload compares the database before and after. (Module scope,
    so the environment fixtures do not apply: the URL and settings are given explicitly.)"""
    with TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'stride.db'}"
        stride = Stride.open(
            url, StudySettings(enable_fuzzing=False), load_builtin=False, auth=AuthSettings()
        )
        try:
            yield Server(stride)
        finally:
            stride.close()


def snapshot(app: Stride) -> tuple[list[tuple], list[tuple]]:
    with app.transaction() as session:
        decks = [
            (d.id, d.slug, d.title, d.description, d.source_name, d.updated_at)
            for d in session.scalars(select(Deck).order_by(Deck.id))
        ]
        cards = [
            (c.id, c.deck_id, c.key, c.position, c.front, c.back, c.active, c.tags, c.updated_at)
            for c in session.scalars(select(Card).order_by(Card.id))
        ]
    return decks, cards


def assert_imported_or_rejected(app: Stride, data: bytes, filename: str) -> bool:
    """Import ``data``: True when it was imported; False when it was refused with
    UploadRejectedError (a message, every problem listed) and the database is unchanged."""
    preview = preview_upload(data, filename)
    before = snapshot(app)
    try:
        with time_limit(10, f"importing {filename!r}"), app.transaction() as session:
            import_upload(session, app.local_actor, data, filename, NOON)
    except UploadRejectedError as error:
        assert "nothing was imported" in str(error) and error.problems
        assert not preview.ok, "the preview said this file would import"
        assert snapshot(app) == before, "a refused upload wrote to the database"
        return False
    assert preview.ok, f"imported a file whose preview found problems: {preview.problems}"
    return True


# --- the limits --------------------------------------------------------------------------------


def test_the_server_limit_is_set_and_agrees_with_ours() -> None:
    """``server.maxUploadSize`` is in MiB (Streamlit multiplies it by 1024 * 1024); ours is
    bytes. The config file is read because ``stride run`` starts Streamlit in the project root."""
    assert CONFIG.is_file(), "no .streamlit/config.toml: the server would allow 200 MB uploads"
    server = tomllib.loads(CONFIG.read_text(encoding="utf-8")).get("server", {})
    assert "maxUploadSize" in server, "server.maxUploadSize is not set (Streamlit's default: 200)"
    limit = server["maxUploadSize"] * 2**20
    assert limit == MAX_DECK_BYTES, (server["maxUploadSize"], MAX_DECK_BYTES)
    assert limit >= MAX_UPLOAD_BYTES  # the image uploader's own, smaller, limit is ours to check


def _package_of_size(size: int) -> bytes:
    """The fuzz package plus a stored padding member, exactly ``size`` bytes long."""

    def build(padding: int) -> bytes:
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as archive, zipfile.ZipFile(io.BytesIO(PACKAGE)) as src:
            for info in src.infolist():
                archive.writestr(info, src.read(info))
            archive.writestr("0", b"\x01" * padding)  # a media file (never read)
        return buffer.getvalue()

    overhead = len(build(0))
    data = build(size - overhead)
    assert len(data) == size
    return data


def test_an_upload_of_exactly_the_limit_is_imported(server: Server) -> None:
    assert assert_imported_or_rejected(server.stride, _package_of_size(MAX_DECK_BYTES), "full.apkg")


@pytest.mark.parametrize("filename", ["big.apkg", "big.md", "big.csv", "big.txt", "big"])
def test_an_upload_over_the_limit_is_refused_and_nothing_is_written(
    server: Server, filename: str
) -> None:
    if filename.endswith(".apkg"):
        data = _package_of_size(MAX_DECK_BYTES + 1)
    else:
        data = encode(SMALL_MARKDOWN) + b"x" * (MAX_DECK_BYTES + 1 - len(encode(SMALL_MARKDOWN)))
    preview = preview_upload(data, filename)
    assert [problem.line for problem in preview.problems] == [0]
    assert f"limited to {MAX_DECK_BYTES // 2**20} MB" in preview.problems[0].message
    assert not assert_imported_or_rejected(server.stride, data, filename)  # nothing written


# --- damaged uploads ---------------------------------------------------------------------------


@SLOW_FUZZ
@given(
    st.one_of(
        mutated_bytes(encode(SMALL_MARKDOWN)).map(lambda data: (data, "deck.md")),
        mutated_bytes(encode(CSV)).map(lambda data: (data, "deck.csv")),
        mutated_bytes(PACKAGE, max_edits=2).map(lambda data: (data, "deck.apkg")),
    )
)
def test_damaged_uploads_are_imported_or_refused_without_writing(
    server: Server, case: tuple[bytes, str]
) -> None:
    assert_imported_or_rejected(server.stride, *case)


def _markdown(title: str, key: str) -> bytes:
    return encode(f"---\ntitle: {title}\n---\n\n## Q: What is a stride? {{#{key}}}\n\nA step.\n")


@SLOW_FUZZ
@given(
    st.integers(1, 700).flatmap(lambda n: st.sampled_from(["T" * n, "é" * n, "Ab " * (n // 3)])),
    st.integers(1, 120).map(lambda n: "k" * n),
)
@example("T" * 501, "stride")
@example("Title", "k" * 91)
def test_what_the_preview_accepts_imports(server: Server, title: str, key: str) -> None:
    """BUG: the preview accepts a Markdown deck whose title has more than 500 characters, or a
    card id of more than 90 (``title: TTT...`` x 501, or ``{#kkk...}`` x 91), but
    ``import_upload`` then raises ``DeckFormatError: line 1: the title has 501 characters; at
    most 500 are allowed`` (``quiz.services.decks._check_lengths``, called by ``import_deck``)
    -- not the documented ``UploadRejectedError``, which is all the Decks page catches, so the
    page shows a traceback. Fix: check the lengths in the preview (``preview_upload`` /
    ``check_deck_bytes``, e.g. by calling ``_check_lengths`` there and listing its problem), or
    in the parsers, so that "preview OK" means "import works"."""
    if title.strip():
        assert_imported_or_rejected(server.stride, _markdown(title, key), "limits.md")
