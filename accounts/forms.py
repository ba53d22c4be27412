from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError

from accounts.backends import password_allowed


class LoginForm(AuthenticationForm):
    def get_invalid_login_error(self) -> ValidationError:
        if not password_allowed(self.cleaned_data.get("username")):
            return ValidationError(
                f"Passwords are switched off here: sign in with {settings.OIDC_PROVIDER_NAME}.",
                code="sso_only",
            )
        return super().get_invalid_login_error()
