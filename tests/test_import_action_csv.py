import csv
import io
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from actions.models import ActionItem
from tests.factories import PostmortemFactory, UserFactory

pytestmark = pytest.mark.django_db

URL = "/import/action-items/"
CSV = (Path(__file__).parent / "fixtures" / "imports" / "action-items.csv").read_text()


@pytest.fixture
def postmortem(author):
    UserFactory(username="ben", first_name="Ben", last_name="Brown")
    UserFactory(username="anna", email="anna@example.com")
    return PostmortemFactory(owner=author, title="Checkout outage")


def _preview(client, text):
    upload = SimpleUploadedFile("items.csv", text.encode(), "text/csv")
    return client.post(URL, {"file": upload, "preview": "1"})


def test_the_preview_lists_rows_with_their_errors_and_creates_nothing(author_client, postmortem):
    response = _preview(author_client, CSV.replace("{pm}", postmortem.reference))
    page = response.content.decode()
    assert "3 action items will be created; 3 rows with errors will be skipped." in page
    assert "PM-999999 is not a postmortem you may edit" in page
    assert "unknown owner: “mallory” is no one on the site" in page
    assert "the due date “next tuesday” is not a date (YYYY-MM-DD)" in page
    assert ActionItem.objects.count() == 0


def test_confirming_creates_only_the_rows_without_errors(author_client, author, postmortem):
    token = _preview(author_client, CSV.replace("{pm}", postmortem.reference)).context["token"]
    response = author_client.post(URL, {"previewed": token, "confirm": "1"}, follow=True)
    assert "Imported 3 action items." in response.content.decode()
    items = {i.title: i for i in postmortem.action_items.all()}
    assert len(items) == 3
    canary = items["Add a canary stage to the payments rollout"]
    assert (canary.owner.username, str(canary.due_date), canary.priority) == (
        "ben",
        "2026-04-01",
        "P1",
    )
    assert canary.created_by == author and canary.changes.get().note == "Imported from a CSV file"
    runbook = items["Write the rollback runbook"]
    assert (runbook.status, runbook.kind, runbook.owner.username) == (
        "in_progress",
        "process",
        "anna",
    )


def test_formulas_imported_as_titles_stay_text_on_re_export(author_client, postmortem):
    token = _preview(author_client, CSV.replace("{pm}", postmortem.reference)).context["token"]
    author_client.post(URL, {"previewed": token, "confirm": "1"})
    item = ActionItem.objects.get(kind="detect")
    assert item.title.startswith("=HYPERLINK") and item.status == "done" and item.completed_at
    export = author_client.get("/actions/export.csv", {"status": ""})
    rows = list(csv.DictReader(io.StringIO(b"".join(export.streaming_content).decode())))
    assert [r["title"] for r in rows if "HYPERLINK" in r["title"]] == [f"'{item.title}"]
    # The export reads back as it is: the quote is taken off again, not doubled.
    again = _preview(
        author_client,
        b"".join(
            author_client.get("/actions/export.csv", {"status": ""}).streaming_content
        ).decode(),
    )
    titles = [row.title for row in again.context["preview"].rows]
    assert item.title in titles


def test_only_postmortems_the_importer_may_edit_take_items(client, outsider, postmortem):
    secret = PostmortemFactory(owner=postmortem.owner, restricted=True)
    client.force_login(outsider)
    text = f"postmortem,title,owner\n{postmortem.reference},A,ben\n{secret.reference},B,ben\n"
    response = _preview(client, text)
    page = response.content.decode()
    assert f"{postmortem.reference} is not a postmortem you may edit" in page
    assert f"{secret.reference} is not a postmortem you may edit" in page
    assert "No row can be imported" in page
    assert ActionItem.objects.count() == 0


def test_a_preview_taken_by_an_editor_who_lost_the_right_creates_nothing(
    author_client, author, postmortem, outsider
):
    postmortem.coauthors.add(outsider)
    from django.test import Client

    other = Client()
    other.force_login(outsider)
    token = _preview(other, f"postmortem,title,owner\n{postmortem.reference},A,ben\n").context[
        "token"
    ]
    postmortem.coauthors.remove(outsider)
    other.post(URL, {"previewed": token, "confirm": "1"})
    assert ActionItem.objects.count() == 0


def test_bad_files_get_a_clear_message(author_client, postmortem):
    assert (
        "not UTF-8 text"
        in author_client.post(
            URL, {"file": SimpleUploadedFile("x.csv", b"\xff\xfe\xfa"), "preview": "1"}
        ).content.decode()
    )
    assert (
        "has no “title” column" in _preview(author_client, "name,owner\nA,ben\n").content.decode()
    )
    assert "The file is empty" in _preview(author_client, "\n").content.decode()
    huge = _preview(author_client, "postmortem,title,owner\nPM-99999999999999999999,A,ben\n")
    assert "PM-99999999999999999999 is not a postmortem you may edit" in huge.content.decode()
    assert ActionItem.objects.count() == 0
