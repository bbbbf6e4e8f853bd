"""Showing an exercise, reading its answer, and showing the grade and the worked solution.

Used by the Practice page and by the Study page for exercise items. Widget keys are prefixed with
a caller-chosen ``key`` so several views can live in one session.
"""

from __future__ import annotations

import importlib
from typing import Any

import numpy as np
import streamlit as st

from quiz.exercises import latex
from quiz.exercises.base import Exercise, WindowPicture
from quiz.exercises.families.tensors import INDEX_BASE
from quiz.grading import AnswerKind, Grade, describe_expected
from quiz.ui.playground_link import show_playground_link
from quiz.ui.text import escape_markdown

PLOTLY_CONFIG = {"displayModeBar": False, "staticPlot": False}
TEXT_MODE_HELP = (
    "Text is the same answer typed as rows of numbers (a blank line between channels): it works "
    "with a screen reader and the keyboard alone."
)
HEATMAPS_ALTERNATIVE = (
    "Each heatmap draws a tensor of the problem above, with the same numbers written in its "
    "cells; the problem's text gives them too."
)
GRID_ALTERNATIVE = (
    "Using a screen reader? The grid is drawn on a canvas it cannot read: choose **Text** above "
    "to type the same answer as rows of numbers."
)


def matrix_heatmap(*args: Any, **kwargs: Any) -> Any:
    """:func:`quiz.ui.charts.matrix_heatmap`, imported at the first heatmap drawn.

    The charts bring Plotly and pandas (~0.6 s to import); a flashcard never needs them, so the
    Study page's first run in a new server process does not wait for them (the server's warm-up
    imports them a little later, see :mod:`quiz.ui.warmup`)."""
    charts = importlib.import_module("quiz.ui.charts")
    return charts.matrix_heatmap(*args, **kwargs)


def show_prompt(exercise: Exercise, key: str) -> None:
    """The prompt (Markdown + KaTeX) and, in an expander, every tensor it uses as a heatmap.

    The heatmaps are built only while the expander is open (a lazy expander: opening it reruns
    the page or fragment), since building them was most of a page run's cost. ``key`` names the
    expander and prefixes the heatmaps' keys: one per item on screen, not per exercise
    (:func:`quiz.ui.state.widget_slot`), and never an assignment variant's seed, since widget
    keys reach the browser."""
    st.markdown(exercise.prompt)
    if not exercise.tensors:
        return
    heatmaps = st.expander("Tensors as heatmaps", key=key, on_change="rerun")
    if not heatmaps.open:
        return
    with heatmaps:
        st.caption(INDEX_BASE)
        for name, values in exercise.tensors.items():
            array = np.asarray(values, dtype=float)
            for label, plane in _planes(name, array):
                st.plotly_chart(
                    matrix_heatmap(plane, label),
                    config=PLOTLY_CONFIG,
                    width="content",
                    key=f"{key}_{label}",
                )
        st.caption(HEATMAPS_ALTERNATIVE)


def answer_mode(exercise: Exercise, key: str) -> str:
    """For matrix and tensor answers, "Grid" or "Text" (put this outside the answer form)."""
    if exercise.answer_kind not in (AnswerKind.MATRIX, AnswerKind.TENSOR):
        return "Text"
    mode = st.segmented_control(
        "Enter the answer as",
        ["Grid", "Text"],
        default="Grid",
        key=f"{key}_mode",
        help=TEXT_MODE_HELP,
    )
    return mode or "Grid"


def answer_input(exercise: Exercise, key: str, mode: str = "Grid") -> str:
    """An input that fits the answer kind; returns the answer as text for ``quiz.grading``.

    Numbers and shapes use a text box. Matrices and tensors use an editable grid of the right
    size (one per channel) or, in ``"Text"`` mode (see :func:`answer_mode`), a text area: rows
    on lines, a blank line between channels.
    """
    kind = exercise.answer_kind
    help_text = describe_expected(kind)
    if kind in (AnswerKind.NUMBER, AnswerKind.SHAPE):
        return st.text_input(
            "Your answer", key=f"{key}_text", placeholder=help_text, help=help_text
        )
    expected = np.asarray(exercise.expected, dtype=float)
    if mode == "Text":
        return st.text_area(
            "Your answer",
            key=f"{key}_textarea",
            help=help_text,
            placeholder="1 2 3\n4 5 6" if kind == AnswerKind.MATRIX else "1 2\n3 4\n\n5 6\n7 8",
        )
    planes = [expected] if expected.ndim == 2 else list(expected)
    texts = []
    columns = st.columns(min(len(planes), 3))
    for index, plane in enumerate(planes):
        cols = plane.shape[1]
        with columns[index % len(columns)]:
            label = "Your answer" if len(planes) == 1 else f"Channel {index}"
            grid = st.data_editor(
                np.full(plane.shape, np.nan),
                key=f"{key}_grid_{index}",
                hide_index=False,
                num_rows="fixed",
                column_config={  # headers: row and column numbers (a screen reader's too)
                    "_index": st.column_config.NumberColumn("row"),
                    **{str(c): st.column_config.NumberColumn(str(c)) for c in range(cols)},
                },
            )
            st.caption(label)
            texts.append(_grid_text(np.asarray(grid, dtype=float)))
    st.caption(GRID_ALTERNATIVE)
    if all(not text for text in texts):
        return ""
    return "\n\n".join(texts)


def show_grade(
    grade: Grade,
    exercise: Exercise,
    key: str,
    *,
    answer: str | None = None,
    show_expected: bool = False,
) -> None:
    """Verdict, score, the targeted feedback, and per-cell marks (per channel for tensors).

    ``answer`` (the text that was graded) is shown beside the marks when the answer box is gone
    (Study); ``show_expected`` adds the correct answer next to it (not in an assignment, whose
    answers are released by its own rules). ``key`` prefixes the marks' widget keys (as for
    :func:`show_prompt`)."""
    if grade.format_error is not None:
        st.warning(escape_markdown(grade.format_error), icon=":material/edit_note:")
        return
    if grade.correct:
        st.success("Correct.", icon=":material/check_circle:")
    else:
        verdict = "Not quite" if grade.score > 0 else "Incorrect"
        st.error(f"{verdict}: score {grade.score:.0%}.", icon=":material/cancel:")
    if grade.feedback and grade.feedback.rstrip(".") not in {"Correct", "Incorrect"}:
        st.markdown(grade.feedback)
    _answers_side_by_side(grade, answer, show_expected and not grade.correct)
    if grade.correct:
        return
    planes = [grade.cell_marks] if grade.cell_marks is not None else list(grade.channel_marks or [])
    for index, plane in enumerate(planes):
        marks = np.asarray(plane, dtype=bool)
        # The title goes above the chart, not in it: a narrow chart clipped it over the ticks.
        which = "Your cells" if len(planes) == 1 else f"Channel {index}"
        st.caption(f"{which}: ✓ right, ✗ wrong")
        st.plotly_chart(
            matrix_heatmap(marks.astype(float), "", marks=marks),
            config=PLOTLY_CONFIG,
            width="content",
            key=f"{key}_{index}",
        )
        st.caption(marks_summary(marks))


def _answers_side_by_side(grade: Grade, answer: str | None, show_expected: bool) -> None:
    """The graded answer and, when asked, the correct one, as plain text (never Markdown)."""
    expected = grade.expected_display if show_expected else None
    if answer is None and expected is None:
        return
    yours, right = st.columns(2)
    if answer is not None:
        yours.caption("Your answer")
        yours.code(answer.strip() or "—", language=None)
    if expected is not None:
        right.caption("Correct answer")
        right.code(expected, language=None)


def show_solution(exercise: Exercise, key: str) -> None:
    """The worked solution, step by step, with the picture when the exercise has one."""
    for number, step in enumerate(exercise.solution, start=1):
        st.markdown(f"{number}. {step}")
    st.markdown(f"**Answer:** {_answer_markdown(exercise)}")
    if isinstance(exercise.picture, WindowPicture):
        _show_picture(exercise, exercise.picture, key)
    elif exercise.picture is not None:  # bars or values: Plotly, imported at the first one
        pictures = importlib.import_module("quiz.ui.solution_pictures")
        pictures.show_picture(exercise.picture, key)
    show_playground_link(exercise)


def _show_picture(exercise: Exercise, picture: WindowPicture, key: str) -> None:
    output = np.asarray(picture.output, dtype=float)
    rows, cols = output.shape
    choices = [(r, c) for r in range(rows) for c in range(cols)]
    chosen = st.select_slider(
        "Output cell to explain",
        options=range(len(choices)),
        key=f"{key}_cell",
        format_func=lambda i: f"row {choices[i][0]}, column {choices[i][1]}",
    )
    row, col = choices[chosen]
    source = np.asarray(exercise.tensors[picture.input], dtype=float)
    source = source if source.ndim == 2 else source.reshape(-1, *source.shape[-2:])[0]
    (ph, pw), (sh, sw), (dh, dw) = picture.padding, picture.stride, picture.dilation
    padded = np.pad(source, ((ph, ph), (pw, pw)))
    kh, kw = _window(exercise, picture)
    taps = [(row * sh + i * dh, col * sw + j * dw) for i in range(kh) for j in range(kw)]
    left, middle, right = st.columns(3)
    title = "Input (padded)" if ph or pw else "Input"
    left.plotly_chart(
        matrix_heatmap(padded, title, cells=taps, padding=(ph, pw)),
        config=PLOTLY_CONFIG,
        width="content",
        key=f"{key}_input",
    )
    if picture.kernel is not None:
        kernel = np.asarray(exercise.tensors[picture.kernel], dtype=float)
        kernel = kernel if kernel.ndim == 2 else kernel.reshape(-1, *kernel.shape[-2:])[0]
        middle.plotly_chart(
            matrix_heatmap(kernel, "Kernel"),
            config=PLOTLY_CONFIG,
            width="content",
            key=f"{key}_kernel",
        )
    right.plotly_chart(
        matrix_heatmap(output, picture.output_title, cells=[(row, col)]),
        config=PLOTLY_CONFIG,
        width="content",
        key=f"{key}_output",
    )
    rows_read = sorted({r for r, _ in taps})
    cols_read = sorted({c for _, c in taps})
    st.caption(
        f"Output cell (row {row}, column {col}) = value "
        f"{latex.plain_number(output[row, col])} reads the outlined input cells: rows "
        f"{_listed(rows_read)} and columns {_listed(cols_read)} of the "
        f"{'padded ' if ph or pw else ''}input."
    )


def marks_summary(marks: np.ndarray) -> str:
    """Which cells of a marked answer are wrong, in words (the marks chart's text alternative):
    ``Wrong: row 0 column 1, row 2 column 0 (2 of 9 cells); the others are right.``"""
    right = np.asarray(marks, dtype=bool)
    wrong = [(int(r), int(c)) for r, c in zip(*np.nonzero(~right), strict=True)]
    if not wrong:
        return f"All {right.size} cells are right."
    cells = ", ".join(f"row {r} column {c}" for r, c in wrong)
    return f"Wrong: {cells} ({len(wrong)} of {right.size} cells); the others are right."


def _listed(numbers: list[int]) -> str:
    """``2–4`` for a run of consecutive numbers, else ``0, 2, 4``."""
    if len(numbers) > 2 and numbers == list(range(numbers[0], numbers[-1] + 1)):
        return f"{numbers[0]}–{numbers[-1]}"
    return ", ".join(str(n) for n in numbers)


def _answer_markdown(exercise: Exercise) -> str:
    """The canonical answer: matrices and tensors as maths, everything else as typed."""
    if exercise.answer_kind == AnswerKind.MATRIX:
        return f"$${latex.matrix(exercise.expected)}$$"
    if exercise.answer_kind == AnswerKind.TENSOR:
        return f"$${latex.tensor(exercise.expected, 'A')}$$"
    return f"`{exercise.answer}`"


def _window(exercise: Exercise, picture: WindowPicture) -> tuple[int, int]:
    if picture.kernel is None:
        return picture.window
    kernel = np.asarray(exercise.tensors[picture.kernel])
    return int(kernel.shape[-2]), int(kernel.shape[-1])


def _planes(name: str, array: np.ndarray) -> list[tuple[str, np.ndarray]]:
    """2-D slices of ``array`` to draw, labelled ``name[c]`` (0-based, as PyTorch indexes);
    vectors become one row."""
    if array.ndim <= 2:
        return [(name, array.reshape(1, -1) if array.ndim < 2 else array)]
    flat = array.reshape(-1, *array.shape[-2:])
    index_shape = array.shape[:-2]
    labels = [
        ",".join(str(i) for i in np.unravel_index(k, index_shape)) for k in range(flat.shape[0])
    ]
    return [(f"{name}[{label}]", plane) for label, plane in zip(labels, flat, strict=True)]


def _grid_text(grid: np.ndarray) -> str:
    if np.isnan(grid).all():
        return ""
    rows = [" ".join("?" if np.isnan(v) else latex_free(v) for v in row) for row in grid]
    return "\n".join(rows)


def latex_free(value: float) -> str:
    """A number as plain text for the grader: ``3`` for 3.0, else ``repr``-exact."""
    return str(int(value)) if float(value).is_integer() else repr(float(value))
