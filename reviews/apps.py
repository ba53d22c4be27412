from django.apps import AppConfig


class ReviewsConfig(AppConfig):
    name = "reviews"
    verbose_name = "Reviews and meetings"

    def ready(self) -> None:
        from postmortems.signals import text_changed
        from reviews.services import postmortem_text_changed

        text_changed.connect(postmortem_text_changed)
