from django.urls import path

from reviews import views

app_name = "reviews"

# Mounted at the site's root: the review of a postmortem lives under the postmortem's address.
urlpatterns = [
    path("postmortems/<int:pk>/submit/", views.postmortem_submit, name="submit"),
    path("postmortems/<int:pk>/publish/", views.postmortem_publish, name="publish"),
    path("postmortems/<int:pk>/return/", views.postmortem_return, name="return_to_draft"),
    path("postmortems/<int:pk>/reviewers/", views.reviewers_edit, name="reviewers"),
    path("postmortems/<int:pk>/review/", views.review_submit, name="review"),
    path("postmortems/<int:pk>/review/panel/", views.review_panel, name="review_panel"),
    path("postmortems/<int:pk>/comments/", views.comment_add, name="comment"),
    path("reviews/", views.meeting_list, name="list"),
    path("reviews/new/", views.meeting_create, name="create"),
    path("reviews/waiting/", views.reviews_waiting, name="waiting"),
    path("reviews/<int:pk>/", views.meeting_detail, name="detail"),
    path("reviews/<int:pk>/edit/", views.meeting_edit, name="edit"),
    path("reviews/<int:pk>/invite.ics", views.meeting_ics, name="ics"),
    path("reviews/<int:pk>/invite/", views.meeting_invite_view, name="invite"),
    path("reviews/<int:pk>/present/", views.meeting_present, name="present"),
    path("reviews/<int:pk>/notes/", views.notes_save, name="notes"),
    path("reviews/<int:pk>/attendance/", views.attendance_save, name="attendance"),
    path("reviews/<int:pk>/end/", views.meeting_end_view, name="end"),
    path("reviews/<int:pk>/agenda/<int:item_id>/", views.notes_save, name="agenda_item"),
    path(
        "reviews/<int:pk>/agenda/<int:item_id>/actions/",
        views.meeting_add_action,
        name="add_action",
    ),
]
