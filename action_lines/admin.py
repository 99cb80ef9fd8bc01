from django.contrib import admin

from .models import ActionLine, Agency, Facilitator


class FacilitatorInline(admin.TabularInline):
    model = Facilitator
    extra = 0
    autocomplete_fields = ["agency"]


@admin.register(ActionLine)
class ActionLineAdmin(admin.ModelAdmin):
    list_display = ["code", "title", "short_title", "parent", "order"]
    list_select_related = ["parent"]
    search_fields = ["code", "title", "short_title"]
    inlines = [FacilitatorInline]


@admin.register(Agency)
class AgencyAdmin(admin.ModelAdmin):
    list_display = ["acronym", "name"]
    search_fields = ["acronym", "name"]
