from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import prefetch_related_objects
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.defaultfilters import pluralize
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.views.decorators.http import require_http_methods, require_POST

from postmortems import access, services
from postmortems.backup import markdown_export
from postmortems.chatlog import parse_chat_log
from postmortems.filters import PostmortemFilter
from postmortems.forms import (
    AcknowledgeForm,
    ContributingFactorForm,
    PostmortemCreateForm,
    TimelineEventForm,
)
from postmortems.forms.chatlog import ChatLogForm, TimelineImportForm
from postmortems.interviews import interviews_context
from postmortems.lint import MAX_LINT_CHARS, finding_acknowledge, lint_text, postmortem_lint_summary
from postmortems.models import ContributingFactor, Postmortem, TimelineEvent
from postmortems.quality import postmortem_quality, quality_refresh
from postmortems.services import (
    postmortem_history,
    timeline_import,
    timeline_repeats,
    timeline_window,
)

# Sent to the page after a change, so the key times and the lint summary refresh themselves.
DOCUMENT_CHANGED = "documentChanged"
# Form fields outside the text that reviewers approve: who wrote it and who may read it.
# The owning team is who follows it up, not what it says.
NOT_REVIEWED = {"version", "coauthors", "team", "restricted", "allowed_users", "allowed_groups"}


def postmortem_list(request: HttpRequest) -> HttpResponse:
    queryset = (
        access.readable_postmortems(request)
        .select_related("owner", "team")
        .prefetch_related("services")
    )
    filterset = PostmortemFilter(request.GET or None, queryset=queryset)
    page = Paginator(filterset.qs, 25).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "postmortems/postmortem_list.html",
        {
            "filter": filterset,
            "page": page,
            "query": query.urlencode(),
            "anniversaries": services.anniversaries(
                user=request.user, day=timezone.localdate(), limit=5
            ),
        },
    )


def postmortem_pick(request: HttpRequest) -> JsonResponse:
    """Options for a searchable postmortem picker: the newest 20 readable ones matching ?q=."""
    found = access.readable_postmortems(request).search(request.GET.get("q", "")[:200])
    found = found.order_by("-created_at").only("pk", "title")[:20]
    return JsonResponse([{"value": pm.pk, "text": str(pm)} for pm in found], safe=False)


def postmortem_create(request: HttpRequest) -> HttpResponse:
    form = PostmortemCreateForm(request.POST or None)
    if form.is_valid():
        postmortem = services.postmortem_create(form=form, owner=request.user)
        messages.success(request, f"{postmortem.reference} created. Write it section by section.")
        return redirect(postmortem)
    return render(request, "postmortems/postmortem_form.html", {"form": form})


def postmortem_detail(request: HttpRequest, pk: int) -> HttpResponse:
    postmortem = access.get_postmortem_for_read(request, pk)
    return render(
        request, "postmortems/postmortem_detail.html", document_context(request, postmortem)
    )


def document_context(
    request: HttpRequest, postmortem: Postmortem, *, all_events: bool = False
) -> dict:
    # Read by the linter, the permission check and the templates alike: fetched once here.
    prefetch_related_objects([postmortem], "factors", "services", "coauthors")
    can_edit = access.may_edit(request, postmortem)
    # Linting every text is a fifth of a long page's time; a reader, who cannot act on the
    # findings, gets them (and the quality score, built on them) from their own URLs once the
    # page has loaded.
    lint = postmortem_lint_summary(postmortem) if can_edit else None
    return {
        "postmortem": postmortem,
        "lint": lint,
        "quality": _quality(postmortem, lint) if can_edit else None,
        "can_edit": can_edit,
        **timeline_context(request, postmortem, show_all=all_events),
        **factors_context(request, postmortem),
        **interviews_context(request, postmortem),
        "action_items": postmortem.action_items.select_related("owner"),
    }


def _quality(postmortem: Postmortem, lint=None):
    quality = postmortem_quality(postmortem, lint=lint)
    quality_refresh(postmortem, quality)
    return quality


def quality_panel(request: HttpRequest, pk: int) -> HttpResponse:
    """The score and its checklist, fetched again after every change to the document."""
    postmortem = access.get_postmortem_for_read(request, pk)
    context = {"postmortem": postmortem, "quality": _quality(postmortem)}
    return render(request, "postmortems/includes/quality.html", context)


def postmortem_print(request: HttpRequest, pk: int) -> HttpResponse:
    postmortem = access.get_postmortem_for_read(request, pk)
    context = document_context(request, postmortem, all_events=True)
    return render(request, "postmortems/postmortem_print.html", context)


def postmortem_history_view(request: HttpRequest, pk: int) -> HttpResponse:
    postmortem = access.get_postmortem_for_read(request, pk)
    entries = postmortem_history(postmortem)
    # Links from a stale approval or "updated after publication" show what changed since.
    if since := _moment(request.GET.get("since", "")):
        entries = [entry for entry in entries if entry.when > since]
    context = {"postmortem": postmortem, "entries": entries, "since": since}
    return render(request, "postmortems/postmortem_history.html", context)


def _moment(value: str) -> datetime | None:
    """A moment written in ISO 8601, or None for anything else."""
    try:
        moment = parse_datetime(value)
    except ValueError:
        return None
    if moment is not None and timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    return moment


def postmortem_export(request: HttpRequest, pk: int) -> HttpResponse:
    postmortem = access.get_postmortem_for_read(request, pk)
    text, filename = markdown_export(postmortem, short=request.GET.get("version") == "short")
    response = HttpResponse(text, content_type="text/markdown; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


# Timeline events and contributing factors, the rows of the document: added, edited in place
# and deleted alike. Every change answers with the whole list, in order.


def timeline_context(
    request: HttpRequest, postmortem: Postmortem, form=None, *, showing=None, show_all=False
) -> dict:
    show_all = show_all or "all_events" in request.GET or "all_events" in request.POST
    return {
        "timeline": timeline_window(postmortem=postmortem, show_all=show_all, showing=showing),
        "event_form": form or TimelineEventForm(incident_tz=postmortem.time_zone),
    }


def factors_context(request: HttpRequest, postmortem: Postmortem, form=None, **_) -> dict:
    return {
        "factors": postmortem.factors.all(),
        "factor_form": form or ContributingFactorForm(),
        "recurrences": services.recurrences_for(postmortem=postmortem, user=request.user),
        "decides_recurrences": request.user.pk == postmortem.owner_id or request.user.is_superuser,
    }


@dataclass(frozen=True)
class RowKind:
    """What tells the timeline's views from the contributing factors'."""

    name: str  # the list's section id, template and URL name: "timeline", "factors"
    noun: str  # one row: "event", "factor" (its element id is "event-12")
    model: type[TimelineEvent | ContributingFactor]
    form_class: type[TimelineEventForm | ContributingFactorForm]
    context: Callable[..., dict]

    @property
    def url_name(self) -> str:
        return f"postmortems:{self.name}"

    def form(self, postmortem: Postmortem, data=None, instance=None):
        if self.model is TimelineEvent:  # times are entered in the incident's zone
            return self.form_class(data, instance=instance, incident_tz=postmortem.time_zone)
        return self.form_class(data, instance=instance)


ROW_KINDS = {
    "timeline": RowKind("timeline", "event", TimelineEvent, TimelineEventForm, timeline_context),
    "factors": RowKind(
        "factors", "factor", ContributingFactor, ContributingFactorForm, factors_context
    ),
}


def _rows(request: HttpRequest, postmortem: Postmortem, kind: RowKind, **context) -> HttpResponse:
    context = {
        "postmortem": postmortem,
        "can_edit": access.may_edit(request, postmortem),
        **kind.context(request, postmortem, **context),
    }
    return render(request, f"postmortems/includes/{kind.name}.html", context)


def _after_change(
    request: HttpRequest, postmortem: Postmortem, kind: RowKind, row=None
) -> HttpResponse:
    if kind.model is TimelineEvent:
        postmortem.sync_key_times()
    else:
        services.recurrences_refresh(postmortem=postmortem)
    if not request.htmx:
        return redirect(f"{postmortem.get_absolute_url()}#{kind.name}")
    response = _rows(request, postmortem, kind, showing=row)
    response["HX-Trigger"] = DOCUMENT_CHANGED
    return response


def rows_list(request: HttpRequest, pk: int, rows: str) -> HttpResponse:
    return _rows(request, access.get_postmortem_for_read(request, pk), ROW_KINDS[rows])


@require_POST
def row_create(request: HttpRequest, pk: int, rows: str) -> HttpResponse:
    postmortem, kind = access.get_postmortem_for_edit(request, pk), ROW_KINDS[rows]
    form = kind.form(postmortem, request.POST)
    if not form.is_valid():
        return _rows(request, postmortem, kind, form=form)
    row = form.save(commit=False)
    row.postmortem = postmortem
    row.save()
    postmortem.mark_text_changed()
    return _after_change(request, postmortem, kind, row)


@require_http_methods(["GET", "POST"])
def row_edit(request: HttpRequest, pk: int, rows: str, row_id: int) -> HttpResponse:
    postmortem, kind = access.get_postmortem_for_edit(request, pk), ROW_KINDS[rows]
    row = get_object_or_404(kind.model, pk=row_id, postmortem=postmortem)
    form = kind.form(postmortem, request.POST or None, instance=row)
    if form.save_if_current():
        if set(form.changed_data) - NOT_REVIEWED:
            postmortem.mark_text_changed()
        return _after_change(request, postmortem, kind, row)
    context = {"postmortem": postmortem, "kind": kind, "row": row, "form": form}
    return render(request, "postmortems/includes/row_form.html", context)


@require_POST
def row_delete(request: HttpRequest, pk: int, rows: str, row_id: int) -> HttpResponse:
    postmortem, kind = access.get_postmortem_for_edit(request, pk), ROW_KINDS[rows]
    get_object_or_404(kind.model, pk=row_id, postmortem=postmortem).delete()
    postmortem.mark_text_changed()
    return _after_change(request, postmortem, kind)


@require_POST
def recurrence_decide(request: HttpRequest, pk: int, recurrence_id: int) -> HttpResponse:
    """The owner confirms or dismisses a possible recurrence after fix."""
    postmortem = access.get_postmortem_for_read(request, pk)
    try:
        services.recurrence_decide(
            postmortem=postmortem,
            pk=recurrence_id,
            status=request.POST.get("status", ""),
            by=request.user,
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    if not request.htmx:
        return redirect(f"{postmortem.get_absolute_url()}#factors")
    return _rows(request, postmortem, ROW_KINDS["factors"])


@require_http_methods(["GET", "POST"])
def timeline_import_view(request: HttpRequest, pk: int) -> HttpResponse:
    postmortem = access.get_postmortem_for_edit(request, pk)
    start = postmortem.started_at or timezone.now()
    form = ChatLogForm(
        request.POST or None, initial={"day": timezone.localdate(start, postmortem.tz)}
    )
    log = kinds = None
    if form.is_valid():
        log = parse_chat_log(
            form.cleaned_data["text"], day=form.cleaned_data["day"], tz=postmortem.tz
        )
        repeats = timeline_repeats(postmortem=postmortem, messages=log.messages)
        kinds = TimelineImportForm(request.POST, messages=log.messages, repeats=repeats)
        if "confirm" in request.POST and kinds.new_count and kinds.is_valid():
            added, skipped = timeline_import(
                postmortem=postmortem, messages=log.messages, kinds=kinds.chosen()
            )
            done = f"Added {added} event{pluralize(added)} to the timeline"
            if skipped:
                were = pluralize(skipped, "was,were")
                done += f"; {skipped} repeated event{pluralize(skipped)} {were} skipped"
            messages.success(request, f"{done}.")
            return redirect(f"{postmortem.get_absolute_url()}#timeline")
    return render(
        request,
        "postmortems/timeline_import.html",
        {"postmortem": postmortem, "form": form, "log": log, "kinds": kinds},
    )


# The blameless linter: live checks while typing, the summary, acknowledgements, the gate.


@require_POST
def lint_check(request: HttpRequest) -> JsonResponse:
    """Findings for a text being typed, with offsets in UTF-16 units as JavaScript counts."""
    text = request.POST.get("text", "")
    if len(text) > MAX_LINT_CHARS:
        return JsonResponse({"error": f"Texts over {MAX_LINT_CHARS} characters are not checked."})
    findings = lint_text(text, action_item=request.POST.get("kind") == "action")
    return JsonResponse({"findings": [f.to_dict(utf16_text=text) for f in findings]})


def _lint_summary(request: HttpRequest, postmortem: Postmortem, **extra) -> HttpResponse:
    context = {
        "postmortem": postmortem,
        "can_edit": access.may_edit(request, postmortem),
        "lint": postmortem_lint_summary(postmortem),
        **extra,
    }
    return render(request, "postmortems/includes/lint_summary.html", context)


def lint_summary(request: HttpRequest, pk: int) -> HttpResponse:
    return _lint_summary(request, access.get_postmortem_for_read(request, pk))


@require_POST
def lint_acknowledge(request: HttpRequest, pk: int) -> HttpResponse:
    postmortem = access.get_postmortem_for_edit(request, pk)
    form = AcknowledgeForm(request.POST)
    if form.is_valid():
        finding_acknowledge(postmortem=postmortem, by=request.user, **form.cleaned_data)
        if not request.htmx:
            messages.success(request, "Warning acknowledged.")
            return redirect(f"{postmortem.get_absolute_url()}#lint")
        return _lint_summary(request, postmortem)
    if not request.htmx:
        messages.error(request, "Say why this wording should stay: the reason is required.")
        return redirect(f"{postmortem.get_absolute_url()}#lint")
    return _lint_summary(request, postmortem, ack_errors=form.errors, ack_data=form.data)
