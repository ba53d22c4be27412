"""Rendered postmortem pages, kept for each reader until anything on them changes.

A postmortem is read far more often than it is changed (review meetings, links in chat,
follow-ups), and its page is the heaviest on the site to draw: the linter, the timeline, the
review panel. A drawn page is kept under a key made of everything it shows, so a change
shows on the very next view without anything being purged:

- the postmortem's `revision`, which moves on every change to it or to its rows (events,
  factors, action items, reviewers, comments, acknowledgements): the receivers below, and
  `bump()` where rows are written in bulk;
- the `SiteRevision`, for what every page shows beyond its own rows: people's names,
  services, lint terms, templates;
- the reader, with their CSRF secret (the page's forms carry tokens made from it);
- the local date and hour, for what time alone changes (overdue items, rolling budgets).

Pages with a message waiting (after a redirect) are drawn afresh, and so is any page for a
request without a CSRF cookie yet.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.cache import cache
from django.db.models import F, Subquery
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from postmortems.models import Postmortem, SiteRevision

TIMEOUT = 60 * 60


def versions():
    """Postmortems with just what tells their versions apart (and who may read them), and
    the site revision: what a page from the cache needs, in one small query."""
    site_revision = Subquery(SiteRevision.objects.values("value")[:1])
    return Postmortem.objects.only("restricted", "revision", "updated_at").annotate(
        site_revision=site_revision
    )


def page(request: HttpRequest, postmortem: Postmortem, draw: Callable[[], HttpResponse]):
    """The page from the cache when nothing on it changed since it was drawn; else `draw()`.

    `postmortem` comes from `versions()`.
    """
    key = _key(request, postmortem)
    if key is None:
        return draw()
    cached = cache.get(key)
    if cached is not None:
        return HttpResponse(cached, content_type="text/html; charset=utf-8")
    response = draw()
    if response.status_code == 200:
        cache.set(key, response.content, TIMEOUT)
    return response


def _key(request: HttpRequest, postmortem: Postmortem) -> str | None:
    csrf_secret = request.META.get("CSRF_COOKIE")
    if request.GET or not csrf_secret or len(messages.get_messages(request)):
        return None
    user = request.user
    now = timezone.localtime()
    parts = [
        postmortem.pk,
        # With the revision, so that saving an instance read before a bump (its stale
        # revision written back, then bumped) still makes a key never used before.
        postmortem.updated_at.isoformat(),
        postmortem.revision,
        postmortem.site_revision,
        user.pk,
        user.is_superuser,
        now.strftime("%Y%m%d%H"),
        csrf_secret,
    ]
    digest = hashlib.sha256(repr(parts).encode()).hexdigest()
    return f"postmortem-page:{postmortem.pk}:{digest}"


def bump(*postmortem_ids) -> None:
    """Pages of these postmortems drawn before are never served again."""
    ids = [pk for pk in postmortem_ids if pk is not None]
    if ids:
        Postmortem.objects.filter(pk__in=ids).update(revision=F("revision") + 1)


def bump_site() -> None:
    """No postmortem page drawn before is served again."""
    if not SiteRevision.objects.filter(pk=1).update(value=F("value") + 1):
        SiteRevision.objects.get_or_create(pk=1)


# What moves the revisions -------------------------------------------------------------


def _row_changed(sender, instance, **kwargs) -> None:
    bump(instance.postmortem_id)


def _postmortem_saved(sender, instance, **kwargs) -> None:
    bump(instance.pk)


def _postmortem_links_changed(sender, instance, action, reverse, pk_set, **kwargs) -> None:
    if not action.startswith("post_"):
        return
    if not reverse:
        bump(instance.pk)
    elif pk_set:
        bump(*pk_set)
    else:  # cleared from the other side: every postmortem it was linked to
        bump_site()


def _site_changed(sender, instance=None, update_fields=None, **kwargs) -> None:
    if update_fields and set(update_fields) <= {"last_login"}:
        return  # a login changes nothing a page shows
    bump_site()


def connect() -> None:
    from actions.models import ActionItem
    from postmortems.models import (
        ContributingFactor,
        LintAcknowledgement,
        LintTerm,
        PostmortemTemplate,
        TimelineEvent,
    )
    from reviews.models import Comment, Reviewer, Transition
    from services.models import Service

    for model in (
        TimelineEvent,
        ContributingFactor,
        LintAcknowledgement,
        ActionItem,
        Comment,
        Reviewer,
        Transition,
    ):
        post_save.connect(_row_changed, sender=model, dispatch_uid=f"page-{model.__name__}")
        post_delete.connect(_row_changed, sender=model, dispatch_uid=f"page-{model.__name__}-")
    post_save.connect(_postmortem_saved, sender=Postmortem, dispatch_uid="page-postmortem")
    for field in ("services", "coauthors", "allowed_users", "allowed_groups"):
        m2m_changed.connect(
            _postmortem_links_changed,
            sender=getattr(Postmortem, field).through,
            dispatch_uid=f"page-postmortem-{field}",
        )
    for model in (get_user_model(), Group, Service, LintTerm, PostmortemTemplate):
        uid = f"page-site-{model.__name__}"
        post_save.connect(_site_changed, sender=model, dispatch_uid=uid)
        post_delete.connect(_site_changed, sender=model, dispatch_uid=f"{uid}-")
