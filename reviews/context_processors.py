from django.http import HttpRequest

from reviews.models import Reviewer


def reviews_waiting(request: HttpRequest) -> dict:
    """The navbar's count of reviews waiting for the person; counted only where it is shown."""
    if not request.user.is_authenticated:
        return {}
    return {"reviews_waiting": lambda: Reviewer.objects.waiting().filter(user=request.user).count()}
