from django.urls import path

from reviews import views

app_name = "reviews"

urlpatterns = [
    path("", views.meeting_list, name="list"),
    path("new/", views.meeting_create, name="create"),
    path("waiting/", views.reviews_waiting, name="waiting"),
    path("<int:pk>/", views.meeting_detail, name="detail"),
    path("<int:pk>/edit/", views.meeting_edit, name="edit"),
    path("<int:pk>/invite.ics", views.meeting_ics, name="ics"),
    path("<int:pk>/invite/", views.meeting_invite_view, name="invite"),
    path("<int:pk>/present/", views.meeting_present, name="present"),
    path("<int:pk>/notes/", views.meeting_notes_save, name="notes"),
    path("<int:pk>/attendance/", views.attendance_save, name="attendance"),
    path("<int:pk>/end/", views.meeting_end_view, name="end"),
    path("<int:pk>/agenda/<int:item_id>/", views.agenda_item_save, name="agenda_item"),
    path("<int:pk>/agenda/<int:item_id>/actions/", views.meeting_add_action, name="add_action"),
]
