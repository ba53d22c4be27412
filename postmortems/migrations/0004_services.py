"""Affected services become Service rows instead of free tags.

Each distinct tag name on a postmortem (case-insensitively: the first spelling wins) becomes a
Service with a 99.9% SLO over 30 days and no team, linked to the same postmortems; the
postmortems' tag links are then deleted, and tags nothing else uses go with them. Reversing
turns the links back into tags.
"""

from django.db import migrations, models


def _postmortem_tag_links(apps):
    TaggedItem = apps.get_model("taggit", "TaggedItem")
    return TaggedItem.objects.filter(
        content_type__app_label="postmortems", content_type__model="postmortem"
    )


def tags_to_services(apps, schema_editor):
    Service = apps.get_model("services", "Service")
    Postmortem = apps.get_model("postmortems", "Postmortem")
    Tag = apps.get_model("taggit", "Tag")
    links = _postmortem_tag_links(apps)
    services = {s.name.lower(): s for s in Service.objects.all()}
    Link = Postmortem.services.through
    new_links = set()
    existing = set(Postmortem.objects.values_list("pk", flat=True))
    for object_id, name in links.order_by("tag__id").values_list("object_id", "tag__name"):
        key = name.strip().lower()
        if not key or int(object_id) not in existing:
            continue
        if key not in services:
            services[key] = Service.objects.create(name=name.strip()[:100])
        new_links.add((int(object_id), services[key].pk))
    Link.objects.bulk_create(
        [Link(postmortem_id=pm, service_id=service) for pm, service in sorted(new_links)],
        ignore_conflicts=True,
    )
    links.delete()
    Tag.objects.filter(taggit_taggeditem_items__isnull=True).delete()


def services_to_tags(apps, schema_editor):
    Postmortem = apps.get_model("postmortems", "Postmortem")
    ContentType = apps.get_model("contenttypes", "ContentType")
    Tag = apps.get_model("taggit", "Tag")
    TaggedItem = apps.get_model("taggit", "TaggedItem")
    content_type, _ = ContentType.objects.get_or_create(app_label="postmortems", model="postmortem")
    Link = Postmortem.services.through
    tags = {}
    for pm, name in Link.objects.values_list("postmortem_id", "service__name"):
        if name.lower() not in tags:
            tags[name.lower()] = Tag.objects.filter(name__iexact=name).first() or Tag.objects.create(
                name=name, slug=f"{name.lower().replace(' ', '-')[:90]}-{len(tags)}"
            )
        TaggedItem.objects.get_or_create(
            content_type=content_type, object_id=pm, tag=tags[name.lower()]
        )


class Migration(migrations.Migration):
    dependencies = [
        ("contenttypes", "0002_remove_content_type_name"),
        ("postmortems", "0003_lint"),
        ("services", "0001_initial"),
        ("taggit", "0006_rename_taggeditem_content_type_object_id_taggit_tagg_content_8fc721_idx"),
    ]

    operations = [
        # The tag manager has no column: its links stay in taggit's table for the copy below.
        migrations.RemoveField(model_name="postmortem", name="services"),
        migrations.AddField(
            model_name="postmortem",
            name="services",
            field=models.ManyToManyField(
                blank=True,
                related_name="postmortems",
                to="services.service",
                verbose_name="affected services",
            ),
        ),
        migrations.RunPython(tags_to_services, services_to_tags),
    ]
