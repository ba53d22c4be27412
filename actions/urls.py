from django.urls import path

from actions import views

app_name = "actions"

urlpatterns = [
    path("<int:pk>/", views.item_detail, name="detail"),
]
