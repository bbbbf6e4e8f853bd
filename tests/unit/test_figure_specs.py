"""Every figure builder's spec: Plotly accepts it, and it draws what the validated builders drew.

The builders of ``quiz/ui/*charts.py`` write their figures as plain dicts and wrap them without
validation (:mod:`quiz.ui.figures`), so these tests are where the specs get validated:

(a) ``go.Figure(figure.to_dict())`` raises nothing: strict validation, so a misspelt property,
    a wrong value type or a numpy scalar fails here;
(b) the JSON ``st.plotly_chart`` sends equals what the builders produced when they built
    Plotly objects (``tests/data/figures/<case>.json``, saved before the rewrite).

Intended differences between the saved JSON and the new one, ignored by :func:`_comparable`:

- ``layout.template`` is not saved (the default template depends on whether Streamlit was
  imported; both kinds of figure carry the same one);
- arrays: a validated figure sends numpy arrays as typed arrays (``{"dtype", "bdata"}``), the
  specs send short lists; both are compared as nested lists of numbers (NaN as ``None``);
- empty objects: ``update_layout(xaxis_title=None)`` left ``"title": {}`` in an axis, which sets
  nothing; the specs leave the key out, so empty objects are dropped before comparing.

Regenerate the saved JSON (only when a figure is meant to change) with
``.venv/bin/python -m tests.unit.test_figure_specs``.
"""

from __future__ import annotations

import base64
import json
import math
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import plotly.graph_objects as go
import plotly.io as pio
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from quiz.exercises.families.value_families import VALUE_FAMILIES
from quiz.exercises.pictures import WindowPicture
from quiz.playground.filters import KERNELS, feature_maps
from quiz.playground.frames import animation
from quiz.playground.images import sample_image
from quiz.playground.layer import LayerConfig, compute
from quiz.services.stats import (
    DayStats,
    FamilyStats,
    ForecastDay,
    Histogram,
    Mistake,
    Retention,
    StateCounts,
    WeekAttempts,
)
from quiz.ui import gradebook_charts, playground_charts, stats_charts
from quiz.ui.charts import matrix_heatmap

FIXTURES = Path(__file__).resolve().parents[1] / "data" / "figures"

Build = Callable[[], go.Figure]


# --- representative inputs ---------------------------------------------------------------------


def _matrix_cases() -> Iterator[tuple[str, Build]]:
    square = np.arange(9, dtype=float).reshape(3, 3) - 4
    padded = np.pad(np.arange(1.0, 5.0).reshape(2, 2), 1)
    fractions = np.array([[0.5, 1 / 3, -2.25], [1.23456, 0.0, -7.0]])
    marks = np.array([[True, False, True], [False, True, True]])
    wide = np.pad(np.arange(12.0).reshape(3, 4), ((1, 1), (2, 2)))
    yield "matrix_plain", lambda: matrix_heatmap(square, "X")
    yield "matrix_one_cell", lambda: matrix_heatmap([[7.0]], "K")
    yield "matrix_int_list", lambda: matrix_heatmap([[1, 2, 3, 4]], "row")
    yield "matrix_fractions", lambda: matrix_heatmap(fractions, "Output (1/3)")
    yield (
        "matrix_padding_cell",
        lambda: matrix_heatmap(padded, "Input (padded)", padding=(1, 1), cells=[(1, 1)]),
    )
    rows_padded = np.pad(square, ((1, 1), (0, 0)))
    yield "matrix_padding_rows_only", lambda: matrix_heatmap(rows_padded, "P", padding=(1, 0))
    yield (
        "matrix_highlight_cells",
        lambda: matrix_heatmap(
            wide, "Input", padding=(1, 2), highlight=(0, 1, 3, 3), cells=[(0, 0), (2, 3), (4, 7)]
        ),
    )
    yield (
        "matrix_marks",
        lambda: matrix_heatmap(marks.astype(float), "Channel 1: ✓ right, ✗ wrong", marks=marks),
    )
    yield "matrix_all_wrong", lambda: matrix_heatmap(np.zeros((2, 2)), "M", marks=[[False] * 2] * 2)
    for family in VALUE_FAMILIES:  # the tensors the exercises draw, as the Study page cuts them
        exercise = family.generate(1, 2)
        for name, tensor in exercise.tensors.items():
            array = np.asarray(tensor, dtype=float)
            plane = array.reshape(-1, *array.shape[-2:])[0] if array.ndim >= 2 else array[None]
            yield f"tensor_{family.id}_{name}", lambda p=plane, n=name: matrix_heatmap(p, n)
        picture = exercise.picture
        if isinstance(picture, WindowPicture):  # bars and values: tests/unit/test_solution_charts
            source = np.asarray(exercise.tensors[picture.input], dtype=float)
            source = source.reshape(-1, *source.shape[-2:])[0]
            (ph, pw) = picture.padding
            output = np.asarray(picture.output, dtype=float)
            taps = [(i, j) for i in range(2) for j in range(2)]
            yield (
                f"picture_{family.id}",
                lambda s=source, ph=ph, pw=pw, t=taps: matrix_heatmap(
                    np.pad(s, ((ph, ph), (pw, pw))), "Input (padded)", cells=t, padding=(ph, pw)
                ),
            )
            yield (
                f"picture_{family.id}_output",
                lambda o=output, t=picture.output_title: matrix_heatmap(o, t, cells=[(0, 0)]),
            )


MONDAY = date(2024, 1, 29)


def _days() -> list[DayStats]:
    offsets = [0, 1, 4, 9, 17, 30, 31, 45]  # across February and into March, with gaps
    return [
        DayStats(MONDAY + timedelta(days=k), again=k % 3, hard=k % 2, good=k, easy=1 + k % 4)
        for k in offsets
    ]


def _families() -> list[FamilyStats]:
    weeks = (WeekAttempts(4, 3), WeekAttempts(), WeekAttempts(2, 2))
    mistake = Mistake("off_by_one", "forgot the +1", 2)
    return [
        FamilyStats("same-padding", "Same padding", 6, 4, weeks, (mistake,), 1, 0.8123),
        FamilyStats("conv-macs", "Conv MACs", 0, 0, (WeekAttempts(),) * 3, (), 0, None),
        FamilyStats("conv-entry", "Same padding", 3, 1, (WeekAttempts(1, 0),) * 3, (), 2, 0.05),
        FamilyStats("conv-forward", "Conv forward", 1, 1, (WeekAttempts(1, 1),) * 3, (), 0, 0.0),
    ]


def _stats_cases() -> Iterator[tuple[str, Build]]:
    days, families = _days(), _families()
    week_starts = [MONDAY + timedelta(weeks=k) for k in range(3)]
    forecast = [ForecastDay(MONDAY + timedelta(days=k), k % 2, k % 5, k // 7) for k in range(30)]
    stability = Histogram((0, 1, 2, 7, 21, 1095, math.inf), (3, 0, 2, 5, 1, 1), 12.5)
    difficulty = Histogram(tuple(float(e) for e in range(1, 11)), (0, 1, 2, 3, 4, 3, 2, 1, 0), 5)
    retrievability = Histogram((0, 0.05, 0.5, 0.9, 0.95, 1.0), (1, 0, 2, 3, 4), 0.9)
    retention = [Retention(7), Retention(30, 3, 4, 0, 0), Retention(365, 10, 12, 7, 9)]
    yield "calendar_empty", lambda: stats_charts.calendar_heatmap([])
    yield "calendar_one_day", lambda: stats_charts.calendar_heatmap([DayStats(MONDAY, good=1)])
    yield "calendar_days", lambda: stats_charts.calendar_heatmap(days)
    yield "reviews_empty", lambda: stats_charts.reviews_chart([])
    yield "reviews_days", lambda: stats_charts.reviews_chart(days)
    yield "forecast_empty", lambda: stats_charts.forecast_chart([])
    yield "forecast_days", lambda: stats_charts.forecast_chart(forecast)
    yield "states_zero", lambda: stats_charts.states_chart(StateCounts())
    yield "states_some", lambda: stats_charts.states_chart(StateCounts(12, 3, 1, 7, 20, 2))
    yield "retention_empty", lambda: stats_charts.retention_chart([])
    yield "retention_windows", lambda: stats_charts.retention_chart(retention)
    yield "histogram_stability", lambda: stats_charts.histogram_chart(stability, "Stability", "d")
    yield "histogram_difficulty", lambda: stats_charts.histogram_chart(difficulty, "Difficulty")
    yield (
        "histogram_retrievability",
        lambda: stats_charts.histogram_chart(retrievability, "Retrievability", percent=True),
    )
    yield "family_attempts_empty", lambda: stats_charts.family_attempts_chart([])
    yield "family_attempts", lambda: stats_charts.family_attempts_chart(families)
    yield "family_accuracy_empty", lambda: stats_charts.family_accuracy_chart([], week_starts)
    yield "family_accuracy", lambda: stats_charts.family_accuracy_chart(families, week_starts)
    yield "mastery_empty", lambda: stats_charts.mastery_chart([])
    yield "mastery", lambda: stats_charts.mastery_chart(families)


def _gradebook_cases() -> Iterator[tuple[str, Build]]:
    many = [float(k % 3) for k in range(40)]  # more than 10 students in a bin: automatic ticks
    # the totals histogram over 0 … max (quiz.services.gradebook.histogram_bins): a bar per
    # whole score up to 10 points, else ten equal bins; a perfect score in the last bar
    yield "totals_bins_empty", lambda: gradebook_charts.totals_histogram([], 0)
    yield "totals_bins_whole", lambda: gradebook_charts.totals_histogram([3, 7.5, 10, 0], 10)
    yield (
        "totals_bins_fractional",
        lambda: gradebook_charts.totals_histogram([0.5, 2.5, 1.25], 2.5),
    )
    yield "totals_bins_perfect", lambda: gradebook_charts.totals_histogram([0, 12.5, 25], 25)
    yield "totals_bins_many", lambda: gradebook_charts.totals_histogram(many, 10)
    yield "item_means_empty", lambda: gradebook_charts.item_means_chart([], [])
    yield (
        "item_means",
        lambda: gradebook_charts.item_means_chart(
            ["1. Conv", "2. Pool", "3. Grad"], [0.75, None, 1.0]
        ),
    )


PLAYGROUND_CONFIGS = {
    "default": LayerConfig(),
    "conv_dilated": LayerConfig("conv", 9, 6, in_channels=2, out_channels=3, kernel=3, stride=2,
                                padding=2, dilation=2),
    "max_pool": LayerConfig("max-pool", 8, 7, kernel=3, stride=2, padding=1),
    "avg_pool": LayerConfig("avg-pool", 6, 6, kernel=2, stride=2, padding=0),
    "transpose": LayerConfig("conv-transpose", 3, 4, kernel=3, stride=2, padding=1),
    "large": LayerConfig("conv", 24, 22, kernel=3, stride=2, padding=1),  # no text in cells
}  # fmt: skip


def _playground_cases() -> Iterator[tuple[str, Build]]:
    for name, config in PLAYGROUND_CONFIGS.items():
        result = compute(config)
        anim = animation(config, result)
        yield f"animation_{name}", lambda a=anim: playground_charts.animation_figure(a)
        yield f"output_{name}", lambda r=result: playground_charts.output_figure(r.plane, "O")
    image = sample_image("letter")[16:48:2, 16:48:2]  # 16×16: a small saved JSON
    stages = feature_maps(image, KERNELS["sobel-x"].values, relu=True, pool="avg")
    for index, stage in enumerate(stages):
        yield (
            f"feature_map_{index}",
            lambda s=stage: playground_charts.feature_map_figure(s.values, s.title),
        )


CASES: dict[str, Build] = dict(
    [*_matrix_cases(), *_stats_cases(), *_gradebook_cases(), *_playground_cases()]
)


# --- comparing ---------------------------------------------------------------------------------


def _sent(figure: go.Figure) -> dict[str, Any]:
    """The JSON ``st.plotly_chart`` sends for ``figure`` (it calls ``to_dict`` then this)."""
    return json.loads(pio.to_json(figure.to_dict(), validate=False))


def _comparable(spec: dict[str, Any]) -> dict[str, Any]:
    """``spec`` without its template and empty objects, typed arrays as nested lists and NaN
    as ``None``."""

    def walk(value: Any) -> Any:
        if isinstance(value, dict) and "bdata" in value:
            raw = base64.b64decode(value["bdata"])
            array = np.frombuffer(raw, dtype=np.dtype(value["dtype"]).newbyteorder("<"))
            if value.get("shape"):
                array = array.reshape([int(n) for n in str(value["shape"]).split(",")])
            return walk(array.astype(float).tolist())
        if isinstance(value, dict):
            walked = {key: walk(item) for key, item in value.items()}
            return {key: item for key, item in walked.items() if item != {}}
        if isinstance(value, list):
            return [walk(item) for item in value]
        if isinstance(value, float) and math.isnan(value):
            return None
        return value

    layout = {k: v for k, v in spec.get("layout", {}).items() if k != "template"}
    return walk({**spec, "layout": layout})


def _fixture(name: str) -> Path:
    return FIXTURES / f"{name}.json"


@pytest.mark.parametrize("name", list(CASES))
def test_plotly_accepts_the_spec(name: str) -> None:
    figure = CASES[name]()
    go.Figure(figure.to_dict())  # strict validation: raises on anything Plotly does not know


@pytest.mark.parametrize("name", list(CASES))
def test_the_figure_is_drawn_as_before(name: str) -> None:
    saved = json.loads(_fixture(name).read_text(encoding="utf-8"))
    assert _comparable(_sent(CASES[name]())) == _comparable(saved)


def test_every_saved_figure_has_a_case() -> None:
    assert sorted(path.stem for path in FIXTURES.glob("*.json")) == sorted(CASES)


def _assert_plain(spec: dict[str, Any], where: str) -> None:
    """``spec`` (its template aside) holds only dicts, lists, str, int, float, bool and None:
    no numpy scalar or array, and no NaN (JSON-able as it is)."""

    def check(value: Any, where: str) -> None:
        if isinstance(value, dict):
            for key, item in value.items():
                check(item, f"{where}.{key}")
        elif isinstance(value, list | tuple):
            for index, item in enumerate(value):
                check(item, f"{where}[{index}]")
        else:
            assert value is None or type(value) in (str, int, float, bool), (where, value)

    json.dumps(spec, allow_nan=False)
    check({k: v for k, v in spec.items() if k != "layout"}, where)
    check({k: v for k, v in spec["layout"].items() if k != "template"}, f"{where}.layout")


def test_specs_hold_no_numpy_values() -> None:
    for name, build in CASES.items():
        _assert_plain(build().to_dict(), name)


def _latex(spec: dict[str, Any]) -> list[str]:
    """Every string of ``spec`` (its template aside) that holds a backslash or a ``$``: LaTeX,
    which Plotly writes out raw in cells, hovers, titles and ticks (``\\tfrac{1}{4}``)."""

    def strings(value: Any) -> Iterator[str]:
        if isinstance(value, str):
            yield value
        elif isinstance(value, dict):
            for item in value.values():
                yield from strings(item)
        elif isinstance(value, list | tuple):
            for item in value:
                yield from strings(item)

    layout = {k: v for k, v in spec.get("layout", {}).items() if k != "template"}
    return [text for text in strings({**spec, "layout": layout}) if "\\" in text or "$" in text]


@pytest.mark.parametrize("name", list(CASES))
def test_figure_text_is_plain_not_latex(name: str) -> None:
    assert _latex(CASES[name]().to_dict()) == []


def test_heatmap_cells_write_fractions_and_negatives_as_plain_text() -> None:
    fractions = np.array([[0.5, 1 / 3, -2.25], [1.23456, 0.0, -7.0], [0.25, -1.5, 3 / 16]])
    spec = matrix_heatmap(fractions, "Gradient ∂L/∂X", cells=[(2, 0)]).to_dict()
    texts = [list(row) for row in spec["data"][0]["text"]]
    assert texts == [["1/2", "1/3", "-9/4"], ["1.235", "0", "-7"], ["1/4", "-3/2", "3/16"]]
    assert _latex(spec) == []
    avgpool = next(family for family in VALUE_FAMILIES if family.id == "avgpool-backward")
    for seed in range(20):  # its output is the forward averages: quarters and ninths
        picture = avgpool.make(seed, 2).picture
        assert isinstance(picture, WindowPicture)
        output = np.asarray(picture.output, dtype=float)
        assert _latex(matrix_heatmap(output, picture.output_title).to_dict()) == []


def test_a_long_title_is_wrapped_to_the_figures_width() -> None:
    title = "Window positions: column l of the unfolded matrix"
    short = matrix_heatmap(np.zeros((3, 3)), "Input").to_dict()["layout"]
    long = matrix_heatmap(np.zeros((3, 3)), title).to_dict()["layout"]
    lines = long["title"]["text"].split("<br>")
    assert " ".join(lines) == title and len(lines) > 1
    assert all(len(line) * 7.5 <= long["width"] - 20 for line in lines)  # none cut off
    assert long["width"] == short["width"] and "<br>" not in short["title"]["text"]
    grown = long["height"] - short["height"]
    assert grown == long["margin"]["t"] - short["margin"]["t"] > 0  # the grid keeps its size


# --- the totals histogram ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("max_total", "bars", "last"),
    [
        (25.0, 10, (22.5, 25.0)),
        (10.0, 11, (9.5, 10.5)),
        (2.5, 10, (2.25, 2.5)),
        (1.0, 2, (0.5, 1.5)),
    ],
)
def test_a_perfect_total_is_counted_in_the_last_bar(
    max_total: float, bars: int, last: tuple[float, float]
) -> None:
    figure = gradebook_charts.totals_histogram([max_total], max_total)
    go.Figure(figure.to_dict())
    (bar,) = figure.to_dict()["data"]
    assert bar["y"] == [0] * (bars - 1) + [1]  # in the last bar, not past the range
    low, high = last
    assert bar["x"][-1] == pytest.approx((low + high) / 2)
    start, end = figure.to_dict()["layout"]["xaxis"]["range"]
    assert -0.5 <= start <= 0 and end == pytest.approx(high)  # spans 0 … max


# --- matrix_heatmap over random inputs ----------------------------------------------------------


@st.composite
def _heatmap_inputs(draw: st.DrawFn) -> dict[str, Any]:
    rows, cols = draw(st.integers(1, 6)), draw(st.integers(1, 6))
    values = draw(arrays(np.float64, (rows, cols), elements=st.one_of(
        st.integers(-99, 99).map(float), st.fractions(-5, 5, max_denominator=9).map(float),
        st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False))))  # fmt: skip
    cell = st.tuples(st.integers(0, rows - 1), st.integers(0, cols - 1))
    cells = draw(st.lists(cell, max_size=4))
    if draw(st.booleans()):  # as numpy computes them: the spec must hold plain ints
        cells = [(np.int64(r), np.int64(c)) for r, c in cells]
    options: dict[str, Any] = {
        "values": values,
        "padding": (draw(st.integers(0, rows // 2)), draw(st.integers(0, cols // 2))),
        "cells": cells,
    }
    if draw(st.booleans()):
        top, left = draw(cell)
        height, width = draw(st.integers(1, rows - top)), draw(st.integers(1, cols - left))
        options["highlight"] = (top, left, height, width)
    if draw(st.booleans()):
        options["marks"] = draw(arrays(np.bool_, (rows, cols))).tolist()
    return options


@settings(max_examples=60, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow])  # fmt: skip
@given(_heatmap_inputs())
def test_matrix_heatmap_specs_validate(options: dict[str, Any]) -> None:
    values = options.pop("values")
    figure = matrix_heatmap(values, "random", **options)
    spec = figure.to_dict()
    _assert_plain(spec, "random")
    assert _latex(spec) == []  # fractions and negatives as plain text
    validated = go.Figure(spec)  # strict
    rows, cols = values.shape
    assert np.shape(spec["data"][0]["z"]) == np.shape(spec["data"][0]["text"]) == (rows, cols)
    assert validated.layout.width == max(160, 46 * cols + 60)
    pad_rows, pad_cols = options["padding"]
    border = rows * cols - max(0, rows - 2 * pad_rows) * max(0, cols - 2 * pad_cols)
    outlines = len(options["cells"]) + ("highlight" in options)
    assert len(validated.layout.shapes) == border + outlines


# --- saving the reference JSON -------------------------------------------------------------------


def main() -> None:
    """Write ``tests/data/figures/<case>.json`` from the current builders."""
    FIXTURES.mkdir(parents=True, exist_ok=True)
    for name, build in CASES.items():
        spec = json.loads(pio.to_json(build().to_dict(), validate=False))
        spec["layout"].pop("template", None)
        text = json.dumps(spec, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
        _fixture(name).write_text(text + "\n", encoding="utf-8")
    print(f"wrote {len(CASES)} figures to {FIXTURES}")


if __name__ == "__main__":
    main()
