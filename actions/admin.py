from django import forms
from django.contrib import admin

from actions.models import (
    ActionItem,
    CalendarToken,
    Reminder,
    ReminderItem,
    ReminderPreference,
    ReminderSweep,
    StatusChange,
    TrackerConnection,
    TrackerLink,
)
from config.encryption import keys_problem


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

    list_display = fields = readonly_fields = ["user", "created_at", "last_used_at"]
    search_fields = ["user__username", "user__email"]

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
    readonly_fields = [*(f.name for f in Reminder._meta.fields if not f.primary_key), "postmortems"]
    inlines = [ReminderItemInline]

    def has_add_permission(self, request) -> bool:
        return False


@admin.register(ReminderSweep)
class ReminderSweepAdmin(admin.ModelAdmin):
    list_display = ["started_at", "finished_at", "as_of", "due", "claimed", "sent", "failed"]
    readonly_fields = list_display

    def has_add_permission(self, request) -> bool:
        return False


class TrackerConnectionForm(forms.ModelForm):
    """Secrets are write-only: the form says whether one is set and replaces it when typed."""

    token = forms.CharField(required=False, widget=forms.PasswordInput, strip=True)
    webhook_secret = forms.CharField(required=False, widget=forms.PasswordInput, strip=True)

    class Meta:
        model = TrackerConnection
        fields = ["name", "kind", "base_url", "project", "email", "token", "webhook_secret"]
        fields += ["labels"]
        fields += ["enabled"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("token", "webhook_secret"):
            was_set = bool(getattr(self.instance, name))
            self.initial[name] = ""
            self.fields[name].help_text = (
                "Set. Type a new one to replace it; leave empty to keep it."
                if was_set
                else "Not set. Encrypted when saved, never shown again."
            )

    def clean(self) -> dict:
        cleaned = super().clean()
        for name in ("token", "webhook_secret"):  # left empty: the one set stays
            cleaned[name] = cleaned.get(name) or getattr(self.instance, name) or ""
        # Saving would fail in the database layer, losing what was typed: say why here.
        if (cleaned.get("token") or cleaned.get("webhook_secret")) and (problem := keys_problem()):
            raise forms.ValidationError(problem)
        return cleaned


@admin.register(TrackerConnection)
class TrackerConnectionAdmin(admin.ModelAdmin):
    form = TrackerConnectionForm
    list_display = ["name", "kind", "project", "enabled"]


@admin.register(TrackerLink)
class TrackerLinkAdmin(admin.ModelAdmin):
    list_display = ["item", "connection", "key", "state", "synced_at"]
    readonly_fields = [f.name for f in TrackerLink._meta.fields if not f.primary_key]
