from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from actions import health
from config import views
from config.api import urls as api_urls

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", health.healthz, name="healthz"),
    path("login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("postmortems/", include("postmortems.urls")),
    path("actions/", include("actions.urls")),
    path("", include("reviews.urls")),
    path("services/", include("services.urls")),
    path("metrics/", include("reporting.urls")),
    path("account/", include("accounts.urls")),
    path("api/v1/", api_urls()),
    path("admin/", admin.site.urls),
]
