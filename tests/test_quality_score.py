import pytest

from postmortems.lint import finding_acknowledge, postmortem_lint_summary
from postmortems.models import QualityWeights
from postmortems.quality import postmortem_quality, quality_score_unscored
from reviews.models import Reviewer
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def team(author):
    team = factories.TeamFactory(display_name="Payments")
    author.groups.add(team.group)
    return team


@pytest.fixture
def exemplary(author, reviewer, team):
    """A postmortem that passes every check."""
    postmortem = factories.PostmortemFactory(
        owner=author,
        team=team,
        impact="Checkout failed for 4,100 customers over 47 minutes.",
        went_well="The rollback took two minutes.",
        got_lucky="It happened on a quiet Sunday.",
    )
    factories.TimelineEventFactory(postmortem=postmortem, source_url="https://chat.example/1")
    factories.ContributingFactorFactory(postmortem=postmortem)
    factories.ContributingFactorFactory(postmortem=postmortem, category="change")
    factories.ActionItemFactory(postmortem=postmortem, owner=author)
    Reviewer.objects.create(postmortem=postmortem, user=reviewer)
    return postmortem


def _check(postmortem, name):
    return next(c for c in postmortem_quality(postmortem).checks if c.name == name)


def test_a_postmortem_that_passes_every_check_scores_100(exemplary):
    quality = postmortem_quality(exemplary)
    assert quality.score == 100
    assert quality.missing == []


def test_an_empty_draft_passes_only_the_linter_check(postmortem):
    postmortem.summary = ""
    quality = postmortem_quality(postmortem)
    assert quality.score == 15  # no text, so nothing for the linter to find
    assert [c.name for c in quality.missing] == [
        "timeline_sources",
        "two_factors",
        "impact_quantified",
        "lessons_written",
        "actions_specific",
        "outside_reviewer",
    ]


def test_an_event_without_a_source_link_fails_the_timeline_check_and_links_to_it(exemplary):
    event = factories.TimelineEventFactory(postmortem=exemplary, source_url="")
    check = _check(exemplary, "timeline_sources")
    assert not check.passed
    assert check.missing == "Add a source link to 1 of 2 timeline events."
    assert check.anchor == f"#event-{event.pk}"
    assert postmortem_quality(exemplary).score == 85


def test_one_contributing_factor_is_not_enough(exemplary):
    exemplary.factors.first().delete()
    check = _check(exemplary, "two_factors")
    assert (check.passed, check.missing, check.anchor) == (
        False,
        "Add 1 more contributing factor.",
        "#factors",
    )


def test_impact_counts_as_quantified_with_a_number_in_the_statement_or_a_number_field(exemplary):
    exemplary.impact = "Many customers could not pay."
    assert not _check(exemplary, "impact_quantified").passed
    exemplary.support_tickets = 0
    assert _check(exemplary, "impact_quantified").passed
    exemplary.support_tickets = None
    exemplary.impact = "About 3% of payments failed."
    assert _check(exemplary, "impact_quantified").passed


def test_lessons_need_both_what_went_well_and_where_we_got_lucky(exemplary):
    exemplary.got_lucky = "  "
    check = _check(exemplary, "lessons_written")
    assert check.missing == "Write where we got lucky."
    exemplary.went_well = ""
    assert _check(exemplary, "lessons_written").missing == (
        "Write what went well and where we got lucky."
    )


def test_a_vague_action_item_is_not_specific(exemplary):
    item = factories.ActionItemFactory(postmortem=exemplary, title="Improve monitoring")
    check = _check(exemplary, "actions_specific")
    assert not check.passed
    assert check.missing == "Action item “Improve monitoring” should say what changes, where."
    assert check.anchor == f"#action-item-{item.pk}"


def test_a_two_word_action_item_is_not_specific(exemplary):
    factories.ActionItemFactory(postmortem=exemplary, title="Fix deploys")
    assert not _check(exemplary, "actions_specific").passed


def test_an_action_item_without_an_owner_is_not_owned(exemplary):
    factories.ActionItemFactory(
        postmortem=exemplary,
        title="Alert when the payment queue backs up",
        owner=None,
        status="done",
        completed_at=exemplary.created_at,
        created_by=exemplary.owner,
    )
    check = _check(exemplary, "actions_specific")
    assert check.missing.endswith("should have an owner.")


def test_no_action_items_pass_only_with_a_reason(exemplary):
    exemplary.action_items.all().delete()
    assert not _check(exemplary, "actions_specific").passed
    exemplary.no_actions_reason = "The vendor fixed it; nothing of ours changes."
    assert _check(exemplary, "actions_specific").passed


def test_an_open_blameful_warning_fails_the_linter_check_until_acknowledged(exemplary, author):
    exemplary.went_well = "Bob should have caught it sooner."
    exemplary.save()
    check = _check(exemplary, "lint_clean")
    assert not check.passed
    assert check.anchor == "#lint"
    for item in postmortem_lint_summary(exemplary).blocking:
        finding_acknowledge(
            postmortem=exemplary,
            location=item.location,
            rule=item.finding.rule,
            text=item.finding.text,
            reason="Quoted from the chat.",
            by=author,
        )
    assert _check(exemplary, "lint_clean").passed


def test_a_reviewer_from_the_owning_team_does_not_count_as_outside(exemplary, reviewer, team):
    reviewer.groups.add(team.group)
    check = _check(exemplary, "outside_reviewer")
    assert (check.passed, check.missing, check.anchor) == (
        False,
        "Ask someone outside Payments to review.",
        "#review",
    )


def test_without_an_owning_team_no_reviewer_counts_as_outside(exemplary):
    exemplary.team = None
    check = _check(exemplary, "outside_reviewer")
    assert not check.passed
    assert check.anchor == "#section-details"


def test_admins_weights_change_the_score(exemplary):
    exemplary.factors.first().delete()
    assert postmortem_quality(exemplary).score == 85
    weights = QualityWeights.current()
    weights.two_factors = 50
    weights.save()
    # 50 of 135 is missing: 85 of 135 passed.
    assert postmortem_quality(exemplary).score == 63
    assert postmortem_quality(exemplary, weights={"two_factors": 1}).score == 0


def test_a_check_weighing_nothing_is_not_listed_as_missing(exemplary):
    exemplary.factors.first().delete()
    weights = {name: 10 for name in QualityWeights().as_dict()} | {"two_factors": 0}
    quality = postmortem_quality(exemplary, weights=weights)
    assert (quality.score, quality.missing) == (100, [])


def test_every_weight_at_zero_gives_no_score(exemplary):
    weights = dict.fromkeys(QualityWeights().as_dict(), 0)
    assert postmortem_quality(exemplary, weights=weights).score is None


def test_the_default_weights_sum_to_100():
    assert sum(QualityWeights.current().as_dict().values()) == 100


def test_the_weights_are_one_row():
    QualityWeights(two_factors=5).save()
    QualityWeights(two_factors=7).save()
    assert QualityWeights.objects.count() == 1
    assert QualityWeights.current().two_factors == 7


def test_the_score_is_the_same_every_time(exemplary):
    exemplary.factors.first().delete()
    factories.TimelineEventFactory(postmortem=exemplary, source_url="")
    results = {
        (q.score, tuple((c.name, c.passed, c.missing, c.anchor) for c in q.checks))
        for q in (postmortem_quality(exemplary) for _ in range(3))
    }
    assert len(results) == 1


def test_the_page_shows_the_score_and_what_is_missing_with_links(author_client, exemplary):
    exemplary.factors.first().delete()
    page = author_client.get(exemplary.get_absolute_url()).content.decode()
    assert 'data-quality-score="85"' in page
    assert '<a href="#factors">Add 1 more contributing factor.</a>' in page
    exemplary.refresh_from_db()
    assert exemplary.quality_score == 85


def test_postmortems_nobody_opened_are_scored_for_the_trend_and_all_again_on_asking(exemplary):
    assert exemplary.quality_score is None
    assert quality_score_unscored() == 1
    exemplary.refresh_from_db()
    assert exemplary.quality_score == 100
    assert quality_score_unscored() == 0  # scored ones are left alone
    exemplary.factors.first().delete()
    assert quality_score_unscored(every=True) == 1
    exemplary.refresh_from_db()
    assert exemplary.quality_score == 85  # one factor left: the stale 100 is scored again


def test_the_panel_answers_alone_for_htmx_refreshes(author_client, exemplary):
    response = author_client.get(f"/postmortems/{exemplary.pk}/quality/")
    assert response.status_code == 200
    assert 'data-quality-score="100"' in response.content.decode()


def test_the_panel_is_refused_to_someone_who_may_not_read_it(outsider_client, exemplary):
    exemplary.restricted = True
    exemplary.save()
    assert outsider_client.get(f"/postmortems/{exemplary.pk}/quality/").status_code == 404


def test_admins_edit_the_weights_in_the_admin(client, admin_user):
    client.force_login(admin_user)
    assert client.get("/admin/postmortems/qualityweights/add/").status_code == 200
    data = dict.fromkeys(QualityWeights().as_dict(), 10) | {"two_factors": 40}
    response = client.post("/admin/postmortems/qualityweights/add/", data)
    assert response.status_code == 302
    assert QualityWeights.current().two_factors == 40
    assert client.get("/admin/postmortems/qualityweights/add/").status_code == 403
