"""The owning team of a service becomes a Team: each distinct team name (case aside, the first
spelling kept) becomes a group and its team, or the team of the group already of that name.

Reversed, each service gets its team's name back as text; the teams stay, being groups that
restricted postmortems may name.
"""

from django.db import migrations, models
import django.db.models.deletion

from teams.models import unique_slug


def text_teams_to_teams(apps, schema_editor):
    Service = apps.get_model("services", "Service")
    Group = apps.get_model("auth", "Group")
    Team = apps.get_model("teams", "Team")
    teams = {team.display_name.lower(): team for team in Team.objects.all()}
    slugs = set(Team.objects.values_list("slug", flat=True))
    for service in Service.objects.exclude(team_name="").order_by("pk"):
        name = service.team_name.strip()[:100]
        if not name:
            continue
        team = teams.get(name.lower())
        if team is None:
            group, _ = Group.objects.get_or_create(name=name)
            team = Team.objects.filter(group=group).first()
            if team is None:
                team = Team.objects.create(
                    group=group, display_name=name, slug=unique_slug(name, slugs)
                )
                slugs.add(team.slug)
            teams[name.lower()] = team
        service.team = team
        service.save(update_fields=["team"])


def teams_to_text_teams(apps, schema_editor):
    Service = apps.get_model("services", "Service")
    for service in Service.objects.filter(team__isnull=False).select_related("team"):
        service.team_name = service.team.display_name
        service.save(update_fields=["team_name"])


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("services", "0001_initial"),
        ("teams", "0001_initial"),
    ]

    operations = [
        migrations.RenameField(model_name="service", old_name="team", new_name="team_name"),
        migrations.AddField(
            model_name="service",
            name="team",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="services",
                to="teams.team",
                verbose_name="owning team",
            ),
        ),
        migrations.RunPython(text_teams_to_teams, teams_to_text_teams),
        migrations.RemoveField(model_name="service", name="team_name"),
    ]
