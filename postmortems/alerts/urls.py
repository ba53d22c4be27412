from django.urls import path

from postmortems.alerts import views

app_name = "alerts"
urlpatterns = [
    path("<slug:slug>/", views.receive_alert, name="receive"),
]
