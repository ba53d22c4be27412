from __future__ import annotations

from functools import wraps

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from webhooks import services
from webhooks.forms import SubscriptionForm
from webhooks.models import Delivery, Subscription
from webhooks.payloads import now_restricted, payload_text


def staff_required(view):
    """Webhooks send the site's events to other servers: staff set them up."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not request.user.is_staff:
            raise PermissionDenied("Only staff manage webhooks.")
        return view(request, *args, **kwargs)

    return wrapped


@staff_required
def subscription_list(request: HttpRequest) -> HttpResponse:
    subscriptions = Subscription.objects.all()
    return render(request, "webhooks/subscription_list.html", {"subscriptions": subscriptions})


@staff_required
def subscription_create(request: HttpRequest) -> HttpResponse:
    form = SubscriptionForm(request.POST or None)
    if form.is_valid():
        form.instance.created_by = request.user
        subscription = form.save()
        messages.success(request, "Subscription created. Its secret is on this page.")
        return redirect(subscription)
    return render(request, "webhooks/subscription_form.html", {"form": form})


@staff_required
def subscription_edit(request: HttpRequest, pk: int) -> HttpResponse:
    subscription = get_object_or_404(Subscription, pk=pk)
    form = SubscriptionForm(request.POST or None, instance=subscription)
    if form.save_if_current():
        messages.success(request, "Subscription saved.")
        return redirect(subscription)
    return render(
        request, "webhooks/subscription_form.html", {"form": form, "subscription": subscription}
    )


@staff_required
def subscription_detail(request: HttpRequest, pk: int) -> HttpResponse:
    subscription = get_object_or_404(Subscription, pk=pk)
    deliveries = subscription.deliveries.prefetch_related("tries")
    page = Paginator(deliveries, 50).get_page(request.GET.get("page"))
    # Shown as it would be sent now: nothing of a postmortem restricted since the event.
    restricted = now_restricted(*(d.payload["data"] for d in page))
    rows = [(d, payload_text(d.payload, restricted)) for d in page]
    context = {"subscription": subscription, "page": page, "rows": rows}
    return render(request, "webhooks/subscription_detail.html", context)


@require_POST
@staff_required
def subscription_delete(request: HttpRequest, pk: int) -> HttpResponse:
    subscription = get_object_or_404(Subscription, pk=pk)
    subscription.delete()
    messages.success(request, f"Subscription to {subscription.url} deleted, with its log.")
    return redirect("webhooks:list")


@require_POST
@staff_required
def delivery_redeliver(request: HttpRequest, pk: int, delivery_id: str) -> HttpResponse:
    found = get_object_or_404(Delivery, pk=delivery_id, subscription_id=pk)
    services.delivery_redeliver(delivery=found)
    messages.success(request, f"Delivery {found.pk} is being sent again; reload to see it.")
    return redirect(found.subscription)
