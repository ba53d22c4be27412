from django.urls import include, path

from postmortems import interviews, sections, sharing, views

app_name = "postmortems"
# Timeline events and contributing factors are added, edited and deleted by the same views.
TIMELINE, FACTORS = {"rows": "timeline"}, {"rows": "factors"}

# What is done to one interview, proposal or outside version, under its address.
INTERVIEW = [
    path("edit/", interviews.interview_edit, name="interview_edit"),
    path("share/", interviews.interview_share, name="interview_share"),
    path("propose/", interviews.proposal_create, name="proposal_create"),
]
PROPOSAL = [
    path("accept/", interviews.proposal_decide, {"decision": "accept"}, name="proposal_accept"),
    path("dismiss/", interviews.proposal_decide, {"decision": "dismiss"}, name="proposal_dismiss"),
]
OUTSIDE_VERSION = [
    path("", sharing.outside_preview, name="outside_preview"),
    path("release/", sharing.outside_release, name="outside_release"),
    path("revoke/", sharing.outside_revoke, name="outside_revoke"),
]

urlpatterns = [
    path("", views.postmortem_list, name="list"),
    path("new/", views.postmortem_create, name="create"),
    path("lint/", views.lint_check, name="lint_check"),
    path("pick/", views.postmortem_pick, name="pick"),
    path("<int:pk>/", views.postmortem_detail, name="detail"),
    path("<int:pk>/lint/", views.lint_summary, name="lint_summary"),
    path("<int:pk>/lint/acknowledge/", views.lint_acknowledge, name="lint_acknowledge"),
    path("<int:pk>/quality/", views.quality_panel, name="quality"),
    path("<int:pk>/print/", views.postmortem_print, name="print"),
    path("<int:pk>/history/", views.postmortem_history_view, name="history"),
    path("<int:pk>/export.md", views.postmortem_export, name="export"),
    path("<int:pk>/sections/<slug:section>/", sections.section_display, name="section"),
    path("<int:pk>/sections/<slug:section>/edit/", sections.section_edit, name="section_edit"),
    path("<int:pk>/sections/<slug:section>/discard/", sections.draft_discard, name="draft_discard"),
    path("<int:pk>/drafts/", sections.draft_autosave, name="draft"),
    path("<int:pk>/timeline/", views.rows_list, TIMELINE, name="timeline"),
    path("<int:pk>/timeline/add/", views.row_create, TIMELINE, name="event_create"),
    path("<int:pk>/timeline/import/", views.timeline_import_view, name="timeline_import"),
    path("<int:pk>/timeline/<int:row_id>/edit/", views.row_edit, TIMELINE, name="event_edit"),
    path("<int:pk>/timeline/<int:row_id>/delete/", views.row_delete, TIMELINE, name="event_delete"),
    path("<int:pk>/factors/", views.rows_list, FACTORS, name="factors"),
    path("<int:pk>/factors/add/", views.row_create, FACTORS, name="factor_create"),
    path("<int:pk>/factors/<int:row_id>/edit/", views.row_edit, FACTORS, name="factor_edit"),
    path("<int:pk>/factors/<int:row_id>/delete/", views.row_delete, FACTORS, name="factor_delete"),
    # Several perspectives: interview notes and the events they propose.
    path("<int:pk>/interviews/", interviews.interview_list, name="interviews"),
    path("<int:pk>/interviews/add/", interviews.interview_create, name="interview_create"),
    path("<int:pk>/interviews/<int:interview_id>/", include(INTERVIEW)),
    path("<int:pk>/proposals/<int:proposal_id>/", include(PROPOSAL)),
    path("<int:pk>/perspectives/", interviews.timeline_perspectives, name="perspectives"),
    # A version to share outside: drafted, reviewed, released at a secret link, revoked.
    path("<int:pk>/outside/", sharing.outside_versions, name="outside"),
    path("<int:pk>/outside/<int:version_id>/", include(OUTSIDE_VERSION)),
    path(
        "<int:pk>/recurrences/<int:recurrence_id>/",
        views.recurrence_decide,
        name="recurrence_decide",
    ),
]
