"""Random and hostile input into every form: never a server error, nothing saved is lost."""

import pytest
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from postmortems.models import Postmortem

pytestmark = pytest.mark.django_db

FUZZ = settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
HOSTILE = st.one_of(
    st.text(max_size=300),
    st.text(alphabet=st.characters(codec="utf-8"), max_size=50),
    st.sampled_from(
        [
            "",
            " ",
            "\x00",
            "\x1b[31m",
            "2026-02-30T25:61",
            "2026-03-29T02:30",
            "9999-12-31T23:59",
            "0000-00-00",
            "-1",
            "1e309",
            "NaN",
            "99999999999999999999999",
            "Europe/Atlantis",
            "../../etc/passwd",
            "<script>alert(1)</script>",
            "' OR 1=1 --",
            "x" * 120_000,
        ]
    ),
)


def fields(*names):
    return st.fixed_dictionaries({name: HOSTILE for name in names})


def _assert_handled(response):
    assert response.status_code < 500, response.content[:500]


@FUZZ
@given(data=fields("title", "severity", "template", "time_zone", "started_at", "services"))
def test_creating_a_postmortem(author_client, data):
    _assert_handled(author_client.post(reverse("postmortems:create"), data))


@FUZZ
@given(
    section=st.sampled_from(["details", "summary", "impact", "lessons"]),
    data=fields(
        "title", "severity", "time_zone", "started_at", "detected_at", "mitigated_at",
        "resolved_at", "services", "coauthors", "summary", "impact", "customers_affected",
        "failed_requests", "support_tickets", "went_well", "went_poorly", "got_lucky",
    ),
)  # fmt: skip
def test_editing_sections_never_loses_what_was_saved(author_client, postmortem, section, data):
    before = Postmortem.objects.values().get(pk=postmortem.pk)
    url = reverse("postmortems:section_edit", args=[postmortem.pk, section])
    response = author_client.post(url, data, HTTP_HX_REQUEST="true")
    _assert_handled(response)
    if response.status_code == 200 and b"invalid-feedback" in response.content:
        assert Postmortem.objects.values().get(pk=postmortem.pk) == before


@FUZZ
@given(data=fields("occurred_at", "kind", "description", "source_url", "starred"))
def test_adding_timeline_events(author_client, postmortem, data):
    url = reverse("postmortems:event_create", args=[postmortem.pk])
    _assert_handled(author_client.post(url, data, HTTP_HX_REQUEST="true"))


@FUZZ
@given(data=fields("text", "day"), confirm=st.booleans())
def test_importing_chat_logs(author_client, postmortem, data, confirm):
    url = reverse("postmortems:timeline_import", args=[postmortem.pk])
    _assert_handled(author_client.post(url, {**data, **({"confirm": ""} if confirm else {})}))


@FUZZ
@given(data=fields("category", "description"))
def test_adding_contributing_factors(author_client, postmortem, data):
    url = reverse("postmortems:factor_create", args=[postmortem.pk])
    _assert_handled(author_client.post(url, data, HTTP_HX_REQUEST="true"))


@FUZZ
@given(data=fields("title", "owner", "priority", "due_date", "kind", "description", "tracker_url"))
def test_adding_action_items(author_client, postmortem, data):
    url = reverse("actions:postmortem_create", args=[postmortem.pk])
    _assert_handled(author_client.post(url, data, HTTP_HX_REQUEST="true"))


@FUZZ
@given(data=fields("title", "starts_at", "duration_minutes", "location", "attendees", "agenda"))
def test_planning_meetings(author_client, data):
    _assert_handled(author_client.post(reverse("reviews:create"), data))


@FUZZ
@given(body=HOSTILE, text=HOSTILE, kind=HOSTILE)
def test_comments_and_live_lint(author_client, postmortem, body, text, kind):
    _assert_handled(
        author_client.post(reverse("reviews:comment", args=[postmortem.pk]), {"body": body})
    )
    _assert_handled(
        author_client.post(reverse("postmortems:lint_check"), {"text": text, "kind": kind})
    )


@FUZZ
@given(
    query=st.dictionaries(
        st.sampled_from(
            [
                "q",
                "status",
                "severity",
                "service",
                "started_after",
                "started_before",
                "page",
                "owner",
                "overdue",
                "due_after",
                "due_before",
                "sort",
                "priority",
            ]
        ),
        HOSTILE,
        max_size=5,
    )
)
def test_list_filters(author_client, query):
    for name in ["postmortems:list", "actions:list"]:
        _assert_handled(author_client.get(reverse(name), query))


@pytest.mark.parametrize(
    "url",
    ["/postmortems/999999/", "/postmortems/999999/export.md", "/actions/999999/", "/reviews/999999/",
     "/postmortems/1/timeline/999999/edit/", "/postmortems/99999999999999999999999/"],
)  # fmt: skip
def test_unknown_ids_are_404s(author_client, url):
    assert author_client.get(url).status_code == 404


def test_absurd_ids_get_a_field_error_not_a_crash(author_client, postmortem):
    response = author_client.post(
        reverse("postmortems:section_edit", args=[postmortem.pk, "details"]),
        {
            "title": "x",
            "severity": "3",
            "time_zone": "UTC",
            "coauthors": ["99999999999999999999999"],
        },
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    assert "is not a valid value" in response.content.decode()
