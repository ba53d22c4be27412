from django.apps import AppConfig


class PostmortemsConfig(AppConfig):
    name = "postmortems"
    verbose_name = "Postmortems"

    def ready(self) -> None:
        from postmortems import page_cache

        page_cache.connect()
