"""Practice draws the bars and values pictures of a worked solution, with their captions.

One problem per kind of drawing: bars on a log axis (conv-vs-dense), stacked bars
(separable-conv), bytes stacked per layer (network-memory), bars of values and parameters
(global-pooling), the matrices of im2col's product (one image, then a batch in bytes), and the
before/after maps of batch norm, forward and backward.
"""

from __future__ import annotations

import json

import pytest
from streamlit.testing.v1 import AppTest

from quiz.exercises.pictures import BarsPicture, ValuesPicture
from quiz.exercises.registry import get_family
from quiz.ui.solution_charts import bars_summary, facts_text, values_summary
from tests.support import REPO_ROOT

PRACTICE = "quiz/ui/pages/practice.py"
PROBLEMS = [
    ("conv-vs-dense", 1, 3),
    ("separable-conv", 1, 2),
    ("network-memory", 1, 3),  # a memory question: bytes
    ("global-pooling", 0, 1),
    ("batch-norm", 0, 2),
    ("batch-norm", 0, 3),  # backward
    ("im2col", 2, 1),  # the unfolded matrix's shape
    ("im2col", 4, 3),  # the unfolded batch's bytes
]


@pytest.mark.parametrize(("family_id", "seed", "difficulty"), PROBLEMS)
def test_the_worked_solution_draws_its_picture_and_says_its_numbers(
    family_id: str, seed: int, difficulty: int
) -> None:
    picture = get_family(family_id).make(seed, difficulty).picture
    at = AppTest.from_file(str(REPO_ROOT / "app.py"), default_timeout=30)
    at.query_params.update({"family": family_id, "seed": str(seed), "difficulty": str(difficulty)})
    at.run()
    at.switch_page(PRACTICE).run()
    assert not at.exception
    assert not at.get("plotly_chart"), "no picture before the solution is opened"
    next(b for b in at.button if b.label == "Worked solution").click().run()
    assert not at.exception, at.exception

    (chart,) = at.get("plotly_chart")
    spec = json.loads(chart.proto.spec)
    captions = [caption.value for caption in at.caption]
    markdown = [block.value for block in at.markdown]
    if isinstance(picture, BarsPicture):
        assert chart.key.endswith("_solution_bars")
        drawn = {value for trace in spec["data"] for value in trace["x"]}
        assert drawn, "bars with values"
        assert bars_summary(picture) in captions
        assert f"**{picture.title}**" in markdown
    else:
        assert isinstance(picture, ValuesPicture)
        assert chart.key.endswith("_solution_values")
        heatmaps = [trace for trace in spec["data"] if trace["type"] == "heatmap"]
        assert len(heatmaps) == sum(len(row) for row in picture.rows)
        asked = next(panel for row in picture.rows for panel in row if panel.asked)
        assert [list(row) for row in asked.values] in [trace["z"] for trace in heatmaps]
        assert values_summary(picture) in captions
        assert f"**{facts_text(picture)}**" in markdown
