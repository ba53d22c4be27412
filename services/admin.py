from django.contrib import admin

from services.models import Service


@admin.register(Service)
class ServiceAdmin(admin.ModelAdmin):
    list_select_related = ["team"]
    list_display = ["name", "team", "slo_target", "window_days", "budget_minutes"]
    list_filter = ["team", "window_days"]
    search_fields = ["name", "team__display_name", "description"]

    @admin.display(description="budget (min per window)")
    def budget_minutes(self, service: Service):
        return service.budget_minutes.normalize()
