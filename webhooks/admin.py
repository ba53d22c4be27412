from django.contrib import admin

from webhooks.models import Attempt, Delivery, Subscription


@admin.register(Subscription)
class SubscriptionAdmin(admin.ModelAdmin):
    list_display = ["url", "description", "format", "active", "created_at"]
    list_filter = ["active", "format"]
    readonly_fields = ["secret", "created_by", "created_at", "updated_at"]


class AttemptInline(admin.TabularInline):
    model = Attempt
    extra = 0
    can_delete = False
    readonly_fields = [f.name for f in Attempt._meta.fields]


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    list_display = [
        "id",
        "event",
        "subscription",
        "status",
        "attempts",
        "response_code",
        "created_at",
    ]
    list_filter = ["status", "event"]
    list_select_related = ["subscription"]
    readonly_fields = [f.name for f in Delivery._meta.fields]
    inlines = [AttemptInline]
