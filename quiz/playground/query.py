"""Reading query-parameter values, which arrive as text (or lists of text) from anyone."""

from __future__ import annotations


def last(value: object) -> str | None:
    """The value as text: a list counts by its last item (a repeated parameter); ``None`` stays."""
    if value is None:
        return None
    if isinstance(value, (list, tuple)):
        return str(value[-1]) if value else None
    return str(value)


def quote(text: str, limit: int = 24) -> str:
    """``text`` in quotes for a message, cut to ``limit`` characters."""
    shown = text if len(text) <= limit else text[: limit - 1] + "…"
    return f"“{shown}”"
