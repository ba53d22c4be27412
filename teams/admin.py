from django.contrib import admin

from teams.models import Team


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ["display_name", "slug", "group"]
    search_fields = ["display_name", "slug", "group__name"]
    prepopulated_fields = {"slug": ["display_name"]}
