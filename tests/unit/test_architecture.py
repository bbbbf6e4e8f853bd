"""What the layers may not import (docs/architecture.md; their order: test_layers.py), lint."""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support import REPO_ROOT


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def _python_files(folder: str) -> list[Path]:
    return sorted((REPO_ROOT / folder).rglob("*.py"))


@pytest.mark.parametrize("path", _python_files("engine"), ids=lambda p: p.name)
def test_engine_is_pure_numpy(path: Path) -> None:
    forbidden = {"streamlit", "sqlalchemy", "alembic", "quiz", "plotly", "fsrs"}
    if path.name == "bench.py":
        forbidden.discard("quiz")  # the benchmark may only be *called* by the CLI, never import it
    assert not _imports(path) & forbidden


@pytest.mark.parametrize(
    "path",
    [REPO_ROOT / "app.py", REPO_ROOT / "asgi.py", *_python_files("quiz/ui")],
    ids=lambda p: p.name,
)
def test_pages_do_no_sql(path: Path) -> None:
    assert not _imports(path) & {"sqlalchemy", "alembic", "sqlite3"}


@pytest.mark.parametrize(
    "path",
    # benchmarks may time whole pages (AppTest), like the browser benchmarks serve them
    [p for p in _python_files("quiz") if not {"ui", "benchmarks"} & set(p.parts)],
    ids=lambda p: p.name,
)
def test_domain_does_not_import_streamlit(path: Path) -> None:
    assert "streamlit" not in _imports(path)


def test_no_user_text_is_rendered_as_html() -> None:
    for path in [REPO_ROOT / "app.py", REPO_ROOT / "asgi.py", *_python_files("quiz")]:
        assert "unsafe_allow_html" not in path.read_text(encoding="utf-8"), path


def _tool(name: str) -> str | None:
    """The venv's ``name`` (ruff, mypy), beside the running Python; None if not installed."""
    return shutil.which(name, path=str(Path(sys.executable).parent))


# `make lint` and `make check` run ruff and mypy themselves and deselect these (-m "not lint");
# `make test`, so CI, runs them here, once each.
@pytest.mark.lint
@pytest.mark.skipif(_tool("ruff") is None, reason="ruff is not installed in this environment")
def test_ruff_is_clean() -> None:
    ruff = _tool("ruff")
    assert ruff is not None
    for args in (["check", "."], ["format", "--check", "."]):
        result = subprocess.run([ruff, *args], cwd=REPO_ROOT, capture_output=True, text=True)
        assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.lint
@pytest.mark.slow  # ~40 s with a cold cache (a fresh clone, as in CI), ~1 s warm
@pytest.mark.skipif(_tool("mypy") is None, reason="mypy is not installed in this environment")
def test_mypy_is_clean() -> None:
    """mypy as configured in pyproject.toml ([tool.mypy]: quiz, engine, app.py, asgi.py)."""
    mypy = _tool("mypy")
    assert mypy is not None
    result = subprocess.run([mypy], cwd=REPO_ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
