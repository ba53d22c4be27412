"""Every state change needs a CSRF token, and the page's htmx requests send it."""

import re

import pytest
from django.test import Client
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_state_changes_need_a_csrf_token_and_htmx_sends_it(author, postmortem):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(author)
    url = reverse("postmortems:section_edit", args=[postmortem.pk, "summary"])
    assert browser.post(url, {"summary": "forged"}).status_code == 403
    page = browser.get(postmortem.get_absolute_url())
    token = page.cookies["csrftoken"].value
    assert 'hx-headers=\'{"X-CSRFToken": "' in page.content.decode()
    version = re.search(r'name="version" value="(\w+)"', browser.get(url).content.decode())[1]
    response = browser.post(
        url,
        {"summary": "real", "version": version},
        HTTP_X_CSRFTOKEN=token,
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    postmortem.refresh_from_db()
    assert postmortem.summary == "real"
