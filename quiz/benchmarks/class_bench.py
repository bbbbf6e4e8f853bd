"""``stride bench class``: five hundred students on one server, against bare Streamlit.

Every figure is measured on servers this command starts on loopback (``streamlit run`` from the
project root, so with the production settings of ``.streamlit/config.toml``), and each Stride
figure has its *floor* measured in the same run: the bare page of :mod:`quiz.benchmarks.bare_app`
under the same load. Phases (``--phases``, all by default):

* ``class``: ``--students`` (500) students arrive over ``--ramp`` seconds, sign in (classroom
  mode, one account each), and study for ``--duration`` seconds with log-normal think times
  (mean ``--think``, 10 s): reveal, rate, answer exercise items, practise, open Statistics (see
  :mod:`quiz.benchmarks.class_scenario`). Reported per action p50/p95/p99, errors, answers lost
  or doubled (the students' acknowledged answers against the database's rows afterwards), the
  server's CPU seconds and RSS. The same class against the bare page gives the floor.
* ``burst``: ``--burst`` (100) students open the Study page at the same moment (local mode):
  how long until every one has its first page, against the bare page.
* ``idle``: server memory per idle signed-in session (RSS growth over ``--idle`` sessions).
* ``capacity``: the largest class (of ``--capacity-sizes``) whose action p95 stays under
  500 ms, for Stride and for the bare page (shorter runs: ``--capacity-duration``).
* ``soak``: RSS every 30 s over ``--soak-minutes`` (30) of a ``--soak-students`` (200) class;
  the growth after the first ``--soak-warmup`` minutes must be flat.
* ``browser``: what a student feels in Chromium (:mod:`quiz.benchmarks.pages_browser`): cold
  start against bare Streamlit, every page's first draw, rating → next item.

``--replicas N`` serves each target (Stride and the bare page alike) with N processes behind nginx
(``deploy/nginx.conf``), the way one server with N cores runs a class: a Python process runs one
page at a time, whatever the cores. Default 1 (no nginx).

``--profile FILE.svg`` records the Stride server of the ``class`` phase with py-spy (measure
before optimising: that is how the costs fixed so far were found).

``--json`` prints one object with every figure, ``targets``, ``met`` and ``details``; progress
goes to stderr. The load generator runs in this process (asyncio), on the same machine: its own
CPU seconds are reported too. A full run takes about an hour; ``--quick`` shrinks every phase
(for trying it out, not for the README's table).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from quiz.benchmarks.budget import Figure, format_table
from quiz.benchmarks.class_scenario import (
    FIRST_PAGE_ACTIONS,
    PASSWORD,
    STUDY_PAGE,
    BareStudent,
    Scenario,
    StrideStudent,
    Tally,
)
from quiz.benchmarks.http_sign_in import browser_client
from quiz.benchmarks.http_sign_in import sign_in as http_sign_in
from quiz.benchmarks.protocol import ProtocolClient, ProtocolError
from quiz.benchmarks.proxy import nginx_proxy
from quiz.benchmarks.server import STRIDE_ASGI, Server, running_server
from quiz.benchmarks.timing import percentile
from quiz.config import PROJECT_ROOT
from quiz.runtime import Stride
from quiz.scheduling import utc_now
from quiz.services.access import COMMAND_LINE
from quiz.services.accounts import create_user
from quiz.store.models import Attempt, ReviewLog, User
from quiz.vocabulary import ROLE_STUDENT

BARE_APP = PROJECT_ROOT / "quiz" / "benchmarks" / "bare_app.py"
PHASES = ("class", "burst", "idle", "capacity", "soak", "browser")
CLASS_ENV = {"STRIDE_AUTH": "password", "STRIDE_NEW_CARDS_PER_DAY": "9999"}
CAPACITY_P95_S = 0.5
MIB = 1024 * 1024

FIGURES = (
    Figure("class_p95_ms", "Class: action p95 (reveal, rate, items, practice)", "ms", 300.0),
    Figure("class_ratio", "Class: p95 ÷ bare Streamlit's", "×", 2.0),
    Figure("class_errors", "Class: errors", "", 0),
    Figure("class_lost", "Class: answers lost", "", 0),
    Figure("class_doubled", "Class: answers doubled", "", 0),
    Figure("class_p50_ms", "Class: action p50", "ms"),
    Figure("bare_class_p95_ms", "Bare: action p95, same class", "ms"),
    Figure("capacity_students", "Largest class with p95 < 500 ms", "students"),
    Figure("capacity_ratio", "… as a share of bare Streamlit's", "", 0.8, at_least=True),
    Figure("burst_all_drawn_s", "Burst: every first page drawn", "s"),
    Figure("burst_ratio", "Burst: ÷ bare Streamlit's", "×", 2.0),
    Figure("cold_start_ratio", "Cold start → first card, ÷ bare first paint", "×", 1.5),
    Figure("cold_first_card_s", "Cold start: `stride run` → first card", "s"),
    Figure("page_first_draw_p95_ms", "Any page's first draw in Chromium, p95", "ms", 1000.0),
    Figure("next_item_p95_ms", "Chromium: rating → next item, p95", "ms", 300.0),
    Figure("idle_session_mib", "Memory per idle signed-in session", "MiB", 1.0, inclusive=True),
    Figure("soak_growth_mib", "Soak: RSS growth after warm-up", "MiB"),
    Figure("soak_flat", "Soak: RSS flat after warm-up (growth < 5 %)", "", 1, at_least=True),
)


# --- servers -------------------------------------------------------------------------------


def _proc_cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _proc_rss_bytes(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return 0


@dataclass
class Target:
    """What the class talks to: one server, or ``replicas`` behind nginx; for Stride, its
    database. ``url`` is where students connect (the server's, or nginx's)."""

    name: str
    servers: tuple[Server, ...]
    url: str
    database_url: str | None = None
    classroom: bool = False

    @property
    def server(self) -> Server:
        """The first app server (the one ``--profile`` records)."""
        return self.servers[0]

    def cpu_seconds(self) -> float:
        """CPU seconds of every app server (nginx's are not counted, for either target)."""
        return sum(_proc_cpu_seconds(server.pid) for server in self.servers)

    def rss_mib(self) -> float:
        return sum(_proc_rss_bytes(server.pid) for server in self.servers) / MIB


def usernames(count: int) -> list[str]:
    return [f"student{number:04d}" for number in range(1, count + 1)]


def prepare_class_database(url: str, students: int) -> None:
    """Migrate and seed ``url`` and add ``students`` student accounts with :data:`PASSWORD`.

    The first account is created through the accounts service; the others share its argon2
    hash (hashing 500 passwords would take a minute and measure nothing)."""
    stride = Stride.open(url)
    try:
        now = utc_now()
        names = usernames(students)
        with stride.transaction() as session:
            create_user(session, COMMAND_LINE, names[0], ROLE_STUDENT, PASSWORD, now)
            password_hash = session.scalar(
                select(User.password_hash).where(User.username == names[0])
            )
            session.add_all(
                User(
                    username=name,
                    display_name="",
                    role=ROLE_STUDENT,
                    created_at=now,
                    password_hash=password_hash,
                    must_change_password=False,
                    active=True,
                )
                for name in names[1:]
            )
    finally:
        stride.close()


@contextmanager
def serving(
    name: str, workdir: Path, replicas: int, *, env: dict[str, str], script: Path = STRIDE_ASGI
) -> Iterator[tuple[tuple[Server, ...], str]]:
    """``replicas`` servers of ``script`` (Stride's ``asgi.py`` by default), each with a data
    directory of its own under ``workdir``; with more than one, nginx in front of them
    (``deploy/nginx.conf``, as a school deploys replicas). Yields the servers and the URL
    students connect to."""
    with ExitStack() as stack:
        servers = []
        for number in range(1, replicas + 1):
            data = workdir / f"{name}-replica-{number}"
            data.mkdir(parents=True, exist_ok=True)
            servers.append(
                stack.enter_context(
                    running_server(str(data), script=script, env=env, log=str(data / "server.log"))
                )
            )
        url = servers[0].url
        if replicas > 1:
            url = stack.enter_context(
                nginx_proxy([server.url for server in servers], workdir / f"{name}-nginx")
            )
        yield tuple(servers), url


@contextmanager
def stride_target(
    workdir: Path, students: int, *, classroom: bool = True, replicas: int = 1
) -> Iterator[Target]:
    """Stride on a new SQLite file with ``students`` accounts (classroom) or in local mode,
    served by ``replicas`` processes sharing it."""
    data = workdir / f"stride-{time.monotonic_ns()}"
    data.mkdir(parents=True)
    url = f"sqlite:///{data / 'stride.db'}"
    prepare_class_database(url, students if classroom else 1)
    env = CLASS_ENV if classroom else {"STRIDE_NEW_CARDS_PER_DAY": "9999"}
    with serving("stride", data, replicas, env={**env, "STRIDE_DATABASE_URL": url}) as (
        servers,
        entry,
    ):
        yield Target("stride", servers, entry, url, classroom)


@contextmanager
def bare_target(workdir: Path, *, replicas: int = 1) -> Iterator[Target]:
    data = workdir / f"bare-{time.monotonic_ns()}"
    with serving("bare", data, replicas, env={}, script=BARE_APP) as (servers, entry):
        yield Target("bare", servers, entry)


# --- one class -----------------------------------------------------------------------------


async def _class(target: Target, scenario: Scenario) -> tuple[Tally, dict[str, float]]:
    """Run ``scenario`` against ``target``; the tally and the server's resource figures."""
    tally = Tally()
    start = time.monotonic()
    deadline = start + scenario.ramp_s + scenario.duration_s
    names = usernames(scenario.students)
    cpu_before, generator_before = target.cpu_seconds(), time.process_time()

    async def arrive(index: int) -> None:
        await asyncio.sleep(scenario.ramp_s * index / max(1, scenario.students))
        if target.name == "bare":
            await BareStudent(target.url, names[index], scenario, tally, deadline).run()
        else:
            student = StrideStudent(
                target.url,
                names[index] if target.classroom else "local",
                scenario,
                tally,
                deadline,
                classroom=target.classroom,
            )
            await student.run()

    rss_samples: list[float] = []

    async def sample_rss() -> None:
        while time.monotonic() < deadline:
            rss_samples.append(target.rss_mib())
            await asyncio.sleep(5)

    sampler = asyncio.create_task(sample_rss())
    await asyncio.gather(*(arrive(index) for index in range(scenario.students)))
    sampler.cancel()
    elapsed = time.monotonic() - start
    resources = {
        "elapsed_s": round(elapsed, 1),
        "server_cpu_s": round(target.cpu_seconds() - cpu_before, 1),
        "server_cpu_share": round((target.cpu_seconds() - cpu_before) / elapsed, 3),
        "generator_cpu_s": round(time.process_time() - generator_before, 1),
        "rss_peak_mib": round(max(rss_samples, default=target.rss_mib()), 1),
        "rss_end_mib": round(target.rss_mib(), 1),
    }
    return tally, resources


def _summary(seconds: Sequence[float]) -> dict[str, float | int]:
    ms = [1000 * value for value in seconds]
    return {
        "count": len(ms),
        "p50_ms": round(percentile(ms, 50), 1),
        "p95_ms": round(percentile(ms, 95), 1),
        "p99_ms": round(percentile(ms, 99), 1),
        "max_ms": round(max(ms), 1) if ms else float("nan"),
    }


def studying_seconds(tally: Tally) -> list[float]:
    """Every timed action after the session was opened (sign-in and first page excluded)."""
    return [
        value
        for action, values in tally.seconds.items()
        if action not in FIRST_PAGE_ACTIONS
        for value in values
    ]


def answers_check(database_url: str, tally: Tally) -> dict[str, int]:
    """Acknowledged answers against the database's rows, per student.

    ``lost``: acknowledged but not stored; ``doubled``: stored more often than acknowledged
    (an answer recorded twice, or one stored whose page never came back — the class waits for
    every page it asked for, so that would be a run that errored)."""
    stride = Stride.open(database_url, load_builtin=False)
    try:
        with stride.transaction() as session:
            reviews, attempts = (
                dict(
                    session.execute(
                        select(User.username, func.count(table.id))
                        .join(table, table.user_id == User.id)
                        .group_by(User.username)
                    ).all()
                )
                for table in (ReviewLog, Attempt)
            )
    finally:
        stride.close()
    lost = doubled = 0
    for stored, acknowledged in ((reviews, tally.reviews), (attempts, tally.attempts)):
        for name in set(stored) | set(acknowledged):
            difference = stored.get(name, 0) - acknowledged.get(name, 0)
            lost += max(0, -difference)
            doubled += max(0, difference)
    return {
        "reviews_acknowledged": sum(tally.reviews.values()),
        "reviews_stored": sum(reviews.values()),
        "attempts_acknowledged": sum(tally.attempts.values()),
        "attempts_stored": sum(attempts.values()),
        "lost": lost,
        "doubled": doubled,
    }


def class_result(target: Target, scenario: Scenario) -> dict[str, Any]:
    """One class against one target, summarised (and checked against the database)."""
    tally, resources = asyncio.run(_class(target, scenario))
    studying = studying_seconds(tally)
    result: dict[str, Any] = {
        "target": target.name,
        "students": scenario.students,
        **_summary(studying),
        "actions": {action: _summary(values) for action, values in sorted(tally.seconds.items())},
        "errors": tally.error_count,
        "errors_by_action": dict(tally.errors),
        "error_examples": tally.examples[:10],
        **resources,
    }
    if studying:
        result["server_cpu_ms_per_action"] = round(
            1000 * resources["server_cpu_s"] / len(studying), 2
        )
    if target.database_url:
        result["answers"] = answers_check(target.database_url, tally)
    return result


# --- phases --------------------------------------------------------------------------------


def _progress(message: str) -> None:
    print(f"[stride bench class] {message}", file=sys.stderr, flush=True)


@contextmanager
def profiled(pid: int, output: Path | None, seconds: float) -> Iterator[None]:
    """Record ``pid`` with py-spy for ``seconds`` into the flame graph ``output`` (if given)."""
    if output is None:
        yield
        return
    spy = shutil.which("py-spy", path=str(Path(sys.executable).parent)) or shutil.which("py-spy")
    if spy is None:
        raise SystemExit("--profile needs py-spy (pip install py-spy; it is a dev dependency)")
    output.parent.mkdir(parents=True, exist_ok=True)
    command = [spy, "record", "--pid", str(pid), "--duration", str(max(1, round(seconds)))]
    recorder = subprocess.Popen(
        [*command, "--rate", "100", "--nonblocking", "--output", str(output)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        yield
    finally:
        recorder.wait()
        _progress(f"profile of the Stride server: {output}")


def phase_class(args: argparse.Namespace, workdir: Path) -> dict[str, Any]:
    scenario = _scenario(args, args.students)
    _progress(f"class: {scenario.students} students, Stride (classroom mode)")
    with (
        stride_target(workdir, scenario.students, replicas=args.replicas) as target,
        profiled(target.server.pid, args.profile, scenario.ramp_s + scenario.duration_s),
    ):
        stride = class_result(target, scenario)
    _progress(f"class: {scenario.students} students, bare Streamlit")
    with bare_target(workdir, replicas=args.replicas) as target:
        bare = class_result(target, scenario)
    return {"stride": stride, "bare": bare}


async def _burst(url: str, count: int, page: str) -> list[float]:
    """``count`` new sessions open ``page`` at ``url`` at once; each one's time to its drawn
    page."""

    async def one() -> float:
        client = ProtocolClient(url)
        started = time.perf_counter()
        try:
            run = await client.open(page)
            if run.exceptions or run.status != "ok":
                raise ProtocolError(run.status)
            return time.perf_counter() - started
        finally:
            await client.close()

    return list(await asyncio.gather(*(one() for _ in range(count))))


def phase_burst(args: argparse.Namespace, workdir: Path) -> dict[str, Any]:
    results = {}
    for name, opened, page in (
        (
            "stride",
            lambda: stride_target(workdir, 1, classroom=False, replicas=args.replicas),
            STUDY_PAGE,
        ),
        ("bare", lambda: bare_target(workdir, replicas=args.replicas), ""),
    ):
        _progress(f"burst: {args.burst} sessions open {name}'s first page at once")
        with opened() as target:
            for server in target.servers:  # each process's first page run (imports), directly:
                asyncio.run(_burst(server.url, 2, page))  # through nginx both may hash to one
            seconds = asyncio.run(_burst(target.url, args.burst, page))
        results[name] = {"all_drawn_s": round(max(seconds), 2), **_summary(seconds)}
    return results


async def _idle_sessions(target: Target, count: int) -> list[ProtocolClient]:
    """``count`` students signed in (over HTTP, each as its own browser) and left on Home."""
    clients = []
    for name in usernames(count):
        async with browser_client() as http:
            signed_in = await http_sign_in(http, target.url, name, PASSWORD)
        client = ProtocolClient(target.url, headers={"Cookie": signed_in.cookie_header})
        await client.open("")
        clients.append(client)
    return clients


def phase_idle(args: argparse.Namespace, workdir: Path) -> dict[str, Any]:
    """RSS growth per signed-in session left idle on Home (after a warm-up of 20 sessions)."""
    _progress(f"idle: {args.idle} signed-in sessions left open")

    async def measure(target: Target) -> dict[str, Any]:
        warm = await _idle_sessions(target, 20)
        await asyncio.sleep(2)
        before = target.rss_mib()
        clients = await _idle_sessions(target, args.idle)
        await asyncio.sleep(5)
        after = target.rss_mib()
        for client in warm + clients:
            await client.close()
        return {
            "sessions": args.idle,
            "rss_before_mib": round(before, 1),
            "rss_after_mib": round(after, 1),
            "per_session_mib": round((after - before) / args.idle, 3),
        }

    with stride_target(workdir, args.idle + 20) as target:
        return asyncio.run(measure(target))


def phase_capacity(args: argparse.Namespace, workdir: Path) -> dict[str, Any]:
    """The largest of ``--capacity-sizes`` whose action p95 is under 500 ms, per target."""
    largest = max(args.capacity_sizes)
    found: dict[str, Any] = {}
    for name in ("stride", "bare"):
        runs = []
        best = 0
        for size in sorted(args.capacity_sizes):
            scenario = replace(
                _scenario(args, size), ramp_s=args.capacity_ramp, duration_s=args.capacity_duration
            )
            _progress(f"capacity: {name}, {size} students")
            opened = (
                stride_target(workdir, largest, replicas=args.replicas)
                if name == "stride"
                else bare_target(workdir, replicas=args.replicas)
            )
            with opened as target:
                result = class_result(target, scenario)
            ok = result["p95_ms"] < 1000 * CAPACITY_P95_S and result["errors"] == 0
            runs.append({key: result[key] for key in ("students", "p50_ms", "p95_ms", "errors")})
            if not ok:
                break
            best = size
        found[name] = {"largest": best, "runs": runs, "all_sizes_passed": best == largest}
    return found


def phase_soak(args: argparse.Namespace, workdir: Path) -> dict[str, Any]:
    """RSS of a class studying for ``--soak-minutes``: flat after the warm-up?"""
    scenario = replace(
        _scenario(args, args.soak_students), ramp_s=60.0, duration_s=60 * args.soak_minutes
    )
    _progress(f"soak: {scenario.students} students for {args.soak_minutes:g} minutes")
    samples: list[tuple[float, float]] = []
    with stride_target(workdir, scenario.students, replicas=args.replicas) as target:
        started = time.monotonic()

        async def run() -> Tally:
            async def sample() -> None:
                while True:
                    samples.append((time.monotonic() - started, target.rss_mib()))
                    await asyncio.sleep(30)

            sampler = asyncio.create_task(sample())
            tally, _resources = await _class(target, scenario)
            sampler.cancel()
            return tally

        tally = asyncio.run(run())
        samples.append((time.monotonic() - started, target.rss_mib()))
    warm = [rss for at, rss in samples if at >= 60 * args.soak_warmup]
    start_rss, end_rss = (warm[0], warm[-1]) if warm else (float("nan"), float("nan"))
    return {
        "students": scenario.students,
        "minutes": args.soak_minutes,
        "rss_after_warmup_mib": round(start_rss, 1),
        "rss_end_mib": round(end_rss, 1),
        "growth_mib": round(end_rss - start_rss, 1),
        "flat": bool(end_rss - start_rss < 0.05 * start_rss),
        "errors": tally.error_count,
        "samples": [(round(at), round(rss, 1)) for at, rss in samples],
    }


def phase_browser(args: argparse.Namespace, _workdir: Path) -> dict[str, Any]:
    from quiz.benchmarks import pages_browser

    _progress("browser: cold start, first draws and rating → next item in Chromium")
    return pages_browser.measure(loads=args.loads, items=args.items, starts=args.starts)


RUNNERS: dict[str, Callable[[argparse.Namespace, Path], dict[str, Any]]] = {
    "class": phase_class,
    "burst": phase_burst,
    "idle": phase_idle,
    "capacity": phase_capacity,
    "soak": phase_soak,
    "browser": phase_browser,
}


def _scenario(args: argparse.Namespace, students: int) -> Scenario:
    return Scenario(
        students=students,
        ramp_s=args.ramp,
        duration_s=args.duration,
        think_mean_s=args.think,
        seed=args.seed,
    )


def _ratio(value: float | None, floor: float | None) -> float | None:
    if value is None or floor is None or floor <= 0:
        return None
    return round(value / floor, 2)


def summarise(details: dict[str, Any]) -> dict[str, Any]:
    """The figures (see :data:`FIGURES`) from each phase's details."""
    values: dict[str, Any] = {}
    if klass := details.get("class"):
        stride, bare = klass["stride"], klass["bare"]
        answers = stride.get("answers", {})
        values.update(
            class_p95_ms=stride["p95_ms"],
            class_p50_ms=stride["p50_ms"],
            bare_class_p95_ms=bare["p95_ms"],
            class_ratio=_ratio(stride["p95_ms"], bare["p95_ms"]),
            class_errors=stride["errors"],
            class_lost=answers.get("lost"),
            class_doubled=answers.get("doubled"),
        )
    if capacity := details.get("capacity"):
        values["capacity_students"] = capacity["stride"]["largest"]
        values["capacity_ratio"] = _ratio(
            capacity["stride"]["largest"], capacity["bare"]["largest"]
        )
    if burst := details.get("burst"):
        values["burst_all_drawn_s"] = burst["stride"]["all_drawn_s"]
        values["burst_ratio"] = _ratio(burst["stride"]["all_drawn_s"], burst["bare"]["all_drawn_s"])
    if browser := details.get("browser"):
        for key in (
            "cold_start_ratio",
            "cold_first_card_s",
            "page_first_draw_p95_ms",
            "next_item_p95_ms",
        ):
            values[key] = browser.get(key)
    if idle := details.get("idle"):
        values["idle_session_mib"] = idle["per_session_mib"]
    if soak := details.get("soak"):
        values["soak_growth_mib"] = soak["growth_mib"]
        values["soak_flat"] = int(soak["flat"])
    targets = {f.key: f.target for f in FIGURES if f.target is not None}
    met = {f.key: f.met(values.get(f.key)) for f in FIGURES if f.target is not None}
    measured = [ok for ok in met.values() if ok is not None]
    return {
        **values,
        "targets": targets,
        "met": met,
        "all_met": bool(measured) and all(measured),
        "details": details,
    }


def _sizes(text: str) -> list[int]:
    try:
        sizes = sorted({int(part) for part in text.split(",") if part.strip()})
    except ValueError:
        raise argparse.ArgumentTypeError("expected comma-separated class sizes") from None
    if not sizes or sizes[0] < 1:
        raise argparse.ArgumentTypeError("class sizes must be positive")
    return sizes


def _phases(text: str) -> tuple[str, ...]:
    names = tuple(name.strip() for name in text.split(",") if name.strip())
    if not names or any(name not in PHASES for name in names):
        raise argparse.ArgumentTypeError(f"expected a comma-separated subset of {','.join(PHASES)}")
    return names


QUICK = {
    "students": 40,
    "ramp": 5.0,
    "duration": 30.0,
    "think": 3.0,
    "burst": 20,
    "idle": 20,
    "capacity_sizes": [20, 40],
    "capacity_ramp": 5.0,
    "capacity_duration": 20.0,
    "soak_students": 20,
    "soak_minutes": 1.0,
    "soak_warmup": 0.25,
    "loads": 2,
    "items": 6,
    "starts": 1,
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="stride bench class",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add = parser.add_argument
    add("--json", action="store_true", help="print one JSON object")
    add("--phases", type=_phases, default=PHASES, help=f"subset of {','.join(PHASES)}")
    add("--quick", action="store_true", help="tiny sizes everywhere (a trial, not the figures)")
    add("--students", type=int, default=500, help="class size (default 500)")
    add("--ramp", type=float, default=60.0, help="seconds over which students arrive")
    add("--duration", type=float, default=180.0, help="seconds of studying after the ramp")
    add("--think", type=float, default=10.0, help="mean think time in seconds (log-normal)")
    add("--seed", type=int, default=1, help="seed of the think times and answers")
    add(
        "--replicas",
        type=int,
        default=1,
        help="app processes per target, behind nginx when more than one (one per core: "
        "Python runs one page at a time per process); the bare page gets as many",
    )
    add("--burst", type=int, default=100, help="sessions opening the app at once")
    add("--idle", type=int, default=200, help="idle signed-in sessions for the memory figure")
    add("--capacity-sizes", type=_sizes, default=[200, 400, 600, 800, 1000, 1200])
    add("--capacity-ramp", type=float, default=30.0)
    add("--capacity-duration", type=float, default=90.0)
    add("--soak-students", type=int, default=200)
    add("--soak-minutes", type=float, default=30.0)
    add("--soak-warmup", type=float, default=5.0, help="minutes before RSS must stay flat")
    add("--loads", type=int, default=10, help="browser: loads per page")
    add("--items", type=int, default=40, help="browser: study items walked")
    add("--starts", type=int, default=3, help="browser: cold starts")
    add("--check", action="store_true", help="exit 1 if a target is missed")
    add("--profile", type=Path, help="class phase: py-spy flame graph of Stride's server (.svg)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.quick:
        for key, value in QUICK.items():
            setattr(args, key, value)
    if (
        min(args.students, args.burst, args.idle, args.soak_students, args.replicas) < 1
        or min(args.ramp, args.think) < 0
        or min(args.duration, args.soak_minutes) <= 0
    ):
        parser.error("sizes and times must be positive")
    details: dict[str, Any] = {}
    failures: dict[str, str] = {}
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="stride-class-") as workdir:
        for phase in args.phases:
            try:
                details[phase] = RUNNERS[phase](args, Path(workdir))
            except Exception as error:  # one broken phase must not hide the others' figures
                failures[phase] = f"{type(error).__name__}: {error}"
                _progress(f"{phase} failed: {failures[phase]}")
    result = summarise(details)
    result["failures"] = failures
    result["replicas"] = args.replicas
    result["elapsed_s"] = round(time.perf_counter() - started, 1)
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        print(format_table(result, FIGURES))
        for name, failure in failures.items():
            print(f"{name}: FAILED: {failure}")
        print(f"\n({result['elapsed_s']} s; `stride bench class --json` for the details)")
    return 1 if args.check and (failures or not result["all_met"]) else 0


if __name__ == "__main__":
    sys.exit(main())
