"""Headless page tests with streamlit.testing.v1.AppTest: Home and the study flow."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from quiz.config import StudySettings
from tests.support import REPO_ROOT

STUDY = "quiz/ui/pages/study.py"


@pytest.fixture
def app() -> AppTest:
    at = AppTest.from_file(str(REPO_ROOT / "app.py"), default_timeout=30)
    at.run()
    assert not at.exception
    return at


def _texts(at: AppTest) -> str:
    return "\n".join(m.value for m in at.markdown)


def _button(at: AppTest, label_start: str):  # type: ignore[no-untyped-def]
    return next(b for b in at.button if b.label.startswith(label_start))


def test_home_lists_the_seed_deck_and_the_exercises(app: AppTest) -> None:
    assert app.title[0].value == "Stride"
    limit = StudySettings().new_cards_per_day  # the built-in deck has more new items than that
    assert f"{limit} cards to study today" in [h.value for h in app.header]
    assert [m.value for m in app.metric if m.label == "New"] == [str(limit)]
    assert {m.value for m in app.metric if m.label != "New"} == {"0"}


def test_study_flow_reveal_rate_next_and_undo(app: AppTest) -> None:
    app.switch_page(STUDY).run()
    assert not app.exception
    assert "Suppose we have a $100 \\times 100$ image tensor" in _texts(app)
    assert not [b for b in app.button if b.label.startswith("Good")]

    _button(app, "Show answer").click().run()
    assert "$$\n48 \\times 48\n$$" in _texts(app)
    labels = [b.label for b in app.button if b.key and b.key.startswith("study_rate_")]
    assert labels == ["Again · 1m", "Hard · 6m", "Good · 10m", "Easy · 8d"]

    _button(app, "Good").click().run()
    assert not app.exception
    assert "“dot product”" in _texts(app)  # the second card
    assert "1 answered this session" in app.get("progress")[0].proto.text

    _button(app, "Undo").click().run()
    assert "$$\n48 \\times 48\n$$" in _texts(app)  # back to the first card, answer shown
    assert "0 answered this session" in app.get("progress")[0].proto.text


def test_all_done_state(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STRIDE_NEW_CARDS_PER_DAY", "1")
    at = AppTest.from_file(str(REPO_ROOT / "app.py"), default_timeout=30)
    at.query_params["deck"] = "1"  # the notes deck
    at.run()
    at.switch_page(STUDY).run()
    _button(at, "Show answer").click().run()
    _button(at, "Easy").click().run()
    assert not at.exception
    assert at.success[0].value == "All done for now!"
    assert any("The next card is due in" in m.value for m in at.markdown)


def test_deck_query_parameter_selects_the_deck(app: AppTest) -> None:
    app.query_params["deck"] = "1"
    app.switch_page(STUDY).run()
    assert app.selectbox[0].value == 1
    app.selectbox[0].select(0).run()
    assert not app.exception
    assert app.selectbox[0].value == 0


def test_an_exercise_item_in_the_study_queue(monkeypatch: pytest.MonkeyPatch) -> None:
    at = AppTest.from_file(str(REPO_ROOT / "app.py"), default_timeout=30)
    at.run()
    at.switch_page(STUDY).run()
    for _ in range(2):  # the deck's first two cards come before its first exercise entry
        _button(at, "Show answer").click().run()
        _button(at, "Easy").click().run()
    assert not at.exception
    assert any(c.value.startswith("Exercise ·") for c in at.caption)
    at.text_input[0].input("banana")
    _button(at, "Check").click().run()
    assert at.warning, "a format error is reported and rates nothing"
    assert "2 answered this session" in at.get("progress")[0].proto.text

    at.text_input[0].input("123456")
    _button(at, "Check").click().run()
    assert not at.exception
    assert at.error[0].value.startswith("Incorrect")
    assert any("Rated **Again**" in c.value for c in at.caption)
    assert "3 answered this session" in at.get("progress")[0].proto.text
    # the answer box is gone: the answer given and the correct one are shown side by side
    captions = [c.value for c in at.caption]
    assert "Your answer" in captions and "Correct answer" in captions
    shown = [block.value for block in at.code]
    assert shown[0] == "123456" and shown[1] not in ("", "123456")
    _button(at, "Continue").click().run()
    assert not at.exception


def test_an_answered_exercise_keeps_its_variant_on_screen() -> None:
    at = AppTest.from_file(str(REPO_ROOT / "app.py"), default_timeout=30)
    at.run()
    at.switch_page(STUDY).run()
    for _ in range(2):
        _button(at, "Show answer").click().run()
        _button(at, "Easy").click().run()
    caption = next(c.value for c in at.caption if c.value.startswith("Exercise ·"))
    prompt = at.markdown[0].value if at.markdown else ""
    at.text_input[0].input("123456")
    _button(at, "Check").click().run()
    assert not at.exception
    assert caption in [c.value for c in at.caption]  # same family, seed and difficulty
    assert prompt in [m.value for m in at.markdown]


def test_deck_in_the_url_wins_over_the_card_on_screen() -> None:
    at = AppTest.from_file(str(REPO_ROOT / "app.py"), default_timeout=30)
    at.run()
    at.switch_page(STUDY).run()
    at.query_params["deck"] = "999"  # unknown deck: ignored
    at.run()
    assert not at.exception and at.selectbox[0].value == 0


def test_the_due_counts_are_read_after_answers_not_on_every_reveal(
    app: AppTest, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The progress bar's counts (several queries) come from the session while nothing was
    answered: revealing a card does not read them again; rating and undoing do."""
    import quiz.services.study as study_service

    reads: list[int] = []
    real = study_service.due_counts

    def counting(*args, **kwargs):  # type: ignore[no-untyped-def]
        reads.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(study_service, "due_counts", counting)
    app.switch_page(STUDY).run()
    opened = len(reads)
    assert opened >= 1
    _button(app, "Show answer").click().run()
    assert len(reads) == opened
    _button(app, "Good").click().run()
    assert len(reads) == opened + 1
    assert "1 answered this session" in app.get("progress")[0].proto.text
    _button(app, "Undo").click().run()
    assert len(reads) == opened + 2
    assert "0 answered this session" in app.get("progress")[0].proto.text
