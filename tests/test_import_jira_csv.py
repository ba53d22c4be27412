from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from actions.models import ActionItem
from tests.factories import PostmortemFactory, UserFactory

pytestmark = pytest.mark.django_db

URL = "/import/jira/"
EXPORT = (Path(__file__).parent / "fixtures" / "imports" / "jira-export.csv").read_bytes()


@pytest.fixture
def postmortem(author):
    UserFactory(username="ben", first_name="Ben", last_name="Brown")
    UserFactory(username="anna", email="anna@example.com")
    return PostmortemFactory(owner=author, title="Checkout outage")


def _preview(client, postmortem, content=EXPORT, jira_url="https://acme.atlassian.net"):
    upload = SimpleUploadedFile("jira.csv", content, "text/csv")
    data = {"file": upload, "postmortem": postmortem.reference, "jira_url": jira_url}
    return client.post(URL, {**data, "preview": "1"})


def test_the_preview_maps_tickets_and_creates_nothing(author_client, postmortem):
    page = _preview(author_client, postmortem).content.decode()
    assert "3 action items will be created; 1 row with errors will be skipped." in page
    assert "the issue key “not a key” is not a Jira key such as OPS-12" in page
    assert "assignee not matched: “Someone Else” is no one on the site; you will own it" in page
    assert ActionItem.objects.count() == 0


def test_confirming_keeps_the_key_maps_status_and_matches_assignees(
    author_client, author, postmortem
):
    token = _preview(author_client, postmortem).context["token"]
    response = author_client.post(URL, {"previewed": token, "confirm": "1"}, follow=True)
    assert "Imported 3 action items." in response.content.decode()
    items = {i.tracker_url.rsplit("/", 1)[-1]: i for i in postmortem.action_items.all()}
    done = items["PAY-301"]
    assert done.tracker_url == "https://acme.atlassian.net/browse/PAY-301"
    assert (done.status, done.owner.username, done.priority, str(done.due_date)) == (
        "done", "ben", "P1", "2026-03-10"
    )  # fmt: skip
    assert done.completed_at.date().isoformat() == "2026-03-09"
    assert done.description.startswith("Jira PAY-301 (Done).")
    assert "Labels: postmortem, payments" in done.description
    assert (items["PAY-302"].status, items["PAY-302"].owner.username) == ("open", "anna")
    assert items["PAY-303"].owner == author


def test_importing_the_same_export_again_skips_the_tickets_already_there(author_client, postmortem):
    token = _preview(author_client, postmortem).context["token"]
    author_client.post(URL, {"previewed": token, "confirm": "1"})
    page = _preview(author_client, postmortem, jira_url="").content.decode()
    assert "PAY-301 is already on " + postmortem.reference in page
    assert "No row can be imported" in page


def test_only_a_postmortem_the_importer_may_edit_is_chosen(client, outsider, postmortem):
    client.force_login(outsider)
    page = _preview(client, postmortem).content.decode()
    assert f"{postmortem.reference} is not a postmortem you may edit." in page
    assert ActionItem.objects.count() == 0


def test_a_file_that_is_not_a_jira_export_is_refused_with_the_reason(author_client, postmortem):
    page = _preview(author_client, postmortem, content=b"title,owner\nA,ben\n").content.decode()
    assert "This does not look like a Jira export" in page
    assert ActionItem.objects.count() == 0


def test_the_postmortem_page_links_to_a_jira_import_into_it(author_client, postmortem):
    page = author_client.get(postmortem.get_absolute_url()).content.decode()
    link = f"/import/jira/?postmortem={postmortem.reference}"
    assert link in page
    form = author_client.get(link).content.decode()
    assert f'value="{postmortem.reference}"' in form
