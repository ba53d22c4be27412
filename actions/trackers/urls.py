from django.urls import path

from actions.trackers import views

app_name = "trackers"

urlpatterns = [
    path("<int:pk>/webhook/", views.webhook, name="webhook"),
]
