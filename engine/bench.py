"""``stride bench engine``: how fast the engine is, next to the reference loops and PyTorch.

A benchmark, not a test: it measures and reports, it asserts nothing. Every implementation of a
case is timed in the same run, in alternating blocks (engine, PyTorch, engine, PyTorch, ...),
and the median time per call is reported with its ratio to PyTorch on the CPU (or to the
engine when torch is not installed: ``pip install .[bench]``). Run it on a quiet machine:
multi-threaded BLAS slows down a lot when another process holds a core.

    python -m engine.bench            # the table
    python -m engine.bench --json     # the same numbers for machines
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from . import conv, pool, reference

Thunk = Callable[[], object]


@dataclass(frozen=True)
class Case:
    """One measured situation; ``impls`` maps an implementation's name to a zero-argument call."""

    name: str
    detail: str
    dtype: str
    target: str  # in words, for the table
    check: Callable[[dict[str, float]], bool] | None  # medians -> target met?
    impls: dict[str, Thunk] = field(default_factory=dict)


@dataclass(frozen=True)
class Row:
    case: str
    detail: str
    impl: str
    dtype: str
    median_s: float
    samples: int
    ratio: float | None  # median / baseline median
    baseline: str
    target: str
    met: bool | None  # only on the engine's row of a case with a target


# --- cases ------------------------------------------------------------------------------------


def _torch() -> Any | None:
    if os.environ.get("STRIDE_BENCH_NO_TORCH"):
        return None
    try:
        import torch
    except ImportError:
        return None
    return torch


def _conv_case(
    name: str, target: str, check: Callable[[dict[str, float]], bool] | None, shape: tuple,
    out_ch: int, padding: int, dtype: type, backward: bool, with_reference: bool, torch: Any,
) -> Case:
    rng = np.random.default_rng(0)
    x = rng.standard_normal(shape).astype(dtype)
    w = rng.standard_normal((out_ch, shape[1], 3, 3)).astype(dtype)
    b = rng.standard_normal(out_ch).astype(dtype)
    out_shape = conv.conv2d(x, w, b, padding=padding).shape
    g = rng.standard_normal(out_shape).astype(dtype)
    detail = f"{'×'.join(map(str, shape))} → {out_ch} filters 3×3, pad {padding}"
    impls: dict[str, Thunk] = {}
    if backward:
        def engine_step() -> object:
            conv.conv2d(x, w, b, padding=padding)
            return conv.conv2d_backward(g, x, w, padding=padding)
        impls["engine"] = engine_step
    else:
        impls["engine"] = lambda: conv.conv2d(x, w, b, padding=padding)
    if with_reference:
        impls["reference"] = lambda: reference.conv2d(x, w, b, padding=padding)
    if torch is not None:
        F = torch.nn.functional
        xt, wt, bt, gt = (torch.from_numpy(a.copy()) for a in (x, w, b, g))
        if backward:
            for t in (xt, wt, bt):
                t.requires_grad_(True)

            def torch_step() -> object:
                y = F.conv2d(xt, wt, bt, padding=padding)
                return torch.autograd.grad(y, (xt, wt, bt), gt)
            impls["torch"] = torch_step
        else:
            def torch_forward() -> object:
                with torch.no_grad():
                    return F.conv2d(xt, wt, bt, padding=padding)
            impls["torch"] = torch_forward
    return Case(name, detail, np.dtype(dtype).name, target, check, impls)


def _pool_case(
    name: str, kind: str, kernel: int, stride: int, padding: int, backward: bool, torch: Any
) -> Case:
    rng = np.random.default_rng(1)
    x = rng.standard_normal((8, 64, 56, 56)).astype(np.float32)
    fwd = pool.max_pool2d if kind == "max" else pool.avg_pool2d
    bwd = pool.max_pool2d_backward if kind == "max" else pool.avg_pool2d_backward
    g = rng.standard_normal(fwd(x, kernel, stride, padding).shape).astype(np.float32)
    impls: dict[str, Thunk] = {}
    if backward:
        def engine_step() -> object:
            fwd(x, kernel, stride, padding)
            return bwd(g, x, kernel, stride, padding)
        impls["engine"] = engine_step
    else:
        impls["engine"] = lambda: fwd(x, kernel, stride, padding)
    if torch is not None:
        F = torch.nn.functional
        tf = F.max_pool2d if kind == "max" else F.avg_pool2d
        xt, gt = torch.from_numpy(x.copy()), torch.from_numpy(g.copy())
        if backward:
            xt.requires_grad_(True)

            def torch_step() -> object:
                return torch.autograd.grad(tf(xt, kernel, stride, padding), (xt,), gt)
            impls["torch"] = torch_step
        else:
            def torch_forward() -> object:
                with torch.no_grad():
                    return tf(xt, kernel, stride, padding)
            impls["torch"] = torch_forward
    detail = f"8×64×56×56, {kernel}×{kernel} stride {stride}" + (f" pad {padding}" * (padding > 0))
    within_2x = _ratio_at_most(2.0) if torch is not None else None
    return Case(name, detail, "float32", "≤ 2× torch", within_2x, impls)


def _ratio_at_most(limit: float) -> Callable[[dict[str, float]], bool]:
    return lambda medians: medians["engine"] <= limit * medians["torch"]


def build_cases(quick: bool = False) -> list[Case]:
    torch = _torch()
    cases = [
        _conv_case("conv2d tiny fwd", "< 50 µs", lambda m: m["engine"] < 50e-6, (1, 1, 5, 5), 1,
                   0, np.float64, False, True, torch),
        _conv_case("conv2d small fwd", "", None, (1, 3, 32, 32), 16, 0, np.float64, False, False,
                   torch),
    ]
    if quick:
        return cases
    mid_check = _ratio_at_most(1.5) if torch is not None else None
    cases += [
        _conv_case("conv2d mid fwd", "", None, (8, 64, 56, 56), 64, 1, np.float32, False, False,
                   torch),
        _conv_case("conv2d mid fwd+bwd", "≤ 1.5× torch", mid_check, (8, 64, 56, 56), 64, 1,
                   np.float32, True, False, torch),
        _pool_case("max_pool2d mid fwd", "max", 2, 2, 0, False, torch),
        _pool_case("max_pool2d mid fwd+bwd", "max", 2, 2, 0, True, torch),
        _pool_case("max_pool2d 3×3 mid fwd", "max", 3, 2, 1, False, torch),
        _pool_case("avg_pool2d mid fwd", "avg", 2, 2, 0, False, torch),
        _pool_case("avg_pool2d mid fwd+bwd", "avg", 2, 2, 0, True, torch),
    ]
    return cases


# --- measuring --------------------------------------------------------------------------------


def _sample(fn: Thunk, loops: int) -> float:
    start = time.perf_counter()
    for _ in range(loops):
        fn()
    return (time.perf_counter() - start) / loops


def measure(case: Case, samples: int, rounds: int = 2, min_sample_s: float = 2e-3) -> dict:
    """Median seconds per call of each implementation, measured in alternating blocks."""
    loops: dict[str, int] = {}
    for name, fn in case.impls.items():
        fn()  # warm up (caches, thread pools, lazy imports)
        once = _sample(fn, 1)
        loops[name] = max(1, int(min_sample_s / max(once, 1e-9)))
    times: dict[str, list[float]] = {name: [] for name in case.impls}
    per_round = max(1, samples // rounds)
    for _ in range(rounds):
        for name, fn in case.impls.items():
            time.sleep(0.05)  # let the previous library's worker threads go idle
            fn()
            times[name] += [_sample(fn, loops[name]) for _ in range(per_round)]
    return {name: (statistics.median(ts), len(ts)) for name, ts in times.items()}


def run(cases: Sequence[Case], samples: int) -> list[Row]:
    rows = []
    for case in cases:
        results = measure(case, samples)
        medians = {name: median for name, (median, _) in results.items()}
        baseline = "torch" if "torch" in medians else "engine"
        for name, (median, count) in results.items():
            met = None
            if name == "engine" and case.check is not None:
                met = bool(case.check(medians))
            rows.append(Row(case.name, case.detail, name, case.dtype, median, count,
                            median / medians[baseline], baseline,
                            case.target if name == "engine" else "", met))
    return rows


# --- reporting --------------------------------------------------------------------------------


def _duration(seconds: float) -> str:
    if seconds < 1e-3:
        return f"{seconds * 1e6:.1f} µs"
    if seconds < 1:
        return f"{seconds * 1e3:.2f} ms"
    return f"{seconds:.2f} s"


def environment() -> dict[str, object]:
    info: dict[str, object] = {
        "python": platform.python_version(),
        "numpy": np.__version__,
        "machine": platform.machine(),
        "cpus": os.cpu_count(),
    }
    torch = _torch()
    if torch is not None:
        info["torch"] = torch.__version__
        info["torch_threads"] = torch.get_num_threads()
    return info


def format_table(rows: Sequence[Row]) -> str:
    headers = ["case", "implementation", "dtype", "median", "ratio", "target", "met"]
    body = []
    for r in rows:
        ratio = "" if r.ratio is None else f"{r.ratio:.2f}× {r.baseline}"
        met = "" if r.met is None else ("yes" if r.met else "NO")
        body.append([r.case, r.impl, r.dtype, _duration(r.median_s), ratio, r.target, met])
    widths = [max(len(h), *(len(line[i]) for line in body)) for i, h in enumerate(headers)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True))]
    lines.append("  ".join("-" * w for w in widths))
    previous = None
    for r, line in zip(rows, body, strict=True):
        if previous is not None and r.case != previous:
            lines.append("")
        previous = r.case
        lines.append("  ".join(c.ljust(w) for c, w in zip(line, widths, strict=True)).rstrip())
    details = dict.fromkeys((r.case, r.detail) for r in rows)  # unique, in order
    lines.append("")
    lines += [f"{case}: {detail}" for case, detail in details]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="stride bench engine",
        description="Time the conv/pool engine against the reference loops and PyTorch (CPU).",
    )
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    parser.add_argument("--repeat", type=int, default=20, help="timed samples per implementation")
    parser.add_argument("--quick", action="store_true", help="only the tiny and small cases")
    args = parser.parse_args(argv)
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")
    rows = run(build_cases(args.quick), args.repeat)
    env = environment()
    if args.json:
        print(json.dumps({"environment": env, "results": [asdict(r) for r in rows]}, indent=2))
    else:
        print(", ".join(f"{k} {v}" for k, v in env.items()))
        print()
        print(format_table(rows))
        if "torch" not in env:
            print("\nPyTorch is not installed: ratios are to the engine (pip install '.[bench]').")
    return 0


if __name__ == "__main__":
    sys.exit(main())
