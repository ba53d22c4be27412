from django.urls import path

from reporting import views

app_name = "metrics"

urlpatterns = [
    path("", views.metrics_page, name="index"),
    path("<slug:chart>.csv", views.metrics_csv, name="csv"),
]
