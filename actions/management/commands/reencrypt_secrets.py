from django.core.management.base import BaseCommand
from django.db import transaction

from actions.models import TrackerConnection


class Command(BaseCommand):
    help = (
        "Re-encrypt tracker credentials under the first key of DEBRIEF_FIELD_KEYS, "
        "so that older keys can then be dropped from it."
    )

    def handle(self, *args, **options) -> None:
        with transaction.atomic():
            # Read with any listed key, written again with the first one.
            connections = list(TrackerConnection.objects.select_for_update())
            for connection in connections:
                connection.save(update_fields=["token", "webhook_secret"])
        self.stdout.write(
            f"Re-encrypted the credentials of {len(connections)} tracker connection(s)."
        )
