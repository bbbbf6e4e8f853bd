"""Warm a new server process before its first visitors: the shared :class:`Stride`, imports.

A page's first run in a new process used to cost 1.6-2.3 s: importing what the pages import
(SQLAlchemy, the services, argon2, Plotly, pandas) and opening the database. :func:`warm_up`
does that at server start (``asgi.py`` runs it in a thread from the app's lifespan, while the
first browser is still loading Streamlit's JavaScript), in two stages: the database and what
the first pages a visitor meets need (:data:`FIRST_PAGES`), at once; the other pages' modules
(Plotly's figure builders and pandas among them, ~0.6 s) :data:`LATER_S` seconds later, so they
do not compete with the first browser for the processor.
"""

from __future__ import annotations

import ast
import importlib
import time
from pathlib import Path

from quiz.ui.navigation import PAGES_DIR
from quiz.ui.state import get_stride

FIRST_PAGES = ("home", "study")
"""The pages a visitor meets first: the database and their modules are readied at once."""
FIRST_RUN_MODULES = ("numpy", "PIL.Image")
"""Imported by every page's first run in a process, not by the pages themselves:
``st.set_page_config`` converts the page icon with them (``image_to_url``)."""
LATER_S = 5.0
"""How long after the first stage the other pages' modules are imported."""


def page_imports(pages: Path, names: tuple[str, ...] | None = None) -> list[str]:
    """Every module the page scripts in ``pages`` import (only those of the pages ``names``,
    when given), in order of first mention."""
    modules: dict[str, None] = {}
    for page in sorted(pages.glob("*.py")):
        if names is not None and page.stem not in names:
            continue
        for node in ast.walk(ast.parse(page.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                modules.update(dict.fromkeys(alias.name for alias in node.names))
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                modules[node.module] = None
    return list(modules)


def warm_up(root: Path, later_s: float = LATER_S) -> float:
    """Open the shared :class:`Stride` (migrating and seeding the database) and import the
    first pages' modules; after ``later_s`` seconds, every other page's. Returns the seconds
    of work (the pause not counted). ``root`` is the project root (page paths are relative).

    """
    started = time.perf_counter()
    get_stride()
    pages = root / PAGES_DIR
    for module in (*page_imports(pages, FIRST_PAGES), *FIRST_RUN_MODULES):
        importlib.import_module(module)
    _streamlit_first_element()
    worked = time.perf_counter() - started
    time.sleep(later_s)
    started = time.perf_counter()
    for module in page_imports(pages):
        importlib.import_module(module)
    importlib.import_module("quiz.ui.charts")  # exercise views import it at their first chart
    return worked + time.perf_counter() - started


def _streamlit_first_element() -> None:
    """Do here what Streamlit does when a process draws its first element: decide once whether
    it runs in a REPL, with ``inspect.stack()`` over the drawing thread's frames — which reads
    the source of each and, the first time, resolves the path of every imported module (~60 ms
    of a cold process's first page run, measured with py-spy). In this thread the stack is
    short and nobody waits. Streamlit's flag is private: if it is gone, nothing is done."""
    delta_generator = importlib.import_module("streamlit.delta_generator")
    if hasattr(delta_generator, "_use_warning_has_been_displayed"):
        getattr(delta_generator, "_maybe_print_use_warning", lambda: None)()
