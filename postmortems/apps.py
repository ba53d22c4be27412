from django.apps import AppConfig
from django.core.checks import register


class PostmortemsConfig(AppConfig):
    name = "postmortems"
    verbose_name = "Postmortems"

    def ready(self) -> None:
        from postmortems.checks import check_chat_import_phrases

        register(check_chat_import_phrases)
