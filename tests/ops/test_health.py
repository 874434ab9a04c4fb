"""/healthz: up/down per service for a load balancer, no login, no detail, no cookies."""

import json

import pytest
from django.db import DatabaseError
from django.test import Client

from handbook_review.ops import health
from tests.conftest import client_for

SERVICES = {"database", "cache", "shared_cache", "storage", "tasks"}


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path  # the storage probe writes and deletes a file there


def test_everything_up_answers_200_to_anyone(db):
    response = Client().get("/healthz")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert json.loads(response.content) == dict.fromkeys(SERVICES, "up")


def test_a_failing_database_answers_503_and_names_only_the_service(db, monkeypatch):
    def broken(self):
        raise DatabaseError("could not connect to server at db.internal:5432 (10.0.0.7)")

    monkeypatch.setattr(health.Database, "run", broken)
    response = Client().get("/healthz")
    assert response.status_code == 503
    body = json.loads(response.content)
    assert body == {**dict.fromkeys(SERVICES, "up"), "database": "down"}
    # Nothing of the error reaches the answer: no text, host, address or port.
    for leak in ("connect", "db.internal", "10.0.0.7", "5432", "Error"):
        assert leak not in response.content.decode()


def test_a_missing_task_table_is_the_task_queue_down(db, monkeypatch):
    monkeypatch.setattr(health.DBTaskResult._meta, "db_table", "no_such_table_here")
    response = Client().get("/healthz")
    assert response.status_code == 503
    assert json.loads(response.content)["tasks"] == "down"
    assert json.loads(response.content)["database"] == "up"


def test_a_failing_shared_cache_is_reported(db, monkeypatch, settings):
    settings.CACHES = {
        **settings.CACHES,
        "shared": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"},  # stores nothing
    }
    response = Client().get("/healthz")
    assert response.status_code == 503
    assert json.loads(response.content)["shared_cache"] == "down"


def test_no_cookie_and_never_cached(db):
    response = Client().get("/healthz")
    assert not response.cookies
    assert "Set-Cookie" not in response.headers
    assert "no-store" in response["Cache-Control"]


def test_logged_in_users_get_the_same_answer(editor):
    response = client_for(editor).get("/healthz")
    assert response.status_code == 200
    assert set(json.loads(response.content)) == SERVICES


def test_not_redirected_to_https_when_the_site_is(db, settings):
    settings.SECURE_SSL_REDIRECT = True
    assert Client().get("/healthz").status_code == 200
    assert Client().get("/accounts/login/").status_code == 301  # the rest still is
