"""Recurrence after fix: a factor of an earlier postmortem, whose items were all done, comes
back on the same service; the owner confirms or dismisses it, and /metrics/ counts it."""

from datetime import UTC, date, datetime

import pytest
from django.urls import reverse

from postmortems.forms import SECTIONS
from postmortems.models import ContributingFactor, Recurrence
from postmortems.services import recurrences_for, recurrences_refresh
from tests.factories import (
    ActionItemFactory,
    ContributingFactorFactory,
    PostmortemFactory,
    ServiceFactory,
)

pytestmark = pytest.mark.django_db

MONITORING = ContributingFactor.Category.MONITORING


@pytest.fixture
def checkout(db):
    return ServiceFactory(name="checkout")


def earlier_postmortem(service, *, restricted=False, done=True, category=MONITORING):
    """A postmortem of January on `service`, with a factor and one item (done or not)."""
    earlier = PostmortemFactory(
        title="Queue lag went unnoticed",
        started_at=datetime(2026, 1, 5, 9, 0, tzinfo=UTC),
        restricted=restricted,
    )
    earlier.services.add(service)
    factor = ContributingFactorFactory(
        postmortem=earlier, category=category, description="No alert on queue lag"
    )
    item = ActionItemFactory(postmortem=earlier, title="Alert on queue lag")
    if done:
        item.complete(by=item.owner)
    return factor


def suggest(postmortem, service) -> ContributingFactor:
    """An earlier, fixed factor on `service`, and one like it on `postmortem`: a suggestion."""
    earlier = earlier_postmortem(service)
    postmortem.services.add(service)
    ContributingFactorFactory(postmortem=postmortem, category=MONITORING)
    recurrences_refresh(postmortem=postmortem)
    return earlier


def factor_url(postmortem):
    return reverse("postmortems:factor_create", args=[postmortem.pk])


def test_adding_a_factor_of_the_same_category_on_the_same_service_suggests_a_recurrence(
    author_client, postmortem, checkout
):
    earlier = earlier_postmortem(checkout)
    postmortem.services.add(checkout)
    response = author_client.post(
        factor_url(postmortem),
        {"category": "monitoring", "description": "Lag alert never fired"},
        HTTP_HX_REQUEST="true",
    )
    [recurrence] = Recurrence.objects.all()
    assert recurrence.earlier_factor == earlier and recurrence.status == "suggested"
    body = response.content.decode()
    assert "Possible recurrence after fix" in body and "Queue lag went unnoticed" in body
    assert "Alert on queue lag" in body and "Confirm recurrence" in body


def test_no_suggestion_while_an_earlier_item_is_open_or_for_another_category(postmortem, checkout):
    earlier_postmortem(checkout, done=False)
    earlier_postmortem(ServiceFactory(name="search"))  # another service
    other = earlier_postmortem(checkout, category=ContributingFactor.Category.CAPACITY)
    postmortem.services.add(checkout)
    ContributingFactorFactory(postmortem=postmortem, category=MONITORING)
    recurrences_refresh(postmortem=postmortem)
    assert not Recurrence.objects.exists()
    assert other.postmortem.action_items.get().status == "done"


def test_a_later_postmortem_is_not_the_earlier_one(checkout, author):
    earlier = earlier_postmortem(checkout)
    before = PostmortemFactory(owner=author, started_at=datetime(2025, 12, 1, tzinfo=UTC))
    before.services.add(checkout)
    ContributingFactorFactory(postmortem=before, category=MONITORING)
    recurrences_refresh(postmortem=before)
    assert not Recurrence.objects.exists()
    assert earlier.postmortem.started_at > before.started_at


def test_adding_the_service_later_suggests_too_and_changing_the_category_withdraws_it(
    author_client, postmortem, checkout
):
    earlier_postmortem(checkout)
    factor = ContributingFactorFactory(postmortem=postmortem, category=MONITORING)
    recurrences_refresh(postmortem=postmortem)
    assert not Recurrence.objects.exists()
    postmortem.services.add(checkout)
    recurrences_refresh(postmortem=postmortem)
    assert Recurrence.objects.count() == 1
    factor.category = ContributingFactor.Category.TOOLING
    factor.save()
    recurrences_refresh(postmortem=postmortem)
    assert not Recurrence.objects.exists()


def test_the_owner_confirms_and_it_shows_on_both_postmortems(
    client, author_client, postmortem, checkout, outsider
):
    earlier = suggest(postmortem, checkout)
    recurrence = Recurrence.objects.get()
    url = reverse("postmortems:recurrence_decide", args=[postmortem.pk, recurrence.pk])
    client.force_login(outsider)  # a reader, not the owner
    assert client.post(url, {"status": "confirmed"}).status_code == 403
    author_client.force_login(postmortem.owner)
    response = author_client.post(url, {"status": "confirmed"}, HTTP_HX_REQUEST="true")
    assert "Recurrence after fix" in response.content.decode()
    recurrence.refresh_from_db()
    assert recurrence.status == "confirmed" and recurrence.decided_by == postmortem.owner
    earlier_page = author_client.get(earlier.postmortem.get_absolute_url()).content.decode()
    assert "Recurred after fix" in earlier_page and postmortem.title in earlier_page


def test_a_dismissed_suggestion_is_not_suggested_again(author_client, postmortem, checkout):
    suggest(postmortem, checkout)
    recurrence = Recurrence.objects.get()
    url = reverse("postmortems:recurrence_decide", args=[postmortem.pk, recurrence.pk])
    author_client.post(url, {"status": "dismissed"})
    recurrences_refresh(postmortem=postmortem)
    assert list(Recurrence.objects.values_list("status", flat=True)) == ["dismissed"]
    page = author_client.get(postmortem.get_absolute_url()).content.decode()
    assert "Possible recurrence" not in page


def test_an_unknown_decision_is_refused_with_a_message(author_client, postmortem, checkout):
    suggest(postmortem, checkout)
    recurrence = Recurrence.objects.get()
    url = reverse("postmortems:recurrence_decide", args=[postmortem.pk, recurrence.pk])
    response = author_client.post(url, {"status": "maybe"}, follow=True)
    assert "Confirm or dismiss the suggestion." in response.content.decode()
    recurrence.refresh_from_db()
    assert recurrence.status == "suggested"


def test_a_restricted_earlier_postmortem_is_never_shown_to_who_cannot_read_it(
    author_client, author, postmortem, checkout
):
    earlier = earlier_postmortem(checkout, restricted=True)
    postmortem.services.add(checkout)
    ContributingFactorFactory(postmortem=postmortem, category=MONITORING)
    recurrences_refresh(postmortem=postmortem)
    assert Recurrence.objects.count() == 1  # kept, for those who may read both
    assert recurrences_for(postmortem=postmortem, user=author)["after_fix"] == []
    page = author_client.get(postmortem.get_absolute_url()).content.decode()
    assert "Queue lag went unnoticed" not in page and "Possible recurrence" not in page
    url = reverse(
        "postmortems:recurrence_decide", args=[postmortem.pk, Recurrence.objects.get().pk]
    )
    assert author_client.post(url, {"status": "confirmed"}).status_code == 404
    earlier.postmortem.allowed_users.add(author)
    assert len(recurrences_for(postmortem=postmortem, user=author)["after_fix"]) == 1


def test_metrics_show_the_rate_of_confirmed_recurrences(author_client, postmortem, checkout):
    suggest(postmortem, checkout)
    Recurrence.objects.get().decide("confirmed", by=postmortem.owner)
    response = author_client.get(
        reverse("metrics:index"), {"start": date(2026, 1, 1), "end": date(2026, 3, 31)}
    )
    chart = response.context["charts"]["recurrences"]
    assert chart.summary == {"postmortems": 2, "recurred": 1, "rate": 50.0}
    march = next(row for row in chart.rows if row[0] == date(2026, 3, 1))
    assert march[1:] == [1, 1, 100.0]
    assert 'data-stat="recurrences">50.0%' in response.content.decode()


def test_adding_the_service_on_the_details_section_suggests_it(author_client, postmortem, checkout):
    earlier_postmortem(checkout)
    ContributingFactorFactory(postmortem=postmortem, category=MONITORING)
    details = SECTIONS["details"][1]
    author_client.post(
        reverse("postmortems:section_edit", args=[postmortem.pk, "details"]),
        {
            "title": postmortem.title,
            "severity": str(postmortem.severity),
            "time_zone": postmortem.time_zone,
            "services": [checkout.pk],
            "version": details(instance=postmortem).saved_version(),
        },
    )
    assert list(postmortem.services.all()) == [checkout]
    assert Recurrence.objects.filter(new_factor__postmortem=postmortem).count() == 1
