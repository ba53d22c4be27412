from django.apps import AppConfig


class AccountsConfig(AppConfig):
    """A person's account: how they sign in, their API tokens, and the audit of both."""

    name = "accounts"
