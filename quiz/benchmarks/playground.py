"""``stride bench playground``: server-side time of one Playground "slider move".

A slider move reruns the page: the knobs become a :class:`LayerConfig`, the engine computes
the output, the animation's frames are laid out, and every figure is built and serialised as
``st.plotly_chart`` does it (``fig.to_dict()`` then ``plotly.io.to_json(..., validate=False)``).
This times that whole path, without Streamlit, for a 64×64 input:

* ``conv``: convolution, kernel 3, stride 1, padding 1 (64×64 out: 4,096 positions, 400 frames);
* ``max-pool``: max pooling, kernel 2, stride 2 (32×32 out: 1,024 positions, 400 frames);
* ``conv-transpose``: kernel 3, stride 2, padding 1 (127×127 out, 400 frames);
* ``filters``: the Filters panel, Sobel x + ReLU + 2×2 max pooling on the 128×128 sample;
* ``page rerun``: the whole Playground page in Streamlit's ``AppTest`` (widgets, LaTeX, the
  protobuf messages), the kernel slider moved between 3 and 5 on the ``conv`` layer.

Baseline, measured in the same run: **the engine's computation alone** for the same scenario
(``compute(config)`` — the one output channel the page draws — or the Filters panel's
``feature_maps``); ``x baseline`` is the median over the baseline's median, i.e. how much the
figures (and, for ``page rerun``, Streamlit) cost on top of the maths.

Median and 95th percentile over ``--repeats`` runs (after one warm-up); target p95 < 200 ms.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from functools import partial

import plotly.io as pio

from quiz.benchmarks.timing import percentile
from quiz.config import PROJECT_ROOT
from quiz.playground.filters import KERNELS, feature_maps
from quiz.playground.frames import animation
from quiz.playground.images import DEFAULT_SAMPLE, sample_image
from quiz.playground.layer import LayerConfig, compute, config_from_query, output_size_formula
from quiz.ui.playground_charts import animation_figure, feature_map_figure, output_figure

TARGET_MS = 200.0
BASELINE = "the engine's computation alone (same scenario, no figures, no Streamlit)"

SCENARIOS: dict[str, dict[str, str]] = {
    "conv": {"kind": "conv", "h": "64", "w": "64", "k": "3", "s": "1", "p": "1", "d": "1"},
    "max-pool": {"kind": "max-pool", "h": "64", "w": "64", "k": "2", "s": "2", "p": "0"},
    "conv-transpose": {
        "kind": "conv-transpose",
        "h": "64",
        "w": "64",
        "k": "3",
        "s": "2",
        "p": "1",
    },
}


def _serialise(figure: object) -> int:
    """What ``st.plotly_chart`` does with a figure; returns the JSON's length."""
    return len(pio.to_json(figure.to_dict(), validate=False))  # type: ignore[attr-defined]


def layer_move(query: dict[str, str]) -> int:
    """One rerun of the Layer panel: query -> config -> engine -> frames -> figures -> JSON."""
    config, _ = config_from_query(query)
    output_size_formula(config)
    result = compute(config)
    anim = animation(config, result)
    size = _serialise(animation_figure(anim))
    size += _serialise(output_figure(result.plane, "Output"))
    return size


def filters_move() -> int:
    """One rerun of the Filters panel: sample image -> feature maps -> figures -> JSON."""
    image = sample_image(DEFAULT_SAMPLE)
    size = _serialise(feature_map_figure(image, "Input"))
    for stage in feature_maps(image, KERNELS["sobel-x"].values, relu=True, pool="max"):
        size += _serialise(feature_map_figure(stage.values, stage.title))
    return size


PAGE = "quiz/ui/pages/playground.py"


def filters_engine() -> int:
    """The Filters panel's maths alone: the baseline of ``filters``."""
    image = sample_image(DEFAULT_SAMPLE)
    maps = feature_maps(image, KERNELS["sobel-x"].values, relu=True, pool="max")
    return sum(stage.values.size for stage in maps)


def engine_only(config: LayerConfig) -> int:
    """The Layer panel's maths alone (the channel it draws): the baseline of a layer move."""
    return int(compute(config).plane.size)


def page_rerun() -> Callable[[], int]:
    """A function that moves the kernel slider of the whole page in ``AppTest`` and reruns it."""
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(PROJECT_ROOT / PAGE), default_timeout=60)
    at.query_params.update(SCENARIOS["conv"])
    at.run()
    kernels = iter(range(10**9))

    def run() -> int:
        at.slider(key="pg_k").set_value(5 if next(kernels) % 2 else 3).run()
        if at.exception:
            raise RuntimeError(f"the Playground page failed: {at.exception[0].message}")
        return sum(len(chart.proto.spec) for chart in at.get("plotly_chart"))

    return run


def _time(run: Callable[[], int], repeats: int) -> tuple[list[float], int]:
    size = run()  # warm-up: imports, caches, the engine's plans
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        samples.append((time.perf_counter() - start) * 1000)
    return samples, size


def measure(repeats: int, *, page: bool = True) -> list[dict[str, object]]:
    """One row per scenario: median and p95 in ms, JSON size, baseline median, ratio, verdict."""
    conv, _ = config_from_query(SCENARIOS["conv"])
    runs: dict[str, tuple[Callable[[], int], Callable[[], int]]] = {}
    for name, query in SCENARIOS.items():
        config, _ = config_from_query(query)
        runs[name] = (partial(layer_move, query), partial(engine_only, config))
    runs["filters"] = (filters_move, filters_engine)
    if page:
        runs["page rerun"] = (page_rerun(), lambda: engine_only(conv))
    rows = []
    for name, (run, baseline) in runs.items():
        base_samples, _ = _time(baseline, repeats)
        samples, size = _time(run, repeats)
        median = statistics.median(samples)
        base = statistics.median(base_samples)
        p95 = percentile(samples, 95)
        rows.append(
            {
                "scenario": name,
                "median_ms": round(median, 1),
                "p95_ms": round(p95, 1),
                "json_kb": round(size / 1024),
                "baseline_median_ms": round(base, 2),
                "ratio_to_baseline": round(median / max(base, 1e-6), 1),
                "meets_target": p95 < TARGET_MS,
            }
        )
    return rows


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="stride bench playground",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--repeats", type=int, default=30, help="timed runs per scenario")
    parser.add_argument("--json", action="store_true", help="print JSON rows")
    parser.add_argument(
        "--no-page", action="store_true", help="skip the whole-page AppTest scenario"
    )
    args = parser.parse_args(argv)
    if args.repeats < 1:
        parser.error("--repeats must be at least 1")
    rows = measure(args.repeats, page=not args.no_page)
    if args.json:
        print(
            json.dumps(
                {
                    "target_ms": TARGET_MS,
                    "repeats": args.repeats,
                    "baseline": BASELINE,
                    "rows": rows,
                },
                indent=2,
            )
        )
        return 0
    print(
        f"Playground slider move (config -> engine -> figures -> JSON), 64×64 input, "
        f"{args.repeats} runs; target p95 < {TARGET_MS:.0f} ms\n"
        f"baseline: {BASELINE}, measured in this run\n"
    )
    print(
        f"{'scenario':<16} {'median ms':>10} {'p95 ms':>8} {'JSON KB':>8} "
        f"{'baseline ms':>12} {'x baseline':>11}"
    )
    for row in rows:
        flag = "" if row["meets_target"] else "  above target"
        print(
            f"{row['scenario']:<16} {row['median_ms']:>10.1f} {row['p95_ms']:>8.1f} "
            f"{row['json_kb']:>8} {row['baseline_median_ms']:>12.2f} "
            f"{row['ratio_to_baseline']:>10.1f}x{flag}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
