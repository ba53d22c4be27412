"""What every model form on the site shares."""

from __future__ import annotations


class DistinctIdsMixin:
    """Field ids made from the row they edit (`timelineevent-12-kind`, `actionitem-new-title`).

    A postmortem's page holds many forms at once (details, an event, an item, …): with
    Django's default `id_<field>` their labels would point at each other's fields.
    """

    def __init__(self, *args, **kwargs):
        if "auto_id" not in kwargs:
            instance = kwargs.get("instance")
            row = instance.pk if instance is not None and instance.pk else "new"
            kwargs["auto_id"] = f"{self._meta.model._meta.model_name}-{row}-%s"
        super().__init__(*args, **kwargs)
