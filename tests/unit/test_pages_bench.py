"""``stride bench pages`` without a browser: its arguments, its summary of the timings, the
wrong answers it types, and the in-page stopwatch it installs (the browser run itself is
smoke-tested in tests/browser/test_pages_bench_browser.py)."""

from __future__ import annotations

import json

import pytest

from quiz.benchmarks import pages_browser
from quiz.benchmarks.pages_browser import (
    PAGES,
    Samples,
    check_sizes,
    format_result,
    page_watch_script,
    summarise,
    wrong_answer,
)
from quiz.exercises.base import grade_exercise
from quiz.exercises.registry import FAMILIES, get_family
from quiz.services.practice import make_exercise


@pytest.mark.parametrize(
    ("loads", "items", "starts", "complaint"),
    [
        (0, 40, 3, "--loads and --starts"),
        (10, 40, 0, "--loads and --starts"),
        (-1, 40, 3, "--loads and --starts"),
        (10, 2, 3, "--items must be at least 3"),
    ],
)
def test_sizes_that_would_measure_nothing_are_refused(
    loads: int, items: int, starts: int, complaint: str
) -> None:
    with pytest.raises(ValueError, match=complaint):
        check_sizes(loads, items, starts)


def test_the_smallest_sizes_are_accepted() -> None:
    check_sizes(1, 3, 1)


def test_the_command_refuses_bad_sizes_before_starting_anything(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(pages_browser, "measure", _must_not_run)
    with pytest.raises(SystemExit) as exit_info:
        pages_browser.main(["--items", "1"])
    assert exit_info.value.code == 2
    assert "--items must be at least 3" in capsys.readouterr().err


def test_the_command_prints_the_figures_as_json(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    calls = []

    def fake_measure(loads: int, items: int, starts: int, **kwargs: object) -> dict[str, object]:
        calls.append((loads, items, starts))
        return summarise(_samples(), loads=loads, items=items, starts=starts)

    monkeypatch.setattr(pages_browser, "measure", fake_measure)
    assert pages_browser.main(["--loads", "2", "--items", "5", "--starts", "1", "--json"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert calls == [(2, 5, 1)]
    assert printed["cold_start_ratio"] == 1.25
    assert printed["page_first_draw"]["local/Statistics"]["click_p95_ms"] > 0


def _must_not_run(*_args: object, **_kwargs: object) -> dict[str, object]:
    raise AssertionError("measure() must not run")


def _samples() -> Samples:
    samples = Samples()
    for ms in (100.0, 120.0, 140.0, 160.0, 900.0):
        samples.add_draw("local/Home", "click", (ms, ms / 2))
        samples.add_draw("local/Home", "goto", (ms + 400, ms))
        samples.add_draw("local/Statistics", "click", (ms * 2, ms))
        samples.add_draw("classroom/Statistics", "click", (ms * 3, ms))
    samples.add_draw("local/Home", "server_first", (2500.0, 2400.0))
    samples.next_items = [("flashcard", 80.0), ("exercise", 60.0), ("flashcard", 100.0)]
    samples.next_items += [("flashcard", 90.0), ("exercise", 400.0)]
    samples.check_ms = [150.0, 170.0]
    samples.cold_first_card_s = [5.0, 4.0, 6.0]
    samples.cold_healthy_s = [2.0, 2.5, 3.0]
    samples.bare_first_paint_s = [3.2, 4.0, 4.4]
    samples.bare_healthy_s = [1.0, 1.0, 1.2]
    return samples


def test_the_summary_has_per_page_and_overall_percentiles() -> None:
    result = summarise(_samples(), loads=5, items=5, starts=3)
    home = result["page_first_draw"]["local/Home"]
    assert home["click_p50_ms"] == 140.0
    assert 160.0 < home["click_p95_ms"] < 900.0  # interpolated towards the slow outlier
    assert home["click_run_p50_ms"] == 70.0
    assert home["goto_p50_ms"] == 540.0
    assert home["server_first_ms"] == 2500.0
    assert "goto_p50_ms" not in result["page_first_draw"]["classroom/Statistics"]
    assert result["page_click_p50_ms"] == 300.0  # the 8th of 15 clicks (100 … 2700)
    assert result["page_goto_p50_ms"] == 540.0
    assert result["page_first_draw_p95_ms"] > 1000.0  # classroom Statistics' outlier is 2700
    assert result["page_first_draw_slowest"] == "classroom/Statistics (click)"
    assert result["pages_over_target"] == [
        "local/Home (goto)",
        "local/Statistics (click)",
        "classroom/Statistics (click)",
    ]
    assert result["page_first_draw_met"] is False


def test_the_summary_separates_flashcards_and_exercises() -> None:
    result = summarise(_samples(), loads=5, items=5, starts=3)
    assert (result["next_flashcards"], result["next_exercises"]) == (3, 2)
    assert result["next_flashcard_p50_ms"] == 90.0
    assert result["next_exercise_p50_ms"] == 230.0
    assert result["next_item_p50_ms"] == 90.0
    assert result["next_item_max_ms"] == 400.0
    assert result["exercise_check_p50_ms"] == 160.0
    assert result["next_item_met"] is False  # the p95 is near the 400 ms exercise


def test_the_summary_compares_medians_of_cold_starts() -> None:
    result = summarise(_samples(), loads=5, items=5, starts=3)
    assert result["cold_first_card_s"] == 5.0
    assert result["bare_first_paint_s"] == 4.0
    assert result["cold_start_ratio"] == 1.25
    assert result["cold_start_met"] is True
    assert result["cold_first_card_runs_s"] == [5.0, 4.0, 6.0]
    assert (result["cold_healthy_s"], result["bare_healthy_s"]) == (2.5, 1.0)


def test_missing_measurements_are_none_not_nan() -> None:
    result = summarise(Samples(), loads=1, items=3, starts=1)
    for key in ("page_first_draw_p95_ms", "next_item_p95_ms", "next_exercise_p95_ms"):
        assert result[key] is None
    assert result["cold_start_ratio"] is None
    assert result["page_first_draw_met"] is False
    json.dumps(result, allow_nan=False)


def test_the_text_report_names_every_page() -> None:
    result = summarise(_samples(), loads=5, items=5, starts=3)
    text = format_result(result)
    for page in result["page_first_draw"]:
        assert page in text
    assert "ratio 1.25" in text


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_the_wrong_answers_typed_are_graded_wrong_not_refused(family: str) -> None:
    exercise = make_exercise(family, 11, 2)
    grade = grade_exercise(get_family(family), exercise, wrong_answer(exercise))
    assert grade.format_error is None
    assert not grade.correct or wrong_answer(exercise) == exercise.answer


def test_the_stopwatch_knows_every_page_by_its_url() -> None:
    script = page_watch_script(PAGES)
    specs = json.loads(script.split("const specs = ", 1)[1].split(";\n", 1)[0])
    assert set(specs) == {f"/{spec.path}" for spec in PAGES}
    assert specs["/stats"]["heading"] == "Statistics"
    assert "MutationObserver" in script and "data-test-script-state" in script
