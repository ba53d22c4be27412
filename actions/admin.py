from django.contrib import admin

from actions.models import (
    ActionItem,
    CalendarToken,
    Reminder,
    ReminderItem,
    ReminderPreference,
    ReminderSweep,
    StatusChange,
)


class StatusChangeInline(admin.TabularInline):
    model = StatusChange
    extra = 0
    readonly_fields = ["changed_by", "changed_at", "from_status", "to_status", "note"]


@admin.register(ActionItem)
class ActionItemAdmin(admin.ModelAdmin):
    list_display = ["title", "owner", "status", "priority", "kind", "due_date", "postmortem"]
    list_filter = ["status", "priority", "kind"]
    search_fields = ["title", "description"]
    raw_id_fields = ["postmortem", "owner", "created_by"]
    date_hierarchy = "due_date"
    inlines = [StatusChangeInline]


@admin.register(CalendarToken)
class CalendarTokenAdmin(admin.ModelAdmin):
    """Deleting a token revokes that person's calendar feed."""

    list_display = ["user", "created_at", "last_used_at"]
    search_fields = ["user__username", "user__email"]
    fields = ["user", "created_at", "last_used_at"]
    readonly_fields = ["user", "created_at", "last_used_at"]

    def has_add_permission(self, request) -> bool:
        return False


@admin.register(ReminderPreference)
class ReminderPreferenceAdmin(admin.ModelAdmin):
    list_display = ["user", "hour", "time_zone", "opted_out", "updated_at"]
    list_filter = ["opted_out", "hour"]
    search_fields = ["user__username", "user__email", "time_zone"]
    raw_id_fields = ["user"]


class ReminderItemInline(admin.TabularInline):
    model = ReminderItem
    extra = 0
    raw_id_fields = ["item"]
    readonly_fields = ["item", "section"]
    can_delete = False


@admin.register(Reminder)
class ReminderAdmin(admin.ModelAdmin):
    """The record of every digest; a failed one is retried by the next sweep."""

    list_display = ["recipient", "day", "status", "attempts", "sent_at", "webhook_status"]
    list_filter = ["status", "webhook_status", "day"]
    search_fields = ["recipient__username", "recipient__email", "last_error"]
    date_hierarchy = "day"
    readonly_fields = [
        "recipient",
        "day",
        "status",
        "attempts",
        "claim",
        "claimed_at",
        "sent_at",
        "last_error",
        "webhook_status",
        "webhook_error",
        "postmortems",
    ]
    inlines = [ReminderItemInline]

    def has_add_permission(self, request) -> bool:
        return False


@admin.register(ReminderSweep)
class ReminderSweepAdmin(admin.ModelAdmin):
    list_display = ["started_at", "finished_at", "as_of", "due", "claimed", "sent", "failed"]
    readonly_fields = list_display

    def has_add_permission(self, request) -> bool:
        return False
