"""The import pages: upload, preview (nothing written), confirm (all at once)."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.defaultfilters import pluralize
from django.views.decorators.http import require_http_methods

from actions.importing.forms import CsvImportForm, JiraImportForm, MarkdownImportForm
from actions.importing.markdown import markdown_preview, postmortems_import
from actions.importing.services import (
    action_csv_preview,
    items_import,
    jira_csv_preview,
    preview_seal,
    preview_unseal,
)
from actions.importing.tables import Unreadable
from postmortems import access
from postmortems.models import Postmortem


def _confirmed(request: HttpRequest, kind: str):
    """What the person previewed, when they confirm; None while previewing."""
    if "confirm" not in request.POST:
        return None
    return preview_unseal(request.POST.get("previewed", ""), kind=kind, user=request.user)


def _bound(request: HttpRequest):
    """The upload form's data; a confirmation carries its preview instead, so none."""
    return None if "confirm" in request.POST else request.POST or None


@require_http_methods(["GET", "POST"])
def import_markdown(request: HttpRequest) -> HttpResponse:
    form = MarkdownImportForm(_bound(request), request.FILES or None)
    previews = token = error = None
    try:
        documents = _confirmed(request, "markdown")
        if documents is None and request.method == "POST" and form.is_valid():
            documents = form.cleaned_data["documents"]
            token = preview_seal(documents, kind="markdown", user=request.user)
        if documents is not None:
            previews = markdown_preview(documents=documents, by=request.user)
        if "confirm" in request.POST and previews is not None:
            created = postmortems_import(previews=previews, by=request.user)
            count = len(created)
            messages.success(
                request, f"Imported {count} postmortem{pluralize(count)} as drafts you own."
            )
            return redirect(created[0] if count == 1 else "postmortems:list")
    except Unreadable as unreadable:
        error = str(unreadable)
    context = {"form": form, "previews": previews, "token": token, "error": error}
    if previews is not None:
        context["readable"] = sum(1 for p in previews if p.doc.readable)
    return render(request, "actions/import_markdown.html", context)


def _items_page(request, form, kind: str, read, template: str, source) -> HttpResponse:
    """Preview or import action items: `read(payload)` gives the preview of a payload."""
    preview = token = error = None
    try:
        payload = _confirmed(request, kind)
        if payload is None and request.method == "POST" and form.is_valid():
            payload = form.payload()
            token = preview_seal(payload, kind=kind, user=request.user)
        if payload is not None:
            preview = read(payload)
        if "confirm" in request.POST and preview is not None:
            items = items_import(preview=preview, by=request.user, source=source(payload))
            count = len(items)
            messages.success(request, f"Imported {count} action item{pluralize(count)}.")
            return redirect("actions:list")
    except Unreadable as unreadable:
        error = str(unreadable)
    context = {"form": form, "preview": preview, "token": token, "error": error}
    return render(request, template, context)


@require_http_methods(["GET", "POST"])
def import_action_csv(request: HttpRequest) -> HttpResponse:
    form = CsvImportForm(_bound(request), request.FILES or None)
    form.payload = lambda: {"text": form.cleaned_data["file"]}
    return _items_page(
        request,
        form,
        "csv",
        lambda payload: action_csv_preview(text=payload["text"], by=request.user),
        "actions/import_csv.html",
        lambda payload: "from a CSV file",
    )


def _editable_postmortem(request: HttpRequest, reference: str) -> Postmortem:
    found = access.editable_postmortems(request).by_reference(reference)
    if found is None:
        raise Unreadable(f"{reference} is not a postmortem you may edit.")
    return found


@require_http_methods(["GET", "POST"])
def import_jira(request: HttpRequest) -> HttpResponse:
    form = JiraImportForm(
        _bound(request),
        request.FILES or None,
        initial={"postmortem": request.GET.get("postmortem", "")[:20]},
    )
    form.payload = lambda: {
        "text": form.cleaned_data["file"],
        "postmortem": form.cleaned_data["postmortem"],
        "jira_url": form.cleaned_data["jira_url"],
    }

    def read(payload):
        postmortem = _editable_postmortem(request, payload["postmortem"])
        return jira_csv_preview(
            text=payload["text"],
            by=request.user,
            postmortem=postmortem,
            jira_url=payload["jira_url"],
        )

    return _items_page(
        request, form, "jira", read, "actions/import_jira.html", lambda p: "from Jira"
    )
