from datetime import UTC, datetime, timedelta

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.utils import timezone

from actions.models import ActionItem, CalendarToken, Reminder, ReminderPreference, StatusChange
from config.events import EVENTS
from postmortems.models import AlertSource, ContributingFactor, Postmortem, TimelineEvent
from services.models import Service
from teams.models import Team
from webhooks.models import Subscription

PASSWORD = "correct-horse-battery"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ["username"]

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    password = factory.django.Password(PASSWORD)


class PostmortemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Postmortem

    title = factory.Sequence(lambda n: f"Incident {n}: elevated API errors")
    owner = factory.SubFactory(UserFactory)
    time_zone = "UTC"
    started_at = factory.LazyFunction(lambda: datetime(2026, 3, 2, 14, 0, tzinfo=UTC))
    summary = "The API returned errors for 20 minutes after a configuration change."


class TimelineEventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TimelineEvent

    postmortem = factory.SubFactory(PostmortemFactory)
    occurred_at = factory.LazyAttribute(lambda e: e.postmortem.started_at + timedelta(minutes=5))
    kind = TimelineEvent.Kind.NOTE
    description = "Dashboards showed a rise in 5xx responses."


class ContributingFactorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ContributingFactor

    postmortem = factory.SubFactory(PostmortemFactory)
    category = ContributingFactor.Category.MONITORING
    description = "No alert watched the error rate of the batch endpoint."


class ActionItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ActionItem

    postmortem = factory.SubFactory(PostmortemFactory)
    title = factory.Sequence(lambda n: f"Alert when queue {n} lag exceeds 5 minutes")
    owner = factory.SubFactory(UserFactory)
    due_date = factory.LazyFunction(lambda: timezone.localdate() + timedelta(days=14))
    created_by = factory.SelfAttribute("owner")


class StatusChangeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = StatusChange

    item = factory.SubFactory(ActionItemFactory)
    changed_by = factory.SelfAttribute("item.owner")
    from_status = "open"
    to_status = "in_progress"


class CalendarTokenFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CalendarToken

    user = factory.SubFactory(UserFactory)


class GroupFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Group
        django_get_or_create = ["name"]

    name = factory.Sequence(lambda n: f"group-{n}")


class TeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Team
        django_get_or_create = ["display_name"]

    display_name = factory.Sequence(lambda n: f"Team {n}")
    slug = factory.LazyAttribute(lambda team: team.display_name.lower().replace(" ", "-"))
    group = factory.SubFactory(GroupFactory, name=factory.SelfAttribute("..display_name"))


class ServiceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Service
        django_get_or_create = ["name"]

    name = factory.Sequence(lambda n: f"service-{n}")
    team = None


class ReminderPreferenceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ReminderPreference

    user = factory.SubFactory(UserFactory)
    hour = 9
    time_zone = "UTC"


class ReminderFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Reminder

    recipient = factory.SubFactory(UserFactory)
    day = factory.LazyFunction(timezone.localdate)
    claim = factory.Sequence(lambda n: f"claim{n}")
    claimed_at = factory.LazyFunction(timezone.now)


class AlertSourceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AlertSource

    name = factory.LazyAttribute(lambda s: f"{s.kind.title()} production")
    kind = AlertSource.Kind.ALERTMANAGER
    slug = factory.Sequence(lambda n: f"source-{n}")
    secret = factory.Sequence(lambda n: f"not-a-real-secret-{n}")
    default_owner = factory.SubFactory(UserFactory)


class SubscriptionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Subscription

    url = "https://hooks.example.com/debrief"
    events = factory.LazyFunction(lambda: list(EVENTS))
