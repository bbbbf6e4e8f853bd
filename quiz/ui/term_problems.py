"""The problems of an assignment, on the Settings tab: remove, restore, add.

A removed problem leaves the students' view and the totals, its submissions kept; restoring it
brings them back. Both regrade, and their note lists the totals that moved as the service's
report has them. Added problems come after the last one (students see them at once). An
assignment keeps one problem: the last one cannot be removed.
"""

from __future__ import annotations

import streamlit as st

from quiz.scheduling import utc_now
from quiz.services.access import Actor
from quiz.services.gradebook import Gradebook, number_text
from quiz.services.term_admin import add_items, remove_item, restore_item
from quiz.ui.assignment_admin import item_sources, item_specs, items_editor
from quiz.ui.term_common import act, regrade_lines
from quiz.ui.text import escape_markdown


def problems_section(actor: Actor, book: Gradebook) -> None:
    """Each problem with Remove, each removed one with Restore, then the form to add some."""
    st.header("Problems")
    last = len(book.items) == 1
    for item in book.items:
        text, button = st.columns([5, 1], vertical_alignment="center")
        text.markdown(
            f"**P{item.position}** · {escape_markdown(item.family_title)} · difficulty "
            f"{item.difficulty} · {number_text(item.points)} points · "
            f"{item.submissions} submissions"
        )
        if button.button(
            "Remove",
            key=f"gradebook_remove_{item.item_id}",
            disabled=last,
            help="An assignment keeps one problem." if last else "Its submissions are kept.",
        ):
            _remove_or_restore(actor, book, item.position, remove=True)
    for item in book.removed_items:
        text, button = st.columns([5, 1], vertical_alignment="center")
        text.markdown(
            f"~~P{item.position}~~ · {escape_markdown(item.family_title)} · removed, "
            f"{item.submissions} submissions kept"
        )
        if button.button("Restore", key=f"gradebook_restore_{item.item_id}"):
            _remove_or_restore(actor, book, item.position, remove=False)
    _add_problems(actor, book)


def _remove_or_restore(actor: Actor, book: Gradebook, position: int, *, remove: bool) -> None:
    change, done = (remove_item, "removed") if remove else (restore_item, "restored")
    act(
        lambda session: change(session, actor, book.assignment_id, position, utc_now()),
        lambda report: (f"Problem {position} {done}.", regrade_lines(report)),
        f"Problem {position} was not {done}:",
    )


def _add_problems(actor: Actor, book: Gradebook) -> None:
    """New problems after the last one (students see them at once)."""
    sources = item_sources()
    with st.form(f"gradebook_add_{book.assignment_id}", border=True):
        st.markdown("**Add problems**")
        table = items_editor(sources, f"gradebook_add_items_{book.assignment_id}")
        added = st.form_submit_button("Add problems")
    if not added:
        return
    specs = item_specs(table, sources)
    act(
        lambda session: add_items(session, actor, book.assignment_id, specs, utc_now()),
        lambda ids: (f"Added {len(ids)} problem{'s' if len(ids) != 1 else ''}.", ()),
        "No problem was added:",
    )
