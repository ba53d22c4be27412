from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend


def password_allowed(username: str | None) -> bool:
    """In SSO-only mode only the break-glass admin signs in with a password."""
    return not settings.SSO_ONLY or (
        bool(username) and username == settings.SSO_BREAK_GLASS_USERNAME
    )


class PasswordBackend(ModelBackend):
    """Django's password sign-in, for every login form (the site's and the admin's)."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if username is None:
            username = kwargs.get(get_user_model().USERNAME_FIELD)
        if not password_allowed(username):
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)
