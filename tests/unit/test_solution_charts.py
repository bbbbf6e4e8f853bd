"""The worked solution's bars and values figures: what they draw, checked on their specs.

The builders of :mod:`quiz.ui.solution_charts` write plain dict specs wrapped without validation
(:mod:`quiz.ui.figures`), so Plotly validates them here (``go.Figure(figure.to_dict())``, strict)
for hand-made pictures and for the families' own, and the traces are read back: bar values,
labels and texts, heatmap ``z`` and cell texts, the outlines of what the question asks.
"""

from __future__ import annotations

import json
from typing import Any

import plotly.graph_objects as go
import pytest

from quiz.exercises.latex import number, plain_number
from quiz.exercises.pictures import Bar, BarsPicture, Panel, ValuesPicture
from quiz.exercises.registry import get_family
from quiz.ui.solution_charts import (
    HIGHLIGHT,
    bars_figure,
    bars_summary,
    facts_text,
    value_text,
    values_figure,
    values_summary,
)

PICTURE_FAMILIES = ("conv-vs-dense", "separable-conv", "network-memory", "global-pooling")
BARS_PROBLEMS = [
    *((family_id, difficulty) for family_id in PICTURE_FAMILIES for difficulty in (1, 2, 3)),
    ("im2col", 1),  # im2col's d2 draws a window
    ("im2col", 3),
]

LAYERS = BarsPicture(
    title="Parameters of each layer",
    bars=(
        Bar("(a) conv", (("parameters", 2400),), note="32·3·5·5", asked=("parameters",)),
        Bar("(c) locally connected", (("parameters", 960_000),)),
        Bar("(b) fully connected", (("parameters", 22_131_200),), note="1,728·12,800 + 12,800"),
    ),
    axis="parameters",
    log_scale=True,
    caption="A caption.",
)
SEPARABLE = BarsPicture(
    title="MACs",
    bars=(
        Bar("standard", (("standard 3×3", 1_179_648),)),
        Bar(
            "separable",
            (("depthwise 3×3", 73_728), ("pointwise 1×1", 524_288)),
            asked=("depthwise 3×3", "pointwise 1×1"),
        ),
    ),
    axis="MACs",
    stacked=True,
)
ACTIVATIONS = "activations × batch 64"
MEMORY = BarsPicture(
    title="Bytes",
    bars=(
        Bar("input", ((ACTIVATIONS, 64 * 3 * 32 * 32 * 4),), (3, 32, 32), asked=(ACTIVATIONS,)),
        Bar(
            "conv1",
            ((ACTIVATIONS, 64 * 16 * 32 * 32 * 4), ("parameters", 448 * 4)),
            (16, 32, 32),
            asked=(ACTIVATIONS, "parameters"),
        ),
        Bar("pool1", ((ACTIVATIONS, 64 * 16 * 16 * 16 * 4),), (16, 16, 16), asked=(ACTIVATIONS,)),
    ),
    axis="bytes",
    unit="bytes",
    stacked=True,
)
NORMALISED = ValuesPicture(
    rows=(
        (Panel("X[0]", ((3.0, -2.0), (-2.0, 3.0))), Panel("X[1]", ((3.0, 1.0), (2.0, 0.0)))),
        (
            Panel("Y[0]", ((1.0, -1.5), (-1.5, 1.0))),
            Panel("Y[1]", ((1.0, 0.0), (0.5, -1 / 3)), asked=True),
        ),
    ),
    titles=("Input", "Output"),
    facts=(("μ", 1.0), ("σ²", 4.0), ("σ", 2.0)),
    caption="Normalised per channel.",
)


def _validated(figure: go.Figure) -> dict[str, Any]:
    """The figure's spec, after Plotly validated it strictly and it went through JSON."""
    spec = figure.to_dict()
    go.Figure(spec)  # raises on a misspelt property or a value of the wrong type
    json.dumps({k: v for k, v in spec.items() if k != "layout"}, allow_nan=False)
    return spec


def _trace(spec: dict[str, Any], name: str) -> dict[str, Any]:
    return next(trace for trace in spec["data"] if trace["name"] == name)


def test_bars_are_drawn_with_their_values_labels_and_outlines() -> None:
    spec = _validated(bars_figure(LAYERS))
    (trace,) = spec["data"]
    assert trace["type"] == "bar" and trace["orientation"] == "h"
    assert list(trace["y"]) == ["(a) conv", "(c) locally connected", "(b) fully connected"]
    assert list(trace["x"]) == [2400, 960_000, 22_131_200]
    assert list(trace["text"]) == ["2,400", "960,000", "22,131,200"]
    assert trace["marker"]["line"]["color"][0] == HIGHLIGHT  # the asked bar, outlined
    assert list(trace["marker"]["line"]["width"]) == [3, 0, 0]
    layout = spec["layout"]
    assert layout["xaxis"]["type"] == "log" and "log scale" in layout["xaxis"]["title"]["text"]
    assert layout["xaxis"]["range"][1] > 7.35  # room after the longest bar for its number
    assert layout["yaxis"]["autorange"] == "reversed"  # the first bar on top
    ticks = list(layout["yaxis"]["ticktext"])
    assert "32·3·5·5" in ticks[0] and "1,728·12,800 + 12,800" in ticks[2]
    assert not layout["showlegend"]


def test_stacked_bars_put_the_total_at_the_end() -> None:
    spec = _validated(bars_figure(SEPARABLE))
    assert spec["layout"]["barmode"] == "stack" and spec["layout"]["xaxis"]["type"] == "linear"
    assert [trace["name"] for trace in spec["data"]] == [
        "standard 3×3",
        "depthwise 3×3",
        "pointwise 1×1",
    ]
    depthwise = _trace(spec, "depthwise 3×3")
    assert list(depthwise["y"]) == ["separable"] and list(depthwise["x"]) == [73_728]
    assert list(depthwise["text"]) == ["73,728"]
    assert list(_trace(spec, "standard 3×3")["text"]) == [""]  # its total says it
    totals = {a["y"]: (a["x"], a["text"]) for a in spec["layout"]["annotations"]}
    assert totals == {"standard": (1_179_648, "1,179,648"), "separable": (598_016, "598,016")}
    assert spec["layout"]["showlegend"]
    assert spec["layout"]["xaxis"]["tickformat"] == "~s"  # 1M, not 1,000,000
    assert list(_trace(spec, "pointwise 1×1")["marker"]["line"]["width"]) == [3]


def test_bytes_are_drawn_in_a_binary_unit() -> None:
    spec = _validated(bars_figure(MEMORY))
    assert spec["layout"]["xaxis"]["title"]["text"] == "MiB"
    activations = _trace(spec, ACTIVATIONS)
    assert list(activations["x"]) == [0.75, 4.0, 1.0]  # MiB
    assert list(activations["text"]) == ["", "4.0 MiB", ""]  # one part: its total says it
    assert list(_trace(spec, "parameters")["text"]) == ["1.8 KiB"]
    totals = [a["text"] for a in spec["layout"]["annotations"]]
    assert totals == ["768.0 KiB", "4.0 MiB", "1.0 MiB"]
    assert list(activations["marker"]["line"]["width"]) == [0, 0, 0]  # a total: all asked
    ticks = list(spec["layout"]["yaxis"]["ticktext"])
    assert "3×32×32" in ticks[0] and "<b>conv1</b>" in ticks[1]
    assert value_text(1792, "bytes") == "1.8 KiB" and value_text(1792, "count") == "1,792"


def test_the_bars_summary_says_every_number() -> None:
    text = bars_summary(LAYERS)
    assert text.startswith("(a) conv: 2,400 parameters (asked); (c) locally connected: 960,000")
    assert text.endswith("22,131,200 parameters. A caption.")
    summary = bars_summary(SEPARABLE)
    assert "73,728 depthwise 3×3 + 524,288 pointwise 1×1 = 598,016 MACs (asked)" in summary
    memory = bars_summary(MEMORY)  # every bar asked (a total): nothing marked
    assert "(asked)" not in memory and memory.startswith("input (3×32×32): 786,432 bytes")
    assert "conv1 (16×32×32): 4.0 MiB activations × batch 64 + 1.8 KiB parameters" in memory
    assert "= 4,196,096 bytes (4.0 MiB)" in memory


def test_labels_are_escaped_for_plotlys_html() -> None:
    picture = BarsPicture("t", (Bar("a<b>&", (("n", 1),)),), "n")
    ticks = list(_validated(bars_figure(picture))["layout"]["yaxis"]["ticktext"])
    assert ticks == ["<b>a&lt;b&gt;&amp;</b>"]


def test_values_are_drawn_as_heatmaps_with_plain_numbers() -> None:
    spec = _validated(values_figure(NORMALISED))
    assert [trace["type"] for trace in spec["data"]] == ["heatmap"] * 4
    z = [[list(row) for row in trace["z"]] for trace in spec["data"]]
    assert z[3] == [[1.0, 0.0], [0.5, -1 / 3]]
    assert [list(row) for row in spec["data"][3]["text"]] == [["1", "0"], ["1/2", "-1/3"]]
    assert [(t["xaxis"], t["yaxis"]) for t in spec["data"]] == [
        ("x", "y"),
        ("x2", "y2"),
        ("x3", "y3"),
        ("x4", "y4"),
    ]
    assert spec["data"][0]["zmin"] == spec["data"][1]["zmin"] == -2.0  # one scale a row
    layout = spec["layout"]
    texts = [a["text"] for a in layout["annotations"]]
    assert "<b>Input</b>" in texts and "<b>Y[1]  ← asked</b>" in texts and "X[0]" in texts
    (outline,) = layout["shapes"]
    assert outline["xref"] == "x4" and outline["line"]["color"] == HIGHLIGHT
    for first, second in (("xaxis", "xaxis2"), ("yaxis", "yaxis3")):  # panels do not overlap
        a, b = layout[first]["domain"], layout[second]["domain"]
        assert a[1] <= b[0] or b[1] <= a[0]
    assert facts_text(NORMALISED) == "μ = 1 · σ² = 4 · σ = 2"
    assert values_summary(NORMALISED) == (
        "Asked, Y[1]: row 0: 1, 0; row 1: 1/2, -1/3. Normalised per channel."
    )


def test_plain_numbers() -> None:
    values = (3.0, -0.5, 3 / 16, 1 / 3, 1.23456)
    assert [plain_number(v) for v in values] == ["3", "-1/2", "3/16", "1/3", "1.235"]
    # the same numbers as the solutions' KaTeX, one fraction rule for both
    assert [number(v) for v in values] == [
        "3",
        "-\\tfrac{1}{2}",
        "\\tfrac{3}{16}",
        "\\tfrac{1}{3}",
        "1.235",
    ]


@pytest.mark.parametrize(("family_id", "difficulty"), BARS_PROBLEMS)
def test_the_families_bars_validate(family_id: str, difficulty: int) -> None:
    for seed in range(12):
        picture = get_family(family_id).make(seed, difficulty).picture
        assert isinstance(picture, BarsPicture)
        spec = _validated(bars_figure(picture))
        drawn = {
            (trace["name"], label): value
            for trace in spec["data"]
            for label, value in zip(trace["y"], trace["x"], strict=True)
        }
        scale = (
            1024 ** ["bytes", "KiB", "MiB", "GiB"].index(spec["layout"]["xaxis"]["title"]["text"])
            if picture.unit == "bytes"
            else 1
        )
        expected = {
            (name, bar.label): value / scale for bar in picture.bars for name, value in bar.parts
        }
        assert drawn == pytest.approx(expected)
        assert bars_summary(picture).endswith(picture.caption)


@pytest.mark.parametrize("difficulty", (1, 2, 3))
def test_batch_norm_values_validate(difficulty: int) -> None:
    for seed in range(12):
        picture = get_family("batch-norm").make(seed, difficulty).picture
        assert isinstance(picture, ValuesPicture)
        spec = _validated(values_figure(picture))
        panels = [panel for row in picture.rows for panel in row]
        assert [[list(r) for r in t["z"]] for t in spec["data"]] == [
            [list(r) for r in panel.values] for panel in panels
        ]
        assert len(spec["layout"].get("shapes", [])) == 1  # the asked panel, outlined
