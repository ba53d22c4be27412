from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Page, Paginator
from django.db.models import Count, Prefetch, Q
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.views.decorators.http import require_http_methods, require_POST

from actions.filters import ActionItemFilter
from actions.forms import (
    ActionItemForm,
    BulkForm,
    NoActionsReasonForm,
    ReminderPreferenceForm,
    StatusForm,
    VerifyForm,
)
from actions.models import (
    ActionItem,
    ActionItemQuerySet,
    CalendarToken,
    Reminder,
    ReminderPreference,
    TrackerConnection,
    TrackerLink,
)
from actions.services import (
    BULK_ACTIONS,
    action_item_create,
    action_items_bulk_update,
    action_items_csv,
    action_items_summary,
    calendar_feed,
    calendar_token_renew,
    calendar_token_revoke,
)
from actions.trackers.services import tracker_item_changed
from postmortems import access
from postmortems.models import Postmortem
from postmortems.services import history_entries
from services.models import Service

VERIFIERS_ONLY = (
    "Only the postmortem's authors, other than the item's owner, can verify that a fix worked."
)
PAGE_SIZE = 50
SOON_DAYS = 14
# What a row of the list shows; the rest of the item, its postmortem and its owner stays unread.
ROW_FIELDS = [
    "title",
    "kind",
    "priority",
    "status",
    "due_date",
    "postmortem__title",
    "owner__username",
    "owner__first_name",
    "owner__last_name",
    "verified_at",
]


def _safe_next(request: HttpRequest, default: str) -> str:
    target = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return target
    return default


def _hidden_postmortem_ids(request: HttpRequest) -> set[int]:
    """Postmortems whose items the person lists as their owner, but whose titles stay out."""
    return set(access.hidden_postmortems(request).values_list("pk", flat=True))


def _filtered(request: HttpRequest) -> ActionItemFilter:
    return ActionItemFilter(
        request.GET or None,
        queryset=access.readable(request, ActionItem.objects.all()),
        request=request,
    )


def _service_names() -> Prefetch:
    return Prefetch("postmortem__services", Service.objects.only("name"))


def _page(items: ActionItemQuerySet, number: str | None, *, count: int) -> Page:
    """The page numbered `number` of `items`, of which there are `count`."""
    paginator = Paginator(items.values_list("pk", flat=True), PAGE_SIZE)
    paginator.count = count  # counted with the summary: one pass over the items, not two
    page = paginator.get_page(number)
    # Ids alone are sorted and sliced, often within an index; the page's rows come after, with
    # their owner and postmortem: joined before the sort, they cost a lookup per matching item.
    ids = list(page.object_list)
    rows = (
        ActionItem.objects.select_related("owner", "postmortem")
        .only(*ROW_FIELDS)
        .prefetch_related(_service_names())
        .in_bulk(ids)
    )
    page.object_list = [rows[pk] for pk in ids if pk in rows]
    return page


# The list, its CSV and its bulk changes


def item_list(request: HttpRequest) -> HttpResponse:
    if not request.GET:  # opening the list: the address shows what it opens on
        return redirect(f"{request.path}?{urlencode(ActionItemFilter.OPENS_ON)}")
    filterset = _filtered(request)
    summary = action_items_summary(items=filterset.qs, today=timezone.localdate())
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "filter": filterset,
        "page": _page(filterset.qs, request.GET.get("page"), count=summary.total),
        "query": query.urlencode(),
        "summary": summary,
        "bulk_form": BulkForm(user=request.user),
        "hidden": _hidden_postmortem_ids(request),
    }
    return render(request, "actions/actionitem_list.html", context)


def item_export(request: HttpRequest) -> StreamingHttpResponse:
    filterset = _filtered(request)
    items = filterset.qs.select_related("owner", "postmortem").prefetch_related(_service_names())
    hidden = _hidden_postmortem_ids(request)
    rows = action_items_csv(items=items, today=timezone.localdate(), hidden=hidden)
    response = StreamingHttpResponse(rows, content_type="text/csv; charset=utf-8")
    filename = f"action-items-{timezone.localdate():%Y-%m-%d}.csv"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@require_POST
def item_bulk(request: HttpRequest) -> HttpResponse:
    back = _safe_next(request, reverse("actions:list"))
    form = BulkForm(request.POST, items=access.readable(request, ActionItem.objects.all()))
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return redirect(back)
    data = form.cleaned_data
    result = action_items_bulk_update(by=request.user, **data)
    if result.changed:
        count = len(result.changed)
        messages.success(
            request, f"{BULK_ACTIONS[data['action']]}: {count} item{'s' if count > 1 else ''}."
        )
    if result.skipped:
        # Only items one may read reach here: the others fail as unknown ids do.
        names = ", ".join(f"#{item.pk} {item.title}" for item in result.skipped)
        messages.warning(request, f"Skipped {len(result.skipped)} you can't change: {names}.")
    if result.stale:
        names = ", ".join(f"#{item.pk} {item.title}" for item in result.stale)
        messages.warning(
            request,
            f"Left {len(result.stale)} as they were: changed by someone after you loaded the "
            f"list ({names}). Check them and choose again.",
        )
    return redirect(back)


# One person's items and calendar


def my_items(request: HttpRequest) -> HttpResponse:
    """One's open items, a page at a time: overdue first, then by due date."""
    today = timezone.localdate()
    mine = ActionItem.objects.open().filter(owner=request.user)
    counts = mine.aggregate(total=Count("pk"), overdue=Count("pk", filter=Q(due_date__lt=today)))
    paginator = Paginator(
        mine.select_related("postmortem", "owner").order_by("due_date", "priority", "id"),
        PAGE_SIZE,
    )
    paginator.count = counts["total"]  # counted with the overdue ones: one query, not two
    page = paginator.get_page(request.GET.get("page"))
    soon = today + timedelta(days=SOON_DAYS)
    for item in page:
        item.changeable = True
    context = {
        "page": page,
        "overdue": [i for i in page if i.due_date < today],
        "soon": [i for i in page if today <= i.due_date <= soon],
        "later": [i for i in page if i.due_date > soon],
        "overdue_count": counts["overdue"],
        "soon_days": SOON_DAYS,
        "count": counts["total"],
        "token": CalendarToken.objects.filter(user=request.user).first(),
    }
    return render(request, "actions/actionitem_mine.html", context)


@require_POST
def calendar_token(request: HttpRequest) -> HttpResponse:
    if request.POST.get("action") == "revoke":
        calendar_token_revoke(user=request.user)
        messages.success(request, "Calendar link revoked. Calendars using it stop updating.")
    else:
        calendar_token_renew(user=request.user)
        messages.success(request, "New calendar link created. Any older link no longer works.")
    return redirect("actions:mine")


@login_not_required
def calendar(request: HttpRequest) -> HttpResponse:
    key = request.GET.get("token", "")
    token = CalendarToken.objects.select_related("user").filter(key=key).first() if key else None
    if token is None or not token.user.is_active:
        raise Http404("No calendar with this token.")
    response = HttpResponse(calendar_feed(token=token), content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="debrief-action-items.ics"'
    response["Cache-Control"] = "private, max-age=300"
    response["Referrer-Policy"] = "no-referrer"
    return response


# Reminder preferences


@require_http_methods(["GET", "POST"])
def reminder_preferences(request: HttpRequest) -> HttpResponse:
    preference = ReminderPreference.objects.filter(user=request.user).first()
    form = ReminderPreferenceForm(
        request.POST or None, instance=preference or ReminderPreference(user=request.user)
    )
    if form.is_valid():
        form.save()
        messages.success(request, "Reminder settings saved.")
        return redirect("actions:preferences")
    context = {
        "form": form,
        "reminders": Reminder.objects.filter(recipient=request.user).prefetch_related(
            "items", "postmortems"
        )[:14],
        "due_soon_days": settings.REMINDER_DUE_SOON_DAYS,
        "escalate_after_days": settings.REMINDER_ESCALATE_AFTER_DAYS,
    }
    return render(request, "actions/reminderpreference_form.html", context)


# One item


def item_detail(request: HttpRequest, pk: int) -> HttpResponse:
    item = access.get_item_for_read(request, pk)
    can_change = access.may_change_item(request, item)
    form = ActionItemForm(instance=item) if can_change else None
    return render(
        request, "actions/actionitem_detail.html", _detail_context(request, item, can_change, form)
    )


def _detail_context(
    request: HttpRequest, item: ActionItem, can_change: bool, form=None, status_form=None
) -> dict:
    item.changeable = can_change
    may_verify = access.may_verify_item(request, item)
    return {
        "verify_form": VerifyForm() if may_verify and item.status == "done" else None,
        "item": item,
        # Its owner sees the item whatever its postmortem, but not a hidden postmortem's title.
        "postmortem_readable": item.postmortem is not None
        and access.may_read(request, item.postmortem),
        "can_change": can_change,
        "form": form,
        "status_form": status_form,
        "history": item.changes.select_related("changed_by"),
        "tracker_link": TrackerLink.objects.filter(item=item).select_related("connection").first(),
        "trackers": TrackerConnection.objects.filter(enabled=True) if can_change else [],
        "reminder_lines": item.reminder_lines.select_related("reminder__recipient")[:20],
        "entries": history_entries(
            item.history.select_related("history_user")[:50],
            lambda record: "The item",
            tz=item.postmortem.tz if item.postmortem else timezone.get_current_timezone(),
        ),
    }


@require_http_methods(["GET", "POST"])
def item_edit(request: HttpRequest, pk: int) -> HttpResponse:
    item = access.get_item_for_change(request, pk)
    form = ActionItemForm(request.POST or None, instance=item)
    if form.save_if_current():
        note = form.change_note()
        if note:
            item.note_change(by=request.user, note=note)
        tracker_item_changed(item=item)
        messages.success(request, "Action item saved.")
        return redirect(item)
    return render(
        request, "actions/actionitem_detail.html", _detail_context(request, item, True, form)
    )


def item_create(request: HttpRequest) -> HttpResponse:
    """An item that comes from elsewhere than a postmortem (an audit, a game day, a review)."""
    form = ActionItemForm(request.POST or None, initial={"owner": request.user.pk})
    if form.is_valid():
        item = action_item_create(by=request.user, **form.cleaned_data)
        messages.success(request, "Action item created.")
        return redirect(item)
    return render(request, "actions/actionitem_form.html", {"form": form})


# The fragments a status form may answer with, besides the item's own row.
STATUS_TARGETS = {"action-items", "item-status"}


@require_http_methods(["GET", "POST"])
def item_status(request: HttpRequest, pk: int) -> HttpResponse:
    """Quick status change; answers with the fragment that sent it (section, panel or row).

    GET is the form itself, loaded when someone opens it: rows carry a button, not a form.
    """
    item = access.get_item_for_change(request, pk)
    if request.method == "GET":
        target = request.GET.get("target")
        context = {
            "item": item,
            "target": target if target in STATUS_TARGETS else None,
            "next": request.htmx.current_url_abs_path if request.htmx else None,
        }
        return render(request, "actions/includes/actionitem_status_form.html", context)
    form = StatusForm(request.POST, item=item)
    try:
        form.save_if_current(by=request.user)
    except ValidationError as error:
        form.add_error(None, error)
    if not form.errors:
        tracker_item_changed(item=item)
    if not request.htmx:
        for error in form.errors.values():
            messages.error(request, " ".join(error))
        return redirect(_safe_next(request, item.get_absolute_url()))
    failed = form if form.errors else None
    if request.htmx.target == "action-items" and item.postmortem is not None:
        return _section(request, item.postmortem, failed_item=item.pk, status_form=failed)
    if request.htmx.target == "item-status":
        return render(
            request,
            "actions/includes/actionitem_status.html",
            _detail_context(request, item, True, status_form=failed),
        )
    item.changeable = True
    return render(
        request, "actions/includes/actionitem_row.html", {"item": item, "status_form": failed}
    )


@require_POST
def item_verify(request: HttpRequest, pk: int) -> HttpResponse:
    """Vouch that a done item's fix worked; answers with the verification panel."""
    item = access.get_item_for_read(request, pk)
    if not access.may_verify_item(request, item):
        raise PermissionDenied(VERIFIERS_ONLY)
    form = VerifyForm(request.POST)
    saved = form.save(item, by=request.user)
    if not request.htmx:
        for errors in form.errors.values():
            messages.error(request, " ".join(errors))
        if saved:
            messages.success(request, "Verified: the evidence is on the item.")
        return redirect(item)
    context = _detail_context(request, item, access.may_change_item(request, item))
    context["verify_form"] = None if saved else form
    return render(request, "actions/includes/actionitem_verification.html", context)


# The action items section of a postmortem's page


def _section(request: HttpRequest, postmortem: Postmortem, **extra) -> HttpResponse:
    context = {"postmortem": postmortem, **extra}
    return render(request, "postmortems/includes/action_section.html", context)


def postmortem_section(request: HttpRequest, pk: int) -> HttpResponse:
    return _section(request, access.get_postmortem_for_read(request, pk))


@require_POST
def postmortem_item_create(request: HttpRequest, pk: int) -> HttpResponse:
    postmortem = access.get_postmortem_for_edit(request, pk)
    form = ActionItemForm(request.POST, postmortem=postmortem)
    if form.is_valid():
        action_item_create(by=request.user, postmortem=postmortem, **form.cleaned_data)
        if not request.htmx:
            return redirect(f"{postmortem.get_absolute_url()}#action-items")
        form = None
    return _section(request, postmortem, add_form=form)


@require_POST
def postmortem_no_actions_reason(request: HttpRequest, pk: int) -> HttpResponse:
    postmortem = access.get_postmortem_for_edit(request, pk)
    form = NoActionsReasonForm(request.POST, instance=postmortem)
    form.save_if_current()
    if not request.htmx:
        for errors in form.errors.values():
            messages.error(request, " ".join(errors))
        return redirect(f"{postmortem.get_absolute_url()}#action-items")
    return _section(request, postmortem, reason_form=form if form.errors else None)
