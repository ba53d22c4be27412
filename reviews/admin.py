from django.contrib import admin

from reviews.models import (
    AgendaItem,
    Attendance,
    Comment,
    Invitation,
    Meeting,
    Reviewer,
    Transition,
)


@admin.register(Reviewer)
class ReviewerAdmin(admin.ModelAdmin):
    list_display = ["postmortem", "user", "verdict", "decided_at"]
    list_filter = ["verdict"]
    raw_id_fields = ["postmortem", "user"]


@admin.register(Comment)
class CommentAdmin(admin.ModelAdmin):
    list_display = ["postmortem", "author", "kind", "created_at"]
    list_filter = ["kind"]
    search_fields = ["body"]
    raw_id_fields = ["postmortem", "author"]


@admin.register(Transition)
class TransitionAdmin(admin.ModelAdmin):
    list_display = ["postmortem", "from_status", "to_status", "by", "at"]
    raw_id_fields = ["postmortem", "by"]


class AgendaItemInline(admin.TabularInline):
    model = AgendaItem
    extra = 0
    raw_id_fields = ["postmortem"]


class AttendanceInline(admin.TabularInline):
    model = Attendance
    extra = 0
    raw_id_fields = ["user"]


class InvitationInline(admin.TabularInline):
    model = Invitation
    extra = 0
    can_delete = False
    readonly_fields = ["user", "email", "method", "sequence", "sent_at"]

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Meeting)
class MeetingAdmin(admin.ModelAdmin):
    list_display = ["title", "starts_at", "facilitator", "ended_at"]
    raw_id_fields = ["facilitator"]
    inlines = [AgendaItemInline, AttendanceInline, InvitationInline]
