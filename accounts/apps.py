from django.apps import AppConfig


class AccountsConfig(AppConfig):
    """A person's account: how they sign in, their API tokens, and the audit of both."""

    name = "accounts"

    def ready(self) -> None:
        from accounts import receivers  # noqa: F401  (connects the audit log's receivers)
