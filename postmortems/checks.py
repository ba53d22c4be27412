"""Start-up checks of settings the postmortems app reads."""

from django.conf import settings
from django.core.checks import Error

from postmortems.models import TimelineEvent


def check_chat_import_phrases(app_configs, **kwargs) -> list[Error]:
    kinds = TimelineEvent.Kind.values
    return [
        Error(
            f"CHAT_IMPORT_PHRASES names the unknown kind “{kind}”.",
            hint=f"Use one of: {', '.join(kinds)}.",
            id="postmortems.E001",
        )
        for kind in settings.CHAT_IMPORT_PHRASES
        if kind not in kinds
    ]
