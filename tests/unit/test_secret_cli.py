"""``stride secret rotate``: a new server secret, only when confirmed, with a clear warning."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import select

from quiz.cli import main
from quiz.runtime import Stride
from quiz.store.models import ServerSecret


class Terminal(io.StringIO):
    """Standard input that claims to be a terminal (the confirmation prompt)."""

    def isatty(self) -> bool:
        return True


@pytest.fixture
def db(stride: Stride, database_url: str, monkeypatch: pytest.MonkeyPatch) -> Stride:
    monkeypatch.setenv("STRIDE_DATABASE_URL", database_url)  # what the command opens
    monkeypatch.setattr("sys.stdin", io.StringIO(""))  # no terminal unless a test gives one
    return stride


def _secrets(stride: Stride) -> list[bytes]:
    with stride.transaction() as session:
        return [bytes(v) for v in session.scalars(select(ServerSecret.value))]


def test_rotate_with_yes_replaces_the_secret_and_warns(
    db: Stride, capsys: pytest.CaptureFixture[str]
) -> None:
    (before,) = _secrets(db)
    assert main(["secret", "rotate", "--yes"]) == 0
    out, err = capsys.readouterr()
    (after,) = _secrets(db)
    assert after != before and len(after) == 32
    assert "not answered yet" in err and "Answered problems keep their variants" in err
    assert "Restart every running Stride server" in err
    assert "rotated the server secret" in out
    assert after.hex() not in out + err and before.hex() not in out + err


def test_rotate_without_a_terminal_or_yes_changes_nothing(
    db: Stride, capsys: pytest.CaptureFixture[str]
) -> None:
    before = _secrets(db)
    assert main(["secret", "rotate"]) == 1
    assert "confirm with --yes" in capsys.readouterr().err
    assert _secrets(db) == before


@pytest.mark.parametrize(("typed", "code", "changed"), [("rotate\n", 0, True), ("y\n", 1, False)])
def test_rotate_asks_at_a_terminal(
    db: Stride,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    typed: str,
    code: int,
    changed: bool,
) -> None:
    before = _secrets(db)
    monkeypatch.setattr("sys.stdin", Terminal(typed))
    assert main(["secret", "rotate"]) == code
    assert (_secrets(db) != before) is changed
    assert "Type 'rotate' to confirm" in capsys.readouterr().out
