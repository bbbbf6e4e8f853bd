"""Shared by the fuzz tests (imported, not collected): structure-aware mutators, the settings,
and time limits that fail a test instead of letting a hang stall the suite.

A mutator starts from a *valid* document and damages it the ways real files get damaged:
truncated, bytes flipped or overwritten, ranges deleted or duplicated, lines deleted, duplicated,
swapped or cut, odd pieces inserted (NUL bytes, byte order marks, invalid UTF-8, huge numbers,
unicode digits, line separators), and very long lines.
"""

from __future__ import annotations

import multiprocessing
import re
import signal
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import pytest
from hypothesis import settings
from hypothesis import strategies as st

FUZZ = settings(
    max_examples=100,
    deadline=None,
    database=None,  # keep the example database out of the repository
    derandomize=True,  # the same examples, and the same run time, on every run
)
SLOW_FUZZ = settings(FUZZ, max_examples=40)  # each example builds a zip, a database, an image

# --- pieces that break parsers -----------------------------------------------------------------


class Repeated(str):
    """``head * times + tail * times``, shown as that expression in failure reports (a 100 kB
    repr helps nobody, and Hypothesis warns about it)."""

    shown: str

    def __new__(cls, head: str, times: int, tail: str = "") -> Repeated:
        value = super().__new__(cls, head * times + tail * times)
        value.shown = f"{head!r} * {times}" + (f" + {tail!r} * {times}" if tail else "")
        return value

    def __repr__(self) -> str:
        return self.shown

    def _repr_pretty_(self, printer: Any, _cycle: bool) -> None:
        printer.text(self.shown)


ODD_BYTES: list[bytes] = [
    b"\x00", b"\xff", b"\xfe\xff", b"\xff\xfe", b"\xef\xbb\xbf", b"\xc3", b"\xed\xa0\x80",
    b"\xf4\x90\x80\x80", b"\r", b"\n", b"\r\n", b"\t", b'"', b",", b";", b"9" * 30, b"-1",
    b"\xe2\x80\xa8", b"\xc2\x85", b"\x0c", b"PK\x03\x04", b"SQLite format 3\x00",
]  # fmt: skip
ODD_TEXT: list[str] = [
    "\x00", "\ufeff", "\u2028", "\u2029", "\x85", "\x0c", "\r", "\r\n", "\t", '"', ",", ";",
    "9" * 30, Repeated("9", 5000), "-1", "1e999", "-0", "nan", "inf", "٣", "𝟗", "²", "\u202e",
    "\u0301",
    "\U0001f600", "\udc80", "\ud800", "{", "}", "{#", "{.", "=", "::", "<![ ", "<!--", "<a ",
    "<br>", "{{c1::", "}}", "$$", "$", "\\[", "\\]", "\\(", "---", "## Q: ", "### A",
    "## Exercise: ", "#html:true", "#separator:tab", "Flashcards", "Proofs", "?",
]  # fmt: skip


def _short(pieces: Sequence[Any]) -> list[Any]:
    """The pieces short enough to repeat into a long line (a few kB, not megabytes)."""
    return [piece for piece in pieces if len(piece) <= 8]


def _positions(draw: st.DrawFn, size: int) -> int:
    return draw(st.integers(0, max(size - 1, 0)))


@st.composite
def mutated_bytes(
    draw: st.DrawFn, seed: bytes, *, pieces: Sequence[bytes] = ODD_BYTES, max_edits: int = 4
) -> bytes:
    """``seed`` with 1 to ``max_edits`` byte-level edits."""
    data = bytearray(seed)
    for _ in range(draw(st.integers(1, max_edits))):
        operation = draw(
            st.sampled_from(
                ["truncate", "flip", "set", "insert", "delete", "duplicate", "long", "random"]
            )
        )
        at = _positions(draw, len(data))
        if operation == "truncate":
            del data[at:]
        elif operation == "flip" and data:
            data[at] ^= 1 << draw(st.integers(0, 7))
        elif operation == "set" and data:
            data[at] = draw(st.sampled_from([0x00, 0xFF, 0x80, 0x7F, 0x0A, 0x0D, 0x22, 0x3C]))
        elif operation == "insert":
            data[at:at] = draw(st.sampled_from(pieces))
        elif operation == "delete":
            del data[at : at + draw(st.integers(1, 256))]
        elif operation == "duplicate":
            data[at:at] = data[at : at + draw(st.integers(1, 512))]
        elif operation == "long":
            data[at:at] = draw(st.sampled_from(_short(pieces))) * draw(st.integers(100, 3000))
        elif operation == "random":
            data[at:at] = draw(st.binary(min_size=1, max_size=16))
    return bytes(data)


_DIGITS = re.compile(r"\d+")


@st.composite
def mutated_lines(
    draw: st.DrawFn,
    text: str,
    *,
    pieces: Sequence[str] = ODD_TEXT,
    lines_pool: Sequence[str] = (),
    max_edits: int = 4,
) -> str:
    """``text`` with 1 to ``max_edits`` line-level edits (and sometimes other line ends)."""
    lines = text.split("\n")
    pool = [*lines_pool, *pieces]
    for _ in range(draw(st.integers(1, max_edits))):
        operation = draw(
            st.sampled_from(
                [
                    "delete", "duplicate", "swap", "insert", "cut", "numbers", "long", "piece",
                    "truncate", "blank",
                ]
            )
        )  # fmt: skip
        if not lines:
            lines = [""]
        at = _positions(draw, len(lines))
        if operation == "delete":
            del lines[at]
        elif operation == "duplicate":
            lines[at:at] = lines[at : at + draw(st.integers(1, 5))]
        elif operation == "swap":
            other = _positions(draw, len(lines))
            lines[at], lines[other] = lines[other], lines[at]
        elif operation == "insert":
            lines.insert(at, draw(st.sampled_from(pool)))
        elif operation == "cut":
            lines[at] = lines[at][: draw(st.integers(0, max(len(lines[at]) - 1, 0)))]
        elif operation == "numbers":
            huge = draw(st.sampled_from(["9" * 12, "9" * 400, "0", "-5", "٣", "1e308", "99999"]))
            lines[at] = _DIGITS.sub(huge, lines[at])
        elif operation == "long":
            lines[at] += draw(st.sampled_from(_short(pieces))) * draw(st.integers(200, 3000))
        elif operation == "piece":
            line = lines[at]
            cut = draw(st.integers(0, len(line)))
            lines[at] = line[:cut] + draw(st.sampled_from(pieces)) + line[cut:]
        elif operation == "truncate":
            del lines[at + 1 :]
        elif operation == "blank":
            lines.insert(at, "")
    newline = draw(st.sampled_from(["\n", "\n", "\n", "\r\n", "\r"]))
    return newline.join(lines)


def encode(text: str) -> bytes:
    """``text`` as UTF-8 bytes, lone surrogates and all (a file may hold anything)."""
    return text.encode("utf-8", "surrogatepass")


def line_count(data: bytes | str) -> int:
    """An upper bound on the lines of ``data`` under any line-end convention."""
    if isinstance(data, str):
        data = encode(data)
    ends = data.count(b"\n") + data.count(b"\r")
    ends += data.count("\u2028".encode()) + data.count("\u2029".encode())
    ends += data.count("\x85".encode()) + data.count(b"\x0b") + data.count(b"\x0c")
    ends += data.count(b"\x1c") + data.count(b"\x1d") + data.count(b"\x1e")
    return ends + 1


# --- time limits -------------------------------------------------------------------------------


class TimeLimitExceeded(BaseException):
    """A block ran past its time limit. A BaseException, so that product code catching
    ``Exception`` (decoders, "be safe" fallbacks) cannot swallow it."""


@contextmanager
def time_limit(seconds: float, what: str) -> Iterator[None]:
    """Fail the test when the block uses more than ``seconds`` of CPU time (or ten times that
    of wall-clock time) instead of waiting for it. CPU time, so that a loaded machine does not
    fail a test; work that is linear in its input needs a small fraction of these limits.

    Uses signals, so it interrupts Python code only (the main thread, Linux); code stuck inside
    a C call (an SQLite query) needs :func:`run_in_child`.
    """

    def expire(_signal: int, _frame: object) -> None:
        raise TimeLimitExceeded(f"{what} took more than {seconds} s")

    previous = {number: signal.signal(number, expire) for number in (_CPU, _WALL)}
    signal.setitimer(signal.ITIMER_PROF, seconds)
    signal.setitimer(signal.ITIMER_REAL, 10 * seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_PROF, 0)
        signal.setitimer(signal.ITIMER_REAL, 0)
        for number, handler in previous.items():
            signal.signal(number, handler)


_CPU, _WALL = signal.SIGPROF, signal.SIGALRM


def _child(connection: Any, function: Callable[[Any], object], argument: object) -> None:
    try:
        connection.send(("returned", repr(function(argument))[:500]))
    except BaseException as error:  # report every outcome to the parent
        connection.send((type(error).__name__, str(error)[:500]))
    finally:
        connection.close()


def run_in_child(function: Callable[[Any], object], argument: object, *, seconds: float) -> tuple:
    """``function(argument)`` in a forked process: ``("returned", repr of its value)`` or
    ``(exception type name, message)``; the test fails when it has not finished within
    ``seconds``. For code that a signal cannot interrupt, and for measuring peak memory."""
    context = multiprocessing.get_context("fork")
    receiver, sender = context.Pipe(duplex=False)
    process = context.Process(target=_child, args=(sender, function, argument), daemon=True)
    process.start()
    sender.close()
    try:
        if receiver.poll(seconds):
            return receiver.recv()
        pytest.fail(f"still running after {seconds} s (a hang): {function.__name__}")
    finally:
        if process.is_alive():
            process.kill()
        process.join()
        receiver.close()
