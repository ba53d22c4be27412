"""Outside versions of a postmortem: made and reviewed by its editors, served without login."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from postmortems import access
from postmortems.forms import OutsideSectionsForm
from postmortems.models import OUTSIDE_SECTIONS, ExternalVersion
from postmortems.outside import external_version_build, outside_findings


def _version(request: HttpRequest, pk: int, version_id: int) -> ExternalVersion:
    postmortem = access.get_postmortem_for_edit(request, pk)
    return get_object_or_404(ExternalVersion, pk=version_id, postmortem=postmortem)


@require_http_methods(["GET", "POST"])
def outside_versions(request: HttpRequest, pk: int) -> HttpResponse:
    """The outside versions of a postmortem, and a form to make one."""
    postmortem = access.get_postmortem_for_edit(request, pk)
    allowed = access.may_share_outside(request, postmortem)
    form = OutsideSectionsForm(request.POST if request.method == "POST" else None)
    if allowed and form.is_valid():
        version = ExternalVersion(postmortem=postmortem, created_by=request.user)
        external_version_build(version=version, removed=form.cleaned_data["removed_sections"])
        messages.success(request, "Outside version drafted: review it, then release it.")
        return redirect(version)
    context = {
        "postmortem": postmortem,
        "allowed": allowed,
        "refusal": access.NO_OUTSIDE_VERSION,
        "versions": postmortem.external_versions.all(),
        "form": form,
    }
    return render(request, "postmortems/outside_versions.html", context)


@require_http_methods(["GET", "POST"])
def outside_preview(request: HttpRequest, pk: int, version_id: int) -> HttpResponse:
    """The draft as the outside will read it, with the linter's findings; sections changed
    here rebuild it from the postmortem as it is now."""
    version = _version(request, pk, version_id)
    draft = version.state == ExternalVersion.State.DRAFT
    initial = {"removed_sections": version.removed_sections}
    data = request.POST if request.method == "POST" else None  # none ticked is a choice
    form = OutsideSectionsForm(data, initial=initial)
    if draft and form.is_valid():
        external_version_build(version=version, removed=form.cleaned_data["removed_sections"])
        messages.success(request, "Rebuilt from the postmortem as it is now.")
        return redirect(version)
    context = {
        "postmortem": version.postmortem,
        "version": version,
        "content": version.content,
        "findings": outside_findings(version),
        "form": form,
        "draft": draft,
        "sections": OUTSIDE_SECTIONS,
        "allowed": access.may_share_outside(request, version.postmortem),
        "refusal": access.NO_OUTSIDE_VERSION,
    }
    return render(request, "postmortems/outside_preview.html", context)


@require_POST
def outside_release(request: HttpRequest, pk: int, version_id: int) -> HttpResponse:
    version = _version(request, pk, version_id)
    if version.state != ExternalVersion.State.DRAFT:
        messages.error(request, "Only a draft can be released.")
    elif not access.may_share_outside(request, version.postmortem):
        messages.error(request, access.NO_OUTSIDE_VERSION)
    else:
        token = version.release(by=request.user)
        link = request.build_absolute_uri(reverse("shared", args=[token]))
        # Only a hash of the token is kept: this is the one time the link can be shown.
        messages.success(request, f"Released. Copy the link now, it is shown only once: {link}")
    return redirect(version)


@require_POST
def outside_revoke(request: HttpRequest, pk: int, version_id: int) -> HttpResponse:
    version = _version(request, pk, version_id)
    if version.state == ExternalVersion.State.RELEASED:
        version.revoke()
        messages.success(request, "Revoked: the link now answers “not found”.")
    return redirect(version)


@login_not_required
@require_GET
def shared(request: HttpRequest, token: str) -> HttpResponse:
    """The released outside version, for anyone with the link: no login, no session."""
    version = access.shared_outside(token)
    response = render(
        request, "postmortems/outside_shared.html", {"version": version, "content": version.content}
    )
    # The secret is in the address: neither search engines nor the pages it links to get it.
    response["X-Robots-Tag"] = "noindex, nofollow"
    response["Referrer-Policy"] = "no-referrer"
    response["Cache-Control"] = "private, no-store"
    return response
