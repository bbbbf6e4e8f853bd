"""``stride bench render``: the card renderer on hostile text, 10 kB against 100 kB.

:func:`quiz.decks.render.to_markdown` runs whenever a page shows a card, under the GIL: a step
that is quadratic in the text stalls every session of the server (a card holding ``"\\["`` 25,000
times once took 20 s to show, the whole server waiting). For each adversarial text of
:data:`ADVERSARIAL` (unclosed display maths, unclosed ``$``, runs of backslashes, nested
brackets, image syntax, code fences, nested lists...) this times the conversion of a small and a
large text (10 kB and 100 kB by default; best of 3) and prints both times, their ratio (about
10 when the work is linear, 100 when it is quadratic) and the characters the scanner examined per
character of input (:class:`quiz.decks.images.Work`; the same at both sizes when linear).

Numbers, not pass/fail: ``tests/unit/decks/test_render_linear.py`` checks the counts.
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass

from quiz.decks.images import Work
from quiz.decks.render import to_markdown

ADVERSARIAL: dict[str, str] = {
    "unclosed display maths": "\\[",
    "unmatched closers": "\\]",
    "display maths in a code fence": "```\n" + "\\[" * 8 + "\n",
    "escaped openers": "\\\\[",
    "unclosed dollars": "$",
    "dollar runs": "$$ $ ",
    "escaped dollars": "\\$",
    "backslashes": "\\",
    "nested brackets": "[[[]]]",
    "image syntax": "![a](http://host/x.png)",
    "unclosed images": "![",
    "images in maths": "$![",
    "fence lines": "```\n",
    "bullets with maths": "  • \\[x\n",
    "nested lists": "- ",
    "blank lines": "\n",
}
"""Pieces that are repeated to the size wanted (``name: piece``)."""

SMALL = 10_000
LARGE = 100_000


def adversarial_text(piece: str, size: int) -> str:
    """``piece`` repeated to about ``size`` characters."""
    return piece * max(size // len(piece), 1)


@dataclass(frozen=True)
class Row:
    """One adversarial text at both sizes: characters, best time, characters examined."""

    input: str
    small_chars: int
    small_s: float
    small_work: int
    large_chars: int
    large_s: float
    large_work: int

    @property
    def ratio(self) -> float:
        """How many times longer the large text took."""
        return self.large_s / max(self.small_s, 1e-9)


def measure(small: int = SMALL, large: int = LARGE, repeats: int = 3) -> list[Row]:
    """One row per adversarial text of :data:`ADVERSARIAL`."""
    rows: list[Row] = []
    for name, piece in ADVERSARIAL.items():
        figures: list[float] = []
        for size in (small, large):
            text = adversarial_text(piece, size)
            work = Work()
            to_markdown(text, work=work)
            best = float("inf")
            for _ in range(repeats):
                start = time.perf_counter()
                to_markdown(text)
                best = min(best, time.perf_counter() - start)
            figures += [len(text), best, work.chars]
        small_chars, small_s, small_work, large_chars, large_s, large_work = figures
        rows.append(
            Row(
                name,
                int(small_chars),
                small_s,
                int(small_work),
                int(large_chars),
                large_s,
                int(large_work),
            )
        )
    return rows


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="stride bench render",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--small", type=int, default=SMALL, help="characters of the small text")
    parser.add_argument("--large", type=int, default=LARGE, help="characters of the large text")
    parser.add_argument("--json", action="store_true", help="print JSON rows")
    args = parser.parse_args(argv)
    rows = measure(args.small, args.large)
    if args.json:
        shown = [{**asdict(row), "ratio": row.ratio} for row in rows]
        print(json.dumps({"small": args.small, "large": args.large, "rows": shown}, indent=2))
        return 0
    scale = args.large / args.small
    print(
        f"to_markdown on adversarial text, {args.small:,} vs {args.large:,} characters "
        f"(best of 3); linear: ratio about {scale:g}, quadratic: about {scale * scale:g}\n"
    )
    print(f"{'input':<30} {'small ms':>9} {'large ms':>9} {'ratio':>6} {'work/char':>10}")
    for row in rows:
        print(
            f"{row.input:<30} {row.small_s * 1e3:>9.2f} {row.large_s * 1e3:>9.2f} "
            f"{row.ratio:>6.1f} {row.large_work / row.large_chars:>10.1f}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
