"""The app's own error pages: in its layout and languages, saying what happened and where to
go, never a stack trace; and a favicon that is served."""

import pytest
from django.contrib.staticfiles import finders
from django.test import RequestFactory
from django.urls import reverse
from django.views.defaults import server_error

from tests.conftest import client_for


def test_a_page_that_is_not_there_answers_in_the_app_layout(counterpart):
    response = client_for(counterpart).get("/h/no-such-handbook/")
    assert response.status_code == 404
    page = response.content.decode()
    assert "Page not found" in page and 'class="site-header"' in page
    assert reverse("home") in page


def test_a_draft_answers_as_if_it_were_not_there(counterpart, draft):
    response = client_for(counterpart).get(draft.get_absolute_url())
    assert response.status_code == 404
    assert "Page not found" in response.content.decode()


def test_a_step_the_role_does_not_allow_says_so(counterpart, chapter):
    response = client_for(counterpart).get(
        reverse("chapters:edit_chapter", args=[chapter.handbook.slug, chapter.pk])
    )
    assert response.status_code == 403
    page = response.content.decode()
    assert "Not allowed" in page and 'class="site-header"' in page


def test_an_expired_form_says_what_to_do(counterpart, chapter):
    client = client_for(counterpart)
    client.handler.enforce_csrf_checks = True
    response = client.post(
        reverse("comments:new_thread", args=[chapter.handbook.slug, chapter.pk]), {"body": "x"}
    )
    assert response.status_code == 403
    assert "The form has expired" in response.content.decode()


@pytest.mark.django_db
def test_the_server_error_page_needs_no_context_and_shows_no_detail():
    response = server_error(RequestFactory().get("/"))
    assert response.status_code == 500
    page = response.content.decode()
    assert "Something went wrong" in page and "Traceback" not in page


def test_the_pages_name_a_favicon_that_exists(counterpart):
    page = client_for(counterpart).get(reverse("home")).content.decode()
    assert 'rel="icon"' in page
    assert finders.find("img/favicon.svg")


def test_the_error_pages_speak_the_readers_language(counterpart):
    counterpart.language = "sq"
    counterpart.save()
    response = client_for(counterpart).get("/h/no-such-handbook/")
    assert response.status_code == 404
    assert "Page not found" not in response.content.decode()
