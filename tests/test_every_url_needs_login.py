"""Every URL of the site sends anonymous visitors to the login page, except the few that
must answer without a session; and every state change needs a CSRF token."""

import re

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

pytestmark = pytest.mark.django_db

OPEN = {"healthz", "login"}
# The calendar feed is read by calendar apps with a secret token instead of a session.
TOKEN = {"actions:calendar"}


def _patterns(resolver=None, prefix="", namespace=""):
    for entry in (resolver or get_resolver()).url_patterns:
        if isinstance(entry, URLResolver):
            if entry.namespace == "admin":
                continue
            space = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from _patterns(entry, prefix + str(entry.pattern), space)
        elif isinstance(entry, URLPattern) and entry.name:
            yield f"{namespace}{entry.name}", prefix + str(entry.pattern)


def _url(route: str) -> str:
    path = re.sub(r"<int:\w+>", "1", route)
    path = re.sub(r"<(slug:)?\w+>", "summary", path)
    return "/" + path


ROUTES = sorted(set(_patterns()))


def test_the_site_has_the_routes_this_test_walks():
    names = {name for name, _ in ROUTES}
    assert {"postmortems:detail", "actions:list", "reviews:present", "metrics:index"} <= names
    assert len(ROUTES) > 50


@pytest.mark.parametrize(("name", "route"), ROUTES, ids=[name for name, _ in ROUTES])
def test_anonymous_visitors_are_sent_to_log_in(client, name, route):
    url = _url(route)
    for method in (client.get, client.post):
        response = method(url)
        if name in OPEN:
            assert response.status_code in (200, 405), url
        elif name in TOKEN:
            assert response.status_code == 404, url
        else:
            assert response.status_code == 302, (url, response.status_code)
            assert response["Location"].startswith(reverse("login")), url


def test_the_admin_needs_a_staff_login(client):
    response = client.get("/admin/")
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


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
