"""The gradebook's tabs: running one assignment through a term (instructors).

* **Grades** (:mod:`quiz.ui.term_grades`, :mod:`quiz.ui.term_scoring`): what needs attention,
  students × problems, downloads, charts, common mistakes, a student's submissions, a score
  override, regrading.
* **Settings** (:mod:`quiz.ui.term_settings`, :mod:`quiz.ui.term_problems`): the assignment's
  settings as an edit form, its problems (remove, restore, add).
* **Extensions** (:mod:`quiz.ui.term_extensions`): who has one, give one, take one back.
* **Release** (:mod:`quiz.ui.term_release`): the rules in words, release now, what a student
  sees now.
* **Audit log** (:mod:`quiz.ui.term_audit`): every change, who made it, when, old → new, why.

Every number and rule comes from the services (:mod:`quiz.services.gradebook`,
:mod:`quiz.services.term_admin`), which check the role again on each call; how an action runs
and what it says afterwards is :mod:`quiz.ui.term_common`.
"""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st

from quiz.services.access import Actor
from quiz.services.gradebook import Gradebook
from quiz.ui.term_audit import audit_tab
from quiz.ui.term_extensions import extensions_tab
from quiz.ui.term_grades import grades_tab
from quiz.ui.term_release import release_tab
from quiz.ui.term_settings import settings_tab

TABS = ("Grades", "Settings", "Extensions", "Release", "Audit log")


def show_tabs(actor: Actor, book: Gradebook) -> None:
    """The five tabs; only the open one is built (each rebuilds when chosen)."""
    bodies: dict[str, Callable[[], None]] = {
        "Grades": lambda: grades_tab(actor, book),
        "Settings": lambda: settings_tab(actor, book),
        "Extensions": lambda: extensions_tab(actor, book),
        "Release": lambda: release_tab(actor, book),
        "Audit log": lambda: audit_tab(book),
    }
    for name, tab in zip(TABS, st.tabs(TABS, key="gradebook_tab", on_change="rerun"), strict=True):
        if tab.open:
            with tab:
                bodies[name]()
