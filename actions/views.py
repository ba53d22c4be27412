from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from actions.models import ActionItem


def item_list(request: HttpRequest) -> HttpResponse:
    items = ActionItem.objects.select_related("owner", "postmortem")
    return render(request, "actions/actionitem_list.html", {"items": items})


def my_items(request: HttpRequest) -> HttpResponse:
    items = ActionItem.objects.open().filter(owner=request.user).select_related("postmortem")
    return render(request, "actions/actionitem_list.html", {"items": items})


def item_detail(request: HttpRequest, pk: int) -> HttpResponse:
    item = get_object_or_404(ActionItem.objects.select_related("owner", "postmortem"), pk=pk)
    return render(request, "actions/actionitem_detail.html", {"item": item})
