from django.contrib import admin

from postmortems.models import (
    ContributingFactor,
    LintAcknowledgement,
    LintTerm,
    Postmortem,
    PostmortemTemplate,
    TimelineEvent,
)


class TimelineEventInline(admin.TabularInline):
    model = TimelineEvent
    extra = 0


class ContributingFactorInline(admin.TabularInline):
    model = ContributingFactor
    extra = 0


@admin.register(Postmortem)
class PostmortemAdmin(admin.ModelAdmin):
    list_display = ["reference", "title", "severity", "status", "owner", "started_at", "created_at"]
    list_filter = ["status", "severity", "services"]
    search_fields = ["title", "summary", "impact"]
    raw_id_fields = ["owner"]
    filter_horizontal = ["coauthors", "services"]
    date_hierarchy = "created_at"
    inlines = [TimelineEventInline, ContributingFactorInline]


@admin.register(TimelineEvent)
class TimelineEventAdmin(admin.ModelAdmin):
    list_display = ["occurred_at", "kind", "postmortem", "starred"]
    list_filter = ["kind", "starred"]
    search_fields = ["description"]
    raw_id_fields = ["postmortem"]


@admin.register(ContributingFactor)
class ContributingFactorAdmin(admin.ModelAdmin):
    list_display = ["category", "postmortem", "description"]
    list_filter = ["category"]
    search_fields = ["description"]
    raw_id_fields = ["postmortem"]


@admin.register(PostmortemTemplate)
class PostmortemTemplateAdmin(admin.ModelAdmin):
    list_display = ["name", "is_default", "description"]


@admin.register(LintTerm)
class LintTermAdmin(admin.ModelAdmin):
    list_display = ["phrase", "kind", "severity", "message"]
    list_filter = ["kind", "severity"]
    search_fields = ["phrase", "message"]


@admin.register(LintAcknowledgement)
class LintAcknowledgementAdmin(admin.ModelAdmin):
    list_display = ["postmortem", "location", "rule", "text", "acknowledged_by", "acknowledged_at"]
    list_filter = ["rule"]
    search_fields = ["text", "reason"]
    raw_id_fields = ["postmortem", "acknowledged_by"]
