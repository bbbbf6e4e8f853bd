"""The gradebook's Audit log tab: every change to an assignment, newest first.

Edits, added, removed and restored problems, extensions, releases, overrides and regrades: when
(in the page's time zone), who, what, old → new and the reason given, as the services wrote them
(:attr:`~quiz.services.gradebook.Gradebook.audit`).
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from quiz.services.gradebook import AuditEntry, Gradebook
from quiz.ui.assignment_take import local_time
from quiz.ui.term_common import EMPTY

WIDTHS = {"When": 145, "Who": 70, "Action": 80, "Subject": 85, "Change": 200, "Reason": 120}
"""Column widths in pixels: the whole log fits the page's width, no column scrolled out of
sight (a long change or reason is cut; hovering over it shows it all)."""


def change_text(entry: AuditEntry) -> str:
    """``old → new``, ``old → —``, ``new`` alone, or ``—``."""
    if entry.old:
        return f"{entry.old} → {entry.new or EMPTY}"
    return entry.new or EMPTY


def audit_tab(book: Gradebook) -> None:
    """Every change to the assignment, newest first."""
    if not book.audit:
        st.caption(
            "Nothing changed yet: edits, extensions, releases, overrides and regrades are "
            "listed here."
        )
        return
    st.dataframe(
        pd.DataFrame(
            {
                "When": [local_time(entry.at) for entry in book.audit],
                "Who": [entry.actor for entry in book.audit],
                "Action": [entry.action for entry in book.audit],
                "Subject": [entry.subject or EMPTY for entry in book.audit],
                "Change": [change_text(entry) for entry in book.audit],
                "Reason": [entry.reason or EMPTY for entry in book.audit],
            }
        ),
        hide_index=True,
        width="stretch",
        column_config={
            name: st.column_config.TextColumn(width=pixels) for name, pixels in WIDTHS.items()
        },
    )
