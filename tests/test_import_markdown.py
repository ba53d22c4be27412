from datetime import UTC, datetime
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from actions.models import ActionItem
from postmortems.importing import parse_postmortem
from postmortems.models import Postmortem
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

FIXTURES = Path(__file__).parent / "fixtures" / "imports"
URL = "/import/"


def _upload(*names: str) -> list[SimpleUploadedFile]:
    return [SimpleUploadedFile(n, (FIXTURES / n).read_bytes(), "text/markdown") for n in names]


@pytest.fixture
def people(db):
    return {
        "anna": UserFactory(username="anna", first_name="Anna", last_name="Ames"),
        "ben": UserFactory(username="ben", first_name="Ben", last_name="Brown"),
    }


def _preview(client, *names, text=""):
    return client.post(URL, {"files": _upload(*names), "text": text, "preview": "1"})


def test_the_parser_reads_every_part_of_the_sre_template_shape():
    doc = parse_postmortem((FIXTURES / "checkout-outage.md").read_text(), name="x.md")
    assert doc.title == "Checkout payments declined after gateway rollout (incident 812)"
    assert doc.authors == ["Anna Ames", "ben", "nobody-here@example.com"]
    assert doc.severity == 2 and doc.time_zone == "UTC"
    assert [e.kind for e in doc.events] == [
        "note", "impact_start", "detection", "mitigation", "resolution"
    ]  # fmt: skip
    assert (
        "change",
        "Trigger: The 14:00 rollout of payments-client 4.2 to all regions at once.",
    ) in doc.factors
    assert len(doc.factors) == 3
    assert [(a.kind, a.owner) for a in doc.actions] == [
        ("prevent", "ben"), ("process", "Anna Ames"), ("detect", "Zed Unknown")
    ]  # fmt: skip
    assert doc.actions[0].bug == "https://tracker.example/PAY-201"
    assert "**Resolution.** Rolled back" in doc.summary and "**Detection.**" in doc.summary
    assert doc.went_poorly == "The rollout went to every region at once."
    assert any("“around lunch the team met” has no time" in p for p in doc.problems)


def test_the_preview_shows_what_will_be_created_and_creates_nothing(author_client, people):
    response = _preview(author_client, "checkout-outage.md", "no-title.md")
    page = response.content.decode()
    assert response.status_code == 200
    assert "a draft you own" in page and "Import 1 postmortem as drafts" in page
    assert "Author not matched: “nobody-here@example.com” is no one on the site." in page
    assert "owner not matched (“Zed Unknown” is no one on the site): you will own it" in page
    assert "No title: the document needs a first-level heading" in page
    assert "Anna Ames, Ben Brown" in page  # the co-authors
    assert Postmortem.objects.count() == 0 and ActionItem.objects.count() == 0


def test_confirming_creates_a_draft_owned_by_the_importer_with_its_parts(
    author_client, author, people
):
    token = _preview(author_client, "checkout-outage.md").context["token"]
    response = author_client.post(URL, {"previewed": token, "confirm": "1"}, follow=True)
    assert "Imported 1 postmortem as drafts you own." in response.content.decode()
    pm = Postmortem.objects.get()
    assert (pm.owner, pm.status, pm.severity) == (author, "draft", 2)
    assert set(pm.coauthors.all()) == {people["anna"], people["ben"]}
    assert pm.started_at == datetime(2026, 3, 2, 14, 2, tzinfo=UTC)
    assert pm.detected_at == datetime(2026, 3, 2, 14, 6, tzinfo=UTC)
    assert pm.resolved_at == datetime(2026, 3, 2, 14, 41, tzinfo=UTC)
    assert pm.events.count() == 5 and pm.factors.count() == 3
    assert ActionItem.history.filter(history_user=author).count() == 3
    items = {i.title: i for i in pm.action_items.all()}
    assert items["Make the staging stub reject unit amounts"].owner == people["ben"]
    assert items["Make the staging stub reject unit amounts"].tracker_url.endswith("PAY-201")
    unmatched = items["Alert on decline rate per card network"]
    assert (
        unmatched.owner == author and "Owner in the document: Zed Unknown" in unmatched.description
    )


def test_several_files_and_pasted_text_come_in_together(author_client):
    text = "# Pasted incident\n\n## Summary\n\nShort.\n"
    token = _preview(author_client, "checkout-outage.md", text=text).context["token"]
    author_client.post(URL, {"previewed": token, "confirm": "1"})
    assert set(Postmortem.objects.values_list("title", flat=True)) == {
        "Pasted incident",
        "Checkout payments declined after gateway rollout (incident 812)",
    }


def test_bad_input_gets_a_clear_message_and_nothing_is_created(author_client):
    binary = SimpleUploadedFile("x.md", b"\xff\xfe\x00bad", "text/markdown")
    response = author_client.post(URL, {"files": [binary], "preview": "1"})
    assert "x.md is not UTF-8 text" in response.content.decode()
    empty = author_client.post(URL, {"text": "", "preview": "1"})
    assert "Choose a Markdown file or paste a postmortem." in empty.content.decode()
    forged = author_client.post(URL, {"previewed": "not-signed", "confirm": "1"})
    assert forged.status_code == 200
    assert "more than an hour old or was changed" in forged.content.decode()
    assert Postmortem.objects.count() == 0


def test_a_preview_cannot_be_confirmed_by_someone_else(author_client, client, outsider):
    token = _preview(author_client, "checkout-outage.md").context["token"]
    client.force_login(outsider)
    response = client.post(URL, {"previewed": token, "confirm": "1"})
    assert "more than an hour old or was changed" in response.content.decode()
    assert Postmortem.objects.count() == 0


def test_the_import_page_is_in_the_navigation_bar(author_client):
    assert 'href="/import/">Import</a>' in author_client.get("/postmortems/").content.decode()


def test_a_failure_part_way_leaves_nothing_half_created(author, people):
    from django.db import IntegrityError

    from actions.importing.markdown import markdown_preview, postmortems_import

    text = (FIXTURES / "checkout-outage.md").read_text()
    previews = markdown_preview(documents=[("a.md", text), ("b.md", text)], by=author)
    previews[1].actions[0].owner = None  # an open item with no owner: the database refuses it
    with pytest.raises(IntegrityError):
        postmortems_import(previews=previews, by=author)
    assert Postmortem.objects.count() == 0 and ActionItem.objects.count() == 0


def test_imported_markdown_is_sanitized_where_it_is_shown(author_client):
    text = (
        "# Sneaky\n\n## Summary\n\nHello <script>alert(1)</script> <img src=x onerror=alert(2)>\n"
    )
    preview = author_client.post(URL, {"text": text, "preview": "1"})
    assert "<script>alert(1)" not in preview.content.decode()
    author_client.post(URL, {"previewed": preview.context["token"], "confirm": "1"})
    page = author_client.get(Postmortem.objects.get().get_absolute_url()).content.decode()
    assert "Hello" in page and "<script>alert(1)" not in page and "onerror" not in page
