from django.urls import path

from postmortems import views

app_name = "postmortems"
# Timeline events and contributing factors are added, edited and deleted by the same views.
TIMELINE, FACTORS = {"rows": "timeline"}, {"rows": "factors"}

urlpatterns = [
    path("", views.postmortem_list, name="list"),
    path("new/", views.postmortem_create, name="create"),
    path("lint/", views.lint_check, name="lint_check"),
    path("pick/", views.postmortem_pick, name="pick"),
    path("<int:pk>/", views.postmortem_detail, name="detail"),
    path("<int:pk>/lint/", views.lint_summary, name="lint_summary"),
    path("<int:pk>/lint/acknowledge/", views.lint_acknowledge, name="lint_acknowledge"),
    path("<int:pk>/print/", views.postmortem_print, name="print"),
    path("<int:pk>/history/", views.postmortem_history_view, name="history"),
    path("<int:pk>/export.md", views.postmortem_export, name="export"),
    path("<int:pk>/sections/<slug:section>/", views.section_display, name="section"),
    path("<int:pk>/sections/<slug:section>/edit/", views.section_edit, name="section_edit"),
    path("<int:pk>/sections/<slug:section>/discard/", views.draft_discard, name="draft_discard"),
    path("<int:pk>/drafts/", views.draft_autosave, name="draft"),
    path("<int:pk>/timeline/", views.rows_list, TIMELINE, name="timeline"),
    path("<int:pk>/timeline/add/", views.row_create, TIMELINE, name="event_create"),
    path("<int:pk>/timeline/import/", views.timeline_import_view, name="timeline_import"),
    path("<int:pk>/timeline/<int:row_id>/edit/", views.row_edit, TIMELINE, name="event_edit"),
    path("<int:pk>/timeline/<int:row_id>/delete/", views.row_delete, TIMELINE, name="event_delete"),
    path("<int:pk>/factors/", views.rows_list, FACTORS, name="factors"),
    path("<int:pk>/factors/add/", views.row_create, FACTORS, name="factor_create"),
    path("<int:pk>/factors/<int:row_id>/edit/", views.row_edit, FACTORS, name="factor_edit"),
    path("<int:pk>/factors/<int:row_id>/delete/", views.row_delete, FACTORS, name="factor_delete"),
    path(
        "<int:pk>/recurrences/<int:recurrence_id>/",
        views.recurrence_decide,
        name="recurrence_decide",
    ),
]
