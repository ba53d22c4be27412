from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from actions.models import ActionItem


def item_detail(request: HttpRequest, pk: int) -> HttpResponse:
    item = get_object_or_404(ActionItem.objects.select_related("owner", "postmortem"), pk=pk)
    return render(request, "actions/actionitem_detail.html", {"item": item})
