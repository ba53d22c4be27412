import re

import pytest

from actions.models import ActionItem
from tests.factories import ActionItemFactory

pytestmark = pytest.mark.django_db


def test_the_item_header_names_the_priority_once(author_client, author):
    item = ActionItemFactory(owner=author, priority="P1")
    body = author_client.get(item.get_absolute_url()).content.decode()
    header = next(line for line in body.splitlines() if f"#{item.pk} · " in line)
    text = re.sub(r"<[^>]+>", "", header)
    assert text.count("P1") == 1 and "P1 – urgent" in text


def test_the_audit_trail_shows_only_when_there_is_something_in_it(author_client, author):
    item = ActionItemFactory(owner=author)
    item.history.all().delete()  # as for items created in bulk, which keep no history
    assert "Audit trail" not in author_client.get(item.get_absolute_url()).content.decode()

    ActionItem.objects.get(pk=item.pk).save()
    body = author_client.get(item.get_absolute_url()).content.decode()
    assert "Audit trail (1 change)" in body
