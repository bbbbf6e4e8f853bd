"""Each layer imports only the layers below it (``docs/architecture.md``), checked on every import
— at the top of a module, inside a function, or under ``if TYPE_CHECKING:`` — and the pages reach
the database only through the services."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests.support import REPO_ROOT

LAYERS: dict[str, int] = {
    "engine": 0,
    "quiz": 1,
    "quiz.config": 1,
    "quiz.text_safety": 1,
    "quiz.vocabulary": 1,
    "quiz.grading": 2,
    "quiz.scheduling": 2,
    "quiz.store": 2,
    "quiz.exercises": 3,
    "quiz.decks": 4,
    "quiz.playground": 4,
    "quiz.services": 5,
    "quiz.runtime": 6,
    "quiz.web": 7,
    "quiz.commands": 7,
    "quiz.ui": 8,
    "quiz.cli": 8,
    "quiz.launcher": 9,
    "app": 9,
    "asgi": 9,
    "quiz.benchmarks": 10,
}
"""The layer of each unit (``engine``, a subpackage or top-level module of ``quiz``, or a root
script), lowest first: a unit may import a unit of a lower layer, never one of its own layer or a
higher one. The table mirrors the picture in docs/architecture.md."""

STORE_USERS = {"quiz.services", "quiz.runtime", "quiz.commands", "quiz.cli", "quiz.benchmarks"}
"""Who may import ``quiz.store`` (models, queries, migrations): the pages go through services."""


def unit_of(module: str) -> str | None:
    """``quiz.services.study`` → ``quiz.services``; ``engine.conv`` → ``engine``; ``None`` for a
    module of no layer (the standard library, a third-party package)."""
    parts = module.split(".")
    if parts[0] in ("engine", "app", "asgi"):
        return parts[0]
    if parts[0] != "quiz":
        return None
    return "quiz" if len(parts) == 1 else f"quiz.{parts[1]}"


def module_name(path: Path) -> str:
    """``quiz/decks/markdown.py`` → ``quiz.decks.markdown``; a package's ``__init__.py`` is the
    package."""
    parts = path.relative_to(REPO_ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_modules(source: str) -> list[tuple[int, str]]:
    """Every module ``source`` imports, anywhere in it, with the line: ``from a.b import c``
    gives ``a.b`` (and ``a.b.c``, which may be a module); relative imports are not used."""
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.lineno, node.module))
            found += [(node.lineno, f"{node.module}.{alias.name}") for alias in node.names]
    return found


def violations(module: str, source: str) -> list[str]:
    """The imports of ``module`` (its code: ``source``) that break the layering rules."""
    own = unit_of(module)
    assert own is not None and own in LAYERS, f"{module}: no layer (add its unit to LAYERS)"
    broken = []
    for line, imported in imported_modules(source):
        target = unit_of(imported)
        if target is None or target == own:
            continue
        if target not in LAYERS:
            continue  # ``from quiz.ui import text``: ``quiz.ui.text`` names a module of quiz.ui
        if LAYERS[target] >= LAYERS[own]:
            broken.append(f"{module}:{line} imports {imported} ({own} may not import {target})")
        elif target == "quiz.store" and own not in STORE_USERS:
            broken.append(f"{module}:{line} imports {imported} (only the services use the store)")
    return broken


def _sources() -> list[Path]:
    roots = [REPO_ROOT / "app.py", REPO_ROOT / "asgi.py"]
    return (
        roots
        + sorted((REPO_ROOT / "quiz").rglob("*.py"))
        + sorted((REPO_ROOT / "engine").rglob("*.py"))
    )


@pytest.mark.parametrize("path", _sources(), ids=lambda path: module_name(path))
def test_every_import_goes_down_the_layers(path: Path) -> None:
    assert violations(module_name(path), path.read_text(encoding="utf-8")) == []


@pytest.mark.parametrize(
    ("module", "source", "broken"),
    [
        # a deferred import inside a function still crosses the layers
        ("quiz.exercises.constraints", "def f():\n    from quiz.decks.model import X\n", True),
        ("quiz.decks.markdown", "from quiz.exercises.registry import FAMILIES\n", False),
        ("quiz.ui.pages.study", "from quiz.store.models import Card\n", True),
        ("quiz.ui.pages.study", "from quiz.services.study import next_card\n", False),
        ("quiz.services.study", "import quiz.ui.session\n", True),
        ("quiz.decks.export", "from quiz.playground import layer\n", True),  # same layer
        ("engine.conv", "import quiz.grading\n", True),
        ("quiz.store.models", "from quiz.vocabulary import ROLES\n", False),
        ("quiz.ui.term_settings", "if TYPE_CHECKING:\n    from quiz.store import models\n", True),
    ],
)
def test_the_rule_itself(module: str, source: str, broken: bool) -> None:
    assert bool(violations(module, source)) is broken


def test_the_layers_match_the_architecture_page() -> None:
    page = (REPO_ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    for unit in LAYERS:
        shown = unit.replace(".", "/") if unit.startswith("quiz.") else unit
        assert shown in page, f"docs/architecture.md does not place {unit}"
