from django.db import migrations, models
from django.db.models import F
from django.utils import timezone


def mark_overdue_as_announced(apps, schema_editor):
    """Items already overdue became so before there was anyone to tell: a site upgrading with
    a backlog of overdue items must not send a subscriber one event for each of them."""
    apps.get_model("actions", "ActionItem").objects.filter(
        status__in=["open", "in_progress", "blocked"], due_date__lt=timezone.localdate()
    ).update(overdue_announced_for=F("due_date"))


class Migration(migrations.Migration):
    dependencies = [
        ("actions", "0008_actionitem_updated_at_index"),
    ]

    operations = [
        migrations.AddField(
            model_name="actionitem",
            name="overdue_announced_for",
            field=models.DateField(blank=True, editable=False, null=True),
        ),
        migrations.RunPython(mark_overdue_as_announced, migrations.RunPython.noop),
    ]
