"""``stride bench class``: its bookkeeping, its simulated students' answers, and a tiny class
against real servers (the figures themselves are numbers, not pass/fail; see the README)."""

from __future__ import annotations

import argparse
import json
import os
import random
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from quiz.benchmarks import class_bench
from quiz.benchmarks.budget import Figure
from quiz.benchmarks.class_scenario import Scenario, right_answer, wrong_answer
from quiz.benchmarks.proxy import find_nginx, read_access_log
from quiz.exercises.base import grade_exercise
from quiz.exercises.registry import FAMILIES


@settings(max_examples=150, deadline=None)
@given(
    family=st.sampled_from(sorted(FAMILIES)),
    seed=st.integers(0, 2**31 - 1),
    difficulty=st.sampled_from([1, 2, 3]),
)
def test_the_students_answers_are_well_formed_and_graded_as_meant(
    family: str, seed: int, difficulty: int
) -> None:
    """A simulated student's right answer is graded right, its wrong one wrong; neither is a
    format error (which would rate nothing and count as a benchmark error)."""
    right, kind = right_answer(family, seed, difficulty)
    exercise = FAMILIES[family].make(seed, difficulty)
    assert grade_exercise(FAMILIES[family], exercise, right).correct
    wrong = grade_exercise(FAMILIES[family], exercise, wrong_answer(kind, right))
    assert wrong.format_error is None and not wrong.correct


def test_think_times_have_the_mean_asked_for_and_stay_in_bounds() -> None:
    scenario = Scenario(think_mean_s=10.0)
    rng = random.Random(3)
    times = [scenario.think_time(rng) for _ in range(20_000)]
    assert min(times) >= 0.5 and max(times) <= 60.0
    assert 9.5 < sum(times) / len(times) < 10.5


def test_figures_with_floors_and_ceilings() -> None:
    ceiling = Figure("x", "x", "ms", 300.0)
    assert ceiling.met(299.9) and not ceiling.met(300.0) and ceiling.sign == "<"
    floor = Figure("y", "y", "", 0.8, at_least=True)
    assert floor.met(0.8) and not floor.met(0.79) and floor.sign == "≥"
    memory = Figure("z", "z", "MiB", 1.0, inclusive=True)
    assert memory.met(1.0) and memory.sign == "≤"
    assert Figure("n", "n", "", 0).met(0) and not Figure("n", "n", "", 0).met(1)
    assert ceiling.met(None) is None


def test_the_summary_turns_phase_details_into_figures_and_verdicts() -> None:
    details = {
        "class": {
            "stride": {"p95_ms": 120.0, "p50_ms": 30.0, "errors": 0, "answers": {"lost": 0}},
            "bare": {"p95_ms": 80.0},
        },
        "capacity": {"stride": {"largest": 800}, "bare": {"largest": 1000}},
        "burst": {"stride": {"all_drawn_s": 2.0}, "bare": {"all_drawn_s": 1.5}},
        "idle": {"per_session_mib": 0.4},
    }
    result = class_bench.summarise(details)
    assert result["class_ratio"] == 1.5 and result["class_lost"] == 0
    assert result["capacity_ratio"] == 0.8 and result["met"]["capacity_ratio"] is True
    assert result["burst_ratio"] == 1.33 and result["met"]["burst_ratio"] is True
    assert result["met"]["class_doubled"] is None  # not measured: no verdict
    assert result["met"]["cold_start_ratio"] is None
    assert result["all_met"] is True
    details["class"]["stride"]["errors"] = 2
    assert class_bench.summarise(details)["all_met"] is False


def test_bad_arguments_are_refused(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        class_bench.main(["--phases", "class,nonsense"])
    assert "subset of" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        class_bench.main(["--students", "0", "--phases", "class"])
    with pytest.raises(SystemExit):
        class_bench.main(["--capacity-sizes", "100,x"])


@pytest.mark.slow  # real servers and a class of simulated students
def test_a_tiny_class_against_real_servers(tmp_path: Path) -> None:
    """Three students sign in and study for a few seconds against Stride, and against the bare
    page: no errors, every acknowledged answer stored exactly once, figures filled in."""
    args = argparse.Namespace(
        students=3, ramp=1.0, duration=6.0, think=0.4, seed=2, profile=None, replicas=1
    )
    # In a thread: a Playwright test earlier in this process may leave an event loop running.
    with ThreadPoolExecutor(max_workers=1) as thread:
        result = thread.submit(class_bench.phase_class, args, tmp_path).result()
    stride, bare = result["stride"], result["bare"]
    assert stride["errors"] == 0, stride["error_examples"]
    assert bare["errors"] == 0, bare["error_examples"]
    answers = stride["answers"]
    assert answers["lost"] == 0 and answers["doubled"] == 0
    assert answers["reviews_acknowledged"] > 0
    assert answers["reviews_stored"] == answers["reviews_acknowledged"]
    assert {"first_page", "sign_in", "open_study", "reveal"} <= set(stride["actions"])
    assert bare["actions"].keys() == {"first_page", "press"}
    assert stride["p95_ms"] > 0 and bare["p95_ms"] > 0 and stride["server_cpu_s"] > 0
    summary = class_bench.summarise({"class": result})
    assert summary["class_ratio"] > 0
    json.dumps(summary)  # the --json output is plain JSON


@pytest.mark.slow  # real servers and a class of simulated students
def test_a_tiny_class_through_nginx_on_two_replicas(tmp_path: Path) -> None:
    """``--replicas 2``: each target is two processes on one database behind deploy/nginx.conf,
    as a two-core server runs a class. Every student's websocket goes through nginx to one of
    them, a student's requests all reach the same one (the route cookie), and no answer is lost
    or doubled across the two. (How evenly nginx spreads routes is tests/browser/
    test_nginx_replicas.py's business: with 8 students, consistent hashing may put all on one.)"""
    if find_nginx() is None:
        message = "nginx not found (apt-get install nginx, or set STRIDE_NGINX)"
        if os.environ.get("STRIDE_REQUIRE_NGINX") == "1":
            pytest.fail(f"nginx tests are required here: {message}")
        pytest.skip(message)
    args = argparse.Namespace(
        students=8, ramp=1.0, duration=6.0, think=0.4, seed=3, profile=None, replicas=2
    )
    with ThreadPoolExecutor(max_workers=1) as thread:
        result = thread.submit(class_bench.phase_class, args, tmp_path).result()
    stride, bare = result["stride"], result["bare"]
    assert stride["errors"] == 0 and bare["errors"] == 0, stride["error_examples"]
    assert stride["answers"]["lost"] == 0 and stride["answers"]["doubled"] == 0
    assert stride["answers"]["reviews_stored"] > 0
    for name in ("stride", "bare"):
        (nginx_dir,) = tmp_path.glob(f"{name}-*/{name}-nginx")
        sockets = [entry for entry in read_access_log(nginx_dir) if entry.is_websocket]
        assert len(sockets) >= 8  # one per student (and per bare student), all proxied:
        upstreams = {entry.upstream for entry in sockets}
        assert "-" not in upstreams and 1 <= len(upstreams) <= 2, (name, upstreams)
    routes: dict[str, set[str]] = {}
    for entry in read_access_log(next(tmp_path.glob("stride-*/stride-nginx"))):
        if entry.route and entry.path != "/_stcore/health":
            routes.setdefault(entry.route, set()).add(entry.upstream)
    assert len(routes) >= 8 and all(len(upstreams) == 1 for upstreams in routes.values()), routes
