"""Start a throwaway Stride server for browser benchmarks."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from quiz.config import PROJECT_ROOT

STRIDE_ASGI = PROJECT_ROOT / "asgi.py"
"""Stride's ASGI entry point, what ``stride run`` serves."""

CHROMIUM_ARGS = (
    "--headless --no-sandbox --disable-gpu --disable-quic --no-first-run "
    "--disable-background-networking --disable-component-update --disable-sync "
    "--disable-dev-shm-usage"
).split()


def find_chromium() -> str | None:
    """``$STRIDE_CHROMIUM``, else ``chromium`` on the PATH, else ``/usr/bin/chromium``, if any."""
    candidate = os.environ.get("STRIDE_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
    return candidate if Path(candidate).exists() else None


def chromium_args() -> list[str]:
    return list(CHROMIUM_ARGS)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass(frozen=True)
class Server:
    """A Streamlit server started by :func:`running_server`: its base URL and process id."""

    url: str
    pid: int


@contextmanager
def running_app(
    data_dir: str,
    *,
    env: Mapping[str, str] | None = None,
    log: str | None = None,
    timeout: float = 60,
) -> Iterator[str]:
    """Serve Stride (``asgi.py``, as ``stride run`` does) on a free loopback port with its data
    in ``data_dir``; yield the URL.

    ``env`` adds environment variables (``STRIDE_*`` settings); ``log`` is a file for the
    server's output (discarded by default). The server is stopped on exit.
    """
    with running_server(data_dir, env=env, log=log, timeout=timeout) as server:
        yield server.url


@contextmanager
def running_server(
    data_dir: str,
    *,
    script: Path = STRIDE_ASGI,
    env: Mapping[str, str] | None = None,
    log: str | None = None,
    timeout: float = 60,
    options: Sequence[str] = (),
) -> Iterator[Server]:
    """Serve ``script`` (Stride's ``asgi.py`` by default) as :func:`running_app` does; yield the
    :class:`Server`. It runs from the project root, so ``.streamlit/config.toml`` (the
    production settings) applies; ``options`` are more ``streamlit run`` flags."""
    port = free_port()
    environment = {k: v for k, v in os.environ.items() if k != "STRIDE_DATABASE_URL"}
    environment.update({"STRIDE_DATA_DIR": data_dir, **(env or {})})  # env may name a database
    command = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(script),
        "--server.headless",
        "true",
        "--server.port",
        str(port),
        "--server.address",
        "127.0.0.1",
        "--browser.gatherUsageStats",
        "false",
        *options,
    ]
    output = open(log, "wb") if log else subprocess.DEVNULL  # noqa: SIM115 - closed below
    process = subprocess.Popen(
        command, cwd=PROJECT_ROOT, env=environment, stdout=output, stderr=subprocess.STDOUT
    )
    url = f"http://127.0.0.1:{port}"
    try:
        poll_health(url, process, time.perf_counter() + timeout, name="streamlit")
        yield Server(url, process.pid)
    finally:
        stop(process)
        if log:
            output.close()  # type: ignore[union-attr]


def poll_health(
    url: str, process: subprocess.Popen[bytes], deadline: float, *, name: str = "the server"
) -> float:
    """Poll ``url``'s ``/_stcore/health`` every 20 ms until it answers ``ok`` (or ``process``
    exits, or ``time.perf_counter()`` passes ``deadline``); the ``perf_counter`` when it did."""
    while time.perf_counter() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{name} at {url} exited with code {process.returncode}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=1) as response:
                if response.status == 200 and response.read().strip() == b"ok":
                    return time.perf_counter()
        except OSError:
            pass
        time.sleep(0.02)
    raise RuntimeError(f"{name} at {url} was not healthy in time")


def stop(process: subprocess.Popen[bytes], signal_number: int = signal.SIGTERM) -> None:
    """Stop ``process``: ``signal_number`` (terminate), then kill after 10 s."""
    process.send_signal(signal_number)
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@contextmanager
def launched(
    command: Sequence[str], *, env: Mapping[str, str] | None = None
) -> Iterator[subprocess.Popen[bytes]]:
    """Run ``command`` from the project root (so ``.streamlit/config.toml`` applies), output
    discarded, for the ``with`` block; stopped after it."""
    process = subprocess.Popen(
        list(command),
        cwd=PROJECT_ROOT,
        env=dict(env) if env is not None else None,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        yield process
    finally:
        stop(process)
