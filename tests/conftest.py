"""The cast: one fixture per kind of person, with what they may do."""

import os
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_static.models import StaticDevice
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings

from chapters.models import Chapter, Handbook
from handbook_review import catalogs
from handbook_review import clock as review_clock
from handbook_review.people.models import Agency, Role, User
from handbook_review.people.twofactor import second_factor_required
from tests import factories

# Property tests: "dev" (Hypothesis' defaults, random and remembered in .hypothesis/) on a
# developer's machine; "ci" the same examples on every run, so that a red CI run is the code's
# doing, and no health check failing a test for being slow on a loaded runner.
hypothesis_settings.register_profile("dev", parent=hypothesis_settings.get_profile("default"))
hypothesis_settings.register_profile(
    "ci",
    derandomize=True,
    database=None,
    deadline=None,
    max_examples=100,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
hypothesis_settings.load_profile(
    os.environ.get("HYPOTHESIS_PROFILE") or ("ci" if os.environ.get("CI") == "true" else "dev")
)


@pytest.fixture(autouse=True, scope="session")
def _compiled_catalogues():
    """The interface in every language: compiled from locale/*.po, as installing does."""
    from django.utils.translation import trans_real

    catalogs.compile_all()
    trans_real._translations = {}
    trans_real._default = None


@pytest.fixture(autouse=True)
def _plain_http_and_fresh_cache(settings):
    # The test client speaks plain HTTP; production settings would redirect it to HTTPS.
    settings.SECURE_SSL_REDIRECT = False
    settings.SECURE_HSTS_SECONDS = 0
    settings.SESSION_COOKIE_SECURE = False
    settings.CSRF_COOKIE_SECURE = False
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    # Hashing a password properly takes a third of a second; tests create many users.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # Background tasks (notifications, exports) run at once, inside the test.
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
    cache.clear()


@pytest.fixture(autouse=True)
def _audit_log_emptied_before_flush(request):
    """Tests that commit (transaction=True, the live server) end with Django emptying every
    table. The audit log refuses DELETE (a trigger), so on SQLite it is emptied here first, its
    triggers lifted for that moment and put back unchanged. (PostgreSQL empties tables with
    TRUNCATE, which its row triggers do not see.)"""
    marker = request.node.get_closest_marker("django_db")
    if not (
        {"transactional_db", "live_server"} & set(request.fixturenames)
        or (marker is not None and marker.kwargs.get("transaction"))
    ):
        yield
        return
    # Depending on it makes this fixture's teardown run before the flush.
    request.getfixturevalue("transactional_db")
    yield
    factories.empty_audit_log()


@pytest.fixture(autouse=True)
def _force_login_passes_the_second_factor(monkeypatch):
    """`client.force_login(editor)` stands for a whole login, the second factor included: the
    session is marked verified by a device made for it. Enforcement itself stays on; the tests in
    tests/people/test_two_factor.py log in for real to prove it."""
    real_login = Client._login

    def _login(self, user, backend=None):
        real_login(self, user, backend)
        if second_factor_required(user):
            device, _ = StaticDevice.objects.get_or_create(
                user=user, name="force_login", defaults={"confirmed": True}
            )
            session = self.session
            session[DEVICE_ID_SESSION_KEY] = device.persistent_id
            session.save()

    monkeypatch.setattr(Client, "_login", _login)


class Clock:
    """The review clock in a test: stopped and moved with time-machine, which moves what
    `handbook_review.clock.now()`, `timezone.now()` and `time.time()` read (not time.monotonic()
    or time.perf_counter(): timeouts and heartbeats keep real time)."""

    def __init__(self) -> None:
        self._travel: time_machine.travel | None = None

    def now(self) -> datetime:
        return review_clock.now()

    def set_to(self, at: datetime | None) -> None:
        """Stop the clock at `at` (an aware datetime), or let it run again with None."""
        if at is not None and timezone.is_naive(at):
            raise ValueError("The clock takes aware datetimes.")
        if self._travel is not None:
            self._travel.stop()
            self._travel = None
        if at is not None:
            self._travel = time_machine.travel(at, tick=False)
            self._travel.start()

    def advance(self, by: timedelta) -> datetime:
        self.set_to(self.now() + by)
        return self.now()

    @contextmanager
    def frozen(self, at: datetime) -> Iterator[None]:
        previous = self.now() if self._travel is not None else None
        self.set_to(at)
        try:
            yield
        finally:
            self.set_to(previous)


@pytest.fixture(autouse=True)
def clock() -> Iterator[Clock]:
    """The review clock (handbook_review/clock.py): tests may stop or move it; it runs again."""
    moved = Clock()
    yield moved
    moved.set_to(None)


ROLES = ("anonymous", "outsider", "counterpart", "editor", "administrator")
"""The cast by fixture name, in the column order of every role × action matrix: no one logged in
("anonymous"), then from the fewest rights to the most."""


def cast(*own: str, after: str = "counterpart", without: Iterable[str] = ()) -> list[str]:
    """The columns of one module's matrix: ROLES with that module's own people (fixture names,
    e.g. a thread's author) placed after `after`, and without the roles its table leaves out."""
    at = ROLES.index(after) + 1
    return [role for role in (*ROLES[:at], *own, *ROLES[at:]) if role not in without]


@pytest.fixture
def editor(db) -> User:
    """SEESAC editor: sees drafts, edits, reorders and restores chapters, uploads images."""
    return factories.user(Role.EDITOR, code="SEESAC", agency=Agency.OTHER, name="Sanja Editor")


@pytest.fixture
def other_editor(db) -> User:
    """FRONTEX editor: the same rights as `editor`, for two-editor races."""
    return factories.user(Role.EDITOR, code="FRONTEX", agency=Agency.OTHER, name="Kasia Editor")


@pytest.fixture
def counterpart(db) -> User:
    """Albanian border police counterpart: reads chapters in review, never drafts; cannot edit."""
    return factories.user(Role.COUNTERPART, code="AL", name="Arben Counterpart")


@pytest.fixture
def bosnian(db) -> User:
    """Bosnian customs counterpart: takes part in `handbook` like `counterpart`, for a second
    jurisdiction."""
    return factories.user(Role.COUNTERPART, code="BA", agency=Agency.CUSTOMS, name="Jelena Bosnian")


@pytest.fixture
def coordinator(db) -> User:
    """Albanian coordinator: a counterpart who consolidates Albania's comments and votes."""
    return factories.user(Role.COORDINATOR, code="AL", name="Besa Coordinator")


@pytest.fixture
def outsider(db) -> User:
    """Serbian customs counterpart whose jurisdiction does not take part in the `handbook`."""
    return factories.user(Role.COUNTERPART, code="RS", agency=Agency.CUSTOMS, name="Outsider")


@pytest.fixture
def administrator(db) -> User:
    """Administrator: everything an editor may do, plus managing users in the admin."""
    return factories.user(Role.ADMINISTRATOR, code="SEESAC", agency=Agency.OTHER, name="Ada Admin")


@pytest.fixture
def handbook(db) -> Handbook:
    """A handbook in which every jurisdiction but Serbia takes part."""
    return factories.handbook(codes=("AL", "BA", "XK", "ME", "MK"))


@pytest.fixture
def chapter(handbook, editor) -> Chapter:
    """Chapter 1 of `handbook`, in review, at version 1, in a round open for the next 14 days
    to all of the handbook's jurisdictions (so counterparts may comment on it)."""
    chap = factories.chapter(handbook, by=editor, in_round=False)
    factories.review_round(handbook, [chap], by=editor)
    return chap


@pytest.fixture
def draft(handbook, editor) -> Chapter:
    """Chapter 2 of `handbook`, a draft only editors see."""
    return factories.chapter(handbook, by=editor, title="Draft chapter", status="draft")


class Statements:
    """The SQL one block ran (and, for a page, its response)."""

    def __init__(self) -> None:
        self.sql: list[str] = []
        self.response: Any = None

    def __len__(self) -> int:
        return len(self.sql)

    def __iter__(self) -> Iterator[str]:
        return iter(self.sql)

    def __repr__(self) -> str:
        return f"<{len(self)} queries>"


class QueryCounter:
    """The one query counter of the suite (the `queries` fixture).

    `with queries() as run: ...` records the statements of the block; `queries.get(client, url)`
    does so for one page (asserting its status) and keeps the response as `run.response`;
    `queries.expect(few, many, equal=11)` checks a budget and, when it is missed, fails listing
    every statement of every run (pytest.fail is never truncated, unlike an assertion's diff)."""

    @contextmanager
    def __call__(self) -> Iterator[Statements]:
        run = Statements()
        with CaptureQueriesContext(connection) as context:
            yield run
        run.sql = [query["sql"] for query in context.captured_queries]

    def get(self, client: Client, url: str, *, status: int = 200, **extra: Any) -> Statements:
        with self() as run:
            response = client.get(url, **extra)
        assert response.status_code == status, f"GET {url}: {response.status_code}"
        run.response = response
        return run

    def expect(
        self, *runs: Statements, equal: int | None = None, at_most: int | None = None
    ) -> None:
        """Every run costs the same number of queries: exactly `equal`, or at most `at_most`."""
        counts = [len(run) for run in runs]
        wrong = (
            len(set(counts)) > 1
            or (equal is not None and counts[0] != equal)
            or (at_most is not None and counts[0] > at_most)
        )
        if not wrong:
            return
        budget = f" (expected {equal})" if equal is not None else ""
        budget += f" (expected at most {at_most})" if at_most is not None else ""
        lines = [f"query counts {counts}{budget}"]
        for n, run in enumerate(runs, 1):
            lines += [f"run {n}: {len(run)} queries"]
            lines += [f"  {i}. {sql}" for i, sql in enumerate(run.sql, 1)]
        pytest.fail("\n".join(lines), pytrace=False)


@pytest.fixture
def queries(db) -> QueryCounter:
    """Counts the SQL of a block or a page; a missed budget fails listing the statements."""
    return QueryCounter()


def client_for(person: User | None) -> Client:
    client = Client()
    if person is not None:
        client.force_login(person)
    return client


# Browser tests must not silently skip in CI: a skipped browser test fails the run. (Tests
# that need PostgreSQL skip on SQLite; CI runs them in its PostgreSQL pass.)
_skipped: list[str] = []


def pytest_runtest_logreport(report):
    if report.skipped and report.nodeid.startswith("tests/browser/"):
        _skipped.append(report.nodeid)


def pytest_sessionfinish(session, exitstatus):
    if os.environ.get("REQUIRE_BROWSER_TESTS") and _skipped and exitstatus == 0:
        print(f"\nREQUIRE_BROWSER_TESTS is set but {len(_skipped)} browser test(s) skipped:")
        for nodeid in _skipped:
            print(f"  {nodeid}")
        session.exitstatus = 1
