"""``stride bench engine``: how fast the engine is, next to the reference loops and PyTorch.

A benchmark, not a test: it measures and reports, it asserts nothing. All implementations of a
case are timed in the same run, in alternating rounds (engine, PyTorch, engine, PyTorch, ...),
and the median time per call is reported with its ratio to PyTorch on the CPU (or to the engine
when torch is not installed: ``pip install '.[bench]'``), next to the fastest sample.

numpy's OpenBLAS and PyTorch's OpenMP each keep a pool of worker threads that spin for a while
after every call; on two cores they slow each other down by orders of magnitude, even from
another (idle) process. So each round runs one worker process per library, one after the other,
each timing every case (after a timed warm-up) and exiting before the next starts. Run it on an
otherwise quiet machine.

    python -m engine.bench            # the table
    python -m engine.bench --json     # the same numbers for machines
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import json
import multiprocessing
import os
import platform
import resource
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from . import conv, pool, reference, shapes

Thunk = Callable[[], object]
NUMPY, TORCH = "numpy", "torch"
FAMILY = {"engine": NUMPY, "reference": NUMPY, "torch": TORCH}


@dataclass(frozen=True)
class Case:
    """One measured situation; ``impls`` maps an implementation's name to a zero-argument call
    (only those of one family are built in each worker process)."""

    name: str
    detail: str
    dtype: str
    target: str  # in words, for the table
    check: Callable[[dict[str, float]], bool] | None  # medians -> target met?
    impls: dict[str, Thunk] = field(default_factory=dict)
    names: tuple[str, ...] = ()  # every implementation of the case, in table order


@dataclass(frozen=True)
class Row:
    case: str
    detail: str
    impl: str
    dtype: str
    median_s: float
    min_s: float
    samples: int
    ratio: float  # median / baseline median
    baseline: str
    target: str
    met: bool | None  # only on the engine's row of a case with a target


# --- cases ------------------------------------------------------------------------------------


def torch_available() -> bool:
    if os.environ.get("STRIDE_BENCH_NO_TORCH"):
        return False
    return importlib.util.find_spec("torch") is not None


def _torch(family: str | None) -> Any | None:
    if family not in (None, TORCH) or not torch_available():
        return None
    import torch

    return torch


def _wants(family: str | None, impl: str) -> bool:
    return family is None or FAMILY[impl] == family


def _conv_case(
    name: str,
    target: str,
    check: Callable[[dict[str, float]], bool] | None,
    shape: tuple,
    out_ch: int,
    padding: int,
    dtype: type[np.floating],
    backward: bool,
    with_reference: bool,
    family: str | None,
    has_torch: bool,
) -> Case:
    rng = np.random.default_rng(0)
    x = rng.standard_normal(shape).astype(dtype)
    w = rng.standard_normal((out_ch, shape[1], 3, 3)).astype(dtype)
    b = rng.standard_normal(out_ch).astype(dtype)
    g = rng.standard_normal(shapes.conv2d_output_shape(shape, w.shape, padding=padding))
    g = g.astype(dtype)
    detail = f"{'×'.join(map(str, shape))} → {out_ch} filters 3×3, pad {padding}"
    names = ("engine", *(("reference",) * with_reference), *(("torch",) * has_torch))
    impls: dict[str, Thunk] = {}
    if _wants(family, "engine"):
        if backward:

            def engine_step() -> object:
                conv.conv2d(x, w, b, padding=padding)
                return conv.conv2d_backward(g, x, w, padding=padding)

            impls["engine"] = engine_step
        else:
            impls["engine"] = lambda: conv.conv2d(x, w, b, padding=padding)
    if with_reference and _wants(family, "reference"):
        impls["reference"] = lambda: reference.conv2d(x, w, b, padding=padding)
    torch = _torch(family) if has_torch else None
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
    return Case(name, detail, np.dtype(dtype).name, target, check, impls, names)


def _pool_case(
    name: str,
    kind: str,
    kernel: int,
    stride: int,
    padding: int,
    backward: bool,
    family: str | None,
    has_torch: bool,
) -> Case:
    rng = np.random.default_rng(1)
    x = rng.standard_normal((8, 64, 56, 56)).astype(np.float32)
    fwd = pool.max_pool2d if kind == "max" else pool.avg_pool2d
    bwd = pool.max_pool2d_backward if kind == "max" else pool.avg_pool2d_backward
    out_shape = shapes.max_pool2d_output_shape(x.shape, kernel, stride, padding)
    g = rng.standard_normal(out_shape).astype(np.float32)
    impls: dict[str, Thunk] = {}
    if _wants(family, "engine"):
        if backward:

            def engine_step() -> object:
                fwd(x, kernel, stride, padding)
                return bwd(g, x, kernel, stride, padding)

            impls["engine"] = engine_step
        else:
            impls["engine"] = lambda: fwd(x, kernel, stride, padding)
    torch = _torch(family) if has_torch else None
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
    check = _ratio_at_most(2.0) if has_torch else None
    names = ("engine", *(("torch",) * has_torch))
    return Case(name, detail, "float32", "≤ 2× torch", check, impls, names)


def _ratio_at_most(limit: float) -> Callable[[dict[str, float]], bool]:
    return lambda medians: medians["engine"] <= limit * medians["torch"]


def _under(seconds: float) -> Callable[[dict[str, float]], bool]:
    return lambda medians: medians["engine"] < seconds


def build_cases(quick: bool = False, family: str | None = None) -> list[Case]:
    """The benchmark's cases; with ``family`` only that library's implementations are built."""
    t = torch_available()
    cases = [
        _conv_case(
            "conv2d tiny fwd",
            "< 50 µs",
            _under(50e-6),
            (1, 1, 5, 5),
            1,
            0,
            np.float64,
            False,
            True,
            family,
            t,
        ),
        _conv_case(
            "conv2d small fwd", "", None, (1, 3, 32, 32), 16, 0, np.float64, False, False, family, t
        ),
    ]
    if quick:
        return cases
    mid = (8, 64, 56, 56)
    cases += [
        _conv_case("conv2d mid fwd", "", None, mid, 64, 1, np.float32, False, False, family, t),
        _conv_case(
            "conv2d mid fwd+bwd",
            "≤ 1.5× torch",
            _ratio_at_most(1.5) if t else None,
            mid,
            64,
            1,
            np.float32,
            True,
            False,
            family,
            t,
        ),
        _pool_case("max_pool2d mid fwd", "max", 2, 2, 0, False, family, t),
        _pool_case("max_pool2d mid fwd+bwd", "max", 2, 2, 0, True, family, t),
        _pool_case("max_pool2d 3×3 mid fwd", "max", 3, 2, 1, False, family, t),
        _pool_case("avg_pool2d mid fwd", "avg", 2, 2, 0, False, family, t),
        _pool_case("avg_pool2d mid fwd+bwd", "avg", 2, 2, 0, True, family, t),
    ]
    return cases


# --- measuring --------------------------------------------------------------------------------


def _sample(fn: Thunk, loops: int) -> float:
    start = time.perf_counter()
    for _ in range(loops):
        fn()
    return (time.perf_counter() - start) / loops


def time_block(
    fn: Thunk, samples: int, warmup_s: float = 0.3, min_sample_s: float = 2e-3
) -> list[float]:
    """Seconds per call, ``samples`` times, after ``warmup_s`` of calls (at least three).

    Each sample times enough calls in a row to last ``min_sample_s``.
    """
    start, calls = time.perf_counter(), 0
    while calls < 3 or time.perf_counter() - start < warmup_s:
        fn()
        calls += 1
    once = (time.perf_counter() - start) / calls
    loops = max(1, int(min_sample_s / max(once, 1e-9)))
    return [_sample(fn, loops) for _ in range(samples)]


def _worker(
    conn: Any, family: str, quick: bool, samples: int, only: str, threads: int | None
) -> None:
    """A process that builds one library's implementations, times them all, and exits."""
    if threads is not None and family == TORCH:
        import torch

        torch.set_num_threads(threads)
    results = {
        case.name: {impl: time_block(fn, samples) for impl, fn in case.impls.items()}
        for case in build_cases(quick, family)
        if only in case.name
    }
    conn.send(results)
    conn.close()


def _time_family(
    family: str, quick: bool, samples: int, only: str = "", threads: int | None = None
) -> dict[str, dict[str, list[float]]]:
    """Run one worker process to completion, so no other library's threads are alive."""
    context = multiprocessing.get_context("spawn")
    here, there = context.Pipe(duplex=False)
    # the importable module's function, also when this file runs as __main__
    target = importlib.import_module("engine.bench")._worker
    args = (there, family, quick, samples, only, threads)
    saved = os.environ.get("OPENBLAS_NUM_THREADS")
    if threads is not None:  # read by OpenBLAS when the child imports numpy
        os.environ["OPENBLAS_NUM_THREADS"] = str(threads)
    try:
        process = context.Process(target=target, args=args)
        process.start()
    finally:
        if saved is None:
            os.environ.pop("OPENBLAS_NUM_THREADS", None)
        else:
            os.environ["OPENBLAS_NUM_THREADS"] = saved
    there.close()
    try:
        results = here.recv()
    except EOFError as err:
        raise RuntimeError(
            f"the {family} benchmark worker died (exit code {process.exitcode})"
        ) from err
    finally:
        process.join()
    return results


def run(
    quick: bool, samples: int, rounds: int = 3, only: str = "", threads: int | None = None
) -> list[Row]:
    """Time every case: each round runs a numpy worker, then a torch worker (one at a time)."""
    cases = [c for c in build_cases(quick, family="none") if only in c.name]  # no impls built
    times: dict[str, dict[str, list[float]]] = {c.name: {n: [] for n in c.names} for c in cases}
    families = [NUMPY, TORCH] if torch_available() else [NUMPY]
    for _ in range(rounds):
        for family in families:
            results = _time_family(family, quick, max(1, samples // rounds), only, threads)
            for case_name, per_impl in results.items():
                for impl, ts in per_impl.items():
                    times[case_name][impl] += ts
    rows = []
    for case in cases:
        medians = {name: statistics.median(ts) for name, ts in times[case.name].items()}
        baseline = "torch" if "torch" in medians else "engine"
        for name, ts in times[case.name].items():
            met = None
            if name == "engine" and case.check is not None:
                met = bool(case.check(medians))
            rows.append(
                Row(
                    case.name,
                    case.detail,
                    name,
                    case.dtype,
                    medians[name],
                    min(ts),
                    len(ts),
                    medians[name] / medians[baseline],
                    baseline,
                    case.target if name == "engine" else "",
                    met,
                )
            )
    return rows


class CpuWatch:
    """Share of the machine's CPU time that *other* processes used while the benchmark ran
    (Linux only): ``/proc/stat``'s busy time minus this process and its workers."""

    def __init__(self) -> None:
        self.start = self._sample()

    @staticmethod
    def _sample() -> tuple[float, float, float] | None:
        try:
            with open("/proc/stat") as stat:
                fields = [float(v) for v in stat.readline().split()[1:]]
        except (OSError, ValueError):
            return None
        tick = os.sysconf("SC_CLK_TCK")
        total = sum(fields[:8]) / tick
        busy = total - (fields[3] + fields[4]) / tick  # minus idle and iowait
        own = sum(
            resource.getrusage(who).ru_utime + resource.getrusage(who).ru_stime
            for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)
        )
        return total, busy, own

    def others(self) -> float | None:
        end = self._sample()
        if self.start is None or end is None or end[0] <= self.start[0]:
            return None
        total, busy, own = (e - s for e, s in zip(end, self.start, strict=True))
        return max(0.0, busy - own) / total


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
    if torch_available():
        import torch

        info["torch"] = torch.__version__
        info["torch_threads"] = torch.get_num_threads()
    return info


def format_table(rows: Sequence[Row]) -> str:
    headers = ["case", "implementation", "dtype", "median", "min", "ratio", "target", "met"]
    body = []
    for r in rows:
        ratio = f"{r.ratio:.2f}× {r.baseline}"
        met = "" if r.met is None else ("yes" if r.met else "NO")
        body.append(
            [
                r.case,
                r.impl,
                r.dtype,
                _duration(r.median_s),
                _duration(r.min_s),
                ratio,
                r.target,
                met,
            ]
        )
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
    parser.add_argument("--repeat", type=int, default=21, help="timed samples per implementation")
    parser.add_argument(
        "--rounds",
        type=int,
        default=3,
        help="alternations between the libraries (the samples are split)",
    )
    parser.add_argument("--quick", action="store_true", help="only the tiny and small cases")
    parser.add_argument(
        "--only", default="", metavar="TEXT", help="only the cases whose name contains TEXT"
    )
    parser.add_argument(
        "--threads",
        type=int,
        default=None,
        help="threads for OpenBLAS and PyTorch (default: their own choice)",
    )
    args = parser.parse_args(argv)
    if args.repeat < 1 or args.rounds < 1:
        parser.error("--repeat and --rounds must be at least 1")
    if args.threads is not None and args.threads < 1:
        parser.error("--threads must be at least 1")
    if not any(args.only in case.name for case in build_cases(args.quick, family="none")):
        parser.error(f"no case matches --only {args.only!r}")
    watch = CpuWatch()
    rows = run(args.quick, args.repeat, args.rounds, only=args.only, threads=args.threads)
    others = watch.others()
    env = environment()
    if args.threads is not None:
        env["openblas_threads"] = env["torch_threads"] = args.threads
        if "torch" not in env:
            del env["torch_threads"]
    if others is not None:
        env["cpu_used_by_other_processes"] = round(others, 3)
    if args.json:
        print(json.dumps({"environment": env, "results": [asdict(r) for r in rows]}, indent=2))
    else:
        print(", ".join(f"{k} {v}" for k, v in env.items()))
        print()
        print(format_table(rows))
        if "torch" not in env:
            print("\nPyTorch is not installed: ratios are to the engine (pip install '.[bench]').")
        if others is not None and others > 0.05:
            print(
                f"\nWarning: other processes used {others:.0%} of the CPUs during this run; "
                "multi-threaded timings are unreliable on a busy machine."
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
