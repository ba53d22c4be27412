from decimal import Decimal

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("postmortems", "0003_lint"), ("services", "0001_initial")]
AFTER = [("postmortems", "0004_services")]


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.fixture
def old_apps():
    apps = _migrate(BEFORE)
    yield apps
    _migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())


def _tagged_postmortem(apps, title: str, tags: list[str]):
    User = apps.get_model("auth", "User")
    Postmortem = apps.get_model("postmortems", "Postmortem")
    Tag = apps.get_model("taggit", "Tag")
    TaggedItem = apps.get_model("taggit", "TaggedItem")
    ContentType = apps.get_model("contenttypes", "ContentType")
    owner, _ = User.objects.get_or_create(username="owner")
    content_type, _ = ContentType.objects.get_or_create(app_label="postmortems", model="postmortem")
    postmortem = Postmortem.objects.create(title=title, owner=owner, time_zone="UTC")
    for name in tags:
        tag = Tag.objects.filter(name__iexact=name).first() or Tag.objects.create(
            name=name, slug=name.lower()
        )
        TaggedItem.objects.create(content_type=content_type, object_id=postmortem.pk, tag=tag)
    return postmortem.pk


def test_tags_become_services_linked_to_the_same_postmortems(old_apps):
    checkout_outage = _tagged_postmortem(old_apps, "Checkout outage", ["checkout", "payments"])
    search_stall = _tagged_postmortem(old_apps, "Search stall", ["search", "Checkout"])
    untagged = _tagged_postmortem(old_apps, "Quiet night", [])
    Service = old_apps.get_model("services", "Service")
    Service.objects.create(name="Search", team="Discovery")

    apps = _migrate(AFTER)

    Postmortem = apps.get_model("postmortems", "Postmortem")
    Service = apps.get_model("services", "Service")

    def names(pk):
        return sorted(Postmortem.objects.get(pk=pk).services.values_list("name", flat=True))

    assert names(checkout_outage) == ["checkout", "payments"]
    assert names(search_stall) == ["Search", "checkout"]
    assert names(untagged) == []
    checkout = Service.objects.get(name="checkout")
    assert (checkout.slo_target, checkout.window_days, checkout.team) == (Decimal("99.9"), 30, "")
    assert Service.objects.get(name="Search").team == "Discovery", "an existing service is kept"
    assert Service.objects.count() == 3
    TaggedItem = apps.get_model("taggit", "TaggedItem")
    assert not TaggedItem.objects.filter(content_type__model="postmortem").exists()


def test_reversing_turns_services_back_into_tags(old_apps):
    postmortem = _tagged_postmortem(old_apps, "Checkout outage", ["checkout", "payments"])
    _migrate(AFTER)

    apps = _migrate(BEFORE)

    TaggedItem = apps.get_model("taggit", "TaggedItem")
    names = TaggedItem.objects.filter(object_id=postmortem).values_list("tag__name", flat=True)
    assert sorted(names) == ["checkout", "payments"]
