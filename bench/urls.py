"""The site's URLs plus a trivial view, only in benchmarks: the ceiling of the framework."""

from django.http import HttpRequest, HttpResponse
from django.urls import path

from config.urls import urlpatterns as site_urlpatterns


def hello(request: HttpRequest) -> HttpResponse:
    """Every middleware (session, login, CSP…) and no work: what any page costs at least."""
    return HttpResponse("Hello", content_type="text/plain")


urlpatterns = [path("bench/hello/", hello), *site_urlpatterns]
