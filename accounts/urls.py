from django.urls import path

from accounts import oidc, views

app_name = "accounts"
urlpatterns = [
    path("oidc/authenticate/", oidc.SignInView.as_view(), name="oidc_authenticate"),
    path("oidc/callback/", oidc.CallbackView.as_view(), name="oidc_callback"),
    path("audit/", views.audit_log, name="audit"),
    path("audit/export.jsonl", views.audit_export, name="audit_export"),
    path("people/pick/", views.people_pick, name="people_pick"),
    path("account/tokens/", views.token_list, name="tokens"),
    path("account/tokens/<int:pk>/revoke/", views.token_revoke, name="token_revoke"),
]
