from django.db import migrations

BLAMELESS = {
    "name": "Blameless (default)",
    "description": "The standard blameless structure: what happened, its impact, how it unfolded, why it was possible, what we learned and what we will change.",
    "is_default": True,
    "summary_guidance": "Two or three sentences a busy reader can take in: what happened, who was affected, and how it ended. Describe what systems did, not who is at fault.",
    "impact_guidance": "Who and what was affected, for how long, and how badly: customers, requests, money, data, internal teams. Use numbers where you have them.",
    "timeline_guidance": "What happened, when, in the incident's time zone: the first signal, detection, escalations, decisions, mitigation and resolution. Paste the incident channel to start.",
    "factors_guidance": "The conditions that made the incident possible or worse: changes, configuration, capacity, dependencies, gaps in monitoring, processes and tools. Ask what made each action reasonable at the time.",
    "went_well_guidance": "What helped: alerts that fired, runbooks that worked, people and tools that made the response faster.",
    "went_poorly_guidance": "What slowed detection or recovery, described as conditions of the system and the process.",
    "got_lucky_guidance": "What limited the damage by chance rather than by design: these are the next incidents.",
    "actions_guidance": "Specific, owned and dated changes that prevent, detect or mitigate a recurrence. Each should be checkable as done.",
}


def create(apps, schema_editor):
    apps.get_model("postmortems", "PostmortemTemplate").objects.get_or_create(
        name=BLAMELESS["name"], defaults=BLAMELESS
    )


def remove(apps, schema_editor):
    apps.get_model("postmortems", "PostmortemTemplate").objects.filter(name=BLAMELESS["name"]).delete()


class Migration(migrations.Migration):
    dependencies = [("postmortems", "0001_initial")]
    operations = [migrations.RunPython(create, remove)]
