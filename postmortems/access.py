"""Who may read and change what, and what of it may leave the site: the one place that says so.

Every view, export, feed and email asks here; no app decides on its own. The predicates the
rule is made of sit on the models (`Postmortem.objects.visible_to`, `Postmortem.can_edit`,
`ActionItem.can_change`), and this module is the only caller outside them.

- A postmortem is readable by everyone signed in unless it is restricted; a restricted one by
  its owner, co-authors, reviewers, the people and groups named on it, and admins. For anyone
  else it does not exist: a 404, never a 403, and nothing of it in lists, counts or budgets.
- Its rows (timeline events, factors, comments, agenda entries, action items) are readable
  with it; an action item also by its owner, who is reminded of it whatever the postmortem.
- Editing is for its owner, co-authors and admins; an item is also changed by its owner and
  creator.
- Interview notes are private to their facilitator and their participant until shared; shared,
  they are readable with the postmortem (`readable_interviews`). Admins are not let in early:
  what someone said in confidence is theirs to share.
- An outside version (`may_share_outside`) is made by the postmortem's editors from a published,
  unrestricted postmortem, and served without login only while released, unrevoked and the
  postmortem still published and unrestricted (`shared_outside`).
- What leaves the site follows `outbound()`.

Rows are matched by model, so this module imports no app above postmortems.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from django.apps import apps
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db.models import Exists, Model, OuterRef, Q, QuerySet
from django.http import Http404
from django.urls import reverse

from postmortems.models import (
    ExternalVersion,
    Interview,
    Postmortem,
    PostmortemQuerySet,
    Status,
)
from postmortems.models.external import token_hash

NOT_FOUND = "No postmortem matches the given query."
EDITORS_ONLY = "Only the owner and co-authors can edit this postmortem."
ITEM_NOT_FOUND = "No action item matches the given query."
INTERVIEW_NOT_FOUND = "No interview matches the given query."
INTERVIEWERS_ONLY = "Only the interview's facilitator and participant can change it."
NO_OUTSIDE_VERSION = "Only a published postmortem that is not restricted can be shared outside."
ITEM_CHANGERS_ONLY = (
    "Only the item's owner, its creator and the postmortem's authors can change it."
)


def _user(who):
    """The person asking, from a request or a user."""
    return getattr(who, "user", who)


# Postmortems ------------------------------------------------------------------------------


def readable_postmortems(who, queryset: PostmortemQuerySet | None = None) -> PostmortemQuerySet:
    queryset = Postmortem.objects.all() if queryset is None else queryset
    return queryset.visible_to(_user(who))


def hidden_postmortems(who) -> PostmortemQuerySet:
    """The restricted postmortems `who` may not read (all, for someone not signed in): a few
    rows that lists, counts and budgets exclude, cheaper over thousands of postmortems than
    `readable_postmortems`."""
    user = _user(who)
    if not user.is_authenticated:
        return Postmortem.objects.order_by()
    return Postmortem.objects.hidden_from(user)


def editable_postmortems(who, queryset: PostmortemQuerySet | None = None) -> PostmortemQuerySet:
    user = _user(who)
    queryset = Postmortem.objects.all() if queryset is None else queryset
    if not user.is_authenticated:
        return queryset.none()
    if user.is_superuser:
        return queryset
    coauthor = Postmortem.coauthors.through.objects.filter(postmortem=OuterRef("pk"), user=user)
    return queryset.filter(Q(owner=user) | Q(Exists(coauthor)))


def may_read(who, postmortem: Postmortem) -> bool:
    return postmortem.can_view(_user(who))


def may_edit(who, postmortem: Postmortem) -> bool:
    return postmortem.can_edit(_user(who))


def get_postmortem_for_read(
    who, pk: int, *, queryset: PostmortemQuerySet | None = None, lock: bool = False
) -> Postmortem:
    """The postmortem if `who` may read it; a 404 otherwise, as if it did not exist.

    Fetched by its key first: only a restricted one costs a query more to check.
    """
    if queryset is None:
        queryset = Postmortem.objects.select_related("owner", "template")
    if lock:
        queryset = queryset.select_for_update(of=("self",))
    try:
        postmortem = queryset.get(pk=pk)
    except Postmortem.DoesNotExist:
        raise Http404(NOT_FOUND) from None
    if not may_read(who, postmortem):
        raise Http404(NOT_FOUND)
    return postmortem


def get_postmortem_for_edit(who, pk: int, *, lock: bool = False) -> Postmortem:
    """The postmortem if `who` may edit it: a 404 for those who may not read it, else a 403."""
    postmortem = get_postmortem_for_read(who, pk, lock=lock)
    if not may_edit(who, postmortem):
        raise PermissionDenied(EDITORS_ONLY)
    return postmortem


# Rows of a postmortem ---------------------------------------------------------------------


def _is_item(queryset: QuerySet) -> bool:
    return queryset.model is apps.get_model("actions", "ActionItem")


def readable(who, queryset: QuerySet) -> QuerySet:
    """The rows of `queryset` that `who` may read: postmortems, or rows of one (events,
    factors, comments, reviewers, agenda entries, action items: any model with a `postmortem`).

    Rows are kept unless their postmortem is one of the few hidden from `who`; an action
    item is kept for its owner too.
    """
    if queryset.model is Postmortem:
        return readable_postmortems(who, queryset)
    user = _user(who)
    if not user.is_authenticated:
        return queryset.none()
    if _is_item(queryset):
        return queryset.visible_to(user)
    if user.is_superuser:
        return queryset
    hidden = list(hidden_postmortems(user).values_list("pk", flat=True))
    return queryset.exclude(postmortem__in=hidden) if hidden else queryset


def editable(who, queryset: QuerySet) -> QuerySet:
    """The rows of `queryset` that `who` may change: postmortems they edit and the rows of
    those; action items also when they own or created them."""
    if queryset.model is Postmortem:
        return editable_postmortems(who, queryset)
    user = _user(who)
    if not user.is_authenticated:
        return queryset.none()
    if user.is_superuser:
        return queryset
    condition = Q(postmortem__in=editable_postmortems(user).values("pk"))
    if _is_item(queryset):
        condition |= Q(owner=user) | Q(created_by=user)
    return queryset.filter(condition)


def may_change_item(who, item, *, editor: bool | None = None) -> bool:
    """`editor`: whether `who` edits the item's postmortem, when the caller already knows."""
    return item.can_change(_user(who), editor=editor)


def may_verify_item(who, item) -> bool:
    """Who may vouch that a done item's fix worked: those who edit its postmortem (for an item
    without one, its creator), and superusers; never its owner (the model refuses them)."""
    user = _user(who)
    if not user.is_authenticated or user.pk == item.owner_id:
        return False
    if user.is_superuser:
        return True
    if item.postmortem_id is None:
        return user.pk == item.created_by_id
    return may_edit(user, item.postmortem)


def get_item_for_read(who, pk: int, *, queryset: QuerySet | None = None) -> Model:
    if queryset is None:
        queryset = apps.get_model("actions", "ActionItem").objects.select_related(
            "owner", "postmortem", "created_by"
        )
    item = readable(who, queryset).filter(pk=pk).first()
    if item is None:
        raise Http404(ITEM_NOT_FOUND)
    return item


def get_item_for_change(who, pk: int) -> Model:
    """The action item if `who` may change it: a 404 for those who may not read it, else 403."""
    item = get_item_for_read(who, pk)
    if not may_change_item(who, item):
        raise PermissionDenied(ITEM_CHANGERS_ONLY)
    return item


def readable_agenda(who, agenda: QuerySet) -> QuerySet:
    """A meeting's agenda entries whose postmortems `who` may read, with their postmortems."""
    return readable(who, agenda).select_related("postmortem")


def readers_of(postmortem_ids: Iterable[int]) -> dict[int, set[int]]:
    """Who may read each of these postmortems that is restricted (ids of people), in a few
    queries whatever their number; an unrestricted one is not in the answer: everyone may.

    For what goes out to many people at once (a reminder sweep), where asking `may_read` for
    each person and postmortem would cost a query each. Give the ids as a query of them when
    they are many: the database reads them as a subquery, not as thousands of parameters.
    """
    restricted = Postmortem.objects.filter(pk__in=postmortem_ids, restricted=True)
    readers: dict[int, set[int]] = defaultdict(set)
    for pk, owner in restricted.values_list("pk", "owner_id"):
        readers[pk].add(owner)
    if not readers:
        return {}
    ids = list(readers)
    ties = [
        (Postmortem.coauthors.through, "user"),
        (Postmortem.allowed_users.through, "user"),
        (Postmortem.allowed_groups.through, "group__user"),
        (apps.get_model("reviews", "Reviewer"), "user"),
    ]
    for model, person in ties:
        rows = model.objects.filter(postmortem__in=ids)
        for pk, user in rows.values_list("postmortem_id", person):
            if user is not None:  # a group with nobody in it
                readers[pk].add(user)
    admins = set(get_user_model().objects.filter(is_superuser=True).values_list("pk", flat=True))
    return {pk: people | admins for pk, people in readers.items()}


# Interviews -------------------------------------------------------------------------------


def readable_interviews(who, postmortem: Postmortem) -> QuerySet:
    """The interviews of `postmortem` that `who` may read: none unless they may read the
    postmortem; of those, the shared ones and the ones they facilitated or gave."""
    user = _user(who)
    if not (user.is_authenticated and may_read(user, postmortem)):
        return Interview.objects.none()
    mine = Q(facilitator=user) | Q(participant=user)
    return postmortem.interviews.filter(Q(shared=True) | mine)


def may_change_interview(who, interview: Interview) -> bool:
    """Its facilitator and its participant, while they may read the postmortem."""
    user = _user(who)
    return interview.is_private_to(user) and may_read(user, interview.postmortem)


def get_interview_for_read(who, postmortem: Postmortem, pk: int) -> Interview:
    interview = readable_interviews(who, postmortem).select_related("participant").filter(pk=pk)
    if (found := interview.first()) is None:
        raise Http404(INTERVIEW_NOT_FOUND)
    return found


def get_interview_for_change(who, postmortem: Postmortem, pk: int) -> Interview:
    """A 404 for those who may not read it, a 403 for readers who are neither of the two."""
    interview = get_interview_for_read(who, postmortem, pk)
    if not may_change_interview(who, interview):
        raise PermissionDenied(INTERVIEWERS_ONLY)
    return interview


# Outside versions -------------------------------------------------------------------------


def may_share_outside(who, postmortem: Postmortem) -> bool:
    """Restricted postmortems never go outside: their readers are a list of names, and a link
    without login has no names. Drafts neither: only what was reviewed and published."""
    return (
        may_edit(who, postmortem)
        and not postmortem.restricted
        and postmortem.status == Status.PUBLISHED
    )


def shared_outside(token: str) -> ExternalVersion:
    """The released outside version whose link carries `token`; a 404 for anything else
    (unknown, revoked, or its postmortem since restricted or unpublished). Looked up by the
    token's hash, so no comparison of the secret itself can be timed."""
    version = (
        ExternalVersion.objects.filter(
            token_hash=token_hash(token),
            state=ExternalVersion.State.RELEASED,
            postmortem__restricted=False,
            postmortem__status=Status.PUBLISHED,
        )
        .select_related("postmortem")
        .first()
    )
    if version is None:
        raise Http404("This link is not shared, or no longer.")
    return version


# What leaves the site ---------------------------------------------------------------------


@dataclass(frozen=True)
class Outbound:
    """What of one postmortem, and of the rows hanging on it, may go out to one recipient."""

    pk: int | None  # None for an action item of no postmortem
    title: str  # its title, or empty when it is restricted
    restricted: bool
    reader: bool  # whether the recipient may read it

    @property
    def reference(self) -> str:
        """ "PM-12", or empty for no postmortem."""
        return f"PM-{self.pk}" if self.pk else ""

    @property
    def url(self) -> str:
        """The absolute link to it (reversed when asked: a digest lists thousands of rows
        that never show it)."""
        return settings.SITE_URL + reverse("postmortems:detail", args=[self.pk]) if self.pk else ""

    @property
    def name(self) -> str:
        """ "PM-12: Checkout outage", or just "PM-12" when it is restricted."""
        return f"{self.reference}: {self.title}" if self.title else self.reference

    def item_title(self, pk: int, title: str) -> str:
        """An action item's title, or its number when the recipient may not read its postmortem."""
        if self.restricted and not self.reader:
            return f"Action item #{pk}"
        return title

    def text(self, value: str) -> str:
        """A text of the postmortem (a comment, a note, a decision): never of a restricted one."""
        return "" if self.restricted else value


def outbound(postmortem: Postmortem | None, *, reader: bool) -> Outbound:
    """The rule for everything that leaves the site: emails, calendar feeds and invitations,
    chat messages, outbound webhooks, links shared elsewhere.

    A restricted postmortem is named only by its reference and its link, never by its title
    or any of its text (comments, notes, decisions), whoever receives it: mail is forwarded,
    and calendars and chats are other companies' services. The titles of its action items go
    out only to people who may read it (`reader`: `may_read()`, or `readers_of()` for many).
    Downloads a reader makes on purpose (the Markdown export, the backup archive) are not
    "leaving": they keep the text.
    """
    if postmortem is None:
        return Outbound(None, "", restricted=False, reader=reader)
    return outbound_of(postmortem.pk, postmortem.title, postmortem.restricted, reader=reader)


def outbound_of(pk: int, title: str, restricted: bool, *, reader: bool) -> Outbound:
    """`outbound()` from a postmortem's id, title and restriction, as `values_list()` reads
    them: for many rows at once (a reminder sweep) without a model instance each."""
    return Outbound(pk, "" if restricted else title, restricted, reader)
