"""Convert card source text to Markdown that Streamlit renders with KaTeX.

The source text stays as it was written; this conversion is done for display only:

* ``\\[ ... \\]`` display maths becomes a ``$$`` block on its own lines (a display formula in the
  middle of a sentence or a bullet becomes inline ``$\\displaystyle ...$`` instead);
* inside maths, the ``\\\\\\\\`` line breaks that some exporters write become ``\\\\``;
* bullet lines (``  • item``) become Markdown list items.
"""

from __future__ import annotations

import re

# ``\[`` opens display maths only when its backslash is not itself escaped: in ``a \\[4pt]``
# (a line break with spacing inside ``aligned``) the ``[`` belongs to ``\\``.
_DISPLAY_MATHS = re.compile(r"(?<!\\)((?:\\\\)*)\\\[(.+?(?<!\\)(?:\\\\)*)\\\]", re.DOTALL)
_BULLET = re.compile(r"^\s*[•◦▪‣·]\s+")
_QUADRUPLE_BACKSLASH = re.compile(r"\\{4}")
_PLACEHOLDER = re.compile("\x00(\\d+)\x00")


def to_markdown(source: str) -> str:
    """Return Markdown + KaTeX for card ``source`` text (see the module docstring)."""
    formulas: list[str] = []

    def stash(match: re.Match[str]) -> str:
        formulas.append(_fix_maths(match.group(2).strip()))
        return f"{match.group(1)}\x00{len(formulas) - 1}\x00"

    text = _DISPLAY_MATHS.sub(stash, source.replace("\r\n", "\n").replace("\x00", ""))
    out: list[str] = []
    for line in text.split("\n"):
        out.extend(_convert_line(line, formulas))
    return _collapse_blank_lines("\n".join(out)).strip()


def _convert_line(line: str, formulas: list[str]) -> list[str]:
    """Convert one line whose display formulas were replaced by ``\\x00<index>\\x00``."""
    if _BULLET.match(line):
        return ["- " + _inline(_BULLET.sub("", line), formulas)]
    pieces = _PLACEHOLDER.split(line)
    texts, indices = pieces[0::2], pieces[1::2]
    if indices and not any(text.strip() for text in texts):
        blocks: list[str] = []
        for index in indices:
            blocks += ["", "$$", formulas[int(index)], "$$", ""]
        return blocks
    return [_inline(line, formulas)]


def _inline(text: str, formulas: list[str]) -> str:
    """Put display formulas that sit inside running text inline, in display style."""
    return _PLACEHOLDER.sub(
        lambda match: "$\\displaystyle " + formulas[int(match.group(1))] + "$", text
    )


def _fix_maths(formula: str) -> str:
    return _QUADRUPLE_BACKSLASH.sub(r"\\\\", formula)


def _collapse_blank_lines(text: str) -> str:
    return re.sub(r"\n{3,}", "\n\n", text)
