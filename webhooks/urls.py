from django.urls import path

from webhooks import views

app_name = "webhooks"

urlpatterns = [
    path("", views.subscription_list, name="list"),
    path("new/", views.subscription_create, name="create"),
    path("<int:pk>/", views.subscription_detail, name="detail"),
    path("<int:pk>/edit/", views.subscription_edit, name="edit"),
    path("<int:pk>/delete/", views.subscription_delete, name="delete"),
    path(
        "<int:pk>/deliveries/<uuid:delivery_id>/redeliver/",
        views.delivery_redeliver,
        name="redeliver",
    ),
]
