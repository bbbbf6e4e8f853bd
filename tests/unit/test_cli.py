"""The ``stride`` command, run as a real subprocess."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from quiz.decks import parse_deck_file
from tests.support import REPO_ROOT, SEED_DECK, notes_text

SHARED_SEED = REPO_ROOT.parent / "shared" / "seeds" / "000_2029d4b8c1d3b780.txt"


def stride(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "quiz.cli", *args],
        capture_output=True,
        text=True,
        cwd=REPO_ROOT,
        env={**os.environ, **(env or {})},
        timeout=120,
    )


@pytest.mark.slow  # runs the stride command in new Python processes
def test_deck_parse_json_prints_the_twelve_seed_cards() -> None:
    result = stride("deck", "parse", str(SEED_DECK), "--json")
    assert result.returncode == 0, result.stderr
    deck = json.loads(result.stdout)
    assert deck["title"] == "Notes - Machine Learning MT23, Convolutional neural networks"
    assert len(deck["cards"]) == 12
    assert deck["cards"][0] == {
        "front": "Suppose we have a $100 \\times 100$ image tensor and a convolutional filter of "
        "size $5 \\times 5$ with a stride of $2$ in both directions. What is the size of the "
        "output tensor?",
        "back": "\\[48 \\times 48\\]",
    }
    assert set(deck) == {"title", "cards"}
    assert all(set(card) == {"front", "back"} for card in deck["cards"])


@pytest.mark.skipif(not SHARED_SEED.exists(), reason="../shared/seeds is not beside this checkout")
def test_the_builtin_deck_is_the_shared_seed() -> None:
    assert SEED_DECK.read_bytes() == SHARED_SEED.read_bytes()


@pytest.mark.slow  # runs the stride command in new Python processes
def test_deck_parse_does_not_touch_the_database(tmp_path: Path) -> None:
    result = stride("deck", "parse", str(SEED_DECK), env={"STRIDE_DATA_DIR": str(tmp_path)})
    assert result.returncode == 0
    assert "12 cards" in result.stdout
    assert list(tmp_path.iterdir()) == []


@pytest.mark.slow  # runs the stride command in new Python processes
def test_deck_parse_reports_file_and_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.txt"
    bad.write_text("My notes\n\nSome text but no heading\n")
    result = stride("deck", "parse", str(bad), "--json")
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr.startswith(f"{bad}:3: expected a line 'Flashcards'")


@pytest.mark.slow  # runs the stride command in new Python processes
def test_deck_import_is_idempotent_and_keeps_edits(tmp_path: Path) -> None:
    env = {"STRIDE_DATA_DIR": str(tmp_path / "data")}
    deck = tmp_path / "deck.txt"
    deck.write_text(notes_text("Mini", [("What is 1+1?", "2"), ("What is 2+2?", "4")]))
    first = stride("deck", "import", str(deck), env=env)
    assert first.returncode == 0, first.stderr
    assert 'deck "Mini" (mini) created: 2 added' in first.stdout
    second = stride("deck", "import", str(deck), env=env)
    assert (
        'deck "Mini" (mini) unchanged: 0 added, 0 updated, 2 unchanged, 0 retired' in second.stdout
    )
    deck.write_text(notes_text("Mini", [("What is 1+1?", "two"), ("What is 2+2?", "4")]))
    third = stride("deck", "import", str(deck), env=env)
    assert "1 updated, 1 unchanged" in third.stdout


@pytest.mark.slow  # runs the stride command in new Python processes
def test_deck_import_of_a_bad_file_imports_nothing(tmp_path: Path) -> None:
    env = {"STRIDE_DATA_DIR": str(tmp_path / "data")}
    bad = tmp_path / "bad.txt"
    bad.write_bytes(b"Title\n\n\nFlashcards\n\nQ caf\xe9?\n\n\nA\n")
    result = stride("deck", "import", str(bad), env=env)
    assert result.returncode == 1
    assert "expected UTF-8" in result.stderr and "nothing was imported" in result.stderr
    assert not (tmp_path / "data").exists()


@pytest.mark.slow  # runs the stride command in new Python processes
def test_db_upgrade_and_current(tmp_path: Path) -> None:
    env = {"STRIDE_DATA_DIR": str(tmp_path)}
    result = stride("db", "upgrade", env=env)
    assert result.returncode == 0
    revision = re.fullmatch(r"database at revision (\w+)\n", result.stdout)
    assert revision is not None, result.stdout
    result = stride("db", "current", env=env)
    head = revision.group(1)
    assert f"revision: {head} (newest: {head})" in result.stdout


@pytest.mark.slow  # runs the stride command in new Python processes
def test_bad_configuration_is_reported(tmp_path: Path) -> None:
    result = stride(
        "db", "upgrade", env={"STRIDE_DATA_DIR": str(tmp_path), "STRIDE_TIMEZONE": "Nowhere/Atall"}
    )
    # db upgrade does not read study settings; deck import does.
    assert result.returncode == 0
    deck = tmp_path / "d.txt"
    deck.write_text(notes_text("T", [("Q?", "A")]))
    result = stride(
        "deck",
        "import",
        str(deck),
        env={"STRIDE_DATA_DIR": str(tmp_path), "STRIDE_TIMEZONE": "Nowhere/Atall"},
    )
    assert result.returncode == 2
    assert "STRIDE_TIMEZONE='Nowhere/Atall'" in result.stderr


@pytest.mark.slow  # runs the stride command in new Python processes
@pytest.mark.parametrize(
    "command",
    [
        [],
        ["deck"],
        ["deck", "parse"],
        ["deck", "import"],
        ["deck", "check"],
        ["deck", "list"],
        ["deck", "export"],
        ["db"],
        ["db", "upgrade"],
        ["db", "current"],
        ["run"],
        ["bench"],
        ["exercise"],
        ["exercise", "list"],
        ["exercise", "generate"],
        ["exercise", "grade"],
    ],
)
def test_help_on_every_command(command: list[str]) -> None:
    result = stride(*command, "--help")
    assert result.returncode == 0
    assert "usage: stride" in result.stdout


@pytest.mark.slow  # runs the stride command in new Python processes
def test_exercise_list_generate_and_grade() -> None:
    listing = json.loads(stride("exercise", "list", "--json").stdout)
    ids = [family["id"] for family in listing]
    assert "conv-output-size" in ids
    assert all({"id", "title", "answer_kind"} <= set(family) for family in listing)

    generated = stride(
        "exercise", "generate", "conv-output-size", "--seed", "7", "--difficulty", "2", "--json"
    )
    exercise = json.loads(generated.stdout)
    assert set(exercise) == {
        "family",
        "seed",
        "difficulty",
        "prompt",
        "params",
        "answer",
        "answer_kind",
        "solution",
    }
    assert (exercise["family"], exercise["seed"], exercise["difficulty"]) == (
        "conv-output-size",
        7,
        2,
    )

    right = stride(
        "exercise",
        "grade",
        "conv-output-size",
        "--seed",
        "7",
        "--difficulty",
        "2",
        "--answer",
        exercise["answer"],
        "--json",
    )
    assert json.loads(right.stdout) == {
        "score": 1.0,
        "correct": True,
        "format_error": None,
        "feedback": "Correct.",
        "mistake": None,
    }
    wrong = json.loads(
        stride(
            "exercise",
            "grade",
            "conv-output-size",
            "--seed",
            "7",
            "--difficulty",
            "2",
            "--answer",
            "128x62x62",
            "--json",
        ).stdout
    )
    assert (wrong["correct"], wrong["mistake"]) == (False, "forgot_plus_one")
    unreadable = json.loads(
        stride(
            "exercise", "grade", "conv-output-size", "--seed", "7", "--answer", "48 by 4x", "--json"
        ).stdout
    )
    assert unreadable["format_error"] and unreadable["score"] == 0


@pytest.mark.slow  # runs the stride command in new Python processes
def test_exercise_unknown_family() -> None:
    result = stride("exercise", "generate", "no-such-family", "--seed", "1")
    assert result.returncode == 2
    assert "unknown exercise family 'no-such-family'" in result.stderr


@pytest.mark.slow  # runs the stride command in new Python processes
def test_deck_check_prints_every_problem(tmp_path: Path) -> None:
    deck = tmp_path / "two-problems.md"
    deck.write_text(
        "---\ntitle: T\n---\n\n## Q: First? {#a}\n\n\n## Q: Second? {#a}\n\nB\n\n"
        "## Exercise: no-such-family {#e}\n"
    )
    result = stride("deck", "check", str(deck))
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert len(lines) >= 2, result.stdout
    assert all(line.startswith(f"{deck}:") for line in lines)
    assert any("no-such-family" in line for line in lines)
    assert "nothing would be imported" in result.stderr


@pytest.mark.slow  # runs the stride command in new Python processes
def test_deck_check_accepts_a_good_file() -> None:
    result = stride("deck", "check", str(SEED_DECK))
    assert result.returncode == 0
    assert result.stdout.strip().endswith("OK, 12 cards (notes format)")


@pytest.mark.slow  # runs the stride command in new Python processes
def test_deck_list_and_export_round_trip(tmp_path: Path) -> None:
    env = {"STRIDE_DATA_DIR": str(tmp_path / "data")}
    listing = stride("deck", "list", env=env)
    assert "convolutional-neural-networks" in listing.stdout
    for fmt in ("md", "csv", "apkg"):
        out = tmp_path / f"cnn.{fmt}"
        result = stride(
            "deck",
            "export",
            "convolutional-neural-networks",
            "--format",
            fmt,
            "-o",
            str(out),
            env=env,
        )
        assert result.returncode == 0, result.stderr
        assert out.stat().st_size > 0
    again = stride("deck", "import", str(tmp_path / "cnn.md"), env=env)
    assert "unchanged: 0 added, 0 updated" in again.stdout and "0 retired" in again.stdout
    other = {"STRIDE_DATA_DIR": str(tmp_path / "other")}
    from_anki = stride("deck", "import", str(tmp_path / "cnn.apkg"), "--slug", "anki", env=other)
    flashcards = [
        c for c in parse_deck_file(REPO_ROOT / "data/decks/cnn.md").cards if not c.exercise
    ]
    assert f"(anki) created: {len(flashcards)} added" in from_anki.stdout  # exercises stay home
    missing = stride("deck", "export", "no-such-deck", "--format", "md", "-o", "x.md", env=env)
    assert missing.returncode == 1 and "no deck 'no-such-deck'" in missing.stderr


@pytest.mark.parametrize("dev", [False, True], ids=["production", "dev"])
def test_run_serves_asgi_with_production_settings_unless_dev(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, dev: bool
) -> None:
    """``stride run`` migrates, then becomes ``streamlit run asgi.py``; the production settings
    (no forced GC after each run, no file watcher) come from .streamlit/config.toml and
    ``--dev`` turns the watcher and rerun-on-save back on."""
    import tomllib

    from quiz import cli, launcher
    from quiz.commands import serve

    executed: list[list[str]] = []
    monkeypatch.setenv("STRIDE_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("STRIDE_DATABASE_URL", raising=False)
    monkeypatch.setattr(serve.os, "execv", lambda _exe, argv: executed.append(list(argv)))
    monkeypatch.setattr(serve.os, "chdir", lambda _path: None)
    words = ["run", "--port", "8999", *(["--dev"] if dev else []), "--server.headless", "true"]
    assert launcher.main(words) == 0  # the console script's fast path
    assert cli.main(words) == 0  # and python -m quiz.cli
    assert executed[0] == executed[1]
    argv = executed[0]
    assert argv[1:4] == ["-m", "streamlit", "run"] and argv[4] == str(REPO_ROOT / "asgi.py")
    assert argv[argv.index("--server.port") + 1] == "8999"
    assert argv[-2:] == ["--server.headless", "true"]  # passed on to streamlit
    watching = ["--server.fileWatcherType", "auto", "--server.runOnSave", "true"]
    assert (argv[-6:-2] == watching) is dev
    config = tomllib.loads((REPO_ROOT / ".streamlit" / "config.toml").read_text())
    assert config["runner"]["postScriptGC"] is False
    assert config["server"]["fileWatcherType"] == "none"
    assert config["server"]["runOnSave"] is False


def test_the_fast_run_path_loads_no_database_layer(tmp_path: Path) -> None:
    """``stride run`` goes straight to the server (quiz.launcher): importing SQLAlchemy first
    cost every cold start ~0.4 s. A bad setting is still refused there, with its name."""
    probe = (
        "import sys; from quiz import launcher; from quiz.commands import serve\n"
        "serve.os.execv = lambda *a: None\n"
        "launcher.main(['run', '--port', '8998'])\n"
        "print('sqlalchemy' in sys.modules, 'quiz.cli' in sys.modules)"
    )
    env = {**os.environ, "STRIDE_DATA_DIR": str(tmp_path)}
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, cwd=REPO_ROOT, env=env
    )
    assert result.stdout.split()[-2:] == ["False", "False"], result.stderr
    env["STRIDE_TIMEZONE"] = "Nowhere/Atall"
    result = subprocess.run(
        [sys.executable, "-m", "quiz.launcher", "run"],
        capture_output=True,
        text=True,
        cwd=REPO_ROOT,
        env=env,
        timeout=60,
    )
    assert result.returncode == 2 and "STRIDE_TIMEZONE='Nowhere/Atall'" in result.stderr
