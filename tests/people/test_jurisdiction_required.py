"""A counterpart reviews for a country: the admin refuses one without (they could open no
round), on the add form and the change form, and keeps what was typed."""

import pytest
from django.urls import reverse

from handbook_review.people.models import Jurisdiction, Role, User
from tests import factories
from tests.conftest import client_for

MESSAGE = "A counterpart reviews for a reviewing jurisdiction"


def new_person(**changes):
    return {
        "email": "officer@example.org",
        "name": "Unplaced Officer",
        "jurisdiction": "",
        "agency": "customs",
        "language": "en",
        "role": Role.COUNTERPART.value,
        **changes,
    }


def organisation() -> Jurisdiction:
    return Jurisdiction.objects.get_or_create(
        code="TEST-ORG",
        defaults={"name": "Test organisation", "kind": Jurisdiction.Kind.ORGANISATION},
    )[0]


@pytest.mark.parametrize("where", ["none", "organisation"])
def test_a_counterpart_without_a_country_is_refused_with_what_was_typed_kept(administrator, where):
    jurisdiction = "" if where == "none" else organisation().pk
    response = client_for(administrator).post(
        reverse("admin:people_user_add"), new_person(jurisdiction=jurisdiction)
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert MESSAGE in page
    assert 'value="Unplaced Officer"' in page and 'value="officer@example.org"' in page
    assert not User.objects.filter(email="officer@example.org").exists()


def test_a_counterpart_with_a_country_is_created(administrator):
    country = factories.jurisdiction("ME")
    response = client_for(administrator).post(
        reverse("admin:people_user_add"), new_person(jurisdiction=country.pk)
    )
    assert response.status_code == 302
    assert User.objects.get(email="officer@example.org").jurisdiction == country


def test_an_editor_of_an_organisation_needs_no_country(administrator):
    response = client_for(administrator).post(
        reverse("admin:people_user_add"),
        new_person(role=Role.EDITOR.value, jurisdiction=organisation().pk),
    )
    assert response.status_code == 302


def test_taking_the_country_away_from_a_counterpart_is_refused(administrator, counterpart):
    url = reverse("admin:people_user_change", args=[counterpart.pk])
    response = client_for(administrator).post(
        url,
        {
            "email": counterpart.email,
            "name": counterpart.name,
            "jurisdiction": "",
            "agency": counterpart.agency or "customs",
            "language": "en",
            "is_active": "on",
            "role": Role.COUNTERPART.value,
        },
    )
    assert response.status_code == 200 and MESSAGE in response.content.decode()
    counterpart.refresh_from_db()
    assert counterpart.jurisdiction is not None
