"""E-mail: at once, in a daily digest or not at all; once per notification, with a full link."""

import io
from datetime import timedelta

import pytest
from django.core import mail
from django.core.mail import EmailMultiAlternatives
from django.core.management import call_command

from chapters.models import Round
from comments.actions import add_comment
from handbook_review.notifications.delivery import store
from handbook_review.notifications.models import EmailMode, Event, Notification, Preference
from handbook_review.notifications.tasks import send_digests, send_notification_emails
from tests.notifications.conftest import start_thread


def prefer(person, mode):
    Preference.objects.update_or_create(user=person, defaults={"email": mode})


def notice(person, n, **fields):
    return Notification(
        recipient=person,
        event=Event.REPLY,
        key=f"test:{n}",
        subject=f"Event number {n}",
        body=f"Body {n}",
        url=f"/h/x/c/{n}/",
        **fields,
    )


def test_immediate_email_has_the_prefix_the_text_and_an_absolute_link(
    settings, reviewable, editor, counterpart, django_capture_on_commit_callbacks
):
    settings.SITE_URL = "https://review.example.org"
    with django_capture_on_commit_callbacks(execute=True):
        thread = start_thread(reviewable, by=counterpart)
        add_comment(thread, by=editor, body="The serial number is **on the frame**.")
    [email] = mail.outbox
    assert email.to == [counterpart.email]
    assert (
        email.subject
        == f"[Handbook Review] Sanja Editor replied on “{reviewable}” in {reviewable.handbook}"
    )
    assert "Hello Arben Counterpart," in email.body
    assert "> The serial number is **on the frame**." in email.body
    link = f"https://review.example.org{reviewable.get_absolute_url()}?thread={thread.pk}"
    assert link in email.body
    assert "https://review.example.org/notifications/settings/" in email.body
    assert email.content_subtype == "plain" and not isinstance(email, EmailMultiAlternatives)
    assert Notification.objects.get().emailed_at is not None


def test_site_url_defaults_to_the_local_server(
    settings, reviewable, editor, counterpart, django_capture_on_commit_callbacks
):
    del settings.SITE_URL
    with django_capture_on_commit_callbacks(execute=True):
        add_comment(start_thread(reviewable, by=counterpart), by=editor, body="Hi.")
    assert "http://127.0.0.1:8000/h/" in mail.outbox[0].body


def test_sending_again_sends_nothing(counterpart, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        [stored] = store([notice(counterpart, 1)])
    assert len(mail.outbox) == 1
    assert send_notification_emails.call([stored.pk]) == 0  # a retry
    with django_capture_on_commit_callbacks(execute=True):
        assert store([notice(counterpart, 1)]) == [stored]  # the same event again
    assert len(mail.outbox) == 1
    assert Notification.objects.count() == 1


def test_a_failed_send_leaves_the_notification_to_be_sent_again(counterpart, monkeypatch):
    prefer(counterpart, EmailMode.OFF)
    [stored] = store([notice(counterpart, 1)])
    prefer(counterpart, EmailMode.IMMEDIATE)

    def refuse(self, messages):
        raise OSError("SMTP server down")

    from django.core.mail.backends import locmem

    with monkeypatch.context() as patched:
        patched.setattr(locmem.EmailBackend, "send_messages", refuse)
        with pytest.raises(OSError, match="down"):
            send_notification_emails.call([stored.pk])
    stored.refresh_from_db()
    assert stored.emailed_at is None
    assert send_notification_emails.call([stored.pk]) == 1
    assert len(mail.outbox) == 1


def test_digest_users_get_one_email_listing_everything_the_next_morning(
    frozen, reviewable, editor, other_editor, counterpart, django_capture_on_commit_callbacks
):
    prefer(counterpart, EmailMode.DIGEST)
    with django_capture_on_commit_callbacks(execute=True):
        thread = start_thread(reviewable, by=counterpart)
        add_comment(thread, by=editor, body="First reply.")
        add_comment(thread, by=other_editor, body="Second reply.")
    # editor (immediate) was e-mailed at once of other_editor's reply; counterpart was not.
    assert [m.to for m in mail.outbox] == [[editor.email]]
    mail.outbox.clear()

    frozen.advance(timedelta(hours=20))
    assert send_digests.call() == 1
    [digest] = mail.outbox
    assert digest.to == [counterpart.email]
    assert digest.subject == "[Handbook Review] Your daily digest: 2 notifications"
    assert "Sanja Editor replied" in digest.body and "Kasia Editor replied" in digest.body
    assert digest.body.index("Sanja Editor") < digest.body.index("Kasia Editor")
    assert f"http://127.0.0.1:8000{reviewable.get_absolute_url()}" in digest.body
    assert not Notification.objects.filter(recipient=counterpart, emailed_at__isnull=True)
    assert Preference.objects.get(user=counterpart).last_digest_at == frozen.now()

    mail.outbox.clear()
    assert send_digests.call() == 0  # nothing new since
    assert mail.outbox == []


def test_digest_leaves_out_what_was_read_in_the_app(counterpart):
    prefer(counterpart, EmailMode.DIGEST)
    store([notice(counterpart, 1), notice(counterpart, 2)])
    Notification.objects.filter(key="test:1").mark_read()
    send_digests.call()
    [digest] = mail.outbox
    assert "Event number 2" in digest.body and "Event number 1" not in digest.body


def test_a_long_digest_lists_the_first_fifty_and_links_to_the_rest(counterpart):
    prefer(counterpart, EmailMode.DIGEST)
    store([notice(counterpart, n) for n in range(60)])
    send_digests.call()
    [digest] = mail.outbox
    assert "Event number 49\n" in digest.body and "Event number 50\n" not in digest.body
    assert "… and 10 more: http://127.0.0.1:8000/notifications/" in digest.body
    assert not Notification.objects.not_emailed().exists()


def test_off_means_no_email_but_the_notification_is_there(
    reviewable, editor, counterpart, django_capture_on_commit_callbacks
):
    prefer(counterpart, EmailMode.OFF)
    with django_capture_on_commit_callbacks(execute=True):
        add_comment(start_thread(reviewable, by=counterpart), by=editor, body="Hi.")
    send_digests.call()
    assert mail.outbox == []
    [unmailed] = Notification.objects.filter(recipient=counterpart)
    assert unmailed.emailed_at is None and unmailed.read_at is None


def test_immediate_users_are_not_in_the_digest(
    counterpart, bosnian, django_capture_on_commit_callbacks
):
    prefer(bosnian, EmailMode.DIGEST)
    with django_capture_on_commit_callbacks(execute=True):
        store([notice(counterpart, 1)])
        store([notice(bosnian, 2)])
    assert [m.to for m in mail.outbox] == [[counterpart.email]]
    mail.outbox.clear()
    send_digests.call()
    assert [m.to for m in mail.outbox] == [[bosnian.email]]


def test_switching_to_the_digest_before_the_email_goes_keeps_it_for_the_digest(
    counterpart, django_capture_on_commit_callbacks
):
    from django.db import transaction

    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        store([notice(counterpart, 1)])
        prefer(counterpart, EmailMode.DIGEST)  # before the queued task runs
    assert mail.outbox == []
    send_digests.call()
    assert len(mail.outbox) == 1


def test_the_commands_run_the_sweep_and_the_digest(
    frozen, handbook, reviewable, editor, counterpart, bosnian, django_capture_on_commit_callbacks
):
    prefer(bosnian, EmailMode.DIGEST)
    review = Round.objects.create(
        handbook=handbook,
        name="Autumn review",
        opens_at=frozen.now(),
        closes_at=frozen.now() + timedelta(days=7),
        created_by=editor,
    )
    review.chapters.set([reviewable])
    review.jurisdictions.set(handbook.jurisdictions.all())
    with django_capture_on_commit_callbacks(execute=True):
        call_command("notify_rounds", stdout=(out := io.StringIO()))
    assert "Autumn review: Review round opened" in out.getvalue()
    assert [m.to for m in mail.outbox] == [[counterpart.email]]
    call_command("send_digests", stdout=(out := io.StringIO()))
    assert "Sent 1 digest(s)." in out.getvalue()
    assert mail.outbox[-1].to == [bosnian.email]
