from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView
from mozilla_django_oidc.views import OIDCLogoutView

from accounts import views as accounts_views
from actions import health
from config.api import urls as api_urls
from postmortems import sharing

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="postmortems:list"), name="home"),
    path("healthz", health.healthz, name="healthz"),
    path("login/", accounts_views.LoginView.as_view(), name="login"),
    # Ends the provider's session too, when the person signed in with it (accounts.oidc).
    path("logout/", OIDCLogoutView.as_view(), name="logout"),
    path("", include("accounts.urls")),
    path("postmortems/", include("postmortems.urls")),
    # An outside version of a postmortem, for anyone with its secret link.
    path("shared/<str:token>/", sharing.shared, name="shared"),
    path("alerts/", include("postmortems.alerts.urls")),
    path("trackers/", include("actions.trackers.urls")),
    path("actions/", include("actions.urls")),
    path("import/", include("actions.import_urls")),
    path("", include("reviews.urls")),
    path("services/", include("services.urls")),
    path("teams/", include("teams.urls")),
    path("metrics/", include("reporting.urls")),
    path("webhooks/", include("webhooks.urls")),
    path("api/v1/", api_urls()),
    path("admin/", admin.site.urls),
]
