"""Fenced code blocks, read the same way by every deck module (the parser, the exporter, the
renderer): a line of three or more backticks or tildes after at most three spaces opens one; a
line of the same character, at least as long and with nothing else on it, closes it."""

from __future__ import annotations


def fence_opening(line: str) -> str:
    """The fence (`````` ``` `````` or ``~~~``, maybe longer) that ``line`` opens, or ``""``."""
    body = line.lstrip(" ")
    if len(line) - len(body) > 3 or body[:1] not in ("`", "~"):
        return ""
    run = len(body) - len(body.lstrip(body[0]))
    return body[:run] if run >= 3 else ""


def closes_fence(line: str, fence: str) -> bool:
    """True when ``line`` closes a code block opened with ``fence`` (same character, as long)."""
    run = fence_opening(line)
    return (
        bool(run)
        and run[0] == fence[0]
        and len(run) >= len(fence)
        and not line.strip().lstrip(fence[0])
    )


def code_lines(lines: list[str]) -> list[bool]:
    """For each line, whether it belongs to a fenced code block (its fences included)."""
    flags: list[bool] = []
    fence = ""
    for line in lines:
        if fence:
            flags.append(True)
            if closes_fence(line, fence):
                fence = ""
        else:
            fence = fence_opening(line)
            flags.append(bool(fence))
    return flags
