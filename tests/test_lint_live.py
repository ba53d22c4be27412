import pytest
from django.urls import reverse

from postmortems.models import LintTerm
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

URL = reverse("postmortems:lint_check")


def _check(client, text, **extra):
    response = client.post(URL, {"text": text, **extra})
    assert response.status_code == 200
    return response.json()["findings"]


def test_blameful_text_gets_findings_with_message_and_suggestion(author_client):
    findings = _check(author_client, "The on-call should have paged the DBA.")
    assert len(findings) == 1
    finding = findings[0]
    assert finding["category"] == "counterfactual" and finding["severity"] == "warning"
    assert finding["message"] and finding["suggestion"]
    assert set(finding) >= {"start", "end", "line", "column", "rule", "text"}


def test_blameless_text_gets_none(author_client):
    assert _check(author_client, "The readiness probe failed to reach the service.") == []


def test_offsets_count_utf16_units_as_the_browser_does(author_client):
    text = "🔥 Zoë should have paged the DBA."
    finding = _check(author_client, text)[0]
    flagged = text.encode("utf-16-le")[finding["start"] * 2 : finding["end"] * 2].decode(
        "utf-16-le"
    )
    assert flagged == finding["text"]
    assert finding["start"] == text.index(finding["text"]) + 1  # the emoji is two UTF-16 units


def test_action_items_are_checked_for_actionability(author_client):
    findings = _check(author_client, "Be more careful", kind="action")
    assert [f["category"] for f in findings] == ["actionability"]
    assert _check(author_client, "Be more careful") == []


def test_admin_terms_are_flagged_and_allowed_terms_are_not(author_client):
    LintTerm.objects.create(phrase="ninja fix", message="Judges the person, not the process.")
    assert [f["category"] for f in _check(author_client, "A ninja fix was applied.")] == ["custom"]
    LintTerm.objects.create(phrase="dropped the ball", kind="allow")
    assert _check(author_client, "The juggling robot dropped the ball.") == []


def test_names_of_the_sites_users_count_as_people(author_client):
    text = "After lunch, okonkwo forgot to renew the certificate."
    before = _check(author_client, text)
    UserFactory(username="okonkwo")
    after = _check(author_client, text)
    assert len(after) > len(before)


def test_oversized_text_is_refused_with_a_message(author_client):
    response = author_client.post(URL, {"text": "x" * 200_001})
    assert "not checked" in response.json()["error"]


def test_common_patterns_come_with_a_rewrite_in_utf16_offsets(author_client):
    text = "🔥 Intro.\n\nSarah didn't check the logs."
    [finding] = _check(author_client, text)
    assert finding["rewrite"] == "The logs were not checked."
    units = text.encode("utf-16-le")
    rewritten = units[finding["rewrite_start"] * 2 : finding["rewrite_end"] * 2]
    assert rewritten.decode("utf-16-le") == "Sarah didn't check the logs."


def test_findings_without_a_known_pattern_have_no_rewrite(author_client):
    [finding] = _check(author_client, "It was human error.")
    assert finding["rewrite"] is None
