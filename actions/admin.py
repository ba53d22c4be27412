from django.contrib import admin

from actions.models import ActionItem, StatusChange


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
