"""Warming a server process: every module the pages import, and the shared Stride, before the
first visitor (``asgi.py`` runs :func:`quiz.ui.warmup.warm_up` from its lifespan)."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

from quiz import runtime
from quiz.ui import state
from quiz.ui.warmup import page_imports, warm_up
from tests.support import REPO_ROOT

PAGES = REPO_ROOT / "quiz" / "ui" / "pages"


def test_the_first_pages_modules_are_a_subset_named_first() -> None:
    first = page_imports(PAGES, ("home", "study"))
    assert "quiz.services.study" in first and "quiz.ui.session" in first
    assert "quiz.services.stats" not in first and set(first) <= set(page_imports(PAGES))


def test_every_module_a_page_imports_is_named() -> None:
    modules = page_imports(PAGES)
    for page in PAGES.glob("*.py"):
        for node in ast.walk(ast.parse(page.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module:
                assert node.module in modules, (page.name, node.module)
    assert "pandas" in modules and "quiz.services.study" in modules
    assert len(modules) == len(set(modules))


def test_warm_up_imports_them_and_opens_the_database(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("STRIDE_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("STRIDE_DATABASE_URL", raising=False)
    monkeypatch.setattr(runtime, "_shared", {})
    seconds = warm_up(REPO_ROOT, later_s=0)
    assert seconds > 0
    assert all(module in sys.modules for module in page_imports(PAGES))
    assert "quiz.ui.charts" in sys.modules
    (stride,) = runtime._shared.values()
    assert stride is state.get_stride()  # the pages get the very same one
    assert (tmp_path / "stride.db").exists()


def test_warm_up_does_a_first_runs_one_time_work(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What every process's first page run paid before its first card, measured with py-spy on
    a cold start: the page icon's conversion imports numpy and Pillow, and Streamlit's first
    element walks ``inspect.stack()`` once. The warm-up does both first."""
    import streamlit.delta_generator as delta_generator

    monkeypatch.setenv("STRIDE_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("STRIDE_DATABASE_URL", raising=False)
    monkeypatch.setattr(runtime, "_shared", {})
    monkeypatch.setattr(delta_generator, "_use_warning_has_been_displayed", False)
    warm_up(REPO_ROOT, later_s=0)
    assert {"numpy", "PIL.Image"} <= set(sys.modules)
    assert delta_generator._use_warning_has_been_displayed
