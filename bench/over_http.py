"""The pages a reviewer lives in, measured the way users meet them: over HTTP, from gunicorn
with production settings (DEBUG off, 2 workers), under concurrent load, each page's requests/s
as a share of a login-required view that returns a constant on the same server (the framework's
floor: middleware, session and user, without the page's own work).

    .venv/bin/python bench/run.py --http --json       # on DATABASE_URL's engine (SQLite if unset)
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/handbook_review \
        .venv/bin/python bench/run.py --http
    REDIS_URL=redis://127.0.0.1:6379/3 .venv/bin/python bench/run.py --http  # caches in Redis
    .venv/bin/python bench/run.py --http --load [--reviewers 50] [--load-seconds 120]

(A mode of bench/run.py rather than a bench/http.py: the bench's folder is first on a script's
path, where a file named http.py would stand in for the standard library's `http`.)

It seeds a scratch database (bench/seeding.py) with one handbook: chapters of --words words with
0, 100, 300 and 1,000 threads (a third of the threads have two more comments), six counterparts
and an editor; starts gunicorn on it (bench/http_settings.py adds the constant view); drives
each page with wrk (`wrk -t2 -c8 --latency`) where it is installed, otherwise with a Python
load of the same shape; interleaves the constant view with every page for --runs rounds; and
prints requests/s, p50/p99 and the share of the constant view (the median of the rounds' shares,
each against the same round's constant). Then it sends 1,000 requests of the 1,000-thread page
and reads the workers' resident memory (`worker_rss_mb`, the largest).

With --load, instead of all that: --reviewers reviewers read and write on the 300-thread chapter
at once for --load-seconds, through the pages' own forms (bench/http_load.py), and it prints
errors, writes answered as saved but missing from the database, and the latencies.

Not a timed test in CI: the figures depend on the machine; bench/README.md keeps a table.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import os
import random
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from seeding import (
    ROOT,
    log_in,
    markdown_chapter,
    progress,
    scratch_database,
    sentence,
    set_up_django,
)

THREAD_COUNTS = (0, 100, 300, 1_000)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--words", type=int, default=20_000, help="words in each chapter")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument("--seconds", type=int, default=8, help="length of one wrk run")
    parser.add_argument("--runs", type=int, default=3, help="interleaved rounds")
    parser.add_argument("--connections", type=int, default=8, help="concurrent connections")
    parser.add_argument("--memory-requests", type=int, default=1_000, help="for worker_rss_mb")
    parser.add_argument("--seed", type=int, default=1, help="seed of the generated text")
    parser.add_argument("--json", action="store_true", help="print one JSON object of figures")
    parser.add_argument(
        "--python-load", action="store_true", help="use the Python load even where wrk exists"
    )
    parser.add_argument(
        "--load",
        action="store_true",
        help="instead: --reviewers reading and writing on the 300-thread chapter (http_load.py)",
    )
    parser.add_argument("--reviewers", type=int, default=50, help="simulated reviewers (--load)")
    parser.add_argument("--load-seconds", type=int, default=120, help="length of the --load run")
    parser.add_argument(
        "--think-seconds",
        type=float,
        default=1.0,
        help="a reviewer's mean pause after each request (--load; 0: back to back)",
    )
    return parser.parse_args(argv)


# --- Seeding ----------------------------------------------------------------------------------


@dataclass
class Site:
    chapters: dict[int, str]  # threads -> path of its chapter page
    my_review: str
    dashboard: str
    notifications: str
    counterpart_cookie: str  # session cookie of a counterpart (AL)
    editor_cookie: str
    chapter_1000_pk: int
    chapter_300_pk: int


def seed(args: argparse.Namespace) -> Site:
    """Threads are made through the actions (open_thread, add_comment), as a reviewer makes them,
    so that the index, the notifications and the caches' stamps are what they would be."""
    from django.conf import settings
    from django.test import Client
    from django.urls import reverse

    from comments.actions import add_comment
    from handbook_review.clock import now
    from handbook_review.people.models import Agency, Role
    from tests import factories

    rng = random.Random(args.seed)
    codes = ["AL", "BA", "XK", "ME", "MK", "RS"]
    handbook = factories.handbook(slug="http", codes=tuple(codes))
    counterparts = [
        factories.user(
            Role.COUNTERPART, code=code, agency=Agency.BORDER_POLICE, name=f"Counterpart {code}"
        )
        for code in codes
    ]
    editor = factories.user(Role.EDITOR, code="RS", agency=Agency.OTHER, name="Editor One")
    chapters = {
        count: factories.chapter(
            handbook,
            by=editor,
            title=f"Chapter with {count} threads",
            body=markdown_chapter(args.words, rng),
            in_round=False,
        )
        for count in THREAD_COUNTS
    }
    factories.review_round(
        handbook,
        list(chapters.values()),
        opens_at=now() - timedelta(hours=1),
        closes_at=now() + timedelta(days=30),
        by=editor,
        name="Workshop round",
    )
    everyone = [*counterparts, editor]
    for count, chapter in chapters.items():
        started = time.perf_counter()
        text = chapter.plain_text()
        words = list(re.finditer(r"\S+", text))
        slot = len(words) // max(count, 1)
        threads = []
        for n in range(count):
            length = rng.randint(2, min(6, slot))
            first = n * slot + rng.randint(0, slot - length)
            start, end = words[first].start(), words[first + length - 1].end()
            threads.append(
                factories.comment_thread(
                    chapter,
                    by=counterparts[n % len(counterparts)],
                    words=text[start:end],
                    at=start,
                    body=f"{sentence(rng)} {sentence(rng)}",
                )
            )
        # A third of the threads have two more comments: 300 threads, 500 comments.
        for thread in threads[::3]:
            for _ in range(2):
                add_comment(thread, by=rng.choice(everyone), body=sentence(rng))
        progress(f"chapter with {count} threads in {time.perf_counter() - started:.0f} s")

    def cookie(person: Any) -> str:
        client = Client()
        log_in(client, person)
        return client.cookies[settings.SESSION_COOKIE_NAME].value

    return Site(
        chapters={count: c.get_absolute_url() for count, c in chapters.items()},
        my_review=reverse("comments:my_review", kwargs={"slug": handbook.slug}),
        dashboard=reverse("comments:dashboard", kwargs={"slug": handbook.slug}),
        notifications=reverse("notifications:list"),
        counterpart_cookie=cookie(counterparts[0]),
        editor_cookie=cookie(editor),
        chapter_1000_pk=chapters[1_000].pk,
        chapter_300_pk=chapters[300].pk,
    )


# --- The server -------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def gunicorn(database_url: str, workers: int) -> Iterator[tuple[int, subprocess.Popen[bytes]]]:
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "DJANGO_SETTINGS_MODULE": "bench.http_settings",
        "DEBUG": "false",
        "SECURE_SSL_REDIRECT": "false",
        "SESSION_COOKIE_SECURE": "false",
        "CSRF_COOKIE_SECURE": "false",
        "STATIC_MANIFEST": "false",
        "ALLOWED_HOSTS": "127.0.0.1",
    }
    command = [
        str(Path(sys.executable).parent / "gunicorn"),
        "handbook_review.wsgi",
        f"--workers={workers}",
        f"--bind=127.0.0.1:{port}",
        f"--pythonpath={ROOT}",
        "--log-level=warning",
    ]
    # The server's output goes to stderr: with --json, stdout carries the figures alone (and
    # the writes of --load may print, e.g. console e-mail).
    server = subprocess.Popen(  # noqa: S603 - this interpreter's gunicorn, our own arguments
        command, cwd=ROOT, env=env, start_new_session=True, stdout=sys.__stderr__
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            with contextlib.suppress(OSError):
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            if server.poll() is not None or time.monotonic() > deadline:
                raise SystemExit("bench: gunicorn did not start")
            time.sleep(0.2)
        progress(f"gunicorn with {workers} workers on port {port}")
        yield port, server
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)


def worker_rss_mb(server: subprocess.Popen[bytes]) -> float:
    """The largest resident memory among the master's children (the workers), in MB."""
    children = Path(f"/proc/{server.pid}/task/{server.pid}/children").read_text().split()
    sizes = []
    for pid in children:
        status = Path(f"/proc/{pid}/status").read_text()
        found = re.search(r"VmRSS:\s+(\d+) kB", status)
        if found:
            sizes.append(int(found[1]) / 1024)
    return round(max(sizes), 1)


# --- Load -------------------------------------------------------------------------------------


@dataclass
class Run:
    rps: float
    p50_ms: float
    p99_ms: float
    size: int  # bytes of one response


def fetch(port: int, path: str, cookie: str) -> tuple[int, bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        connection.request("GET", path, headers={"Cookie": f"sessionid={cookie}"})
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def check(port: int, path: str, cookie: str) -> int:
    """The page answers 200 itself (wrk counts a redirect to the login page as a success)."""
    status, body = fetch(port, path, cookie)
    if status != 200:
        raise SystemExit(f"bench: {path} gave {status}")
    return len(body)


_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def wrk(port: int, path: str, cookie: str, args: argparse.Namespace) -> tuple[float, float, float]:
    out = subprocess.run(  # noqa: S603 - wrk from the PATH, our own arguments
        [
            shutil.which("wrk") or "wrk",
            "-t2",
            f"-c{args.connections}",
            f"-d{args.seconds}s",
            "--timeout=30s",
            "--latency",
            "-H",
            f"Cookie: sessionid={cookie}",
            f"http://127.0.0.1:{port}{path}",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    if "Non-2xx" in out or "Socket errors" in out:
        raise SystemExit(f"bench: errors under load on {path}:\n{out}")

    def latency(percent: str) -> float:
        found = re.search(rf"^\s*{percent}%\s+([\d.]+)(us|ms|s)\s*$", out, re.M)
        if not found:
            raise SystemExit(f"bench: no {percent}% latency in wrk's output:\n{out}")
        return float(found[1]) * _UNITS[found[2]]

    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out)[1])  # type: ignore[index]
    return rps, latency("50"), latency("99")


def python_load(
    port: int, path: str, cookie: str, args: argparse.Namespace
) -> tuple[float, float, float]:
    """wrk's shape without wrk: --connections threads, each on one kept-alive connection,
    requesting the page back to back for --seconds."""
    timings: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    stop = time.monotonic() + args.seconds

    def client() -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        mine = []
        while time.monotonic() < stop:
            started = time.perf_counter()
            connection.request("GET", path, headers={"Cookie": f"sessionid={cookie}"})
            response = connection.getresponse()
            response.read()
            if response.status != 200:
                errors.append(f"{response.status}")
            mine.append((time.perf_counter() - started) * 1000)
        connection.close()
        with lock:
            timings.extend(mine)

    started = time.perf_counter()
    workers = [threading.Thread(target=client) for _ in range(args.connections)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    elapsed = time.perf_counter() - started
    if errors:
        raise SystemExit(f"bench: {len(errors)} errors under load on {path} ({errors[0]})")
    timings.sort()
    return (
        len(timings) / elapsed,
        timings[len(timings) // 2],
        timings[min(len(timings) - 1, int(len(timings) * 0.99))],
    )


# --- The measurement --------------------------------------------------------------------------


def measure(port: int, site: Site, args: argparse.Namespace) -> dict[str, Any]:
    load = python_load if args.python_load or not shutil.which("wrk") else wrk
    progress(f"load: {load.__name__}, {args.connections} connections, {args.seconds} s a run")
    constant = "/bench/constant/"
    pages: dict[str, tuple[str, str]] = {
        **{str(n): (path, site.counterpart_cookie) for n, path in site.chapters.items()},
        "my_review": (site.my_review, site.counterpart_cookie),
        "dashboard": (site.dashboard, site.editor_cookie),
        "notifications": (site.notifications, site.counterpart_cookie),
    }
    figures: dict[str, Any] = {}
    sizes = {name: check(port, path, cookie) for name, (path, cookie) in pages.items()}
    check(port, constant, site.counterpart_cookie)
    shares: dict[str, list[float]] = {name: [] for name in pages}
    runs: dict[str, list[tuple[float, float, float]]] = {name: [] for name in [*pages, "floor"]}
    for n in range(args.runs):
        for name, (path, cookie) in pages.items():
            floor = load(port, constant, cookie, args)
            page = load(port, path, cookie, args)
            runs["floor"].append(floor)
            runs[name].append(page)
            shares[name].append(page[0] / floor[0])
            progress(
                f"round {n + 1}: {name}: {page[0]:.1f} req/s, p50 {page[1]:.1f} ms, "
                f"p99 {page[2]:.1f} ms; constant {floor[0]:.1f} req/s; "
                f"share {page[0] / floor[0]:.1%}"
            )
    for name in [*pages, "floor"]:
        key = f"chapter_{name}" if name.isdigit() else name
        figures[f"{key}_rps"] = round(statistics.median(r[0] for r in runs[name]), 1)
        figures[f"{key}_p50_ms"] = round(statistics.median(r[1] for r in runs[name]), 1)
        figures[f"{key}_p99_ms"] = round(statistics.median(r[2] for r in runs[name]), 1)
        if name in sizes:
            figures[f"{key}_kb"] = round(sizes[name] / 1024, 1)
    for name, values in shares.items():
        figures[f"share_{name}"] = round(statistics.median(values), 3)
    return figures


BUDGETS = {
    "share_0": 0.60,
    "share_300": 0.50,
    "share_1000": 0.40,
    "share_my_review": 0.50,
    "share_dashboard": 0.50,
    "share_notifications": 0.50,
}


def memory(
    port: int, server: subprocess.Popen[bytes], site: Site, args: argparse.Namespace
) -> float:
    """Resident memory of the largest worker after --memory-requests of the 1,000-thread page
    (from --connections clients at once, so that both workers serve)."""
    path = site.chapters[1_000]
    left = iter(range(args.memory_requests))
    lock = threading.Lock()

    def client() -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        while True:
            with lock:
                if next(left, None) is None:
                    break
            connection.request(
                "GET", path, headers={"Cookie": f"sessionid={site.counterpart_cookie}"}
            )
            connection.getresponse().read()
        connection.close()

    clients = [threading.Thread(target=client) for _ in range(args.connections)]
    for c in clients:
        c.start()
    for c in clients:
        c.join()
    return worker_rss_mb(server)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    figures: dict[str, Any] = {}
    # The sessions made here are signed with the key the server checks them with.
    os.environ.setdefault("SECRET_KEY", f"bench-http-{random.randbytes(24).hex()}")
    with contextlib.redirect_stdout(sys.stderr), scratch_database() as url:
        set_up_django(url)
        from django.db import connection, connections

        figures.update(database=connection.vendor, words=args.words, workers=args.workers)
        figures["redis"] = bool(os.environ.get("REDIS_URL"))
        site = seed(args)
        if args.load:
            import http_load

            plan = http_load.prepare(site, args)
            figures.update(
                load_reviewers=args.reviewers,
                load_seconds=args.load_seconds,
                load_think_seconds=args.think_seconds,
            )
            connections.close_all()
            with gunicorn(url, args.workers) as (port, _server):
                tally = http_load.run(port, plan, args)
            figures.update(http_load.figures(tally, plan))
            verdicts = {key: met(figures) for key, (_, met) in http_load.BUDGETS.items()}
        else:
            connections.close_all()
            with gunicorn(url, args.workers) as (port, server):
                figures.update(measure(port, site, args))
                figures["worker_rss_mb"] = memory(port, server, site, args)
            verdicts = {key: figures[key] >= low for key, low in BUDGETS.items() if key in figures}
            verdicts["worker_rss_mb"] = figures["worker_rss_mb"] <= 200
    if args.json:
        print(json.dumps(figures))
    else:
        for key, value in figures.items():
            verdict = verdicts.get(key)
            mark = "" if verdict is None else ("ok" if verdict else "MISSED")
            print(f"{key:28} {value!s:>10}  {mark}")
    return 0 if all(verdicts.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
