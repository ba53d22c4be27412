from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from actions import health
from config import views

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", health.healthz, name="healthz"),
    path("login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("postmortems/", include("postmortems.urls")),
    path("alerts/", include("postmortems.alerts.urls")),
    path("actions/", include("actions.urls")),
    path("import/", include("actions.import_urls")),
    path("", include("reviews.urls")),
    path("services/", include("services.urls")),
    path("metrics/", include("reporting.urls")),
    path("admin/", admin.site.urls),
]
