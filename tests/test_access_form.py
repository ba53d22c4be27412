import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

pytestmark = pytest.mark.django_db


def _form(client, postmortem) -> str:
    url = reverse("postmortems:section_edit", args=[postmortem.pk, "access"])
    return client.get(url).content.decode()


def test_the_access_form_shows_the_people_allowed_by_name(author_client, postmortem, reviewer):
    assert "Rui Reviewer (reviewer)" not in _form(author_client, postmortem)
    postmortem.allowed_users.add(reviewer)
    body = _form(author_client, postmortem)
    assert f'<option value="{reviewer.pk}" selected>Rui Reviewer (reviewer)</option>' in body


def test_the_groups_select_says_how_teams_and_groups_are_made(author_client, postmortem):
    body = _form(author_client, postmortem)
    assert (
        "Staff make teams on the Teams page; an admin makes other groups under Admin → Groups."
        in body
    )
    Group.objects.create(name="SRE")
    assert ">SRE</option>" in _form(author_client, postmortem)
