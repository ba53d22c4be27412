from django.urls import path

from actions import views
from actions.trackers import views as tracker_views

app_name = "actions"

urlpatterns = [
    path("", views.item_list, name="list"),
    path("export.csv", views.item_export, name="export"),
    path("bulk/", views.item_bulk, name="bulk"),
    path("new/", views.item_create, name="create"),
    path("mine/", views.my_items, name="mine"),
    path("mine.ics", views.calendar, name="calendar"),
    path("mine/calendar/", views.calendar_token, name="calendar_token"),
    path("preferences/", views.reminder_preferences, name="preferences"),
    path("<int:pk>/", views.item_detail, name="detail"),
    path("<int:pk>/edit/", views.item_edit, name="edit"),
    path("<int:pk>/status/", views.item_status, name="status"),
    path("<int:pk>/verify/", views.item_verify, name="verify"),
    path("<int:pk>/tracker/create/", tracker_views.issue_create, name="tracker_create"),
    path("<int:pk>/tracker/link/", tracker_views.issue_link, name="tracker_link"),
    path("postmortem/<int:pk>/", views.postmortem_section, name="section"),
    path("postmortem/<int:pk>/add/", views.postmortem_item_create, name="postmortem_create"),
    path(
        "postmortem/<int:pk>/no-actions-reason/",
        views.postmortem_no_actions_reason,
        name="no_actions_reason",
    ),
]
