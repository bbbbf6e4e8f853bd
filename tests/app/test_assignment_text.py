"""An assignment's title and instructions are an instructor's text: shown through the safe
renderers (:mod:`quiz.ui.text`), so a title cannot load an outside image or become a link, and
instructions render as card text does (no outside images)."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from streamlit.testing.v1 import AppTest

from quiz.runtime import Stride
from quiz.scheduling import utc_now
from quiz.services.assignments import AssignmentSpec, ItemSpec, create_assignment
from quiz.ui.text import escape_markdown
from tests.support import REPO_ROOT

ASSIGNMENTS = "quiz/ui/pages/assignments.py"
TITLE = "![pixel](http://evil.example/t.png) [click](http://evil.example) <b>Week</b> **1**"
INSTRUCTIONS = "Show all steps. ![pixel](http://evil.example/i.png) Then $x^2$."
LIVE_IMAGE = re.compile(r"(?<!\\)!\[")
"""Image syntax a browser would fetch: ``![`` not escaped."""


@pytest.fixture
def stride() -> Iterator[Stride]:
    app = Stride.open()
    yield app
    app.close()


def test_a_hostile_title_and_instructions_are_shown_safely(stride: Stride) -> None:
    now = utc_now()
    spec = AssignmentSpec(
        title=TITLE,
        instructions=INSTRUCTIONS,
        mode="homework",
        opens_at=now,
        due_at=now.replace(year=now.year + 1),
        max_attempts=2,
        items=[ItemSpec("conv-output-size", 2)],
    )
    with stride.transaction() as session:
        assignment = create_assignment(session, stride.local_actor, spec, now)
    at = AppTest.from_file(str(REPO_ROOT / "app.py"), default_timeout=60)
    at.query_params["assignment"] = str(assignment)
    at.run()
    at.switch_page(ASSIGNMENTS).run()
    assert not at.exception
    assert [t.value for t in at.title] == [escape_markdown(TITLE)]
    shown = [m.value for m in at.markdown]
    assert not [text for text in shown if LIVE_IMAGE.search(text)]
    assert any("Show all steps." in text and "$x^2$" in text for text in shown)
