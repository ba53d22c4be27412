import pytest
from django.urls import reverse

from postmortems.forms import ContributingFactorForm
from postmortems.models import ContributingFactor
from tests.factories import ContributingFactorFactory

pytestmark = pytest.mark.django_db


def test_adding_factors_lists_them_all(author_client, postmortem):
    url = reverse("postmortems:factor_create", args=[postmortem.pk])
    author_client.post(url, {"category": "capacity", "description": "Pool too small"})
    response = author_client.post(
        url, {"category": "monitoring", "description": "No lag alert"}, HTTP_HX_REQUEST="true"
    )
    body = response.content.decode()
    assert "Pool too small" in body and "No lag alert" in body and "Monitoring gap" in body


def test_a_factor_needs_a_known_category(author_client, postmortem):
    response = author_client.post(
        reverse("postmortems:factor_create", args=[postmortem.pk]),
        {"category": "root-cause", "description": "Kept text"},
        HTTP_HX_REQUEST="true",
    )
    body = response.content.decode()
    assert "Select a valid choice" in body and "Kept text" in body
    assert not ContributingFactor.objects.exists()


def test_editing_and_deleting_a_factor(author_client, postmortem):
    factor = ContributingFactorFactory(postmortem=postmortem)
    author_client.post(
        reverse("postmortems:factor_edit", args=[postmortem.pk, factor.pk]),
        {
            "category": "tooling",
            "description": "Changed",
            "version": ContributingFactorForm(instance=factor).saved_version(),
        },
    )
    factor.refresh_from_db()
    assert (factor.category, factor.description) == ("tooling", "Changed")
    author_client.post(reverse("postmortems:factor_delete", args=[postmortem.pk, factor.pk]))
    assert not ContributingFactor.objects.exists()


def test_outsiders_cannot_add_factors(outsider_client, postmortem):
    response = outsider_client.post(
        reverse("postmortems:factor_create", args=[postmortem.pk]),
        {"category": "capacity", "description": "x"},
    )
    assert response.status_code == 403
