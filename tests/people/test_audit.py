"""The audit log: every change to an account is recorded with who, when, old and new values;
nobody can change or delete an event, not the admin, not the ORM, not raw SQL.

Run on PostgreSQL too (its triggers differ from SQLite's):
DATABASE_URL=postgres://postgres@127.0.0.1:5432/hr_d scripts/test tests/people/test_audit.py
"""

import csv
import io

import pytest
from axes.signals import user_locked_out
from django.contrib.auth import authenticate
from django.core import mail
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.test import RequestFactory
from django.urls import reverse
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from handbook_review.people import accounts, audit
from handbook_review.people.models import Agency, AuditEvent, AuditLogImmutable, Role, User
from tests import factories
from tests.conftest import client_for

Action = AuditEvent.Action
Source = AuditEvent.Source
PASSWORD = "pass-for-tests"


def events(action: str, target: User | None = None) -> list[AuditEvent]:
    found = AuditEvent.objects.filter(action=action).order_by("id")
    if target is not None:
        found = found.filter(target=target)
    return list(found)


def change_form(user: User, **overrides) -> dict:
    data = {
        "email": user.email,
        "name": user.name,
        "jurisdiction": user.jurisdiction_id or "",
        "agency": user.agency,
        "role": user.role.value,
        "is_active": "on" if user.is_active else "",
        "_save": "Save",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v != ""}


# --- What is recorded


def test_admin_change_records_each_field_with_old_and_new_value_and_actor(
    administrator, counterpart
):
    client = client_for(administrator)
    montenegro = factories.jurisdiction("ME")
    response = client.post(
        reverse("admin:people_user_change", args=[counterpart.pk]),
        change_form(
            counterpart,
            role=Role.EDITOR.value,
            jurisdiction=montenegro.pk,
            agency=Agency.CUSTOMS,
            is_active="",
        ),
        REMOTE_ADDR="192.0.2.10",
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    expected = {
        Action.ROLE_CHANGED: {"role": ["Counterpart", "Editor"]},
        Action.JURISDICTION_CHANGED: {"jurisdiction": ["Albania", "Montenegro"]},
        Action.AGENCY_CHANGED: {"agency": ["border_police", "customs"]},
        Action.DEACTIVATED: {"is_active": [True, False]},
    }
    for action, changes in expected.items():
        # (The factory's set_role recorded the first role, without an actor.)
        [event] = [e for e in events(action, counterpart) if e.actor is not None]
        assert event.changes == changes
        assert event.actor == administrator and event.actor_label == administrator.email
        assert event.target_label == counterpart.email
        assert event.source == Source.ADMIN
        assert event.ip_address == "192.0.2.10"


def test_admin_save_without_changes_records_nothing(administrator, counterpart):
    client = client_for(administrator)  # (its second factor is recorded as enabled)
    before = AuditEvent.objects.exclude(action=Action.LOGIN).count()
    response = client.post(
        reverse("admin:people_user_change", args=[counterpart.pk]), change_form(counterpart)
    )
    assert response.status_code == 302
    assert AuditEvent.objects.exclude(action=Action.LOGIN).count() == before


def test_admin_creation_is_recorded_with_its_actor(administrator):
    client = client_for(administrator)
    response = client.post(
        reverse("admin:people_user_add"),
        {
            "email": "invitee@example.org",
            "name": "New Invitee",
            "jurisdiction": factories.jurisdiction("XK").pk,
            "agency": "customs",
            "role": Role.COUNTERPART.value,
            "send_invitation": "on",
        },
    )
    assert response.status_code == 302
    user = User.objects.get(email="invitee@example.org")
    [created] = events(Action.USER_CREATED, user)
    assert created.actor == administrator and created.source == Source.ADMIN
    assert created.changes["email"] == [None, "invitee@example.org"]
    assert created.changes["jurisdiction"] == [None, "Kosovo"]
    [role] = events(Action.ROLE_CHANGED, user)
    assert role.changes == {"role": [None, "Counterpart"]} and role.actor == administrator
    [sent] = events(Action.PASSWORD_RESET_SENT, user)
    assert sent.actor == administrator


def test_bulk_deactivation_records_one_event_per_user(administrator):
    people = [factories.user(Role.COUNTERPART) for _ in range(3)]
    already_inactive = factories.user(Role.COUNTERPART, is_active=False)
    client = client_for(administrator)
    response = client.post(
        reverse("admin:people_user_changelist"),
        {
            "action": "deactivate",
            "_selected_action": [p.pk for p in [*people, already_inactive, administrator]],
        },
    )
    assert response.status_code == 302
    deactivated = events(Action.DEACTIVATED)
    assert sorted(e.target_id for e in deactivated) == sorted(p.pk for p in people)
    for event in deactivated:
        assert event.changes == {"is_active": [True, False]}
        assert event.actor == administrator and event.source == Source.BULK_ACTION
    assert not User.objects.filter(pk__in=[p.pk for p in people], is_active=True).exists()
    administrator.refresh_from_db()
    assert administrator.is_active


def test_bulk_activation_is_an_action_and_recorded(administrator):
    people = [factories.user(Role.COUNTERPART, is_active=False) for _ in range(2)]
    client = client_for(administrator)
    client.post(
        reverse("admin:people_user_changelist"),
        {"action": "activate", "_selected_action": [p.pk for p in people]},
    )
    activated = events(Action.ACTIVATED)
    assert sorted(e.target_id for e in activated) == sorted(p.pk for p in people)
    assert all(e.changes == {"is_active": [False, True]} for e in activated)
    assert User.objects.filter(pk__in=[p.pk for p in people], is_active=True).count() == 2


def test_set_role_from_code_records_old_and_new_role_and_who(administrator, counterpart):
    accounts.set_role(counterpart, Role.ADMINISTRATOR, by=administrator)
    [event] = events(Action.ROLE_CHANGED, counterpart)[-1:]
    assert event.changes == {"role": ["Counterpart", "Administrator"]}
    assert event.actor == administrator
    # Outside a request and without a declared source, it came from a command or a shell.
    assert event.source == Source.COMMAND
    counterpart.refresh_from_db()
    assert counterpart.is_staff


def test_set_role_to_the_same_role_records_nothing(counterpart):
    before = len(events(Action.ROLE_CHANGED, counterpart))
    accounts.set_role(counterpart, Role.COUNTERPART)
    assert len(events(Action.ROLE_CHANGED, counterpart)) == before


def test_role_change_and_its_record_are_one_transaction(counterpart, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("audit log unavailable")

    monkeypatch.setattr(audit, "record", broken)
    with pytest.raises(RuntimeError):
        accounts.set_role(counterpart, Role.EDITOR)
    counterpart = User.objects.get(pk=counterpart.pk)
    assert counterpart.role == Role.COUNTERPART


def test_changes_saved_from_code_are_recorded_too(counterpart):
    counterpart.agency = Agency.CUSTOMS
    counterpart.save()
    [event] = events(Action.AGENCY_CHANGED, counterpart)
    assert event.changes == {"agency": ["border_police", "customs"]}
    assert event.actor is None and event.source == Source.COMMAND


def test_login_is_recorded_with_address_and_browser(client, counterpart):
    response = client.post(
        reverse("login"),
        {"username": counterpart.email, "password": PASSWORD},
        REMOTE_ADDR="198.51.100.7",
        HTTP_USER_AGENT="Firefox/140 " + "x" * 500,
    )
    assert response.status_code == 302
    [event] = events(Action.LOGIN, counterpart)
    assert event.actor == counterpart and event.ip_address == "198.51.100.7"
    assert event.user_agent.startswith("Firefox/140") and len(event.user_agent) == 300
    assert event.source == Source.WEB


def test_failed_login_records_the_attempted_address_never_the_password(client, counterpart):
    response = client.post(
        reverse("login"),
        {"username": counterpart.email.upper(), "password": "wrong-secret-guess"},
        REMOTE_ADDR="203.0.113.9",
    )
    assert response.status_code == 200
    [event] = events(Action.LOGIN_FAILED)
    assert event.target_label == counterpart.email.upper()
    assert event.target == counterpart and event.actor is None
    assert event.ip_address == "203.0.113.9"
    stored = " ".join(str(v) for v in AuditEvent.objects.values_list().get(pk=event.pk))
    assert "wrong-secret-guess" not in stored


def test_failed_login_for_an_unknown_address_is_recorded_without_a_user(db):
    assert (
        authenticate(RequestFactory().post("/"), username="nobody@example.org", password="x")
        is None
    )
    [event] = events(Action.LOGIN_FAILED)
    assert event.target is None and event.target_label == "nobody@example.org"


def test_lockout_signal_is_recorded(counterpart):
    request = RequestFactory().post("/accounts/login/", REMOTE_ADDR="10.0.0.1")
    user_locked_out.send(
        "axes", request=request, username=counterpart.email, ip_address="198.51.100.23"
    )
    [event] = events(Action.LOCKED_OUT)
    assert event.target == counterpart and event.target_label == counterpart.email
    assert event.ip_address == "198.51.100.23"


def test_two_factor_devices_enabling_and_disabling_are_recorded(counterpart):
    device = TOTPDevice.objects.create(user=counterpart, name="Phone", confirmed=False)
    assert events(Action.TWO_FACTOR_ENABLED) == []  # not yet confirmed
    device.confirmed = True
    device.save()
    [enabled] = events(Action.TWO_FACTOR_ENABLED, counterpart)
    assert enabled.changes == {"device": [None, "authenticator app: Phone"]}
    # Verifying a code saves the device (throttling, last use): not a change of 2FA.
    device = TOTPDevice.objects.get(pk=device.pk)
    device.throttling_failure_count = 1
    device.save()
    assert len(events(Action.TWO_FACTOR_ENABLED)) == 1
    device.delete()
    [disabled] = events(Action.TWO_FACTOR_DISABLED, counterpart)
    assert disabled.changes == {"device": ["authenticator app: Phone", None]}

    codes = StaticDevice.objects.create(user=counterpart, name="backup")
    assert events(Action.TWO_FACTOR_ENABLED)[-1].changes == {
        "device": [None, "recovery codes: backup"]
    }
    codes.delete()
    assert len(events(Action.TWO_FACTOR_DISABLED, counterpart)) == 2


def test_abandoned_unconfirmed_device_records_nothing(counterpart):
    TOTPDevice.objects.create(user=counterpart, name="Phone", confirmed=False).delete()
    assert events(Action.TWO_FACTOR_ENABLED) == events(Action.TWO_FACTOR_DISABLED) == []


def test_password_change_is_recorded_but_not_the_rehash_on_login(counterpart, settings):
    counterpart.set_password("a-new-long-password-2026")
    counterpart.save()
    assert len(events(Action.PASSWORD_CHANGED, counterpart)) == 1
    # A stronger hasher first: the next login re-hashes the same password silently.
    settings.PASSWORD_HASHERS = [
        "django.contrib.auth.hashers.PBKDF2PasswordHasher",
        "django.contrib.auth.hashers.MD5PasswordHasher",
    ]
    user = User.objects.get(pk=counterpart.pk)
    assert user.check_password("a-new-long-password-2026")
    assert User.objects.get(pk=counterpart.pk).password.startswith("pbkdf2")
    assert len(events(Action.PASSWORD_CHANGED, counterpart)) == 1


# --- Nobody changes or deletes it


@pytest.fixture
def event(administrator, counterpart) -> AuditEvent:
    return audit.record(
        Action.ROLE_CHANGED, target=counterpart, by=administrator, changes={"role": [None, "x"]}
    )


def test_the_orm_refuses_to_change_or_delete_events(event):
    event.action = Action.LOGIN
    with pytest.raises(AuditLogImmutable):
        event.save()
    with pytest.raises(AuditLogImmutable):
        event.delete()
    with pytest.raises(AuditLogImmutable):
        AuditEvent.objects.filter(pk=event.pk).update(action=Action.LOGIN)
    with pytest.raises(AuditLogImmutable):
        AuditEvent.objects.filter(pk=event.pk).delete()
    assert AuditEvent.objects.get(pk=event.pk).action == Action.ROLE_CHANGED


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE people_auditevent SET action = 'login' WHERE id = %s",
        "UPDATE people_auditevent SET changes = '{}' WHERE id = %s",
        "UPDATE people_auditevent SET actor_label = 'someone else' WHERE id = %s",
        # Pointing an event at another person is refused; only NULL (a deleted account) is not.
        "UPDATE people_auditevent SET actor_id = target_id WHERE id = %s",
        "DELETE FROM people_auditevent WHERE id = %s",
    ],
)
def test_the_database_refuses_raw_update_and_delete(event, sql):
    with (
        pytest.raises((DatabaseError, IntegrityError)),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(sql, [event.pk])
    kept = AuditEvent.objects.get(pk=event.pk)
    assert (kept.action, kept.changes, kept.actor_id) == (
        Action.ROLE_CHANGED,
        {"role": [None, "x"]},
        event.actor_id,
    )


def test_deleting_an_account_keeps_its_events_and_labels(event, counterpart):
    email = counterpart.email
    counterpart.delete()
    kept = AuditEvent.objects.get(pk=event.pk)
    assert kept.target is None and kept.target_label == email
    assert kept.action == Action.ROLE_CHANGED and kept.actor_id is not None
    [deleted] = events(Action.USER_DELETED)
    assert deleted.target_label == email


def test_deleting_an_account_with_a_device_records_it_without_a_dangling_link(counterpart):
    TOTPDevice.objects.create(user=counterpart, name="Phone", confirmed=True)
    email = counterpart.email
    with transaction.atomic():
        counterpart.delete()
    disabled = events(Action.TWO_FACTOR_DISABLED)[-1]
    assert disabled.target is None and disabled.target_label == email


# --- The admin: read-only, for administrators


ADMIN_URLS = {
    "list": ("get", lambda e: reverse("admin:people_auditevent_changelist")),
    "view": ("get", lambda e: reverse("admin:people_auditevent_change", args=[e.pk])),
    "change": ("post", lambda e: reverse("admin:people_auditevent_change", args=[e.pk])),
    "add": ("get", lambda e: reverse("admin:people_auditevent_add")),
    "add (post)": ("post", lambda e: reverse("admin:people_auditevent_add")),
    "delete": ("get", lambda e: reverse("admin:people_auditevent_delete", args=[e.pk])),
    "delete (post)": ("post", lambda e: reverse("admin:people_auditevent_delete", args=[e.pk])),
    "export": ("get", lambda e: reverse("admin:people_auditevent_export")),
}
# Administrators read (a read-only page for one event) and export; nobody adds, changes,
# deletes. Editors and counterparts are not staff: the admin sends them to its login page.
MATRIX = {
    "administrator": {
        "list": 200,
        "view": 200,
        "change": 403,
        "add": 403,
        "add (post)": 403,
        "delete": 403,
        "delete (post)": 403,
        "export": 200,
    },
    "superuser": {
        "list": 200,
        "view": 200,
        "change": 403,
        "add": 403,
        "add (post)": 403,
        "delete": 403,
        "delete (post)": 403,
        "export": 200,
    },
    "editor": dict.fromkeys(ADMIN_URLS, 302),
    "counterpart": dict.fromkeys(ADMIN_URLS, 302),
}


@pytest.mark.parametrize("role", list(MATRIX))
@pytest.mark.parametrize("name", list(ADMIN_URLS))
def test_audit_admin_permission_matrix(role, name, event, administrator, editor, counterpart):
    person = {
        "administrator": administrator,
        "editor": editor,
        "counterpart": counterpart,
        "superuser": factories.user(Role.ADMINISTRATOR, is_superuser=True),
    }[role]
    method, url = ADMIN_URLS[name]
    data = {"action": "login", "actor_label": "forged", "post": "yes"}
    response = getattr(client_for(person), method)(url(event), data if method == "post" else {})
    assert response.status_code == MATRIX[role][name]
    kept = AuditEvent.objects.get(pk=event.pk)
    assert kept.action == Action.ROLE_CHANGED and kept.actor_label == administrator.email


def test_the_event_page_offers_no_save_or_delete(event, administrator):
    page = client_for(administrator).get(reverse("admin:people_auditevent_change", args=[event.pk]))
    html = page.content.decode()
    assert 'name="_save"' not in html and "deletelink" not in html
    assert "role" in html and administrator.email in html


def test_the_list_filters_and_searches(administrator, counterpart, bosnian):
    audit.record(Action.LOGIN_FAILED, target_label="intruder@example.org")
    client = client_for(administrator)
    url = reverse("admin:people_auditevent_changelist")
    page = client.get(url, {"action": "login_failed"}).content.decode()
    assert "intruder@example.org" in page and bosnian.email not in page
    page = client.get(url, {"q": "intruder"}).content.decode()
    assert "intruder@example.org" in page
    page = client.get(url, {"target__id__exact": bosnian.pk}).content.decode()
    assert bosnian.email in page and "intruder@example.org" not in page
    # The export link carries the same filters.
    page = client.get(url, {"action": "login_failed", "q": "intr"}).content.decode()
    assert reverse("admin:people_auditevent_export") + "?action=login_failed&amp;q=intr" in page


def read_csv(response) -> list[list[str]]:
    text = b"".join(response.streaming_content).decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text.removeprefix("\ufeff"))))


def test_csv_export_keeps_the_filters_and_neutralises_formulas(administrator, counterpart):
    audit.record(Action.LOGIN_FAILED, target_label='=HYPERLINK("http://evil.example")')
    audit.record(Action.LOGIN_FAILED, target_label="+1+1@example.org", ip_address="192.0.2.1")
    audit.record(Action.LOGIN_FAILED, target_label="@SUM(A1)")
    audit.record(Action.LOGIN_FAILED, target_label="-2")
    audit.record(Action.LOGIN_FAILED, target_label="\tTAB")
    audit.record(Action.DEACTIVATED, target=counterpart, changes={"is_active": [True, False]})
    response = client_for(administrator).get(
        reverse("admin:people_auditevent_export"), {"action": "login_failed"}
    )
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    header, *rows = read_csv(response)
    assert header[:4] == ["at", "action", "actor", "user"]
    assert {row[1] for row in rows} == {"login_failed"}
    assert [row[3] for row in rows] == [
        '\'=HYPERLINK("http://evil.example")',
        "'+1+1@example.org",
        "'@SUM(A1)",
        "'-2",
        "'\tTAB",
    ]
    assert rows[1][5] == "192.0.2.1"


def test_csv_export_with_search_and_date(administrator, counterpart):
    audit.record(Action.DEACTIVATED, target=counterpart, changes={"is_active": [True, False]})
    response = client_for(administrator).get(
        reverse("admin:people_auditevent_export"), {"q": counterpart.email}
    )
    _, *rows = read_csv(response)
    assert rows and all(counterpart.email in (row[2], row[3]) for row in rows)
    deactivated = [row for row in rows if row[1] == "deactivated"]
    assert deactivated[0][4] == '{"is_active": [true, false]}'
    response = client_for(administrator).get(
        reverse("admin:people_auditevent_export"),
        {"at__gte": "2000-01-01 00:00:00+01:00", "at__lt": "2000-01-02 00:00:00+01:00"},
    )
    assert read_csv(response)[1:] == []
    # The date hierarchy's links too.
    response = client_for(administrator).get(
        reverse("admin:people_auditevent_export"), {"at__year": "2000"}
    )
    assert read_csv(response)[1:] == []


def test_csv_export_with_a_bad_filter_is_a_clear_400(administrator):
    response = client_for(administrator).get(
        reverse("admin:people_auditevent_export"), {"at__gte": "not a date"}
    )
    assert response.status_code == 400


# --- Commands


def test_commands_record_their_changes_as_command(counterpart, editor):
    with audit.context(actor=editor):
        counterpart.is_active = False
        counterpart.save()
    [event] = events(Action.DEACTIVATED, counterpart)
    assert event.source == Source.COMMAND and event.actor == editor
    assert mail.outbox == []


def test_the_audit_list_costs_the_same_queries_for_1_and_50_events(
    administrator, counterpart, queries
):
    client = client_for(administrator)
    url = reverse("admin:people_auditevent_changelist")

    def count():
        return queries.get(client, url)

    one = count()
    for n in range(50):
        audit.record(Action.LOGIN_FAILED, target=counterpart, target_label=f"try{n}@example.org")
    # Session, user, the page's rows, the date hierarchy and the actor/target filters' choices
    # are each one query whatever the number of events; no query per row.
    queries.expect(count(), one)


def test_the_demo_loader_records_its_users_as_command(db):
    from io import StringIO

    from django.core.management import call_command

    call_command("load_demo", stdout=StringIO())
    admin = User.objects.get(email="admin@example.org")
    [created] = events(Action.USER_CREATED, admin)
    [role] = events(Action.ROLE_CHANGED, admin)
    assert created.source == role.source == Source.COMMAND
    assert role.changes == {"role": [None, "Administrator"]}


def test_log_out_everywhere_is_recorded(counterpart):
    client = client_for(counterpart)
    assert client.post(reverse("log_out_everywhere")).status_code == 302
    (event,) = events(Action.SESSIONS_ENDED, counterpart)
    assert event.actor == counterpart
    assert event.changes == {"session_epoch": [0, 1]}


def test_new_recovery_codes_are_recorded(editor):
    from handbook_review.people import twofactor

    twofactor.new_recovery_codes(user=editor)
    (event,) = events(Action.RECOVERY_CODES_REGENERATED, editor)
    assert event.changes == {"recovery_codes": [None, 10]}


def test_unlocking_a_locked_account_is_recorded_and_a_few_failures_are_not(counterpart, settings):
    from axes.models import AccessAttempt

    def attempt(failures: int) -> AccessAttempt:
        return AccessAttempt.objects.create(
            username=counterpart.email,
            ip_address="192.0.2.7",
            user_agent="test",
            failures_since_start=failures,
        )

    attempt(settings.AXES_FAILURE_LIMIT - 1).delete()
    assert events(Action.UNLOCKED) == []
    attempt(settings.AXES_FAILURE_LIMIT).delete()
    (event,) = events(Action.UNLOCKED, counterpart)
    assert event.changes == {"locked": [True, False]}
    assert event.ip_address == "192.0.2.7"
