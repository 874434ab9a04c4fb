"""Notification pages: own notifications only, mark read, settings form, the header's count."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.test import RequestFactory
from django.urls import reverse

from handbook_review.notifications.context import unread
from handbook_review.notifications.models import EmailMode, Event, Notification, Preference
from tests.conftest import cast, client_for

COLUMNS = cast(without=["administrator"])


def notify(person, n=1, **fields):
    defaults = {
        "event": Event.REPLY,
        "key": f"test:{n}",
        "subject": f"Reply number {n}",
        "body": "Text",
        "url": f"/h/handbook/c/{n}/?thread={n}#thread-{n}",
    }
    return Notification.objects.create(recipient=person, **(defaults | fields))


@pytest.fixture
def mine(counterpart):
    """A notification of `counterpart`'s."""
    return notify(counterpart)


def person(request, role):
    return None if role == "anonymous" else request.getfixturevalue(role)


LOGIN = 302  # anonymous: sent to log in

MATRIX = {
    # action: {role: status}
    "list": {"anonymous": LOGIN, "outsider": 200, "counterpart": 200, "editor": 200},
    "open": {"anonymous": LOGIN, "outsider": 404, "counterpart": 302, "editor": 404},
    "mark_all_read": {"anonymous": LOGIN, "outsider": 302, "counterpart": 302, "editor": 302},
    "mark_all_read_by_get": {
        "anonymous": LOGIN,
        "outsider": 405,
        "counterpart": 405,
        "editor": 405,
    },
    "settings": {"anonymous": LOGIN, "outsider": 200, "counterpart": 200, "editor": 200},
    "save_settings": {"anonymous": LOGIN, "outsider": 302, "counterpart": 302, "editor": 302},
}


def act(client, action, notification):
    if action == "list":
        return client.get(reverse("notifications:list"))
    if action == "open":
        return client.get(reverse("notifications:open", args=[notification.pk]))
    if action == "mark_all_read":
        return client.post(reverse("notifications:mark_all_read"))
    if action == "mark_all_read_by_get":
        return client.get(reverse("notifications:mark_all_read"))
    if action == "settings":
        return client.get(reverse("notifications:settings"))
    return client.post(reverse("notifications:settings"), {"email": EmailMode.DIGEST})


@pytest.mark.parametrize("role", COLUMNS)
@pytest.mark.parametrize("action", MATRIX)
def test_permission_matrix(request, mine, role, action):
    response = act(client_for(person(request, role)), action, mine)
    assert response.status_code == MATRIX[action][role]
    if MATRIX[action][role] == LOGIN and role == "anonymous":
        assert response["Location"].startswith(reverse("login"))
    mine.refresh_from_db()
    assert mine.is_read == (action in {"open", "mark_all_read"} and role == "counterpart")


def test_the_list_shows_my_notifications_newest_first_unread_marked(counterpart, bosnian):
    old = notify(counterpart, 1)
    new = notify(counterpart, 2)
    notify(bosnian, 3)
    old.read_at = old.created_at
    old.save()
    response = client_for(counterpart).get(reverse("notifications:list"))
    html = response.content.decode()
    assert html.index("Reply number 2") < html.index("Reply number 1")
    assert "Reply number 3" not in html
    assert f'<li class="notification unread">\n    <a href="/notifications/{new.pk}/open/">' in html
    assert f'<li class="notification">\n    <a href="/notifications/{old.pk}/open/">' in html
    assert "Notifications (1)" in html


def test_opening_marks_read_and_goes_to_the_thing(counterpart, mine):
    response = client_for(counterpart).get(reverse("notifications:open", args=[mine.pk]))
    assert response.status_code == 302 and response["Location"] == mine.url
    mine.refresh_from_db()
    first_read = mine.read_at
    assert first_read is not None
    client_for(counterpart).get(reverse("notifications:open", args=[mine.pk]))
    mine.refresh_from_db()
    assert mine.read_at == first_read


def test_a_link_off_the_site_is_never_followed(counterpart):
    odd = notify(counterpart, url="https://elsewhere.example/")
    response = client_for(counterpart).get(reverse("notifications:open", args=[odd.pk]))
    assert response["Location"] == reverse("notifications:list")


def test_mark_all_read_marks_only_mine(counterpart, bosnian):
    notify(counterpart, 1)
    notify(counterpart, 2)
    theirs = notify(bosnian, 3)
    client_for(counterpart).post(reverse("notifications:mark_all_read"))
    assert not Notification.objects.filter(recipient=counterpart).unread().exists()
    theirs.refresh_from_db()
    assert not theirs.is_read


def test_settings_form_has_labelled_radio_buttons(counterpart):
    html = client_for(counterpart).get(reverse("notifications:settings")).content.decode()
    assert "<legend>E-mail me</legend>" in html
    for n, mode in enumerate(EmailMode):
        assert f'value="{mode.value}" id="id_email_{n}"' in html
        assert f'<label for="id_email_{n}">{mode.label}</label>' in html
    assert 'value="immediate" id="id_email_0" checked' in html  # the default


def test_saving_settings_makes_the_preference(counterpart):
    client = client_for(counterpart)
    response = client.post(reverse("notifications:settings"), {"email": EmailMode.OFF})
    assert response.status_code == 302
    assert Preference.objects.get(user=counterpart).email == EmailMode.OFF
    client.post(reverse("notifications:settings"), {"email": EmailMode.DIGEST})
    assert Preference.objects.get(user=counterpart).email == EmailMode.DIGEST
    assert Preference.objects.count() == 1


@pytest.mark.parametrize("data", [{"email": "hourly"}, {"email": ""}, {}])
def test_bad_settings_are_refused_and_nothing_changes(counterpart, data):
    Preference.objects.create(user=counterpart, email=EmailMode.DIGEST)
    response = client_for(counterpart).post(reverse("notifications:settings"), data)
    assert response.status_code == 400
    assert 'role="alert"' in response.content.decode()
    assert Preference.objects.get(user=counterpart).email == EmailMode.DIGEST


def test_header_count_comes_with_the_user_for_free(counterpart, queries):
    from handbook_review.people.backends import EmailBackend

    notify(counterpart, 1)
    notify(counterpart, 2, read_at=counterpart.date_joined)
    with queries() as run:
        user = EmailBackend().get_user(counterpart.pk)
        request = RequestFactory().get("/")
        request.user = user
        assert unread(request)["unread_notifications"] == 1
    queries.expect(run, equal=1)


def test_header_count_costs_one_query_and_none_for_the_anonymous(counterpart, queries):
    notify(counterpart, 1)
    notify(counterpart, 2)
    notify(counterpart, 3, read_at=counterpart.date_joined)
    request = RequestFactory().get("/")
    request.user = counterpart
    with queries() as run:
        context = unread(request)
        assert str(context["unread_notifications"]) == "2"
        assert context["unread_notifications"]  # evaluated once, then remembered
    queries.expect(run, equal=1)
    request.user = AnonymousUser()
    with queries() as run:
        assert unread(request) == {}
    queries.expect(run, equal=0)


def test_the_list_costs_the_same_with_1_and_50_notifications(counterpart, queries):
    client = client_for(counterpart)
    notify(counterpart, 0)
    one = queries.get(client, reverse("notifications:list"))
    for n in range(1, 50):
        notify(counterpart, n)
    # session, user (with the header's unread count), preference, paginator count, the page.
    queries.expect(queries.get(client, reverse("notifications:list")), one, equal=5)
