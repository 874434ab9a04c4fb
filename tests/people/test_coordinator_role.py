"""Administrators make someone their jurisdiction's coordinator in the admin; the demo has one."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse

from handbook_review.people.models import Role, User
from tests import factories
from tests.conftest import client_for

pytestmark = pytest.mark.django_db


def add(administrator, code):
    return client_for(administrator).post(
        reverse("admin:people_user_add"),
        {
            "email": f"coordinator.{code.lower()}@example.org",
            "name": "New Coordinator",
            "jurisdiction": factories.jurisdiction(code).pk,
            "agency": "border_police",
            "role": Role.COORDINATOR.value,
        },
    )


def test_an_administrator_makes_a_countrys_coordinator(administrator):
    response = add(administrator, "ME")
    assert response.status_code == 302, response.content.decode()[:2000]
    assert User.objects.get(email="coordinator.me@example.org").role == Role.COORDINATOR


def test_a_coordinator_of_an_editing_organisation_is_refused_with_a_form_error(administrator):
    response = add(administrator, "SEESAC")
    assert response.status_code == 200
    assert "A coordinator speaks for a reviewing jurisdiction" in response.content.decode()
    assert not User.objects.filter(email="coordinator.seesac@example.org").exists()


def test_changing_a_role_to_coordinator_checks_the_jurisdiction(administrator, editor):
    response = client_for(administrator).post(
        reverse("admin:people_user_change", args=[editor.pk]),
        {
            "email": editor.email,
            "name": editor.name,
            "jurisdiction": editor.jurisdiction_id,
            "agency": editor.agency,
            "role": Role.COORDINATOR.value,
            "is_active": "on",
        },
    )
    assert response.status_code == 200
    assert "A coordinator speaks for a reviewing jurisdiction" in response.content.decode()
    editor.refresh_from_db()
    assert editor.role == Role.EDITOR


def test_the_demo_has_albanias_coordinator_among_its_printed_logins():
    out = StringIO()
    call_command("load_demo", password="demo-pass-for-tests", stdout=out)
    coordinator = User.objects.get(email="coordinator.al@example.org")
    assert coordinator.role == Role.COORDINATOR and coordinator.jurisdiction.code == "AL"
    assert "coordinator.al@example.org" in out.getvalue()
