from django.apps import AppConfig


class TeamsConfig(AppConfig):
    """Teams: Django groups with a display name, owning services and postmortems."""

    name = "teams"
