from django.contrib import admin

from postmortems.models import (
    AlertGroup,
    AlertSource,
    ContributingFactor,
    LintAcknowledgement,
    LintTerm,
    Postmortem,
    PostmortemTemplate,
    QualityWeights,
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
    list_display = [
        "reference",
        "title",
        "kind",
        "severity",
        "status",
        "owner",
        "started_at",
        "created_at",
    ]
    list_filter = ["status", "kind", "severity", "services"]
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


@admin.register(QualityWeights)
class QualityWeightsAdmin(admin.ModelAdmin):
    """The one row of weights: its change page is reached straight from the admin's index."""

    def has_add_permission(self, request) -> bool:
        return not QualityWeights.objects.exists()

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


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


@admin.register(AlertSource)
class AlertSourceAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "slug", "enabled", "default_owner"]
    list_filter = ["kind", "enabled"]
    prepopulated_fields = {"slug": ["name"]}
    raw_id_fields = ["default_owner"]
    readonly_fields = ["intake_url"]
    fields = [
        "name",
        "kind",
        "slug",
        "intake_url",
        "enabled",
        "secret",
        "username",
        "header",
        "severity_label",
        "severity_map",
        "service_label",
        "default_owner",
        "link_base",
    ]

    @admin.display(description="Address to give the sender")
    def intake_url(self, source: AlertSource) -> str:
        return source.intake_url if source.pk else "Shown once saved."


@admin.register(AlertGroup)
class AlertGroupAdmin(admin.ModelAdmin):
    list_display = ["group_key", "source", "postmortem", "created_at", "updated_at"]
    list_filter = ["source"]
    raw_id_fields = ["postmortem"]
    readonly_fields = ["source", "key_hash", "group_key", "created_at", "updated_at"]
