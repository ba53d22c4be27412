from datetime import datetime
from urllib.parse import urlencode

from django import template
from django.conf import settings
from django.urls import reverse

from reviews.forms import CommentForm, ReviewersForm, ReviewForm

register = template.Library()


@register.inclusion_tag("reviews/includes/review_panel.html", takes_context=True)
def review_panel(context, postmortem):
    """The status, reviewers, approvals and workflow buttons of a postmortem."""
    return {
        **review_panel_context(context["request"], postmortem, can_edit=context.get("can_edit")),
        "csrf_token": context.get("csrf_token"),
    }


def review_panel_context(request, postmortem, *, can_edit: bool) -> dict:
    user = request.user
    reviewers = list(postmortem.reviewers.select_related("user"))
    mine = next((r for r in reviewers if r.user_id == user.pk), None)
    return {
        "request": request,
        "postmortem": postmortem,
        "can_edit": can_edit,
        "reviewers": reviewers,
        "my_review": mine,
        "review_form": ReviewForm(initial={"verdict": mine.verdict} if mine else None),
        "reviewers_form": ReviewersForm(
            initial={"reviewers": [r.user for r in reviewers]}, postmortem=postmortem
        ),
        "approvals_needed": postmortem.approvals_needed,
        "approved": sum(r.counts for r in reviewers),
    }


@register.simple_tag
def history_url(postmortem, since: datetime | None = None, absolute: bool = False) -> str:
    """The postmortem's History page; only the changes after `since` when given."""
    url = reverse("postmortems:history", args=[postmortem.pk])
    if since is not None:
        url += "?" + urlencode({"since": since.isoformat()})
    return settings.SITE_URL + url if absolute else url


@register.inclusion_tag("reviews/includes/discussion.html", takes_context=True)
def discussion(context, postmortem):
    return {
        "request": context["request"],
        "csrf_token": context.get("csrf_token"),
        "postmortem": postmortem,
        "comment_form": CommentForm(),
        "comments": postmortem.comments.select_related("author"),
    }
