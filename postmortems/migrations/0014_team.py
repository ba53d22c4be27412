"""A postmortem's owning team; existing postmortems take the team of their first affected
service (by name) that has one, as a new one does when saved without a team."""

import django.db.models.deletion
from django.db import migrations, models


def teams_from_services(apps, schema_editor):
    Postmortem = apps.get_model("postmortems", "Postmortem")
    Service = apps.get_model("services", "Service")
    owned = Postmortem.objects.filter(team__isnull=True, services__team__isnull=False).distinct()
    for pk in owned.values_list("pk", flat=True).iterator():
        first = Service.objects.filter(postmortems=pk, team__isnull=False).order_by("name")
        # update(), not save(): the postmortem's updated_at stays the time of its last edit.
        Postmortem.objects.filter(pk=pk).update(team_id=first.values("team_id")[:1])


class Migration(migrations.Migration):

    dependencies = [
        ('postmortems', '0013_alert_intake'),
        ('services', '0002_team'),
        ('teams', '0001_initial'),
    ]

    operations = [
        migrations.AddField(
            model_name='historicalpostmortem',
            name='team',
            field=models.ForeignKey(blank=True, db_constraint=False, help_text='Left empty, the team of its first affected service that has one.', null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='teams.team', verbose_name='owning team'),
        ),
        migrations.AddField(
            model_name='postmortem',
            name='team',
            field=models.ForeignKey(blank=True, help_text='Left empty, the team of its first affected service that has one.', null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='postmortems', to='teams.team', verbose_name='owning team'),
        ),
        migrations.RunPython(teams_from_services, migrations.RunPython.noop),
    ]
