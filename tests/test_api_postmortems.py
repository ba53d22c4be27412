"""The API's postmortems: lists with the list page's filters and a cursor, the document with
its timeline and factors, writes guarded by If-Match, restricted ones invisible, one error
shape, and an OpenAPI 3.1 document with a docs page that loads nothing from elsewhere."""

import re

import pytest
from django.test import Client

from config.events import announced
from postmortems.models import Postmortem
from tests.api import ApiClient
from tests.factories import (
    ContributingFactorFactory,
    PostmortemFactory,
    ServiceFactory,
    TeamFactory,
    TimelineEventFactory,
)

pytestmark = pytest.mark.django_db

NEW = {
    "title": "Checkout errors after deploy",
    "severity": 2,
    "time_zone": "Europe/Berlin",
    "summary": "Card payments failed for 40 minutes.",
    "services": ["checkout", "payments"],
    "timeline": [
        {"occurred_at": "2026-03-02T14:00:00+01:00", "kind": "impact_start", "description": "5xx"},
        {"occurred_at": "2026-03-02T14:07:00+01:00", "kind": "detection", "description": "Paged"},
    ],
    "factors": [{"category": "change", "description": "A config flag flipped in the deploy."}],
}


@pytest.fixture
def api(author):
    return ApiClient(author)


def test_a_script_creates_a_postmortem_with_its_timeline_factors_and_services(api, author):
    ServiceFactory(name="checkout")
    response = api.post("/postmortems", NEW)
    assert response.status_code == 201, response.json()
    body = response.json()
    postmortem = Postmortem.objects.get(pk=body["id"])
    assert postmortem.owner == author and postmortem.severity == 2
    assert sorted(body["services"]) == ["checkout", "payments"]
    assert [e["kind"] for e in body["timeline"]] == ["impact_start", "detection"]
    assert body["factors"][0]["category"] == "change"
    assert body["started_at"] == "2026-03-02T13:00:00Z"  # the impact start event set it
    assert body["detected_at"] == "2026-03-02T13:07:00Z"
    assert response["ETag"].startswith('W/"')
    assert response["Location"].endswith(f"/api/v1/postmortems/{postmortem.pk}")


def test_a_postmortem_made_by_a_script_takes_its_team_and_is_announced_like_a_typed_one(api):
    payments = TeamFactory(display_name="Payments")
    ServiceFactory(name="checkout", team=payments)
    heard = []

    def listen(*, event, objects, **_):
        heard.extend((event, obj.pk) for obj in objects)

    announced.connect(listen)
    try:
        body = api.post("/postmortems", NEW).json()
    finally:
        announced.disconnect(listen)
    assert Postmortem.objects.get(pk=body["id"]).team == payments
    assert ("postmortem.created", body["id"]) in heard


def test_lists_come_newest_first_a_page_at_a_time_behind_the_next_link(api, author):
    made = [PostmortemFactory(owner=author, title=f"Incident {n}") for n in range(5)]
    first = api.get("/postmortems", {"limit": 2}).json()
    assert [p["id"] for p in first["results"]] == [made[4].pk, made[3].pk]
    second = Client().get(first["next"], headers=api._headers(None)).json()
    third = Client().get(second["next"], headers=api._headers(None)).json()
    assert [p["id"] for p in second["results"] + third["results"]] == [
        made[2].pk,
        made[1].pk,
        made[0].pk,
    ]
    assert third["next"] is None


def test_lists_take_the_list_pages_filters(api, author):
    db = ServiceFactory(name="db")
    match = PostmortemFactory(owner=author, title="Disk full", severity=1)
    match.services.add(db)
    PostmortemFactory(owner=author, title="Disk slow", severity=3).services.add(db)
    PostmortemFactory(owner=author, title="Login loop", severity=1)
    found = api.get("/postmortems", {"q": "disk", "severity": 1, "service": "db"}).json()
    assert [p["id"] for p in found["results"]] == [match.pk]
    assert api.get("/postmortems", {"q": match.reference}).json()["results"][0]["id"] == match.pk


def test_a_restricted_postmortem_does_not_exist_for_those_who_may_not_read_it(author, outsider):
    secret = PostmortemFactory(owner=author, restricted=True, title="Secret breach")
    TimelineEventFactory(postmortem=secret)
    outside = ApiClient(outsider)
    assert outside.get(f"/postmortems/{secret.pk}").status_code == 404
    assert outside.get("/postmortems", {"q": "breach"}).json()["results"] == []
    assert outside.post(f"/postmortems/{secret.pk}/timeline", NEW["timeline"][0]).status_code == 404
    assert outside.patch(f"/postmortems/{secret.pk}", {}, {"If-Match": "*"}).status_code == 404
    inside = ApiClient(author)
    assert inside.get(f"/postmortems/{secret.pk}").json()["title"] == "Secret breach"


def test_only_its_authors_change_it(api, postmortem, outsider):
    tag = api.get(f"/postmortems/{postmortem.pk}")["ETag"]
    response = ApiClient(outsider).patch(
        f"/postmortems/{postmortem.pk}", {"title": "Mine now"}, {"If-Match": tag}
    )
    assert response.status_code == 403
    assert response.json() == {
        "detail": "Only the owner and co-authors can edit this postmortem.",
        "errors": [],
    }


def test_an_update_with_the_current_etag_changes_only_what_it_sends(api, postmortem):
    before = api.get(f"/postmortems/{postmortem.pk}")
    response = api.patch(
        f"/postmortems/{postmortem.pk}",
        {"summary": "Rewritten.", "services": ["search"]},
        {"If-Match": before["ETag"]},
    )
    assert response.status_code == 200, response.json()
    assert response.json()["summary"] == "Rewritten."
    assert response.json()["title"] == before.json()["title"]
    assert response.json()["services"] == ["search"]
    assert response["ETag"] != before["ETag"]
    postmortem.refresh_from_db()
    assert postmortem.text_version == before.json()["text_version"] + 1


def test_a_stale_update_gets_412_and_changes_nothing(api, postmortem):
    tag = api.get(f"/postmortems/{postmortem.pk}")["ETag"]
    ContributingFactorFactory(postmortem=postmortem)  # someone's change, through the page
    postmortem.mark_text_changed()
    response = api.patch(f"/postmortems/{postmortem.pk}", {"title": "Mine"}, {"If-Match": tag})
    assert response.status_code == 412
    assert "changed since you read it" in response.json()["detail"]
    postmortem.refresh_from_db()
    assert postmortem.title != "Mine"


def test_an_update_without_if_match_gets_428(api, postmortem):
    response = api.patch(f"/postmortems/{postmortem.pk}", {"title": "Blind"})
    assert response.status_code == 428
    assert "If-Match" in response.json()["detail"]


def test_bad_input_gets_field_errors_in_one_shape(api):
    response = api.post("/postmortems", {"title": "", "severity": 7, "time_zone": "Mars/Base"})
    assert response.status_code == 422
    body = response.json()
    assert body["detail"] == "The input is not valid."
    assert {e["field"] for e in body["errors"]} == {"title", "severity"}
    zone = api.post("/postmortems", {"title": "Where", "time_zone": "Mars/Base"}).json()
    assert zone["errors"][0]["field"] == "time_zone"
    assert "not a time zone name" in zone["errors"][0]["message"]
    naive = api.post("/postmortems", {"title": "When", "started_at": "2026-03-02T14:00"}).json()
    assert naive["errors"][0]["field"] == "started_at"
    rows = api.post("/postmortems", {"title": "Rows", "factors": [{"category": "luck"}]}).json()
    assert {e["field"] for e in rows["errors"]} == {"factors.0.category", "factors.0.description"}
    nul = api.post("/postmortems", {"title": "a\x00b"})
    assert nul.status_code == 422


def test_unreadable_input_gets_400_or_422_never_500(api):
    bad_json = api.post("/postmortems", "{not json")
    assert bad_json.status_code == 400
    assert bad_json.json()["detail"].startswith("Cannot parse request body")
    assert bad_json.json()["errors"] == []
    cursor = api.get("/postmortems", {"cursor": "not-a-cursor"})
    assert cursor.status_code == 422
    assert cursor.json()["errors"][0]["field"] == "cursor"
    assert api.get("/postmortems", {"started_after": "yesterday"}).status_code == 422
    assert api.get("/postmortems/99999999999999999999").status_code == 422
    assert api.get("/postmortems/424242").json() == {
        "detail": "No postmortem matches the given query.",
        "errors": [],
    }


def test_rows_are_added_to_the_timeline_and_factors(api, postmortem):
    tag = api.get(f"/postmortems/{postmortem.pk}")["ETag"]
    event = api.post(f"/postmortems/{postmortem.pk}/timeline", NEW["timeline"][1])
    assert event.status_code == 201 and event.json()["kind"] == "detection"
    factor = api.post(f"/postmortems/{postmortem.pk}/factors", NEW["factors"][0])
    assert factor.status_code == 201
    detail = api.get(f"/postmortems/{postmortem.pk}")
    assert detail.json()["detected_at"] == "2026-03-02T13:07:00Z"
    assert len(detail.json()["factors"]) == 1
    assert detail["ETag"] != tag  # the text changed: an update from before is stale


def test_the_linter_answers_findings(api):
    response = api.post("/lint", {"text": "Bob should have checked the config."})
    (finding,) = response.json()["findings"]
    assert finding["rule"] == "counterfactual.should-have"
    assert finding["text"] == "should have checked"
    too_long = api.post("/lint", {"text": "x" * 200_001})
    assert too_long.status_code == 422


def test_the_openapi_document_is_3_1_and_documents_errors_and_429_everywhere(client):
    schema = client.get("/api/v1/openapi.json").json()
    assert schema["openapi"].startswith("3.1")
    operations = [
        (path, method, operation)
        for path, methods in schema["paths"].items()
        for method, operation in methods.items()
    ]
    assert len(operations) >= 14
    for path, method, operation in operations:
        responses = operation["responses"]
        assert "Retry-After" in responses["429"]["headers"], (path, method)
        assert responses["422"]["content"]["application/json"]["schema"] == {
            "$ref": "#/components/schemas/Error"
        }
        if method == "patch":
            assert {"412", "428"} <= set(responses), path
    assert set(schema["components"]["schemas"]["Error"]["properties"]) == {"detail", "errors"}


def test_the_docs_page_loads_only_the_sites_own_assets(client):
    response = client.get("/api/v1/docs")
    assert response.status_code == 200
    page = response.content.decode()
    sources = re.findall(r'(?:src|href)="([^"]+)"', page)
    assert sources and all(source.startswith("/static/") for source in sources), sources
    assert "script-src 'self'" in response["Content-Security-Policy"]
    for source in sources:
        assert client.get(source).status_code == 200 or source.endswith(".map")
