from django.urls import path

from actions import import_views

app_name = "imports"

urlpatterns = [
    path("", import_views.import_markdown, name="markdown"),
    path("action-items/", import_views.import_action_csv, name="action_csv"),
    path("jira/", import_views.import_jira, name="jira"),
]
