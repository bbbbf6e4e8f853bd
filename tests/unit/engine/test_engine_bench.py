"""The benchmark runs and reports (it is a benchmark, not a test: no timing is asserted)."""

from __future__ import annotations

import json

import pytest

from engine import bench


def test_time_block_reports_seconds_per_call() -> None:
    calls = []
    times = bench.time_block(lambda: calls.append(1), samples=3, warmup_s=0.0, min_sample_s=1e-4)
    assert len(times) == 3 and all(t > 0 for t in times)
    assert len(calls) >= 3 + 3  # warm-up, then at least one call per sample


def test_table_and_ratios_from_fake_timings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(bench, "torch_available", lambda: True)

    def fake(family: str, quick: bool, samples: int, only: str = "", threads=None) -> dict:
        seconds = {"engine": 30e-6, "reference": 90e-6, "torch": 10e-6}
        return {
            case.name: {
                name: [seconds[name]] * samples
                for name in case.names
                if bench.FAMILY[name] == family
            }
            for case in bench.build_cases(quick, family="none")
        }

    monkeypatch.setattr(bench, "_time_family", fake)
    rows = bench.run(quick=True, samples=4, rounds=2)
    tiny = {r.impl: r for r in rows if r.case == "conv2d tiny fwd"}
    assert set(tiny) == {"engine", "reference", "torch"}
    assert tiny["engine"].ratio == pytest.approx(3.0) and tiny["engine"].met is True
    assert tiny["engine"].samples == 4 and tiny["torch"].met is None
    table = bench.format_table(rows)
    assert "30.0 µs" in table and "3.00× torch" in table and "< 50 µs" in table
    assert "1×1×5×5 → 1 filters 3×3" in table


@pytest.mark.slow  # the whole engine benchmark
def test_main_runs_end_to_end_without_torch(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("STRIDE_BENCH_NO_TORCH", "1")  # inherited by the worker process
    assert bench.main(["--quick", "--repeat", "2", "--only", "tiny", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    rows = report["results"]
    assert {r["impl"] for r in rows} == {"engine", "reference"}
    assert all(r["baseline"] == "engine" and r["median_s"] > 0 for r in rows)
    assert "torch" not in report["environment"]


def test_bad_arguments_are_refused() -> None:
    with pytest.raises(SystemExit):
        bench.main(["--repeat", "0"])
    with pytest.raises(SystemExit):
        bench.main(["--quick", "--only", "no such case"])
