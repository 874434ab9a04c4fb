"""bench/run.py --http --load: a review workshop's worth of reviewers on one chapter at once.

--reviewers counterparts (50), each with a session of their own, work the 300-thread chapter of
the --http handbook for --load-seconds (120) against the same gunicorn (production settings,
--workers 2). Each one loops: mostly reads (the chapter page, "My review", their notifications,
and the editor's dashboard in the editor's session), a pause of about --think-seconds after every
request, and about one write every 5-10 s: a comment on words of the chapter, a reply to a
thread on the page, or a suggestion, each through the page's own form (GET the page, take its
fields and csrfmiddlewaretoken as a browser would, POST them with the csrftoken cookie, follow
the redirect). Every write carries a unique marker in its text; those that got their success
redirect are looked for in the database afterwards.

The selections are what the page's script would send for words the reader selected (exact,
prefix, suffix, start, end in the chapter's text), computed here from the chapter's plain text
as tests/factories.py comment_thread does; the chapter's text does not change during the run.

This module runs the reviewers; bench/over_http.py seeds, starts gunicorn and prints.
"""

from __future__ import annotations

import argparse
import http.client
import random
import re
import statistics
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from html.parser import HTMLParser
from http.cookies import SimpleCookie
from typing import Any
from urllib.parse import urlencode, urlsplit

from seeding import log_in, progress, sentence

MARK = "loadmark"
MARKER = re.compile(rf"{MARK}-\d+-\d+")
THREAD_ID = re.compile(r'data-thread="(\d+)"')
ALERT = re.compile(r'role="alert"[^>]*>(?:\s*<p>)?([^<]{1,200})')
# What the reviewers read, by weight; a write adds its own GETs of the chapter page.
READS = (("chapter", 4), ("my_review", 2), ("notifications", 2), ("dashboard", 1))
WRITES = ("comment", "reply", "suggestion")
WRITE_EVERY = (5.0, 10.0)  # seconds between one reviewer's writes, uniformly random
WARM_UP = 4  # requests of each page before the clock starts (so that both workers have served)


@dataclass
class Plan:
    pages: dict[str, str]  # read name -> path
    reviewer_cookies: list[str]
    editor_cookie: str
    selections: list[dict[str, str]]  # exact, prefix, suffix, start, end
    reply_path: str  # the reply form's action, with {pk}
    chapter_pk: int


def prepare(site: Any, args: argparse.Namespace) -> Plan:
    """The reviewers (counterparts made by the tests' factories, spread over the handbook's six
    jurisdictions, each logged in once) and the selections they will comment on."""
    from django.conf import settings
    from django.test import Client
    from django.urls import reverse

    from chapters.models import Chapter
    from comments import anchoring
    from handbook_review.people.models import Agency, Role
    from tests import factories

    chapter = Chapter.objects.get(pk=site.chapter_300_pk)
    codes = list(chapter.handbook.jurisdictions.values_list("code", flat=True))
    cookies = []
    for n in range(args.reviewers):
        person = factories.user(
            Role.COUNTERPART,
            code=codes[n % len(codes)],
            agency=Agency.BORDER_POLICE,
            name=f"Reviewer {n}",
        )
        client = Client()
        log_in(client, person)
        cookies.append(client.cookies[settings.SESSION_COOKIE_NAME].value)

    # Three plain words inside a paragraph (no heading, list or formatting, so that a
    # suggestion's words map onto the Markdown one to one), found once in the text and once in
    # the Markdown. In a fixed shuffled order: two writes pick the same words only when the
    # run needs more of them than the chapter has.
    text, body = chapter.plain_text(), chapter.body
    selections = []
    for block in body.split("\n\n"):
        if block.startswith(("#", "-")):
            continue
        for found in re.finditer(r"\b[a-z]+ [a-z]+ [a-z]+\b", block):
            words = found[0]
            if body.count(words) != 1 or text.count(words) != 1:
                continue
            start = text.index(words)
            anchor = anchoring.describe(text, start, start + len(words))
            selections.append(
                {
                    "exact": words,
                    "prefix": anchor.quote.prefix,
                    "suffix": anchor.quote.suffix,
                    "start": str(anchor.start),
                    "end": str(anchor.end),
                }
            )
    random.Random(args.seed).shuffle(selections)
    progress(f"load: {args.reviewers} reviewers, {len(selections)} selections to comment on")
    return Plan(
        pages={
            "chapter": site.chapters[300],
            "my_review": site.my_review,
            "notifications": site.notifications,
            "dashboard": site.dashboard,
        },
        reviewer_cookies=cookies,
        editor_cookie=site.editor_cookie,
        selections=selections,
        reply_path=reverse("comments:reply", args=[999_999_999]).replace("999999999", "{pk}"),
        chapter_pk=chapter.pk,
    )


# --- A browser's share: cookies and forms -----------------------------------------------------


class FormReader(HTMLParser):
    """The fields a browser posts from the first form fed to it: inputs (radios and checkboxes
    only when checked; no buttons, since the plain submit button has no name), textareas and
    selects (the selected option, else the first)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.action = ""
        self.fields: dict[str, str] = {}
        self.forms = 0
        self._textarea = ""
        self._select = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {name: value or "" for name, value in attrs}
        if tag == "form":
            self.forms += 1
            self.action = self.action or a.get("action", "")
            return
        if self.forms != 1:
            return
        name = a.get("name", "")
        if tag == "option" and self._select:
            if self._select not in self.fields or "selected" in a:
                self.fields[self._select] = a.get("value", "")
        elif not name:
            return
        elif tag == "input":
            kind = a.get("type", "text")
            if kind in {"submit", "button", "image", "reset"}:
                return
            if kind in {"radio", "checkbox"} and "checked" not in a:
                return
            self.fields[name] = a.get("value", "on" if kind == "checkbox" else "")
        elif tag == "textarea":
            self._textarea = name
            self.fields[name] = ""
        elif tag == "select":
            self._select = name

    def handle_data(self, data: str) -> None:
        if self._textarea:
            self.fields[self._textarea] += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "textarea":
            self._textarea = ""
        elif tag == "select":
            self._select = ""


def form(page: str, attribute: str) -> tuple[str, dict[str, str]] | None:
    """The action and fields of the form whose tag carries `attribute` (e.g. 'id="new-thread"').
    Only that form's markup is parsed: the 300-thread page is hundreds of kilobytes, and the
    bench shares the two cores with the server."""
    at = page.find(attribute)
    if at < 0:
        return None
    start = page.rfind("<form", 0, at)
    end = page.find("</form>", at)
    if start < 0 or end < 0:
        return None
    reader = FormReader()
    reader.feed(page[start : end + len("</form>")])
    reader.close()
    return reader.action, reader.fields


def remember_cookies(jar: dict[str, str], response: http.client.HTTPResponse) -> None:
    """Keep what Set-Cookie sets (as sent, still quoted), forget what it deletes."""
    for header in response.headers.get_all("Set-Cookie") or []:
        parsed: SimpleCookie = SimpleCookie()
        parsed.load(header)
        for name, morsel in parsed.items():
            if morsel["max-age"] == "0" or not morsel.value:
                jar.pop(name, None)
            else:
                jar[name] = morsel.coded_value


# --- The reviewers ----------------------------------------------------------------------------


@dataclass
class Tally:
    reads: list[tuple[str, float]] = field(default_factory=list)  # (page, ms)
    writes: list[tuple[str, float]] = field(default_factory=list)  # (kind, ms), successful
    written: list[str] = field(default_factory=list)  # markers of successful writes
    errors: Counter[str] = field(default_factory=Counter)  # "what status" -> count
    samples: list[str] = field(default_factory=list)  # a few error messages, for stderr
    client_cpu_s: float = 0.0

    def merge(self, other: Tally) -> None:
        self.reads += other.reads
        self.writes += other.writes
        self.written += other.written
        self.errors.update(other.errors)
        self.samples += other.samples[: max(0, 10 - len(self.samples))]


class Reviewer:
    def __init__(self, n: int, port: int, plan: Plan, args: argparse.Namespace, picks: Any) -> None:
        self.n = n
        self.plan = plan
        self.args = args
        self.picks = picks  # the shared supply of selections
        self.rng = random.Random(args.seed * 1_000 + n)
        self.jar = {"sessionid": plan.reviewer_cookies[n]}
        self.editor_jar = {"sessionid": plan.editor_cookie}
        self.origin = f"http://127.0.0.1:{port}"
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        self.tally = Tally()
        self.last_chapter = ""
        self.made = 0

    def send(
        self, path: str, jar: dict[str, str], data: dict[str, str] | None = None
    ) -> tuple[int, str, str, float] | None:
        """One request, as the browser would send it: status, Location, body and milliseconds;
        None (and an error counted) when the connection failed."""
        headers = {"Cookie": "; ".join(f"{name}={value}" for name, value in jar.items())}
        body = None
        if data is not None:
            body = urlencode(data)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            headers["Origin"] = self.origin
        started = time.perf_counter()
        try:
            method = "GET" if data is None else "POST"
            self.connection.request(method, path, body=body, headers=headers)
            response = self.connection.getresponse()
            content = response.read()
        except (OSError, http.client.HTTPException) as error:
            self.connection.close()
            self.error(f"connection {type(error).__name__}", str(error))
            return None
        elapsed = (time.perf_counter() - started) * 1000
        remember_cookies(jar, response)
        page = content.decode("utf-8", "replace")
        return response.status, response.getheader("Location", ""), page, elapsed

    def error(self, kind: str, detail: str) -> None:
        self.tally.errors[kind] += 1
        if len(self.tally.samples) < 10:
            self.tally.samples.append(f"reviewer {self.n}: {kind}: {detail[:300]}")

    def read(self, name: str, path: str | None = None) -> str | None:
        jar = self.editor_jar if name == "dashboard" else self.jar
        sent = self.send(path or self.plan.pages[name], jar)
        if sent is None:
            return None
        status, location, page, elapsed = sent
        if status != 200:
            self.error(f"read {name} {status}", location or page[:200])
            return None
        self.tally.reads.append((name, elapsed))
        if name == "chapter":
            self.last_chapter = page
        return page

    def write(self) -> None:
        kind = self.rng.choice(WRITES)
        self.made += 1
        marker = f"{MARK}-{self.n}-{self.made}"
        text = f"{sentence(self.rng, 6, 16)} {marker}"
        if kind == "reply":
            ids = THREAD_ID.findall(self.last_chapter) or THREAD_ID.findall(
                self.read("chapter") or ""
            )
            if not ids:
                self.error("reply: no threads on the page", "")
                return
            pk = self.rng.choice(ids)
            page = self.read("chapter", f"{self.plan.pages['chapter']}?thread={pk}")
            found = form(page or "", f'action="{self.plan.reply_path.format(pk=pk)}"')
            if page is not None and found is None:
                self.error("reply: no reply form", f"thread {pk}")
            if found is None:
                return
            action, fields = found
            fields["body"] = text
        else:
            page = self.read("chapter")
            wanted = 'id="new-thread"' if kind == "comment" else 'id="new-suggestion"'
            found = form(page or "", wanted)
            if page is not None and found is None:
                self.error(f"{kind}: no form {wanted}", "")
            if found is None:
                return
            action, fields = found
            selection = next(self.picks)
            fields.update(selection)
            fields["body"] = text
            if kind == "suggestion":
                fields["replacement"] = selection["exact"].upper()
        sent = self.send(action, self.jar, fields)
        if sent is None:
            return
        status, location, page, elapsed = sent
        if status == 302 and "thread=" in location:
            self.tally.writes.append((kind, elapsed))
            self.tally.written.append(marker)
            target = urlsplit(location)
            self.read("chapter", f"{target.path}?{target.query}")  # where the browser goes
        else:
            alerts = "; ".join(a.strip() for a in ALERT.findall(page)) or location or page[:200]
            self.error(f"{kind} {status}", alerts)

    def run(self, stop: float) -> None:
        think = self.args.think_seconds
        names = [name for name, _ in READS]
        weights = [weight for _, weight in READS]
        time.sleep(self.rng.uniform(0, max(think, 1.0)))  # not all at the same instant
        next_write = time.monotonic() + self.rng.uniform(*WRITE_EVERY)
        while time.monotonic() < stop:
            if time.monotonic() >= next_write:
                self.write()
                next_write = time.monotonic() + self.rng.uniform(*WRITE_EVERY)
            else:
                self.read(self.rng.choices(names, weights)[0])
            time.sleep(self.rng.uniform(0.5, 1.5) * think)
        self.connection.close()


def run(port: int, plan: Plan, args: argparse.Namespace) -> Tally:
    """Warm the pages up (any earlier visitor would have), then let the reviewers loose."""
    warm = Reviewer(0, port, plan, args, iter(()))
    for name in plan.pages:
        for _ in range(WARM_UP):
            warm.read(name)
    if warm.tally.errors:
        raise SystemExit(f"bench: the pages fail before the load: {warm.tally.samples}")
    warm.connection.close()

    lock = threading.Lock()
    supply = iter(plan.selections)

    def picks() -> Any:
        # Each selection once, then again from the start if the run outlasts them.
        nonlocal supply
        while True:
            with lock:
                pick = next(supply, None)
                if pick is None:
                    supply = iter(plan.selections)
                    pick = next(supply)
            yield dict(pick)

    shared = picks()
    reviewers = [Reviewer(n, port, plan, args, shared) for n in range(args.reviewers)]
    progress(
        f"load: {args.reviewers} reviewers for {args.load_seconds} s, "
        f"about {args.think_seconds} s between requests, a write every 5-10 s"
    )
    stop = time.monotonic() + args.load_seconds
    cpu = time.process_time()
    threads = [threading.Thread(target=r.run, args=(stop,)) for r in reviewers]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    # The reviewers' own CPU: taken from the same two cores as the server's.
    tally = Tally(client_cpu_s=time.process_time() - cpu)
    for r in reviewers:
        tally.merge(r.tally)
    return tally


def figures(tally: Tally, plan: Plan) -> dict[str, Any]:
    """The run's figures; lost writes are counted in the database (the bench's own connection
    to the same scratch database, after the server stopped)."""
    from comments.models import Comment, Thread

    stored: set[str] = set()
    for body in Comment.objects.filter(body__contains=MARK).values_list("body", flat=True):
        stored.update(MARKER.findall(body))
    lost = [marker for marker in tally.written if marker not in stored]
    reads = [ms for _, ms in tally.reads]
    writes = [ms for _, ms in tally.writes]
    result: dict[str, Any] = {
        "load_errors": sum(tally.errors.values()),
        "load_lost_writes": len(lost),
        "load_writes": len(tally.written),
        "load_reads": len(reads),
        "load_read_p50_ms": round(statistics.median(reads), 1) if reads else None,
        "load_read_p95_ms": round(percentile(reads, 95), 1) if reads else None,
        "load_write_p95_ms": round(percentile(writes, 95), 1) if writes else None,
        # Markers found, including any from writes whose answer never came (a timeout).
        "load_writes_stored": len(stored),
        "load_error_kinds": dict(tally.errors),
        "load_threads_after": Thread.objects.filter(chapter_id=plan.chapter_pk).count(),
        "load_client_cpu_s": round(tally.client_cpu_s, 1),
    }
    for name, _ in READS:
        mine = [ms for page, ms in tally.reads if page == name]
        if mine:
            result[f"load_{name}_p95_ms"] = round(percentile(mine, 95), 1)
    for kind in WRITES:
        mine = [ms for made, ms in tally.writes if made == kind]
        result[f"load_{kind}_writes"] = len(mine)
    for sample in tally.samples:
        progress(f"load error: {sample}")
    if lost:
        progress(f"load: {len(lost)} writes answered as saved but not found, e.g. {lost[:5]}")
    return result


def percentile(values: list[float], p: int) -> float:
    if len(values) < 2:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[p - 1]


# Figure -> (budget as shown, whether the figures meet it); the (16) budgets.
BUDGETS = {
    "load_errors": ("= 0", lambda f: f["load_errors"] == 0),
    "load_lost_writes": ("= 0", lambda f: f["load_lost_writes"] == 0),
    "load_read_p95_ms": (
        "<= 300 ms",
        lambda f: f["load_read_p95_ms"] is not None and f["load_read_p95_ms"] <= 300,
    ),
}
