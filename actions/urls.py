from django.urls import path

from actions import views

app_name = "actions"

urlpatterns = [
    path("", views.item_list, name="list"),
    path("mine/", views.my_items, name="mine"),
    path("<int:pk>/", views.item_detail, name="detail"),
]
