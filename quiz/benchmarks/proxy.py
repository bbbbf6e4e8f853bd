"""Several Stride replicas on one database behind nginx, as a school deploys them.

:func:`nginx_proxy` renders ``deploy/nginx.conf`` (the file the README tells a school to use,
not a copy) for some replicas and serves it on a free loopback port; :func:`running_replicas`
starts the replicas. nginx's access log names the replica (``upstream=``) and the browser's
route cookie (``route=``) of every request: :func:`read_access_log` parses it, so a test can
tell which replica served what.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from quiz.benchmarks.server import free_port, poll_health, running_app, stop
from quiz.config import PROJECT_ROOT

NGINX_TEMPLATE = PROJECT_ROOT / "deploy" / "nginx.conf"
_PLACEHOLDER = re.compile(r"@[A-Z_]+@")
ROUTE_COOKIE = "stride_route"
"""The cookie nginx sets to keep a browser on one replica (see deploy/nginx.conf)."""

_LOG_LINE = re.compile(
    r'^(?P<client>\S+) \[(?P<time>[^]]+)\] "(?P<request>[^"]*)" (?P<status>\d{3}) \d+ '
    r"upstream=(?P<upstream>\S+) route=(?P<route>\S*) time=(?P<seconds>[\d.]+)$"
)


def find_nginx() -> str | None:
    """``$STRIDE_NGINX``, else ``nginx`` on the PATH, else ``/usr/sbin/nginx``, if any."""
    candidate = os.environ.get("STRIDE_NGINX") or shutil.which("nginx") or "/usr/sbin/nginx"
    return candidate if Path(candidate).exists() else None


def render_nginx_conf(
    upstreams: Sequence[str], *, listen: str, run_dir: Path, log_dir: Path
) -> str:
    """``deploy/nginx.conf`` with its placeholders filled in.

    ``upstreams`` are the replicas' base URLs (``http://127.0.0.1:8501``); ``listen`` is what
    nginx's ``listen`` takes (``127.0.0.1:8080``).
    """
    if not upstreams:
        raise ValueError("nginx needs at least one replica to send requests to")
    servers = []
    for url in upstreams:
        parts = urlsplit(url)
        if parts.scheme != "http" or not parts.hostname or not parts.port:
            raise ValueError(f"a replica is named http://HOST:PORT, not {url!r}")
        servers.append(f"server {parts.hostname}:{parts.port};")
    values = {
        "@LISTEN@": listen,
        "@UPSTREAM_SERVERS@": "\n        ".join(servers),
        "@RUN_DIR@": str(run_dir),
        "@LOG_DIR@": str(log_dir),
    }
    lines = []
    for line in NGINX_TEMPLATE.read_text(encoding="utf-8").splitlines(keepends=True):
        if not line.lstrip().startswith("#"):  # the comments name the placeholders
            line = _PLACEHOLDER.sub(lambda found: values.get(found[0], found[0]), line)
            if leftover := _PLACEHOLDER.findall(line):
                raise ValueError(f"{NGINX_TEMPLATE}: nothing fills in {leftover}: {line!r}")
        lines.append(line)
    return "".join(lines)


def access_log_path(workdir: Path) -> Path:
    """Where :func:`nginx_proxy` (started with this ``workdir``) writes its access log."""
    return workdir / "logs" / "access.log"


def error_log_path(workdir: Path) -> Path:
    return workdir / "logs" / "error.log"


@contextmanager
def nginx_proxy(
    upstreams: Sequence[str], workdir: Path, *, nginx: str | None = None, timeout: float = 30
) -> Iterator[str]:
    """Serve ``deploy/nginx.conf`` in front of ``upstreams`` on a free loopback port.

    Yields the proxy's base URL once ``/_stcore/health`` answers through it; stops nginx on
    exit. The rendered ``nginx.conf`` and ``logs/`` (see :func:`access_log_path`) are kept in
    ``workdir``. nginx's temporary files go to a directory of their own under the system's
    temporary directory: started as root, nginx's workers run as ``nobody``, who could not
    reach into a private ``workdir`` (pytest's are).
    """
    binary = nginx or find_nginx()
    if binary is None:
        raise RuntimeError("nginx not found (apt-get install nginx, or set STRIDE_NGINX)")
    workdir.mkdir(parents=True, exist_ok=True)
    log_dir = workdir / "logs"
    log_dir.mkdir(exist_ok=True)
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="stride-nginx-") as run_dir:
        os.chmod(run_dir, 0o755)  # nginx's workers (nobody, under root) reach their dirs
        config = workdir / "nginx.conf"
        config.write_text(
            render_nginx_conf(
                upstreams, listen=f"127.0.0.1:{port}", run_dir=Path(run_dir), log_dir=log_dir
            ),
            encoding="utf-8",
        )
        output = open(log_dir / "nginx.out", "wb")  # noqa: SIM115 - closed below
        process = subprocess.Popen(
            [binary, "-c", str(config), "-p", str(workdir), "-g", "daemon off;"],
            stdout=output,
            stderr=subprocess.STDOUT,
        )
        url = f"http://127.0.0.1:{port}"
        try:
            try:
                poll_health(url, process, time.perf_counter() + timeout, name="nginx")
            except RuntimeError as error:
                raise RuntimeError(f"{error}: {_nginx_errors(workdir)}") from None
            yield url
        finally:
            stop(process)  # SIGTERM: nginx's fast shutdown, open websockets are closed
            output.close()


def _nginx_errors(workdir: Path) -> str:
    texts = []
    for path in (workdir / "logs" / "nginx.out", error_log_path(workdir)):
        if path.exists():
            texts.append(path.read_text(encoding="utf-8", errors="replace").strip())
    return "\n".join(text for text in texts if text) or "(nothing logged)"


@contextmanager
def running_replicas(
    count: int,
    database_url: str,
    workdir: Path,
    *,
    env: Mapping[str, str] | None = None,
) -> Iterator[list[str]]:
    """``count`` app servers on one database (``STRIDE_DATABASE_URL``); yields their URLs.

    Each has its own data directory and log (``workdir/replica-N``, ``replica-N.log``). They
    are started one after the other (the first migrates the database) and all stopped on exit.
    """
    with ExitStack() as stack:
        urls = []
        for number in range(1, count + 1):
            settings = {**(env or {}), "STRIDE_DATABASE_URL": database_url}
            urls.append(
                stack.enter_context(
                    running_app(
                        str(workdir / f"replica-{number}"),
                        env=settings,
                        log=str(workdir / f"replica-{number}.log"),
                    )
                )
            )
        yield urls


@dataclass(frozen=True)
class AccessLogEntry:
    """One request as nginx logged it (``log_format stride`` in deploy/nginx.conf)."""

    method: str
    path: str
    status: int
    upstream: str
    """The replica's ``host:port`` (``-`` when nginx answered alone; several when retried)."""
    route: str

    @property
    def is_websocket(self) -> bool:
        return self.path.startswith("/_stcore/stream") and self.status == 101


def read_access_log(workdir: Path) -> list[AccessLogEntry]:
    """Every request in the access log of the nginx started with this ``workdir``."""
    path = access_log_path(workdir)
    if not path.exists():
        return []
    entries = []
    for line in path.read_text(encoding="utf-8").splitlines():
        found = _LOG_LINE.match(line)
        if found is None:
            raise ValueError(f"unexpected line in {path}: {line!r}")
        method, _, rest = found["request"].partition(" ")
        entries.append(
            AccessLogEntry(
                method=method,
                path=rest.rsplit(" ", 1)[0],
                status=int(found["status"]),
                upstream=found["upstream"],
                route=found["route"],
            )
        )
    return entries


def upstream_of(url: str) -> str:
    """``host:port`` of a replica's base URL, as nginx logs it in ``upstream=``."""
    parts = urlsplit(url)
    return f"{parts.hostname}:{parts.port}"
