from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "webhooks"
    verbose_name = "Outbound webhooks"

    def ready(self) -> None:
        from config.events import announced
        from webhooks.services import deliveries_create

        announced.connect(deliveries_create, dispatch_uid="webhooks.deliveries_create")
